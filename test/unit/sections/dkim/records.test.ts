import assert from "node:assert/strict";
import crypto, { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  buildDkimValue,
  dkimRecordName,
  INSPECTION_CACHE_ENTRIES,
  inspectDkimPublicKey,
  REVOKED_DKIM,
} from "../../../../components/sections/dkim/records";
import { statusRow } from "../../../../cli/status/row";
import { fixtureKey, oversizedRsaPublicKey } from "../../../support/fixtures";

const RSA_ALLOWED = "base64 of the RSA SubjectPublicKeyInfo DER (for 2048 bits, 392 characters starting MIIBIjANBgkq)";
const ED_ALLOWED = "base64 of the raw 32-byte Ed25519 public key (44 characters)";

describe("buildDkimValue", () => {
  it("puts v=DKIM1 first, then k=, then p= (RFC 6376 §3.6.1)", () => {
    assert.equal(buildDkimValue("rsa", "MIIB"), "v=DKIM1; k=rsa; p=MIIB");
    assert.equal(buildDkimValue("ed25519", "Y4k7"), "v=DKIM1; k=ed25519; p=Y4k7");
  });
  it("revokes with an empty p= (RFC 6376 §3.6.1)", () => {
    assert.equal(REVOKED_DKIM, "v=DKIM1; p=");
  });
  it("names the record <selector>._domainkey.<domain>", () => {
    assert.equal(dkimRecordName("s1", "example.com"), "s1._domainkey.example.com");
  });
});

describe("inspectDkimPublicKey", () => {
  const accepted: [string, "rsa-1024" | "rsa-2048" | "rsa-3072" | "rsa-4096" | "ed25519", number][] = [
    ["RSA 1024 (warned about elsewhere)", "rsa-1024", 1024],
    ["RSA 2048", "rsa-2048", 2048],
    ["RSA 3072", "rsa-3072", 3072],
    ["RSA 4096", "rsa-4096", 4096],
    ["Ed25519", "ed25519", 256],
  ];
  for (const [name, fixture, bits] of accepted) {
    it(`accepts ${name}`, () => {
      const key = fixtureKey(fixture);
      const inspection = inspectDkimPublicKey(key.algorithm, key.publicKey);
      assert.ok(inspection.ok);
      assert.equal(inspection.info.bits, bits);
      assert.equal(inspection.info.algorithm, key.algorithm);
      assert.match(inspection.info.fingerprint, /^[0-9a-f]{64}$/);
    });
  }

  it("gives a 2048-bit RSA p= of 392 characters starting MIIBIjANBgkq (RFC 6376 Appendix C)", () => {
    const key = fixtureKey("rsa-2048").publicKey;
    assert.equal(key.length, 392);
    assert.ok(key.startsWith("MIIBIjANBgkq"));
  });

  const rejected: [string, () => [Parameters<typeof inspectDkimPublicKey>[0], string], string, string][] = [
    [
      "RSA under 1024 bits",
      () => ["rsa", fixtureKey("rsa-512").publicKey],
      "is a 512-bit RSA key; RFC 8301 §3.2 requires at least 1024 bits (2048 recommended)",
      `${RSA_ALLOWED}, 1024–4096 bits`,
    ],
    [
      "RSA over 4096 bits",
      () => ["rsa", oversizedRsaPublicKey()],
      "is a 4160-bit RSA key; RFC 8301 §3.2 only obliges verifiers to handle up to 4096 bits",
      `${RSA_ALLOWED}, 1024–4096 bits`,
    ],
    [
      "a PKCS#1 RSAPublicKey",
      () => ["rsa", fixtureKey("rsa-2048").pkcs1 ?? ""],
      "is a PKCS#1 RSAPublicKey (starts MIIBCgKCAQEA); verifiers need SubjectPublicKeyInfo (RFC 6376 Appendix C): convert with `openssl rsa -RSAPublicKey_in -pubout`",
      RSA_ALLOWED,
    ],
    [
      "an Ed25519 SPKI under algorithm rsa",
      () => ["rsa", fixtureKey("ed25519").spki],
      "is an Ed25519 key; set algorithm: ed25519 and publish the raw 32-byte key",
      RSA_ALLOWED,
    ],
    [
      "a PEM block",
      () => ["rsa", `-----BEGIN PUBLIC KEY-----\n${fixtureKey("rsa-2048").spki}\n-----END PUBLIC KEY-----`],
      "is a PEM block; give only the base64 body, without the BEGIN/END lines and line breaks",
      RSA_ALLOWED,
    ],
    [
      "base64 with a line break",
      () => ["rsa", `${fixtureKey("rsa-2048").spki.slice(0, 64)}\n${fixtureKey("rsa-2048").spki.slice(64)}`],
      "is not canonical base64 (no spaces or line breaks inside)",
      RSA_ALLOWED,
    ],
    [
      "truncated base64",
      () => ["rsa", fixtureKey("rsa-2048").spki.slice(0, 100)],
      "is not a DER SubjectPublicKeyInfo",
      RSA_ALLOWED,
    ],
    ["garbage", () => ["rsa", "not-a-key"], "is not canonical base64 (no spaces or line breaks inside)", RSA_ALLOWED],
    [
      "an SPKI-wrapped Ed25519 key",
      () => ["ed25519", fixtureKey("ed25519").spki],
      `is an SPKI-wrapped Ed25519 key; RFC 8463 §4.2 publishes the raw key: use "${fixtureKey("ed25519").publicKey}"`,
      ED_ALLOWED,
    ],
    [
      "an RSA key under algorithm ed25519",
      () => ["ed25519", fixtureKey("rsa-2048").publicKey],
      "decodes to 294 bytes; an Ed25519 key is 32",
      ED_ALLOWED,
    ],
  ];
  for (const [name, input, problem, allowed] of rejected) {
    it(`rejects ${name}`, () => {
      const [algorithm, value] = input();
      assert.deepEqual(inspectDkimPublicKey(algorithm, value), { ok: false, problem, allowed });
    });
  }
});

/** An RSA key text no other test asked about: rsa-2048's SPKI with random bytes inside its modulus. */
function unseenRsaKey(): string {
  const der = Buffer.from(fixtureKey("rsa-2048").publicKey, "base64");
  randomBytes(8).copy(der, 100);
  return der.toString("base64");
}

describe("inspectDkimPublicKey's cache (issue #14: a status row parsed each key twice)", () => {
  it("parses a key text once while it is among the last INSPECTION_CACHE_ENTRIES, then again", (t) => {
    const parse = t.mock.method(crypto, "createPublicKey");
    const key = unseenRsaKey();
    const first = inspectDkimPublicKey("rsa", key);
    assert.ok(first.ok);
    assert.equal(first.info.bits, 2048);
    assert.equal(parse.mock.callCount(), 1);
    assert.equal(inspectDkimPublicKey("rsa", key), first);
    assert.equal(parse.mock.callCount(), 1);
    // The same text under the other algorithm is another question.
    assert.deepEqual(inspectDkimPublicKey("ed25519", key), {
      ok: false,
      problem: "decodes to 294 bytes; an Ed25519 key is 32",
      allowed: ED_ALLOWED,
    });
    for (let i = 0; i < INSPECTION_CACHE_ENTRIES; i++) {
      assert.ok(inspectDkimPublicKey("ed25519", randomBytes(32).toString("base64")).ok);
    }
    const again = inspectDkimPublicKey("rsa", key);
    assert.equal(parse.mock.callCount(), 2);
    assert.notEqual(again, first);
    assert.deepEqual(again, first);
  });

  it("keeps no key text longer than 1024 characters (a hostile stack file cannot grow it)", (t) => {
    const parse = t.mock.method(crypto, "createPublicKey");
    const key = randomBytes(768).toString("base64");
    assert.equal(key.length, 1024);
    const long = randomBytes(771).toString("base64");
    assert.equal(long.length, 1028);
    const expected = { ok: false, problem: "is not a DER SubjectPublicKeyInfo", allowed: RSA_ALLOWED };
    for (let i = 0; i < 2; i++) assert.deepEqual(inspectDkimPublicKey("rsa", key), expected);
    assert.equal(parse.mock.callCount(), 2, "SPKI then PKCS#1, once");
    for (let i = 0; i < 2; i++) assert.deepEqual(inspectDkimPublicKey("rsa", long), expected);
    assert.equal(parse.mock.callCount(), 6, "SPKI then PKCS#1, each time");
  });

  it("a status row parses each of its keys once: read from the stack file, then validated", (t) => {
    const parse = t.mock.method(crypto, "createPublicKey");
    const key = unseenRsaKey();
    const text = [
      "config:",
      "  sender-auth:domain: once.test",
      "  sender-auth:dns:",
      "    provider: cloudflare",
      "    zoneId: 023e105f4ecef8ad9ca31a8372d0c353",
      "  sender-auth:dkim:",
      "    selectors:",
      "      s202611a:",
      "        status: active",
      `        publicKey: ${key}`,
      "        createdAt: 2026-11-02",
      "",
    ].join("\n");
    const row = statusRow(
      { stack: "once", file: "Pulumi.once.yaml", text },
      { project: { name: "sender-auth", defaults: {} }, now: new Date("2026-12-03T00:00:00Z"), overlapDays: 7 },
    );
    assert.deepEqual(row.problems, []);
    assert.deepEqual(row.selectors, [
      { selector: "s202611a", status: "active", algorithm: "rsa", bits: 2048, createdAt: "2026-11-02", ageDays: 31 },
    ]);
    assert.equal(parse.mock.callCount(), 1);
  });
});
