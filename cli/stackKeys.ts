/**
 * What keygen, rotate and export need to know about a stack's DKIM selectors, read from its stack
 * file (never decrypting anything), and the config key paths they write through the Pulumi CLI.
 */
import { decodeConfigMap } from "../components/config";
import { keyPath } from "../components/keyPath";
import { isRecord } from "../components/model";
import { selectorProblem } from "../components/records/names";
import { selectorInFile, type SelectorInFile } from "../components/sections/dkim/selectors";
import { readStackConfig, UsageError, type Project, type StackConfig } from "./project";

/** A selector as the stack file holds it, and whether the file holds a (secure) private key for it. */
export type SelectorState = SelectorInFile & { readonly hasPrivateKey: boolean };

export interface StackKeys {
  readonly stack: string;
  readonly domain: string | undefined;
  /** Whether the stack file has a `sender-auth:dkim` entry at all. */
  readonly hasDkimSection: boolean;
  readonly selectors: readonly SelectorState[];
  /**
   * `sender-auth:dkim.removedSelectors`: names of selectors removed from config (→ the date they were
   * removed), never to be bound to another key.
   */
  readonly removedSelectors: ReadonlyMap<string, string>;
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Reads a stack's selectors from its stack file. An unknown stack is a usage error. */
export function readStackKeys(project: Project, stack: string): StackKeys {
  return stackKeysOf(readStackConfig(project, stack));
}

/** A stack's selectors, from its already read stack file. */
export function stackKeysOf(stackConfig: StackConfig): StackKeys {
  const { stack } = stackConfig;
  const raw = decodeConfigMap(stackConfig.config);
  const dkim = raw["dkim"];
  const entries = isRecord(dkim) && isRecord(dkim["selectors"]) ? Object.entries(dkim["selectors"]) : [];
  const selectors = entries
    .filter((entry): entry is [string, Record<string, unknown>] => isRecord(entry[1]))
    .map(([name, entry]): SelectorState => ({
      ...selectorInFile(name, entry),
      // Private keys are never decrypted here; that one is stored is all keygen and export need.
      hasPrivateKey: stackConfig.secretPaths.includes(selectorPath(name, "privateKey")),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const removed = isRecord(dkim) && isRecord(dkim["removedSelectors"]) ? Object.entries(dkim["removedSelectors"]) : [];
  return {
    stack,
    domain: text(raw["domain"]),
    hasDkimSection: dkim !== undefined,
    selectors,
    removedSelectors: new Map(removed.map(([name, date]) => [name, typeof date === "string" ? date : String(date)])),
  };
}

/** Every selector name this stack has bound to a key: configured ones and removed ones. */
export function usedSelectorNames(keys: StackKeys): string[] {
  return [...keys.selectors.map((s) => s.name), ...keys.removedSelectors.keys()];
}

/** `sender-auth:dkim.selectors.<name>[.<field>]` in `pulumi config --path` syntax. */
export function selectorPath(name: string, field?: string): string {
  return keyPath(field === undefined ? ["dkim", "selectors", name] : ["dkim", "selectors", name, field]);
}

/** Today as an ISO date (YYYY-MM-DD), in UTC. */
export function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * The next date-derived selector name: `s<YYYYMM><letter>`, the first letter not yet taken
 * (s202611a, s202611b, ...). A new key always gets a new selector (RFC 6376 §3.1).
 */
export function nextSelectorName(taken: readonly string[], now: Date): string {
  const prefix = `s${now.toISOString().slice(0, 4)}${now.toISOString().slice(5, 7)}`;
  const letters = "abcdefghijklmnopqrstuvwxyz".split("");
  for (const first of ["", ...letters]) {
    for (const letter of letters) {
      const name = `${prefix}${first}${letter}`;
      if (!taken.includes(name)) return name;
    }
  }
  throw new Error(`no free selector name with prefix ${prefix}`);
}

/** Checks a requested selector name: DNS labels never used in this stack, not even by a removed selector. */
export function checkNewSelector(name: string, keys: StackKeys): void {
  const problem = selectorProblem(name);
  if (problem !== undefined) throw new UsageError(`--selector ${JSON.stringify(name)} ${problem}`);
  if (keys.selectors.some((s) => s.name === name)) {
    throw new UsageError(
      `selector ${name} already exists in stack ${keys.stack}; a selector is never re-bound to a new key ` +
        "(RFC 6376 §3.1): choose another name or leave --selector out",
    );
  }
  const removedOn = keys.removedSelectors.get(name);
  if (removedOn !== undefined) {
    throw new UsageError(
      `selector ${name} of stack ${keys.stack} was bound to a key until it was removed on ${removedOn} ` +
        `(${keyPath(["dkim", "removedSelectors", name])}); a selector is never re-bound to a new key ` +
        "(RFC 6376 §3.1): choose another name or leave --selector out",
    );
  }
}
