/**
 * The data a DMARC aggregate report carries once parsed (RFC 7489 Appendix C; RFC 9990 §3), the
 * bounds every reader and parser keeps, and the bounded counters sources are summed in. Plain data
 * only (Maps, arrays, numbers), so that a parsed report can cross a worker boundary unchanged.
 */

/** `policy_evaluated/disposition`: RFC 9990 adds `pass` (passed DMARC under an enforcing policy). */
export const DISPOSITIONS = ["none", "pass", "quarantine", "reject"] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** `p`, `sp`, `np` in `policy_published`. */
export const PUBLISHED_POLICIES = ["none", "quarantine", "reject"] as const;
export type PublishedPolicy = (typeof PUBLISHED_POLICIES)[number];

/** Where a report came from: the file, and the members inside it (attachment, archive entry). */
export interface Origin {
  readonly file: string;
  /** Attachment and archive member names from the outside in; empty for a plain XML file. */
  readonly inside: readonly string[];
}

/**
 * A counter keyed by string that keeps at most {@link TALLY_KEYS} keys; amounts for further keys
 * are summed in `overflow`. Hostile reports cannot grow memory through it.
 */
export interface Tally {
  readonly counts: Map<string, number>;
  overflow: number;
}

/** Distinct keys one tally keeps (RFC 9990 §3.1.7: no more than 100 DKIM signatures per row). */
export const TALLY_KEYS = 100;

export function newTally(): Tally {
  return { counts: new Map(), overflow: 0 };
}

export function tallyAdd(tally: Tally, key: string, amount: number): void {
  const had = tally.counts.get(key);
  if (had !== undefined) tally.counts.set(key, had + amount);
  else if (tally.counts.size < TALLY_KEYS) tally.counts.set(key, amount);
  else tally.overflow += amount;
}

export function tallyMerge(into: Tally, from: Tally): void {
  for (const [key, amount] of from.counts) tallyAdd(into, key, amount);
  into.overflow += from.overflow;
}

/** Keys of a tally in code-unit order. */
export function tallyKeys(tally: Tally): string[] {
  return [...tally.counts.keys()].sort(compareText);
}

/** Code-unit order, the same on every machine and locale (sorting never depends on the environment). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Messages from one source IP that met one outcome, summed over the records of one report (and
 * later over reports): the key is IP, disposition and the two DMARC-aligned results.
 */
export interface SourceRow {
  readonly ip: string;
  readonly disposition: Disposition;
  /** `policy_evaluated/spf` was pass: SPF passed and its domain aligned with the From domain. */
  readonly spfAligned: boolean;
  /** `policy_evaluated/dkim` was pass: a DKIM signature passed and its d= aligned. */
  readonly dkimAligned: boolean;
  count: number;
  /** RFC5322.From domains → messages. */
  readonly headerFrom: Tally;
  /** RFC5321.MailFrom domains (`identifiers/envelope_from`) → messages. */
  readonly envelopeFrom: Tally;
  /** `<domain>\0<selector>\0<result>` of each DKIM signature → messages. */
  readonly dkim: Tally;
  /** `<domain>\0<scope>\0<result>` of each SPF check → messages. */
  readonly spf: Tally;
  /** `policy_evaluated/reason/type` → messages. */
  readonly reasons: Tally;
}

export function rowKey(ip: string, disposition: Disposition, spfAligned: boolean, dkimAligned: boolean): string {
  return `${ip}\0${disposition}\0${spfAligned ? 1 : 0}${dkimAligned ? 1 : 0}`;
}

export function newRow(ip: string, disposition: Disposition, spfAligned: boolean, dkimAligned: boolean): SourceRow {
  return {
    ip,
    disposition,
    spfAligned,
    dkimAligned,
    count: 0,
    headerFrom: newTally(),
    envelopeFrom: newTally(),
    dkim: newTally(),
    spf: newTally(),
    reasons: newTally(),
  };
}

export function mergeRow(into: SourceRow, from: SourceRow): void {
  into.count += from.count;
  tallyMerge(into.headerFrom, from.headerFrom);
  tallyMerge(into.envelopeFrom, from.envelopeFrom);
  tallyMerge(into.dkim, from.dkim);
  tallyMerge(into.spf, from.spf);
  tallyMerge(into.reasons, from.reasons);
}

/** `policy_published`: the DMARC record the receiver found (RFC 9990 §3.1.5; RFC 7489 Appendix C). */
export interface PolicyPublished {
  readonly domain: string;
  readonly p: PublishedPolicy;
  readonly sp?: PublishedPolicy;
  readonly np?: PublishedPolicy;
  /** RFC 7489 only (RFC 9989 removed `pct`). */
  readonly pct?: number;
  readonly adkim?: "r" | "s";
  readonly aspf?: "r" | "s";
  /** RFC 9990 `testing` (the `t` tag). */
  readonly testing?: "y" | "n";
  readonly fo?: string;
  /** RFC 9990: `psl` or `treewalk`. */
  readonly discoveryMethod?: "psl" | "treewalk";
}

/** The three shapes reports come in. */
export const REPORT_FORMATS = ["rfc9990", "rfc7489", "draft"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ParsedReport {
  /** `rfc9990` (its namespace), `rfc7489` (`<version>`, no or the dmarc.org namespace), `draft` (neither). */
  readonly format: ReportFormat;
  readonly org: string;
  readonly reportId: string;
  /** Seconds since the epoch, UTC (RFC 9990 §3.1.3). */
  readonly begin: number;
  readonly end: number;
  readonly generator?: string;
  readonly policy: PolicyPublished;
  readonly messages: number;
  readonly rows: readonly SourceRow[];
}

/**
 * How far the readers and the parser go before they give up on an input. Every bound turns into an
 * `errors` entry naming the file (and member), never into a crash or unbounded memory.
 */
export interface ReadLimits {
  /** Largest XML document, decompressed. @default 64 MiB */
  readonly documentBytes: number;
  /** Decompressed bytes read from one input file, all its members together. @default 256 MiB */
  readonly fileBytes: number;
  /** Decompressed bytes read in one run. @default 4 GiB */
  readonly totalBytes: number;
  /** Largest email message, and largest nested archive held in memory. @default 64 MiB */
  readonly messageBytes: number;
  /** Containers (email, zip, gzip) around a report, counted from the file. @default 4 */
  readonly nesting: number;
  /** Entries of one zip archive. @default 1000 */
  readonly zipEntries: number;
  /** XML element depth (reports need 6). @default 32 */
  readonly xmlDepth: number;
  /** Distinct sources (domain, IP, outcome) kept over the whole run. @default 1,000,000 */
  readonly sources: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: ReadLimits = {
  documentBytes: 64 * MIB,
  fileBytes: 256 * MIB,
  totalBytes: 4096 * MIB,
  messageBytes: 64 * MIB,
  nesting: 4,
  zipEntries: 1000,
  xmlDepth: 32,
  sources: 1_000_000,
};
