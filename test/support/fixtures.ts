/**
 * TEST-ONLY key fixtures (test/fixtures/keys, see its README): their private halves are public, so a
 * domain publishing one of these keys can have its mail forged.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { DkimAlgorithm } from "../../components/model";

export const FIXTURE_DIR = path.join(__dirname, "..", "fixtures");
export const REPO_ROOT = path.join(__dirname, "..", "..");

export const FIXTURE_KEYS = [
  "rsa-512",
  "rsa-1024",
  "rsa-2048",
  "rsa-2048-b",
  "rsa-3072",
  "rsa-4096",
  "ed25519",
  "ed25519-b",
] as const;
export type FixtureKeyName = (typeof FIXTURE_KEYS)[number];

export interface FixtureKey {
  readonly name: FixtureKeyName;
  readonly algorithm: DkimAlgorithm;
  /** PKCS#8 PEM of the private key. */
  readonly privatePem: string;
  /** The DKIM `p=` value: base64 SPKI DER for RSA, the raw 32-byte key for Ed25519. */
  readonly publicKey: string;
  /** base64 SPKI DER, whatever the algorithm. */
  readonly spki: string;
  /** base64 PKCS#1 RSAPublicKey DER (RSA only). */
  readonly pkcs1: string | undefined;
}

const cache = new Map<FixtureKeyName, FixtureKey>();

export function fixtureKey(name: FixtureKeyName): FixtureKey {
  const cached = cache.get(name);
  if (cached) return cached;
  const privatePem = readFileSync(path.join(FIXTURE_DIR, "keys", `${name}.pem`), "utf8");
  const pub = createPublicKey(createPrivateKey(privatePem));
  const spkiDer = pub.export({ type: "spki", format: "der" });
  const algorithm: DkimAlgorithm = pub.asymmetricKeyType === "ed25519" ? "ed25519" : "rsa";
  const key: FixtureKey = {
    name,
    algorithm,
    privatePem,
    publicKey: algorithm === "ed25519" ? spkiDer.subarray(-32).toString("base64") : spkiDer.toString("base64"),
    spki: spkiDer.toString("base64"),
    pkcs1: algorithm === "rsa" ? pub.export({ type: "pkcs1", format: "der" }).toString("base64") : undefined,
  };
  cache.set(name, key);
  return key;
}

/** Public half of an RSA key over 4096 bits (its private half was discarded). */
export function oversizedRsaPublicKey(): string {
  return readFileSync(path.join(FIXTURE_DIR, "keys", "rsa-4160.spki.b64"), "utf8").trim();
}

/**
 * How findings name the fixtures' public keys: `SHA-256 ` and the first 16 hex digits of the SHA-256
 * of the key bytes, computed apart from the code under test with
 * `openssl pkey -in <key>.pem -pubout -outform DER | sha256sum` (of its last 32 bytes for Ed25519).
 */
export const FIXTURE_PRINTS = {
  "rsa-2048": "SHA-256 cc9605d537893717…",
  "rsa-2048-b": "SHA-256 336219bb14cb145c…",
  "rsa-3072": "SHA-256 06d4dffc6b939997…",
  "rsa-4096": "SHA-256 8d81ef42c1461dec…",
  ed25519: "SHA-256 388f4e7b9875fe89…",
  "ed25519-b": "SHA-256 ccda5a9253524333…",
} as const satisfies Partial<Record<FixtureKeyName, string>>;
