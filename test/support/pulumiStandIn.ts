/**
 * What tests use to run code that calls the Pulumi CLI against the stand-in `pulumi` (the launcher
 * test/support/bin/pulumi runs the program test/support/pulumiStandInProgram.ts): an environment that
 * puts it first on PATH and records every invocation, the recorded invocations, and the stand-in's
 * fake "encryption" of secret values so a test can read a stack file directly.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** Absolute directory holding the stand-in executable `pulumi`. */
export const FAKE_PULUMI_BIN_DIR = path.join(__dirname, "bin");

/** Absolute path of the stand-in executable. */
export const FAKE_PULUMI_BIN = path.join(FAKE_PULUMI_BIN_DIR, "pulumi");

/** One invocation of the stand-in, as appended to FAKE_PULUMI_LOG. */
export interface PulumiInvocation {
  /** The arguments after `pulumi`. */
  argv: string[];
  /** Everything the invocation received on standard input (UTF-8). */
  stdin: string;
  /** Its working directory (`process.cwd()`, not `--cwd`). */
  cwd: string;
}

/**
 * The environment for a child process that should find the stand-in as `pulumi`: this process's
 * environment with the stand-in's directory first on PATH and FAKE_PULUMI_LOG set to `log`, without
 * node:test's NODE_TEST_CONTEXT and without any FAKE_PULUMI_* variable inherited from the test
 * process. `extra` is applied last and overrides everything (PATH included), e.g.
 * `{ FAKE_PULUMI_FAIL: "config set-all" }`.
 */
export function fakePulumiEnv(log: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== "NODE_TEST_CONTEXT" && !name.startsWith("FAKE_PULUMI_")),
  );
  const inheritedPath = env["PATH"];
  env["PATH"] = inheritedPath ? `${FAKE_PULUMI_BIN_DIR}${path.delimiter}${inheritedPath}` : FAKE_PULUMI_BIN_DIR;
  env["FAKE_PULUMI_LOG"] = path.resolve(log);
  return { ...env, ...extra };
}

function isInvocation(value: unknown): value is PulumiInvocation {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  const argv = record["argv"];
  return (
    Array.isArray(argv) &&
    argv.every((arg) => typeof arg === "string") &&
    typeof record["stdin"] === "string" &&
    typeof record["cwd"] === "string"
  );
}

/** The invocations recorded in `log`, oldest first; none when the file does not exist. */
export function readPulumiLog(log: string): PulumiInvocation[] {
  let text: string;
  try {
    text = readFileSync(log, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line, index) => {
      const entry: unknown = JSON.parse(line);
      if (!isInvocation(entry)) throw new Error(`${log}:${index + 1}: not a fake pulumi log entry: ${line}`);
      return { argv: entry.argv, stdin: entry.stdin, cwd: entry.cwd };
    });
}

/**
 * The stand-in's "encryption" of secret config values: `v1:` + base64 of the UTF-8 plaintext.
 * Reversible by anyone, so it protects nothing; it only lets tests tell where a value was stored
 * as a secret (`{ secure: "v1:..." }`, as the real CLI writes ciphertext) and read it back.
 */
export const FAKE_CIPHERTEXT_PREFIX = "v1:";

export function fakeEncrypt(plaintext: string): string {
  return FAKE_CIPHERTEXT_PREFIX + Buffer.from(plaintext, "utf8").toString("base64");
}

/** The plaintext of a fakeEncrypt() ciphertext; undefined for anything else (e.g. real Pulumi ciphertext). */
export function fakeDecrypt(ciphertext: string): string | undefined {
  if (!ciphertext.startsWith(FAKE_CIPHERTEXT_PREFIX)) return undefined;
  const encoded = ciphertext.slice(FAKE_CIPHERTEXT_PREFIX.length);
  const bytes = Buffer.from(encoded, "base64");
  // Buffer.from ignores characters outside the alphabet: accept only canonical base64.
  if (bytes.toString("base64") !== encoded) return undefined;
  return bytes.toString("utf8");
}
