import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, decodeConfigMap, formatProblem, validateStack } from "../../../../components/config";
import {
  plaintextPrivateKey,
  privateKeyProblems,
  privateKeysOf,
  signingKeysOf,
} from "../../../../components/sections/dkim/keys";
import { selectorSummary } from "../../../../components/sections/dkim/selectors";
import { problemLines } from "../../../support/validation";
import { fixtureKey } from "../../../support/fixtures";

const dns = { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" };
const NOW = new Date("2026-11-28T12:00:00Z");
const rsa = fixtureKey("rsa-2048");
const rsaB = fixtureKey("rsa-2048-b");
const ed = fixtureKey("ed25519");

const problems = (raw: Record<string, unknown>): string[] => problemLines(raw, NOW);

describe("selector lifecycle (issue #3)", () => {
  it("refuses a retired key with no active selector: mail would go out unsigned", () => {
    assert.deepEqual(
      problems({
        domain: "example.com",
        dns,
        dkim: {
          selectors: {
            old: { status: "retired", publicKey: rsa.publicKey, retiredAt: "2026-11-20" },
            next: { status: "published", publicKey: rsaB.publicKey },
          },
        },
      }),
      [
        "stack test: sender-auth:dkim.selectors: has retired old but no active selector: mail would go out unsigned; make next active (sender-auth rotate); allowed: at least one active selector while any selector is retired",
      ],
    );
    assert.deepEqual(
      problems({
        domain: "example.com",
        dns,
        dkim: { selectors: { old: { status: "retired", publicKey: rsa.publicKey } } },
      }),
      [
        "stack test: sender-auth:dkim.selectors: has retired old but no active selector: mail would go out unsigned; keep the newest key active until its successor is; allowed: at least one active selector while any selector is retired",
      ],
    );
  });

  it("accepts published-only keys (a domain that does not sign yet) with a warning", () => {
    const { warnings } = validateStack(
      "test",
      { domain: "example.com", dns, dkim: { selectors: { s1: { status: "published", publicKey: rsa.publicKey } } } },
      NOW,
    );
    assert.deepEqual(warnings, [
      "sender-auth:dkim.selectors: no selector is active, so mail is not signed yet; once DNS serves s1, make one active (sender-auth rotate)",
    ]);
  });

  it("warns when an active key is older than maxKeyAgeDays (default 180, M3AAWG)", () => {
    const raw = (maxKeyAgeDays?: number): Record<string, unknown> => ({
      domain: "example.com",
      dns,
      dkim: {
        selectors: {
          s1: { status: "active", publicKey: rsa.publicKey, createdAt: "2026-05-01" },
          s0: { status: "retired", publicKey: rsaB.publicKey, createdAt: "2025-01-01", retiredAt: "2026-11-27" },
        },
        ...(maxKeyAgeDays === undefined ? {} : { maxKeyAgeDays }),
      },
    });
    assert.deepEqual(validateStack("test", raw(), NOW).warnings, [
      "sender-auth:dkim.selectors.s1: the active key is 211 days old, over sender-auth:dkim.maxKeyAgeDays (180); rotate it (sender-auth rotate)",
    ]);
    assert.deepEqual(validateStack("test", raw(365), NOW).warnings, []);
    assert.deepEqual(problems(raw(0)), [
      "stack test: sender-auth:dkim.maxKeyAgeDays: is out of range (got 0); allowed: a whole number of days, at least 1",
    ]);
  });
});

describe("private keys (read only from secret config)", () => {
  const config = validateStack(
    "test",
    {
      domain: "example.com",
      dns,
      dkim: {
        selectors: {
          a: { status: "active", publicKey: rsa.publicKey },
          e: { status: "active", algorithm: "ed25519", publicKey: ed.publicKey },
          p: { status: "published", publicKey: rsaB.publicKey },
          c: { status: "active", cname: "c.esp.example.net" },
        },
      },
    },
    NOW,
  ).config;

  it("decodeConfigMap drops privateKey unread when sender-auth:dkim is secret, so the plain model never holds key material", () => {
    const all = {
      "sender-auth:dkim": JSON.stringify({
        selectors: { a: { status: "active", publicKey: rsa.publicKey, privateKey: rsa.privatePem } },
      }),
    };
    const raw = decodeConfigMap(all, (key) => key === "sender-auth:dkim");
    assert.deepEqual(raw, { dkim: { selectors: { a: { status: "active", publicKey: rsa.publicKey } } } });
    assert.ok(!JSON.stringify(raw).includes("PRIVATE KEY"));
  });

  it("decodeConfigMap leaves only a marker for a privateKey in a plain sender-auth:dkim, which validation refuses by path", () => {
    const all = {
      "sender-auth:domain": "example.com",
      "sender-auth:dns": JSON.stringify(dns),
      "sender-auth:dkim": JSON.stringify({
        selectors: { a: { status: "active", publicKey: rsa.publicKey, privateKey: rsa.privatePem } },
      }),
    };
    const raw = decodeConfigMap(all);
    const selector = (raw["dkim"] as { selectors: { a: Record<string, unknown> } }).selectors.a;
    assert.equal(typeof selector["privateKey"], "symbol");
    assert.ok(!JSON.stringify(raw).includes("PRIVATE KEY"));
    assert.throws(
      () => validateStack("test", raw, NOW),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [formatProblem(plaintextPrivateKey("a"))]);
        assert.ok(!error.message.includes("PRIVATE KEY") && !error.message.includes(rsa.privatePem.slice(40, 80)));
        return true;
      },
    );
  });

  it("privateKeysOf reads selectors.<name>.privateKey of the secret object", () => {
    assert.deepEqual(
      [...privateKeysOf({ selectors: { a: { privateKey: "x" }, b: { status: "active" } } })],
      [["a", "x"]],
    );
    assert.deepEqual([...privateKeysOf(undefined)], []);
    assert.deepEqual([...privateKeysOf({ selectors: "no" })], []);
  });

  it("accepts keys that are the private halves of the published keys", () => {
    assert.deepEqual(
      privateKeyProblems(
        config,
        new Map([
          ["a", rsa.privatePem],
          ["e", ed.privatePem],
          ["p", rsaB.privatePem],
        ]),
      ),
      [],
    );
  });

  it("names the selector of every mismatch and shows fingerprints, never key material", () => {
    const lines = privateKeyProblems(
      config,
      new Map<string, unknown>([
        ["a", rsaB.privatePem],
        ["e", rsa.privatePem],
        ["c", rsa.privatePem],
        ["p", 42],
        ["zz", rsa.privatePem],
        ["a2", "garbage"],
      ]),
    )
      .map((p) => formatProblem(p))
      .map((p) => `${p.path}: ${p.message}`);
    const published = (name: "rsa-2048" | "rsa-2048-b"): string => {
      const inspection = validateStack(
        "t",
        {
          domain: "example.com",
          dns,
          dkim: { selectors: { s: { status: "active", publicKey: fixtureKey(name).publicKey } } },
        },
        NOW,
      ).config.dkim?.selectors[0]?.key;
      return inspection?.fingerprint.slice(0, 16) ?? "";
    };
    assert.deepEqual(lines, [
      `sender-auth:dkim.selectors.a.privateKey: does not match its publicKey: the private key's public half has SHA-256 ${published("rsa-2048-b")}…, publicKey has ${published("rsa-2048")}…; allowed: the PEM private key whose public half is publicKey, stored as a secret (sender-auth keygen)`,
      "sender-auth:dkim.selectors.e.privateKey: is an rsa key but the selector's algorithm is ed25519; allowed: the PEM private key whose public half is publicKey, stored as a secret (sender-auth keygen)",
      "sender-auth:dkim.selectors.c.privateKey: is set on a cname selector, whose key the provider holds: remove it",
      "sender-auth:dkim.selectors.p.privateKey: must be a PEM private key; allowed: the PEM private key whose public half is publicKey, stored as a secret (sender-auth keygen)",
      "sender-auth:dkim.selectors.zz.privateKey: belongs to no configured selector: remove it with `pulumi config rm --path`",
      "sender-auth:dkim.selectors.a2.privateKey: belongs to no configured selector: remove it with `pulumi config rm --path`",
    ]);
    for (const line of lines) {
      assert.ok(!line.includes("PRIVATE KEY") && !line.includes(rsa.privatePem.slice(40, 80)), line);
    }
  });

  it("signingKeysOf hands out only active selectors' keys", () => {
    assert.deepEqual(
      signingKeysOf(
        config,
        new Map([
          ["a", rsa.privatePem],
          ["p", rsaB.privatePem],
          ["e", ed.privatePem],
        ]),
      ),
      { a: rsa.privatePem, e: ed.privatePem },
    );
  });

  it("selectorSummaries describe every selector without key material", () => {
    const { config: dated } = validateStack(
      "test",
      {
        domain: "example.com",
        dns,
        dkim: {
          selectors: {
            a: { status: "active", publicKey: rsa.publicKey, createdAt: "2026-11-02" },
            c: { status: "active", cname: "c.esp.example.net" },
            r: { status: "revoked" },
          },
        },
      },
      NOW,
    );
    const summaries = dated.dkim?.selectors.map((selector) => selectorSummary(selector, NOW));
    assert.deepEqual(summaries, [
      {
        selector: "a",
        status: "active",
        algorithm: "rsa",
        bits: 2048,
        fingerprint: dated.dkim?.selectors[0]?.key?.fingerprint,
        createdAt: "2026-11-02",
        ageDays: 26,
      },
      { selector: "c", status: "active", cname: "c.esp.example.net" },
      { selector: "r", status: "revoked" },
    ]);
  });
});
