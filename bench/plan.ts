/**
 * Benchmark 1, plan throughput (issue #6): `sender-auth plan --format json` over N generated stacks
 * in one process, against a floor that registers the same resources (same types, same inputs, one
 * component per stack) under the same SDK mock runtime, in plain JavaScript, with nothing else.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { generateStacks, REPO_ROOT, writeProject } from "./lib/generate";
import {
  alternate,
  floorEnv,
  formatSummary,
  megabytes,
  ms,
  progress,
  runChild,
  summarize,
  table,
  type ChildRun,
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
}

export async function benchPlan(
  sizes: readonly number[],
  runs: number,
): Promise<{ rows: PlanRow[]; markdown: string }> {
  const rows: PlanRow[] = [];
  for (const n of sizes) {
    const project = writeProject(generateStacks(n));
    try {
      progress(`plan: N=${n}, ${runs} runs each`);
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
      const result = await alternate(runs, plan, floor, (r) => r.wallMs);
      const resources = planned.reduce((sum, p) => sum + p.resources.length + 1, 0);
      rows.push({
        n,
        resources,
        subject: result.subjectMs,
        floor: result.floorMs,
        subjectRss: Math.max(...result.subject.map((r) => r.maxRssBytes ?? 0)),
        floorRss: Math.max(...result.floor.map((r) => r.maxRssBytes ?? 0)),
      });
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
      ];
    }),
  );
  return {
    rows,
    markdown: `${markdown}\n\n\\* marginal time per added stack between this size and the previous one.\n`,
  };
}
