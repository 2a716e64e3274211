import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildDkimValue,
  dkimRecordName,
  inspectDkimPublicKey,
  REVOKED_DKIM,
} from "../../../../components/sections/dkim/records";
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
