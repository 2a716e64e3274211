/**
 * The two sides of a diff: every stack of the working tree (head) and of a git revision (base), each
 * validated and built into records with the same pure code the program uses. Nothing is decrypted.
 */
import * as path from "node:path";
import { ConfigError, decodeConfigMap, validateStack } from "../../components/config";
import { publishedRecord, type PublishedRecord, type SenderAuthConfig } from "../../components/model";
import type { GitTree } from "../gitTree";
import { problemLines } from "../errors";
import {
  parseProjectFile,
  parseStackConfig,
  ProjectError,
  readStackConfig,
  selectStacks,
  stackFilesIn,
  type Project,
  type StackConfig,
} from "../project";

export interface StackSide {
  readonly stack: string;
  /** The validated config, or undefined when it is invalid. */
  readonly config: SenderAuthConfig | undefined;
  readonly records: readonly PublishedRecord[];
  /** Problems of an invalid config. */
  readonly errors: readonly string[];
}

function side(stack: string, configMap: Readonly<Record<string, string>>, now: Date): StackSide {
  try {
    const validated = validateStack(stack, decodeConfigMap(configMap), now);
    return { stack, config: validated.config, records: validated.records.map(publishedRecord), errors: [] };
  } catch (error) {
    if (error instanceof ConfigError) {
      return { stack, config: undefined, records: [], errors: problemLines(error) };
    }
    throw error;
  }
}

/**
 * A stack file the Pulumi CLI would read differently or refuse, or that cannot be read at all (a
 * FIFO, a symbolic link, binary junk): an invalid side, named by its problems.
 */
function fileSide(stack: string, read: () => StackConfig, now: Date): StackSide {
  try {
    return side(stack, read().config, now);
  } catch (error) {
    if (!(error instanceof ProjectError)) throw error;
    return { stack, config: undefined, records: [], errors: error.message.split("\n") };
  }
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
