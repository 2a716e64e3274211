/**
 * Benchmark 5, reports (issue #15): `sender-auth reports <dir> --format json` over N generated
 * aggregate reports (about 10 KB of XML each, 25 records, 20 domains, 4 receivers' shapes), against
 * a floor that reads the same files and parses them with the same XML parser (saxes) and nothing
 * else. The reports are plain XML so that both sides parse the same bytes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { ReportsResult } from "../cli/reports/render";
import { reportXml, type RecordSpec } from "../test/support/reports";
import { REPO_ROOT } from "./lib/generate";
import { alternate, floorEnv, formatSummary, megabytes, progress, runChild, table, type ChildRun } from "./lib/stats";

const CLI = path.join(REPO_ROOT, "bin", "sender-auth.js");
const FLOOR = path.join(__dirname, "floors", "reports-floor.cjs");
const ORGS = ["google.com", "Enterprise Outlook", "Yahoo", "Example Receiver"] as const;

/** Report `i`: deterministic, one of 20 domains, one day, 25 records of aligned and failing sources. */
export function generatedReport(i: number): string {
  const domain = `brand${i % 20}.example`;
  const day = Math.floor(i / 20);
  const records: RecordSpec[] = Array.from({ length: 25 }, (_, r) => {
    const failing = r % 5 === 4;
    return {
      ip: r % 7 === 6 ? `2001:db8::${(r * 37 + i) % 500}` : `198.51.${r % 4}.${(r * 13 + i) % 250}`,
      count: 1 + ((i * 31 + r * 17) % 400),
      dkim: failing ? "fail" : "pass",
      spf: failing || r % 3 === 0 ? "fail" : "pass",
      envelopeFrom: failing ? "bounces.sendgrid.net" : domain,
      dkimResults: [
        { domain: failing ? "sendgrid.net" : domain, selector: failing ? "smtpapi" : `s2026${r % 3}`, result: "pass" },
      ],
      spfResults: [{ domain: failing ? "bounces.sendgrid.net" : domain, scope: "mfrom", result: "pass" }],
    };
  });
  return reportXml({
    org: ORGS[i % ORGS.length] ?? "google.com",
    reportId: `bench-${i}`,
    domain,
    begin: 1790812800 + day * 86400,
    p: "none",
    rfc9990: i % 4 === 3,
    records,
  });
}

export async function benchReports(sizes: readonly number[], runs: number): Promise<string> {
  const rows: string[][] = [];
  for (const n of sizes) {
    const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-bench-reports-"));
    try {
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const xml = generatedReport(i);
        bytes += Buffer.byteLength(xml);
        writeFileSync(path.join(dir, `r${String(i).padStart(6, "0")}.xml`), xml);
      }
      progress(`reports: N=${n} (${megabytes(bytes)})`);
      const subject = (): Promise<ChildRun> =>
        runChild(process.execPath, [CLI, "reports", dir, "--format", "json"], { cwd: dir, rss: true });
      const floor = (): Promise<ChildRun> =>
        runChild(process.execPath, [FLOOR, dir], { cwd: REPO_ROOT, env: floorEnv(), rss: true });
      const first = JSON.parse((await subject()).stdout) as ReportsResult;
      if (first.summary.reports !== n || first.errors.length > 0) {
        throw new Error(`reports should count all ${n} generated reports: ${JSON.stringify(first.summary)}`);
      }
      const result = await alternate(runs, subject, floor, (r) => r.wallMs);
      const rss = (list: readonly ChildRun[]): string => megabytes(Math.max(...list.map((r) => r.maxRssBytes ?? 0)));
      rows.push([
        String(n),
        megabytes(bytes),
        formatSummary(result.subjectMs),
        formatSummary(result.floorMs),
        `${(result.subjectMs.median / result.floorMs.median).toFixed(2)}×`,
        `${(bytes / (1024 * 1024) / (result.subjectMs.median / 1000)).toFixed(1)} MiB/s`,
        `${rss(result.subject)} / ${rss(result.floor)}`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return table(
    [
      "reports",
      "XML",
      "reports --format json: median (min–max)",
      "floor: median (min–max)",
      "ratio",
      "throughput",
      "peak RSS reports / floor",
    ],
    rows,
  );
}
