/**
 * `sender-auth rotate <stack>`: advances a DKIM key rotation by exactly one reviewable step, editing
 * the stack config through the Pulumi CLI:
 *   1. one active key and nothing newer  → generate a new selector, status published
 *   2. a newer published key served by DNS → make it active, the old one retired (retiredAt = today)
 *   3. a retired key past the overlap      → revoked (publishes `p=`, RFC 6376 §3.6.1)
 *   4. a revoked key                       → removed from config, private key included; its name is
 *                                            remembered in dkim.removedSelectors, never to be reused
 * No step leaves the domain without a published active key, and none removes a key still active. Each
 * step is one edit (cli/stackEdit.ts): locked, backed up, verified, committed whole or restored.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { DAY_MS } from "../../components/clock";
import { decodeConfigMap } from "../../components/config";
import { keyPath } from "../../components/keyPath";
import { parseTagList } from "../../components/records/tagList";
import { DKIM_ALGORITHMS, type DkimAlgorithm } from "../../components/sections/dkim";
import { DEFAULT_MAX_KEY_AGE_DAYS } from "../../components/sections/dkim/schema";
import { dkimRecordName } from "../../components/sections/dkim/records";
import { addedChanges, addSelector, describeAddedSelector } from "../addSelector";
import { DnsFailure, networkDns, systemServer, txtValues, type DnsClient, type DnsServer } from "../check/dnsClient";
import { CommandError, UsageError } from "../errors";
import { type CommandContext, EXIT_FAILURE, EXIT_OK, type Io } from "../io";
import { dnsServer, wholeNumber } from "../options";
import { loadProject, readStackConfig, selectStacks, stackNameProblem } from "../project";
import { keepsSnapshots, nextLines, reviewSteps } from "../nextSteps";
import { type PulumiCli } from "../pulumiCli";
import {
  DEFAULT_OVERLAP_DAYS,
  MAX_OVERLAP_DAYS,
  planRotation,
  rotationStart,
  type RotationStep,
} from "../rotationPlan";
import { editStack, type ConfigChange, type StackEdit } from "../stackEdit";
import {
  isoDate,
  nextSelectorName,
  selectorPath,
  stackKeysOf,
  usedSelectorNames,
  type SelectorState,
} from "../stackKeys";

/** Each lookup of the served key: one answer within 3 s, two tries (a key rotation is no hurry). */
const SERVED_KEY_QUERY = { timeoutMs: 3000, attempts: 2 } as const;

/**
 * Undefined when `server` serves exactly the selector's key; else what it served instead. Asked through
 * `dns`, the client `check` uses too (cli/check/dnsClient.ts), so each lookup ends within its bound.
 */
/**
 * The TXT records `server` serves at `name`, or what went wrong (NXDOMAIN, no TXT, a failed lookup).
 * Asked through `dns`, the client `check` uses too (cli/check/dnsClient.ts), so each lookup ends
 * within its bound. Also rotate --due's removal gate (the revocation served).
 */
export async function servedTxt(
  dns: DnsClient,
  server: DnsServer,
  name: string,
): Promise<{ readonly records: string[] } | { readonly problem: string }> {
  let response;
  try {
    response = await dns.query(server, name, "TXT", SERVED_KEY_QUERY);
  } catch (error) {
    if (error instanceof DnsFailure) return { problem: `${name}: lookup failed: ${error.message}` };
    throw error;
  }
  if (response.rcode === "NXDOMAIN") return { problem: `${name}: no such name (NXDOMAIN)` };
  if (response.rcode !== "NOERROR") return { problem: `${name}: lookup failed (${response.rcode})` };
  const records = txtValues(response);
  if (records.length === 0) return { problem: `${name}: no TXT record` };
  return { records };
}

/** Undefined when `server` serves exactly the selector's key; else what it served instead. */
export async function servedKeyProblem(
  dns: DnsClient,
  server: DnsServer,
  domain: string,
  selector: SelectorState,
): Promise<string | undefined> {
  const name = dkimRecordName(selector.name, domain);
  const served = await servedTxt(dns, server, name);
  if ("problem" in served) return served.problem;
  const { records } = served;
  if (records.length !== 1) {
    const listed = records.map((r) => JSON.stringify(r)).join(", ");
    return `${name}: ${records.length} TXT records (a selector needs exactly one, RFC 6376 §3.6.2.2): ${listed}`;
  }
  const tags = parseTagList(records[0] ?? "");
  if ((tags.get("k") ?? "rsa") !== selector.algorithm || tags.get("p") !== selector.publicKey) {
    return `${name}: serves ${JSON.stringify(records[0])}, not the configured ${selector.algorithm} key`;
  }
  return undefined;
}

export interface RotateOptions {
  readonly stack: string;
  /** @default the system's resolver */
  readonly resolver: DnsServer | undefined;
  readonly overlapDays: number;
  readonly force: boolean;
  readonly algorithm: DkimAlgorithm;
  readonly cwd: string;
  readonly now: Date;
  /** How DNS is asked; tests replace it. @default networkDns */
  readonly dns?: DnsClient;
  /**
   * rotate --due: the step it decided on, and the error to refuse with (its words, what is due now)
   * when the stack config read under the lock calls for another.
   */
  readonly expect?: {
    readonly step: Exclude<RotationStep["kind"], "refuse">;
    readonly changed: () => CommandError;
  };
}

export async function rotate(options: RotateOptions, io: Io, pulumi?: PulumiCli): Promise<number> {
  const project = loadProject(options.cwd);
  selectStacks(project, [options.stack]);
  // An unreadable stack file is refused before taking the lock; the step is decided under it.
  readStackConfig(project, options.stack);
  const snapshots = keepsSnapshots(project);
  const resolver = options.resolver ?? systemServer();
  const stdout = await editStack(
    { project, stack: options.stack, command: "sender-auth rotate", io, ...(pulumi === undefined ? {} : { pulumi }) },
    (edit) => rotateStep(edit, { ...options, snapshots }, resolver, io),
  );
  // Printed once the edit is committed.
  io.stdout.write(stdout);
  return EXIT_OK;
}

/** A step rotate will not take: exit 1, nothing written. */
const refusal = (message: string): CommandError => new CommandError(message, EXIT_FAILURE);

/** Decides and takes one rotation step on the stack config read under the lock; returns what to print. */
async function rotateStep(
  edit: StackEdit,
  options: RotateOptions & { readonly snapshots: boolean },
  resolver: DnsServer,
  io: Io,
): Promise<string> {
  const keys = stackKeysOf(edit.config);
  const dns = decodeConfigMap(edit.config.config)["dns"];
  const dnsIsObject = typeof dns === "object" && dns !== null && !Array.isArray(dns);
  const configuredTtl = dnsIsObject ? (dns as Record<string, unknown>)["ttl"] : undefined;
  const ttl = typeof configuredTtl === "number" ? configuredTtl : 3600;
  const domain = keys.domain;
  if (domain === undefined) throw refusal(`stack ${options.stack} has no sender-auth:domain`);
  if (!dnsIsObject) {
    throw refusal(
      `stack ${options.stack}: sender-auth:dns is not a valid section; fix the stack config first (npx sender-auth plan ${options.stack} lists every problem)`,
    );
  }
  const step = planRotation(keys, options.algorithm, options.overlapDays, options.now);
  // Checked before rotate's own refusals: after another run's step (a second rotate --due) the step
  // under the lock may be a refusal (a key just retired is in its overlap), which is not this run's.
  if (options.expect !== undefined && step.kind !== options.expect.step) throw options.expect.changed();
  if (step.kind === "refuse") throw refusal(step.reason);
  const dkim = decodeConfigMap(edit.config.config)["dkim"];
  const maxAge =
    typeof dkim === "object" && dkim !== null ? (dkim as Record<string, unknown>)["maxKeyAgeDays"] : undefined;
  const start =
    step.kind === "generate"
      ? rotationStart(
          keys,
          step.current,
          typeof maxAge === "number" ? maxAge : DEFAULT_MAX_KEY_AGE_DAYS,
          options.force,
          options.now,
        )
      : undefined;
  if (start?.start === false) throw refusal(start.reason);
  const review = (applies?: string): string[] => reviewSteps(options.stack, options.snapshots, applies);
  const today = isoDate(options.now);
  const wait = `${ttl} seconds (the record TTL)`;
  const cli = edit.pulumi;
  await cli.checkStack(options.stack);
  switch (step.kind) {
    case "generate": {
      const selector = nextSelectorName(usedSelectorNames(keys), options.now);
      const added = await addSelector(cli, {
        stack: options.stack,
        selector,
        keyType: step.keyType,
        status: "published",
        now: options.now,
      });
      await edit.verify(addedChanges(added), [selector]);
      const description = describeAddedSelector(options.stack, domain, added, "published", options.snapshots);
      return `rotate step 1 of 4: ${start?.why ?? ""}\n${description}\n`;
    }
    case "activate": {
      if (options.force) {
        io.stderr.write(
          `warning: --force: not checking that DNS serves ${dkimRecordName(step.next.name, domain)}; mail signed before it is served fails DKIM\n`,
        );
      } else {
        const problem = await servedKeyProblem(options.dns ?? networkDns, resolver, domain, step.next);
        if (problem !== undefined) {
          throw refusal(
            `refusing to activate ${step.next.name}: ` +
              `DNS does not serve its key yet\n${problem}\nrun pulumi up --stack ${options.stack}, wait ${wait}, ` +
              `and try again (--force skips this check)`,
          );
        }
      }
      const changes: Record<string, string> = { [selectorPath(step.next.name, "status")]: "active" };
      const expected: ConfigChange[] = [{ path: ["dkim", "selectors", step.next.name, "status"], value: "active" }];
      if (step.current !== undefined) {
        changes[selectorPath(step.current.name, "status")] = "retired";
        changes[selectorPath(step.current.name, "retiredAt")] = today;
        expected.push(
          { path: ["dkim", "selectors", step.current.name, "status"], value: "retired" },
          { path: ["dkim", "selectors", step.current.name, "retiredAt"], value: today },
        );
      }
      await cli.setPlain(options.stack, changes);
      // The key that starts signing, and the one that keeps serving mail in flight, must be key pairs.
      await edit.verify(
        expected,
        [step.next, step.current].flatMap((s) => (s?.hasPrivateKey === true ? [s.name] : [])),
      );
      return (
        [
          options.force
            ? `rotate step 2 of 4: activating ${step.next.name} without checking DNS (--force)`
            : `rotate step 2 of 4: ${step.next.name} is served by DNS`,
          `  ${step.next.name}: published → active`,
          ...(step.current
            ? [
                `  ${step.current.name}: active → retired (retiredAt ${today}); its key stays published for mail in flight`,
              ]
            : []),
          ...nextLines([
            ...review(),
            `switch your signer to ${step.next.name}: npx sender-auth export ${options.stack} --selector ${step.next.name} --format pem`,
            ...(step.current
              ? [
                  `after ${options.overlapDays} days ` +
                    `(from ${isoDate(new Date(options.now.getTime() + options.overlapDays * DAY_MS))}), ` +
                    `revoke ${step.current.name}: npx sender-auth rotate ${options.stack}`,
                ]
              : []),
          ]),
        ].join("\n") + "\n"
      );
    }
    case "revoke": {
      await cli.setPlain(options.stack, { [selectorPath(step.retired.name, "status")]: "revoked" });
      await edit.verify([{ path: ["dkim", "selectors", step.retired.name, "status"], value: "revoked" }], []);
      return (
        [
          `rotate step 3 of 4: ${step.retired.name} was retired on ${step.retired.retiredAt ?? "?"}, at least ${options.overlapDays} days ago`,
          `  ${step.retired.name}: retired → revoked (its record becomes "v=DKIM1; p=", RFC 6376 §3.6.1)`,
          ...nextLines([...review(), `after ${wait}, remove it: npx sender-auth rotate ${options.stack}`]),
        ].join("\n") + "\n"
      );
    }
    case "remove": {
      const name = step.revoked.name;
      // The name is remembered first, so no later keygen or rotation binds it to another key (issue #11).
      await cli.setPlain(options.stack, { [keyPath(["dkim", "removedSelectors", name])]: today });
      await cli.remove(options.stack, selectorPath(name));
      await edit.verify(
        [
          { path: ["dkim", "removedSelectors", name], value: today },
          { path: ["dkim", "selectors", name], removed: true },
        ],
        [],
      );
      return (
        [
          `rotate step 4 of 4: ${name} is revoked`,
          `  ${name}: removed from the stack config${step.revoked.hasPrivateKey ? ", private key included" : ""}; ` +
            `its name stays in ${keyPath(["dkim", "removedSelectors"])}, never to be used again`,
          ...nextLines(review("deletes its record")),
          `the rotation is finished; the next one starts with npx sender-auth rotate ${options.stack} ` +
            "once the active key is older than sender-auth:dkim.maxKeyAgeDays (before that, rotate asks for --force)",
        ].join("\n") + "\n"
      );
    }
  }
}

export function register(program: Command, { io, finish, now }: CommandContext): void {
  program
    .command("rotate")
    .description("advance a DKIM key rotation by one reviewable step (generate → activate → revoke → remove)")
    .argument("[stacks...]", "stack name (with --due: stack names, default every stack file)")
    .addOption(
      new Option(
        "--resolver <host[:port]>",
        "DNS server to check the new key against (default: the system resolver)",
      ).argParser(dnsServer),
    )
    .addOption(
      new Option("--overlap-days <days>", "days a retired key stays published before it is revoked")
        .argParser(wholeNumber(0, MAX_OVERLAP_DAYS, `a whole number of days from 0 to ${MAX_OVERLAP_DAYS}`))
        .default(DEFAULT_OVERLAP_DAYS),
    )
    .option(
      "--force",
      "activate without checking that DNS serves the new key; start a new rotation before the active key is due",
      false,
    )
    .addOption(
      new Option("--algorithm <algorithm>", "which key line to rotate").choices(DKIM_ALGORITHMS).default("rsa"),
    )
    .option("--due", 'take the step `status` says is due, for every stack or those named (README "The fleet")', false)
    .option("--dry-run", "with --due: say what is due, change nothing", false)
    .option(
      "--reports <path>",
      "with --due: DMARC aggregate reports (repeatable), the evidence a revoke needs",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .addOption(
      new Option("--approve-revoke <stack>", "with --due: revoke this stack's retired key without report evidence")
        .argParser((value: string, previous: string[] | undefined) => {
          const problem = stackNameProblem(value);
          if (problem !== undefined) throw new InvalidArgumentError(`It must be a stack name: ${problem}.`);
          return [...(previous ?? []), value];
        })
        .default([]),
    )
    .action(async (stacks: string[], opts: RotateCommandOptions) => {
      checkModeOptions(stacks, opts);
      if (opts.due) {
        // Loaded here: rotate --due builds on this module and the reports readers; a manual rotate needs neither.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { rotateDue } = require("./rotateDue") as typeof import("./rotateDue");
        const { resolver, overlapDays, reports, approveRevoke, dryRun } = opts;
        finish(
          await rotateDue(
            { stacks, resolver, overlapDays, reports, approveRevoke, dryRun, cwd: process.cwd(), now: now() },
            io,
          ),
        );
        return;
      }
      finish(
        await rotate(
          {
            stack: stacks[0] ?? "",
            resolver: opts.resolver,
            overlapDays: opts.overlapDays,
            force: opts.force,
            algorithm: opts.algorithm,
            cwd: process.cwd(),
            now: now(),
          },
          io,
        ),
      );
    });
}

interface RotateCommandOptions {
  readonly resolver?: DnsServer;
  readonly overlapDays: number;
  readonly force: boolean;
  readonly algorithm: DkimAlgorithm;
  readonly due: boolean;
  readonly dryRun: boolean;
  readonly reports: string[];
  readonly approveRevoke: string[];
}

/** One stack without --due, the --due options only with it, and never --force with --due (its gates are the point). */
function checkModeOptions(stacks: readonly string[], opts: RotateCommandOptions): void {
  if (opts.due) {
    if (opts.force) {
      throw new UsageError("--force cannot be combined with --due: rotate --due takes a step only through its gates");
    }
    return;
  }
  const dueOnly = [
    ...(opts.dryRun ? ["--dry-run"] : []),
    ...(opts.reports.length > 0 ? ["--reports"] : []),
    ...(opts.approveRevoke.length > 0 ? ["--approve-revoke"] : []),
  ];
  if (dueOnly.length > 0) {
    throw new UsageError(`${dueOnly.join(", ")} only go${dueOnly.length === 1 ? "es" : ""} with --due`);
  }
  if (stacks.length !== 1) {
    throw new UsageError(
      stacks.length === 0
        ? "missing required argument 'stack' (or --due for every stack)"
        : `rotate takes one stack, got ${stacks.length}: ${stacks.join(" ")} (rotate --due takes several)`,
    );
  }
}
