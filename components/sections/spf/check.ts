/**
 * SPF's part of `check` (RFC 7208): the served record as receivers evaluate it (mailauth, from an
 * address no record lists, so every term is walked and counted), includes without SPF, the size of
 * the answer, and a second v=spf1 record at the domain. Loaded by `check` only.
 */
import type { DNSResolver } from "mailauth";
import { spf } from "mailauth/lib/spf";
import { missingHint } from "../../../cli/check/advice";
import {
  absence,
  failureFinding,
  questionFailure,
  recording,
  secondRecords,
  servedTxt,
  type Finding,
  type SectionCheck,
  type StackContext,
} from "../../../cli/check/context";
import { mailauthResolver } from "../../../cli/check/dnsClient";
import type { SenderAuthConfig } from "../../model";
import { SPF_MAX_LOOKUPS, SPF_UDP_BUDGET } from "./records";

export const isSpf = (value: string): boolean => /^v=spf1(?: |$)/i.test(value);

/**
 * How far `check` follows SPF. Receivers stop at 10 DNS-querying terms and 2 void lookups (RFC 7208
 * §4.6.4); the check counts on to 20 of each, so that it can say by how much a record is over, and
 * stops there. The include walk (targets without SPF) looks at 20 include and redirect targets at
 * most, 10 includes deep at most: deeper is past 10 lookups for any receiver.
 */
export const SPF_CHECK_LIMITS = { lookups: 20, voidLookups: 20, depth: 10 } as const;

/** An IPv4 address no SPF record lists (240.0.0.0/4 is reserved), so evaluation walks every term. */
export const UNLISTED_IP = "240.0.0.1";
// ---------------------------------------------------------------------------------------------------
// SPF: the served record as receivers evaluate it.

/**
 * The stack's SPF record as receivers see it: there at all, then mailauth's evaluation from an
 * unlisted address (every term walked and counted), the include walk, and the answer's size.
 */
async function checkSpf(context: StackContext, config: SenderAuthConfig): Promise<Finding[]> {
  const { domain } = config;
  const own = await servedTxt(context, "spf", domain);
  if (!own.ok) return [own.finding];
  if (!own.values.some(isSpf)) {
    return [
      {
        code: "spf-missing",
        result: "fail",
        subject: "spf",
        message: `no SPF record at ${domain} (${absence(own.response, own.values, "v=spf1")})`,
        hint: missingHint(context.advice, own.response),
      },
    ];
  }
  // RFC 7208 §3.4: the whole TXT answer at the SPF name, tokens included, should fit one UDP packet.
  const octets = domain.length + own.values.reduce((sum, value) => sum + value.length, 0);
  const size: Finding = {
    code: "spf-size",
    result: octets > SPF_UDP_BUDGET ? "warn" : "ok",
    subject: "spf",
    message:
      `the TXT answer at ${domain} is ${octets} octets` +
      (octets > SPF_UDP_BUDGET
        ? `, over ${SPF_UDP_BUDGET}: it may not fit a UDP response (RFC 7208 §3.4)`
        : ` (under ${SPF_UDP_BUDGET})`),
  };
  const findings: Finding[] = [];
  const recorder = recording(context.ask);
  const result = await spf({
    sender: `postmaster@${domain}`,
    ip: UNLISTED_IP,
    helo: domain,
    mta: "sender-auth-check",
    resolver: mailauthResolver(context.resolver, context.queryOptions, recorder.ask) as DNSResolver,
    maxResolveCount: SPF_CHECK_LIMITS.lookups,
    maxVoidCount: SPF_CHECK_LIMITS.voidLookups,
  });
  const lookups = result.lookups;
  if (result.status.result === "temperror") {
    const failed = recorder.failures[0];
    return [
      failed === undefined
        ? {
            code: "spf-temperror",
            result: "fail",
            subject: "spf",
            message: `SPF evaluation hit a DNS error: ${result.info}`,
            hint: "a DNS failure, not an answer: run the check again; if it persists, look up the terms of the SPF record with `dig`",
          }
        : {
            ...failureFinding("spf", failed),
            code: "spf-temperror",
            message: `SPF evaluation stopped at a DNS failure: ${questionFailure(failed)}; receivers return temperror (RFC 7208 §4.4)`,
          },
      size,
    ];
  }
  const tooMany = lookups !== undefined && (lookups.count > SPF_MAX_LOOKUPS || lookups.void > 2);
  if (result.status.result === "permerror" && !tooMany) {
    findings.push({
      code: "spf-permerror",
      result: "fail",
      subject: "spf",
      message: `SPF permerror: ${result.info}`,
      hint:
        `receivers treat the SPF record as broken: see the SPF findings; ` +
        `\`npx sender-auth plan${context.stack === undefined ? "" : ` ${context.stack}`}\` shows the declared record`,
    });
  }
  const cut =
    "cut DNS-querying terms from sender-auth:spf (include, a, mx, exists, redirect): " +
    "replace an include by the ip4/ip6 ranges it lists, or drop senders no longer used";
  // A permerror before any term was evaluated (e.g. two SPF records) has nothing to count.
  if (lookups && !(result.status.result === "permerror" && lookups.count === 0 && lookups.void === 0)) {
    // Past the check's own limit mailauth stops evaluating: the count is then a lower bound.
    const counted = (count: number, limit: number, receiverLimit: number, what: string): string =>
      count > limit
        ? `more than ${limit} ${what} of ${receiverLimit} (RFC 7208 §4.6.4): receivers return permerror; the check stops counting at ${limit}`
        : `${count} ${what} of ${receiverLimit} (RFC 7208 §4.6.4)${count > receiverLimit ? ": receivers return permerror" : ""}`;
    findings.push({
      code: "spf-lookups",
      ...(lookups.count > SPF_MAX_LOOKUPS ? { result: "fail", hint: cut } : { result: "ok" }),
      subject: "spf",
      message: counted(lookups.count, SPF_CHECK_LIMITS.lookups, SPF_MAX_LOOKUPS, "DNS lookups"),
    });
    findings.push({
      code: "spf-void-lookups",
      ...(lookups.void > 2
        ? {
            result: "fail",
            hint: "remove the terms of sender-auth:spf whose names do not exist (include, a, mx, exists): each one is a void lookup",
          }
        : { result: "ok" }),
      subject: "spf",
      message: counted(lookups.void, SPF_CHECK_LIMITS.voidLookups, 2, "void lookups"),
    });
  }
  findings.push(...(await includesWithoutSpf(context, config, own.values, cut)));
  findings.push(size);
  return findings;
}

/**
 * Includes and redirects whose target publishes no SPF record (RFC 7208 §5.2: permerror), walked
 * depth-first within SPF_CHECK_LIMITS: a walk past them is a failing `spf-walk-limit` finding.
 */
async function includesWithoutSpf(
  context: StackContext,
  config: SenderAuthConfig,
  apexValues: readonly string[],
  cut: string,
): Promise<Finding[]> {
  const { domain } = config;
  const findings: Finding[] = [];
  const limits = SPF_CHECK_LIMITS;
  const key = (name: string): string => name.toLowerCase().replace(/\.$/, "");
  /** The domain and every target looked up. */
  const seen = new Set<string>([key(domain)]);
  const stopped = new Set<"depth" | "lookups">();
  const stop = (why: "depth" | "lookups", message: string): void => {
    if (stopped.has(why)) return;
    stopped.add(why);
    findings.push({
      code: "spf-walk-limit",
      result: "fail",
      subject: "spf",
      message: `${message}; receivers return permerror past ${SPF_MAX_LOOKUPS} DNS lookups (RFC 7208 §4.6.4)`,
      hint: cut,
    });
  };
  /** The SPF record of `name`; undefined when it has none; null when the lookup failed (reported). */
  const spfOf = async (name: string): Promise<string | undefined | null> => {
    const served = await servedTxt(context, "spf", name);
    if (!served.ok) {
      findings.push(served.finding);
      return null;
    }
    return served.values.find(isSpf);
  };
  /** The config key a target of the domain's own record comes from. */
  const configKey = (target: string): string =>
    config.spf?.redirect !== undefined && key(config.spf.redirect) === key(target)
      ? "sender-auth:spf.redirect"
      : "sender-auth:spf.include";
  /** Walks the targets of `name`'s SPF `record`; `depth` is how many includes deep `name` is. */
  const walk = async (name: string, record: string, depth: number): Promise<void> => {
    const targets = record
      .split(/\s+/)
      .map((term) => /^[+?~-]?include:(.+)$/i.exec(term)?.[1] ?? /^redirect=(.+)$/i.exec(term)?.[1])
      .filter((target): target is string => target !== undefined && !target.includes("%"));
    for (const target of targets) {
      if (seen.has(key(target))) continue;
      if (depth >= limits.depth) {
        stop(
          "depth",
          `the include walk stops ${limits.depth} includes deep: ${target} (included by ${name}) was not looked at`,
        );
        continue;
      }
      if (seen.size > limits.lookups) {
        stop(
          "lookups",
          `the include walk stops after ${limits.lookups} include and redirect targets: ${target} (included by ${name}) and any after it were not looked at`,
        );
        return;
      }
      seen.add(key(target));
      const targetRecord = await spfOf(target);
      if (targetRecord === null) continue;
      if (targetRecord === undefined) {
        findings.push({
          code: "spf-include-without-spf",
          result: "fail",
          subject: "spf",
          message: `${target} (included by ${name}) publishes no SPF record: SPF fails with permerror (RFC 7208 §5.2)`,
          hint:
            depth === 0
              ? `remove ${target} from ${configKey(target)}, or ask its operator to publish an SPF record there`
              : `ask the operator of ${name} to fix its include, or remove the include of sender-auth:spf that leads to ${name}`,
        });
      } else {
        await walk(target, targetRecord, depth + 1);
      }
    }
  };
  const root = apexValues.find(isSpf);
  if (root !== undefined) await walk(domain, root, 0);
  return findings;
}

export const spfCheck: SectionCheck = {
  // A domain without sender-auth:spf (and not parked) publishes no SPF record: nothing to evaluate.
  check: (context, config, records) =>
    records.some((r) => r.purpose === "spf") ? checkSpf(context, config) : Promise.resolve([]),

  beside: secondRecords({
    purpose: "spf",
    code: "spf-multiple",
    is: isSpf,
    kind: "v=spf1",
    effect: "SPF fails with permerror (RFC 7208 §3.2)",
    also: "; move what it allows into sender-auth:spf first",
  }),
};
