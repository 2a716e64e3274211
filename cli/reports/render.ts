/**
 * `reports` output: a table for terminals and stable JSON. Report content is hostile: every string
 * that came from a report or a file name is escaped before it reaches a terminal (C0 and C1
 * controls, DEL, and the Unicode line separators and bidirectional overrides that can disguise
 * text), and the JSON escapes the same characters, so that `cat`ing it is safe too.
 */
import type { DomainSummary } from "./aggregate";
import type { StackJoin } from "./join";
import { describePolicy } from "./policy";
import type { PolicyPublished } from "./model";
import { percent } from "./recommend";

export interface ReportEntry {
  readonly file: string;
  /** Attachment and archive members from the outside in. */
  readonly inside: readonly string[];
  readonly message: string;
}

export interface ReportsResult {
  readonly domains: readonly (DomainSummary & { readonly stack: StackJoin | null })[];
  readonly errors: readonly ReportEntry[];
  /** Inputs that carry no report and were not named as one. */
  readonly skipped: readonly ReportEntry[];
  readonly summary: {
    /** Input files read (after walking directories). */
    readonly files: number;
    /** Distinct reports counted. */
    readonly reports: number;
    /** Copies of a report already counted (same organisation, domain and report ID). */
    readonly duplicates: number;
    /** Reports left out by `--since`. */
    readonly beforeSince: number;
  };
}

// eslint-disable-next-line no-control-regex -- control characters are what is escaped here
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves unescaped of the above (it escapes C0 controls itself). */
const JSON_UNSAFE = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Makes a string from a report safe to print: controls and direction overrides become `\xNN`/`\uNNNN`. */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

export function renderJson(result: ReportsResult): string {
  // JSON.stringify escapes C0 controls; C1 controls and overrides are escaped as \u too.
  const json = JSON.stringify(result, null, 2).replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${json}\n`;
}

function columns(rows: readonly (readonly string[])[], indent: string): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd(),
  );
}

function published(policy: PolicyPublished): string {
  const tags: string[] = [`p=${policy.p}`];
  if (policy.sp !== undefined) tags.push(`sp=${policy.sp}`);
  if (policy.np !== undefined) tags.push(`np=${policy.np}`);
  if (policy.testing !== undefined) tags.push(`t=${policy.testing}`);
  if (policy.pct !== undefined) tags.push(`pct=${policy.pct}`);
  if (policy.adkim !== undefined) tags.push(`adkim=${policy.adkim}`);
  if (policy.aspf !== undefined) tags.push(`aspf=${policy.aspf}`);
  return tags.join("; ");
}

const passFail = (ok: boolean): string => (ok ? "pass" : "fail");
const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function renderStack(join: StackJoin, lines: string[]): void {
  lines.push(`  stack ${join.stack}: ${join.policy === null ? "no DMARC record" : describePolicy(join.policy)}`);
  const next = join.nextStep;
  if (next !== null) {
    const excepted =
      next.overridden > 0 ? ` (${next.overridden} of them excepted by receivers: mailing list, forwarding)` : "";
    lines.push(
      `    next step (${next.change}): ${count(next.quarantine, "message")} would be quarantined, ${next.reject} rejected${excepted}`,
    );
    lines.push(
      ...columns(
        next.bySource.map((s) => [s.ip, s.action, String(s.messages)]),
        "      ",
      ),
    );
  }
  if (join.failingSources.length > 0) {
    lines.push("    failing sources:");
    lines.push(
      ...columns(
        join.failingSources.map((s) => [
          s.ip,
          String(s.messages),
          s.kind === "esp" ? (s.esp ?? "esp") : s.kind,
          escapeText(s.note),
        ]),
        "      ",
      ),
    );
  }
  for (const s of join.selectors.seenNotPublished) {
    const what = s.state === "unpublished" ? "not published by the stack" : `${s.state} in the stack`;
    lines.push(
      `    selector ${escapeText(s.selector)} signs ${count(s.messages, "message")} (${s.pass} pass, ${s.fail} fail) but is ${what}`,
    );
  }
  if (join.selectors.activeNotSeen.length > 0) {
    lines.push(`    active selectors no report shows signing: ${join.selectors.activeNotSeen.join(", ")}`);
  }
  for (const fix of join.spfIncludes) {
    lines.push(
      `    SPF: include:${fix.include} (${fix.esp}) would make ${fix.sources.join(", ")} pass SPF aligned (${count(fix.messages, "message")})`,
    );
  }
  lines.push(`    recommendation (${join.recommendation.verdict}): ${escapeText(join.recommendation.summary)}`);
}

export function renderTable(result: ReportsResult): string {
  const lines: string[] = [];
  for (const d of result.domains) {
    if (lines.length > 0) lines.push("");
    const name = escapeText(d.domain);
    if (d.reports === 0) {
      lines.push(`${name}: no reports`);
    } else {
      const share = d.messages === 0 ? "" : ` (${percent(d.dmarcPass / d.messages)})`;
      lines.push(
        `${name}: ${count(d.reports, "report")}, ${count(d.messages, "message")}, DMARC pass ${d.dmarcPass}${share}, fail ${d.dmarcFail}`,
      );
      lines.push(
        `  from: ${d.organisations.map((o) => `${escapeText(o.name)} (${count(o.reports, "report")}, ${count(o.messages, "message")})`).join(", ")}`,
      );
      if (d.dateRange !== null) {
        lines.push(`  dates: ${d.dateRange.begin} to ${d.dateRange.end} (${count(d.dateRange.days, "day")})`);
      }
      if (d.policyPublished !== null) lines.push(`  published (latest report): ${published(d.policyPublished)}`);
      const rows = [
        ["SOURCE", "MESSAGES", "DMARC", "SPF", "DKIM", "DISPOSITION", "HEADER FROM", "DKIM d=/s= result"],
        ...d.sources.map((s) => [
          s.ip,
          String(s.count),
          s.dmarc,
          passFail(s.spfAligned),
          passFail(s.dkimAligned),
          s.disposition,
          escapeText(s.headerFrom.map((h) => h.domain).join(",")),
          escapeText(s.dkim.map((e) => `${e.domain}/${e.selector === "" ? "-" : e.selector} ${e.result}`).join(", ")),
        ]),
      ];
      lines.push(...columns(rows, "  "));
    }
    if (d.stack !== null) renderStack(d.stack, lines);
  }
  if (result.domains.length === 0) {
    lines.push(`no DMARC aggregate reports read from ${count(result.summary.files, "file")}`);
  }
  const extra: string[] = [];
  if (result.summary.duplicates > 0) {
    extra.push(`${count(result.summary.duplicates, "duplicate report")} counted once`);
  }
  if (result.summary.beforeSince > 0) {
    extra.push(`${count(result.summary.beforeSince, "report")} ending before --since left out`);
  }
  if (result.skipped.length > 0) {
    extra.push(`${count(result.skipped.length, "input")} without a report skipped (--format json lists them)`);
  }
  if (extra.length > 0) lines.push("", extra.join("; "));
  return `${lines.join("\n")}\n`;
}

/** `errors` lines for stderr: `error: <file> > <member>: <message>`. */
export function renderErrors(errors: readonly ReportEntry[]): string {
  return errors
    .map((e) => `error: ${escapeText([e.file, ...e.inside].join(" > "))}: ${escapeText(e.message)}\n`)
    .join("");
}
