/**
 * `sender-auth check [STACK...]`: is what DNS serves what each stack declares, and does mail
 * authenticate? Queries the resolver (or every authoritative server), evaluates SPF, DKIM and DMARC
 * with mailauth through the same resolver, and exits 1 on any failure (issue #5). `--planned` runs
 * the same check against the working tree's plan before `pulumi up` (issue #12, check/planned.ts).
 */
import * as path from "node:path";
import { Option, type Command } from "commander";
import { currentTime } from "../../components/clock";
import { ConfigError, decodeConfigMap, validateStack, type Problem } from "../../components/config";
import { publishedRecord } from "../../components/model";
import { abbreviateKeys } from "../check/advice";
import { checkStack, type Finding, type PrivateKeyAtHand } from "../check/checks";
import { systemServer, type DnsClient, type DnsServer, type QueryOptions } from "../check/dnsClient";
import { DEFAULT_CHECK_LIMITS, type CheckLimits } from "../check/limits";
import { SMTP_PORT } from "../check/smtpTls";
import type * as Planned from "../check/planned";
import type * as PlanCommand from "./plan";
import { printable } from "../render/printable";
import { readRegularFile } from "../safeFs";
import { problemLines } from "../errors";
import { type CommandContext, reportError, EXIT_FAILURE, EXIT_OK, type Io } from "../io";
import { runInWorkers, workersFor, type WorkersOption } from "../fleet/run";
import { dnsServer, keyFiles, seconds, wholeNumber, stackWorkersOption, type KeyFileOption } from "../options";
import {
  loadProject,
  ProjectError,
  readStackConfig,
  selectStacks,
  StackFileError,
  UsageError,
  type Project,
  type StackConfig,
} from "../project";
import { pulumiCli, PulumiCliError } from "../pulumiCli";
import { mergeProblems } from "../stackFile";
import { selectorPath, stackKeysOf } from "../stackKeys";

export const CHECK_FORMATS = ["table", "json"] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

export interface CheckOptions {
  readonly stacks: readonly string[];
  /** @default the first server of the system's resolver configuration */
  readonly resolver: DnsServer | undefined;
  readonly authoritative: boolean;
  /** Check the working tree's plan (in-process DNS server) instead of what DNS serves now. @default false */
  readonly planned?: boolean;
  /** @default "table" */
  readonly format: CheckFormat;
  /** `--key-file <selector>=<path>`: private keys to sign a test message with. */
  readonly keyFiles: readonly KeyFileOption[];
  /** Read active selectors' private keys with `pulumi config get` when no key file is given. @default true */
  readonly usePulumi: boolean;
  /** Port the authoritative servers are asked on. @default 53 */
  readonly nsPort: number;
  /** Port HTTPS fetches (an MTA-STS policy, a BIMI logo) connect to. @default 443 */
  readonly httpsPort?: number;
  /** `--mx-tls`: probe the STARTTLS certificates of MTA-STS domains' MX hosts. @default false */
  readonly mxTls?: boolean;
  /** Port the MX probe connects to. @default SMTP_PORT (25) */
  readonly smtpPort?: number;
  /** Bounds of each stack's check. @default DEFAULT_CHECK_LIMITS */
  readonly limits?: CheckLimits;
  readonly cwd: string;
  /** Progress line on stderr (only on a terminal). */
  readonly progress: boolean;
  /** "Now", for the times hints name. @default currentTime */
  readonly now?: () => Date;
  /** How DNS is asked (`--planned` routes the plan's questions to its own server). @default networkDns */
  readonly dns?: DnsClient;
  /** Worker threads that share the stacks (0: none). @default one per core from MIN_STACKS_FOR_WORKERS stacks on */
  readonly workers?: WorkersOption;
}

export interface StackReport {
  readonly stack: string;
  readonly domain: string;
  /** Checked against the working tree's plan (`--planned`), not against what DNS serves now. */
  readonly planned: boolean;
  readonly ok: boolean;
  readonly counts: { readonly ok: number; readonly warn: number; readonly fail: number };
  readonly findings: readonly Finding[];
}

const QUERY_OPTIONS: QueryOptions = { timeoutMs: 2000, attempts: 2 };
const STACK_CONCURRENCY = 8;
/** An hour: a stack's check that needs longer is stuck, not slow. */
const MAX_STACK_TIMEOUT_S = 3600;

/** A private key file is a few kilobytes (PEM of RSA 4096: ~3.3 KB); anything far larger is not one. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * The `--key-file` keys, read as bounded regular files (a FIFO, a device or a huge file is refused,
 * never waited for or read whole); a key file may be a symbolic link, as keys in /etc often are.
 */
function readKeyFiles(given: readonly KeyFileOption[]): Map<string, PrivateKeyAtHand> {
  const keys = new Map<string, PrivateKeyAtHand>();
  for (const { selector, path } of given) {
    let pem: string;
    try {
      pem = readRegularFile(path, { maxBytes: MAX_KEY_FILE_BYTES, label: printable(path), followLink: true }).toString(
        "utf8",
      );
    } catch (error) {
      if (error instanceof ProjectError) throw new UsageError(`--key-file ${selector}: ${error.message}`);
      throw error;
    }
    keys.set(selector, { pem, origin: `in ${path}` });
  }
  return keys;
}

/** Private keys at hand: key files, then `pulumi config get` (within the stack's deadline). */
async function privateKeysFor(
  project: Project,
  stackConfig: StackConfig,
  given: ReadonlyMap<string, PrivateKeyAtHand>,
  usePulumi: boolean,
  limits: CheckLimits,
): Promise<{ keys: Map<string, PrivateKeyAtHand>; findings: Finding[] }> {
  const keys = new Map(given);
  const findings: Finding[] = [];
  if (!usePulumi) return { keys, findings };
  const deadline = AbortSignal.timeout(limits.stackTimeoutMs);
  const cli = pulumiCli(project.dir, "pulumi", { signal: deadline });
  const { stack } = stackConfig;
  for (const selector of stackKeysOf(stackConfig).selectors) {
    if (keys.has(selector.name) || !selector.hasPrivateKey || selector.status !== "active") continue;
    try {
      const path = selectorPath(selector.name, "privateKey");
      const pem = await cli.get(stack, path);
      if (pem !== undefined) keys.set(selector.name, { pem, origin: `in the stack's secret config (${path})` });
    } catch (error) {
      if (!(error instanceof PulumiCliError)) throw error;
      if (deadline.aborted) {
        findings.push({
          code: "check-limit",
          result: "fail",
          subject: `dkim ${selector.name}`,
          message:
            `could not read the private key: ` +
            `\`pulumi config get\` did not finish within the ${limits.stackTimeoutMs / 1000} s deadline for checking one stack ` +
            `(--stack-timeout)`,
          hint: `give it with --key-file ${selector.name}=<path>, or a longer --stack-timeout`,
        });
        return { keys, findings };
      }
      // No Pulumi CLI here: the signature test needs --key-file instead.
      if (/not on PATH/.test(error.message)) return { keys, findings };
      findings.push({
        code: "dkim-private-key",
        result: "warn",
        subject: `dkim ${selector.name}`,
        message: `could not read the private key: ${error.message}`,
        hint: `check the Pulumi CLI's login and the stack's secrets provider, or give the key with --key-file ${selector.name}=<path>`,
      });
    }
  }
  return { keys, findings };
}

/**
 * What checking one stack needs besides the stack itself, as plain data: the same in this thread and
 * in a worker thread (cli/fleet/checkTask.ts), to which it is copied.
 */
export interface CheckSettings {
  readonly resolver: DnsServer;
  readonly authoritative: boolean;
  readonly nsPort: number;
  /** `--https-port`: every HTTPS fetch (MTA-STS policy, BIMI logo) connects to this port (test setups). */
  readonly httpsPort: number | undefined;
  /** `--mx-tls`: the port MX hosts are probed on (25, or `--smtp-port` in test setups); undefined: off. */
  readonly mxTlsPort: number | undefined;
  readonly planned: boolean;
  readonly usePulumi: boolean;
  readonly limits: CheckLimits;
  /** The `--key-file` keys (read once, in the main thread). */
  readonly keyFiles: ReadonlyMap<string, PrivateKeyAtHand>;
  /** "Now" for the whole run, in ms since the epoch: one instant, so that no thread's clock shows. */
  readonly now: number;
}

/** One stack's report, or the lines that say why it has none (its config is invalid). */
export type CheckOutcome = { readonly report: StackReport } | { readonly errors: readonly string[] };

async function checkOne(
  project: Project,
  stackConfig: StackConfig,
  settings: CheckSettings,
  dns: DnsClient | undefined,
): Promise<StackReport> {
  const { stack } = stackConfig;
  const validated = validateStack(stack, decodeConfigMap(stackConfig.config));
  const { config } = validated;
  const records = validated.records.map(publishedRecord);
  const { limits } = settings;
  // One deadline for the whole stack, key reads included.
  const startedAt = Date.now();
  const keys = await privateKeysFor(project, stackConfig, settings.keyFiles, settings.usePulumi, limits);
  const findings: Finding[] = [
    ...keys.findings,
    ...(await checkStack(
      {
        resolver: settings.resolver,
        authoritative: settings.authoritative ? { port: settings.nsPort } : undefined,
        queryOptions: QUERY_OPTIONS,
        privateKeys: keys.keys,
        limits,
        startedAt,
        dns,
        stack,
        now: () => new Date(settings.now),
        httpsPort: settings.httpsPort,
        mxTls: settings.mxTlsPort === undefined ? undefined : { port: settings.mxTlsPort },
      },
      config,
      records,
    )),
  ];
  const count = (result: Finding["result"]): number => findings.filter((f) => f.result === result).length;
  return {
    stack,
    domain: config.domain,
    planned: settings.planned,
    ok: count("fail") === 0,
    counts: { ok: count("ok"), warn: count("warn"), fail: count("fail") },
    findings,
  };
}

/**
 * A stack's config as far as it can be read: a stack file with problems of its own (StackFileError)
 * still gives what it holds, and its problems.
 */
function readTolerantly(project: Project, stack: string): { stackConfig: StackConfig; problems: readonly Problem[] } {
  try {
    return { stackConfig: readStackConfig(project, stack), problems: [] };
  } catch (error) {
    if (!(error instanceof StackFileError)) throw error;
    return { stackConfig: error.stackConfig, problems: error.problems };
  }
}

/**
 * Checks one stack (read here unless given) and says how it went: an invalid stack is its error
 * lines, every problem of the file and of the config at once, never a reason to skip the others.
 * What a worker thread runs for each stack (cli/fleet/checkTask.ts).
 */
export async function checkOutcome(
  project: Project,
  stack: string | StackConfig,
  settings: CheckSettings,
  dns?: DnsClient,
): Promise<CheckOutcome> {
  const { stackConfig, problems } =
    typeof stack === "string" ? readTolerantly(project, stack) : { stackConfig: stack, problems: [] };
  try {
    if (problems.length > 0) {
      let configProblems: readonly Problem[] = [];
      try {
        validateStack(stackConfig.stack, decodeConfigMap(stackConfig.config));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        configProblems = error.problems;
      }
      throw new ConfigError(stackConfig.stack, mergeProblems(problems, configProblems));
    }
    return { report: await checkOne(project, stackConfig, settings, dns) };
  } catch (error) {
    if (error instanceof ConfigError) return { errors: problemLines(error) };
    throw error;
  }
}

/** `fn` over `items`, at most `limit` at a time; the results in the order of `items`. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  onEach?: () => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
      onEach?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * The table: one line per finding. Everything DNS said (served values, names, mailauth's reading of
 * a record) is data: printable() escapes control characters, so that a TXT record holding
 * `\n  OK    spf: ...` cannot print a line of its own (issue #11). Long DKIM keys are shown by length
 * and fingerprint, and a failing finding ends with its hint, `next:` (issue #12). JSON output keeps
 * the exact data.
 */
export function renderCheckTable(reports: readonly StackReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    const summary = report.ok
      ? `ok (${report.counts.ok} checks${report.counts.warn > 0 ? `, ${report.counts.warn} warnings` : ""})`
      : `${report.counts.fail} failed, ${report.counts.warn} warnings, ${report.counts.ok} ok`;
    const planned = report.planned ? ", planned" : "";
    lines.push(`${printable(report.stack)} (${printable(report.domain)}${planned}): ${summary}`);
    for (const finding of report.findings) {
      const ttl = finding.ttl === undefined ? "" : ` [ttl ${finding.ttl}]`;
      const text = `${printable(finding.subject)}: ${printable(finding.message)}`;
      lines.push(`  ${finding.result.toUpperCase().padEnd(4)}  ${text}${ttl}`);
      if (finding.result !== "ok" && finding.expected !== undefined) {
        lines.push(`        expected: ${printable(abbreviateKeys(finding.expected))}`);
      }
      if (finding.result !== "ok" && finding.served !== undefined) {
        for (const served of finding.served) lines.push(`        served:   ${printable(abbreviateKeys(served))}`);
      }
      if (finding.result !== "ok" && finding.hint !== undefined) {
        lines.push(`        next:     ${printable(finding.hint)}`);
      }
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

export async function check(options: CheckOptions, io: Io & { readonly stderr: { isTTY?: boolean } }): Promise<number> {
  if (options.planned === true && options.authoritative) {
    throw new UsageError(
      "--planned and --authoritative cannot be combined: --planned answers the stacks' records from their plan, " +
        "--authoritative asks the zone's nameservers what they serve now",
    );
  }
  const project = loadProject(options.cwd);
  const stacks = selectStacks(project, options.stacks);
  const keyFiles = readKeyFiles(options.keyFiles);
  if (keyFiles.size > 0) {
    const known = new Set(
      stacks.flatMap((stack) => stackKeysOf(readTolerantly(project, stack).stackConfig).selectors.map((s) => s.name)),
    );
    const unknownSelectors = [...keyFiles.keys()].filter((name) => !known.has(name));
    if (unknownSelectors.length > 0) {
      throw new UsageError(`--key-file ${unknownSelectors.join(", ")}: no such selector in ${stacks.join(", ")}`);
    }
  }
  const settings: CheckSettings = {
    resolver: options.resolver ?? systemServer(),
    authoritative: options.authoritative,
    nsPort: options.nsPort,
    httpsPort: options.httpsPort,
    mxTlsPort: options.mxTls === true ? (options.smtpPort ?? SMTP_PORT) : undefined,
    planned: options.planned === true,
    usePulumi: options.usePulumi,
    limits: options.limits ?? DEFAULT_CHECK_LIMITS,
    keyFiles,
    now: (options.now ?? currentTime)().getTime(),
  };
  if (options.planned !== true) return checkAll(project, stacks, settings, options, io);
  // Each stack file is read and parsed once, here: the plan and the check use the same config.
  const stackConfigs = stacks.map((stack) => readStackConfig(project, stack));
  const planned = await startPlanned(project, stacks, stackConfigs);
  try {
    return await checkAll(project, stackConfigs, settings, { ...options, dns: planned.dns }, io);
  } finally {
    await planned.server.close();
  }
}

/**
 * `--planned`: plans `stacks` as `plan` does (the Pulumi SDK's mock runtime, loaded only here) and
 * serves the plans; a stack that cannot be planned fails the command with its errors, as in `plan`.
 */
async function startPlanned(
  project: Project,
  stacks: readonly string[],
  stackConfigs: readonly StackConfig[],
): Promise<Planned.PlannedCheck> {
  /* eslint-disable @typescript-eslint/no-require-imports -- the Pulumi SDK only for --planned (issue #6) */
  const { planOrFail } = require("./plan") as typeof PlanCommand;
  const { startPlanned: serve } = require("../check/planned") as typeof Planned;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const plans = await planOrFail(project, stacks);
  const read = new Map(stackConfigs.map((stackConfig) => [stackConfig.stack, stackConfig.config]));
  return serve(
    plans.map((plan) => ({
      plan,
      config: validateStack(plan.stack, decodeConfigMap(read.get(plan.stack) ?? {})).config,
    })),
  );
}

/**
 * Below this many stacks `check` runs in this thread unless `--workers` says otherwise: a thread
 * loads the validation and mailauth afresh (~0.3 CPU-seconds), as long as ~100 stacks' checks take.
 */
export const MIN_STACKS_FOR_WORKERS = 500;

/** The module worker threads run for check (cli/fleet/checkTask.ts). */
const CHECK_TASK = path.join(__dirname, "..", "fleet", "checkTask.ts");

/**
 * Checks every stack, STACK_CONCURRENCY at a time (in each worker thread when there are several,
 * issue #14), and prints the reports in stack order, then each invalid stack's errors, in stack
 * order too; the exit code. A DNS client given in process (`--planned`'s, a test's) keeps the work
 * in this thread: it cannot be handed to another.
 */
async function checkAll(
  project: Project,
  stacks: readonly (string | StackConfig)[],
  settings: CheckSettings,
  options: CheckOptions,
  io: Io & { readonly stderr: { isTTY?: boolean } },
): Promise<number> {
  const { dns } = options;
  const threads = dns === undefined ? workersFor(options.workers ?? "auto", stacks.length, MIN_STACKS_FOR_WORKERS) : 0;
  let done = 0;
  const showProgress = options.progress && io.stderr.isTTY === true;
  const progress = (count: number): void => {
    done += count;
    if (showProgress) io.stderr.write(`\rchecked ${done}/${stacks.length} stacks`);
  };
  const outcomes =
    threads === 0
      ? await mapConcurrently(
          stacks,
          STACK_CONCURRENCY,
          (stack) => checkOutcome(project, stack, settings, dns),
          () => {
            progress(1);
          },
        )
      : await runInWorkers<CheckSettings, CheckOutcome>(
          CHECK_TASK,
          project.dir,
          stacks.map((stack) => (typeof stack === "string" ? stack : stack.stack)),
          settings,
          { workers: threads, maxBatch: STACK_CONCURRENCY, onBatch: progress },
        );
  if (showProgress) io.stderr.write("\r\x1b[K");
  const finished = outcomes.flatMap((outcome) => ("report" in outcome ? [outcome.report] : []));
  const errors = outcomes.flatMap((outcome) => ("errors" in outcome ? outcome.errors : []));
  io.stdout.write(options.format === "json" ? `${JSON.stringify(finished, null, 2)}\n` : renderCheckTable(finished));
  for (const error of errors) reportError(io, error, EXIT_FAILURE);
  return errors.length > 0 || finished.some((r) => !r.ok) ? EXIT_FAILURE : EXIT_OK;
}

export function register(program: Command, { io, finish, now }: CommandContext): void {
  program
    .command("check")
    .description("check live DNS against each stack and that SPF, DKIM and DMARC really work")
    .argument("[stacks...]", "stack names; default: every stack file")
    .addOption(
      new Option("--resolver <host[:port]>", "DNS resolver to query (default: the system resolver)").argParser(
        dnsServer,
      ),
    )
    .option("--authoritative", "compare records at every authoritative nameserver of each zone", false)
    .option(
      "--planned",
      "verify the working tree before `pulumi up`: each stack's planned records from an in-process DNS server, every other name through the resolver",
      false,
    )
    .addOption(new Option("--format <format>", "output format").choices(CHECK_FORMATS).default("table"))
    .addOption(
      new Option("--key-file <selector=path>", "a private key to sign a test message with (repeatable)")
        .argParser(keyFiles)
        .default([]),
    )
    .option("--no-pulumi", "never read private keys with `pulumi config get`")
    .addOption(
      new Option("--ns-port <port>", "port of the authoritative servers (--authoritative; for test setups)")
        .argParser(wholeNumber(1, 65535, "a port number from 1 to 65535"))
        .default(53),
    )
    .addOption(
      new Option("--https-port <port>", "port HTTPS fetches connect to (an MTA-STS policy; for test setups)")
        .argParser(wholeNumber(1, 65535, "a port number from 1 to 65535"))
        .default(443),
    )
    .option(
      "--mx-tls",
      "also connect to the MX hosts of MTA-STS domains on port 25 and verify their STARTTLS certificates (many networks block outbound port 25)",
      false,
    )
    .addOption(
      // Hidden: senders deliver on port 25 only, so another port proves nothing about a real MX host;
      // it exists so tests can run an SMTP server without root (as --https-port and --ns-port do).
      new Option("--smtp-port <port>", "port the --mx-tls probe connects to (test setups)")
        .argParser(wholeNumber(1, 65535, "a port number from 1 to 65535"))
        .default(SMTP_PORT)
        .hideHelp(),
    )
    .addOption(
      new Option(
        "--stack-timeout <seconds>",
        "deadline for checking each stack; lookups still waiting then fail as check-limit",
      )
        .argParser(seconds(MAX_STACK_TIMEOUT_S))
        .default(DEFAULT_CHECK_LIMITS.stackTimeoutMs / 1000),
    )
    .addOption(stackWorkersOption(MIN_STACKS_FOR_WORKERS))
    .action(
      async (
        stacks: string[],
        opts: {
          resolver?: DnsServer;
          authoritative: boolean;
          planned: boolean;
          format: CheckFormat;
          keyFile: KeyFileOption[];
          pulumi: boolean;
          nsPort: number;
          httpsPort: number;
          mxTls: boolean;
          smtpPort: number;
          stackTimeout: number;
          workers?: number;
        },
      ) => {
        finish(
          await check(
            {
              stacks,
              resolver: opts.resolver,
              authoritative: opts.authoritative,
              planned: opts.planned,
              format: opts.format,
              keyFiles: opts.keyFile,
              usePulumi: opts.pulumi,
              nsPort: opts.nsPort,
              httpsPort: opts.httpsPort,
              mxTls: opts.mxTls,
              smtpPort: opts.smtpPort,
              limits: { ...DEFAULT_CHECK_LIMITS, stackTimeoutMs: Math.round(opts.stackTimeout * 1000) },
              cwd: process.cwd(),
              progress: true,
              now,
              workers: opts.workers ?? "auto",
            },
            io,
          ),
        );
      },
    );
}
