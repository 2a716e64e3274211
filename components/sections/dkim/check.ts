/**
 * DKIM's part of `check` (RFC 6376): each selector's key, revocation or CNAME target as verifiers
 * see it, a real signature with any private key at hand (mailauth signs and verifies through the
 * resolver), and a second TXT record at a selector. Loaded by `check` only.
 */
import type { DNSResolver } from "mailauth";
import type * as DkimSign from "mailauth/lib/dkim/sign";
import type * as DkimVerify from "mailauth/lib/dkim/verify";
import { deployHint, extraRecordHint, missingHint } from "../../../cli/check/advice";
import {
  absence,
  servedTxt,
  ttlOf,
  type Finding,
  type PrivateKeyAtHand,
  type SectionCheck,
  type StackContext,
} from "../../../cli/check/context";
import { mailauthResolver } from "../../../cli/check/dnsClient";
import { keyPath } from "../../keyPath";
import type { SenderAuthConfig } from "../../model";
import { parseTagList } from "../../records/tagList";
import { publicKeyOf } from "./keys";
import { buildDkimValue, dkimRecordName, fingerprintLabel, inspectDkimPublicKey, keyOfRecord } from "./records";
import type { DkimSelector } from "./selectors";

function message(domain: string, selector: string): string {
  return [
    `From: sender-auth check <postmaster@${domain}>`,
    `To: postmaster@${domain}`,
    `Subject: sender-auth DKIM check ${selector}`,
    "Date: Sat, 28 Nov 2026 10:00:00 +0000",
    `Message-ID: <check-${selector}@${domain}>`,
    "",
    "A test message signed by sender-auth check.",
    "",
  ].join("\r\n");
}

/** The hint for a CNAME selector whose key the email provider does not serve as it should. */
const providerKeyHint = (selector: DkimSelector): string =>
  `the email provider serves this key at ${selector.cname ?? ""}: finish the selector's setup there, ` +
  `or correct ${keyPath(["dkim", "selectors", selector.name, "cname"])}`;

/** Keys, revocations and CNAME targets as verifiers see them, and a real signature per key at hand. */
async function checkDkim(context: StackContext, config: SenderAuthConfig): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { advice } = context;
  for (const selector of config.dkim?.selectors ?? []) {
    const name = dkimRecordName(selector.name, config.domain);
    const subject = `dkim ${selector.name}`;
    const own = await servedTxt(context, subject, name);
    if (!own.ok) {
      findings.push(own.finding);
      continue;
    }
    const served = [...own.values];
    const ttl = ttlOf(own.response);
    const fix = selector.cname === undefined ? deployHint(advice, ttl) : providerKeyHint(selector);
    if (served.length === 0) {
      findings.push({
        code: "dkim-missing",
        result: "fail",
        subject,
        message: `no DKIM key record at ${name} (${absence(own.response, served, "a DKIM key")})`,
        hint: selector.cname === undefined ? missingHint(advice, own.response) : providerKeyHint(selector),
      });
      continue;
    }
    const tags = served.length === 1 ? parseTagList(served[0] ?? "") : undefined;
    const p = tags?.get("p");
    if (selector.status === "revoked") {
      findings.push(
        p === ""
          ? { code: "dkim-revoked", result: "ok", subject, message: "revoked: serves an empty p=" }
          : {
              code: "dkim-revoked-still-served",
              result: "fail",
              subject,
              message:
                `is revoked but DNS still serves ${(served.length === 1 ? keyOfRecord(served[0] ?? "") : undefined) ?? "a key"}: ` +
                `signatures with it still verify`,
              served,
              hint: fix,
            },
      );
      continue;
    }
    if (tags === undefined || p === undefined || p === "") {
      findings.push({
        code: "dkim-bad-record",
        result: "fail",
        subject,
        message: `${name} serves no usable key${served.length > 1 ? ` (${served.length} TXT records)` : ""}`,
        served,
        hint: fix,
      });
      continue;
    }
    const algorithm = tags.get("k") === "ed25519" ? "ed25519" : "rsa";
    const inspection = inspectDkimPublicKey(algorithm, p);
    if (!inspection.ok) {
      findings.push({
        code: "dkim-bad-key",
        result: "fail",
        subject,
        message: `${name}: the served key ${inspection.problem}`,
        served,
        hint: fix,
      });
      continue;
    }
    const servedKey = inspection.info;
    const keyLabel = (key: typeof servedKey): string =>
      `${fingerprintLabel(key.fingerprint)} (${key.algorithm === "rsa" ? `RSA ${key.bits}` : "Ed25519"})`;
    const described = keyLabel(servedKey);
    if (selector.cname !== undefined) {
      findings.push({
        code: "dkim-ok",
        result: "ok",
        subject,
        message: `served through ${selector.cname}: ${described}`,
      });
    } else if (p !== selector.publicKey || algorithm !== selector.algorithm) {
      const declared = selector.key;
      findings.push({
        code: "dkim-wrong-key",
        result: "fail",
        subject,
        message: `DNS serves key ${described}, config declares ${declared === undefined ? "no key" : `key ${keyLabel(declared)}`}`,
        expected: selector.publicKey === undefined ? "" : buildDkimValue(selector.algorithm, selector.publicKey),
        served,
        hint: fix,
      });
    } else findings.push({ code: "dkim-ok", result: "ok", subject, message: `serves the configured key ${described}` });
    const key = context.privateKeys.get(selector.name);
    if (key !== undefined) {
      findings.push(await signatureFinding(context, config, selector, key, servedKey.fingerprint, ttl));
    }
  }
  return findings;
}

/**
 * A message signed with the private key at hand verifies through the resolver (mailauth). A key
 * whose public half is not the key DNS serves cannot verify: that is said before any signing.
 */
async function signatureFinding(
  context: StackContext,
  config: SenderAuthConfig,
  selector: DkimSelector,
  key: PrivateKeyAtHand,
  servedFingerprint: string,
  ttl: number | undefined,
): Promise<Finding> {
  const subject = `dkim ${selector.name}`;
  const fail = (text: string, hint: string): Finding => ({
    code: "dkim-signature",
    result: "fail",
    subject,
    message: text,
    hint,
  });
  let publicHalf: string | undefined;
  try {
    const derived = publicKeyOf(key.pem);
    const inspection = inspectDkimPublicKey(derived.algorithm, derived.publicKey);
    publicHalf = inspection.ok ? inspection.info.fingerprint : undefined;
  } catch (error) {
    return fail(
      `the key ${key.origin} ${error instanceof Error ? error.message : "is not a private key"}`,
      `give a PEM private key (PKCS#8 or PKCS#1) of selector ${selector.name}`,
    );
  }
  const declared = selector.key?.fingerprint;
  if (publicHalf !== servedFingerprint) {
    const half = publicHalf === undefined ? "an unusable public half" : fingerprintLabel(publicHalf);
    return fail(
      `the key ${key.origin} is not the key of selector ${selector.name}: its public half has ${half}, DNS serves ${fingerprintLabel(servedFingerprint)}`,
      publicHalf !== undefined && publicHalf === declared
        ? `it is the key the config declares: ${deployHint(context.advice, ttl)}`
        : `give the private key of selector ${selector.name}${declared === undefined ? "" : `, whose public half has ${fingerprintLabel(declared)}`}`,
    );
  }
  const raw = message(config.domain, selector.name);
  const signature = { signingDomain: config.domain, selector: selector.name, privateKey: key.pem };
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when a key is at hand */
  const { dkimSign } = require("mailauth/lib/dkim/sign") as typeof DkimSign;
  const { dkimVerify } = require("mailauth/lib/dkim/verify") as typeof DkimVerify;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const signed = await dkimSign(raw, { ...signature, signatureData: [signature], canonicalization: "relaxed/relaxed" });
  const resolver = mailauthResolver(context.resolver, context.queryOptions, context.ask) as DNSResolver;
  const verified = signed.errors.length > 0 ? undefined : await dkimVerify(signed.signatures + raw, { resolver });
  const status = verified?.results[0]?.status;
  return status?.result === "pass"
    ? {
        code: "dkim-signature",
        result: "ok",
        subject,
        message: "a message signed with the private key verifies (mailauth)",
      }
    : fail(
        `a message signed with the private key does not verify: ${status?.result ?? "error"}${status?.comment ? ` (${status.comment})` : ""}`,
        "the key pair matches the served key, yet mailauth does not verify the signature: run the check again; if it persists, report it with this output",
      );
}

export const dkimCheck: SectionCheck = {
  check: (context, config) => checkDkim(context, config),

  beside(context, config, record, served, base, at) {
    if (record.purpose !== "dkim" || served.length <= 1) return [];
    return [
      {
        ...base,
        code: "dkim-multiple",
        result: "fail",
        message: `${served.length} TXT records at a selector${at}: verifiers may read either (RFC 6376 §3.6.2.2)`,
        served,
        hint: extraRecordHint(context.advice, config.dns.provider, record.name, "TXT record"),
      },
    ];
  },
};
