/**
 * cli/stackLock.ts and cli/stackEdit.ts in process: the lock's holder, waiting and takeover rules, and
 * an edit's backup when even restoring fails. The end-to-end behaviour (two keygens, signals, a killed
 * keygen, a full disk) is tested by spawning the CLI in test/unit/cli/keygen.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { UsageError } from "../../../cli/errors";
import { loadProject } from "../../../cli/project";
import { PulumiCliError, type PulumiCli } from "../../../cli/pulumiCli";
import { editStack, lockWaitMs, StackEditError } from "../../../cli/stackEdit";
import { holderIsGone, lockStack, StackLockedError, type LockHolder } from "../../../cli/stackLock";
import { tempDirs } from "../../support/tempDirs";

const tempDir = tempDirs("sender-auth-lock-");

/** A pid that certainly ran and has ended: a child that exited and was reaped. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

function holder(overrides: Partial<LockHolder>): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    command: "sender-auth keygen",
    since: "2026-11-28T10:00:00.000Z",
    token: "t".repeat(32),
    ...overrides,
  };
}

function writeLock(dir: string, stack: string, content: string): string {
  mkdirSync(path.join(dir, ".sender-auth"), { recursive: true });
  const file = path.join(dir, ".sender-auth", `${stack}.lock`);
  writeFileSync(file, content);
  return file;
}

describe("lockStack", () => {
  it("records its holder, makes a second writer fail naming it after the wait, and is free again once released", async () => {
    const dir = tempDir();
    const lock = await lockStack({ stackConfigDir: dir, stack: "s", command: "sender-auth keygen", label: "L" });
    assert.deepEqual(JSON.parse(readFileSync(lock.file, "utf8")), lock.holder);
    assert.equal(lock.holder.pid, process.pid);
    let waitedFor: LockHolder | undefined;
    await assert.rejects(
      lockStack({
        stackConfigDir: dir,
        stack: "s",
        command: "sender-auth rotate",
        waitMs: 0,
        label: "L",
        onWait: (h) => (waitedFor = h),
      }),
      new StackLockedError(
        `stack s is locked by another command writing its config: pid ${process.pid} (sender-auth keygen) on host ${hostname()} since ${lock.holder.since}; gave up after waiting 0 s. Run this again once it has finished`,
      ),
    );
    assert.equal(waitedFor, undefined, "no wait announced when there is no time to wait");
    lock.release();
    assert.equal(existsSync(lock.file), false);
    const again = await lockStack({ stackConfigDir: dir, stack: "s", command: "sender-auth rotate" });
    assert.equal(again.tookOverFrom, undefined);
    again.release();
  });

  it("a lock whose holder has ended is taken over, and only that lock", async () => {
    const dir = tempDir();
    const dead = holder({ pid: deadPid() });
    assert.equal(holderIsGone(dead), true);
    writeLock(dir, "s", JSON.stringify(dead));
    const lock = await lockStack({ stackConfigDir: dir, stack: "s", command: "sender-auth keygen", waitMs: 0 });
    assert.deepEqual(lock.tookOverFrom, dead);
    assert.deepEqual(JSON.parse(readFileSync(lock.file, "utf8")) as unknown, lock.holder);
    assert.deepEqual(readdirSync(path.join(dir, ".sender-auth")), ["s.lock"], "no guard or temporary file is left");
    lock.release();
  });

  it("a running pid is the holder; the same pid with another start time is a reused pid, so the holder has ended", () => {
    const own = lockStackHolderOfThisProcess();
    assert.equal(holderIsGone(own), false);
    assert.equal(holderIsGone(holder({ started: "1" })), true);
  });

  it("a holder on another host is never judged gone: the message says to remove the lock if nothing runs there", async () => {
    const dir = tempDir();
    const pid = deadPid();
    writeLock(dir, "s", JSON.stringify(holder({ pid, host: "elsewhere.example" })));
    await assert.rejects(
      lockStack({ stackConfigDir: dir, stack: "s", command: "sender-auth keygen", waitMs: 0, label: "L" }),
      new StackLockedError(
        `stack s is locked by another command writing its config: pid ${pid} (sender-auth keygen) on host elsewhere.example since 2026-11-28T10:00:00.000Z; gave up after waiting 0 s. Run this again once it has finished; if nothing runs on host elsewhere.example any more, remove L`,
      ),
    );
  });

  it("an unreadable lock is waited for, then named: never removed by guesswork", async () => {
    const dir = tempDir();
    const file = writeLock(dir, "s", "garbage");
    await assert.rejects(
      lockStack({ stackConfigDir: dir, stack: "s", command: "sender-auth keygen", waitMs: 0, label: "L" }),
      new StackLockedError(
        `stack s is locked and the lock cannot be read (${file}: is not a sender-auth lock); gave up after waiting 0 s. If no sender-auth command is running, remove L`,
      ),
    );
    assert.equal(readFileSync(file, "utf8"), "garbage");
  });

  it("release leaves a lock that is no longer its own", async () => {
    const dir = tempDir();
    const lock = await lockStack({ stackConfigDir: dir, stack: "s", command: "sender-auth keygen" });
    const other = JSON.stringify(holder({ token: "other" }));
    writeFileSync(lock.file, other);
    lock.release();
    assert.equal(readFileSync(lock.file, "utf8"), other);
  });
});

function lockStackHolderOfThisProcess(): LockHolder {
  const stat = readFileSync(`/proc/${process.pid}/stat`, "utf8");
  const started = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  return holder(started === undefined ? {} : { started });
}

// ---------------------------------------------------------------------------------------------------

describe("editStack", () => {
  const STACK_TEXT = "# keep\nconfig:\n  sender-auth:domain: example.com\n";

  function project(): { dir: string; file: string; stateDir: string } {
    const dir = tempDir();
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: sender-auth\nruntime: nodejs\nstackConfigDir: stacks\n");
    writeFileSync(path.join(dir, "index.ts"), "");
    mkdirSync(path.join(dir, "stacks"));
    const file = path.join(dir, "stacks", "Pulumi.s.yaml");
    writeFileSync(file, STACK_TEXT);
    return { dir, file, stateDir: path.join(dir, "stacks", ".sender-auth") };
  }

  /** A PulumiCli that edits the stack file directly, then runs `after`. */
  function cli(file: string, after: () => void = () => undefined): PulumiCli {
    return {
      checkStack: () => Promise.resolve(),
      setSecret: () => Promise.resolve(),
      setPlain: (_stack, values) => {
        writeFileSync(file, `${readFileSync(file, "utf8")}  ${Object.keys(values).join("")}: x\n`);
        after();
        return Promise.resolve();
      },
      get: () => Promise.resolve(undefined),
      remove: () => Promise.resolve(),
    };
  }

  const io = { stdout: { write: () => true }, stderr: { write: () => true } };

  it("when even restoring fails, the message names the backup and the command that restores it", async () => {
    const { dir, file, stateDir } = project();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const backup = path.join(stateDir, "Pulumi.s.yaml.backup");
      await assert.rejects(
        editStack(
          {
            project: loadProject(dir),
            stack: "s",
            command: "test",
            io,
            pulumi: cli(file, () => {
              rmSync(backup);
            }),
          },
          async (edit) => {
            await edit.pulumi.setPlain("s", { "sender-auth:a": "b" });
            throw new PulumiCliError("pulumi config set-all failed: boom");
          },
        ),
        new StackEditError(
          "pulumi config set-all failed: boom\nthe stack file could not be restored (stacks/Pulumi.s.yaml: cannot restore: it does not exist (ENOENT)); its backup is stacks/.sender-auth/Pulumi.s.yaml.backup: run this command again, which restores it first, or restore it yourself with\n  mv 'stacks/.sender-auth/Pulumi.s.yaml.backup' 'stacks/Pulumi.s.yaml'",
          1,
        ),
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it("an edit that writes nothing leaves no backup, and a usage error before any write passes through unchanged", async () => {
    const { dir, file, stateDir } = project();
    const result = await editStack(
      { project: loadProject(dir), stack: "s", command: "test", io, pulumi: cli(file) },
      () => Promise.resolve(42),
    );
    assert.equal(result, 42);
    const refusal = new UsageError("no");
    await assert.rejects(
      editStack({ project: loadProject(dir), stack: "s", command: "test", io, pulumi: cli(file) }, () =>
        Promise.reject(refusal),
      ),
      refusal,
    );
    assert.deepEqual(readdirSync(stateDir), []);
    assert.equal(readFileSync(file, "utf8"), STACK_TEXT);
  });

  it("SENDER_AUTH_LOCK_WAIT_MS: milliseconds, default 15 s, anything else a usage error", () => {
    assert.equal(lockWaitMs({}), 15_000);
    assert.equal(lockWaitMs({ SENDER_AUTH_LOCK_WAIT_MS: "250" }), 250);
    assert.throws(
      () => lockWaitMs({ SENDER_AUTH_LOCK_WAIT_MS: "-1" }),
      new UsageError('SENDER_AUTH_LOCK_WAIT_MS must be a whole number of milliseconds, got "-1"'),
    );
  });
});
