/**
 * Runs the real `sender-auth` binary (bin/sender-auth.js) in a child process, and builds throw-away
 * Pulumi projects whose program is this repository's index.ts, so CLI tests see exactly what a user
 * running `npx sender-auth` sees: exit code, stdout and stderr.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { isRecord } from "../../components/model";

export const REPO_ROOT = path.join(__dirname, "..", "..");
export const CLI_BIN = path.join(REPO_ROOT, "bin", "sender-auth.js");
export const REPO_STACKS_DIR = path.join(REPO_ROOT, "stacks");

export interface CliResult {
  /** Exit code, or null when the process was killed (see `signal`). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCliOptions {
  /** Working directory. @default REPO_ROOT */
  readonly cwd?: string;
  /** The child's entire environment. @default the test process's environment minus node:test's own variables */
  readonly env?: NodeJS.ProcessEnv;
  /** Kills the child after this long. @default 90_000 */
  readonly timeoutMs?: number;
  /** The node binary that runs bin/sender-auth.js (runCli only). @default process.execPath */
  readonly node?: string;
  /** Written to the child's stdin, which is then closed. @default stdin ignored */
  readonly input?: string;
  /** Run as this user and group (the test process runs as root here, which no permission stops). */
  readonly uid?: number;
  readonly gid?: number;
  /**
   * Called once the child is spawned, after runCli's wait for a free slot: where a test that times a
   * run starts its clock, so that the time other children held the slots is not counted.
   */
  readonly onSpawn?: () => void;
}

/** A run's exit, stdout and stderr (shortened), for assertion messages. */
export function describeResult(result: CliResult): string {
  const how = `exit ${String(result.code)}${result.signal ? ` (${result.signal})` : ""}`;
  return `${how}\n--- stdout\n${result.stdout.slice(0, 2000)}\n--- stderr\n${result.stderr.slice(0, 4000)}`;
}

/** The test process's environment, without what node:test sets for its own child processes. */
export function inheritedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["NODE_TEST_CONTEXT"];
  return env;
}

// Every spawn loads the TypeScript loader, commander and the Pulumi SDK (~1 CPU-second): starting more children than
// there are cores (plus one, to cover I/O waits) only makes each one slower, so the rest wait their turn.
const MAX_CHILDREN = availableParallelism() + 1;
let running = 0;
const waiting: (() => void)[] = [];

async function acquire(): Promise<void> {
  if (running < MAX_CHILDREN) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

/** `node bin/sender-auth.js ...args` with the running node binary; resolves once the child has exited. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  return runProcess(options.node ?? process.execPath, [CLI_BIN, ...args], options);
}

/**
 * `node bin/sender-auth.js ...args` in a pseudo-terminal (util-linux `script`, part of every Debian),
 * as a user at a terminal runs it: stdout and stderr are the terminal, so both arrive in `stdout`
 * (line ends normalised to `\n`).
 */
export async function runCliInTerminal(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const quote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`;
  const command = [options.node ?? process.execPath, CLI_BIN, ...args].map(quote).join(" ");
  const result = await runProcess("script", ["-q", "-e", "-c", command, "/dev/null"], options);
  return { ...result, stdout: result.stdout.replace(/\r\n/g, "\n") };
}

/** `file ...args` as a child process; resolves once the child has exited and its output is read. */
export async function runProcess(
  file: string,
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<CliResult> {
  await acquire();
  try {
    return await startProcess(file, args, options).done;
  } finally {
    release();
  }
}

/** A running `sender-auth`, for tests that signal it or interleave it with another run. */
export interface RunningCli {
  readonly pid: number;
  /** Resolves once it has exited and both pipes are drained. */
  readonly done: Promise<CliResult>;
  /** Resolves once its stderr so far matches `pattern` (rejects if it exits first). */
  stderrMatches(pattern: RegExp): Promise<string>;
}

/**
 * Starts `sender-auth ...args` and returns at once (not counted against the cap runCli keeps). With
 * `processGroup`, the child leads its own process group, so `process.kill(-pid, signal)` signals it
 * and everything in its group, as a terminal's Ctrl-C does.
 */
export function startCli(
  args: readonly string[],
  options: RunCliOptions & { processGroup?: boolean } = {},
): RunningCli {
  return startProcess(options.node ?? process.execPath, [CLI_BIN, ...args], options);
}

/** `file ...args` started as a child process (see startCli). */
function startProcess(
  file: string,
  args: readonly string[],
  options: RunCliOptions & { processGroup?: boolean },
): RunningCli {
  const child = spawn(file, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? inheritedEnv(),
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    detached: options.processGroup === true,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  options.onSpawn?.();
  if (options.input !== undefined) child.stdin?.end(options.input);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const watchers: { pattern: RegExp; resolve: (text: string) => void; reject: (error: Error) => void }[] = [];
  const stderrText = (): string => Buffer.concat(stderr).toString("utf8");
  let exited = false;
  const notify = (): void => {
    const text = stderrText();
    for (const watcher of [...watchers]) {
      if (watcher.pattern.test(text)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(text);
      }
    }
  };
  // Both are pipes (stdio above); the type of a computed stdio array does not say so.
  child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr.push(chunk);
    notify();
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // "close", not "exit": both pipes are drained by then.
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      exited = true;
      const result = { code, signal, stdout: Buffer.concat(stdout).toString("utf8"), stderr: stderrText() };
      for (const watcher of watchers.splice(0)) {
        watcher.reject(
          new Error(`sender-auth exited before its stderr matched ${String(watcher.pattern)}:\n${result.stderr}`),
        );
      }
      resolve(result);
    });
  });
  return {
    pid: child.pid ?? -1,
    done,
    stderrMatches(pattern) {
      return new Promise((resolve, reject) => {
        if (exited && !pattern.test(stderrText())) {
          reject(new Error(`sender-auth exited before its stderr matched ${String(pattern)}:\n${stderrText()}`));
          return;
        }
        watchers.push({ pattern, resolve, reject });
        notify();
      });
    },
  };
}

/** A throw-away Pulumi project whose program is this repository's index.ts. */
export interface TempProject {
  /** The project directory (holds Pulumi.yaml). */
  readonly dir: string;
  /** Where its stack files go (Pulumi.yaml `stackConfigDir`). */
  readonly stacksDir: string;
  /** Writes stacks/Pulumi.<stack>.yaml. */
  writeStack(stack: string, yamlText: string): void;
  /** Copies one of the repository's stacks/Pulumi.<from>.yaml to stacks/Pulumi.<to>.yaml. */
  copyRepoStack(from: string, to?: string): void;
  /** Creates a (nested) subdirectory and returns its absolute path. */
  subdir(...segments: string[]): string;
  remove(): void;
}

/** Text of one of the repository's stack files. */
export function repoStackText(stack: string): string {
  return readFileSync(path.join(REPO_STACKS_DIR, `Pulumi.${stack}.yaml`), "utf8");
}

/**
 * Creates a project in a fresh temporary directory: the repository's Pulumi.yaml (same name, config
 * schema and defaults, `stackConfigDir: stacks`) with `main` rewritten as the relative path from the
 * temporary directory to this repository's index.ts, since Pulumi.yaml `main` is relative to the
 * project directory. No stack files until written.
 */
export function createTempProject(prefix = "sender-auth-cli-"): TempProject {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  const doc: unknown = parseYaml(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
  if (!isRecord(doc)) throw new Error("Pulumi.yaml is not a mapping");
  const stackConfigDir = typeof doc["stackConfigDir"] === "string" ? doc["stackConfigDir"] : ".";
  doc["main"] = path.relative(dir, path.join(REPO_ROOT, "index.ts"));
  writeFileSync(path.join(dir, "Pulumi.yaml"), stringifyYaml(doc));
  const stacksDir = path.join(dir, stackConfigDir);
  mkdirSync(stacksDir, { recursive: true });
  return {
    dir,
    stacksDir,
    writeStack(stack, yamlText) {
      writeFileSync(path.join(stacksDir, `Pulumi.${stack}.yaml`), yamlText);
    },
    copyRepoStack(from, to = from) {
      copyFileSync(path.join(REPO_STACKS_DIR, `Pulumi.${from}.yaml`), path.join(stacksDir, `Pulumi.${to}.yaml`));
    },
    subdir(...segments) {
      const sub = path.join(dir, ...segments);
      mkdirSync(sub, { recursive: true });
      return sub;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
