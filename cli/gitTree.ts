/** Reads files of a git revision straight from git objects, never touching the working tree. */
import { execFileSync } from "node:child_process";
import { UsageError } from "./project";

export interface GitTree {
  /** The commit the ref resolved to. */
  readonly commit: string;
  /** Path of the project directory relative to the repository root, with a trailing slash or "". */
  readonly prefix: string;
  /** Text of a file (path relative to the project directory), or undefined when it does not exist there. */
  read(relativePath: string): string | undefined;
  /** Files directly inside a directory (relative to the project directory). */
  list(relativeDir: string): string[];
}

function git(cwd: string, args: readonly string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

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
      try {
        return git(root, ["show", `${commit}:${join(relativePath)}`]);
      } catch {
        return undefined;
      }
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
