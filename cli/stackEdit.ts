/**
 * How keygen and rotate change a stack's config, so that no failure, signal, full disk or concurrent
 * run loses a key or a config value (issue #11). An edit:
 *
 * 1. takes the stack's lock (cli/stackLock.ts) and, if an earlier edit died half-way (its backup is
 *    still there), first restores the stack file from that backup;
 * 2. reads the stack config under the lock, so it decides on the current file;
 * 3. before the first write backs the stack file up: a copy replaces the stack file and the original
 *    file (its inode) is kept as `<stackConfigDir>/.sender-auth/<file>.backup`, so the disk space
 *    is taken before anything is written and restoring is one rename, which needs none;
 * 4. writes through `pulumi config` (which writes the stack file in place) and reads the file back:
 *    it must be the old file plus exactly the changes made, and every touched selector's private key
 *    must be the private half of its public key;
 * 5. commits (removes the backup) only then. Any failure, and SIGINT, SIGTERM or SIGHUP at any point,
 *    restores the backup byte for byte instead. A signal never stops it between two writes: the pulumi
 *    call in progress finishes (a second signal stops it), then the file is restored.
 */
import { linkSync, renameSync, rmSync } from "node:fs";
import { constants as osConstants } from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { publicKeyOf } from "../components/sections/dkim/keys";
import { isRecord } from "../components/model";
import { CommandError, ProjectError, UsageError } from "./errors";
import { EXIT_FAILURE, type Io } from "./io";
import { displayPath, parseStackConfig, stackFile, type Project, type StackConfig } from "./project";
import { PulumiCliError, pulumiCli, type PulumiCli } from "./pulumiCli";
import {
  createFileExclusive,
  entryAt,
  fsError,
  readRegularFile,
  readYamlFile,
  syncDirectory,
  temporaryPathBeside,
} from "./safeFs";
import { DEFAULT_LOCK_WAIT_MS, describeHolder, lockFile, lockStack, stateDir } from "./stackLock";
import { selectorPath } from "./stackKeys";

/**
 * A failed or interrupted edit, its message saying what became of the stack file; it exits 1, or
 * 128 + the signal's number when a signal stopped it.
 */
export class StackEditError extends CommandError {
  override readonly name: string = "StackEditError";
}

/** One change an edit makes, as `pulumi config --path` addresses it below the project namespace. */
export type ConfigChange =
  /** `set --path` of a plain value (typed as Pulumi types it: true/false, integers). */
  | { readonly path: readonly string[]; readonly value: string }
  /** `set --secret --path`: a secure value must be there. */
  | { readonly path: readonly string[]; readonly secret: true }
  /** `rm --path`: gone (its parents stay, as with Pulumi). */
  | { readonly path: readonly string[]; readonly removed: true };

export interface StackEdit {
  readonly stack: string;
  /** The stack config, read under the lock. */
  readonly config: StackConfig;
  /**
   * The Pulumi CLI, guarded: its first write backs the stack file up; no call starts after a signal.
   */
  readonly pulumi: PulumiCli;
  /**
   * Reads the stack file back: it must be the file as it was plus exactly `changes`, and each selector
   * in `keyPairs` must hold a private key (read back through `pulumi config get`) whose public half is
   * its publicKey. Throws otherwise, which restores the backup.
   */
  verify(changes: readonly ConfigChange[], keyPairs: readonly string[]): Promise<void>;
}

export interface StackEditOptions {
  readonly project: Project;
  readonly stack: string;
  /** What edits, for the lock's holder, e.g. `sender-auth keygen`. */
  readonly command: string;
  readonly io: Io;
  /** @default the Pulumi CLI on PATH, whose call in progress a second signal stops */
  readonly pulumi?: PulumiCli;
  /** @default SENDER_AUTH_LOCK_WAIT_MS, else DEFAULT_LOCK_WAIT_MS */
  readonly lockWaitMs?: number;
}

/** SENDER_AUTH_LOCK_WAIT_MS: how long to wait for another writer's lock. */
export function lockWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env["SENDER_AUTH_LOCK_WAIT_MS"];
  if (text === undefined || text === "") return DEFAULT_LOCK_WAIT_MS;
  if (!/^\d{1,9}$/.test(text)) {
    throw new UsageError(
      `SENDER_AUTH_LOCK_WAIT_MS must be a whole number of milliseconds, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  return Number(text);
}

// ---------------------------------------------------------------------------------------------------
// Signals

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

class Interrupted extends Error {}

/** Turns SIGINT, SIGTERM and SIGHUP into a flag the edit checks between steps. */
class Interrupts {
  received: NodeJS.Signals | undefined;
  readonly controller = new AbortController();

  constructor(private readonly io: Io) {}

  private readonly handler = (signal: NodeJS.Signals): void => {
    if (this.received !== undefined) {
      this.controller.abort();
      return;
    }
    this.received = signal;
    this.io.stderr.write(
      `warning: ${signal} received: stopping once the pulumi call in progress returns, ` +
        `leaving the stack config as it was before this command (${signal} again stops that call now)\n`,
    );
  };

  install(): void {
    for (const signal of SIGNALS) process.on(signal, this.handler);
  }

  uninstall(): void {
    for (const signal of SIGNALS) process.off(signal, this.handler);
  }

  check(): void {
    if (this.received !== undefined) throw new Interrupted(this.received);
  }

  /** 128 + the signal's number, as a shell reports a process ended by it. */
  get exitCode(): number {
    return 128 + (this.received === undefined ? 0 : osConstants.signals[this.received]);
  }
}

// ---------------------------------------------------------------------------------------------------
// The backup

class Backup {
  /** The stack file's bytes when the backup was taken; undefined until then. */
  before: Buffer | undefined;

  constructor(
    private readonly file: string,
    private readonly label: string,
    readonly backupFile: string,
    readonly backupLabel: string,
  ) {}

  get taken(): boolean {
    return this.before !== undefined;
  }

  /**
   * Keeps the stack file's inode as the backup and puts a copy in its place, which `pulumi` then
   * writes. The copy needs the space up front: a full disk fails here, before anything changed.
   */
  take(): void {
    if (this.taken) return;
    try {
      this.copyAside();
    } catch (error) {
      const problem = fsError(error, this.label, "read");
      throw new ProjectError(
        `cannot back up ${this.label} before the first write, so nothing was written: ${problem.message}`,
      );
    }
  }

  private copyAside(): void {
    const bytes = readRegularFile(this.file, { label: this.label });
    const mode = (entryAt(this.file, this.label)?.mode ?? 0o644) & 0o777;
    const copy = temporaryPathBeside(this.file);
    createFileExclusive(copy, bytes, this.label, mode);
    try {
      linkSync(this.file, this.backupFile);
    } catch (error) {
      rmSync(copy, { force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") {
        throw fsError(error, this.backupLabel, "create the backup");
      }
      // No hard links on this file system: the backup is a copy instead.
      createFileExclusive(this.backupFile, bytes, this.backupLabel, mode);
      this.before = bytes;
      return;
    }
    try {
      renameSync(copy, this.file);
    } catch (error) {
      rmSync(copy, { force: true });
      rmSync(this.backupFile, { force: true });
      throw fsError(error, this.label, "replace");
    }
    syncDirectory(path.dirname(this.file));
    syncDirectory(path.dirname(this.backupFile));
    this.before = bytes;
  }

  /** Puts the original file back: one rename, so it needs no disk space. */
  restore(): void {
    try {
      renameSync(this.backupFile, this.file);
    } catch (error) {
      throw fsError(error, this.label, "restore");
    }
    syncDirectory(path.dirname(this.file));
  }

  commit(): void {
    rmSync(this.backupFile, { force: true });
    syncDirectory(path.dirname(this.backupFile));
  }

  /**
   * A backup left by an edit that never finished (killed, or its restore failed): the stack file goes
   * back to it; the file as that edit left it is kept beside the backup, unless it is the same.
   */
  recoverLeftover(stack: string, io: Io): void {
    if (entryAt(this.backupFile, this.backupLabel) === undefined) return;
    const backup = readRegularFile(this.backupFile, { label: this.backupLabel });
    let kept = "";
    if (entryAt(this.file, this.label) !== undefined) {
      let current: Buffer | undefined;
      try {
        current = readRegularFile(this.file, { label: this.label });
      } catch {
        current = undefined;
      }
      if (current?.equals(backup) === true) {
        this.commit();
        return;
      }
      const keptFile = `${this.backupFile.replace(/\.backup$/, "")}.interrupted-${new Date().toISOString().replace(/:/g, "-")}`;
      try {
        renameSync(this.file, keptFile);
      } catch (error) {
        throw fsError(error, this.label, "set aside");
      }
      kept = `; the file as it was left is kept as ${displayPath(keptFile)}`;
    }
    this.restore();
    io.stderr.write(
      `warning: stack ${stack}: an earlier command writing its config did not finish: ` +
        `${this.label} was restored from the backup it took before its first write${kept}\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading back

/** Marks a secure value; no config value can hold NUL (stack files with control characters are refused). */
const SECURE = "\u0000secure";

function isSecure(value: unknown): boolean {
  return isRecord(value) && Object.keys(value).length === 1 && typeof value["secure"] === "string";
}

/** Key order and ciphertexts do not matter (Pulumi may reorder keys when it rewrites an object). */
function canonical(value: unknown): unknown {
  if (isSecure(value)) return SECURE;
  if (Array.isArray(value)) return value.map(canonical);
  if (!isRecord(value)) return value;
  const keys = Object.keys(value).sort();
  return Object.fromEntries(keys.map((key) => [key, canonical(value[key])]));
}

/**
 * A stack file's config as Pulumi holds it: top-level values are strings (Pulumi reads `x: true` as
 * "true"), objects keep their types; null entries are no value.
 */
function configOf(text: string, label: string, project: string): Map<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    throw new ProjectError(`${label}: is no longer valid YAML`);
  }
  const config = isRecord(doc) ? doc["config"] : undefined;
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(isRecord(config) ? config : {})) {
    if (value === null || value === undefined) continue;
    const full = key.includes(":") ? key : `${project}:${key}`;
    out.set(
      full,
      typeof value === "object" ? canonical(value) : typeof value === "string" ? value : JSON.stringify(value),
    );
  }
  return out;
}

/** How `pulumi config set --path` types a plain value: true/false, integers without a leading zero. */
function pathValue(value: string): string | number | boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  if (value.length > 1 && value.startsWith("0")) return value;
  if (/^[+-]?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  return value;
}

function applyChange(config: Map<string, unknown>, project: string, change: ConfigChange): void {
  const [top, ...rest] = change.path;
  const last = rest.pop();
  if (top === undefined || last === undefined) throw new Error("a config change needs a path below a top-level key");
  const key = `${project}:${top}`;
  const existing = config.get(key);
  let container: Record<string, unknown>;
  if (isRecord(existing)) container = existing;
  else {
    if ("removed" in change) return;
    container = {};
    config.set(key, container);
  }
  for (const segment of rest) {
    const next = container[segment];
    if (isRecord(next)) container = next;
    else {
      if ("removed" in change) return;
      const created: Record<string, unknown> = {};
      container[segment] = created;
      container = created;
    }
  }
  if ("removed" in change) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a config map keyed by name
    delete container[last];
  } else {
    container[last] = "secret" in change ? SECURE : pathValue(change.value);
  }
}

// ---------------------------------------------------------------------------------------------------
// The edit

function guard(cli: PulumiCli, interrupts: Interrupts, backup: Backup): PulumiCli {
  const before = (write: boolean): void => {
    interrupts.check();
    if (write) backup.take();
  };
  return {
    async checkStack(stack) {
      before(false);
      await cli.checkStack(stack);
    },
    async setSecret(stack, key, value) {
      before(true);
      await cli.setSecret(stack, key, value);
    },
    async setPlain(stack, values) {
      before(true);
      await cli.setPlain(stack, values);
    },
    async get(stack, key) {
      before(false);
      return cli.get(stack, key);
    },
    async remove(stack, key) {
      before(true);
      await cli.remove(stack, key);
    },
  };
}

/** What a failed edit reports, after putting the stack file back. */
function rollBack(error: unknown, backup: Backup, interrupts: Interrupts, label: string): unknown {
  let restored = "";
  if (backup.taken) {
    try {
      backup.restore();
      restored = `${label} was restored from the backup taken before the first write, byte for byte`;
    } catch (restoreError) {
      const why = restoreError instanceof Error ? restoreError.message : String(restoreError);
      const reason = error instanceof Error && !(error instanceof Interrupted) ? `${error.message}\n` : "";
      return new StackEditError(
        `${reason}the stack file could not be restored (${why}); its backup is ${backup.backupLabel}: ` +
          `run this command again, which restores it first, ` +
          `or restore it yourself with\n  mv '${backup.backupLabel}' '${label}'`,
        interrupts.received === undefined ? EXIT_FAILURE : interrupts.exitCode,
      );
    }
  }
  if (interrupts.received !== undefined) {
    return new StackEditError(
      backup.taken
        ? `interrupted by ${interrupts.received}: ${restored}; nothing was changed`
        : `interrupted by ${interrupts.received} before anything was written; nothing was changed`,
      interrupts.exitCode,
    );
  }
  if (!backup.taken) return error;
  if (error instanceof PulumiCliError || error instanceof ProjectError || error instanceof StackEditError) {
    return new StackEditError(`${error.message}\nnothing was changed: ${restored}`, EXIT_FAILURE);
  }
  // A bug: the file is restored, and the error surfaces as it is.
  return error;
}

/**
 * Runs `body` as one edit of the stack's config (see the module comment): locked, backed up before
 * the first write, read back and verified, and either committed whole or restored byte for byte.
 */
export async function editStack<T>(options: StackEditOptions, body: (edit: StackEdit) => Promise<T>): Promise<T> {
  const { project, stack, io } = options;
  const file = stackFile(project, stack);
  const label = displayPath(file);
  const waitMs = options.lockWaitMs ?? lockWaitMs();
  const lock = await lockStack({
    stackConfigDir: project.stackConfigDir,
    stack,
    command: options.command,
    waitMs,
    label: displayPath(lockFile(project.stackConfigDir, stack)),
    onWait: (holder) => {
      io.stderr.write(
        `waiting for stack ${stack}: another command is writing its config: ${describeHolder(holder)} (waiting up to ${Math.round(waitMs / 100) / 10} s)\n`,
      );
    },
  });
  const interrupts = new Interrupts(io);
  interrupts.install();
  try {
    if (lock.tookOverFrom !== undefined) {
      io.stderr.write(
        `warning: stack ${stack}: took over the lock of ${describeHolder(lock.tookOverFrom)}, which no longer runs\n`,
      );
    }
    const backupFile = path.join(stateDir(project.stackConfigDir), `${path.basename(file)}.backup`);
    const backup = new Backup(file, label, backupFile, displayPath(backupFile));
    backup.recoverLeftover(stack, io);
    const startText = readYamlFile(file, { label });
    const config = parseStackConfig(project, stack, file, startText);
    const cli = options.pulumi ?? pulumiCli(project.dir, "pulumi", { signal: interrupts.controller.signal });
    const pulumi = guard(cli, interrupts, backup);
    const edit: StackEdit = {
      stack,
      config,
      pulumi,
      async verify(changes, keyPairs) {
        const before = configOf(backup.before?.toString("utf8") ?? startText, label, project.name);
        for (const change of changes) applyChange(before, project.name, change);
        const afterText = readYamlFile(file, { label });
        const after = configOf(afterText, label, project.name);
        const differing = [...new Set([...before.keys(), ...after.keys()])]
          .filter((key) => JSON.stringify(canonical(before.get(key))) !== JSON.stringify(after.get(key)))
          .sort();
        if (differing.length > 0) {
          throw new StackEditError(
            `after writing, ${label} does not hold what was written: ` +
              `${differing.join(", ")} ${differing.length === 1 ? "differs" : "differ"} from what was expected`,
            EXIT_FAILURE,
          );
        }
        const selectors = (() => {
          const dkim = after.get(`${project.name}:dkim`);
          return isRecord(dkim) && isRecord(dkim["selectors"]) ? dkim["selectors"] : {};
        })();
        for (const name of keyPairs) {
          const entry = selectors[name];
          const publicKey = isRecord(entry) ? entry["publicKey"] : undefined;
          const pem = await pulumi.get(stack, selectorPath(name, "privateKey"));
          let derived: string | undefined;
          try {
            derived = pem === undefined ? undefined : publicKeyOf(pem).publicKey;
          } catch {
            derived = undefined;
          }
          if (derived === undefined || derived !== publicKey) {
            throw new StackEditError(
              `after writing, ${selectorPath(name, "privateKey")} read back through pulumi is not the private half of ${selectorPath(name, "publicKey")}`,
              EXIT_FAILURE,
            );
          }
        }
      },
    };
    let result: T;
    try {
      result = await body(edit);
      interrupts.check();
    } catch (error) {
      throw rollBack(error, backup, interrupts, label);
    }
    if (backup.taken) backup.commit();
    return result;
  } finally {
    interrupts.uninstall();
    lock.release();
  }
}
