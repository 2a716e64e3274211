/** Renders a diff for a pull-request comment (Markdown: summary first, details folded) or for scripts (JSON). */
import type { StackDiff } from "./analyze";

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

export function renderMarkdown(report: DiffReport): string {
  const changed = report.stacks.filter((s) => s.status !== "unchanged" && s.status !== "invalid");
  const count = (change: string): number =>
    changed.reduce((n, s) => n + s.records.filter((r) => r.change === change).length, 0);
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
      `**${changed.length} of ${report.stacks.length} stack(s) change**: ${count("added")} record(s) added, ${count("removed")} removed, ${count("changed")} changed.`,
      "",
    );
    for (const stack of changed) {
      lines.push(
        `- **${stack.stack}**${stack.domain === undefined ? "" : ` (${stack.domain})`}: ${stack.meanings.length > 0 ? stack.meanings.join("; ") : "record changes only"}`,
      );
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
