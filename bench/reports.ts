/**
 * Benchmark 5, reports (issue #15): `sender-auth reports <dir> --format json` over N generated
 * aggregate reports (about 12 KB of XML each, 25 records, 20 domains, 4 receivers' shapes), in
 * worker threads, one per core (the default from 500 files on), and in one thread (`--workers 0`), against a floor that reads the same files and parses them with the same XML
 * parser (saxes) in one thread and nothing else. The reports are plain XML so that every side parses
 * the same bytes. The three run in turn, so that machine load hits them alike; the load average is
 * printed with the results, since the 2 cores are shared.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import type { ReportsResult } from "../cli/reports/render";
import { reportXml, type RecordSpec } from "../test/support/reports";
import { REPO_ROOT } from "./lib/generate";
import {
  floorEnv,
  formatSummary,
  megabytes,
  ms,
  progress,
  runChild,
  summarize,
  table,
  type ChildRun,
  type Summary,
} from "./lib/stats";

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

/** Runs each side `runs` times in turn (a, b, c, a, b, c, ...) after one untimed warm-up of each. */
async function inTurn(runs: number, sides: readonly (() => Promise<ChildRun>)[]): Promise<ChildRun[][]> {
  for (const side of sides) await side();
  const results: ChildRun[][] = sides.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [s, side] of sides.entries()) results[s]?.push(await side());
  }
  return results;
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

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
      const subject = (workers: readonly string[]) => (): Promise<ChildRun> =>
        runChild(process.execPath, [CLI, "reports", dir, "--format", "json", ...workers], { cwd: dir, rss: true });
      const floor = (): Promise<ChildRun> =>
        runChild(process.execPath, [FLOOR, dir], { cwd: REPO_ROOT, env: floorEnv(), rss: true });
      const first = await subject(["--workers", "2"])();
      const parsed = JSON.parse(first.stdout) as ReportsResult;
      if (parsed.summary.reports !== n || parsed.errors.length > 0) {
        throw new Error(`reports should count all ${n} generated reports: ${JSON.stringify(parsed.summary)}`);
      }
      if ((await subject(["--workers", "0"])()).stdout !== first.stdout) {
        throw new Error("reports printed different output with worker threads and without");
      }
      const loadBefore = load();
      // One thread per core, as the default is from 500 files on (and below, so --quick uses them too).
      const threads = ["--workers", String(availableParallelism())];
      const [pooled = [], single = [], floors = []] = await inTurn(runs, [
        subject(threads),
        subject(["--workers", "0"]),
        floor,
      ]);
      const wall = (list: readonly ChildRun[]): Summary => summarize(list.map((r) => r.wallMs));
      const rss = (list: readonly ChildRun[]): string => megabytes(Math.max(...list.map((r) => r.maxRssBytes ?? 0)));
      const [p, o, f] = [wall(pooled), wall(single), wall(floors)];
      const cpu = (list: readonly ChildRun[]): number => summarize(list.map((r) => r.cpuMs ?? 0)).median;
      const [pc, oc, fc] = [cpu(pooled), cpu(single), cpu(floors)];
      rows.push([
        String(n),
        megabytes(bytes),
        formatSummary(p),
        formatSummary(o),
        formatSummary(f),
        `${(p.median / f.median).toFixed(2)}× / ${(o.median / f.median).toFixed(2)}×`,
        `${ms(pc)} / ${ms(oc)} / ${ms(fc)} (${(pc / fc).toFixed(2)}× / ${(oc / fc).toFixed(2)}×)`,
        `${(bytes / (1024 * 1024) / (p.median / 1000)).toFixed(1)} MiB/s`,
        `${rss(pooled)} / ${rss(single)} / ${rss(floors)}`,
        `${loadBefore} → ${load()}`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return table(
    [
      "reports",
      "XML",
      "reports --workers <cores>: median (min–max)",
      "reports --workers 0",
      "floor",
      "wall ratio to the floor: threads / one",
      "CPU (all threads) threads / one / floor (ratio to the floor)",
      "throughput",
      "peak RSS threads / one / floor",
      "load average (1, 5, 15 min) before → after",
    ],
    rows,
  );
}
