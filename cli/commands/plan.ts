/**
 * `sender-auth plan [STACK...]`: what `pulumi up` would create, computed offline by running index.ts
 * under the Pulumi SDK's mock runtime for each stack file.
 */
import { Option, type Command } from "commander";
import { ConfigError, type Problem } from "../../components/config";
import { type CommandContext, inputErrorCode, reportError, EXIT_FAILURE, EXIT_OK, type Io } from "../io";
import { runStackUnderMocks, type StackPlan } from "../mockRun";
import {
  listStacks,
  loadProject,
  readStackConfig,
  StackFileError,
  UsageError,
  type Project,
  type StackConfig,
} from "../project";
import { renderJson } from "../render/json";
import { renderTable } from "../render/table";
import { renderZone } from "../render/zone";
import { checkSnapshots, RECORDS_DIR, writeSnapshots } from "../snapshots";
import { mergeProblems } from "../stackFile";

export const PLAN_FORMATS = ["table", "zone", "json"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

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
}

export type PlanOutcome =
  | { readonly ok: true; readonly plans: readonly StackPlan[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Resolves which stacks to plan; unknown names are a usage error. */
export function selectStacks(project: Project, requested: readonly string[]): string[] {
  const available = listStacks(project);
  if (requested.length === 0) return available;
  const unknown = requested.filter((stack) => !available.includes(stack));
  if (unknown.length > 0) {
    throw new UsageError(
      `no stack file for ${unknown.map((s) => `"${s}"`).join(", ")}; stacks: ${available.join(", ") || "(none)"}`,
    );
  }
  return [...new Set(requested)];
}

/**
 * Plans one stack. A stack file's own problems (StackFileError) are reported together with what the
 * program finds in the config read anyway, so one run names every problem of the stack.
 */
async function planStack(project: Project, stack: string): Promise<StackPlan> {
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

/** Plans every requested stack, one at a time (the mock runtime is global), collecting all errors. */
export async function planStacks(project: Project, stacks: readonly string[]): Promise<PlanOutcome> {
  const plans: StackPlan[] = [];
  const errors: string[] = [];
  for (const stack of stacks) {
    try {
      plans.push(await planStack(project, stack));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if (error instanceof ConfigError) errors.push(...error.message.split("\n"));
      else errors.push(`stack ${stack}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, plans };
}

export function renderPlans(plans: readonly StackPlan[], format: PlanFormat): string {
  switch (format) {
    case "table":
      return renderTable(plans);
    case "zone":
      return plans.map(renderZone).join("\n");
    case "json":
      return renderJson(plans);
  }
}

export async function plan(options: PlanOptions, io: Io): Promise<number> {
  let outcome: PlanOutcome;
  let project: Project;
  try {
    if (options.write === true && options.check === true) {
      throw new UsageError("--write and --check are mutually exclusive, and cannot both be set");
    }
    project = loadProject(options.cwd);
    outcome = await planStacks(project, selectStacks(project, options.stacks));
  } catch (error) {
    return inputErrorCode(io, error);
  }
  if (!outcome.ok) {
    // Nothing on stdout: a partial plan would look like a complete one.
    for (const message of outcome.errors) reportError(io, message, EXIT_FAILURE);
    return EXIT_FAILURE;
  }
  for (const p of outcome.plans) {
    for (const warning of p.warnings) io.stderr.write(`warning: stack ${p.stack}: ${warning}\n`);
  }
  // Snapshots of deleted stacks are only judged when every stack was planned.
  const complete = options.stacks.length === 0;
  if (options.write === true) {
    const changes = writeSnapshots(project, outcome.plans, complete);
    for (const stack of changes.written) io.stdout.write(`wrote ${RECORDS_DIR}/${stack}.zone\n`);
    for (const stack of changes.removed) io.stdout.write(`removed ${RECORDS_DIR}/${stack}.zone (no such stack)\n`);
    io.stdout.write(`${changes.unchanged.length} snapshot(s) unchanged\n`);
    return EXIT_OK;
  }
  if (options.check === true) {
    const problems = checkSnapshots(project, outcome.plans, complete);
    if (problems.length > 0) {
      for (const message of problems) reportError(io, message, EXIT_FAILURE);
      io.stderr.write("error: run `npx sender-auth plan --write` and commit records/\n");
      return EXIT_FAILURE;
    }
    io.stdout.write(`${RECORDS_DIR}/ matches the config of ${outcome.plans.length} stack(s)\n`);
    return EXIT_OK;
  }
  io.stdout.write(renderPlans(outcome.plans, options.format));
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
    .action(async (stacks: string[], opts: { format: PlanFormat; write: boolean; check: boolean }) => {
      finish(await plan({ stacks, format: opts.format, cwd: process.cwd(), write: opts.write, check: opts.check }, io));
    });
}
