/**
 * Writes generated files into a directory the user named (`plan --format bind --out DIR`), never
 * through a symbolic link: DIR itself must be a real directory (created when missing), an existing
 * target must be a regular file, and each file is written to a fresh temporary file (O_EXCL |
 * O_NOFOLLOW) in DIR and renamed over the target, so a reader never sees half a file and a symlink
 * planted at the target is replaced, not followed. Every target is checked before the first is
 * written. (A local helper of issue #12; cli/project.ts's safe-write functions may absorb it.)
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import type { Stats } from "node:fs";
import * as path from "node:path";

/** A file that could not be written, or a DIR or target that must not be written through. */
export class OutDirError extends Error {}

export interface OutFile {
  /** A plain file name: no directory part, no leading dot. */
  readonly name: string;
  readonly text: string;
}

const SAFE_NAME = /^[a-z0-9_][a-z0-9_.-]*$/;

function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new OutDirError(`cannot inspect ${file}: ${(error as Error).message}`);
  }
}

function kind(stats: Stats): string {
  if (stats.isSymbolicLink()) return "a symbolic link";
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isSocket()) return "a socket";
  if (stats.isBlockDevice() || stats.isCharacterDevice()) return "a device";
  return "not a regular file";
}

function prepareDir(dir: string): void {
  let stats = lstatOrUndefined(dir);
  if (stats === undefined) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new OutDirError(`cannot create ${dir}: ${(error as Error).message}`);
    }
    stats = lstatOrUndefined(dir);
  }
  if (stats?.isSymbolicLink() === true) {
    throw new OutDirError(`${dir} is a symbolic link, which is not followed; give the directory it points to`);
  }
  if (stats?.isDirectory() !== true) throw new OutDirError(`${dir} is not a directory`);
}

function writeOne(dir: string, file: OutFile): string {
  const target = path.join(dir, file.name);
  const temporary = path.join(dir, `.${file.name}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    const bytes = Buffer.from(file.text, "utf8");
    for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
    return target;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw new OutDirError(`could not write ${target}: ${(error as Error).message}`);
  }
}

/** Writes `files` into `dir`; returns the paths written, in order. Throws OutDirError before writing anything it can foresee. */
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
    const stats = lstatOrUndefined(target);
    if (stats !== undefined && !stats.isFile()) {
      throw new OutDirError(
        `${target} exists and is ${kind(stats)}, which is not replaced; remove it or choose another --out`,
      );
    }
  }
  return files.map((file) => writeOne(dir, file));
}
