/** Human-readable plan: one line per record, grouped by stack. Values are shown in full. */
import type { StackPlan } from "../mockRun";

/** One stack's block of `plan --format table`, ending in a newline (cli/render/plans.ts separates blocks by an empty line). */
export function tableBlock(plan: StackPlan): string {
  const header =
    `${plan.stack}: ${plan.domain} on ${plan.provider} (zone ${plan.zoneId}), ${plan.records.length} records, ` +
    `${plan.resources.length} resources`;
  const rows = [
    ["NAME", "TYPE", "TTL", "PURPOSE", "VALUE"],
    ...plan.records.map((r) => [
      r.name,
      r.type,
      String(r.ttl),
      r.selector === undefined ? r.purpose : `${r.purpose} ${r.selector}`,
      r.value,
    ]),
  ];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  const lines = rows.map((row) =>
    `  ${row.map((cell, column) => (column < 4 ? cell.padEnd(widths[column] ?? 0) : cell)).join("  ")}`.trimEnd(),
  );
  return `${[header, ...lines].join("\n")}\n`;
}
