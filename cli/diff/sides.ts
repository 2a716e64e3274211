/**
 * The two sides of a diff: every stack of the working tree (head) and of a git revision (base), each
 * validated and built into records with the same pure code the program uses. Nothing is decrypted.
 */
import * as path from "node:path";
import {
  ConfigError,
  decodeConfigMap,
  validateStack,
  type Problem,
  type ValidatedStack,
} from "../../components/config";
import { publishedRecord, type PublishedRecord, type SenderAuthConfig } from "../../components/model";
import type { GitTree } from "../gitTree";
import { problemLines } from "../errors";
import {
  parseProjectFile,
  parseStackConfig,
  ProjectError,
  readStackConfig,
  selectStacks,
  StackFileError,
  stackFilesIn,
  type Project,
  type StackConfig,
} from "../project";
import { mergeProblems } from "../stackFile";

export interface StackSide {
  readonly stack: string;
  /** The validated config, or undefined when it is invalid. */
  readonly config: SenderAuthConfig | undefined;
  readonly records: readonly PublishedRecord[];
  /** Problems of an invalid config. */
  readonly errors: readonly string[];
}

/** A config validated into its model and records, or the problems that make it invalid. */
function validated(
  stack: string,
  configMap: Readonly<Record<string, string>>,
  now: Date,
): ValidatedStack | { readonly problems: readonly Problem[] } {
  try {
    return validateStack(stack, decodeConfigMap(configMap), now);
  } catch (error) {
    if (error instanceof ConfigError) return { problems: error.problems };
    throw error;
  }
}

/** An invalid side, named by its problems (`stack <name>: <key path>: <what is wrong>`). */
function invalidSide(stack: string, problems: readonly Problem[]): StackSide {
  return { stack, config: undefined, records: [], errors: problemLines(new ConfigError(stack, problems)) };
}

/**
 * A stack file's side. One the Pulumi CLI would read differently (StackFileError) is invalid, named
 * by the file's problems together with what validation finds in the config read anyway, as `plan`
 * names them, so one run names every problem of the stack. One that cannot be read at all (a FIFO, a
 * symbolic link, binary junk, not YAML) has no key paths: its message, one line per line, says why.
 */
function fileSide(stack: string, read: () => StackConfig, now: Date): StackSide {
  let stackConfig: StackConfig;
  let fileProblems: readonly Problem[] = [];
  try {
    stackConfig = read();
  } catch (error) {
    if (!(error instanceof ProjectError)) throw error;
    if (!(error instanceof StackFileError)) {
      return { stack, config: undefined, records: [], errors: error.message.split("\n") };
    }
    ({ stackConfig, problems: fileProblems } = error);
  }
  const result = validated(stack, stackConfig.config, now);
  const programProblems = "problems" in result ? result.problems : [];
  if (fileProblems.length > 0) return invalidSide(stack, mergeProblems(fileProblems, programProblems));
  if ("problems" in result) return invalidSide(stack, result.problems);
  return { stack, config: result.config, records: result.records.map(publishedRecord), errors: [] };
}

/** Every stack of the working tree. */
export function headSides(project: Project, now: Date): Map<string, StackSide> {
  return new Map(
    selectStacks(project, []).map((stack) => [stack, fileSide(stack, () => readStackConfig(project, stack), now)]),
  );
}

/**
 * Every stack of the base revision, read from git objects. A base without Pulumi.yaml has none; one
 * whose Pulumi.yaml is unreadable is a ProjectError. A stack file that cannot be read is an invalid side.
 */
export function baseSides(tree: GitTree, now: Date): Map<string, StackSide> {
  // A base Pulumi.yaml that cannot be read (or whose stackConfigDir leaves the project) is an error,
  // not "no project": every stack would otherwise look new.
  const projectText = tree.read("Pulumi.yaml");
  if (projectText === undefined) return new Map();
  const projectFile = parseProjectFile(`${tree.commit.slice(0, 12)}:Pulumi.yaml`, projectText);
  const sides = new Map<string, StackSide>();
  for (const [stack, file] of stackFilesIn(tree.list(projectFile.stackConfigDir))) {
    const relative = path.posix.join(projectFile.stackConfigDir, file);
    const read = (): StackConfig =>
      parseStackConfig(projectFile, stack, `${tree.commit.slice(0, 12)}:${relative}`, tree.read(relative) ?? "");
    sides.set(stack, fileSide(stack, read, now));
  }
  return sides;
}
