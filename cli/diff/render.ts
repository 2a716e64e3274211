/**
 * Renders a diff for a pull-request comment (Markdown: summary first, details folded), for a terminal
 * (text, coloured when the terminal allows) or for scripts (JSON).
 */
import type { Paint } from "../colour";
import type { RecordChange, StackDiff } from "./analyze";

export interface DiffReport {
  /** The base ref as given and the commit it resolved to. */
  readonly base: { readonly ref: string; readonly commit: string };
  readonly stacks: readonly StackDiff[];
  /** Problems of stacks whose head config is invalid (the diff fails). */
  readonly errors: readonly string[];
  /** Problems of the base side's configs (reported; those stacks are not compared). */
  readonly notes: readonly string[];
}

/** An HTML comment that marks the comment, so CI can update it in place. */
export const COMMENT_MARKER = "<!-- sender-auth-diff -->";

const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;
const cell = (text: string): string => text.replace(/\|/g, "\\|");

/** The stacks that change, and their record changes by kind. */
function summarize(report: DiffReport): { changed: StackDiff[]; count: (change: RecordChange["change"]) => number } {
  const changed = report.stacks.filter((s) => s.status !== "unchanged" && s.status !== "invalid");
  const count = (change: RecordChange["change"]): number =>
    changed.reduce((n, s) => n + s.records.filter((r) => r.change === change).length, 0);
  return { changed, count };
}

const WEAKENS_MARK = "⚠️ **weakens:**";

export function renderMarkdown(report: DiffReport): string {
  const { changed, count } = summarize(report);
  const unsafe = changed.flatMap((s) => s.unsafe.map((reason) => `${s.stack}: ${reason}`));
  const lines = [
    COMMENT_MARKER,
    `### sender-auth: DNS changes against ${code(report.base.ref)} (${report.base.commit.slice(0, 12)})`,
    "",
  ];
  if (changed.length === 0) {
    lines.push(`No DNS record changes in ${report.stacks.length} stack(s).`);
  } else {
    lines.push(
      `**${changed.length} of ${report.stacks.length} stack(s) change**: ${count("added")} record(s) added, ` +
        `${count("removed")} removed, ${count("changed")} changed.`,
      "",
    );
    for (const stack of changed) {
      const title = `- **${stack.stack}**${stack.domain === undefined ? "" : ` (${stack.domain})`}`;
      if (stack.meanings.length === 0) {
        lines.push(`${title}: record changes only`);
        continue;
      }
      lines.push(`${title}:`);
      for (const meaning of stack.meanings) {
        lines.push(`  - ${stack.weakening.includes(meaning) ? `${WEAKENS_MARK} ` : ""}${meaning}`);
      }
    }
  }
  if (unsafe.length > 0) {
    lines.push("", `> [!CAUTION]`, `> **${unsafe.length} unsafe change(s)** — CI fails unless \`--allow-unsafe\`:`);
    for (const reason of unsafe) lines.push(`> - ${reason}`);
  }
  for (const stack of changed) {
    lines.push("", `<details><summary>${stack.stack}: ${stack.records.length} record change(s)</summary>`, "");
    if (stack.records.length === 0) {
      lines.push("No record changes.");
    } else {
      lines.push("| change | name | type | value |", "| --- | --- | --- | --- |");
      for (const record of stack.records) {
        const value =
          record.change === "changed"
            ? `${code(record.before ?? "")} → ${code(record.after ?? "")}`
            : code(record.after ?? record.before ?? "");
        lines.push(`| ${record.change} | ${code(record.name)} | ${record.type} | ${cell(value)} |`);
      }
    }
    lines.push("", "</details>");
  }
  if (report.errors.length > 0) {
    lines.push("", "**Invalid configuration:**", "");
    for (const error of report.errors) lines.push(`- ${error}`);
  }
  if (report.notes.length > 0) {
    lines.push("", "**Invalid configuration on the base side** (those stacks are not compared):", "");
    for (const note of report.notes) lines.push(`- ${note}`);
  }
  return `${lines.join("\n")}\n`;
}

export function renderDiffJson(report: DiffReport): string {
  const unsafe = report.stacks.some((s) => s.unsafe.length > 0);
  return `${JSON.stringify({ base: report.base, unsafe, stacks: report.stacks, errors: report.errors, notes: report.notes }, null, 2)}\n`;
}

/**
 * The report for a terminal: per changed stack what it means (`-`), what weakens (`!`), what is unsafe
 * (`X`), then its records (`+` added, `-` removed, `~` changed with the old and new value below).
 * The marks and words carry the meaning; colour (when `paint` has it) only repeats it.
 */
export function renderText(report: DiffReport, paint: Paint): string {
  const { changed, count } = summarize(report);
  const lines = [
    paint.bold(`sender-auth: DNS changes against ${report.base.ref} (${report.base.commit.slice(0, 12)})`),
    changed.length === 0
      ? `No DNS record changes in ${report.stacks.length} stack(s).`
      : `${changed.length} of ${report.stacks.length} stack(s) change: ${count("added")} record(s) added, ` +
        `${count("removed")} removed, ${count("changed")} changed.`,
  ];
  for (const stack of changed) {
    lines.push("", paint.bold(`${stack.stack}${stack.domain === undefined ? "" : ` (${stack.domain})`}`));
    for (const meaning of stack.meanings) {
      lines.push(
        stack.weakening.includes(meaning) ? paint.yellow(`  ! ${paint.bold("weakens:")} ${meaning}`) : `  - ${meaning}`,
      );
    }
    for (const reason of stack.unsafe) lines.push(paint.red(`  X ${paint.bold("unsafe:")} ${reason}`));
    if (stack.records.length === 0) {
      lines.push(paint.dim("  no record changes"));
      continue;
    }
    lines.push("  records:");
    for (const record of stack.records) {
      const subject = `${record.name} ${record.type}`;
      if (record.change === "added") lines.push(paint.green(`    + ${subject} ${record.after ?? ""}`));
      else if (record.change === "removed") lines.push(paint.red(`    - ${subject} ${record.before ?? ""}`));
      else {
        lines.push(paint.yellow(`    ~ ${subject}`));
        lines.push(paint.red(`        - ${record.before ?? ""}`), paint.green(`        + ${record.after ?? ""}`));
      }
    }
  }
  if (report.errors.length > 0) {
    lines.push("", paint.red(paint.bold("Invalid configuration:")));
    for (const error of report.errors) lines.push(paint.red(`  ${error}`));
  }
  if (report.notes.length > 0) {
    lines.push("", "Invalid configuration on the base side (those stacks are not compared):");
    for (const note of report.notes) lines.push(`  ${note}`);
  }
  return `${lines.join("\n")}\n`;
}
