/**
 * The Pulumi CLI, as keygen, rotate and export use it: every write goes through `pulumi config`, so
 * whatever secrets provider a stack uses (passphrase, Pulumi Cloud, KMS, Vault) encrypts the key.
 * Secret values travel on standard input only, never on a command line (Pulumi docs, `pulumi config
 * set`: "Multi-line values may be set by piping a file to standard in").
 */
import { spawn } from "node:child_process";

export class PulumiCliError extends Error {
  override readonly name = "PulumiCliError";
}

export interface PulumiResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PulumiCli {
  /** Fails unless the stack exists (reads its config, writes nothing). */
  checkStack(stack: string): Promise<void>;
  /** `pulumi config set --secret --path <path>` with the value on standard input. */
  setSecret(stack: string, path: string, value: string): Promise<void>;
  /** `pulumi config set-all --path --plaintext k=v ...`: public values only. */
  setPlain(stack: string, values: Readonly<Record<string, string>>): Promise<void>;
  /** `pulumi config get --path <path>`; undefined when the key is not set. */
  get(stack: string, path: string): Promise<string | undefined>;
  /** `pulumi config rm --path <path>`. */
  remove(stack: string, path: string): Promise<void>;
}

/** How long one `pulumi config` call may take (a secrets provider behind a slow network included). */
export const PULUMI_CALL_TIMEOUT_MS = 120_000;

export interface PulumiCliOptions {
  /**
   * Aborting it stops the call in progress (check's per-stack deadline, a second Ctrl-C during a
   * config edit): the call's process group is killed and the call fails.
   */
  readonly signal?: AbortSignal;
  /** @default PULUMI_CALL_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/**
 * Runs `pulumi` from PATH in `cwd`, never interactively (a prompt would hang CI). Each call runs in
 * its own process group, so a Ctrl-C at the terminal reaches sender-auth only, which lets the call
 * finish and then restores the stack file (cli/stackEdit.ts) rather than have `pulumi` die mid-write.
 */
export function pulumiCli(cwd: string, command = "pulumi", options: PulumiCliOptions = {}): PulumiCli {
  const timeoutMs = options.timeoutMs ?? PULUMI_CALL_TIMEOUT_MS;
  const run = (args: readonly string[], stdin?: string): Promise<PulumiResult> =>
    new Promise((resolve, reject) => {
      const what = `pulumi ${args.slice(0, 2).join(" ")}`;
      if (options.signal?.aborted === true) {
        reject(new PulumiCliError(`${what} was stopped before it finished`));
        return;
      }
      const child = spawn(command, [...args, "--non-interactive"], {
        cwd,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      });
      let stdout = "";
      let stderr = "";
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        finish();
      };
      // Stops the call: its whole process group (it leads one), and stops reading its pipes, which a
      // grandchild could otherwise keep open.
      const stop = (message: string): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
        } catch {
          // It has ended already.
        }
        child.stdout.destroy();
        child.stderr.destroy();
        settle(() => {
          reject(new PulumiCliError(message));
        });
      };
      const onAbort = (): void => {
        stop(`${what} was stopped before it finished`);
      };
      const timer = setTimeout(() => {
        stop(`${what} did not finish within ${timeoutMs / 1000} s and was stopped`);
      }, timeoutMs);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.on("error", (error: NodeJS.ErrnoException) => {
        settle(() => {
          reject(
            error.code === "ENOENT"
              ? new PulumiCliError(
                  "the Pulumi CLI (`pulumi`) is not on PATH: install it (https://www.pulumi.com/docs/install/) and run this again",
                )
              : error,
          );
        });
      });
      child.on("close", (code) => {
        settle(() => {
          resolve({ code: code ?? 1, stdout, stderr });
        });
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(stdin ?? "");
    });
  const check = async (what: string, args: readonly string[], stdin?: string): Promise<PulumiResult> => {
    const result = await run(args, stdin);
    if (result.code !== 0) {
      // Pulumi prefixes its own messages with "error: "; ours add that prefix once.
      const detail = (result.stderr.trim() || result.stdout.trim() || `exit code ${result.code}`).replace(
        /^error: /gm,
        "",
      );
      throw new PulumiCliError(`${what} failed: ${detail}`);
    }
    return result;
  };
  return {
    async checkStack(stack) {
      await check(`reading the config of stack ${stack}`, ["config", "--json", "--stack", stack]);
    },
    async setSecret(stack, path, value) {
      await check(
        `pulumi config set --secret --path '${path}'`,
        ["config", "set", "--secret", "--path", path, "--stack", stack],
        value,
      );
    },
    async setPlain(stack, values) {
      const pairs = Object.entries(values).flatMap(([key, value]) => ["--plaintext", `${key}=${value}`]);
      await check(`pulumi config set-all --path ${Object.keys(values).join(" ")}`, [
        "config",
        "set-all",
        "--path",
        ...pairs,
        "--stack",
        stack,
      ]);
    },
    async get(stack, path) {
      const result = await run(["config", "get", "--path", path, "--stack", stack]);
      if (result.code === 0) return result.stdout.replace(/\n$/, "");
      if (/not found|does not exist|missing/i.test(result.stderr)) return undefined;
      throw new PulumiCliError(
        `pulumi config get --path '${path}' failed: ${result.stderr.trim() || `exit code ${result.code}`}`,
      );
    },
    async remove(stack, path) {
      await check(`pulumi config rm --path '${path}'`, ["config", "rm", "--path", path, "--stack", stack]);
    },
  };
}
