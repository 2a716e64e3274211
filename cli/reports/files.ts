/**
 * The files `reports` reads: the paths given, directories walked recursively in name order. A
 * symbolic link met in a walk is followed only when its target lies inside one of the given paths
 * (report folders often link an archive in); one that leads elsewhere, FIFOs, sockets and devices
 * are `errors` entries, never read. The walk is synchronous: it only lists names, and a report run
 * needs the whole list before it can hand files out in order. Files are later opened through
 * cli/safeFs.ts (openRegularFile: no link followed, no FIFO blocked on, regular files only). Every
 * refusal of the file system is worded as cli/safeFs.ts words it for the other commands.
 */
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent } from "node:fs";
import * as path from "node:path";
import { notRegularFileProblem, openProblem as safeOpenProblem, type LinkScope } from "../safeFs";

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

/** What `reports` reads: files given by path, and what a walk of a given directory finds in it. */
const REPORT_FILES: LinkScope = { files: "report files", inside: "the given paths" };

/**
 * Why a path could not be read, in cli/safeFs.ts's one wording (openProblem, fsProblem). A path given
 * or walked is resolved through its links (`followLink`); the file later opened is not.
 */
function readProblem(error: unknown, followLink = true): string {
  return safeOpenProblem(error, followLink, REPORT_FILES) ?? (error instanceof Error ? error.message : String(error));
}

const within = (child: string, parent: string): boolean =>
  child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : `${parent}${path.sep}`);

/** Collects the files under `paths` (in the order given, each directory in name order). */
export function collectInputs(paths: readonly string[]): { files: InputFile[]; problems: InputProblem[] } {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const roots: string[] = [];
  const given: { display: string; real: string; directory: boolean }[] = [];
  for (const display of paths) {
    try {
      // A path named on the command line is the user's choice: its links are resolved.
      const real = realpathSync(display);
      const stats = statSync(real);
      if (stats.isDirectory()) {
        roots.push(real);
        given.push({ display, real, directory: true });
      } else if (stats.isFile()) {
        given.push({ display, real, directory: false });
      } else {
        problems.push({ file: display, message: notRegularFileProblem(stats) });
      }
    } catch (error) {
      problems.push({ file: display, message: readProblem(error) });
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
  const walk = (display: string, real: string, depth: number): void => {
    let dirStats;
    try {
      dirStats = statSync(real);
    } catch (error) {
      problems.push({ file: display, message: readProblem(error) });
      return;
    }
    const id = `${dirStats.dev}:${dirStats.ino}`;
    if (visited.has(id)) return;
    visited.add(id);
    if (depth > MAX_WALK_DEPTH) {
      problems.push({ file: display, message: `directories nested more than ${MAX_WALK_DEPTH} deep: not read` });
      return;
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(real, { withFileTypes: true });
    } catch (error) {
      problems.push({ file: display, message: readProblem(error) });
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
            target = realpathSync(childReal);
          } catch {
            problems.push({ file: childDisplay, message: "is a broken symbolic link: its target cannot be read" });
            continue;
          }
          if (!roots.some((root) => within(target, root))) {
            problems.push({
              file: childDisplay,
              message: "is a symbolic link to outside the given paths, which sender-auth does not follow",
            });
            continue;
          }
          const stats = statSync(target);
          if (stats.isDirectory()) walk(childDisplay, target, depth + 1);
          else if (stats.isFile()) add(childDisplay, target, true);
          else problems.push({ file: childDisplay, message: notRegularFileProblem(stats) });
        } else if (entry.isDirectory()) {
          walk(childDisplay, childReal, depth + 1);
        } else if (entry.isFile()) {
          add(childDisplay, childReal, true);
        } else {
          problems.push({ file: childDisplay, message: notRegularFileProblem(lstatSync(childReal)) });
        }
      } catch (error) {
        problems.push({ file: childDisplay, message: readProblem(error) });
      }
    }
  };
  for (const item of given) {
    if (item.directory) walk(item.display, item.real, 0);
    else add(item.display, item.real, false);
  }
  return { files, problems };
}

/** Why cli/safeFs.ts's openRegularFile refused a file (which it opens without following a link), as an `errors` message. */
export function openProblem(error: unknown): string {
  return readProblem(error, false);
}
