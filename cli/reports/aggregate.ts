/**
 * Parsed reports → one summary per policy domain. Reports are added in input order; a report seen
 * again (same reporting organisation, policy domain and report ID, RFC 9990 §3.2.1: the Report-ID
 * is unique per domain, and a resent report keeps it) is counted once, the first copy wins.
 */
import {
  compareText,
  mergeRow,
  newRow,
  rowKey,
  tallyKeys,
  type Origin,
  type ParsedReport,
  type PolicyPublished,
  type SourceRow,
  type Tally,
} from "./model";

const DAY_SECONDS = 86_400;

interface DomainState {
  readonly domain: string;
  reports: number;
  messages: number;
  dmarcPass: number;
  readonly organisations: Map<string, { reports: number; messages: number }>;
  /** [first day, last day] of each report, in days since the epoch. */
  readonly spans: [number, number][];
  begin: number;
  end: number;
  /** The policy of the report that ends last (the first such report on a tie). */
  latest: { end: number; policy: PolicyPublished } | undefined;
  readonly rows: Map<string, SourceRow>;
}

/** Sums reports per policy domain. */
export class Aggregator {
  private readonly domains = new Map<string, DomainState>();
  private readonly seen = new Set<string>();
  private sources = 0;
  duplicates = 0;
  reports = 0;

  constructor(private readonly maxSources: number) {}

  /** Adds a report; returns an error message when it cannot be counted, `"duplicate"` when seen before. */
  add(report: ParsedReport): "added" | "duplicate" | { error: string } {
    const key = `${report.org}\0${report.policy.domain}\0${report.reportId}`;
    if (this.seen.has(key)) {
      this.duplicates++;
      return "duplicate";
    }
    let state = this.domains.get(report.policy.domain);
    // Each row's key is computed once: this runs for every row of every report.
    const keys = report.rows.map((row) => rowKey(row.ip, row.disposition, row.spfAligned, row.dkimAligned));
    let fresh = 0;
    for (const key of keys) if (state?.rows.has(key) !== true) fresh++;
    if (this.sources + fresh > this.maxSources) {
      return { error: `more than ${this.maxSources} distinct sources in this run: the report is not counted` };
    }
    if ((state?.messages ?? 0) + report.messages > Number.MAX_SAFE_INTEGER) {
      return { error: "the message counts add up to more than can be counted exactly: the report is not counted" };
    }
    this.seen.add(key);
    this.reports++;
    if (state === undefined) {
      state = {
        domain: report.policy.domain,
        reports: 0,
        messages: 0,
        dmarcPass: 0,
        organisations: new Map(),
        spans: [],
        begin: report.begin,
        end: report.end,
        latest: undefined,
        rows: new Map(),
      };
      this.domains.set(state.domain, state);
    }
    this.sources += fresh;
    state.reports++;
    state.messages += report.messages;
    const org = state.organisations.get(report.org) ?? { reports: 0, messages: 0 };
    org.reports++;
    org.messages += report.messages;
    state.organisations.set(report.org, org);
    state.spans.push([
      Math.floor(report.begin / DAY_SECONDS),
      Math.floor(Math.max(report.begin, report.end - 1) / DAY_SECONDS),
    ]);
    state.begin = Math.min(state.begin, report.begin);
    state.end = Math.max(state.end, report.end);
    if (state.latest === undefined || report.end > state.latest.end) {
      state.latest = { end: report.end, policy: report.policy };
    }
    for (const [i, row] of report.rows.entries()) {
      if (row.spfAligned || row.dkimAligned) state.dmarcPass += row.count;
      const rk = keys[i] ?? "";
      let into = state.rows.get(rk);
      if (into === undefined) {
        into = newRow(row.ip, row.disposition, row.spfAligned, row.dkimAligned);
        state.rows.set(rk, into);
      }
      mergeRow(into, row);
    }
    return "added";
  }

  summaries(): DomainSummary[] {
    return [...this.domains.values()].sort((a, b) => compareText(a.domain, b.domain)).map(summarize);
  }
}

/** One DKIM signature as reported (`auth_results/dkim`), with the messages it covered. */
export interface DkimEntry {
  readonly domain: string;
  readonly selector: string;
  readonly result: string;
  readonly messages: number;
}

/** One SPF check as reported (`auth_results/spf`); `scope` is `mfrom`, `helo` or empty when not reported. */
export interface SpfEntry {
  readonly domain: string;
  readonly scope: string;
  readonly result: string;
  readonly messages: number;
}

/** One source IP with one outcome, as `--format json` prints it. */
export interface SourceSummary {
  readonly ip: string;
  readonly count: number;
  readonly dmarc: "pass" | "fail";
  readonly spfAligned: boolean;
  readonly dkimAligned: boolean;
  readonly disposition: SourceRow["disposition"];
  /** Selectors of every DKIM signature reported, whatever its domain and result. */
  readonly dkimSelectors: readonly string[];
  readonly dkimDomains: readonly string[];
  /** RFC5322.From domains with their messages. */
  readonly headerFrom: readonly { readonly domain: string; readonly messages: number }[];
  readonly envelopeFrom: readonly string[];
  readonly dkim: readonly DkimEntry[];
  readonly spf: readonly SpfEntry[];
  /** Policy override reasons (`mailing_list`, `forwarded`, ...) with their messages. */
  readonly reasons: readonly { readonly type: string; readonly messages: number }[];
  /** More distinct values than are kept were reported for this source (100 per list). */
  readonly truncated: boolean;
}

export interface DomainSummary {
  readonly domain: string;
  readonly reports: number;
  readonly messages: number;
  readonly dmarcPass: number;
  readonly dmarcFail: number;
  /** Reporting organisations, most messages first. */
  readonly organisations: readonly { readonly name: string; readonly reports: number; readonly messages: number }[];
  /** From the earliest begin to the latest end, and the number of distinct UTC days the reports cover. */
  readonly dateRange: { readonly begin: string; readonly end: string; readonly days: number } | null;
  /** `policy_published` of the report that ends last. */
  readonly policyPublished: PolicyPublished | null;
  /** Count descending, then IP, then DMARC fail before pass, SPF and DKIM unaligned first, disposition. */
  readonly sources: readonly SourceSummary[];
}

/** `2026-10-01T00:00:00Z`. */
export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Distinct days covered by a set of [first, last] day spans. */
export function daysCovered(spans: readonly (readonly [number, number])[]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let days = 0;
  let reached = -Infinity;
  for (const [first, last] of sorted) {
    const from = Math.max(first, reached + 1);
    if (last >= from) days += last - from + 1;
    reached = Math.max(reached, last);
  }
  return days;
}

function entries(tally: Tally): { parts: [string, string, string]; messages: number }[] {
  return tallyKeys(tally).map((key) => {
    const [a = "", b = "", c = ""] = key.split("\0");
    return { parts: [a, b, c], messages: tally.counts.get(key) ?? 0 };
  });
}

const DISPOSITION_ORDER = { none: 0, pass: 1, quarantine: 2, reject: 3 } as const;

/** The order of `sources`: most messages first, then a fixed order of every other field. */
export function compareSources(a: SourceSummary, b: SourceSummary): number {
  return (
    b.count - a.count ||
    compareText(a.ip, b.ip) ||
    compareText(a.dmarc, b.dmarc) ||
    Number(a.spfAligned) - Number(b.spfAligned) ||
    Number(a.dkimAligned) - Number(b.dkimAligned) ||
    DISPOSITION_ORDER[a.disposition] - DISPOSITION_ORDER[b.disposition]
  );
}

export function sourceSummary(row: SourceRow): SourceSummary {
  const dkim = entries(row.dkim).map(({ parts: [domain, selector, result], messages }) => ({
    domain,
    selector,
    result,
    messages,
  }));
  const unique = (values: string[]): string[] => [...new Set(values)].sort(compareText);
  return {
    ip: row.ip,
    count: row.count,
    dmarc: row.spfAligned || row.dkimAligned ? "pass" : "fail",
    spfAligned: row.spfAligned,
    dkimAligned: row.dkimAligned,
    disposition: row.disposition,
    dkimSelectors: unique(dkim.map((e) => e.selector).filter((s) => s !== "")),
    dkimDomains: unique(dkim.map((e) => e.domain).filter((d) => d !== "")),
    headerFrom: tallyKeys(row.headerFrom).map((domain) => ({
      domain,
      messages: row.headerFrom.counts.get(domain) ?? 0,
    })),
    envelopeFrom: tallyKeys(row.envelopeFrom),
    dkim,
    spf: entries(row.spf).map(({ parts: [domain, scope, result], messages }) => ({ domain, scope, result, messages })),
    reasons: tallyKeys(row.reasons).map((type) => ({ type, messages: row.reasons.counts.get(type) ?? 0 })),
    truncated: [row.headerFrom, row.envelopeFrom, row.dkim, row.spf, row.reasons].some((t) => t.overflow > 0),
  };
}

function summarize(state: DomainState): DomainSummary {
  return {
    domain: state.domain,
    reports: state.reports,
    messages: state.messages,
    dmarcPass: state.dmarcPass,
    dmarcFail: state.messages - state.dmarcPass,
    organisations: [...state.organisations]
      .map(([name, o]) => ({ name, reports: o.reports, messages: o.messages }))
      .sort((a, b) => b.messages - a.messages || compareText(a.name, b.name)),
    dateRange: { begin: isoSeconds(state.begin), end: isoSeconds(state.end), days: daysCovered(state.spans) },
    policyPublished: state.latest?.policy ?? null,
    sources: [...state.rows.values()].map(sourceSummary).sort(compareSources),
  };
}

/** A domain no report mentions (a stack whose reports were not given). */
export function emptySummary(domain: string): DomainSummary {
  return {
    domain,
    reports: 0,
    messages: 0,
    dmarcPass: 0,
    dmarcFail: 0,
    organisations: [],
    dateRange: null,
    policyPublished: null,
    sources: [],
  };
}

/** Where a report was read, for messages. */
export function originLabel(origin: Origin): string {
  return origin.inside.length === 0 ? origin.file : `${origin.file} > ${origin.inside.join(" > ")}`;
}
