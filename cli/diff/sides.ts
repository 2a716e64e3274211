/**
 * The two sides of a diff: every stack of the working tree (head) and of a git revision (base), each
 * validated and built into records with the same pure code the program uses. Nothing is decrypted.
 */
import * as path from "node:path";
import { ConfigError, decodeConfigMap, validateStack } from "../../components/config";
import { publishedRecord, type PublishedRecord, type SenderAuthConfig } from "../../components/model";
import type { GitTree } from "../gitTree";
import {
  listStacks,
  parseProjectFile,
  parseStackConfig,
  ProjectError,
  readStackConfig,
  StackFileError,
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
      return { stack, config: undefined, records: [], errors: error.message.split("\n") };
    }
    throw error;
  }
}

/** A stack file the Pulumi CLI would read differently or refuse is an invalid side, named by its problems. */
function fileSide(stack: string, read: () => StackConfig, now: Date): StackSide {
  try {
    return side(stack, read().config, now);
  } catch (error) {
    if (!(error instanceof StackFileError)) throw error;
    return { stack, config: undefined, records: [], errors: error.message.split("\n") };
  }
}

/** Every stack of the working tree. */
export function headSides(project: Project, now: Date): Map<string, StackSide> {
  return new Map(
    listStacks(project).map((stack) => [stack, fileSide(stack, () => readStackConfig(project, stack), now)]),
  );
}

/** Every stack of the base revision, read from git objects. A base without Pulumi.yaml has none. */
export function baseSides(tree: GitTree, now: Date): Map<string, StackSide> {
  const projectText = tree.read("Pulumi.yaml");
  if (projectText === undefined) return new Map();
  let projectFile: ReturnType<typeof parseProjectFile>;
  try {
    projectFile = parseProjectFile(`${tree.commit.slice(0, 12)}:Pulumi.yaml`, projectText);
  } catch (error) {
    if (error instanceof ProjectError) return new Map();
    throw error;
  }
  const sides = new Map<string, StackSide>();
  for (const [stack, file] of stackFilesIn(tree.list(projectFile.stackConfigDir))) {
    const relative = path.posix.join(projectFile.stackConfigDir, file);
    const text = tree.read(relative) ?? "";
    try {
      const read = (): StackConfig =>
        parseStackConfig(projectFile, stack, `${tree.commit.slice(0, 12)}:${relative}`, text);
      sides.set(stack, fileSide(stack, read, now));
    } catch (error) {
      if (!(error instanceof ProjectError)) throw error;
      sides.set(stack, { stack, config: undefined, records: [], errors: [error.message] });
    }
  }
  return sides;
}
