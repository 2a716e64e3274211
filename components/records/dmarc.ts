/** DMARC record builder (RFC 7489 §6.3, RFC 9989). Pure, no Pulumi imports. */
import { DMARC_ALIGNMENT_TAGS, type DmarcConfig } from "../model";
import { domainNameProblem } from "./names";

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
 * RFC 9989 (any order after v); only tags that were configured are emitted (rules F3–F5).
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

export type MailtoInspection =
  | { readonly ok: true; readonly host: string; readonly sizeLimit: string | undefined }
  | { readonly ok: false; readonly problem: string };

/** RFC 5322 dot-atom local part; `,` and `!` would break the URI list (RFC 7489 §6.2), so they must be %-encoded. */
const LOCAL_PART = /^(?:[A-Za-z0-9#$%&'*+/=?^_`{|}~-]+)(?:\.[A-Za-z0-9#$%&'*+/=?^_`{|}~-]+)*$/;

/**
 * Parses one `rua`/`ruf` destination. Only `mailto:` is accepted: it is the one scheme receivers must
 * support (RFC 7489 §6.2, rules F6). An optional `!<size>[kmgt]` suffix is recognised (RFC 7489 §6.4).
 */
export function inspectMailto(uri: string): MailtoInspection {
  if (!uri.startsWith("mailto:")) {
    return { ok: false, problem: "is not a mailto: URI (DMARC receivers are only required to support mailto:)" };
  }
  const [address = "", size, extra] = uri.slice("mailto:".length).split("!");
  if (extra !== undefined || (size !== undefined && !/^[0-9]+[kmgt]?$/.test(size))) {
    return { ok: false, problem: "has a malformed size limit; it must be !<digits> optionally followed by k, m, g or t" };
  }
  const at = address.lastIndexOf("@");
  const local = address.slice(0, at);
  const host = address.slice(at + 1);
  if (at <= 0 || !LOCAL_PART.test(local)) {
    return { ok: false, problem: "does not hold an address local@domain (percent-encode , and ! inside it)" };
  }
  const hostProblem = domainNameProblem(host, { underscores: false });
  if (hostProblem !== undefined) return { ok: false, problem: `has a domain that ${hostProblem}` };
  return { ok: true, host, sizeLimit: size };
}
