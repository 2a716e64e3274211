/**
 * Reads files of a git revision straight from git objects, never touching the working tree. A
 * revision is hostile input like any other (issue #11): only regular files (mode 100644 or 100755) of
 * bounded size are read, as text; a symbolic link or an oversized blob is an error naming it.
 */
import { execFileSync } from "node:child_process";
import { ProjectError, UsageError } from "./errors";
import { decodeYamlText, MAX_CONFIG_FILE_BYTES, tooLargeProblem } from "./safeFs";

export interface GitTree {
  /** The commit the ref resolved to. */
  readonly commit: string;
  /** Path of the project directory relative to the repository root, with a trailing slash or "". */
  readonly prefix: string;
  /**
   * Text of a file (path relative to the project directory), or undefined when it does not exist there;
   * a ProjectError when it is no regular file, larger than MAX_CONFIG_FILE_BYTES or not YAML text.
   */
  read(relativePath: string): string | undefined;
  /** Files directly inside a directory (relative to the project directory). */
  list(relativeDir: string): string[];
}

/** Bounds what one git call may print (a listing of a huge tree, say). */
const MAX_GIT_OUTPUT = 16 * 1024 * 1024;

function git(cwd: string, args: readonly string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    maxBuffer: MAX_GIT_OUTPUT,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** `git ls-tree -l -z` entry: `<mode> <type> <object> <size>\t<path>`. */
const LS_TREE_ENTRY = /^(\d{6}) (\w+) ([0-9a-f]+) +(-|\d+)\t/;

export function gitTree(projectDir: string, ref: string): GitTree {
  let commit: string;
  let prefix: string;
  let root: string;
  try {
    prefix = git(projectDir, ["rev-parse", "--show-prefix"]).trim();
    root = git(projectDir, ["rev-parse", "--show-toplevel"]).trim();
  } catch {
    throw new UsageError(`${projectDir} is not inside a git repository; --base needs one`);
  }
  try {
    commit = git(projectDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim();
  } catch {
    throw new UsageError(
      `--base ${JSON.stringify(ref)} is not a commit in this repository (fetch it first, e.g. git fetch origin main)`,
    );
  }
  const join = (relative: string): string => `${prefix}${relative.replace(/^\.\//, "")}`.replace(/\/$/, "");
  return {
    commit,
    prefix,
    read(relativePath) {
      const label = `${commit.slice(0, 12)}:${relativePath.replace(/^\.\//, "")}`;
      let listing: string;
      try {
        listing = git(root, ["ls-tree", "-l", "-z", commit, "--", join(relativePath)]);
      } catch {
        return undefined;
      }
      const entry = LS_TREE_ENTRY.exec(listing.split("\0")[0] ?? "");
      if (entry === null) return undefined;
      const [, mode, type, object, size] = entry;
      if (mode === "120000") {
        throw new ProjectError(`${label}: is a symbolic link in that commit; sender-auth reads only regular files`);
      }
      if (type !== "blob" || (mode !== "100644" && mode !== "100755") || object === undefined) {
        throw new ProjectError(`${label}: is not a regular file in that commit (mode ${mode ?? "?"})`);
      }
      if (Number(size) > MAX_CONFIG_FILE_BYTES) {
        throw new ProjectError(`${label}: ${tooLargeProblem(Number(size), MAX_CONFIG_FILE_BYTES)}`);
      }
      const blob = execFileSync("git", ["cat-file", "blob", object], {
        cwd: root,
        maxBuffer: MAX_CONFIG_FILE_BYTES + 1,
        stdio: ["ignore", "pipe", "pipe"],
      });
      return decodeYamlText(blob, label);
    },
    list(relativeDir) {
      const dir = relativeDir === "." || relativeDir === "" ? prefix.replace(/\/$/, "") : join(relativeDir);
      // Run from the repository root, where ls-tree's paths are the full paths; -z keeps non-ASCII
      // names unquoted (core.quotePath).
      const out = git(root, ["ls-tree", "-z", "--name-only", commit, "--", dir === "" ? "." : `${dir}/`]);
      return out
        .split("\0")
        .filter((line) => line !== "")
        .map((line) => line.slice(line.lastIndexOf("/") + 1));
    },
  };
}
