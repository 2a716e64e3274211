/** BIMI assertion record builder (draft-brand-indicators-for-message-identification §4.3). Pure, no Pulumi imports. */
import type { BimiConfig } from "./schema";

/** Owner name of the assertion record (BIMI draft §4.2). */
export function bimiRecordName(selector: string, domain: string): string {
  return `${selector}._bimi.${domain}`;
}

/** `v=BIMI1; l=<logo>;`, and `a=<authority>` after it when a certificate is declared. */
export function buildBimiValue(bimi: Pick<BimiConfig, "logo" | "authority">): string {
  return bimi.authority === undefined ? `v=BIMI1; l=${bimi.logo};` : `v=BIMI1; l=${bimi.logo}; a=${bimi.authority}`;
}

/** The settings of a `sender-auth:dmarc` that receivers do not show a logo under, each in words. */
export interface DmarcForBimi {
  readonly policy?: unknown;
  readonly subdomainPolicy?: unknown;
  readonly percent?: unknown;
  readonly testing?: unknown;
}

/**
 * Why receivers show no logo for this DMARC config (BIMI draft §7.1 steps 7–9: p and sp not none, no
 * pct below 100; a policy in testing, t=y, is not enforced yet, RFC 9989), as [key, reason] pairs.
 */
export function dmarcEnforcementGaps(dmarc: DmarcForBimi): [string, string][] {
  const gaps: [string, string][] = [];
  if (dmarc.policy !== "quarantine" && dmarc.policy !== "reject") {
    gaps.push(["policy", `is ${JSON.stringify(dmarc.policy)}, not quarantine or reject`]);
  }
  if (dmarc.subdomainPolicy === "none") gaps.push(["subdomainPolicy", 'is "none"']);
  if (typeof dmarc.percent === "number" && dmarc.percent < 100) {
    gaps.push(["percent", `is ${dmarc.percent}: the policy applies to part of the mail only`]);
  }
  if (dmarc.testing === true) gaps.push(["testing", "is true: receivers do not enforce a policy in testing (t=y)"]);
  return gaps;
}
