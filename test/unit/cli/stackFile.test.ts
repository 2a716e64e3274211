/**
 * A stack file's own problems (cli/stackFile.ts), found by parseStackConfig the way the Pulumi CLI
 * reads the file: two spellings of one key, numbers JSON cannot carry, plain-text private keys.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackConfig, ProjectError, StackFileError } from "../../../cli/project";
import { configKeyOf, mergeProblems } from "../../../cli/stackFile";

const PROJECT = { name: "sender-auth", defaults: {} };
const TTL_ALLOWED =
  "allowed: a whole number of seconds: 1 (automatic) or 60–86400 on Cloudflare, 0–2147483647 on Route53";
const NOT_FINITE =
  "which is not a finite number: the Pulumi CLI refuses a stack file holding it, as JSON has no infinity or NaN";

/** parseStackConfig on `lines`, expecting a StackFileError; returns its message lines. */
function fileProblems(...lines: string[]): string[] {
  try {
    parseStackConfig(PROJECT, "s", "stacks/Pulumi.s.yaml", `${lines.join("\n")}\n`);
  } catch (error) {
    assert.ok(error instanceof StackFileError, `expected a StackFileError, got ${String(error)}`);
    assert.ok(error instanceof ProjectError, "every command already reports a ProjectError with exit 1");
    assert.equal(error.stackConfig.stack, "s");
    assert.deepEqual(
      error.message.split("\n"),
      error.problems.map((p) => `stack s: ${p.path}: ${p.message}`),
    );
    return error.message.split("\n");
  }
  assert.fail("parseStackConfig accepted the stack file");
}

describe("configKeyOf: a stack-file key as the Pulumi CLI reads it", () => {
  const cases: [string, string][] = [
    ["domain", "sender-auth:domain"],
    ["sender-auth:domain", "sender-auth:domain"],
    ["sender-auth:config:domain", "sender-auth:domain"],
    ["aws:config:region", "aws:region"],
    ["aws:region", "aws:region"],
    ["a:b:c", "a:b:c"],
    ["a:config:b:c", "a:config:b:c"],
  ];
  for (const [key, expected] of cases) {
    it(`${key} → ${expected}`, () => {
      assert.equal(configKeyOf("sender-auth", key), expected);
    });
  }
  it("reads the old <namespace>:config:<name> spelling as the key it is", () => {
    const stack = parseStackConfig(PROJECT, "s", "f", "config:\n  sender-auth:config:domain: example.com\n");
    assert.deepEqual(stack.config, { "sender-auth:domain": "example.com" });
  });
});

describe("two spellings of one key", () => {
  it("names both spellings of a bare key and its namespaced form", () => {
    assert.deepEqual(fileProblems("config:", "  domain: example.com", "  sender-auth:domain: example.net"), [
      'stack s: sender-auth:domain: is set twice in the stack file, as "domain" and "sender-auth:domain": the Pulumi CLI reads these as one key and keeps one of the values at random; remove all but one; allowed: one spelling of each key, e.g. "sender-auth:domain"',
    ]);
  });
  it("names all three spellings, and another namespace's duplicates", () => {
    assert.deepEqual(
      fileProblems(
        "config:",
        "  sender-auth:dns: {provider: cloudflare}",
        "  dns: {provider: route53}",
        "  sender-auth:config:dns: {}",
        "  aws:region: eu-west-1",
        "  aws:config:region: us-east-1",
      ),
      [
        'stack s: sender-auth:dns: is set 3 times in the stack file, as "sender-auth:dns" and "dns" and "sender-auth:config:dns": the Pulumi CLI reads these as one key and keeps one of the values at random; remove all but one; allowed: one spelling of each key, e.g. "sender-auth:dns"',
        'stack s: aws:region: is set twice in the stack file, as "aws:region" and "aws:config:region": the Pulumi CLI reads these as one key and keeps one of the values at random; remove all but one',
      ],
    );
  });
});

describe("numbers that are not finite, named as the stack file writes them", () => {
  it("in a section, a list, at the top level and in another namespace", () => {
    assert.deepEqual(
      fileProblems(
        "config:",
        "  sender-auth:dns:",
        "    ttl: .inf",
        "    preserveTxt: [ok, .NaN, -.Inf]",
        "  sender-auth:domain: 1e400",
        "  aws:retries: .nan",
      ),
      [
        `stack s: sender-auth:dns.ttl: is .inf, ${NOT_FINITE}; ${TTL_ALLOWED}`,
        `stack s: sender-auth:dns.preserveTxt[1]: is .NaN, ${NOT_FINITE}; allowed: printable ASCII without double quotes or backslashes, not starting v=spf1`,
        `stack s: sender-auth:dns.preserveTxt[2]: is -.Inf, ${NOT_FINITE}; allowed: printable ASCII without double quotes or backslashes, not starting v=spf1`,
        `stack s: sender-auth:domain: is 1e400, ${NOT_FINITE}; allowed: a lower-case domain name in Punycode without trailing dot, e.g. example.com`,
        `stack s: aws:retries: is .nan, ${NOT_FINITE}`,
      ],
    );
  });
  it("through an alias, in YAML's own spelling", () => {
    assert.deepEqual(fileProblems("big: &big .inf", "config:", "  sender-auth:dns:", "    ttl: *big"), [
      `stack s: sender-auth:dns.ttl: is .inf, ${NOT_FINITE}; ${TTL_ALLOWED}`,
    ]);
  });
});

describe("plain-text private keys, per leaf", () => {
  it("refuses a plain key next to a secure one (the program sees only that sender-auth:dkim is secret)", () => {
    const lines = fileProblems(
      "config:",
      "  sender-auth:dkim:",
      "    selectors:",
      "      s1:",
      "        privateKey: |",
      "          -----BEGIN PRIVATE KEY-----",
      "          MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC",
      "          -----END PRIVATE KEY-----",
      "      s2:",
      "        privateKey:",
      "          secure: v1:AAAA",
    );
    assert.deepEqual(
      lines.map((line) => line.slice(0, line.indexOf(": is "))),
      ["stack s: sender-auth:dkim.selectors.s1.privateKey"],
    );
    assert.match(lines[0] ?? "", /pulumi config set --secret --path 'sender-auth:dkim\.selectors\.s1\.privateKey'/);
    assert.ok(!lines.join("\n").includes("MIIEvgIBADAN"), "the key itself is never in a message");
  });
  it("accepts secure keys, a whole-secret dkim, and keys in other sections", () => {
    for (const text of [
      "config:\n  sender-auth:dkim:\n    selectors:\n      s1:\n        privateKey:\n          secure: v1:A\n",
      "config:\n  sender-auth:dkim:\n    secure: v1:A\n",
      "config:\n  other:dkim:\n    selectors:\n      s1:\n        privateKey: x\n",
    ]) {
      assert.doesNotThrow(() => parseStackConfig(PROJECT, "s", "f", text));
    }
  });
});

describe("keys named __proto__", () => {
  it("reach the program as own keys of the JSON text, so validation names them", () => {
    const stack = parseStackConfig(PROJECT, "s", "f", "config:\n  sender-auth:dns:\n    __proto__: {ttl: 60}\n");
    assert.equal(stack.config["sender-auth:dns"], '{"__proto__":{"ttl":60}}');
  });
});

describe("mergeProblems", () => {
  it("keeps the file's problems and drops the program's at or below their paths", () => {
    const file = [{ path: "sender-auth:dns.ttl", message: "is .inf" }];
    const program = [
      { path: "sender-auth:dns.ttl", message: "must be a number (got null)" },
      { path: "sender-auth:dns.ttlx", message: "unknown key" },
      { path: "sender-auth:domain", message: "is required" },
    ];
    assert.deepEqual(mergeProblems(file, program), [file[0], program[1], program[2]]);
    const section = [{ path: "sender-auth:dns", message: "is set twice" }];
    assert.deepEqual(
      mergeProblems(section, [
        { path: "sender-auth:dns.provider", message: "x" },
        { path: "sender-auth:dns.preserveTxt[0]", message: "y" },
        { path: "sender-auth:dnsx", message: "z" },
      ]),
      [section[0], { path: "sender-auth:dnsx", message: "z" }],
    );
  });
});

describe("bounded output", () => {
  it("a stack file with thousands of non-finite values lists 10 of them and counts the rest", () => {
    const lines = fileProblems(
      "config:",
      "  sender-auth:dns:",
      `    preserveTxt: [${Array(5000).fill(".nan").join(", ")}]`,
    );
    assert.equal(lines.length, 11);
    assert.equal(lines[10], "stack s: sender-auth:dns.preserveTxt: has 4990 more problems in its entries, not listed");
  });
});
