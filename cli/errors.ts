/**
 * How a command ends when it cannot do what was asked: a CommandError carrying its exit code, thrown
 * wherever the problem is found and reported once, by cli/main.ts (one `error: ` line per line of its
 * message). Exit codes follow the brief: 1 failure, 2 usage; a config edit stopped by a signal exits
 * as a shell reports it (128 + the signal's number, cli/stackEdit.ts).
 */
import { ConfigError } from "../components/config";
import { EXIT_FAILURE, EXIT_USAGE } from "./io";
import { PulumiCliError } from "./pulumiCli";

/** An expected way for a command to fail: `message` for stderr, `exitCode` for the shell. */
export class CommandError extends Error {
  override readonly name: string = "CommandError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The command was called wrongly (exit 2). */
export class UsageError extends CommandError {
  override readonly name: string = "UsageError";
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/**
 * Pulumi.yaml, a stack file or another file of the project cannot be read or written (exit 1); every
 * file-system failure of cli/safeFs.ts is one.
 */
export class ProjectError extends CommandError {
  override readonly name: string = "ProjectError";
  constructor(message: string) {
    super(message, EXIT_FAILURE);
  }
}

/** One line per problem of an invalid stack config: `stack <name>: <key path>: <what is wrong>`. */
export function problemLines(error: ConfigError): string[] {
  return error.problems.map((problem) => `stack ${error.stackName}: ${problem.path}: ${problem.message}`);
}

/**
 * The one place where errors become exit codes. CommandErrors are themselves: UsageError (2),
 * ProjectError and its kinds (StackFileError, a held lock, the file errors of cli/safeFs.ts, a
 * directory `--out` must not write into: 1), and a failed or interrupted config edit (StackEditError,
 * 1 or 128 + signal). An invalid stack config (ConfigError, one line per problem) and a failed
 * `pulumi` call (PulumiCliError) fail with 1. Anything else is a bug: undefined.
 */
export function commandErrorOf(error: unknown): CommandError | undefined {
  if (error instanceof CommandError) return error;
  if (error instanceof ConfigError) return new CommandError(problemLines(error).join("\n"), EXIT_FAILURE);
  if (error instanceof PulumiCliError) return new CommandError(error.message, EXIT_FAILURE);
  return undefined;
}
