/**
 * cli/options.ts: the option-value parsers commander runs while it parses the command line. Each
 * refusal is commander's InvalidArgumentError (a usage error, exit 2, see errors.test.ts) saying
 * what the value must be; commander adds the option and the value to it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidArgumentError } from "commander";
import { selectorProblem } from "../../../components/records/names";
import {
  checkedName,
  dnsServer,
  keyFiles,
  MAX_WORKERS,
  pathValue,
  seconds,
  wholeNumber,
  stackWorkersOption,
} from "../../../cli/options";

/** What `parse(value)` returns, or the message it refuses `value` with. */
function outcome<T>(parse: (value: string) => T, value: string): T | string {
  try {
    return parse(value);
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    return error.message;
  }
}

describe("option-value parsers", () => {
  const days = wholeNumber(0, 3650, "a whole number of days from 0 to 3650");
  const DAYS = "It must be a whole number of days from 0 to 3650.";
  type Case = readonly [string, (value: string) => unknown, string, unknown];
  const cases: readonly Case[] = [
    ["wholeNumber", days, "0", 0],
    ["wholeNumber", days, "3650", 3650],
    ["wholeNumber", days, "007", 7],
    ["wholeNumber", days, "3651", DAYS],
    ["wholeNumber", days, "100000000", DAYS],
    ["wholeNumber", days, "-1", DAYS],
    ["wholeNumber", days, "1.5", DAYS],
    ["wholeNumber", days, "1e3", DAYS],
    ["wholeNumber", days, " 7", DAYS],
    ["wholeNumber", days, "", DAYS],
    ["wholeNumber", days, "9".repeat(400), DAYS],
    ["seconds", seconds(3600), "0.5", 0.5],
    ["seconds", seconds(3600), "3600", 3600],
    ["seconds", seconds(3600), "0", "It must be a number of seconds above 0 and at most 3600."],
    ["seconds", seconds(3600), "3600.001", "It must be a number of seconds above 0 and at most 3600."],
    ["seconds", seconds(3600), ".5", "It must be a number of seconds above 0 and at most 3600."],
    ["seconds", seconds(3600), "Infinity", "It must be a number of seconds above 0 and at most 3600."],
    ["seconds", seconds(3600), "0x10", "It must be a number of seconds above 0 and at most 3600."],
    ["dnsServer", dnsServer, "127.0.0.1", { host: "127.0.0.1", port: 53 }],
    ["dnsServer", dnsServer, "127.0.0.1:5353", { host: "127.0.0.1", port: 5353 }],
    ["dnsServer", dnsServer, "[::1]:5353", { host: "::1", port: 5353 }],
    ["dnsServer", dnsServer, "::1", { host: "::1", port: 53 }],
    ...["localhost", "127.0.0.1:0", "127.0.0.1:70000", "1.2.3", ""].map(
      (value) =>
        [
          "dnsServer",
          dnsServer,
          value,
          "It must be an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53.",
        ] as Case,
    ),
    ["pathValue", pathValue, "out/zones", "out/zones"],
    ["pathValue", pathValue, "", "It must be a path."],
    ["pathValue", pathValue, "a\0b", "It must be a path."],
    ["checkedName", checkedName(selectorProblem), "s2026", "s2026"],
    ["checkedName", checkedName(selectorProblem), "S2026", 'It must be lower case; use "s2026".'],
    ["checkedName", checkedName(selectorProblem), "", "It must not be empty."],
  ];
  for (const [name, parse, value, expected] of cases) {
    it(`${name}(${JSON.stringify(value.length > 20 ? `${value.slice(0, 8)}…` : value)}) → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(outcome(parse, value), expected);
    });
  }
});

describe("keyFiles: the repeatable <selector>=<path> option", () => {
  it("collects each selector's path in order, a path may hold `=`", () => {
    assert.deepEqual(keyFiles("s2=/k/b=c.pem", keyFiles("s1=/k/a.pem", [])), [
      { selector: "s1", path: "/k/a.pem" },
      { selector: "s2", path: "/k/b=c.pem" },
    ]);
  });

  for (const value of ["s1", "=/k/a.pem", "s1=", ""]) {
    it(`${JSON.stringify(value)} is refused: it must be <selector>=<path>`, () => {
      assert.equal(
        outcome((v) => keyFiles(v, []), value),
        "It must be <selector>=<path>.",
      );
    });
  }

  it("a selector given twice is refused", () => {
    assert.equal(
      outcome((v) => keyFiles(v, [{ selector: "s1", path: "/k/a.pem" }]), "s1=/k/b.pem"),
      "Selector s1 is given twice: give each selector one key file.",
    );
  });
});

describe("stackWorkersOption: --workers <n> of plan and check", () => {
  const parse = (value: string): unknown => {
    const parseArg = stackWorkersOption(100).parseArg;
    assert.ok(parseArg !== undefined);
    return outcome((text) => parseArg<unknown>(text, undefined), value);
  };
  const RULE = `It must be a whole number from 0 to ${MAX_WORKERS}.`;
  for (const [value, expected] of [
    ["0", 0],
    ["2", 2],
    [String(MAX_WORKERS), MAX_WORKERS],
    [String(MAX_WORKERS + 1), RULE],
    ["-1", RULE],
    ["auto", RULE],
    ["", RULE],
  ] as const) {
    it(`--workers ${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parse(value), expected);
    });
  }

  it("its help names the default", () => {
    assert.match(stackWorkersOption(500).description, /one per core from 500 stacks on; 0: none/);
  });
});
