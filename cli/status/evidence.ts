/**
 * Evidence for revoking a retired DKIM key (issue #14): DMARC aggregate reports (RFC 7489 Appendix C,
 * RFC 9990 §3) list, per source, the DKIM signatures receivers saw with their d= and s=. A retired
 * key may be revoked once the reports of the last `overlapDays` days after its retirement show mail
 * signed with its successor and none with it: then every signer has switched, and revoking it fails
 * no mail. Anything less (no reports, reports still showing the old selector, or none showing the
 * new one) is reported as waiting, with the reason.
 */
import { DAY_MS } from "../../components/clock";
import type { ParsedReport } from "../reports/model";
import { isoDate } from "../stackKeys";

/** One report's DKIM signatures for its policy domain: what the evidence needs, kept small. */
export interface Sighting {
  /** Seconds since the epoch (RFC 9990 §3.1.3 date_range). */
  readonly begin: number;
  readonly end: number;
  /** Selector → messages signed with d=<domain> and that selector, whatever the result. */
  readonly selectors: ReadonlyMap<string, number>;
}

/** The sighting of a report for its policy domain. */
export function sightingOf(report: ParsedReport): Sighting {
  const selectors = new Map<string, number>();
  const domain = report.policy.domain;
  for (const row of report.rows) {
    for (const [key, messages] of row.dkim.counts) {
      const [d = "", selector = ""] = key.split("\0");
      if (d.toLowerCase() !== domain || selector === "") continue;
      selectors.set(selector, (selectors.get(selector) ?? 0) + messages);
    }
  }
  return { begin: report.begin, end: report.end, selectors };
}

export interface EvidenceInput {
  readonly domain: string;
  /** The retired selector. */
  readonly retired: string;
  /** The active selector of the same algorithm that replaced it. */
  readonly successor: string | undefined;
  /** YYYY-MM-DD. */
  readonly retiredAt: string;
  readonly overlapDays: number;
  readonly now: Date;
  /** Undefined when no reports were given. */
  readonly sightings: readonly Sighting[] | undefined;
}

export type Evidence = { readonly ok: true; readonly reason: string } | { readonly ok: false; readonly reason: string };

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * Whether the reports dated in the window — from the day after the retirement, or `overlapDays`
 * (at least 1) before today if that is later, to now — show the successor signing and the retired
 * selector not at all.
 */
export function revokeEvidence(input: EvidenceInput): Evidence {
  const { retired, successor, domain, sightings } = input;
  const retiredDay = Math.floor(Date.parse(input.retiredAt) / DAY_MS) * DAY_MS;
  const today = Math.floor(input.now.getTime() / DAY_MS) * DAY_MS;
  const from = Math.max(retiredDay + DAY_MS, today - Math.max(1, input.overlapDays) * DAY_MS);
  const approve = "or approve it (rotate --due --approve-revoke <stack>)";
  const signer = successor ?? "the active key";
  if (sightings === undefined) {
    return {
      ok: false,
      reason: `revoking ${retired} needs evidence that no mail is still signed with it: DMARC aggregate reports (--reports PATH) from ${isoDate(new Date(from))} showing only ${signer} signing, ${approve}`,
    };
  }
  const inWindow = sightings.filter((s) => s.begin * 1000 >= from && s.end * 1000 <= input.now.getTime());
  if (inWindow.length === 0) {
    return {
      ok: false,
      reason: `no DMARC aggregate report for ${domain} dated from ${isoDate(new Date(from))} shows whether ${retired} still signs: give the reports of that period, ${approve}`,
    };
  }
  const first = isoDate(new Date(Math.min(...inWindow.map((s) => s.begin)) * 1000));
  const last = isoDate(new Date((Math.max(...inWindow.map((s) => s.end)) - 1) * 1000));
  const count = (selector: string | undefined): number =>
    selector === undefined ? 0 : inWindow.reduce((n, s) => n + (s.selectors.get(selector) ?? 0), 0);
  const span = `${plural(inWindow.length, "report")} for ${domain} from ${first} to ${last}`;
  const old = count(retired);
  if (old > 0) {
    return {
      ok: false,
      reason: `${span} still show ${plural(old, "message")} signed with ${retired}: switch every signer to ${signer} (npx sender-auth export <stack> --selector ${signer} --format pem), ${approve}`,
    };
  }
  const current = count(successor);
  if (current === 0) {
    return {
      ok: false,
      reason: `${span} show no mail signed with ${signer}: are the signers switched? ${approve.replace(/^or /, "Or ")}`,
    };
  }
  return {
    ok: true,
    reason: `${span} show only ${signer} signing (${plural(current, "message")}), none with ${retired}`,
  };
}
