/**
 * Benchmark 7, status over a fleet (issue #14): `sender-auth status --format json` over N generated
 * stacks in one process (worker threads, one per core, from 500 stacks on), against a floor that
 * reads and parses every stack file and works out what a row shows (selectors with key size and age,
 * DMARC stage, the rotation step by the calendar) in plain JavaScript, in one thread, without
 * validating anything (bench/floors/status-floor.cjs). Beside the times: peak RSS, CPU time over
 * wall time (both cores busy shows as about 2×) and the load average when measured.
 */
import * as path from "node:path";
import { generateStacks, REPO_ROOT, writeProject } from "./lib/generate";
import { LARGE_FLEET, once } from "./plan";
import {
  alternate,
  floorEnv,
  formatSummary,
  loadAverages,
  medianCpuPerWall,
  megabytes,
  ms,
  progress,
  runChild,
  table,
  type ChildRun,
} from "./lib/stats";

const CLI = path.join(REPO_ROOT, "bin", "sender-auth.js");
const FLOOR = path.join(__dirname, "floors", "status-floor.cjs");
/** "Now" of every run: the generated keys are then 74 days old, the retired ones revocable. */
const NOW = "2027-01-15T10:00:00Z";

export async function benchStatus(sizes: readonly number[], runs: number): Promise<string> {
  const rows: string[][] = [];
  let previous: { n: number; median: number; floor: number } | undefined;
  for (const n of sizes) {
    const project = writeProject(generateStacks(n));
    try {
      const large = n >= LARGE_FLEET;
      progress(`status: N=${n}, ${large ? 1 : runs} runs each (load ${loadAverages()})`);
      const env = { ...process.env, SENDER_AUTH_NOW: NOW };
      const status = (): Promise<ChildRun> =>
        runChild(process.execPath, [CLI, "status", "--format", "json"], { cwd: project.dir, env, rss: true });
      const stacksDir = path.join(project.dir, "stacks");
      const floor = (): Promise<ChildRun> =>
        runChild(process.execPath, [FLOOR, stacksDir, NOW], { cwd: project.dir, env: floorEnv(), rss: true });
      const first = await status();
      const shown = JSON.parse(first.stdout) as { stack: string; problems: string[] }[];
      const floorRows = JSON.parse((await floor()).stdout) as { stack: string }[];
      if (shown.length !== n || floorRows.length !== n || shown.some((r) => r.problems.length > 0)) {
        throw new Error(`status and its floor should show ${n} rows without problems each`);
      }
      // A large fleet's first run is its timed run: one run takes a minute, its start-up a rounding error.
      const result = large ? await once(first, floor) : await alternate(runs, status, floor, (r) => r.wallMs);
      const subject = result.subjectMs.median;
      const floorMs = result.floorMs.median;
      // Marginal time per added stack since the previous size: flat means linear.
      const perStack = (now: number, before: number | undefined): string =>
        previous === undefined || before === undefined ? "–" : ms((now - before) / (n - previous.n));
      rows.push([
        String(n),
        formatSummary(result.subjectMs),
        formatSummary(result.floorMs),
        `${(subject / floorMs).toFixed(2)}×`,
        perStack(subject, previous?.median),
        perStack(floorMs, previous?.floor),
        `${megabytes(Math.max(...result.subject.map((r) => r.maxRssBytes ?? 0)))} / ${megabytes(
          Math.max(...result.floor.map((r) => r.maxRssBytes ?? 0)),
        )}`,
        medianCpuPerWall(result.subject),
        loadAverages(),
      ]);
      previous = { n, median: subject, floor: floorMs };
      progress(`status: N=${n}: ${rows.at(-1)?.join(" | ") ?? ""}`);
    } finally {
      project.remove();
    }
  }
  return `${table(
    [
      "stacks",
      "status: median (min–max)",
      "floor: median (min–max)",
      "ratio",
      "status per stack*",
      "floor per stack*",
      "peak RSS status / floor",
      "status CPU / wall",
      "load (1/5/15 min)",
    ],
    rows,
  )}\n\n\\* marginal time per added stack between this size and the previous one.\n`;
}
