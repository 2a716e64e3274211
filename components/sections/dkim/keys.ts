/**
 * DKIM key material: generation with node-forge, deriving the published `p=` value from a private key,
 * the one check that a private key belongs to its selector, the private keys of the secret config
 * (issue #3), and the encodings mail servers need. Pure functions, no Pulumi imports. Private keys
 * only ever pass through here as values; nothing is logged or written to disk, and no message holds
 * key material.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import type * as Forge from "node-forge";
import { keyPath } from "../../keyPath";
import { isRecord, type SenderAuthConfig } from "../../model";
import type { KeyProblem } from "../../problems";
import { inspectDkimPublicKey } from "./records";
import type { DkimAlgorithm } from "./schema";
import type { DkimSelector } from "./selectors";

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

/**
 * Generates a key pair of `type`. RSA goes through forge's native (OpenSSL) path: with no callback and
 * no prng, forge hands generation to Node's crypto.generateKeyPairSync (node-forge lib/rsa.js).
 */
export function generateDkimKey(type: KeyType): GeneratedKey {
  if (type === "ed25519") {
    // forge returns the raw 32-byte public key and seed‖public as the private key (node-forge ed25519.js).
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
  // No callback, no prng, e = 65537: forge delegates to crypto.generateKeyPairSync (node-forge rsa.js).
  const { pki, util, asn1 } = forge();
  const pair = pki.rsa.generateKeyPair({ bits, e: 0x10001 });
  const privateKeyPem = lf(pki.privateKeyInfoToPem(pki.wrapRsaPrivateKey(pki.privateKeyToAsn1(pair.privateKey))));
  // p= is the SubjectPublicKeyInfo DER, never the PKCS#1 RSAPublicKey (RFC 6376 Appendix C).
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

/** Derives the `p=` value from a private key PEM (PKCS#1 or PKCS#8), to check it matches its selector. */
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
 * PBKDF2-HMAC-SHA256, 100,000 iterations (node-forge's defaults are AES-128 and SHA-1), which PHP's
 * openssl extension opens with `DKIM_passphrase` (PHPMailer DKIM_Sign).
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

// ---------------------------------------------------------------------------------------------------
// Private keys of the secret config (`sender-auth:dkim` → `selectors.<name>.privateKey`, issue #3).

/** The key path of a selector's private key, below `sender-auth:`. */
const privateKeyPath = (selector: string): PropertyKey[] => ["dkim", "selectors", selector, "privateKey"];

/** Whether `path` (below `sender-auth:`) is a selector's private key. */
export const isPrivateKeyPath = (path: readonly PropertyKey[]): boolean =>
  path.length === 4 && path[0] === "dkim" && path[1] === "selectors" && path[3] === "privateKey";

/**
 * The problem of a DKIM private key stored in plain text: how to store it as a secret instead, and that
 * the plain copy stays in git history until it is removed there. Never contains the key.
 */
export function plaintextPrivateKey(selector: string): KeyProblem {
  const path = privateKeyPath(selector);
  return {
    path,
    message:
      "is stored in plain text: anyone who can read the stack file or its git history can sign mail as this " +
      "domain. Store it as a secret by piping the PEM to " +
      `\`pulumi config set --secret --path '${keyPath(path)}' < private-key.pem\` ` +
      "(the value is read from standard input, never put it on the command line), then remove the plain-text " +
      "key from the git history (e.g. git filter-repo) and, if the repository was ever shared, rotate to a " +
      "new selector (sender-auth rotate)",
  };
}

/**
 * Stands in for a `privateKey` that reached the plain config map, so validation can name it without
 * ever holding the key: see {@link withoutPrivateKeys}.
 */
const PLAINTEXT_PRIVATE_KEY = Symbol("plaintext privateKey, not read");

/**
 * `sender-auth:dkim` as validation reads it: `selectors.<name>.privateKey` dropped unread when the whole
 * key is secret (the program reads private keys only as secrets, `Config.getSecretObject`), else
 * replaced by a marker that validation refuses by path. Pulumi marks only whole top-level keys as
 * secret, so a plaintext key next to a secret one in the same `dkim` object is invisible here;
 * `sender-auth plan`, which reads each leaf, catches that one.
 */
export function withoutPrivateKeys(dkim: unknown, isSecret: () => boolean): unknown {
  if (!isRecord(dkim) || !isRecord(dkim["selectors"])) return dkim;
  const selectors = Object.entries(dkim["selectors"]).map(([name, entry]): [string, unknown] => {
    if (!isRecord(entry) || !Object.hasOwn(entry, "privateKey")) return [name, entry];
    const rest = Object.entries(entry).filter(([key]) => key !== "privateKey");
    return [name, Object.fromEntries(isSecret() ? rest : [...rest, ["privateKey", PLAINTEXT_PRIVATE_KEY]])];
  });
  return { ...dkim, selectors: Object.fromEntries(selectors) };
}

/** `selectors.<name>.privateKey` values of the decrypted, secret `sender-auth:dkim` object. */
export function privateKeysOf(secretDkim: unknown): Map<string, unknown> {
  const keys = new Map<string, unknown>();
  const selectors = isRecord(secretDkim) ? secretDkim["selectors"] : undefined;
  if (!isRecord(selectors)) return keys;
  for (const [name, entry] of Object.entries(selectors)) {
    if (isRecord(entry) && entry["privateKey"] !== undefined) keys.set(name, entry["privateKey"]);
  }
  return keys;
}

/**
 * The one check that a private key belongs to a selector: why the key whose public half is `derived`
 * is not the key `selector` publishes, or undefined when it is (or the selector publishes none). Keys
 * are named by fingerprint, never by their material.
 */
export function keyPairProblem(
  derived: DerivedPublicKey,
  selector: Pick<DkimSelector, "algorithm" | "publicKey" | "key">,
): string | undefined {
  if (derived.algorithm !== selector.algorithm) {
    return `is an ${derived.algorithm} key but the selector's algorithm is ${selector.algorithm}`;
  }
  if (selector.publicKey === undefined || derived.publicKey === selector.publicKey) return undefined;
  const inspection = inspectDkimPublicKey(derived.algorithm, derived.publicKey);
  const half = inspection.ok ? inspection.info.fingerprint.slice(0, 16) : "?";
  const published = selector.key?.fingerprint.slice(0, 16) ?? "?";
  return `does not match its publicKey: the private key's public half has SHA-256 ${half}…, publicKey has ${published}…`;
}

/**
 * Every stored private key must be the private half of the key its selector publishes. Messages name
 * the selector and compare public-key fingerprints; they never contain key material.
 */
export function privateKeyProblems(config: SenderAuthConfig, privateKeys: ReadonlyMap<string, unknown>): KeyProblem[] {
  const problems: KeyProblem[] = [];
  for (const [name, pem] of privateKeys) {
    const path = privateKeyPath(name);
    const selector = config.dkim?.selectors.find((s) => s.name === name);
    if (selector === undefined) {
      problems.push({
        path,
        message: "belongs to no configured selector: remove it with `pulumi config rm --path`",
        allowed: "",
      });
      continue;
    }
    if (typeof pem !== "string") {
      problems.push({ path, message: "must be a PEM private key" });
      continue;
    }
    let derived: DerivedPublicKey;
    try {
      derived = publicKeyOf(pem);
    } catch (error) {
      problems.push({ path, message: error instanceof Error ? error.message : "is not a private key" });
      continue;
    }
    if (selector.cname !== undefined) {
      problems.push({
        path,
        message: "is set on a cname selector, whose key the provider holds: remove it",
        allowed: "",
      });
      continue;
    }
    const mismatch = keyPairProblem(derived, selector);
    if (mismatch !== undefined) problems.push({ path, message: mismatch });
  }
  return problems;
}

/** Active selectors' private keys, for mail servers that read stack outputs (`signingKeys`). */
export function signingKeysOf(
  config: SenderAuthConfig,
  privateKeys: ReadonlyMap<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const selector of config.dkim?.selectors ?? []) {
    const pem = privateKeys.get(selector.name);
    if (selector.status === "active" && typeof pem === "string") out[selector.name] = pem;
  }
  return out;
}
