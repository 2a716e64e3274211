/** The errors every command maps to an exit code (cli/io.ts): usage 2, unreadable or unwritable project 1. */

/** The command was called wrongly (exit 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Pulumi.yaml, a stack file or another file of the project cannot be read or written (exit 1). */
export class ProjectError extends Error {
  override readonly name = "ProjectError";
}
