/**
 * `sender-auth status [STACK...] [--format table|json] [--reports PATH...] [--overlap-days N]`: the
 * fleet at a glance (issue #14), one row per stack: domain, provider, DMARC stage, selectors with
 * their age, the rotation step due next and from when, counts of warnings and problems; with
 * `--reports`, the recommendation of the DMARC aggregate reports (issue #15) and the evidence a
 * revoke needs. Offline, like `plan`: no DNS, no Pulumi CLI. Each row is computed from its stack
 * file's text and "now" alone (cli/status/row.ts); the rows are printed in stack order.
 *
 * Exit 0 when every stack is valid, 1 when any stack has a problem (its row still says which) or a
 * report could not be read, 2 on usage errors.
 */
import { Option, type Command } from "commander";
import { EXIT_FAILURE, EXIT_OK, type CommandContext, type Io } from "../io";
import { wholeNumber } from "../options";
import { displayPath, loadProject, selectStacks, stackFile, type Project } from "../project";
import { DEFAULT_OVERLAP_DAYS, MAX_OVERLAP_DAYS } from "../rotationPlan";
import { readYamlFile } from "../safeFs";
import { printable } from "../render/printable";
import { loadReports, type LoadedReports } from "../status/reports";
import { renderStatusJson, renderStatusTable } from "../status/render";
import { statusRow, type StackSource, type StatusSettings } from "../status/row";

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
  const loaded = await loadReports(paths);
  for (const error of loaded.errors) io.stderr.write(`error: --reports: ${printable(error)}\n`);
  return loaded;
}

/** What every row depends on besides its stack file (status, rotate --due). */
export function statusSettings(
  project: Project,
  options: { readonly now: Date; readonly overlapDays: number },
  reports: LoadedReports | undefined,
  approvedRevokes: ReadonlySet<string> = new Set(),
): StatusSettings {
  return {
    project,
    now: options.now,
    overlapDays: options.overlapDays,
    ...(reports === undefined ? {} : { reports }),
    approvedRevokes,
  };
}

export async function status(options: StatusOptions, io: Io): Promise<number> {
  const project = loadProject(options.cwd);
  const stacks = selectStacks(project, options.stacks);
  const reports = await reportsFor(options.reports, io);
  const settings = statusSettings(project, options, reports);
  const rows = stacks.map((stack) => statusRow(stackSource(project, stack), settings));
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
    .action(async (stacks: string[], opts: { format: StatusFormat; reports: string[]; overlapDays: number }) => {
      const { overlapDays } = opts;
      finish(
        await status(
          { stacks, format: opts.format, reports: opts.reports, overlapDays, cwd: process.cwd(), now: now() },
          io,
        ),
      );
    });
}
