/**
 * Benchmark 1, plan throughput (issues #6 and #14): `sender-auth plan --format json` over N generated
 * stacks in one process (worker threads, one per core, from 100 stacks on), against a floor that
 * registers the same resources (same types, same inputs, one component per stack) under the same SDK
 * mock runtime, in plain JavaScript, in one thread, with nothing else. Beside the times: peak RSS,
 * CPU time over wall time (both cores busy shows as about 2×) and the load average when measured.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { generateStacks, REPO_ROOT, writeProject } from "./lib/generate";
import {
  alternate,
  floorEnv,
  loadAverages,
  medianCpuPerWall,
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
const FLOOR = path.join(__dirname, "floors", "plan-floor.cjs");

interface PlannedStack {
  readonly stack: string;
  readonly domain: string;
  readonly resources: readonly { readonly type: string; readonly name: string; readonly inputs: unknown }[];
}

export interface PlanRow {
  readonly n: number;
  readonly resources: number;
  readonly subject: ReturnType<typeof summarize>;
  readonly floor: ReturnType<typeof summarize>;
  readonly subjectRss: number;
  readonly floorRss: number;
  readonly cpuPerWall: string;
  readonly load: string;
}

/** From this many stacks on, one timed run of each side (a run takes minutes). */
export const LARGE_FLEET = 5000;

/** One timed sample of each side: the subject's run already made, and one run of the floor. */
export async function once(
  subject: ChildRun,
  floor: () => Promise<ChildRun>,
): Promise<{ subject: ChildRun[]; floor: ChildRun[]; subjectMs: Summary; floorMs: Summary }> {
  const floorRun = await floor();
  return {
    subject: [subject],
    floor: [floorRun],
    subjectMs: summarize([subject.wallMs]),
    floorMs: summarize([floorRun.wallMs]),
  };
}

export async function benchPlan(
  sizes: readonly number[],
  runs: number,
): Promise<{ rows: PlanRow[]; markdown: string }> {
  const rows: PlanRow[] = [];
  for (const n of sizes) {
    const project = writeProject(generateStacks(n));
    try {
      progress(`plan: N=${n}, ${n >= LARGE_FLEET ? 1 : runs} runs each (load ${loadAverages()})`);
      const plan = (): Promise<ChildRun> =>
        runChild(process.execPath, [CLI, "plan", "--format", "json"], { cwd: project.dir, rss: true });
      // The floor registers exactly what plan registered.
      const first = await plan();
      const planned = JSON.parse(first.stdout) as PlannedStack[];
      const floorInput = path.join(project.dir, "floor-input.json");
      writeFileSync(
        floorInput,
        JSON.stringify(planned.map((p) => ({ stack: p.stack, domain: p.domain, resources: p.resources }))),
      );
      const floor = (): Promise<ChildRun> =>
        runChild(process.execPath, [FLOOR, floorInput], { cwd: project.dir, rss: true, env: floorEnv() });
      // A large fleet's first run is its timed run: one run takes minutes, its start-up a rounding error.
      const result = n >= LARGE_FLEET ? await once(first, floor) : await alternate(runs, plan, floor, (r) => r.wallMs);
      const resources = planned.reduce((sum, p) => sum + p.resources.length + 1, 0);
      rows.push({
        n,
        resources,
        subject: result.subjectMs,
        floor: result.floorMs,
        subjectRss: Math.max(...result.subject.map((r) => r.maxRssBytes ?? 0)),
        floorRss: Math.max(...result.floor.map((r) => r.maxRssBytes ?? 0)),
        cpuPerWall: medianCpuPerWall(result.subject),
        load: loadAverages(),
      });
      progress(`plan: N=${n}: ${JSON.stringify(rows.at(-1))}`);
    } finally {
      project.remove();
    }
  }
  const markdown = table(
    [
      "stacks",
      "resources",
      "plan: median (min–max)",
      "floor: median (min–max)",
      "ratio",
      "plan per stack*",
      "floor per stack*",
      "peak RSS plan / floor",
      "plan CPU / wall",
      "load (1/5/15 min)",
    ],
    rows.map((row, i) => {
      const previous = i > 0 ? rows[i - 1] : undefined;
      // Marginal cost per stack between consecutive sizes: flat means linear growth.
      const perStack = (now: number, before: number | undefined): string =>
        previous === undefined || before === undefined ? "–" : ms((now - before) / (row.n - previous.n));
      return [
        String(row.n),
        String(row.resources),
        formatSummary(row.subject),
        formatSummary(row.floor),
        `${(row.subject.median / row.floor.median).toFixed(2)}×`,
        perStack(row.subject.median, previous?.subject.median),
        perStack(row.floor.median, previous?.floor.median),
        `${megabytes(row.subjectRss)} / ${megabytes(row.floorRss)}`,
        row.cpuPerWall,
        row.load,
      ];
    }),
  );
  return {
    rows,
    markdown: `${markdown}\n\n\\* marginal time per added stack between this size and the previous one.\n`,
  };
}
