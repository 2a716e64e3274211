/**
 * Runs the program the way `pulumi preview` / `pulumi up` do, against the in-process engine stand-in
 * (./engine.ts): the command line, working directory and environment `pulumi-language-nodejs` gives
 * node (sdk/nodejs/cmd/pulumi-language-nodejs/main.go in pulumi/pulumi, `Run` → `execRuntime` →
 * `constructArguments`), with the stack's config decrypted as the engine does before it starts the
 * host:
 *
 *   node <shlex(Pulumi.yaml nodeargs)> <@pulumi/pulumi/cmd/run> --monitor <addr> --engine <addr>
 *     --sync <dir> --organization <org> --project <name> --root-directory <dir> --stack <stack>
 *     --pwd <program dir> [--dry-run] --parallel <n> <entry point>
 *
 * with PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS, and PULUMI_NODEJS_TYPESCRIPT=true unless
 * `typescript: false`, in the program directory. Stack files use the fake pulumi's ciphertext
 * (`{ secure: "v1:<base64>" }`, ./pulumiStandIn.ts).
 *
 * Differences from the real host, all outside what the program can see: the monitor address is the
 * stand-in itself (the host puts a transparent proxy in between); `--sync` names an empty directory
 * (the host serves synchronous invokes over FIFOs there; the program makes none, and one would fail
 * on the missing FIFO); no `--tracing`.
 */
import { spawn } from "node:child_process";
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { isRecord } from "../../components/model";
import { inheritedEnv } from "./cli";
import { EngineStandIn } from "./engine";
import { fakeDecrypt } from "./pulumiStandIn";
import { REPO_ROOT } from "./fixtures";
import { programLocation, runConfig, shlexSplit } from "./languageHost";

/** The organization of a self-managed (DIY) backend, which is all the program could run against here. */
export const DIY_ORGANIZATION = "organization";

/** Reports the program process's peak RSS and CPU time into the file named by USAGE_FILE_ENV. */
const USAGE_PRELOAD = path.join(__dirname, "resourceUsage.cjs");
const USAGE_FILE_ENV = "SENDER_AUTH_TEST_USAGE_FILE";

export interface EngineRunOptions {
  /** The directory holding Pulumi.yaml. @default REPO_ROOT */
  readonly projectDir?: string;
  readonly stack: string;
  /** The stack file to read the config from. @default <stackConfigDir>/Pulumi.<stack>.yaml */
  readonly stackFile?: string;
  /** `pulumi preview` (true) or `pulumi up` (false). */
  readonly dryRun: boolean;
  /** Extra NODE_OPTIONS for the program's node, e.g. `--max-old-space-size=1024`. */
  readonly nodeOptions?: readonly string[];
  /** Extra environment variables for the program's node. */
  readonly env?: Readonly<Record<string, string>>;
  /** Kills the program after this long. @default 120_000 */
  readonly timeoutMs?: number;
}

export interface EngineRun {
  /** Exit code, or null when the process was killed (see `signal`). */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From spawning node to its exit. */
  readonly wallMs: number;
  /** `performance.now()` when node exited (comparable with the engine's log `receivedAt`). */
  readonly exitedAt: number;
  /** The program process's peak RSS and CPU time; undefined if it died before reporting them. */
  readonly usage: ProcessUsage | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** node's arguments after the executable, and the PULUMI_* variables it was given. */
  readonly argv: readonly string[];
  readonly pulumiEnv: Readonly<Record<string, string>>;
  readonly engine: EngineStandIn;
}

export interface ProcessUsage {
  /** Peak resident set size (getrusage ru_maxrss), KiB. */
  readonly peakRssKiB: number;
  /** User + system CPU time of all the process's threads, ms. */
  readonly cpuMs: number;
  /** The part of `cpuMs` from the run entry loading the program's index.ts to the exit, ms. */
  readonly programCpuMs?: number;
}

function isProcessUsage(value: unknown): value is ProcessUsage {
  return (
    isRecord(value) &&
    typeof value["peakRssKiB"] === "number" &&
    typeof value["cpuMs"] === "number" &&
    (value["programCpuMs"] === undefined || typeof value["programCpuMs"] === "number")
  );
}

interface PulumiYaml {
  readonly name: string;
  readonly main: string | undefined;
  readonly stackConfigDir: string;
  readonly runtimeOptions: Readonly<Record<string, unknown>>;
  readonly config: Readonly<Record<string, unknown>>;
}

function readPulumiYaml(projectDir: string): PulumiYaml {
  const doc: unknown = parseYaml(readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
  if (!isRecord(doc) || typeof doc["name"] !== "string") throw new Error(`${projectDir}/Pulumi.yaml: no name`);
  const runtime = doc["runtime"];
  const options = isRecord(runtime) && isRecord(runtime["options"]) ? runtime["options"] : {};
  return {
    name: doc["name"],
    main: typeof doc["main"] === "string" ? doc["main"] : undefined,
    stackConfigDir: typeof doc["stackConfigDir"] === "string" ? doc["stackConfigDir"] : ".",
    runtimeOptions: options,
    config: isRecord(doc["config"]) ? doc["config"] : {},
  };
}

/** The host's `parseOptions`: `typescript` defaults to true; `nodeargs` and `tsconfig` are strings. */
function nodeOptionsOf(options: Readonly<Record<string, unknown>>): {
  typescript: boolean;
  nodeargs: string;
  tsconfig: string;
} {
  const { typescript = true, nodeargs = "", tsconfig = "" } = options;
  if (typeof typescript !== "boolean") throw new Error("typescript option must be a boolean");
  if (typeof nodeargs !== "string") throw new Error("nodeargs option must be a string");
  if (typeof tsconfig !== "string") throw new Error("tsconfigpath option must be a string");
  return { typescript, nodeargs, tsconfig };
}

/** `exec.LookPath("node")`: the first executable `node` on PATH. */
function lookPath(name: string): string {
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`could not find ${name} on the $PATH`);
}

function decryptFake(ciphertext: string): string {
  const plaintext = fakeDecrypt(ciphertext);
  if (plaintext === undefined) throw new Error(`could not decrypt configuration value ${ciphertext}`);
  return plaintext;
}

/** Runs the program once for `options.stack` and resolves when its process has exited. */
export async function runUnderEngine(options: EngineRunOptions): Promise<EngineRun> {
  const projectDir = options.projectDir ?? REPO_ROOT;
  const project = readPulumiYaml(projectDir);
  const stackFile = options.stackFile ?? path.join(projectDir, project.stackConfigDir, `Pulumi.${options.stack}.yaml`);
  const stackDoc: unknown = parseYaml(readFileSync(stackFile, "utf8"));
  const stackConfig = isRecord(stackDoc) && isRecord(stackDoc["config"]) ? stackDoc["config"] : {};
  const run = runConfig(project.name, project.config, stackConfig, decryptFake);
  const nodeOptions = nodeOptionsOf(project.runtimeOptions);
  const { pwd, entryPoint } = programLocation(projectDir, project.main);
  const parallel = availableParallelism() * 4; // `pulumi up`'s default: GOMAXPROCS × 4

  const engine = await EngineStandIn.start({
    organization: DIY_ORGANIZATION,
    project: project.name,
    stack: options.stack,
    dryRun: options.dryRun,
    parallel,
    config: run.config,
    secretKeys: run.secretKeys,
  });
  const scratch = mkdtempSync(path.join(tmpdir(), "sender-auth-engine-run-"));
  const syncDir = path.join(scratch, "pulumi-node-pipes");
  mkdirSync(syncDir);
  const usageFile = path.join(scratch, "usage.json");
  try {
    // locateModule: require.resolve('@pulumi/pulumi/cmd/run') from the program directory.
    const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [pwd] });
    const argv = [
      ...shlexSplit(nodeOptions.nodeargs),
      runPath,
      ...["--monitor", engine.monitorAddress],
      ...["--engine", engine.engineAddress],
      ...["--sync", syncDir],
      ...["--organization", DIY_ORGANIZATION],
      ...["--project", project.name],
      ...["--root-directory", projectDir],
      ...["--stack", options.stack],
      ...["--pwd", pwd],
      ...(options.dryRun ? ["--dry-run"] : []),
      ...["--parallel", String(parallel)],
      entryPoint,
    ];
    const pulumiEnv: Record<string, string> = { ...run.env };
    if (nodeOptions.typescript) pulumiEnv["PULUMI_NODEJS_TYPESCRIPT"] = "true";
    if (nodeOptions.tsconfig !== "") pulumiEnv["PULUMI_NODEJS_TSCONFIG_PATH"] = nodeOptions.tsconfig;
    const inherited = inheritedEnv();
    const nodeOptionsEnv = [
      inherited["NODE_OPTIONS"] ?? "",
      `--require ${JSON.stringify(USAGE_PRELOAD)}`,
      ...(options.nodeOptions ?? []),
    ]
      .filter((option) => option !== "")
      .join(" ");
    const env = {
      ...inherited,
      ...options.env,
      NODE_OPTIONS: nodeOptionsEnv,
      [USAGE_FILE_ENV]: usageFile,
      ...pulumiEnv,
    };
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let exitedAt: number | undefined;
    const started = performance.now();
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; exitedAt: number }>(
      (resolve, reject) => {
        const child = spawn(lookPath("node"), argv, { cwd: pwd, env, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
        child.on("error", (error) => {
          clearTimeout(timer);
          reject(error);
        });
        child.on("exit", () => {
          exitedAt = performance.now();
        });
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, exitedAt: exitedAt ?? performance.now() });
        });
      },
    );
    let usage: ProcessUsage | undefined;
    try {
      const reported: unknown = JSON.parse(readFileSync(usageFile, "utf8"));
      if (isProcessUsage(reported)) usage = reported;
    } catch {
      usage = undefined;
    }
    return {
      exitCode: outcome.code,
      signal: outcome.signal,
      wallMs: outcome.exitedAt - started,
      exitedAt: outcome.exitedAt,
      usage,
      stdout: Buffer.concat(stdout).toString("utf8"),
      stderr: Buffer.concat(stderr).toString("utf8"),
      argv,
      pulumiEnv,
      engine,
    };
  } finally {
    await engine.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
