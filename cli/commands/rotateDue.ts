/**
 * `sender-auth rotate --due [STACK...] [--dry-run] [--reports PATH...] [--approve-revoke STACK...]`
 * (issue #14): for every stack (or those named), exactly the rotation step `status` says is due
 * (cli/status/due.ts), taken by `rotate` itself with its gates, one line per stack of what was done
 * or why not. Beyond rotate's own gates: activation waits until DNS serves the new key and removal
 * until DNS serves the revocation (so a second run right after either step finds nothing to do), and
 * a retired key is revoked only on DMARC report evidence or an explicit approval.
 *
 * Exit 0 when every stack was rotated, is waiting or has nothing due (another run having taken its
 * step included); 1 when any stack is invalid, a step failed or rotate refuses its selectors (the
 * others are still rotated); 2 on usage errors.
 */
import { parseTagList } from "../../components/records/tagList";
import { dkimRecordName } from "../../components/sections/dkim/records";
import { networkDns, systemServer, type DnsClient, type DnsServer } from "../check/dnsClient";
import type { DkimAlgorithm } from "../../components/sections/dkim";
import { CommandError, commandErrorOf, UsageError } from "../errors";
import { EXIT_FAILURE, EXIT_OK, type Io } from "../io";
import { loadProject, readStackConfig, selectStacks, type Project } from "../project";
import type { PulumiCli } from "../pulumiCli";
import { stackKeysOf, type SelectorState } from "../stackKeys";
import type { LineDue } from "../status/due";
import { assessStack, type StatusSettings } from "../status/row";
import { rotate, servedKeyProblem, servedTxt } from "./rotate";
import { reportsFor, stackSource, statusSettings } from "./status";

export interface RotateDueOptions {
  /** Stack names; empty means every stack file. */
  readonly stacks: readonly string[];
  /** @default the system's resolver */
  readonly resolver: DnsServer | undefined;
  readonly overlapDays: number;
  /** DMARC aggregate reports: evidence for revoking. @default [] */
  readonly reports: readonly string[];
  /** Stacks whose retired key may be revoked without report evidence. @default [] */
  readonly approveRevoke: readonly string[];
  /** Say what is due without changing anything. @default false */
  readonly dryRun: boolean;
  readonly cwd: string;
  readonly now: Date;
  /** How DNS is asked; tests replace it. @default networkDns */
  readonly dns?: DnsClient;
}

/** Undefined when DNS serves the selector's revocation (`p=` empty, RFC 6376 §3.6.1); else what it serves. */
export async function servedRevocationProblem(
  dns: DnsClient,
  server: DnsServer,
  domain: string,
  selector: string,
): Promise<string | undefined> {
  const name = dkimRecordName(selector, domain);
  const served = await servedTxt(dns, server, name);
  if ("problem" in served) return served.problem;
  if (served.records.length === 1 && parseTagList(served.records[0] ?? "").get("p") === "") return undefined;
  return `${name}: serves ${served.records.map((r) => JSON.stringify(r)).join(", ")}, not the revocation "v=DKIM1; p="`;
}

/** What happened to one key line. */
interface LineOutcome {
  readonly text: string;
  readonly failed: boolean;
}

/** An Io that keeps what it is given (rotate's own multi-line report), for the one line per stack. */
function bufferIo(): Io & { readonly out: string[]; readonly err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
  };
}

const oneLine = (lines: readonly string[]): string =>
  lines
    .join("")
    .split("\n")
    .map((line) => line.replace(/^error: /, ""))
    .filter((line) => line.trim() !== "")
    .join(" ");

export async function rotateDue(options: RotateDueOptions, io: Io, pulumi?: PulumiCli): Promise<number> {
  const project = loadProject(options.cwd);
  const stacks = selectStacks(project, options.stacks);
  // An approval names a stack this run covers: a typo must not go unnoticed.
  const unknown = [...new Set(options.approveRevoke.filter((s) => !stacks.includes(s)))];
  if (unknown.length > 0) {
    throw new UsageError(
      `--approve-revoke: ${unknown.map((s) => `"${s}"`).join(", ")} ${unknown.length === 1 ? "is" : "are"} not among the stacks of this run (${stacks.join(", ") || "none"})`,
    );
  }
  const dns = { client: options.dns ?? networkDns, server: options.resolver ?? systemServer() };
  const reports = await reportsFor(options.reports, io);
  const settings = statusSettings(project, options, reports, new Set(options.approveRevoke));
  let failed = (reports?.errors.length ?? 0) > 0;
  for (const stack of stacks) {
    const { row, due } = assessStack(stackSource(project, stack), settings);
    if (due === undefined) {
      failed = true;
      const count = row.problems.length;
      io.stdout.write(
        `${stack}: not rotated: the stack config has ${count} problem${count === 1 ? "" : "s"} (npx sender-auth status ${stack} lists them)\n`,
      );
      continue;
    }
    const dueLines = due.lines.filter((line) => line.due);
    if (dueLines.length === 0) {
      const reason = row.rotation.reason;
      // Selectors rotate refuses until a person fixes them fail the run, as a manual rotate would.
      const blocked = due.headline?.blocked === true;
      if (blocked) failed = true;
      const said = blocked
        ? `not rotated: ${reason}`
        : reason.startsWith("waiting: ")
          ? reason
          : `nothing due: ${reason}`;
      io.stdout.write(`${stack}: ${said}\n`);
      continue;
    }
    const outcomes: LineOutcome[] = [];
    for (const line of dueLines) {
      outcomes.push(await takeStep(project, stack, row.domain ?? "", line, options, settings, dns, pulumi));
    }
    if (outcomes.some((o) => o.failed)) failed = true;
    const labelled = (o: LineOutcome, i: number): string =>
      dueLines.length > 1 || due.lines.length > 1 ? `${dueLines[i]?.algorithm ?? ""}: ${o.text}` : o.text;
    io.stdout.write(`${stack}: ${outcomes.map(labelled).join("; ")}\n`);
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}

/** Takes (or, with --dry-run, describes) the step due for one key line. */
async function takeStep(
  project: Project,
  stack: string,
  domain: string,
  line: LineDue,
  options: RotateDueOptions,
  settings: StatusSettings,
  dns: { readonly client: DnsClient; readonly server: DnsServer },
  pulumi: PulumiCli | undefined,
): Promise<LineOutcome> {
  const step = line.step;
  if (step === undefined) return { text: `nothing due: ${line.reason}`, failed: false };
  // DNS gates: activation once the new key is served, removal once the revocation is.
  if (step.kind === "activate") {
    const problem = await servedKeyProblem(dns.client, dns.server, domain, step.next);
    if (problem !== undefined) {
      return {
        text: `waiting: DNS does not serve ${step.next.name} yet (${problem}); it is activated once pulumi up has published it and the record TTL has passed`,
        failed: false,
      };
    }
  }
  if (step.kind === "remove") {
    const problem = await servedRevocationProblem(dns.client, dns.server, domain, step.revoked.name);
    if (problem !== undefined) {
      return {
        text: `waiting: DNS does not serve the revocation of ${step.revoked.name} yet (${problem}); it is removed once pulumi up has published it`,
        failed: false,
      };
    }
  }
  const before = step.kind === "generate" ? stackKeysOf(readStackConfig(project, stack)) : undefined;
  if (options.dryRun) return { text: describe(step, undefined, stack, line, true), failed: false };
  const buffer = bufferIo();
  // Another run (or a person) changed the stack between this run's decision and its lock: what is
  // due now, from the stack file as it is under the lock.
  const whenChanged = (): StackChanged => {
    const now = assessStack(stackSource(project, stack), settings);
    return new StackChanged(
      changedWhileRunning(
        line.next ?? step.kind,
        now.due === undefined
          ? { problems: now.row.problems.length }
          : now.due.lines.find((l) => l.algorithm === line.algorithm),
        stack,
        line.algorithm,
      ),
    );
  };
  try {
    await rotate(
      {
        stack,
        resolver: dns.server,
        overlapDays: options.overlapDays,
        force: false,
        algorithm: line.algorithm,
        cwd: options.cwd,
        now: options.now,
        dns: dns.client,
        expect: { step: step.kind, changed: whenChanged },
      },
      buffer,
      pulumi,
    );
  } catch (error) {
    if (error instanceof StackChanged) return error.outcome;
    // One stack's failure (a refusal, a failed pulumi call, a held lock) is its line; the others go on.
    const failure = commandErrorOf(error);
    // A signal stopped the edit (exit 128 + its number): the whole run stops, as a shell expects.
    if (failure === undefined || failure.exitCode > 128) throw error;
    return { text: `not rotated: ${oneLine([...buffer.err, failure.message])}`, failed: true };
  }
  let added: SelectorState | undefined;
  if (before !== undefined) {
    const after = stackKeysOf(readStackConfig(project, stack));
    added = after.selectors.find((s) => !before.selectors.some((b) => b.name === s.name));
  }
  return { text: describe(step, added, stack, line, false), failed: false };
}

/** rotate's refusal when the stack under the lock calls for another step: this line's outcome. */
class StackChanged extends CommandError {
  override readonly name: string = "StackChanged";
  constructor(readonly outcome: LineOutcome) {
    super(outcome.text, EXIT_FAILURE);
  }
}

/**
 * What a run says when the step it decided on is no longer the stack's under the lock: that the stack
 * changed, and what is due now, which may be nothing (another run took the step, as a run right after
 * it would find). A failure only when rotate now refuses every step or the config became invalid.
 */
export function changedWhileRunning(
  decided: string,
  now: LineDue | { readonly problems: number } | undefined,
  stack: string,
  algorithm: DkimAlgorithm,
): LineOutcome {
  const changed = `the stack changed while rotate --due ran: ${decided} was due when this run read it`;
  if (now === undefined) return { text: `${changed}; now it has no ${algorithm} keys of its own`, failed: false };
  if ("problems" in now) {
    const count = now.problems;
    return {
      text: `not rotated: ${changed}; now its config has ${count} problem${count === 1 ? "" : "s"} (npx sender-auth status ${stack} lists them)`,
      failed: true,
    };
  }
  if (now.blocked) return { text: `not rotated: ${changed}; now rotate refuses: ${now.reason}`, failed: true };
  if (now.due) {
    return { text: `${changed}; now ${now.next ?? ""} is due, for a later run: ${now.reason}`, failed: false };
  }
  const reason = now.reason.startsWith("waiting: ") ? now.reason : `nothing is due: ${now.reason}`;
  return { text: `${changed}; now ${reason}`, failed: false };
}

function describe(
  step: NonNullable<LineDue["step"]>,
  added: SelectorState | undefined,
  stack: string,
  line: LineDue,
  dryRun: boolean,
): string {
  switch (step.kind) {
    case "generate":
      return dryRun
        ? `would start a new ${step.keyType} key (${line.reason})`
        : `started ${added?.name ?? "a new selector"}, a new ${step.keyType} key, published (${line.reason}); it is activated on a later run once DNS serves it`;
    case "activate": {
      const retired = step.current === undefined ? "" : `, ${step.current.name} retired`;
      return dryRun
        ? `would activate ${step.next.name}${retired} (DNS serves it)`
        : `activated ${step.next.name}${retired} (DNS serves it): switch every signer to ${step.next.name} (npx sender-auth export ${stack} --selector ${step.next.name} --format pem)`;
    }
    case "revoke":
      return `${dryRun ? "would revoke" : "revoked"} ${step.retired.name}: ${line.reason}`;
    case "remove":
      return `${dryRun ? "would remove" : "removed"} ${step.revoked.name} (DNS serves its revocation)`;
  }
}
