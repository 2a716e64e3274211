/**
 * `sender-auth diff --base <git-ref>`: renders every stack on both sides (the base from git objects,
 * the head from the working tree), reports per stack the records added, removed and changed and what
 * each change means for mail, and fails on unsafe changes unless --allow-unsafe (issue #4).
 */
import { Option, type Command } from "commander";
import { paintFor } from "../colour";
import { diffStack, type StackDiff } from "../diff/analyze";
import { renderDiffJson, renderMarkdown, renderText, type DiffReport } from "../diff/render";
import { baseSides, headSides } from "../diff/sides";
import { gitTree } from "../gitTree";
import { type CommandContext, reportError, EXIT_FAILURE, EXIT_OK, type TerminalIo } from "../io";
import { loadProject } from "../project";

export const DIFF_FORMATS = ["text", "markdown", "json"] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

export interface DiffOptions {
  readonly base: string;
  /** @default "text" when stdout is a terminal, "markdown" otherwise (CI comments) */
  readonly format?: DiffFormat | undefined;
  /** Report unsafe changes but exit 0. @default false */
  readonly allowUnsafe: boolean;
  readonly cwd: string;
  readonly now: Date;
}

export function buildDiffReport(options: Pick<DiffOptions, "base" | "cwd" | "now">): DiffReport {
  const project = loadProject(options.cwd);
  const tree = gitTree(project.dir, options.base);
  const base = baseSides(tree, options.now);
  const head = headSides(project, options.now);
  const errors = [...head.values()].flatMap((side) => side.errors);
  const notes = [...base.values()].flatMap((side) => side.errors.map((e) => `base: ${e}`));
  const stacks: StackDiff[] = [...new Set([...base.keys(), ...head.keys()])]
    .sort()
    .map((stack) => diffStack(stack, base.get(stack), head.get(stack)));
  return { base: { ref: options.base, commit: tree.commit }, stacks, errors, notes };
}

function render(report: DiffReport, format: DiffFormat, io: TerminalIo): string {
  switch (format) {
    case "text":
      return renderText(report, paintFor(io.stdout));
    case "markdown":
      return renderMarkdown(report);
    case "json":
      return renderDiffJson(report);
  }
}

export function diff(options: DiffOptions, io: TerminalIo): number {
  const report = buildDiffReport(options);
  io.stdout.write(render(report, options.format ?? (io.stdout.isTTY === true ? "text" : "markdown"), io));
  for (const error of report.errors) reportError(io, error, EXIT_FAILURE);
  const unsafe = report.stacks.flatMap((s) => s.unsafe.map((reason) => `stack ${s.stack}: ${reason}`));
  for (const reason of unsafe) io.stderr.write(`${options.allowUnsafe ? "warning" : "error"}: unsafe: ${reason}\n`);
  if (report.errors.length > 0) return EXIT_FAILURE;
  if (unsafe.length > 0 && !options.allowUnsafe) {
    io.stderr.write("error: refusing unsafe changes; rerun with --allow-unsafe once they are intended\n");
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

export function register(program: Command, { io, finish, now }: CommandContext): void {
  program
    .command("diff")
    .usage("--base <git-ref> [options]")
    .description("what a change does to DNS and to mail, against a git ref; fails on unsafe changes")
    .requiredOption("--base <git-ref>", "required: the revision to compare with (e.g. origin/main)")
    .addOption(
      new Option("--format <format>", "output format; default: text on a terminal, markdown otherwise").choices(
        DIFF_FORMATS,
      ),
    )
    .option("--allow-unsafe", "report unsafe changes without failing", false)
    .action((opts: { base: string; format?: DiffFormat; allowUnsafe: boolean }) => {
      finish(
        diff(
          { base: opts.base, format: opts.format, allowUnsafe: opts.allowUnsafe, cwd: process.cwd(), now: now() },
          io,
        ),
      );
    });
}
