/**
 * DKIM key material: generation with node-forge, deriving the published `p=` value from a private key,
 * and the encodings mail servers need. Pure functions, no Pulumi imports. Private keys only ever pass
 * through here as values; nothing is logged or written to disk.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import type * as Forge from "node-forge";
import type { DkimAlgorithm } from "./model";

/** node-forge, loaded on first use: the Pulumi program only derives public keys (Node crypto). */
function forge(): typeof Forge {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("node-forge") as typeof Forge;
}

/** Key types `keygen` offers; rsa-1024 only with --allow-weak (RFC 8301 §3.2). */
export const KEY_TYPES = ["rsa-1024", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export const DEFAULT_KEY_TYPE: KeyType = "rsa-2048";
export const WEAK_KEY_TYPES: readonly KeyType[] = ["rsa-1024"];

export interface GeneratedKey {
  readonly algorithm: DkimAlgorithm;
  readonly bits: number;
  /** PKCS#8 PEM (`BEGIN PRIVATE KEY`), unencrypted. Secret. */
  readonly privateKeyPem: string;
  /** The DKIM `p=` value. Public. */
  readonly publicKey: string;
}

/** forge writes PEM with CRLF line ends; OpenSSL, config files and mail servers use LF. */
function lf(pem: string): string {
  return pem.replace(/\r\n/g, "\n");
}

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows (RFC 8410 §7). */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** Generates a key pair of `type`. RSA goes through forge's native (OpenSSL) path (rules G1). */
export function generateDkimKey(type: KeyType): GeneratedKey {
  if (type === "ed25519") {
    // rules G7: forge returns the raw 32-byte public key and seed‖public as the private key.
    const pair = forge().pki.ed25519.generateKeyPair();
    const seed = Buffer.from(pair.privateKey).subarray(0, 32);
    const privateKeyPem = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
      format: "der",
      type: "pkcs8",
    })
      .export({ type: "pkcs8", format: "pem" })
      .toString();
    return {
      algorithm: "ed25519",
      bits: 256,
      privateKeyPem,
      publicKey: Buffer.from(pair.publicKey).toString("base64"),
    };
  }
  const bits = Number(type.slice("rsa-".length));
  // No callback, no prng, e = 65537: forge delegates to crypto.generateKeyPairSync (rules G1).
  const { pki, util, asn1 } = forge();
  const pair = pki.rsa.generateKeyPair({ bits, e: 0x10001 });
  const privateKeyPem = lf(pki.privateKeyInfoToPem(pki.wrapRsaPrivateKey(pki.privateKeyToAsn1(pair.privateKey))));
  // rules G2: p= is the SubjectPublicKeyInfo DER, never the PKCS#1 RSAPublicKey.
  const publicKey = util.encode64(asn1.toDer(pki.publicKeyToAsn1(pair.publicKey)).getBytes());
  return { algorithm: "rsa", bits, privateKeyPem, publicKey };
}

export interface DerivedPublicKey {
  readonly algorithm: DkimAlgorithm;
  readonly bits: number;
  /** The DKIM `p=` value this private key verifies under. */
  readonly publicKey: string;
}

function privateKeyObject(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new Error("is not an unencrypted PEM private key");
  }
}

/** Derives the `p=` value from a private key PEM (PKCS#1 or PKCS#8), to check it matches (rules G3). */
export function publicKeyOf(privateKeyPem: string): DerivedPublicKey {
  const key = privateKeyObject(privateKeyPem);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  if (key.asymmetricKeyType === "ed25519") {
    return { algorithm: "ed25519", bits: 256, publicKey: spki.subarray(-32).toString("base64") };
  }
  if (key.asymmetricKeyType === "rsa") {
    return { algorithm: "rsa", bits: key.asymmetricKeyDetails?.modulusLength ?? 0, publicKey: spki.toString("base64") };
  }
  throw new Error(`is a ${key.asymmetricKeyType ?? "unknown"} key; DKIM keys are rsa or ed25519`);
}

/**
 * Passphrase-encrypted PKCS#8 PEM (`BEGIN ENCRYPTED PRIVATE KEY`) with AES-256-CBC and
 * PBKDF2-HMAC-SHA256 (rules G4), which PHP's openssl extension opens with `DKIM_passphrase`.
 */
export function encryptPrivateKey(privateKeyPem: string, passphrase: string): string {
  const key = privateKeyObject(privateKeyPem);
  if (key.asymmetricKeyType === "rsa") {
    const { pki } = forge();
    const forgeKey = pki.privateKeyFromPem(key.export({ type: "pkcs1", format: "pem" }).toString());
    return lf(
      pki.encryptRsaPrivateKey(forgeKey, passphrase, { algorithm: "aes256", prfAlgorithm: "sha256", count: 100000 }),
    );
  }
  // forge has no Ed25519 PKCS#8 writer; OpenSSL's PBES2 uses PBKDF2-HMAC-SHA256 with this cipher.
  return key.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase }).toString();
}
