/**
 * MTA-STS records (RFC 8461): the policy text senders fetch over HTTPS, the id that announces it in
 * DNS, and the MX host patterns it lists. Pure: no Pulumi, no network.
 */
import { createHash } from "node:crypto";
import { domainNameProblem } from "../../records/names";

/** Where the TXT record goes (RFC 8461 §3.1). */
export const mtaStsRecordName = (domain: string): string => `_mta-sts.${domain}`;

/** The Policy Host (RFC 8461 §3.3): the policy is served by HTTPS at this name, with a certificate for it. */
export const policyHost = (domain: string): string => `mta-sts.${domain}`;

/** Where senders fetch the policy (RFC 8461 §3.3). */
export const policyUrl = (domain: string): string => `https://${policyHost(domain)}/.well-known/mta-sts.txt`;

/** The largest policy `check` reads; a real one is a few hundred octets. */
export const MAX_POLICY_BYTES = 64 * 1024;

/** What is wrong with an `mx` pattern (RFC 8461 §3.2: `["*."] Domain`, a wildcard only as the whole left-most label). */
export function mxPatternProblem(value: string): string | undefined {
  const wildcard = value.startsWith("*.");
  const host = wildcard ? value.slice(2) : value;
  if (host.includes("*")) {
    return "has a wildcard that is not the whole left-most label; RFC 8461 §3.2 allows only *.suffix, e.g. *.mail.example.com";
  }
  const problem = domainNameProblem(host, { underscores: false });
  if (problem === undefined || !wildcard) return problem;
  // The suggestion keeps the wildcard; a one-label suffix would match hosts of every domain under a TLD.
  return problem === "needs at least two labels, such as example.com"
    ? "covers every host one label below a top-level domain; name the suffix of your own MX hosts, e.g. *.example.com"
    : `after *.: ${problem.replace(/use "([^"]*)"/, 'use "*.$1"')}`;
}

/** The policy's fields, as the TXT record's id and the served file are derived from. */
export interface MtaStsPolicy {
  readonly mode: string;
  readonly mx: readonly string[];
  readonly maxAge: number;
}

/**
 * The policy file (RFC 8461 §3.2): `key: value` lines, CRLF-separated as the RFC's text says (its
 * ABNF also accepts LF), in the RFC's example order, ending with a line break.
 */
export function buildMtaStsPolicy(policy: MtaStsPolicy): string {
  const lines = [
    "version: STSv1",
    `mode: ${policy.mode}`,
    ...policy.mx.map((pattern) => `mx: ${pattern}`),
    `max_age: ${policy.maxAge}`,
  ];
  return `${lines.join("\r\n")}\r\n`;
}

/**
 * The policy id (RFC 8461 §3.1: 1 to 32 letters and digits): the first 128 bits of the policy
 * text's SHA-256 in hex, so it changes exactly when the text does and senders fetch again.
 */
export function mtaStsPolicyId(policyText: string): string {
  return createHash("sha256").update(policyText, "utf8").digest("hex").slice(0, 32);
}

/** A policy's text and its id. */
export function mtaStsPolicyOf(policy: MtaStsPolicy): { readonly text: string; readonly id: string } {
  const text = buildMtaStsPolicy(policy);
  return { text, id: mtaStsPolicyId(text) };
}

/** The TXT record at `_mta-sts.<domain>` (RFC 8461 §3.1). */
export const buildMtaStsRecord = (id: string): string => `v=STSv1; id=${id}`;

/** The id of an `_mta-sts` TXT value as senders read it (RFC 8461 §3.1 syntax), or undefined. */
export function mtaStsIdOf(value: string): string | undefined {
  const [version, ...fields] = value.split(";");
  if (version === undefined || !/^v=STSv1[ \t]*$/.test(version)) return undefined;
  for (const field of fields) {
    const match = /^[ \t]*id=([A-Za-z0-9]{1,32})[ \t]*$/.exec(field);
    if (match !== null) return match[1];
  }
  return undefined;
}
