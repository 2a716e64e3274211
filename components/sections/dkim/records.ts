/** DKIM key record builder (RFC 6376 §3.6.1, RFC 8301, RFC 8463). Pure, no Pulumi imports. */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { parseTagList } from "../../records/tagList";
import type { DkimAlgorithm } from "./schema";

/** Facts about a parsed DKIM public key. */
export interface DkimKeyInfo {
  readonly algorithm: DkimAlgorithm;
  /** Modulus length for RSA, 256 for Ed25519. */
  readonly bits: number;
  /** SHA-256 of the published `p=` bytes, lower-case hex. */
  readonly fingerprint: string;
}

/** RFC 6376 §3.6.1: an empty `p=` means the key has been revoked. */
export const REVOKED_DKIM = "v=DKIM1; p=";
/** RFC 8301 §3.2: signers MUST use at least 1024 bits ... */
export const RSA_MIN_BITS = 1024;
/** ... and SHOULD use at least 2048. */
export const RSA_RECOMMENDED_BITS = 2048;
/** RFC 8301 §3.2: verifiers are only required to handle keys up to 4096 bits. */
export const RSA_MAX_BITS = 4096;

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4); the raw key follows. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Owner name of a selector's key record (RFC 6376 §3.6.2.1). */
export function dkimRecordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

/**
 * The key record: `v=DKIM1` first (RFC 6376 §3.6.1: if present it MUST be the first tag), `k=` always
 * explicit (required for ed25519, RFC 8463 §4.2), then `p=` with no whitespace inside (RFC 6376 §3.6.1
 * allows folding white space in base64; splitting into character-strings needs none).
 */
export function buildDkimValue(algorithm: DkimAlgorithm, publicKey: string): string {
  return `v=DKIM1; k=${algorithm}; p=${publicKey}`;
}

export type KeyInspection =
  | { readonly ok: true; readonly info: DkimKeyInfo }
  | { readonly ok: false; readonly problem: string; readonly allowed: string };

const RSA_ALLOWED = "base64 of the RSA SubjectPublicKeyInfo DER (for 2048 bits, 392 characters starting MIIBIjANBgkq)";
const ED25519_ALLOWED = "base64 of the raw 32-byte Ed25519 public key (44 characters)";

function fingerprint(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function decodeCanonicalBase64(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(value, "base64");
  return bytes.toString("base64") === value ? bytes : undefined;
}

/** SHA-256 of a base64 key's bytes, as DkimKeyInfo.fingerprint; undefined when it is not canonical base64. */
export function publicKeyFingerprint(publicKey: string): string | undefined {
  const bytes = decodeCanonicalBase64(publicKey);
  return bytes === undefined ? undefined : fingerprint(bytes);
}

/** How messages name a key: `SHA-256 ` and the first 16 hex digits of its fingerprint. */
export function fingerprintLabel(fingerprint: string): string {
  return `SHA-256 ${fingerprint.slice(0, 16)}…`;
}

/** A DKIM record's key as messages name it: `key SHA-256 …`, or revoked; undefined when it has none readable. */
export function keyOfRecord(value: string): string | undefined {
  const p = parseTagList(value).get("p");
  if (p === undefined) return undefined;
  if (p === "") return "no key (revoked: empty p=)";
  const fingerprint = publicKeyFingerprint(p);
  return fingerprint === undefined ? undefined : `key ${fingerprintLabel(fingerprint)}`;
}

function tryKey(create: () => KeyObject): KeyObject | undefined {
  try {
    return create();
  } catch {
    return undefined;
  }
}

/**
 * The last inspections, by algorithm and key text. A stack's keys are read from its file (status,
 * rotate, keygen) and again when the stack is validated: measured, one inspection of a row's keys is
 * ~0.11 ms of the ~2 ms of CPU of a status row (issue #14). Bounded in entries and in key length (a
 * 4096-bit RSA key is 736 characters), so that a fleet of distinct keys or a hostile stack file cannot
 * make it grow; the oldest entry goes first.
 */
const inspections = new Map<string, KeyInspection>();
/** How many inspections are kept. */
export const INSPECTION_CACHE_ENTRIES = 256;
const INSPECTION_CACHE_MAX_KEY = 1024;

/**
 * Parses a configured `publicKey` the way verifiers will: RSA as base64 SubjectPublicKeyInfo DER, as
 * RFC 6376 Appendix C publishes it and verifiers read it (not PKCS#1, whatever §3.6.1's prose says:
 * RFC 6376 erratum 3017), Ed25519 as the raw 32-byte key (not SPKI, RFC 8463 §4.2). Names the common
 * mix-ups precisely. The same key text parses once while it is among the last few hundred asked about.
 */
export function inspectDkimPublicKey(algorithm: DkimAlgorithm, publicKey: string): KeyInspection {
  if (publicKey.length > INSPECTION_CACHE_MAX_KEY) return inspectKey(algorithm, publicKey);
  const id = `${algorithm} ${publicKey}`;
  const cached = inspections.get(id);
  if (cached !== undefined) return cached;
  const inspection = inspectKey(algorithm, publicKey);
  if (inspections.size >= INSPECTION_CACHE_ENTRIES) inspections.delete(inspections.keys().next().value as string);
  inspections.set(id, inspection);
  return inspection;
}

function inspectKey(algorithm: DkimAlgorithm, publicKey: string): KeyInspection {
  const allowed = algorithm === "rsa" ? RSA_ALLOWED : ED25519_ALLOWED;
  if (/-----BEGIN/.test(publicKey)) {
    return {
      ok: false,
      problem: "is a PEM block; give only the base64 body, without the BEGIN/END lines and line breaks",
      allowed,
    };
  }
  const der = decodeCanonicalBase64(publicKey);
  if (der === undefined) {
    return { ok: false, problem: "is not canonical base64 (no spaces or line breaks inside)", allowed };
  }
  if (algorithm === "ed25519") {
    if (der.length === 32) return { ok: true, info: { algorithm, bits: 256, fingerprint: fingerprint(der) } };
    if (der.length === 44 && der.subarray(0, 12).equals(ED25519_SPKI_PREFIX)) {
      const raw = der.subarray(12).toString("base64");
      return {
        ok: false,
        problem: `is an SPKI-wrapped Ed25519 key; RFC 8463 §4.2 publishes the raw key: use "${raw}"`,
        allowed,
      };
    }
    return { ok: false, problem: `decodes to ${der.length} bytes; an Ed25519 key is 32`, allowed };
  }
  const spki = tryKey(() => createPublicKey({ key: der, format: "der", type: "spki" }));
  if (spki === undefined) {
    const pkcs1 = tryKey(() => createPublicKey({ key: der, format: "der", type: "pkcs1" }));
    if (pkcs1 !== undefined) {
      return {
        ok: false,
        problem:
          "is a PKCS#1 RSAPublicKey (starts MIIBCgKCAQEA); verifiers need SubjectPublicKeyInfo (RFC 6376 " +
          "Appendix C): convert with `openssl rsa -RSAPublicKey_in -pubout`",
        allowed,
      };
    }
    return { ok: false, problem: "is not a DER SubjectPublicKeyInfo", allowed };
  }
  if (spki.asymmetricKeyType === "ed25519") {
    return { ok: false, problem: "is an Ed25519 key; set algorithm: ed25519 and publish the raw 32-byte key", allowed };
  }
  if (spki.asymmetricKeyType !== "rsa") {
    return { ok: false, problem: `is a ${spki.asymmetricKeyType ?? "unknown"} key, not RSA`, allowed };
  }
  const bits = spki.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < RSA_MIN_BITS) {
    return {
      ok: false,
      problem:
        `is a ${bits}-bit RSA key; RFC 8301 §3.2 requires at least ${RSA_MIN_BITS} bits ` +
        `(${RSA_RECOMMENDED_BITS} recommended)`,
      allowed: `${allowed}, ${RSA_MIN_BITS}–${RSA_MAX_BITS} bits`,
    };
  }
  if (bits > RSA_MAX_BITS) {
    return {
      ok: false,
      problem: `is a ${bits}-bit RSA key; RFC 8301 §3.2 only obliges verifiers to handle up to ${RSA_MAX_BITS} bits`,
      allowed: `${allowed}, ${RSA_MIN_BITS}–${RSA_MAX_BITS} bits`,
    };
  }
  return { ok: true, info: { algorithm, bits, fingerprint: fingerprint(der) } };
}
