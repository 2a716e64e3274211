/** DMARC record builder (RFC 7489 §6.3, RFC 9989). Pure, no Pulumi imports. */
import type { DmarcAlignment, DmarcConfig } from "./schema";

/** The values of `adkim=` and `aspf=` (RFC 7489 §6.3). */
export const DMARC_ALIGNMENT_TAGS: Readonly<Record<DmarcAlignment, string>> = { relaxed: "r", strict: "s" };

/** What a domain that sends no mail publishes: reject everywhere, including non-existent subdomains. */
export const PARKED_DMARC = "v=DMARC1; p=reject; sp=reject; np=reject";
/** Content of a report-authorisation record (RFC 7489 §7.1). */
export const REPORT_AUTH_VALUE = "v=DMARC1";

/** Owner name of the policy record (RFC 7489 §6.1). */
export function dmarcRecordName(domain: string): string {
  return `_dmarc.${domain}`;
}

/** Owner name that authorises `domain` to send reports to `destination` (RFC 7489 §7.1). */
export function reportAuthName(domain: string, destination: string): string {
  return `${domain}._report._dmarc.${destination}`;
}

/**
 * The policy record. `v=DMARC1` first and `p=` second satisfy both RFC 7489 §6.4 (ordered) and
 * RFC 9989 (any order after v); only tags that were configured are emitted, so receivers apply their
 * own defaults (RFC 7489 §6.3), and `np`/`t` only as RFC 9989 defines them.
 */
export function buildDmarcValue(dmarc: DmarcConfig): string {
  const tags = ["v=DMARC1", `p=${dmarc.policy}`];
  if (dmarc.subdomainPolicy !== undefined) tags.push(`sp=${dmarc.subdomainPolicy}`);
  if (dmarc.nonexistentSubdomainPolicy !== undefined) tags.push(`np=${dmarc.nonexistentSubdomainPolicy}`);
  if (dmarc.testing) tags.push("t=y");
  if (dmarc.percent !== undefined) tags.push(`pct=${dmarc.percent}`);
  if (dmarc.alignmentDKIM !== undefined) tags.push(`adkim=${DMARC_ALIGNMENT_TAGS[dmarc.alignmentDKIM]}`);
  if (dmarc.alignmentSPF !== undefined) tags.push(`aspf=${DMARC_ALIGNMENT_TAGS[dmarc.alignmentSPF]}`);
  if (dmarc.failureOptions.length > 0) tags.push(`fo=${dmarc.failureOptions.join(":")}`);
  if (dmarc.rua.length > 0) tags.push(`rua=${dmarc.rua.join(",")}`);
  if (dmarc.ruf.length > 0) tags.push(`ruf=${dmarc.ruf.join(",")}`);
  return tags.join("; ");
}
