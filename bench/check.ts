/**
 * Benchmark 4, check (issue #6): `sender-auth check --resolver <BIND>` over N generated domains served
 * by a local BIND (bind9, recursion on so that provider CNAMEs are followed into the provider's zone,
 * as a resolver would), every check passing; against a floor that asks the same DNS questions, 8
 * domains at a time as check does but each domain's questions all at once (check's follow one from
 * another), and does nothing else: a floor at least as fast as the same concurrency would allow. The questions are those check asked in a first run, read
 * from BIND's query log (a second BIND instance, so that logging slows no timed run).
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import type { StackReport } from "../cli/commands/check";
import { startBind, type BindServer, type ZoneSpec } from "../test/support/bind";
import { generateStacks, REPO_ROOT, sharedZones, writeProject, type GeneratedStack } from "./lib/generate";
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
const FLOOR = path.join(__dirname, "floors", "check-floor.cjs");

/** Each stack's zone: its planned records (`plan --format zone`) plus the records it does not manage. */
export function zonesOf(stacks: readonly GeneratedStack[], planned: string): ZoneSpec[] {
  const bodies = new Map<string, string>();
  for (const chunk of planned.split(/^(?=; stack )/m)) {
    const stack = /^; stack (\S+):/.exec(chunk)?.[1];
    if (stack !== undefined) bodies.set(stack, chunk);
  }
  return [
    ...stacks.map((s) => ({
      origin: s.domain,
      body: `${bodies.get(s.stack) ?? ""}\n${s.extraZoneLines.join("\n")}\n`,
    })),
    ...sharedZones(stacks),
    // The parent of every generated name, so that no lookup leaves this server.
    { origin: "example", body: "" },
  ];
}

/** The questions in BIND's query log (`client ... (name): query: <name> IN <type> ...`). */
function loggedQuestions(lines: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const match of lines.join("\n").matchAll(/ query: (\S+) IN (\S+) /g)) {
    out.push([(match[1] ?? "").toLowerCase(), match[2] ?? ""]);
  }
  return out;
}

/**
 * Groups the logged questions by domain: names at or under it, or naming it (report authorisation);
 * a name shared by many domains (an include target) goes to the domains that include it, as often
 * per domain as it was asked per includer; any other name, to every domain alike.
 */
function questionsByDomain(
  stacks: readonly GeneratedStack[],
  questions: readonly [string, string][],
): { domain: string; questions: [string, string][] }[] {
  const byDomain = new Map(stacks.map((s) => [s.domain, [] as [string, string][]]));
  const shared = new Map<string, number>();
  for (const [name, type] of questions) {
    const label =
      /^(brand\d+\.example)(?:\.|$)/.exec(name)?.[1] ??
      /\.(brand\d+\.example)$/.exec(name)?.[1] ??
      /^(?:[^.]+\.)*?(brand\d+\.example)\._report\./.exec(name)?.[1];
    const own = label === undefined ? undefined : byDomain.get(label);
    if (own !== undefined) own.push([name, type]);
    else shared.set(`${name} ${type}`, (shared.get(`${name} ${type}`) ?? 0) + 1);
  }
  for (const [key, count] of shared) {
    const [name = "", type = ""] = key.split(" ");
    // An include target goes to its includers; anything else asked for every domain (e.g. the DMARC
    // tree walk's `_dmarc.example`) to every domain.
    const including = stacks.filter((s) =>
      (s.config["sender-auth:spf"] as { include: string[] }).include.includes(name),
    );
    const includers = including.length > 0 ? including : stacks;
    if (count % includers.length !== 0) {
      throw new Error(`cannot attribute ${count} × ${key} to ${includers.length} domains`);
    }
    for (const s of includers) {
      for (let i = 0; i < count / includers.length; i++) byDomain.get(s.domain)?.push([name, type]);
    }
  }
  return [...byDomain].map(([domain, qs]) => ({ domain, questions: qs }));
}

export async function benchCheck(sizes: readonly number[], runs: number): Promise<string> {
  const rows: string[][] = [];
  let previous: { n: number; median: number } | undefined;
  for (const n of sizes) {
    const stacks = generateStacks(n);
    const project = writeProject(stacks);
    let server: BindServer | undefined;
    let logging: BindServer | undefined;
    try {
      progress(`check: N=${n}: planning zones and starting BIND`);
      const planned = await runChild(process.execPath, [CLI, "plan", "--format", "zone"], { cwd: project.dir });
      const zones = zonesOf(stacks, planned.stdout);
      const check = (at: BindServer) => (): Promise<ChildRun> =>
        runChild(
          process.execPath,
          [CLI, "check", "--resolver", `127.0.0.1:${at.port}`, "--no-pulumi", "--format", "json"],
          { cwd: project.dir, okCodes: [0, 1], rss: true },
        );

      logging = await startBind(zones, { recursion: true, queryLog: true });
      const first = await check(logging)();
      const reports = JSON.parse(first.stdout) as StackReport[];
      const failed = reports.filter((r) => !r.ok);
      if (reports.length !== n || failed.length > 0) {
        throw new Error(
          `check should pass for all ${n} generated domains; failed: ${failed
            .map(
              (r) =>
                `${r.stack}: ${r.findings
                  .filter((f) => f.result === "fail")
                  .map((f) => f.message)
                  .join("; ")}`,
            )
            .join("\n")}`,
        );
      }
      const questions = loggedQuestions(await logging.queries());
      const floorInput = path.join(project.dir, "floor-questions.json");
      writeFileSync(floorInput, JSON.stringify(questionsByDomain(stacks, questions)));
      await logging.stop();
      logging = undefined;

      server = await startBind(zones, { recursion: true });
      const large = n >= LARGE_FLEET;
      progress(`check: N=${n}: ${questions.length} questions, ${large ? 1 : runs} runs each (load ${loadAverages()})`);
      const at = server;
      const floor = (): Promise<ChildRun> =>
        runChild(process.execPath, [FLOOR, floorInput, `127.0.0.1:${at.port}`], { cwd: project.dir, env: floorEnv() });
      // A large fleet: one timed run of each side (the logging run above warmed the caches).
      const result = large
        ? await once(await check(at)(), floor)
        : await alternate(runs, check(at), floor, (r) => r.wallMs);
      const checks = reports.reduce((sum, r) => sum + r.counts.ok + r.counts.warn + r.counts.fail, 0);
      rows.push([
        String(n),
        String(checks),
        String(questions.length),
        formatSummary(result.subjectMs),
        formatSummary(result.floorMs),
        `${(result.subjectMs.median / result.floorMs.median).toFixed(2)}×`,
        // Marginal time per added domain since the previous size: flat means linear.
        previous === undefined ? "–" : ms((result.subjectMs.median - previous.median) / (n - previous.n)),
        megabytes(Math.max(...result.subject.map((r) => r.maxRssBytes ?? 0))),
        medianCpuPerWall(result.subject),
        loadAverages(),
      ]);
      previous = { n, median: result.subjectMs.median };
      progress(`check: N=${n}: ${rows.at(-1)?.join(" | ") ?? ""}`);
    } finally {
      await logging?.stop();
      await server?.stop();
      project.remove();
    }
  }
  return `${table(
    [
      "domains",
      "findings",
      "DNS questions",
      "check: median (min–max)",
      "floor: median (min–max)",
      "ratio",
      "check per domain*",
      "peak RSS check",
      "check CPU / wall",
      "load (1/5/15 min)",
    ],
    rows,
  )}\n\n\\* marginal time per added domain between this size and the previous one.\n`;
}
