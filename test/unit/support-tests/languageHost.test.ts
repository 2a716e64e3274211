import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { goJson, holdsSecret, programLocation, runConfig, shlexSplit } from "../../support/languageHost";
import { fakeDecrypt, fakeEncrypt } from "../../support/pulumiStandIn";

describe("shlexSplit (google/shlex Split, as the Node.js host splits nodeargs)", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["  \t\n", []],
    ["--require ./bin/ts-loader.cjs", ["--require", "./bin/ts-loader.cjs"]],
    // google/shlex's own test string.
    [
      'one two "three four" "five \\"six\\"" seven#eight # nine # ten\n eleven \'twelve\\\' thirteen=13 fourteen/14',
      ["one", "two", "three four", 'five "six"', "seven#eight", "eleven", "twelve\\", "thirteen=13", "fourteen/14"],
    ],
    ["a\\ b c", ["a b", "c"]],
    ['"\\q"', ["q"]],
    ["'\\q'", ["\\q"]],
    ['""', [""]],
    ["a\"b c\"d 'e f'g", ["ab cd", "e fg"]],
    [
      "--max-old-space-size=4096 # more memory\n--enable-source-maps",
      ["--max-old-space-size=4096", "--enable-source-maps"],
    ],
    ["--a\r\n--b", ["--a", "--b"]],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(shlexSplit(input), expected);
    });
  }

  for (const [input, message] of [
    ['"open', "EOF found when expecting closing quote"],
    ["'open", "EOF found when expecting closing quote"],
    ["trailing\\", "EOF found after escape character"],
    ['"trailing\\', "EOF found after escape character"],
  ] as const) {
    it(`${JSON.stringify(input)} fails: ${message}`, () => {
      assert.throws(() => shlexSplit(input), { message });
    });
  }
});

describe("goJson (Go's json.Marshal)", () => {
  it("sorts map keys at every level and keeps list order", () => {
    assert.equal(goJson({ b: 1, a: { d: [3, 1], c: true } }), '{"a":{"c":true,"d":[3,1]},"b":1}');
  });

  it("escapes <, >, &, U+2028 and U+2029 as encoding/json does", () => {
    assert.equal(goJson({ k: "<a & b>\u2028\u2029" }), '{"k":"\\u003ca \\u0026 b\\u003e\\u2028\\u2029"}');
  });

  it("prints numbers, null and nested strings as JSON", () => {
    assert.equal(goJson([0, 1.5, -3, null, "x\ny"]), '[0,1.5,-3,null,"x\\ny"]');
  });
});

describe("runConfig (the config the CLI hands the program)", () => {
  const decrypt = (ciphertext: string): string => {
    const plaintext = fakeDecrypt(ciphertext);
    if (plaintext === undefined) throw new Error(`not fake ciphertext: ${ciphertext}`);
    return plaintext;
  };
  const pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";

  it("namespaces keys, decrypts secure leaves, lists a top-level key with any secure leaf as secret", () => {
    const run = runConfig(
      "sender-auth",
      { parked: { type: "boolean", default: false }, domain: { type: "string" } },
      {
        "sender-auth:domain": "example.com",
        "sender-auth:dkim": { selectors: { s1: { status: "active", privateKey: { secure: fakeEncrypt(pem) } } } },
        "sender-auth:dns": { ttl: 300, provider: "cloudflare" },
        "aws:region": { secure: fakeEncrypt("eu-west-1") },
      },
      decrypt,
    );
    assert.deepEqual(run.config, {
      "aws:region": "eu-west-1",
      "sender-auth:dkim": `{"selectors":{"s1":{"privateKey":${JSON.stringify(pem)},"status":"active"}}}`,
      "sender-auth:dns": '{"provider":"cloudflare","ttl":300}',
      "sender-auth:domain": "example.com",
      // Pulumi.yaml default for a key the stack does not set, as its text.
      "sender-auth:parked": "false",
    });
    assert.deepEqual(run.secretKeys, ["aws:region", "sender-auth:dkim"]);
    assert.deepEqual(JSON.parse(run.env.PULUMI_CONFIG), {
      "aws:config:region": "eu-west-1",
      "sender-auth:config:dkim": run.config["sender-auth:dkim"],
      "sender-auth:config:dns": run.config["sender-auth:dns"],
      "sender-auth:config:domain": "example.com",
      "sender-auth:config:parked": "false",
    });
    assert.equal(run.env.PULUMI_CONFIG_SECRET_KEYS, '["aws:region","sender-auth:dkim"]');
  });

  it("passes top-level scalars as their text and null as null; a stack value wins over a default", () => {
    const run = runConfig(
      "p",
      { flag: { type: "boolean", default: true }, fixed: { value: 7 }, plain: "x" },
      { flag: false, count: 3, ratio: 0.5, nothing: null, "p:config:legacy": "old form" },
      decrypt,
    );
    assert.deepEqual(run.config, {
      "p:count": "3",
      "p:fixed": "7",
      "p:flag": "false",
      "p:legacy": "old form",
      "p:nothing": "null",
      "p:plain": "x",
      "p:ratio": "0.5",
    });
    assert.deepEqual(run.secretKeys, []);
    assert.equal(run.env.PULUMI_CONFIG_SECRET_KEYS, "[]");
  });

  it("fails on a value it cannot decrypt", () => {
    assert.throws(() => runConfig("p", {}, { k: { secure: "AAAA" } }, decrypt), {
      message: "not fake ciphertext: AAAA",
    });
  });

  it("holdsSecret: a secure leaf at any depth, and nothing else", () => {
    assert.equal(holdsSecret({ secure: "v1:" }), true);
    assert.equal(holdsSecret([{ a: [{ secure: "v1:" }] }]), true);
    assert.equal(holdsSecret({ secure: "v1:", other: 1 }), false);
    assert.equal(holdsSecret({ secure: 1 }), false);
    assert.equal(holdsSecret("secure"), false);
  });
});

describe("programLocation (the CLI's program directory and entry point)", () => {
  it("no main: the project directory and '.'; a directory: it and '.'; a file: its directory and name", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-location-"));
    try {
      mkdirSync(path.join(dir, "src"));
      writeFileSync(path.join(dir, "src", "main.ts"), "");
      assert.deepEqual(programLocation(dir, undefined), { pwd: dir, entryPoint: "." });
      assert.deepEqual(programLocation(dir, "src"), { pwd: path.join(dir, "src"), entryPoint: "." });
      assert.deepEqual(programLocation(dir, "src/main.ts"), { pwd: path.join(dir, "src"), entryPoint: "main.ts" });
      assert.throws(() => programLocation(dir, "missing.ts"), { code: "ENOENT" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
