/**
 * The files `reports` reads: the paths given, directories walked recursively in name order. A
 * symbolic link met in a walk is followed only when its target lies inside one of the given paths
 * (report folders often link an archive in); one that leads elsewhere, FIFOs, sockets and devices
 * are `errors` entries, never read. Files are opened without following a link that appeared since
 * (O_NOFOLLOW) and without blocking on a FIFO (O_NONBLOCK), then checked to be regular files.
 */
import { constants } from "node:fs";
import { lstat, open, readdir, realpath, stat, type FileHandle } from "node:fs/promises";
import * as path from "node:path";

export interface InputFile {
  /** The name to report: a given path, or a given directory joined with the path below it. */
  readonly display: string;
  /** The resolved path to open (no symbolic links left in it). */
  readonly real: string;
  /** Found in a directory walk rather than named: a file that is no report, email or archive is skipped, not an error. */
  readonly walked: boolean;
}

export interface InputProblem {
  readonly file: string;
  readonly message: string;
}

/** Directory levels walked below a given directory. */
export const MAX_WALK_DEPTH = 64;
/** Files collected in one run. */
export const MAX_FILES = 1_000_000;

function kindOf(stats: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}) {
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  return "not a regular file";
}

function errnoMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "is a symbolic link (not followed)";
    case "ENOTDIR":
      return "not a directory";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

const within = (child: string, parent: string): boolean =>
  child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : `${parent}${path.sep}`);

/** Collects the files under `paths` (in the order given, each directory in name order). */
export async function collectInputs(
  paths: readonly string[],
): Promise<{ files: InputFile[]; problems: InputProblem[] }> {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const roots: string[] = [];
  const given: { display: string; real: string; directory: boolean }[] = [];
  for (const display of paths) {
    try {
      // A path named on the command line is the user's choice: its links are resolved.
      const real = await realpath(display);
      const stats = await stat(real);
      if (stats.isDirectory()) {
        roots.push(real);
        given.push({ display, real, directory: true });
      } else if (stats.isFile()) {
        given.push({ display, real, directory: false });
      } else {
        problems.push({ file: display, message: `${kindOf(stats)}: not read` });
      }
    } catch (error) {
      problems.push({ file: display, message: errnoMessage(error) });
    }
  }
  const add = (display: string, real: string, walked: boolean): void => {
    if (seen.has(real)) return;
    if (files.length >= MAX_FILES) {
      if (files.length === MAX_FILES) {
        problems.push({ file: display, message: `more than ${MAX_FILES} files: the rest are not read` });
      }
      return;
    }
    seen.add(real);
    files.push({ display, real, walked });
  };
  const visited = new Set<string>();
  const walk = async (display: string, real: string, depth: number): Promise<void> => {
    const dirStats = await stat(real);
    const id = `${dirStats.dev}:${dirStats.ino}`;
    if (visited.has(id)) return;
    visited.add(id);
    if (depth > MAX_WALK_DEPTH) {
      problems.push({ file: display, message: `directories nested more than ${MAX_WALK_DEPTH} deep: not read` });
      return;
    }
    let entries;
    try {
      entries = await readdir(real, { withFileTypes: true });
    } catch (error) {
      problems.push({ file: display, message: errnoMessage(error) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childDisplay = path.join(display, entry.name);
      const childReal = path.join(real, entry.name);
      try {
        if (entry.isSymbolicLink()) {
          let target: string;
          try {
            target = await realpath(childReal);
          } catch {
            problems.push({ file: childDisplay, message: "broken symbolic link: not followed" });
            continue;
          }
          if (!roots.some((root) => within(target, root))) {
            problems.push({ file: childDisplay, message: "symbolic link to outside the given paths: not followed" });
            continue;
          }
          const stats = await stat(target);
          if (stats.isDirectory()) await walk(childDisplay, target, depth + 1);
          else if (stats.isFile()) add(childDisplay, target, true);
          else problems.push({ file: childDisplay, message: `${kindOf(stats)}: not read` });
        } else if (entry.isDirectory()) {
          await walk(childDisplay, childReal, depth + 1);
        } else if (entry.isFile()) {
          add(childDisplay, childReal, true);
        } else {
          problems.push({ file: childDisplay, message: `${kindOf(await lstat(childReal))}: not read` });
        }
      } catch (error) {
        problems.push({ file: childDisplay, message: errnoMessage(error) });
      }
    }
  };
  for (const item of given) {
    if (item.directory) await walk(item.display, item.real, 0);
    else add(item.display, item.real, false);
  }
  return { files, problems };
}

/**
 * Opens a regular file for reading without following a final symbolic link and without blocking
 * on a FIFO put in its place since the walk. Throws an Error with a message fit for `errors`.
 */
export async function openRegularFile(file: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw new Error(errnoMessage(error));
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new Error(`${kindOf(stats)}: not read`);
  }
  return { handle, size: stats.size };
}
