/**
 * `sender-auth status` output: JSON (one array of rows, issue #14's shape) or a table with one line
 * per stack followed by the reasons and problems. Rows are rendered in the order given (stack
 * order), each from its own data alone, so the output never depends on how the rows were computed.
 */
import { printable } from "../render/printable";
import { describePolicy } from "../reports/policy";
import type { StatusRow } from "./row";

export function renderStatusJson(rows: readonly StatusRow[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}

function dmarcCell(row: StatusRow): string {
  const d = row.dmarc;
  return d === null ? "-" : describePolicy({ p: d.policy, sp: d.subdomainPolicy, testing: d.testing, pct: d.percent });
}

function selectorsCell(row: StatusRow): string {
  if (row.selectors.length === 0) return "-";
  return row.selectors
    .map((s) => {
      const key = s.algorithm === null ? "cname" : s.algorithm === "rsa" ? `rsa-${s.bits ?? "?"}` : s.algorithm;
      return `${s.selector} ${s.status ?? "?"} ${key}${s.ageDays === null ? "" : ` ${s.ageDays}d`}`;
    })
    .join(", ");
}

function rotationCell(row: StatusRow): string {
  const r = row.rotation;
  if (r.next === null) return "-";
  if (r.due) return `${r.next} due`;
  if (r.reason.startsWith("waiting")) return `${r.next} waiting`;
  return r.notBefore === undefined ? `${r.next} not due` : `${r.next} from ${r.notBefore}`;
}

export function renderStatusTable(rows: readonly StatusRow[]): string {
  const withReports = rows.some((r) => r.recommendation !== undefined);
  const header = [
    "STACK",
    "DOMAIN",
    "PROVIDER",
    "DMARC",
    "SELECTORS",
    "ROTATION",
    "WARNINGS",
    "PROBLEMS",
    ...(withReports ? ["REPORTS"] : []),
  ];
  const table = [
    header,
    ...rows.map((row) => [
      row.stack,
      printable(row.domain ?? "-"),
      row.provider ?? "-",
      dmarcCell(row),
      printable(selectorsCell(row)),
      rotationCell(row),
      String(row.warnings.length),
      String(row.problems.length),
      ...(withReports ? [row.recommendation?.verdict ?? "-"] : []),
    ]),
  ];
  const widths = header.map((_, column) => Math.max(...table.map((line) => (line[column] ?? "").length)));
  const lines = table.map((line) =>
    line
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  const details: string[] = [];
  for (const row of rows) {
    if (row.rotation.next !== null || row.problems.length === 0) {
      details.push(`${row.stack}: rotation: ${printable(row.rotation.reason)}`);
    }
    if (row.recommendation !== undefined) {
      details.push(`${row.stack}: reports: ${printable(row.recommendation.summary)}`);
    }
    for (const problem of row.problems) details.push(`${row.stack}: problem: ${printable(problem)}`);
  }
  const warned = rows.filter((r) => r.warnings.length > 0).length;
  const footer =
    warned === 0 ? [] : [`${warned} stack${warned === 1 ? "" : "s"} with warnings: --format json lists them`];
  return `${[...lines, ...(details.length === 0 ? [] : ["", ...details]), ...(footer.length === 0 ? [] : ["", ...footer])].join("\n")}\n`;
}
