/**
 * `sender-auth reports PATH... [--format table|json] [--since YYYY-MM-DD] [--stack NAME...]`: reads
 * DMARC aggregate reports (XML, gzip, zip, emails and mbox files carrying them, directories), sums
 * them per policy domain and source, and joins each domain with the stack that declares it: what
 * the next policy step would do, selectors and SPF includes to fix, and whether it is time to
 * tighten (issue #15). Offline: no DNS, no network.
 *
 * Exit 0 when every input was read, 1 when any input (or stack) could not be read — the output
 * still covers everything else, so cron can mail it and scripts can use it — 2 on usage errors.
 */
import { Option, type Command } from "commander";
import { ConfigError, decodeConfigMap, validateStack } from "../../components/config";
import { problemLines } from "../errors";
import { EXIT_FAILURE, EXIT_OK, type CommandContext, type Io } from "../io";
import { valueParser, workersOption } from "../options";
import { loadProject, readStackConfig, selectStacks, ProjectError, UsageError, type Project } from "../project";
import { Aggregator, emptySummary } from "../reports/aggregate";
import { collectInputs } from "../reports/files";
import { joinStack } from "../reports/join";
import { compareText, DEFAULT_LIMITS, type Origin, type ReadLimits } from "../reports/model";
import { readInputs } from "../reports/run";
import { renderErrors, renderJson, renderTable, type ReportEntry, type ReportsResult } from "../reports/render";
import { stackViewOf, type StackView } from "../reports/stackView";

export const REPORTS_FORMATS = ["table", "json"] as const;
export type ReportsFormat = (typeof REPORTS_FORMATS)[number];

export interface ReportsOptions {
  readonly paths: readonly string[];
  /** @default "table" */
  readonly format: ReportsFormat;
  /** Seconds since the epoch at 00:00:00Z of a day (`--since YYYY-MM-DD`, parseSince): reports whose date range ends before it are left out. */
  readonly since: number | undefined;
  /** Stacks to join with; default: every stack of the project, when there is one. */
  readonly stacks: readonly string[];
  readonly cwd: string;
  readonly now: Date;
  /** @default DEFAULT_LIMITS */
  readonly limits?: ReadLimits;
  /** Worker threads that read and parse files (0: none). @default one per core from 500 files on, else none */
  readonly workers?: number;
}

/** `2026-11-28` → seconds since the epoch at 00:00:00Z, or undefined if it is not a real date. */
export function parseSince(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Date(ms).toISOString().slice(0, 10) === text ? ms / 1000 : undefined;
}

interface Stacks {
  readonly views: StackView[];
  /** Whether the stacks were named (`--stack`): then only their domains are shown, with or without reports. */
  readonly named: boolean;
  readonly errors: ReportEntry[];
}

function readStacks(options: ReportsOptions, now: Date): Stacks {
  const errors: ReportEntry[] = [];
  let project: Project;
  try {
    project = loadProject(options.cwd);
  } catch (error) {
    // Without a project there is nothing to join with; that is an error only when stacks were named.
    if (options.stacks.length === 0 && error instanceof UsageError) return { views: [], named: false, errors };
    if (options.stacks.length === 0 && error instanceof ProjectError) {
      return { views: [], named: false, errors: [{ file: "Pulumi.yaml", inside: [], message: error.message }] };
    }
    throw error;
  }
  const names = selectStacks(project, options.stacks, "--stack");
  const views: StackView[] = [];
  for (const stack of names) {
    let file = stack;
    try {
      const stackConfig = readStackConfig(project, stack);
      file = stackConfig.file;
      views.push(stackViewOf(stack, validateStack(stack, decodeConfigMap(stackConfig.config), now).config));
    } catch (error) {
      if (error instanceof ConfigError) {
        errors.push(...problemLines(error).map((message) => ({ file, inside: [], message })));
      } else if (error instanceof ProjectError) {
        errors.push({ file, inside: [], message: error.message });
      } else {
        throw error;
      }
    }
  }
  return { views, named: options.stacks.length > 0, errors };
}

export async function reports(options: ReportsOptions, io: Io): Promise<number> {
  const { since } = options;
  const stacks = readStacks(options, options.now);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const errors: ReportEntry[] = [...stacks.errors];
  const skipped: ReportEntry[] = [];
  const { files, problems } = collectInputs(options.paths);
  for (const p of problems) errors.push({ file: p.file, inside: [], message: p.message });
  const aggregator = new Aggregator(limits.sources);
  let beforeSince = 0;
  const entry = (origin: Origin, message: string): ReportEntry => ({
    file: origin.file,
    inside: origin.inside,
    message,
  });
  const sink = {
    report: (origin: Origin, report: Parameters<Aggregator["add"]>[0]) => {
      const added = aggregator.add(report);
      if (typeof added === "object") errors.push(entry(origin, added.error));
    },
    beforeSince: () => {
      beforeSince++;
    },
    error: (origin: Origin, message: string) => errors.push(entry(origin, message)),
    skip: (origin: Origin, reason: string) => skipped.push(entry(origin, reason)),
  };
  const total = { used: 0 };
  await readInputs(files, since === undefined ? { limits, total } : { limits, total, since }, sink, {
    workers: options.workers ?? "auto",
  });

  const byPlace = (a: ReportEntry, b: ReportEntry): number =>
    compareText(a.file, b.file) ||
    compareText(a.inside.join("\0"), b.inside.join("\0")) ||
    compareText(a.message, b.message);
  errors.sort(byPlace);
  skipped.sort(byPlace);
  const byDomain = new Map(stacks.views.map((v) => [v.domain, v]));
  let summaries = aggregator.summaries();
  if (stacks.named) {
    const wanted = new Set(stacks.views.map((v) => v.domain));
    summaries = summaries.filter((s) => wanted.has(s.domain));
  }
  const present = new Set(summaries.map((s) => s.domain));
  for (const view of stacks.views) {
    // A stack that asks for reports and got none is worth a line ("reports nobody receives").
    if (!present.has(view.domain) && (stacks.named || (view.dmarc?.rua.length ?? 0) > 0)) {
      summaries.push(emptySummary(view.domain));
      present.add(view.domain);
    }
  }
  summaries.sort((a, b) => compareText(a.domain, b.domain));
  const result: ReportsResult = {
    domains: summaries.map((summary) => {
      const view = byDomain.get(summary.domain);
      return { ...summary, stack: view === undefined ? null : joinStack(summary, view) };
    }),
    errors,
    skipped,
    summary: { files: files.length, reports: aggregator.reports, duplicates: aggregator.duplicates, beforeSince },
  };
  io.stdout.write(options.format === "json" ? renderJson(result) : renderTable(result));
  io.stderr.write(renderErrors(errors));
  return errors.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

export function register(program: Command, { io, finish, now }: CommandContext): void {
  program
    .command("reports")
    .description("read DMARC aggregate reports and say when each domain is ready for a stronger policy")
    .argument("<paths...>", "report files (.xml, .xml.gz, .zip), emails (.eml, mbox) or directories of them")
    .addOption(new Option("--format <format>", "output format").choices(REPORTS_FORMATS).default("table"))
    .addOption(
      new Option("--since <YYYY-MM-DD>", "leave out reports whose date range ends before this day (UTC)").argParser(
        valueParser("a date as YYYY-MM-DD", parseSince),
      ),
    )
    .option(
      "--stack <name>",
      "join with this stack (repeatable); default: every stack of the project",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .addOption(workersOption("threads that read and parse reports (default: one per core from 500 files on; 0: none)"))
    .action(
      async (paths: string[], opts: { format: ReportsFormat; since?: number; stack: string[]; workers?: number }) => {
        finish(
          await reports(
            {
              paths,
              format: opts.format,
              since: opts.since,
              stacks: opts.stack,
              cwd: process.cwd(),
              now: now(),
              ...(opts.workers === undefined ? {} : { workers: opts.workers }),
            },
            io,
          ),
        );
      },
    );
}
