/** `sender-auth:dkim`: the domain's DKIM selectors and their keys (RFC 6376). Schema. Pure. */
import { z } from "zod";
import { checkedString, hostCheck, HOST_ALLOWED, ISO_DATE_ALLOWED, isoDateCheck, list } from "../fields";

/** Lifecycle of a DKIM selector (`sender-auth:dkim.selectors.<name>.status`). */
export const DKIM_STATUSES = ["active", "published", "retired", "revoked"] as const;
export type DkimStatus = (typeof DKIM_STATUSES)[number];

/** DKIM key algorithms (`k=` tag, RFC 6376 §3.6.1, RFC 8463). */
export const DKIM_ALGORITHMS = ["rsa", "ed25519"] as const;
export type DkimAlgorithm = (typeof DKIM_ALGORITHMS)[number];

/** Default of `sender-auth:dkim.maxKeyAgeDays`: M3AAWG advises rotating about every 6 months. */
export const DEFAULT_MAX_KEY_AGE_DAYS = 180;

/** One selector, `sender-auth:dkim.selectors.<name>` (its `privateKey` is secret config, never read here). */
export const selectorSchema = z.strictObject({
  status: z.enum(DKIM_STATUSES),
  algorithm: z.enum(DKIM_ALGORITHMS).default("rsa"),
  /** base64 SPKI DER (rsa) or raw 32-byte key (ed25519); undefined for CNAME selectors and bare revocations. */
  publicKey: z.string().optional(),
  /** Target host of a selector whose key an email provider hosts. */
  cname: checkedString(hostCheck).optional(),
  createdAt: checkedString(isoDateCheck).optional(),
  retiredAt: checkedString(isoDateCheck).optional(),
});

export const dkimSchema = z.strictObject({
  selectors: z.record(z.string(), selectorSchema),
  /** Age after which an active key draws a warning. */
  maxKeyAgeDays: z.number().int().min(1).default(DEFAULT_MAX_KEY_AGE_DAYS),
  /**
   * Names once bound to a key are never bound to another (RFC 6376 §3.1, issue #11): selectors removed
   * from config, by name, with the date they were removed.
   */
  removedSelectors: z.record(z.string(), checkedString(isoDateCheck)).default({}),
});

export const SELECTOR_NAMES = "DNS labels of lower-case letters, digits and hyphens, e.g. s202611a";

export const DKIM_ALLOWED: Readonly<Record<string, string>> = {
  "": "an object with selectors, maxKeyAgeDays, removedSelectors",
  selectors: "a map from selector name to { status, algorithm, publicKey | cname, privateKey, createdAt, retiredAt }",
  "selectors.*": "an object with status, algorithm, publicKey or cname, privateKey, createdAt, retiredAt",
  "selectors.*.privateKey":
    "the PEM private key whose public half is publicKey, stored as a secret (sender-auth keygen)",
  maxKeyAgeDays: "a whole number of days, at least 1",
  removedSelectors:
    "a map from the name of a selector removed from config to the date it was removed (written by sender-auth rotate)",
  "removedSelectors.*": ISO_DATE_ALLOWED,
  "selectors.*.status": list(DKIM_STATUSES),
  "selectors.*.algorithm": list(DKIM_ALGORITHMS),
  "selectors.*.publicKey": "base64 SubjectPublicKeyInfo DER (rsa) or the raw 32-byte key in base64 (ed25519)",
  "selectors.*.cname": HOST_ALLOWED,
  "selectors.*.createdAt": ISO_DATE_ALLOWED,
  "selectors.*.retiredAt": ISO_DATE_ALLOWED,
};
