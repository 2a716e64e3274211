/**
 * The live check of one stack (issue #5): is what DNS serves what the stack declares, and does mail
 * authenticate? Every lookup failure (timeout, SERVFAIL, unreachable server) is a finding, never ok.
 * Bounded (issue #11): each stack's DNS work runs within a StackBudget (deadline, queries, answer
 * octets), and the SPF include walk within SPF_CHECK_LIMITS. Actionable (issue #12): a failing
 * finding names the DNS question behind it and ends with a hint (advice.ts); keys are named by
 * fingerprint; a check that needs a record never reports ok without it.
 *
 * Sections, one per record family, each reading DNS only through the stack's DNS client
 * (CheckContext.dns, within its budget): the managed records themselves, SPF, DKIM, DMARC.
 */
// mailauth's per-feature modules (its README's require paths), not its index, which also loads ARC,
// BIMI and SVG validation (~0.1 s of start-up, issue #6); signing and verifying load on first use.
import type { DNSResolver } from "mailauth";
import type * as DkimSign from "mailauth/lib/dkim/sign";
import type * as DkimVerify from "mailauth/lib/dkim/verify";
import { dmarc } from "mailauth/lib/dmarc";
import { spf } from "mailauth/lib/spf";
import { currentTime } from "../../components/clock";
import type { DkimSelector, PublishedRecord, SenderAuthConfig } from "../../components/model";
import { isWithinDomain } from "../../components/records/names";
import { parseTagList } from "../../components/records/tagList";
import { publicKeyOf } from "../../components/sections/dkim/keys";
import {
  buildDkimValue,
  dkimRecordName,
  fingerprintLabel,
  inspectDkimPublicKey,
  publicKeyFingerprint,
} from "../../components/sections/dkim/records";
import { dmarcRecordName, reportAuthName } from "../../components/sections/dmarc/records";
import { inspectMailto } from "../../components/sections/dmarc/reportUri";
import { SPF_MAX_LOOKUPS, SPF_UDP_BUDGET } from "../../components/sections/spf/records";
import { deployHint, dnsFailureHint, extraRecordHint, missingHint, type Advice } from "./advice";
import {
  DnsFailure,
  mailauthResolver,
  type DnsFailureCode,
  type DnsResponse,
  type DnsServer,
  txtValues,
  type DnsClient,
  type QueryFunction,
  type QueryOptions,
  type QueryType,
} from "./dnsClient";
import { DEFAULT_CHECK_LIMITS, StackBudget, type CheckLimits } from "./limits";

export type FindingResult = "ok" | "warn" | "fail";

export interface Finding {
  /** Stable machine-readable code, e.g. `record-missing`, `spf-lookups`. */
  readonly code: string;
  readonly result: FindingResult;
  /** What was checked: a DNS name, or `spf`, `dmarc`, `dkim <selector>`. */
  readonly subject: string;
  readonly message: string;
  /** What the stack declares, in full (the table shows long keys by fingerprint). */
  readonly expected?: string;
  /** What DNS serves, in full. */
  readonly served?: readonly string[];
  /** Served TTL in seconds, where an answer came back. */
  readonly ttl?: number;
  /** The server that gave this answer (authoritative mode checks every one). */
  readonly server?: string;
  /** What to do about it: the command to run, or whom to ask. Every failing finding has one. */
  readonly hint?: string;
}

/** A private key to sign the test message with, and where it came from. */
export interface PrivateKeyAtHand {
  /** PEM. Secret: never in a finding. */
  readonly pem: string;
  /** Where it came from, as findings name it after "the key": `in <file>`, `in the stack's secret config (…)`. */
  readonly origin: string;
}

export interface CheckContext {
  /** The recursive resolver: managed names are compared there (unless `authoritative`), mailauth evaluates through it. */
  readonly resolver: DnsServer;
  /**
   * Compare managed names at every authoritative server of the zone instead (its NS records through
   * the resolver, then their addresses), asked without recursion on `port`.
   */
  readonly authoritative?: { readonly port: number } | undefined;
  readonly queryOptions: QueryOptions;
  /** Private keys at hand, by selector. */
  readonly privateKeys: ReadonlyMap<string, PrivateKeyAtHand>;
  /** @default DEFAULT_CHECK_LIMITS */
  readonly limits?: CheckLimits | undefined;
  /** When the stack's deadline (limits.stackTimeoutMs) started, in ms since the epoch. @default now */
  readonly startedAt?: number | undefined;
  /** How the stack's questions are asked, within its budget (StackBudget). @default networkDns */
  readonly dns?: DnsClient | undefined;
  /** The stack, for the commands hints name. @default none named */
  readonly stack?: string | undefined;
  /** "Now", for the times hints name. @default currentTime (SENDER_AUTH_NOW pins it) */
  readonly now?: (() => Date) | undefined;
}

/** One stack's check: its questions are asked once each and within its budget (see StackBudget). */
interface StackContext extends CheckContext {
  /** Where managed names are compared: the resolver, or every authoritative server. */
  readonly servers: readonly DnsServer[];
  readonly ask: QueryFunction;
  readonly advice: Advice;
}

/** The finding code of a lookup that got no answer. */
const FAILURE_FINDING: Readonly<Record<DnsFailureCode, string>> = {
  TIMEOUT: "dns-timeout",
  UNREACHABLE: "dns-unreachable",
  BADRESPONSE: "dns-error",
  LIMIT: "check-limit",
};

/** Finding codes of lookups that got no answer at all (nothing was learnt about the record). */
const NO_ANSWER = new Set(["dns-timeout", "dns-unreachable", "check-limit"]);

/**
 * How far `check` follows SPF. Receivers stop at 10 DNS-querying terms and 2 void lookups (RFC 7208
 * §4.6.4); the check counts on to 20 of each, so that it can say by how much a record is over, and
 * stops there. The include walk (targets without SPF) looks at 20 include and redirect targets at
 * most, 10 includes deep at most: deeper is past 10 lookups for any receiver.
 */
export const SPF_CHECK_LIMITS = { lookups: 20, voidLookups: 20, depth: 10 } as const;

/** An IPv4 address no SPF record lists (240.0.0.0/4 is reserved), so evaluation walks every term. */
export const UNLISTED_IP = "240.0.0.1";

const serverName = (server: DnsServer): string => `${server.host}:${server.port}`;
const ttlOf = (response: DnsResponse): number | undefined => response.records[0]?.ttl;
const isSpf = (value: string): boolean => /^v=spf1(?: |$)/i.test(value);
const isDmarc = (value: string): boolean => /^v=DMARC1(?:;|$|\s)/.test(value);

// ---------------------------------------------------------------------------------------------------
// Lookups: every question the check asks goes through the stack's `ask`; one that gets no usable
// answer is a failing finding naming the question, the server and what happened.

/** A question that got no usable answer: nothing was learnt, and a hint on finding out why. */
interface FailedQuestion {
  readonly server: DnsServer;
  readonly name: string;
  readonly type: QueryType;
  /** The client's failure, or the response code the server answered with. */
  readonly failure: DnsFailure | string;
}

/** `TXT name: what happened`. */
function questionFailure({ server, name, type, failure }: FailedQuestion): string {
  return `${type} ${name}: ${typeof failure === "string" ? `${serverName(server)} answered ${failure}` : failure.message}`;
}

/** A failing finding for a question that got no usable answer. */
function failureFinding(subject: string, question: FailedQuestion, message = questionFailure(question)): Finding {
  const { failure } = question;
  const limited = typeof failure !== "string" && failure.code === "LIMIT";
  return {
    code: typeof failure === "string" ? "dns-error" : FAILURE_FINDING[failure.code],
    result: "fail",
    subject,
    message,
    server: serverName(question.server),
    hint: limited
      ? "unverified: a bound of the check stopped this lookup (see the finding for `check`)"
      : dnsFailureHint(question.server, question.name, question.type),
  };
}

type Lookup = { readonly ok: true; readonly response: DnsResponse } | { readonly ok: false; readonly finding: Finding };

/** One question; `recursion` false for an authoritative server. */
async function lookup(
  context: StackContext,
  server: DnsServer,
  subject: string,
  name: string,
  type: QueryType,
  recursion: boolean,
): Promise<Lookup> {
  try {
    const response = await context.ask(server, name, type, { ...context.queryOptions, recursion });
    if (response.rcode !== "NOERROR" && response.rcode !== "NXDOMAIN") {
      return { ok: false, finding: failureFinding(subject, { server, name, type, failure: response.rcode }) };
    }
    return { ok: true, response };
  } catch (error) {
    if (!(error instanceof DnsFailure)) throw error;
    return { ok: false, finding: failureFinding(subject, { server, name, type, failure: error }) };
  }
}

type ServedTxt =
  | { readonly ok: true; readonly values: readonly string[]; readonly response: DnsResponse }
  | { readonly ok: false; readonly finding: Finding };

/**
 * The TXT values at `name` as receivers see them: through the resolver, CNAMEs followed, each
 * record's character-strings joined. The same question as mailauth's, so it is asked once.
 */
async function servedTxt(context: StackContext, subject: string, name: string): Promise<ServedTxt> {
  const result = await lookup(context, context.resolver, subject, name, "TXT", true);
  return result.ok ? { ok: true, values: txtValues(result.response), response: result.response } : result;
}

/** Why a name has no record of the kind looked for, for messages: `NXDOMAIN`, `no TXT record`, ... */
function absence(response: DnsResponse, values: readonly string[], kind: string): string {
  if (response.rcode === "NXDOMAIN") return "NXDOMAIN";
  if (values.length === 0) return "no TXT record";
  return values.length === 1
    ? `its one TXT record is not ${kind}`
    : `none of its ${values.length} TXT records is ${kind}`;
}

/**
 * The questions behind a mailauth evaluation that got no usable answer, in order: mailauth reports
 * a temperror, the findings name the question.
 */
function recording(ask: QueryFunction): { readonly ask: QueryFunction; readonly failures: FailedQuestion[] } {
  const failures: FailedQuestion[] = [];
  const recorded: QueryFunction = async (server, name, type, options) => {
    try {
      const response = await ask(server, name, type, options);
      if (response.rcode !== "NOERROR" && response.rcode !== "NXDOMAIN") {
        failures.push({ server, name, type, failure: response.rcode });
      }
      return response;
    } catch (error) {
      if (error instanceof DnsFailure) failures.push({ server, name, type, failure: error });
      throw error;
    }
  };
  return { ask: recorded, failures };
}

// ---------------------------------------------------------------------------------------------------
// The managed records, as each server serves them.

function purposeLabel(record: PublishedRecord): string {
  return record.purpose === "dkim"
    ? `DKIM ${record.selector ?? ""}`.trim()
    : record.purpose === "dmarc-report-auth"
      ? "DMARC report authorisation"
      : record.purpose.toUpperCase();
}

/** A DKIM record's key as messages name it: `key SHA-256 …`, or revoked; undefined when it has none readable. */
function keyOfRecord(value: string): string | undefined {
  const p = parseTagList(value).get("p");
  if (p === undefined) return undefined;
  if (p === "") return "no key (revoked: empty p=)";
  const fingerprint = publicKeyFingerprint(p);
  return fingerprint === undefined ? undefined : `key ${fingerprintLabel(fingerprint)}`;
}

/**
 * How a served value differs from the declared one, which side is which: `who` (DNS, or the
 * authoritative server) serves this, the config declares that; DKIM keys by fingerprint.
 */
function difference(record: PublishedRecord, served: readonly string[], who: string): string {
  if (record.purpose === "dkim" && record.type === "TXT") {
    const declared = keyOfRecord(record.value);
    const keys = served.map(keyOfRecord);
    if (declared !== undefined && keys.every((key) => key !== undefined)) {
      return `${who} serves ${keys.join(" and ")}, config declares ${declared}`;
    }
  }
  return `${who} serves another value than the config declares`;
}

/** Compares what each server serves at a managed name with what the stack declares. */
async function checkRecord(
  context: StackContext,
  config: SenderAuthConfig,
  record: PublishedRecord,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const label = purposeLabel(record);
  const { advice } = context;
  for (const server of context.servers) {
    const at = context.authoritative ? ` at ${serverName(server)}` : "";
    const result = await lookup(context, server, record.name, record.name, record.type, !context.authoritative);
    if (!result.ok) {
      findings.push(result.finding);
      continue;
    }
    const { response } = result;
    const ttl = ttlOf(response);
    const base = {
      subject: record.name,
      ...(ttl === undefined ? {} : { ttl }),
      ...(context.authoritative ? { server: serverName(server) } : {}),
    };
    const missing = (): Finding => ({
      ...base,
      code: "record-missing",
      result: "fail",
      message: `${label}: not served${at} (${response.rcode === "NXDOMAIN" ? "NXDOMAIN" : `no ${record.type} record`})`,
      expected: record.value,
      hint: missingHint(advice, response),
    });
    if (record.type === "CNAME") {
      const served = response.answers
        .filter((a) => a.type === "CNAME" && a.name === record.name)
        .map((a) => String(a.data).replace(/\.$/, "").toLowerCase());
      if (served.length === 0) findings.push(missing());
      else if (served[0] !== record.value) {
        findings.push({
          ...base,
          code: "record-different",
          result: "fail",
          message: `${label}: CNAME points elsewhere${at}`,
          expected: record.value,
          served,
          hint: deployHint(advice, ttl),
        });
      } else {
        findings.push({ ...base, code: "record-ok", result: "ok", message: `${label}: CNAME ${record.value}${at}` });
      }
      continue;
    }
    const served = record.type === "TXT" ? txtValues(response) : response.records.map((r) => String(r.data));
    // Only answers owned by this name count; a CNAME there instead is reported as different.
    const ownServed = response.records.every((r) => r.name === record.name) ? served : [];
    const alias = response.answers.find((a) => a.type === "CNAME" && a.name === record.name);
    if (alias !== undefined) {
      findings.push({
        ...base,
        ...(alias.ttl > 0 ? { ttl: alias.ttl } : {}),
        code: "record-different",
        result: "fail",
        message: `${label}: a CNAME is served instead of the ${record.type} record${at}`,
        expected: record.value,
        served: [`CNAME ${String(alias.data)}`],
        hint: deployHint(advice, alias.ttl),
      });
      continue;
    }
    if (record.type === "TXT") findings.push(...duplicates(context, config, record, ownServed, base, at));
    if (ownServed.includes(record.value)) {
      findings.push({ ...base, code: "record-ok", result: "ok", message: `${label}${at}` });
    } else if (ownServed.length === 0) findings.push(missing());
    else {
      findings.push({
        ...base,
        code: "record-different",
        result: "fail",
        message: `${label}: ${difference(record, ownServed, context.authoritative ? serverName(server) : "DNS")}`,
        expected: record.value,
        served: ownServed,
        hint: deployHint(advice, ttl),
      });
    }
  }
  return findings;
}

/** A second record of a kind receivers read only one of: what breaks, and what else to do. */
const SECOND_RECORD: Readonly<
  Record<"spf" | "dmarc", { code: string; is: (value: string) => boolean; kind: string; effect: string; also: string }>
> = {
  spf: {
    code: "spf-multiple",
    is: isSpf,
    kind: "v=spf1",
    effect: "SPF fails with permerror (RFC 7208 §3.2)",
    also: "; move what it allows into sender-auth:spf first",
  },
  dmarc: {
    code: "dmarc-multiple",
    is: isDmarc,
    kind: "v=DMARC1",
    effect: "receivers apply no policy (RFC 7489 §6.6.3)",
    also: "",
  },
};

/** Records served beside the declared one where receivers read only one: a second SPF, DMARC or key record. */
function duplicates(
  context: StackContext,
  config: SenderAuthConfig,
  record: PublishedRecord,
  served: readonly string[],
  base: Pick<Finding, "subject" | "ttl" | "server">,
  at: string,
): Finding[] {
  const hint = (what: string): string => extraRecordHint(context.advice, config.dns.provider, record.name, what);
  if (record.purpose === "spf" || record.purpose === "dmarc") {
    const { code, is, kind, effect, also } = SECOND_RECORD[record.purpose];
    const same = served.filter(is);
    if (same.length <= 1) return [];
    return [
      {
        ...base,
        code,
        result: "fail",
        message: `${same.length} ${kind} records${at}: ${effect}`,
        served: same,
        hint: `${hint(`${kind} record`)}${also}`,
      },
    ];
  }
  if (record.purpose === "dkim" && served.length > 1) {
    return [
      {
        ...base,
        code: "dkim-multiple",
        result: "fail",
        message: `${served.length} TXT records at a selector${at}: verifiers may read either (RFC 6376 §3.6.2.2)`,
        served,
        hint: hint("TXT record"),
      },
    ];
  }
  return [];
}

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

// ---------------------------------------------------------------------------------------------------
// DKIM: each selector's key as verifiers see it, and a real signature with any key at hand.

function message(domain: string, selector: string): string {
  return [
    `From: sender-auth check <postmaster@${domain}>`,
    `To: postmaster@${domain}`,
    `Subject: sender-auth DKIM check ${selector}`,
    "Date: Sat, 28 Nov 2026 10:00:00 +0000",
    `Message-ID: <check-${selector}@${domain}>`,
    "",
    "A test message signed by sender-auth check.",
    "",
  ].join("\r\n");
}

/** The hint for a CNAME selector whose key the email provider does not serve as it should. */
const providerKeyHint = (selector: DkimSelector): string =>
  `the email provider serves this key at ${selector.cname ?? ""}: finish the selector's setup there, or correct sender-auth:dkim.selectors.${selector.name}.cname`;

/** Keys, revocations and CNAME targets as verifiers see them, and a real signature per key at hand. */
async function checkDkim(context: StackContext, config: SenderAuthConfig): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { advice } = context;
  for (const selector of config.dkim?.selectors ?? []) {
    const name = dkimRecordName(selector.name, config.domain);
    const subject = `dkim ${selector.name}`;
    const own = await servedTxt(context, subject, name);
    if (!own.ok) {
      findings.push(own.finding);
      continue;
    }
    const served = [...own.values];
    const ttl = ttlOf(own.response);
    const fix = selector.cname === undefined ? deployHint(advice, ttl) : providerKeyHint(selector);
    if (served.length === 0) {
      findings.push({
        code: "dkim-missing",
        result: "fail",
        subject,
        message: `no DKIM key record at ${name} (${absence(own.response, served, "a DKIM key")})`,
        hint: selector.cname === undefined ? missingHint(advice, own.response) : providerKeyHint(selector),
      });
      continue;
    }
    const tags = served.length === 1 ? parseTagList(served[0] ?? "") : undefined;
    const p = tags?.get("p");
    if (selector.status === "revoked") {
      findings.push(
        p === ""
          ? { code: "dkim-revoked", result: "ok", subject, message: "revoked: serves an empty p=" }
          : {
              code: "dkim-revoked-still-served",
              result: "fail",
              subject,
              message:
                `is revoked but DNS still serves ${(served.length === 1 ? keyOfRecord(served[0] ?? "") : undefined) ?? "a key"}: ` +
                `signatures with it still verify`,
              served,
              hint: fix,
            },
      );
      continue;
    }
    if (tags === undefined || p === undefined || p === "") {
      findings.push({
        code: "dkim-bad-record",
        result: "fail",
        subject,
        message: `${name} serves no usable key${served.length > 1 ? ` (${served.length} TXT records)` : ""}`,
        served,
        hint: fix,
      });
      continue;
    }
    const algorithm = tags.get("k") === "ed25519" ? "ed25519" : "rsa";
    const inspection = inspectDkimPublicKey(algorithm, p);
    if (!inspection.ok) {
      findings.push({
        code: "dkim-bad-key",
        result: "fail",
        subject,
        message: `${name}: the served key ${inspection.problem}`,
        served,
        hint: fix,
      });
      continue;
    }
    const servedKey = inspection.info;
    const keyLabel = (key: typeof servedKey): string =>
      `${fingerprintLabel(key.fingerprint)} (${key.algorithm === "rsa" ? `RSA ${key.bits}` : "Ed25519"})`;
    const described = keyLabel(servedKey);
    if (selector.cname !== undefined) {
      findings.push({
        code: "dkim-ok",
        result: "ok",
        subject,
        message: `served through ${selector.cname}: ${described}`,
      });
    } else if (p !== selector.publicKey || algorithm !== selector.algorithm) {
      const declared = selector.key;
      findings.push({
        code: "dkim-wrong-key",
        result: "fail",
        subject,
        message: `DNS serves key ${described}, config declares ${declared === undefined ? "no key" : `key ${keyLabel(declared)}`}`,
        expected: selector.publicKey === undefined ? "" : buildDkimValue(selector.algorithm, selector.publicKey),
        served,
        hint: fix,
      });
    } else findings.push({ code: "dkim-ok", result: "ok", subject, message: `serves the configured key ${described}` });
    const key = context.privateKeys.get(selector.name);
    if (key !== undefined) {
      findings.push(await signatureFinding(context, config, selector, key, servedKey.fingerprint, ttl));
    }
  }
  return findings;
}

/**
 * A message signed with the private key at hand verifies through the resolver (mailauth). A key
 * whose public half is not the key DNS serves cannot verify: that is said before any signing.
 */
async function signatureFinding(
  context: StackContext,
  config: SenderAuthConfig,
  selector: DkimSelector,
  key: PrivateKeyAtHand,
  servedFingerprint: string,
  ttl: number | undefined,
): Promise<Finding> {
  const subject = `dkim ${selector.name}`;
  const fail = (text: string, hint: string): Finding => ({
    code: "dkim-signature",
    result: "fail",
    subject,
    message: text,
    hint,
  });
  let publicHalf: string | undefined;
  try {
    const derived = publicKeyOf(key.pem);
    const inspection = inspectDkimPublicKey(derived.algorithm, derived.publicKey);
    publicHalf = inspection.ok ? inspection.info.fingerprint : undefined;
  } catch (error) {
    return fail(
      `the key ${key.origin} ${error instanceof Error ? error.message : "is not a private key"}`,
      `give a PEM private key (PKCS#8 or PKCS#1) of selector ${selector.name}`,
    );
  }
  const declared = selector.key?.fingerprint;
  if (publicHalf !== servedFingerprint) {
    const half = publicHalf === undefined ? "an unusable public half" : fingerprintLabel(publicHalf);
    return fail(
      `the key ${key.origin} is not the key of selector ${selector.name}: its public half has ${half}, DNS serves ${fingerprintLabel(servedFingerprint)}`,
      publicHalf !== undefined && publicHalf === declared
        ? `it is the key the config declares: ${deployHint(context.advice, ttl)}`
        : `give the private key of selector ${selector.name}${declared === undefined ? "" : `, whose public half has ${fingerprintLabel(declared)}`}`,
    );
  }
  const raw = message(config.domain, selector.name);
  const signature = { signingDomain: config.domain, selector: selector.name, privateKey: key.pem };
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when a key is at hand */
  const { dkimSign } = require("mailauth/lib/dkim/sign") as typeof DkimSign;
  const { dkimVerify } = require("mailauth/lib/dkim/verify") as typeof DkimVerify;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const signed = await dkimSign(raw, { ...signature, signatureData: [signature], canonicalization: "relaxed/relaxed" });
  const resolver = mailauthResolver(context.resolver, context.queryOptions, context.ask) as DNSResolver;
  const verified = signed.errors.length > 0 ? undefined : await dkimVerify(signed.signatures + raw, { resolver });
  const status = verified?.results[0]?.status;
  return status?.result === "pass"
    ? {
        code: "dkim-signature",
        result: "ok",
        subject,
        message: "a message signed with the private key verifies (mailauth)",
      }
    : fail(
        `a message signed with the private key does not verify: ${status?.result ?? "error"}${status?.comment ? ` (${status.comment})` : ""}`,
        "the key pair matches the served key, yet mailauth does not verify the signature: run the check again; if it persists, report it with this output",
      );
}

// ---------------------------------------------------------------------------------------------------
// DMARC: the served record as mailauth reads it, and the report destinations' authorisation.

/** The served policy as mailauth reads it, and every external report destination's authorisation. */
async function checkDmarc(context: StackContext, config: SenderAuthConfig): Promise<Finding[]> {
  const findings: Finding[] = [];
  const expectedPolicy = config.parked ? "reject" : config.dmarc?.policy;
  if (expectedPolicy === undefined) return findings;
  const { advice } = context;
  const name = dmarcRecordName(config.domain);
  // The stack's own record first: without it, mailauth walks on to the parent domains (RFC 9989
  // §4.10) and reports what it finds or fails to find there, not that this record is missing.
  const own = await servedTxt(context, "dmarc", name);
  if (!own.ok) findings.push(own.finding);
  else if (!own.values.some(isDmarc)) {
    findings.push({
      code: "dmarc-missing",
      result: "fail",
      subject: "dmarc",
      message: `no DMARC record at ${name} (${absence(own.response, own.values, "v=DMARC1")})`,
      hint: missingHint(advice, own.response),
    });
  } else {
    const recorder = recording(context.ask);
    const resolver = mailauthResolver(context.resolver, context.queryOptions, recorder.ask) as DNSResolver;
    const result = await dmarc({
      headerFrom: `postmaster@${config.domain}`,
      spfDomains: [],
      dkimDomains: [],
      resolver,
    });
    const fix = deployHint(advice, ttlOf(own.response));
    const failed = recorder.failures[0];
    if (result !== false && result.status.result === "temperror") {
      findings.push(
        failed === undefined
          ? {
              code: "dns-error",
              result: "fail",
              subject: "dmarc",
              message: `the DMARC evaluation of ${config.domain} hit a DNS error (temperror${result.status.comment ? `: ${result.status.comment}` : ""})`,
              hint: "a DNS failure, not an answer: run the check again",
            }
          : failureFinding(
              "dmarc",
              failed,
              `the DMARC evaluation stopped at a DNS failure: ${questionFailure(failed)}`,
            ),
      );
    } else if (result === false || result.rr === undefined) {
      findings.push({
        code: "dmarc-unparsed",
        result: "fail",
        subject: "dmarc",
        message: `mailauth finds no usable DMARC record for ${config.domain} at ${name}`,
        hint: fix,
      });
    } else if (result.p !== expectedPolicy) {
      findings.push({
        code: "dmarc-policy",
        result: "fail",
        subject: "dmarc",
        message: `DNS serves p=${result.p} (as mailauth reads it), config declares p=${expectedPolicy}`,
        hint: fix,
      });
    } else {
      findings.push({ code: "dmarc-policy", result: "ok", subject: "dmarc", message: `mailauth reads p=${result.p}` });
    }
  }
  findings.push(...(await reportDestinations(context, config)));
  return findings;
}

/** Every external `rua`/`ruf` destination must authorise the domain's reports (RFC 7489 §7.1). */
async function reportDestinations(context: StackContext, config: SenderAuthConfig): Promise<Finding[]> {
  const findings: Finding[] = [];
  const external = (uris: readonly string[]): string[] =>
    uris
      .map((uri) => inspectMailto(uri))
      .flatMap((inspection) =>
        inspection.ok && !isWithinDomain(inspection.host, config.domain) ? [inspection.host] : [],
      );
  const rua = external(config.dmarc?.rua ?? []);
  const ruf = external(config.dmarc?.ruf ?? []);
  for (const host of [...new Set([...rua, ...ruf])]) {
    const names = [reportAuthName(config.domain, host), `*._report._dmarc.${host}`];
    let authorised = false;
    let failed: Finding | undefined;
    for (const name of names) {
      const served = await servedTxt(context, "dmarc", name);
      if (served.ok) authorised = served.values.some(isDmarc);
      else failed ??= served.finding;
      if (authorised) break;
    }
    if (!authorised && failed !== undefined) {
      findings.push(failed);
      continue;
    }
    const keys = [rua.includes(host) ? "rua" : [], ruf.includes(host) ? "ruf" : []].flat().join("/");
    findings.push(
      authorised
        ? {
            code: "dmarc-report-destination",
            result: "ok",
            subject: "dmarc",
            message: `${host} accepts reports for ${config.domain}`,
          }
        : {
            code: "dmarc-report-destination",
            result: "fail",
            subject: "dmarc",
            message: `${host} does not publish ${names[0] ?? ""} TXT "v=DMARC1": receivers send it no reports (RFC 7489 §7.1)`,
            hint:
              `ask the operator of ${host} to publish it (a sender-auth stack for ${host}: ` +
              `add ${config.domain} to its sender-auth:dmarc.authorizeReportsFor), ` +
              `or remove the address from sender-auth:dmarc.${keys}`,
          },
    );
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------
// The stack's check.

/**
 * The zone's authoritative servers: its NS records through the resolver, then their addresses, each
 * to be asked on `port`.
 */
async function authoritativeServers(
  ask: QueryFunction,
  context: CheckContext,
  domain: string,
  port: number,
): Promise<{ servers: DnsServer[]; findings: Finding[] }> {
  const servers: DnsServer[] = [];
  const findings: Finding[] = [];
  const { resolver } = context;
  const failure = (name: string, type: QueryType, failed: DnsFailure | string): Finding =>
    failureFinding(domain, { server: resolver, name, type, failure: failed });
  let ns: DnsResponse;
  try {
    ns = await ask(resolver, domain, "NS", context.queryOptions);
  } catch (error) {
    if (!(error instanceof DnsFailure)) throw error;
    return { servers, findings: [failure(domain, "NS", error)] };
  }
  // NXDOMAIN: there is no such zone, reported below as ns-missing.
  if (ns.rcode !== "NOERROR" && ns.rcode !== "NXDOMAIN") {
    return { servers, findings: [failure(domain, "NS", ns.rcode)] };
  }
  for (const host of ns.records.map((r) => String(r.data))) {
    for (const type of ["A", "AAAA"] as const) {
      try {
        const addresses = await ask(resolver, host, type, context.queryOptions);
        if (addresses.rcode !== "NOERROR" && addresses.rcode !== "NXDOMAIN") {
          findings.push(failure(host, type, addresses.rcode));
        }
        for (const address of addresses.records) servers.push({ host: String(address.data), port });
      } catch (error) {
        if (!(error instanceof DnsFailure)) throw error;
        findings.push(failure(host, type, error));
      }
    }
  }
  if (servers.length === 0 && findings.length === 0) {
    findings.push({
      code: "ns-missing",
      result: "fail",
      subject: domain,
      message: `no authoritative servers found for ${domain}`,
      hint: `is ${domain} delegated? \`dig NS ${domain}\` should list its nameservers`,
    });
  }
  return { servers, findings };
}

/**
 * Every finding for one stack, within its budget (context.limits): a bound that trips ends the
 * stack's check early with a failing `check-limit` finding naming it.
 */
export async function checkStack(
  checkContext: CheckContext,
  config: SenderAuthConfig,
  records: readonly PublishedRecord[],
): Promise<Finding[]> {
  const budget = new StackBudget(checkContext.limits ?? DEFAULT_CHECK_LIMITS, checkContext.dns, checkContext.startedAt);
  try {
    const findings: Finding[] = [];
    let servers: DnsServer[] = [checkContext.resolver];
    if (checkContext.authoritative !== undefined) {
      const found = await authoritativeServers(
        budget.ask,
        checkContext,
        config.domain,
        checkContext.authoritative.port,
      );
      servers = found.servers;
      findings.push(...found.findings);
    }
    const advice: Advice = {
      stack: checkContext.stack,
      authoritative: checkContext.authoritative !== undefined,
      now: (checkContext.now ?? currentTime)(),
    };
    if (servers.length > 0) {
      findings.push(...(await checkServed({ ...checkContext, servers, ask: budget.ask, advice }, config, records)));
    }
    return [...findings, ...budget.findings()];
  } finally {
    budget.close();
  }
}

async function checkServed(
  context: StackContext,
  config: SenderAuthConfig,
  records: readonly PublishedRecord[],
): Promise<Finding[]> {
  const recordFindings = (await Promise.all(records.map((record) => checkRecord(context, config, record)))).flat();
  // Without an answering server the rest would only repeat the same failure.
  if (recordFindings.length > 0 && recordFindings.every((f) => NO_ANSWER.has(f.code))) return recordFindings;
  const hasSpf = records.some((r) => r.purpose === "spf");
  const [spfFindings, dkimFindings, dmarcFindings] = await Promise.all([
    hasSpf ? checkSpf(context, config) : Promise.resolve([]),
    checkDkim(context, config),
    checkDmarc(context, config),
  ]);
  return [...recordFindings, ...spfFindings, ...dkimFindings, ...dmarcFindings];
}
