import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { describe, it } from "node:test";
import forge from "node-forge";
import { validateStack } from "../../../../components/config";
import {
  encryptPrivateKey,
  generateDkimKey,
  KEY_TYPES,
  publicKeyOf,
  type KeyType,
} from "../../../../components/sections/dkim/keys";
import { publishedRecord } from "../../../../components/model";
import { fixtureKey } from "../../../support/fixtures";
import { recordsResolver, signMessage, verifyDkim } from "../../../support/mail";

const dns = { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" };

describe("generateDkimKey", { concurrency: true }, () => {
  const expectations: Record<KeyType, { algorithm: string; bits: number; prefix: RegExp }> = {
    "rsa-1024": { algorithm: "rsa", bits: 1024, prefix: /^MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ/ },
    "rsa-2048": { algorithm: "rsa", bits: 2048, prefix: /^MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA/ },
    "rsa-3072": { algorithm: "rsa", bits: 3072, prefix: /^MIIBojANBgkqhkiG9w0BAQEFAAOCAY8AMIIBigKCAYEA/ },
    "rsa-4096": { algorithm: "rsa", bits: 4096, prefix: /^MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA/ },
    ed25519: { algorithm: "ed25519", bits: 256, prefix: /^[A-Za-z0-9+/]{43}=$/ },
  };
  for (const type of KEY_TYPES) {
    it(`${type}: an unencrypted PKCS#8 PEM whose derived p= is the published one, and a message it signs verifies against the planned record`, async () => {
      const key = generateDkimKey(type);
      const expected = expectations[type];
      assert.equal(key.algorithm, expected.algorithm);
      assert.equal(key.bits, expected.bits);
      assert.match(key.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(
        key.publicKey,
        expected.prefix,
        "RSA p= is SPKI DER (RFC 6376 Appendix C), Ed25519 p= the raw 32-byte key (RFC 8463 §4.2)",
      );
      assert.deepEqual(publicKeyOf(key.privateKeyPem), {
        algorithm: key.algorithm,
        bits: key.bits,
        publicKey: key.publicKey,
      });
      // The record plan would publish for this key, served as the 255-octet strings DNS carries.
      const { records } = validateStack("t", {
        domain: "example.com",
        dns,
        dkim: { selectors: { s1: { status: "active", algorithm: key.algorithm, publicKey: key.publicKey } } },
      });
      const signed = await signMessage("example.com", "s1", key.privateKeyPem);
      assert.equal(await verifyDkim(signed, recordsResolver(records.map(publishedRecord))), "pass");
    });
  }

  it("never reuses a key: two RSA keys differ", () => {
    assert.notEqual(generateDkimKey("rsa-2048").publicKey, generateDkimKey("rsa-2048").publicKey);
  });

  it("a key signs nothing that verifies under another selector's record", async () => {
    const key = generateDkimKey("ed25519");
    const other = fixtureKey("ed25519-b");
    const { records } = validateStack("t", {
      domain: "example.com",
      dns,
      dkim: { selectors: { s1: { status: "active", algorithm: "ed25519", publicKey: other.publicKey } } },
    });
    const signed = await signMessage("example.com", "s1", key.privateKeyPem);
    assert.notEqual(await verifyDkim(signed, recordsResolver(records.map(publishedRecord))), "pass");
  });
});

describe("publicKeyOf", () => {
  it("derives the p= value of PKCS#8 and PKCS#1 RSA keys and of Ed25519 keys", () => {
    for (const name of ["rsa-2048", "rsa-4096", "ed25519"] as const) {
      const key = fixtureKey(name);
      assert.equal(publicKeyOf(key.privatePem).publicKey, key.publicKey);
    }
    const pkcs1 = createPrivateKey(fixtureKey("rsa-2048").privatePem)
      .export({ type: "pkcs1", format: "pem" })
      .toString();
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    assert.equal(publicKeyOf(pkcs1).publicKey, fixtureKey("rsa-2048").publicKey);
  });
  it("refuses what is not an unencrypted private key", () => {
    assert.throws(() => publicKeyOf("not a key"), { message: "is not an unencrypted PEM private key" });
    const encrypted = encryptPrivateKey(fixtureKey("rsa-2048").privatePem, "pw");
    assert.throws(() => publicKeyOf(encrypted), { message: "is not an unencrypted PEM private key" });
  });
});

describe("encryptPrivateKey (AES-256-CBC with PBKDF2-HMAC-SHA256, as PHPMailer opens it)", () => {
  /** OIDs inside the PBES2 parameters, read with forge's ASN.1 parser. */
  function oids(pem: string): string[] {
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
    const found: string[] = [];
    const walk = (node: forge.asn1.Asn1): void => {
      if (node.type === forge.asn1.Type.OID && typeof node.value === "string") {
        found.push(forge.asn1.derToOid(node.value));
      }
      if (Array.isArray(node.value)) node.value.forEach(walk);
    };
    walk(forge.asn1.fromDer(der.toString("binary")));
    return found;
  }

  for (const name of ["rsa-2048", "ed25519"] as const) {
    it(`${name}: PKCS#8 with PBES2, PBKDF2-HMAC-SHA256 and AES-256-CBC that Node's OpenSSL opens with the passphrase only`, () => {
      const pem = encryptPrivateKey(fixtureKey(name).privatePem, "correct horse battery staple");
      assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      const found = oids(pem);
      assert.ok(found.includes("1.2.840.113549.1.5.13"), "PBES2");
      assert.ok(found.includes("1.2.840.113549.1.5.12"), "PBKDF2");
      assert.ok(found.includes("1.2.840.113549.2.9"), "hmacWithSHA256");
      assert.ok(found.includes("2.16.840.1.101.3.4.1.42"), "aes256-CBC");
      const opened = createPrivateKey({ key: pem, passphrase: "correct horse battery staple" });
      assert.equal(
        publicKeyOf(opened.export({ type: "pkcs8", format: "pem" }).toString()).publicKey,
        fixtureKey(name).publicKey,
      );
      assert.throws(() => createPrivateKey({ key: pem, passphrase: "wrong" }));
    });
  }
});
