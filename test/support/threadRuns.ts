/**
 * Spawned runs of the real binary that count the worker threads it started (threadCount.cjs,
 * preloaded), and the comparison every fleet command's threads must pass (issue #14): with two
 * threads and with none, the same exit code and the same bytes on stdout and stderr.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describeResult, inheritedEnv, runCli, type CliResult } from "./cli";

const PRELOAD = path.join(__dirname, "threadCount.cjs");

export interface ThreadRun extends CliResult {
  /** Worker threads the run started for cli/workers/pool.ts. */
  readonly threads: number;
}

export interface ThreadRuns {
  /** Runs `sender-auth <args>` in `cwd` with SENDER_AUTH_NOW pinned. */
  run(args: readonly string[]): Promise<ThreadRun>;
  /** Runs `args` with `--workers 2` and `--workers 0`; the threaded run, once both are asserted identical. */
  bothWays(args: readonly string[]): Promise<ThreadRun>;
  /** Removes the files that counted the threads. */
  remove(): void;
}

export function threadRuns(cwd: string, now: string): ThreadRuns {
  const scratch = mkdtempSync(path.join(tmpdir(), "sender-auth-threads-"));
  let runs = 0;
  const run = async (args: readonly string[]): Promise<ThreadRun> => {
    const threadsFile = path.join(scratch, `threads-${runs++}`);
    const result = await runCli(args, {
      cwd,
      env: {
        ...inheritedEnv(),
        SENDER_AUTH_NOW: now,
        NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --require ${PRELOAD}`,
        SENDER_AUTH_TEST_THREADS_FILE: threadsFile,
      },
    });
    return { ...result, threads: Number(readFileSync(threadsFile, "utf8")) };
  };
  return {
    run,
    bothWays: async (args) => {
      const [threaded, single] = await Promise.all([
        run([...args, "--workers", "2"]),
        run([...args, "--workers", "0"]),
      ]);
      assert.equal(threaded.threads, 2, describeResult(threaded));
      assert.equal(single.threads, 0, describeResult(single));
      assert.equal(threaded.code, single.code, describeResult(threaded));
      assert.equal(threaded.stdout, single.stdout);
      assert.equal(threaded.stderr, single.stderr);
      return threaded;
    },
    remove: () => {
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
