/**
 * One lock per stack, taken by every command that writes the stack's config (keygen, rotate), so two
 * writers never interleave their `pulumi config` calls (issue #11: two concurrent keygens lost a key).
 *
 * The lock is `<stackConfigDir>/.sender-auth/<stack>.lock`, a JSON file naming its holder (pid, host,
 * command, since when). It is created atomically with its content (a complete temporary file
 * hard-linked to the lock name, which fails if the name exists), so a reader never sees half a lock.
 * A second writer waits (SENDER_AUTH_LOCK_WAIT_MS, default 15 s), then fails naming the holder. A lock
 * whose holder no longer runs on this host (no such pid, a zombie, or a pid reused by a process that
 * started later) is taken over: under a short-lived guard file, and only if it is still that same lock.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, linkSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";
import { ProjectError } from "./errors";
import {
  createFileExclusive,
  ensureDirectory,
  entryAt,
  fsError,
  readRegularFile,
  syncDirectory,
  temporaryPathBeside,
} from "./safeFs";

/** The directory (inside the stack config directory, gitignored) holding locks and backups. */
export const STATE_DIR = ".sender-auth";

/** How long a writer waits for another writer's lock by default. */
export const DEFAULT_LOCK_WAIT_MS = 15_000;

/** How often a waiting writer looks at the lock again. */
const POLL_MS = 100;

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** What holds it, e.g. `sender-auth keygen`. */
  readonly command: string;
  /** ISO 8601 time the lock was taken. */
  readonly since: string;
  /** The holder's start time (Linux: /proc/<pid>/stat field 22), telling a reused pid from the holder. */
  readonly started?: string;
  /** Unique per lock taken: a takeover removes exactly the lock it judged stale. */
  readonly token: string;
}

/** Another writer holds the stack's lock (exit 1). */
export class StackLockedError extends ProjectError {}

export function stateDir(stackConfigDir: string): string {
  return path.join(stackConfigDir, STATE_DIR);
}

export function lockFile(stackConfigDir: string, stack: string): string {
  return path.join(stateDir(stackConfigDir), `${stack}.lock`);
}

/** `pid 4242 (sender-auth keygen) on host ci-7 since 2026-11-28T10:00:00.000Z` */
export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} (${holder.command}) on host ${holder.host} since ${holder.since}`;
}

/** State and start time of a process from /proc (Linux); undefined elsewhere or when it does not exist. */
function procStat(pid: number): { readonly state: string; readonly started: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const started = fields[19];
  return state === undefined || started === undefined ? undefined : { state, started };
}

/** Whether the holder certainly no longer runs: only decidable on the same host. */
export function holderIsGone(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  const stat = procStat(holder.pid);
  if (stat === undefined) return false;
  return stat.state === "Z" || stat.state === "X" || (holder.started !== undefined && stat.started !== holder.started);
}

type LockRead =
  | { readonly kind: "absent" }
  | { readonly kind: "held"; readonly holder: LockHolder }
  | { readonly kind: "unreadable"; readonly reason: string };

function isHolder(value: unknown): value is LockHolder {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(v["pid"]) &&
    typeof v["host"] === "string" &&
    typeof v["command"] === "string" &&
    typeof v["since"] === "string" &&
    typeof v["token"] === "string" &&
    (v["started"] === undefined || typeof v["started"] === "string")
  );
}

function readLock(file: string): LockRead {
  if (entryAt(file) === undefined) return { kind: "absent" };
  let text: string;
  try {
    text = readRegularFile(file, { maxBytes: 64 * 1024 }).toString("utf8");
  } catch (error) {
    // Removed in between (read again), or not a lock at all.
    return { kind: "unreadable", reason: error instanceof Error ? error.message : String(error) };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (isHolder(value)) return { kind: "held", holder: value };
  } catch {
    // reported below
  }
  return { kind: "unreadable", reason: `${file}: is not a sender-auth lock` };
}

/** Creates `file` holding `text` atomically, or returns false when it exists. */
function createAtomically(file: string, text: string, label: string): boolean {
  const temporary = temporaryPathBeside(file);
  createFileExclusive(temporary, text, label, 0o644);
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw fsError(error, label, "create");
  } finally {
    rmSync(temporary, { force: true });
  }
  // A file system without hard links: create exclusively, then write (a reader may briefly see it empty).
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw fsError(error, label, "create");
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes the lock `file` if it is still the stale lock `stale`. Only the process holding the guard
 * (`<lock>.takeover`, created atomically) removes a lock, so two processes that both judged it stale
 * cannot remove a fresh lock taken in between.
 */
function takeOver(file: string, stale: LockHolder, own: LockHolder, label: string): void {
  const guard = `${file}.takeover`;
  if (!createAtomically(guard, `${JSON.stringify(own)}\n`, `${label}.takeover`)) {
    const guardRead = readLock(guard);
    // A guard is held for microseconds; one left by a process killed inside that window is removed.
    if (guardRead.kind === "held" && holderIsGone(guardRead.holder)) rmSync(guard, { force: true });
    return;
  }
  try {
    const current = readLock(file);
    if (current.kind === "held" && current.holder.token === stale.token) rmSync(file, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

export interface LockOptions {
  readonly stackConfigDir: string;
  readonly stack: string;
  /** What takes the lock, for the message another writer sees, e.g. `sender-auth keygen`. */
  readonly command: string;
  /** How long to wait for a held lock. @default DEFAULT_LOCK_WAIT_MS */
  readonly waitMs?: number;
  /** How the lock file is named in messages. @default its path */
  readonly label?: string;
  /** Called once when the lock is held by another writer and this one starts waiting. */
  readonly onWait?: (holder: LockHolder) => void;
}

export interface StackLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** The holder of a stale lock that was taken over, if any. */
  readonly tookOverFrom: LockHolder | undefined;
  /** Removes the lock, if it is still this one. */
  release(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Takes the stack's lock, waiting up to `waitMs` for another writer; a stale lock is taken over. */
export async function lockStack(options: LockOptions): Promise<StackLock> {
  const file = lockFile(options.stackConfigDir, options.stack);
  const label = options.label ?? file;
  ensureDirectory(stateDir(options.stackConfigDir), path.dirname(label));
  const stat = procStat(process.pid);
  const own: LockHolder = {
    pid: process.pid,
    host: hostname(),
    command: options.command,
    since: new Date().toISOString(),
    ...(stat === undefined ? {} : { started: stat.started }),
    token: randomBytes(16).toString("hex"),
  };
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const deadline = Date.now() + waitMs;
  let tookOverFrom: LockHolder | undefined;
  let waiting = false;
  for (;;) {
    if (createAtomically(file, `${JSON.stringify(own)}\n`, label)) {
      syncDirectory(path.dirname(file));
      return {
        file,
        holder: own,
        tookOverFrom,
        release() {
          const current = readLock(file);
          if (current.kind === "held" && current.holder.token === own.token) rmSync(file, { force: true });
        },
      };
    }
    const current = readLock(file);
    if (current.kind === "absent") continue;
    if (current.kind === "held" && holderIsGone(current.holder)) {
      tookOverFrom = current.holder;
      takeOver(file, current.holder, own, label);
      continue;
    }
    if (Date.now() >= deadline) {
      const seconds = `${Math.round(waitMs / 100) / 10} s`;
      throw new StackLockedError(
        current.kind === "held"
          ? `stack ${options.stack} is locked by another command writing its config: ${describeHolder(current.holder)}; ` +
              `gave up after waiting ${seconds}. ` +
              `Run this again once it has finished` +
              (current.holder.host === own.host
                ? ""
                : `; if nothing runs on host ${current.holder.host} any more, remove ${label}`)
          : `stack ${options.stack} is locked and the lock cannot be read (${current.reason}); ` +
              `gave up after waiting ${seconds}. If no sender-auth command is running, remove ${label}`,
      );
    }
    if (!waiting && current.kind === "held") {
      waiting = true;
      options.onWait?.(current.holder);
    }
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
  }
}
