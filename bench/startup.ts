/**
 * Benchmark 2, start-up (issue #6): process start to the first provider resource registered, for one
 * stack of each provider, loaded the way the Pulumi Node.js host loads the program (Pulumi.yaml
 * `nodeargs`, config in PULUMI_CONFIG; bench/support/host.cjs stands in for the SDK's run script, with
 * the mock monitor for the engine). Floor: import @pulumi/pulumi and that stack's one provider SDK and
 * register one record. Also checks that a stack never loads the other provider's SDK.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { loadProject, readStackConfig } from "../cli/project";
import { isRecord } from "../components/model";
import { REPO_ROOT } from "./lib/generate";
import { alternate, floorEnv, formatSummary, progress, summarize, table } from "./lib/stats";

const HOST = path.join(__dirname, "support", "host.cjs");
const FLOOR = path.join(__dirname, "floors", "startup-floor.cjs");
/** The loader's compiled-TypeScript cache and V8's code cache (bin/ts-loader.cjs). */
const CACHE_DIRS = ["sender-auth-ts", "sender-auth-v8"].map((name) =>
  path.join(REPO_ROOT, "node_modules", ".cache", name),
);

interface FirstLine {
  readonly ms: number;
  readonly sdks: readonly string[];
}

/**
 * Spawn to the child's first stdout line; resolves once the child has exited (it exits right after
 * that line), so that nothing is still writing a cache when the next run starts.
 */
function timeToFirstLine(args: readonly string[], env: NodeJS.ProcessEnv): Promise<FirstLine> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let first: FirstLine | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const newline = out.indexOf("\n");
      if (newline >= 0 && first === undefined) {
        const line = JSON.parse(out.slice(0, newline)) as { sdks: string[] };
        first = { ms: performance.now() - started, sdks: line.sdks };
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      if (first !== undefined) resolve(first);
      else {
        reject(
          new Error(`${args.join(" ")} exited ${String(code)} before registering a resource\n${err.slice(-3000)}`),
        );
      }
    });
  });
}

/** The node arguments Pulumi.yaml gives the Pulumi Node.js host (runtime.options.nodeargs). */
export function pulumiNodeArgs(): string[] {
  const doc: unknown = parseYaml(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
  const runtime = isRecord(doc) ? doc["runtime"] : undefined;
  const options = isRecord(runtime) ? runtime["options"] : undefined;
  const nodeargs = isRecord(options) ? options["nodeargs"] : undefined;
  return typeof nodeargs === "string" ? nodeargs.split(/\s+/).filter((a) => a !== "") : [];
}

export async function benchStartup(runs: number): Promise<string> {
  const project = loadProject(REPO_ROOT);
  const nodeArgs = pulumiNodeArgs();
  const rows: string[][] = [];
  for (const [stack, provider] of [
    ["example-com", "cloudflare"],
    ["example-org", "route53"],
  ] as const) {
    progress(`startup: ${stack} (${provider}), ${runs} runs each`);
    const config = readStackConfig(project, stack);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(config.config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(config.secretKeys),
    };
    const subject = (): Promise<FirstLine> =>
      timeToFirstLine([...nodeArgs, HOST, project.main, project.name, stack], env);
    const floor = (): Promise<FirstLine> => timeToFirstLine([FLOOR, provider], floorEnv(env));
    const result = await alternate(runs, subject, floor, (r) => r.ms);
    // The same start with empty caches (the first run after `npm ci`).
    const cold: number[] = [];
    for (let i = 0; i < Math.min(runs, 5); i++) {
      for (const dir of CACHE_DIRS) rmSync(dir, { recursive: true, force: true });
      cold.push((await subject()).ms);
    }
    const sdks = [...new Set(result.subject.flatMap((r) => r.sdks))];
    const expected = provider === "cloudflare" ? "@pulumi/cloudflare" : "@pulumi/aws";
    if (sdks.length !== 1 || sdks[0] !== expected) {
      throw new Error(`stack ${stack} loaded ${sdks.join(", ") || "no provider SDK"}; expected only ${expected}`);
    }
    rows.push([
      `${stack} (${provider})`,
      formatSummary(result.subjectMs),
      formatSummary(result.floorMs),
      `${(result.subjectMs.median / result.floorMs.median).toFixed(2)}×`,
      formatSummary(summarize(cold)),
      sdks.join(", "),
    ]);
  }
  return `${table(["stack", "to first resource: median (min–max)", "floor: median (min–max)", "ratio", "cold caches", "provider SDKs loaded"], rows)}\n`;
}
