/**
 * `sender-auth rotate <stack>`: advances a DKIM key rotation by exactly one reviewable step, editing
 * the stack config through the Pulumi CLI:
 *   1. one active key and nothing newer  → generate a new selector, status published
 *   2. a newer published key served by DNS → make it active, the old one retired (retiredAt = today)
 *   3. a retired key past the overlap      → revoked (publishes `p=`, RFC 6376 §3.6.1)
 *   4. a revoked key                       → removed from config, private key included
 * No step leaves the domain without a published active key, and none removes a key still active.
 */
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { Option, type Command } from "commander";
import { KEY_TYPES, type KeyType } from "../../components/dkimKeys";
import { parseServer } from "../check/dnsClient";
import { DAY_MS } from "../../components/clock";
import { decodeConfigMap } from "../../components/config";
import { DKIM_ALGORITHMS, type DkimAlgorithm } from "../../components/model";
import { dkimRecordName, parseTagList } from "../../components/records/dkim";
import { type CommandContext, inputErrorCode, reportError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io } from "../io";
import { loadProject, readStackConfig, UsageError } from "../project";
import { PulumiCliError, pulumiCli, type PulumiCli } from "../pulumiCli";
import {
  isoDate,
  nextSelectorName,
  readStackKeys,
  selectorPath,
  type SelectorState,
  type StackKeys,
} from "../stackKeys";
import { addSelector, describeAddedSelector } from "./keygen";

/** Default wait between retiring a key and revoking it: mail signed with it may still be in flight. */
export const DEFAULT_OVERLAP_DAYS = 7;

export type RotationStep =
  | { readonly kind: "generate"; readonly current: SelectorState; readonly keyType: KeyType }
  | { readonly kind: "activate"; readonly next: SelectorState; readonly current: SelectorState | undefined }
  | { readonly kind: "revoke"; readonly retired: SelectorState }
  | { readonly kind: "remove"; readonly revoked: SelectorState }
  | { readonly kind: "refuse"; readonly reason: string };

const byAge = (a: SelectorState, b: SelectorState): number =>
  (a.createdAt ?? a.name).localeCompare(b.createdAt ?? b.name) || a.name.localeCompare(b.name);

/** Decides the one step to take for the selectors of `algorithm` (pure). */
export function planRotation(keys: StackKeys, algorithm: DkimAlgorithm, overlapDays: number, now: Date): RotationStep {
  const own = keys.selectors.filter((s) => s.cname === undefined && s.algorithm === algorithm);
  const revoked = own.filter((s) => s.status === "revoked");
  const first = revoked[0];
  if (first !== undefined) return { kind: "remove", revoked: first };
  const retired = own
    .filter((s) => s.status === "retired")
    .sort((a, b) => (a.retiredAt ?? "").localeCompare(b.retiredAt ?? ""));
  const oldest = retired[0];
  if (oldest !== undefined) {
    if (oldest.retiredAt === undefined || Number.isNaN(Date.parse(oldest.retiredAt))) {
      return {
        kind: "refuse",
        reason: `${oldest.name} is retired but has no retiredAt date, so its overlap cannot be checked; set it with\n  pulumi config set --path '${selectorPath(oldest.name, "retiredAt")}' <YYYY-MM-DD> --stack ${keys.stack}`,
      };
    }
    const due = new Date(Date.parse(oldest.retiredAt) + overlapDays * DAY_MS);
    if (now < due) {
      return {
        kind: "refuse",
        reason: `${oldest.name} was retired on ${oldest.retiredAt}; mail signed with it may still be in flight, so it can be revoked from ${isoDate(due)} (--overlap-days ${overlapDays})`,
      };
    }
    return { kind: "revoke", retired: oldest };
  }
  const active = own.filter((s) => s.status === "active" && s.publicKey !== undefined).sort(byAge);
  if (active.length > 1) {
    return {
      kind: "refuse",
      reason: `${active.map((s) => s.name).join(" and ")} are all active ${algorithm} selectors; retire all but one by hand before rotating`,
    };
  }
  const current = active[0];
  const published = own.filter((s) => s.status === "published" && s.publicKey !== undefined).sort(byAge);
  const newest = published[published.length - 1];
  if (newest !== undefined) {
    if (current !== undefined && byAge(newest, current) < 0) {
      return {
        kind: "refuse",
        reason: `${newest.name} is published but older than the active ${current.name}; activating it would roll back: revoke or remove it by hand`,
      };
    }
    return { kind: "activate", next: newest, current };
  }
  if (current === undefined) {
    return {
      kind: "refuse",
      reason: `stack ${keys.stack} has no active ${algorithm} key to rotate: create one with npx sender-auth keygen ${keys.stack}`,
    };
  }
  const bits = current.key?.bits;
  const keyType =
    algorithm === "ed25519" ? "ed25519" : (KEY_TYPES.find((t) => t === `rsa-${String(bits)}`) ?? "rsa-2048");
  return { kind: "generate", current, keyType: keyType === "rsa-1024" ? "rsa-2048" : keyType };
}

/** A resolver for `host[:port]` (IPv6 as `[addr]:port`), or the system's. */
export function makeResolver(spec: string | undefined): Resolver {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (spec === undefined) return resolver;
  const server = parseServer(spec);
  if (server === undefined) {
    throw new UsageError(
      `--resolver ${JSON.stringify(spec)} is not an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53`,
    );
  }
  resolver.setServers([isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`]);
  return resolver;
}

/** Undefined when DNS serves exactly the selector's key; else what it served instead. */
export async function servedKeyProblem(
  resolver: Resolver,
  domain: string,
  selector: SelectorState,
): Promise<string | undefined> {
  const name = dkimRecordName(selector.name, domain);
  let answers: string[][];
  try {
    answers = await resolver.resolveTxt(name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    return `${name}: ${code === "ENOTFOUND" ? "no such name (NXDOMAIN)" : code === "ENODATA" ? "no TXT record" : `lookup failed (${code})`}`;
  }
  const records = answers.map((chunks) => chunks.join(""));
  if (records.length !== 1) {
    return `${name}: ${records.length} TXT records (a selector needs exactly one, RFC 6376 §3.6.2.2): ${records.map((r) => JSON.stringify(r)).join(", ")}`;
  }
  const tags = parseTagList(records[0] ?? "");
  if ((tags.get("k") ?? "rsa") !== selector.algorithm || tags.get("p") !== selector.publicKey) {
    return `${name}: serves ${JSON.stringify(records[0])}, not the configured ${selector.algorithm} key`;
  }
  return undefined;
}

export interface RotateOptions {
  readonly stack: string;
  readonly resolver: string | undefined;
  readonly overlapDays: number;
  readonly force: boolean;
  readonly algorithm: DkimAlgorithm;
  readonly cwd: string;
  readonly now: Date;
}

export async function rotate(options: RotateOptions, io: Io, pulumi?: PulumiCli): Promise<number> {
  let keys: StackKeys;
  let cli: PulumiCli;
  let resolver: Resolver;
  let ttl = 3600;
  let dnsIsObject = false;
  try {
    const project = loadProject(options.cwd);
    keys = readStackKeys(project, options.stack);
    const dns = decodeConfigMap(readStackConfig(project, options.stack).config)["dns"];
    dnsIsObject = typeof dns === "object" && dns !== null && !Array.isArray(dns);
    const configuredTtl = dnsIsObject ? (dns as Record<string, unknown>)["ttl"] : undefined;
    if (typeof configuredTtl === "number") ttl = configuredTtl;
    resolver = makeResolver(options.resolver);
    cli = pulumi ?? pulumiCli(project.dir);
  } catch (error) {
    return inputErrorCode(io, error);
  }
  const domain = keys.domain;
  if (domain === undefined) return reportError(io, `stack ${options.stack} has no sender-auth:domain`, EXIT_FAILURE);
  if (!dnsIsObject) {
    return reportError(
      io,
      `stack ${options.stack}: sender-auth:dns is not a valid section; fix the stack config first (npx sender-auth plan ${options.stack} lists every problem)`,
      EXIT_FAILURE,
    );
  }
  const step = planRotation(keys, options.algorithm, options.overlapDays, options.now);
  if (step.kind === "refuse") return reportError(io, step.reason, EXIT_FAILURE);
  const today = isoDate(options.now);
  const wait = `${ttl} seconds (the record TTL)`;
  try {
    await cli.checkStack(options.stack);
    switch (step.kind) {
      case "generate": {
        const selector = nextSelectorName(
          keys.selectors.map((s) => s.name),
          options.now,
        );
        const added = await addSelector(cli, {
          stack: options.stack,
          selector,
          keyType: step.keyType,
          status: "published",
          now: options.now,
        });
        io.stdout.write(`rotate step 1 of 4: ${step.current.name} is active and nothing newer exists\n`);
        io.stdout.write(`${describeAddedSelector(options.stack, domain, added, "published")}\n`);
        return EXIT_OK;
      }
      case "activate": {
        if (options.force) {
          io.stderr.write(
            `warning: --force: not checking that DNS serves ${dkimRecordName(step.next.name, domain)}; mail signed before it is served fails DKIM\n`,
          );
        } else {
          const problem = await servedKeyProblem(resolver, domain, step.next);
          if (problem !== undefined) {
            return reportError(
              io,
              `refusing to activate ${step.next.name}: DNS does not serve its key yet\n${problem}\nrun pulumi up --stack ${options.stack}, wait ${wait}, and try again (--force skips this check)`,
              EXIT_FAILURE,
            );
          }
        }
        const changes: Record<string, string> = { [selectorPath(step.next.name, "status")]: "active" };
        if (step.current !== undefined) {
          changes[selectorPath(step.current.name, "status")] = "retired";
          changes[selectorPath(step.current.name, "retiredAt")] = today;
        }
        await cli.setPlain(options.stack, changes);
        io.stdout.write(
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
            "next:",
            `  1. review: npx sender-auth plan ${options.stack}; commit; pulumi up --stack ${options.stack}`,
            `  2. switch your signer to ${step.next.name}: npx sender-auth export ${options.stack} --selector ${step.next.name} --format pem`,
            ...(step.current
              ? [
                  `  3. after ${options.overlapDays} days (from ${isoDate(new Date(options.now.getTime() + options.overlapDays * DAY_MS))}), revoke ${step.current.name}: npx sender-auth rotate ${options.stack}`,
                ]
              : []),
          ].join("\n") + "\n",
        );
        return EXIT_OK;
      }
      case "revoke": {
        await cli.setPlain(options.stack, { [selectorPath(step.retired.name, "status")]: "revoked" });
        io.stdout.write(
          [
            `rotate step 3 of 4: ${step.retired.name} was retired on ${step.retired.retiredAt ?? "?"}, at least ${options.overlapDays} days ago`,
            `  ${step.retired.name}: retired → revoked (its record becomes "v=DKIM1; p=", RFC 6376 §3.6.1)`,
            "next:",
            `  1. review, commit, pulumi up --stack ${options.stack}`,
            `  2. after ${wait}, remove it: npx sender-auth rotate ${options.stack}`,
          ].join("\n") + "\n",
        );
        return EXIT_OK;
      }
      case "remove": {
        await cli.remove(options.stack, selectorPath(step.revoked.name));
        io.stdout.write(
          [
            `rotate step 4 of 4: ${step.revoked.name} is revoked`,
            `  ${step.revoked.name}: removed from the stack config${step.revoked.hasPrivateKey ? ", private key included" : ""}`,
            "next:",
            `  1. review, commit, pulumi up --stack ${options.stack} (deletes its record)`,
            `  2. the next rotation starts with: npx sender-auth rotate ${options.stack}`,
          ].join("\n") + "\n",
        );
        return EXIT_OK;
      }
    }
  } catch (error) {
    if (error instanceof PulumiCliError) return reportError(io, error.message, EXIT_FAILURE);
    throw error;
  }
}

/** Longer than any key should stay retired; also keeps every date computed from it valid. */
export const MAX_OVERLAP_DAYS = 3650;

/** commander's value parser for --overlap-days. */
function wholeDays(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > MAX_OVERLAP_DAYS) {
    throw new UsageError(
      `--overlap-days must be a whole number of days from 0 to ${MAX_OVERLAP_DAYS}, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

export function register(program: Command, { io, finish, now }: CommandContext): void {
  program
    .command("rotate")
    .description("advance a DKIM key rotation by one reviewable step (generate → activate → revoke → remove)")
    .argument("<stack>", "stack name")
    .option("--resolver <host[:port]>", "DNS server to check the new key against (default: the system resolver)")
    .option(
      "--overlap-days <days>",
      "days a retired key stays published before it is revoked",
      String(DEFAULT_OVERLAP_DAYS),
    )
    .option("--force", "activate without checking that DNS serves the new key", false)
    .addOption(
      new Option("--algorithm <algorithm>", "which key line to rotate").choices(DKIM_ALGORITHMS).default("rsa"),
    )
    .action(
      async (
        stack: string,
        opts: { resolver?: string; overlapDays: string; force: boolean; algorithm: DkimAlgorithm },
      ) => {
        let overlapDays: number;
        try {
          overlapDays = wholeDays(opts.overlapDays);
        } catch (error) {
          finish(reportError(io, error instanceof Error ? error.message : String(error), EXIT_USAGE));
          return;
        }
        finish(
          await rotate(
            {
              stack,
              resolver: opts.resolver,
              overlapDays,
              force: opts.force,
              algorithm: opts.algorithm,
              cwd: process.cwd(),
              now: now(),
            },
            io,
          ),
        );
      },
    );
}
