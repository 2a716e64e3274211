/**
 * `sender-auth plan [STACK...]`: what `pulumi up` would create, computed offline by running index.ts
 * under the Pulumi SDK's mock runtime for each stack file.
 */
import * as path from "node:path";
import { Option, type Command } from "commander";
import { ConfigError, type Problem } from "../../components/config";
import { paintFor } from "../colour";
import { CommandError, problemLines } from "../errors";
import { type CommandContext, reportError, EXIT_FAILURE, EXIT_OK, type Io, type TerminalIo } from "../io";
import type * as MockRun from "../mockRun";
import type { StackPlan } from "../mockRun";
import { runInWorkers, workersFor, type WorkersOption } from "../fleet/run";
import { pathValue, stackWorkersOption } from "../options";
import { writeIntoDir } from "../outDir";
import {
  loadProject,
  readStackConfig,
  selectStacks,
  StackFileError,
  UsageError,
  type Project,
  type StackConfig,
} from "../project";
import { planFragment, planOutput, PLAN_FORMATS, type PlanFormat } from "../render/plans";
import type * as UnifiedDiff from "../render/unifiedDiff";
import { checkSnapshots, RECORDS_DIR, snapshotText, writeSnapshots } from "../snapshots";
import { mergeProblems } from "../stackFile";

/** The module worker threads run for plan (cli/fleet/planTask.ts). */
const PLAN_TASK = path.join(__dirname, "..", "fleet", "planTask.ts");

export interface PlanOptions {
  /** Stack names; empty means every stack file. */
  readonly stacks: readonly string[];
  /** @default "table" */
  readonly format: PlanFormat;
  /** Where to look for Pulumi.yaml. @default process.cwd() */
  readonly cwd: string;
  /** Write records/<stack>.zone snapshots instead of printing. @default false */
  readonly write?: boolean;
  /** Compare the snapshots with the config instead of printing. @default false */
  readonly check?: boolean;
  /** With format `bind`: write `<out>/<domain>.zone` per stack instead of printing. @default undefined (stdout) */
  readonly out?: string | undefined;
  /** Worker threads that plan stacks (0: none, all in this thread). @default one per core from MIN_STACKS_FOR_WORKERS stacks on */
  readonly workers?: WorkersOption;
}

/** Every stack's plan (or what stands for it, RenderedPlan), or every error when any stack has one. */
export type PlanOutcome<P = StackPlan> =
  { readonly ok: true; readonly plans: readonly P[] } | { readonly ok: false; readonly errors: readonly string[] };

/**
 * What plan prints or writes for one stack, made where the stack is planned, so that only text
 * crosses back from a worker thread and no StackPlan is kept until the end (issue #14).
 */
export interface RenderedPlan {
  readonly stack: string;
  readonly domain: string;
  readonly warnings: readonly string[];
  /** The stack's fragment of the output in a format (cli/render/plans.ts), or its snapshot text. */
  readonly text: string;
}

/** Which text a RenderedPlan holds: a format's fragment, or the records/<stack>.zone snapshot. */
export type PlanRender = PlanFormat | "snapshot";

export function renderedPlan(project: Project, plan: StackPlan, render: PlanRender): RenderedPlan {
  return {
    stack: plan.stack,
    domain: plan.domain,
    warnings: plan.warnings,
    text: render === "snapshot" ? snapshotText(project, plan) : planFragment(plan, render),
  };
}

/**
 * Plans one stack. A stack file's own problems (StackFileError) are reported together with what the
 * program finds in the config read anyway, so one run names every problem of the stack.
 */
async function planStack(project: Project, stack: string): Promise<StackPlan> {
  // Loaded here, not at the top: a main thread whose stacks are all planned in worker threads never
  // loads the Pulumi SDK (tens of MB of heap, issue #14).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runStackUnderMocks } = require("../mockRun") as typeof MockRun;
  let stackConfig: StackConfig;
  let fileProblems: readonly Problem[] = [];
  try {
    stackConfig = readStackConfig(project, stack);
  } catch (error) {
    if (!(error instanceof StackFileError)) throw error;
    ({ stackConfig, problems: fileProblems } = error);
  }
  if (fileProblems.length === 0) return runStackUnderMocks(project, stackConfig);
  let programProblems: readonly Problem[] = [];
  try {
    await runStackUnderMocks(project, stackConfig);
  } catch (error) {
    // Anything else the program throws follows from the file's problems, which say what to fix.
    if (error instanceof ConfigError) programProblems = error.problems;
  }
  throw new ConfigError(stack, mergeProblems(fileProblems, programProblems));
}

/** One stack's plan, or the lines that say why it has none, or a usage error that ends the run. */
export type StackOutcome<P = StackPlan> =
  { readonly plan: P } | { readonly errors: readonly string[] } | { readonly usage: string };

/** Plans one stack and says how it went; what a worker thread runs for each stack (cli/fleet/planTask.ts). */
export async function planOutcome(project: Project, stack: string): Promise<StackOutcome> {
  try {
    return { plan: await planStack(project, stack) };
  } catch (error) {
    if (error instanceof UsageError) return { usage: error.message };
    if (error instanceof ConfigError) return { errors: problemLines(error) };
    return { errors: [`stack ${stack}: ${error instanceof Error ? error.message : String(error)}`] };
  }
}

/** planOutcome with the plan rendered as `render` (what a worker thread runs for `plan` itself). */
export async function renderedOutcome(
  project: Project,
  stack: string,
  render: PlanRender,
): Promise<StackOutcome<RenderedPlan>> {
  const outcome = await planOutcome(project, stack);
  return "plan" in outcome ? { plan: renderedPlan(project, outcome.plan, render) } : outcome;
}

/** What planTask.ts is asked per stack: the StackPlan itself (null), or its text as PlanRender says. */
export type PlanTaskSettings = PlanRender | null;

/**
 * Below this many stacks `plan` runs in this thread unless `--workers` says otherwise: each thread
 * loads the Pulumi SDK and the provider SDKs afresh (~1 CPU-second and ~130 MB). Measured on an idle
 * 2-core machine (BENCHMARKS.md): 100 stacks took 2.2 s in one thread and 2.4 s in two (316 MB
 * against 186 MB); 1,000 took 13 s in one and 9.7–10.4 s in two. Two threads pay from ~200 stacks on.
 */
export const MIN_STACKS_FOR_WORKERS = 250;
/** Stacks per task handed to a worker thread. */
const MAX_BATCH = 16;
/**
 * A plan thread's heap limits, for peak memory (BENCHMARKS.md section 1). By V8's default a thread's
 * new space grows to two 16 MB semi-spaces, and each plan thread's did (32 MB measured): a 16 MB young
 * generation lowered peak RSS at 500 stacks in two threads from 440 to 383 MB (four alternating runs
 * each) at the same CPU; 6 MB cost about 15 % more. V8 lets the old generation grow by up to 4× its
 * live size between full collections when the heap may reach 1 GB or more (on this machine a thread
 * may reach about 4 GB); below 1 GB the factor falls towards 1.3 (heap/memory-controller.cc). 768 MB
 * (factor about 1.8) lowered peak RSS at 500 stacks from 393 to 299–326 MB for 3–5 % more CPU. It
 * is a ceiling, not a target: a plan thread's heap in use stays under 100 MB, growing about 1.4 KB a stack
 * (issue #14), so no fleet this machine can plan comes near it.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 768 } as const;
// Threads are not recycled (a pool option tried for it was removed): measured at 10,000 stacks on two
// threads (issue #14), a thread's heap grows by about 1.4 KB a stack once each stack's program module
// is let go (cli/mockRun.ts), and replacing each thread every 2,500 stacks raised peak RSS (698 MB
// against 638 MB): a fresh thread loads the SDKs while the one it replaces is still being freed.

/**
 * Plans every requested stack, collecting all errors, in stack order: one at a time in this thread
 * (the mock runtime is global), or over worker threads, each with its own runtime (issue #14).
 */
export async function planStacks(
  project: Project,
  stacks: readonly string[],
  workers: WorkersOption = "auto",
): Promise<PlanOutcome> {
  return planEach(project, stacks, workers, null, (stack) => planOutcome(project, stack));
}

/** planStacks with each plan rendered as `render` where it is planned: only text is kept. */
export async function renderStacks(
  project: Project,
  stacks: readonly string[],
  workers: WorkersOption,
  render: PlanRender,
): Promise<PlanOutcome<RenderedPlan>> {
  return planEach(project, stacks, workers, render, (stack) => renderedOutcome(project, stack, render));
}

async function planEach<P>(
  project: Project,
  stacks: readonly string[],
  workers: WorkersOption,
  settings: PlanTaskSettings,
  here: (stack: string) => Promise<StackOutcome<P>>,
): Promise<PlanOutcome<P>> {
  const threads = workersFor(workers, stacks.length, MIN_STACKS_FOR_WORKERS);
  const plans: P[] = [];
  const errors: string[] = [];
  const add = (outcome: StackOutcome<P>): void => {
    if ("usage" in outcome) throw new UsageError(outcome.usage);
    if ("plan" in outcome) plans.push(outcome.plan);
    else errors.push(...outcome.errors);
  };
  if (threads === 0) {
    for (const stack of stacks) add(await here(stack));
  } else {
    const outcomes = await runInWorkers<PlanTaskSettings, StackOutcome<P>>(PLAN_TASK, project.dir, stacks, settings, {
      workers: threads,
      maxBatch: MAX_BATCH,
      resourceLimits: THREAD_LIMITS,
    });
    for (const outcome of outcomes) add(outcome);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, plans };
}

/** Usage problems of the option combination, before anything is planned. */
function checkOptions(options: PlanOptions): void {
  if (options.write === true && options.check === true) {
    throw new UsageError("--write and --check are mutually exclusive, and cannot both be set");
  }
  if (options.out !== undefined && options.format !== "bind") {
    throw new UsageError("--out is only for --format bind (one zone file per stack)");
  }
  if (options.out !== undefined && (options.write === true || options.check === true)) {
    throw new UsageError(`--out cannot be combined with --${options.write === true ? "write" : "check"}`);
  }
}

/** `--format bind` prints one zone file; several go to `--out DIR`, one file per domain. */
function checkBindTargets(options: PlanOptions, stacks: readonly string[]): void {
  if (options.format !== "bind" || options.write === true || options.check === true) return;
  if (options.out === undefined && stacks.length !== 1) {
    throw new UsageError(
      `--format bind prints the zone file of one stack, and ${stacks.length} stacks were selected ` +
        `(${stacks.join(", ") || "none"}): name one stack, or give --out DIR to write DIR/<domain>.zone for each`,
    );
  }
}

/**
 * Writes `<out>/<domain>.zone` per plan (rendered as "bind"); two stacks of one domain would overwrite
 * each other, so that fails.
 */
function writeBindFiles(out: string, plans: readonly RenderedPlan[], io: Io): number {
  const byDomain = new Map<string, string>();
  for (const p of plans) {
    const other = byDomain.get(p.domain);
    if (other !== undefined) {
      throw new CommandError(
        `stacks ${other} and ${p.stack} both publish ${p.domain}: --out would write ${p.domain}.zone twice; plan them one at a time`,
        EXIT_FAILURE,
      );
    }
    byDomain.set(p.domain, p.stack);
  }
  const written = writeIntoDir(
    out,
    plans.map((p) => ({ name: `${p.domain}.zone`, text: p.text })),
  );
  written.forEach((file, index) => io.stdout.write(`wrote ${file} (stack ${plans[index]?.stack ?? "?"})\n`));
  return EXIT_OK;
}

/**
 * Plans `stacks`; when any stack cannot be planned, fails with every error (nothing on stdout: a
 * partial plan would look like a complete one). Also `check --planned`'s.
 */
export async function planOrFail(
  project: Project,
  stacks: readonly string[],
  workers: WorkersOption = "auto",
): Promise<StackPlan[]> {
  return [...orFail(await planStacks(project, stacks, workers))];
}

function orFail<P>(outcome: PlanOutcome<P>): readonly P[] {
  if (!outcome.ok) throw new CommandError(outcome.errors.join("\n"), EXIT_FAILURE);
  return outcome.plans;
}

/** Output pieces gathered into writes of about this many characters: few writes, no second copy of it all. */
const WRITE_CHUNK = 1 << 20;

function writeInChunks(io: Io, pieces: Iterable<string>): void {
  let chunk: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    chunk.push(piece);
    length += piece.length;
    if (length >= WRITE_CHUNK) {
      io.stdout.write(chunk.join(""));
      chunk = [];
      length = 0;
    }
  }
  if (length > 0) io.stdout.write(chunk.join(""));
}

export async function plan(options: PlanOptions, io: TerminalIo): Promise<number> {
  checkOptions(options);
  const project = loadProject(options.cwd);
  const stacks = selectStacks(project, options.stacks);
  checkBindTargets(options, stacks);
  const render: PlanRender = options.write === true || options.check === true ? "snapshot" : options.format;
  const planned = orFail(await renderStacks(project, stacks, options.workers ?? "auto", render));
  for (const p of planned) {
    for (const warning of p.warnings) io.stderr.write(`warning: stack ${p.stack}: ${warning}\n`);
  }
  // Snapshots of deleted stacks are only judged when every stack was planned.
  const complete = options.stacks.length === 0;
  if (options.write === true) {
    const changes = writeSnapshots(project, planned, complete);
    for (const stack of changes.written) io.stdout.write(`wrote ${RECORDS_DIR}/${stack}.zone\n`);
    for (const stack of changes.removed) io.stdout.write(`removed ${RECORDS_DIR}/${stack}.zone (no such stack)\n`);
    io.stdout.write(`${changes.unchanged.length} snapshot(s) unchanged\n`);
    return EXIT_OK;
  }
  if (options.check === true) {
    const problems = checkSnapshots(project, planned, complete);
    if (problems.length > 0) {
      // Loaded only to show a difference: otherwise the `diff` package costs every plan ~20 ms of CPU.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { unifiedDiff } = require("../render/unifiedDiff") as typeof UnifiedDiff;
      const paint = paintFor(io.stderr);
      for (const problem of problems) {
        reportError(io, problem.message, EXIT_FAILURE);
        const d = problem.difference;
        if (d === undefined) continue;
        // The differing lines themselves, as `diff -u` would show them.
        for (const line of unifiedDiff(d.committed, d.planned, d.committedLabel, d.plannedLabel, paint)) {
          io.stderr.write(`${line}\n`);
        }
      }
      io.stderr.write("error: run `npx sender-auth plan --write` and commit records/\n");
      return EXIT_FAILURE;
    }
    io.stdout.write(`${RECORDS_DIR}/ matches the config of ${planned.length} stack(s)\n`);
    return EXIT_OK;
  }
  if (options.out !== undefined) return writeBindFiles(options.out, planned, io);
  writeInChunks(
    io,
    planOutput(
      planned.map((p) => p.text),
      options.format,
    ),
  );
  return EXIT_OK;
}

export function register(program: Command, { io, finish }: CommandContext): void {
  program
    .command("plan")
    .description("show what `pulumi up` would create for each stack, offline (Pulumi SDK mock runtime)")
    .argument("[stacks...]", "stack names (stacks/Pulumi.<name>.yaml); default: every stack file")
    .addOption(new Option("-f, --format <format>", "output format").choices(PLAN_FORMATS).default("table"))
    .option("--write", `write ${RECORDS_DIR}/<stack>.zone snapshots (and remove those of deleted stacks)`, false)
    .option("--check", `exit 1 when a ${RECORDS_DIR}/<stack>.zone snapshot differs from its stack's config`, false)
    .addOption(
      new Option("--out <dir>", "with --format bind: write <dir>/<domain>.zone for each stack").argParser(pathValue),
    )
    .addOption(stackWorkersOption(MIN_STACKS_FOR_WORKERS))
    .action(
      async (
        stacks: string[],
        opts: { format: PlanFormat; write: boolean; check: boolean; out?: string; workers?: number },
      ) => {
        finish(
          await plan(
            {
              stacks,
              format: opts.format,
              cwd: process.cwd(),
              write: opts.write,
              check: opts.check,
              out: opts.out,
              workers: opts.workers ?? "auto",
            },
            io,
          ),
        );
      },
    );
}
