/**
 * Timing and reporting helpers shared by every benchmark: samples → median/min/max, the ratio of a
 * subject to its floor measured in the same run, and Markdown rows for BENCHMARKS.md.
 */
import { spawn, type SpawnOptions } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("summarize: no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, runs: sorted.length };
}

/** Milliseconds, 3 significant digits below 100 ms, whole numbers above. */
export function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toPrecision(3)} ms`;
}

export function formatSummary(s: Summary): string {
  return `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`;
}

export function ratio(subject: Summary, floor: Summary): number {
  return subject.median / floor.median;
}

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Diagnostics go to stderr; stdout carries only the report. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

export interface ChildRun {
  /** Wall time from spawn to exit, milliseconds. */
  readonly wallMs: number;
  /** Peak resident set size of the child, bytes (from the rss preload). */
  readonly maxRssBytes: number | undefined;
  /** CPU time of the child, all its threads, user + system, milliseconds (from the rss preload). */
  readonly cpuMs: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

const RSS_PRELOAD = path.join(__dirname, "..", "support", "report-rss.cjs");

export interface RunChildOptions extends Pick<SpawnOptions, "cwd"> {
  readonly env?: NodeJS.ProcessEnv;
  /** Stdin text. */
  readonly input?: string;
  /** Measure the child's peak RSS and CPU time (adds a tiny `--require` preload, to every side alike). */
  readonly rss?: boolean;
  /** Exit codes that count as success. @default [0] */
  readonly okCodes?: readonly number[];
}

/** Spawns `command args`, times it to exit, and fails on an unexpected exit code. */
export async function runChild(
  command: string,
  args: readonly string[],
  options: RunChildOptions = {},
): Promise<ChildRun> {
  const rssDir = options.rss === true ? mkdtempSync(path.join(tmpdir(), "sender-auth-bench-rss-")) : undefined;
  const rssFile = rssDir === undefined ? undefined : path.join(rssDir, "rss");
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  if (rssFile !== undefined) {
    env["NODE_OPTIONS"] = `${env["NODE_OPTIONS"] ?? ""} --require ${RSS_PRELOAD}`.trim();
    env["SENDER_AUTH_BENCH_RSS_FILE"] = rssFile;
  }
  try {
    const started = performance.now();
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(command, [...args], { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
      child.on("error", reject);
      child.on("close", (code) => {
        resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
      });
      child.stdin.end(options.input ?? "");
    });
    const wallMs = performance.now() - started;
    if (!(options.okCodes ?? [0]).includes(result.code ?? -1)) {
      throw new Error(`${command} ${args.join(" ")} exited ${String(result.code)}\n${result.stderr.slice(-4000)}`);
    }
    const [rssKiB, cpuMicros] = rssFile === undefined ? [] : readFileSync(rssFile, "utf8").split(" ").map(Number);
    const maxRssBytes = rssKiB === undefined ? undefined : rssKiB * 1024;
    const cpuMs = cpuMicros === undefined ? undefined : cpuMicros / 1000;
    return { wallMs, maxRssBytes, cpuMs, stdout: result.stdout, stderr: result.stderr };
  } finally {
    if (rssDir !== undefined) rmSync(rssDir, { recursive: true, force: true });
  }
}

/**
 * Runs `subject` and `floor` alternately, `runs` times each after one untimed warm-up of each, so
 * that both see the same machine state (page cache, CPU frequency) and drift hits both alike.
 */
export async function alternate<T>(
  runs: number,
  subject: () => Promise<T>,
  floor: () => Promise<T>,
  time: (result: T) => number,
): Promise<{ subject: T[]; floor: T[]; subjectMs: Summary; floorMs: Summary }> {
  await subject();
  await floor();
  const s: T[] = [];
  const f: T[] = [];
  for (let i = 0; i < runs; i++) {
    s.push(await subject());
    f.push(await floor());
  }
  return { subject: s, floor: f, subjectMs: summarize(s.map(time)), floorMs: summarize(f.map(time)) };
}

/**
 * The environment floors run in: V8's code cache on (its own directory), as bin/ts-loader.cjs turns
 * it on for the subject, so that neither side is measured compiling node_modules from source.
 */
export function floorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    NODE_COMPILE_CACHE: path.join(__dirname, "..", "..", "node_modules", ".cache", "sender-auth-bench-floor-v8"),
  };
}

export function megabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** CPU time over wall time of one run: above 1 when more than one core worked (issue #14). */
export function cpuPerWall(run: ChildRun): number {
  return (run.cpuMs ?? 0) / run.wallMs;
}

/** The median of the runs' CPU/wall ratios, e.g. `1.83×`. */
export function medianCpuPerWall(runs: readonly ChildRun[]): string {
  return `${summarize(runs.map(cpuPerWall)).median.toFixed(2)}×`;
}

/** The machine's load averages (1, 5, 15 minutes), as `uptime` shows them: other work on the cores. */
export function loadAverages(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");
}
