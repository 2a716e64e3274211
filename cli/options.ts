/**
 * Option-value parsers for commander's `argParser`: a value that is not what the option takes is
 * refused while the command line is parsed, before anything is read or run, as commander's usage
 * error (exit 2) naming the option, the value and what it must be, e.g.
 * `error: option '--ns-port <port>' argument '0' is invalid. It must be a port number from 1 to 65535.`
 */
import { InvalidArgumentError, Option } from "commander";
import { parseServer, type DnsServer } from "./check/server";

/** A parser that refuses a value `parse` cannot read, saying what it must be (`rule`). */
export function valueParser<T>(rule: string, parse: (value: string) => T | undefined): (value: string) => T {
  return (value) => {
    const parsed = parse(value);
    if (parsed === undefined) throw new InvalidArgumentError(`It must be ${rule}.`);
    return parsed;
  };
}

/** A whole number from `min` to `max` (digits only: no sign, exponent or fraction). */
export function wholeNumber(min: number, max: number, rule: string): (value: string) => number {
  return valueParser(rule, (value) => {
    const n = Number(value);
    return /^\d{1,15}$/.test(value) && n >= min && n <= max ? n : undefined;
  });
}

/** A number of seconds above 0 and at most `max` (decimal digits, an optional fraction). */
export function seconds(max: number): (value: string) => number {
  return valueParser(`a number of seconds above 0 and at most ${max}`, (value) => {
    const n = Number(value);
    return /^\d{1,15}(?:\.\d{1,15})?$/.test(value) && n > 0 && n <= max ? n : undefined;
  });
}

/** A DNS server as `host[:port]`, IPv6 as `[addr]:port` (port 53 when left out). */
export const dnsServer: (value: string) => DnsServer = valueParser(
  "an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53",
  parseServer,
);

/** A path to write to: not empty, no NUL character (which no file name can hold). */
export const pathValue: (value: string) => string = valueParser("a path", (value) =>
  value === "" || value.includes("\0") ? undefined : value,
);

/** A name checked by `problem` (which says what is wrong with it, or undefined when it is fine). */
export function checkedName(problem: (name: string) => string | undefined): (value: string) => string {
  return (value) => {
    const found = problem(value);
    if (found !== undefined) throw new InvalidArgumentError(`It ${found}.`);
    return value;
  };
}

/** One `--key-file <selector>=<path>` of several (repeatable; a selector at most once). */
export interface KeyFileOption {
  readonly selector: string;
  readonly path: string;
}

/** The collector for a repeatable `<selector>=<path>` option: each selector at most once. */
export function keyFiles(value: string, previous: readonly KeyFileOption[]): KeyFileOption[] {
  const eq = value.indexOf("=");
  if (eq <= 0 || eq === value.length - 1) throw new InvalidArgumentError("It must be <selector>=<path>.");
  const selector = value.slice(0, eq);
  if (previous.some((given) => given.selector === selector)) {
    throw new InvalidArgumentError(`Selector ${selector} is given twice: give each selector one key file.`);
  }
  return [...previous, { selector, path: value.slice(eq + 1) }];
}

/** Most worker threads `--workers` accepts. */
export const MAX_WORKERS = 64;

/**
 * `--workers <n>`: worker threads that share a command's work (issue #14 for stacks, #15 for report
 * files), 0 for none; `help` says what they do and when the default starts them.
 */
export function workersOption(help: string): Option {
  return new Option("--workers <n>", help).argParser(
    wholeNumber(0, MAX_WORKERS, `a whole number from 0 to ${MAX_WORKERS}`),
  );
}

/** `--workers <n>` of a command over stacks: one thread per core from `minStacks` stacks on. */
export function stackWorkersOption(minStacks: number): Option {
  return workersOption(
    `worker threads that share the stacks (default: one per core from ${minStacks} stacks on; 0: none)`,
  );
}
