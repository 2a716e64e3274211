/**
 * Writes generated files into a directory the user named (`plan --format bind --out DIR`), never
 * through a symbolic link: DIR itself must be a real directory (created when missing), an existing
 * target must be a regular file, and each file is written to a fresh temporary file (O_EXCL |
 * O_NOFOLLOW) in DIR and renamed over the target, so a reader never sees half a file and a symlink
 * planted at the target is replaced, not followed. Every target is checked before the first is
 * written. The file-system work is cli/safeFs.ts's (issue #11).
 */
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { ProjectError } from "./errors";
import { entryAt, kindOf, replaceFile } from "./safeFs";

export interface OutFile {
  /** A plain file name: no directory part, no leading dot. */
  readonly name: string;
  readonly text: string;
}

const SAFE_NAME = /^[a-z0-9_][a-z0-9_.-]*$/;

function prepareDir(dir: string): void {
  let stats = entryAt(dir);
  if (stats === undefined) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new ProjectError(`cannot create ${dir}: ${(error as Error).message}`);
    }
    stats = entryAt(dir);
  }
  if (stats?.isSymbolicLink() === true) {
    throw new ProjectError(`${dir} is a symbolic link, which is not followed; give the directory it points to`);
  }
  if (stats?.isDirectory() !== true) throw new ProjectError(`${dir} is not a directory`);
}

/** Writes `files` into `dir`; returns the paths written, in order. Throws a ProjectError (cli/safeFs.ts) before writing anything it can foresee. */
export function writeIntoDir(dir: string, files: readonly OutFile[]): string[] {
  for (const file of files) {
    // Names come from validated domains; a bad one here is a bug, never a path to follow.
    if (!SAFE_NAME.test(file.name) || file.name.includes("..")) {
      throw new Error(`unsafe file name ${JSON.stringify(file.name)}`);
    }
  }
  prepareDir(dir);
  for (const file of files) {
    const target = path.join(dir, file.name);
    const stats = entryAt(target);
    if (stats !== undefined && !stats.isFile()) {
      throw new ProjectError(
        `${target} exists and is ${kindOf(stats)}, which is not replaced; remove it or choose another --out`,
      );
    }
  }
  return files.map((file) => {
    const target = path.join(dir, file.name);
    // A temporary file beside the target (O_EXCL | O_NOFOLLOW), synced, then renamed over it.
    replaceFile(target, file.text, target);
    return target;
  });
}
