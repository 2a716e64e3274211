/**
 * `npm run bench -- [plan] [startup] [keygen] [check] [reports] [status] [--runs N] [--sizes N,N] [--quick]`: runs the
 * benchmarks of issues #6, #14 and #15 (all six by default) and prints a Markdown report (the body of BENCHMARKS.md's results)
 * on stdout; progress goes to stderr. Never part of `npm test`: timings are reported, not asserted.
 * `--quick` (tiny sizes, few runs) only proves the benchmarks still work.
 */
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { benchCheck } from "./check";
import { benchKeygen } from "./keygen";
import { benchPlan } from "./plan";
import { benchReports } from "./reports";
import { benchStartup } from "./startup";
import { benchStatus } from "./status";

const BENCHES = ["plan", "startup", "keygen", "check", "reports", "status"] as const;
type Bench = (typeof BENCHES)[number];

function version(command: string, args: readonly string[]): string {
  try {
    return (
      execFileSync(command, [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
        .trim()
        .split("\n")[0] ?? ""
    );
  } catch {
    return "not installed";
  }
}

function machine(): string {
  const cpu = cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- CPU: ${cpu[0]?.model ?? "unknown"}, ${cpu.length} cores; memory ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `- Node ${process.version}; ${version("openssl", ["version"])}; ${version("named", ["-v"])}`,
  ].join("\n");
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { runs: { type: "string" }, sizes: { type: "string" }, quick: { type: "boolean", default: false } },
    });
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const unknown = parsed.positionals.filter((p) => !(BENCHES as readonly string[]).includes(p));
  const runs = parsed.values.runs === undefined ? undefined : Number(parsed.values.runs);
  const sizes = parsed.values.sizes?.split(",").map(Number);
  if (
    unknown.length > 0 ||
    (runs !== undefined && !(Number.isInteger(runs) && runs >= 1)) ||
    (sizes !== undefined && !sizes.every((n) => Number.isInteger(n) && n >= 1))
  ) {
    process.stderr.write(
      `usage: npm run bench -- [${BENCHES.join("|")} ...] [--runs N (>= 1)] [--sizes N,N,... (plan, check, reports, status)] [--quick]\n`,
    );
    return 2;
  }
  const quick = parsed.values.quick;
  const selected = (parsed.positionals.length > 0 ? parsed.positionals : BENCHES) as readonly Bench[];
  const n = runs ?? (quick ? 1 : 5);
  // Each section is printed as soon as it is measured.
  const out = { push: (...lines: string[]) => process.stdout.write(`${lines.join("\n")}\n`) };
  out.push("## Machine", "", machine(), "");
  for (const bench of selected) {
    switch (bench) {
      case "plan":
        out.push(
          "## 1. plan throughput",
          "",
          (await benchPlan(sizes ?? (quick ? [2, 5] : [10, 100, 1000, 5000, 10000]), n)).markdown,
        );
        break;
      case "startup":
        out.push("## 2. Start-up", "", await benchStartup(quick ? 1 : Math.max(n, 10)));
        break;
      case "keygen":
        out.push(
          "## 3. keygen",
          "",
          await benchKeygen(
            quick ? { rsa2048: 1, rsa4096: 1 } : { rsa2048: Math.max(n, 31), rsa4096: Math.max(n, 15) },
          ),
        );
        break;
      case "check":
        out.push("## 4. check", "", await benchCheck(sizes ?? (quick ? [2] : [10, 100, 1000, 5000, 10000]), n));
        break;
      case "reports":
        out.push("## 5. reports", "", await benchReports(sizes ?? (quick ? [50] : [1000, 10000]), n));
        break;
      case "status":
        out.push("## 7. status", "", await benchStatus(sizes ?? (quick ? [5] : [1000, 5000, 10000]), n));
        break;
    }
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
