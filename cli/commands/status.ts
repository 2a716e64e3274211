/**
 * `sender-auth status [STACK...] [--format table|json] [--reports PATH...] [--overlap-days N] [--workers N]`: the
 * fleet at a glance (issue #14), one row per stack: domain, provider, DMARC stage, selectors with
 * their age, the rotation step due next and from when, counts of warnings and problems; with
 * `--reports`, the recommendation of the DMARC aggregate reports (issue #15) and the evidence a
 * revoke needs. Offline, like `plan`: no DNS, no Pulumi CLI. Each row is computed from its stack
 * file's text and "now" alone (cli/status/row.ts), in this thread or, for a large fleet, in worker
 * threads (cli/fleet/statusTask.ts); the rows are printed in stack order, the same bytes either way.
 *
 * Exit 0 when every stack is valid, 1 when any stack has a problem (its row still says which) or a
 * report could not be read, 2 on usage errors.
 */
import * as path from "node:path";
import { Option, type Command } from "commander";
import { runInWorkers, workersFor, type WorkersOption } from "../fleet/run";
import { EXIT_FAILURE, EXIT_OK, type CommandContext, type Io } from "../io";
import { stackWorkersOption, wholeNumber } from "../options";
import { displayPath, loadProject, selectStacks, stackFile, type Project } from "../project";
import { DEFAULT_OVERLAP_DAYS, MAX_OVERLAP_DAYS } from "../rotationPlan";
import { readYamlFile } from "../safeFs";
import { printable } from "../render/printable";
import type { LoadedReports } from "../status/reports";
import { renderStatusJson, renderStatusTable } from "../status/render";
import { statusRow, type StackSource, type StatusRow, type StatusSettings } from "../status/row";
import { shareReports, type RowReports, type SharedReports } from "../status/sharedReports";

export const STATUS_FORMATS = ["table", "json"] as const;
export type StatusFormat = (typeof STATUS_FORMATS)[number];

export interface StatusOptions {
  /** Stack names; empty means every stack file. */
  readonly stacks: readonly string[];
  /** @default "table" */
  readonly format: StatusFormat;
  /** DMARC aggregate report files or directories. @default [] (no recommendation, no revoke evidence) */
  readonly reports: readonly string[];
  /** rotate's --overlap-days, so that status shows what rotate --due would do. @default 7 */
  readonly overlapDays: number;
  /** Worker threads that share the stacks (0: none, all in this thread). @default one per core from MIN_STACKS_FOR_WORKERS stacks on */
  readonly workers?: WorkersOption;
  readonly cwd: string;
  readonly now: Date;
}

/** A stack file's text, or why it cannot be read (a row's problem, not the command's). */
export function stackSource(project: Project, stack: string): StackSource {
  const file = displayPath(stackFile(project, stack));
  try {
    return { stack, file, text: readYamlFile(stackFile(project, stack), { label: file }) };
  } catch (error) {
    return { stack, file, text: { error: error instanceof Error ? error.message : String(error) } };
  }
}

/** Reads the reports named by `--reports`, reporting unreadable ones on stderr; undefined without any. */
export async function reportsFor(paths: readonly string[], io: Io): Promise<LoadedReports | undefined> {
  if (paths.length === 0) return undefined;
  // Loaded here: the report readers (XML parser, decompression) are needed only with --reports.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadReports } = require("../status/reports") as typeof import("../status/reports");
  const loaded = await loadReports(paths);
  for (const error of loaded.errors) io.stderr.write(`error: --reports: ${printable(error)}\n`);
  return loaded;
}

/** What every row depends on besides its stack file (status, rotate --due). */
export function statusSettings(
  project: Project,
  options: { readonly now: Date; readonly overlapDays: number },
  reports: RowReports | undefined,
  approvedRevokes: ReadonlySet<string> = new Set(),
): StatusSettings {
  return {
    project,
    now: options.now,
    overlapDays: options.overlapDays,
    ...(reports === undefined ? {} : { reports: { summaries: reports.summaries, sightings: reports.sightings } }),
    approvedRevokes,
  };
}

/**
 * What a worker thread needs besides its batch of stacks (cli/fleet/statusTask.ts), as plain data:
 * "now" in ms since the epoch (one instant for the whole run), the reports in shared memory.
 */
export interface StatusTaskSettings {
  readonly now: number;
  readonly overlapDays: number;
  readonly reports?: SharedReports;
}

/**
 * Below this many stacks `status` runs in this thread unless `--workers` says otherwise. Measured
 * here: a thread costs ~0.35 CPU-seconds before its first row (status of one stack: 0.34 s of CPU in
 * this thread, 0.68 s with one worker), a row ~2.5–3.5 ms, and each of two threads spends ~1.3× the
 * CPU per row of one thread alone (both cores share caches and memory bandwidth). So two threads
 * save wall time once half the rows outlast a thread's start: from ~350 stacks on; 500 leaves a
 * margin for a busy machine.
 */
export const MIN_STACKS_FOR_WORKERS = 500;
/** Stacks per task handed to a worker thread (~3 ms each): 0.15 s of work per message. */
const MAX_BATCH = 50;
/** The module worker threads run for status (cli/fleet/statusTask.ts). */
const STATUS_TASK = path.join(__dirname, "..", "fleet", "statusTask.ts");

/**
 * Every stack's row, in stack order: in this thread, or over worker threads (issue #14), each row by
 * the same statusRow(stackSource(...)) either way.
 */
export async function statusRows(
  project: Project,
  stacks: readonly string[],
  options: { readonly now: Date; readonly overlapDays: number },
  reports: RowReports | undefined,
  workers: WorkersOption = "auto",
): Promise<StatusRow[]> {
  const threads = workersFor(workers, stacks.length, MIN_STACKS_FOR_WORKERS);
  if (threads === 0) {
    const settings = statusSettings(project, options, reports);
    return stacks.map((stack) => statusRow(stackSource(project, stack), settings));
  }
  const settings: StatusTaskSettings = {
    now: options.now.getTime(),
    overlapDays: options.overlapDays,
    ...(reports === undefined ? {} : { reports: shareReports(reports) }),
  };
  return runInWorkers<StatusTaskSettings, StatusRow>(STATUS_TASK, project.dir, stacks, settings, {
    workers: threads,
    maxBatch: MAX_BATCH,
  });
}

export async function status(options: StatusOptions, io: Io): Promise<number> {
  const project = loadProject(options.cwd);
  const stacks = selectStacks(project, options.stacks);
  const reports = await reportsFor(options.reports, io);
  const rows = await statusRows(project, stacks, options, reports, options.workers ?? "auto");
  io.stdout.write(options.format === "json" ? renderStatusJson(rows) : renderStatusTable(rows));
  const broken = rows.filter((r) => r.problems.length > 0);
  if (broken.length > 0) {
    io.stderr.write(
      `error: ${broken.length} of ${rows.length} stack${rows.length === 1 ? "" : "s"} ${broken.length === 1 ? "has" : "have"} problems: ${broken.map((r) => r.stack).join(", ")}\n`,
    );
  }
  return broken.length > 0 || (reports?.errors.length ?? 0) > 0 ? EXIT_FAILURE : EXIT_OK;
}

export function register(program: Command, { io, finish, now }: CommandContext): void {
  program
    .command("status")
    .description("one row per stack: DMARC stage, keys and their age, the rotation step due next (offline)")
    .argument("[stacks...]", "stack names (stacks/Pulumi.<name>.yaml); default: every stack file")
    .addOption(new Option("-f, --format <format>", "output format").choices(STATUS_FORMATS).default("table"))
    .option(
      "--reports <path>",
      "DMARC aggregate reports (files or directories, repeatable): recommendation and revoke evidence",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .addOption(
      new Option("--overlap-days <days>", "days a retired key stays published before it is revoked (as rotate)")
        .argParser(wholeNumber(0, MAX_OVERLAP_DAYS, `a whole number of days from 0 to ${MAX_OVERLAP_DAYS}`))
        .default(DEFAULT_OVERLAP_DAYS),
    )
    .addOption(stackWorkersOption(MIN_STACKS_FOR_WORKERS))
    .action(
      async (
        stacks: string[],
        opts: { format: StatusFormat; reports: string[]; overlapDays: number; workers?: number },
      ) => {
        const { overlapDays } = opts;
        finish(
          await status(
            {
              stacks,
              format: opts.format,
              reports: opts.reports,
              overlapDays,
              workers: opts.workers ?? "auto",
              cwd: process.cwd(),
              now: now(),
            },
            io,
          ),
        );
      },
    );
}
