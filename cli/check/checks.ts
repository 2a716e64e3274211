/**
 * The live check of one stack (issue #5): is what DNS serves what the stack declares, and does mail
 * authenticate? Every lookup failure (timeout, SERVFAIL, unreachable server) is a finding, never ok.
 * Bounded (issue #11): each stack's DNS work runs within a StackBudget (deadline, queries, answer
 * octets), and the SPF include walk within SPF_CHECK_LIMITS.
 */
// mailauth's per-feature modules (its README's require paths), not its index, which also loads ARC,
// BIMI and SVG validation (~0.1 s of start-up, issue #6); signing and verifying load on first use.
import type { DNSResolver } from "mailauth";
import type * as DkimSign from "mailauth/lib/dkim/sign";
import type * as DkimVerify from "mailauth/lib/dkim/verify";
import { dmarc } from "mailauth/lib/dmarc";
import { spf } from "mailauth/lib/spf";
import type { PublishedRecord, SenderAuthConfig } from "../../components/model";
import { dkimRecordName, inspectDkimPublicKey, parseTagList } from "../../components/records/dkim";
import { inspectMailto, reportAuthName } from "../../components/records/dmarc";
import { isWithinDomain } from "../../components/records/names";
import { SPF_MAX_LOOKUPS, SPF_UDP_BUDGET } from "../../components/records/spf";
import {
  DnsFailure,
  FAILURE_ERRNO,
  mailauthResolver,
  type DnsFailureCode,
  type DnsResponse,
  type DnsServer,
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
  readonly expected?: string;
  readonly served?: readonly string[];
  /** Served TTL in seconds, where an answer came back. */
  readonly ttl?: number;
  /** The server that gave this answer (authoritative mode checks every one). */
  readonly server?: string;
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
  readonly privateKeys: ReadonlyMap<string, string>;
  /** @default DEFAULT_CHECK_LIMITS */
  readonly limits?: CheckLimits | undefined;
  /** When the stack's deadline (limits.stackTimeoutMs) started, in ms since the epoch. @default now */
  readonly startedAt?: number | undefined;
  /** The DNS client the stack's budget sends its queries through. @default query (dnsClient) */
  readonly query?: QueryFunction | undefined;
}

/** One stack's check: its questions are asked once each and within its budget (see StackBudget). */
interface StackContext extends CheckContext {
  /** Where managed names are compared: the resolver, or every authoritative server. */
  readonly servers: readonly DnsServer[];
  readonly ask: QueryFunction;
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
const joined = (response: DnsResponse): string[] =>
  response.records.map((r) => (Array.isArray(r.data) ? r.data.join("") : String(r.data)));
const ttlOf = (response: DnsResponse): number | undefined => response.records[0]?.ttl;
const expiry = (ttl: number | undefined): string =>
  ttl === undefined ? "" : `; caches may hold the old answer for up to ${ttl} s`;

type Lookup = { readonly ok: true; readonly response: DnsResponse } | { readonly ok: false; readonly finding: Finding };

async function lookup(
  context: StackContext,
  server: DnsServer,
  subject: string,
  name: string,
  type: QueryType,
): Promise<Lookup> {
  try {
    const response = await context.ask(server, name, type, {
      ...context.queryOptions,
      recursion: !context.authoritative,
    });
    if (response.rcode !== "NOERROR" && response.rcode !== "NXDOMAIN") {
      return {
        ok: false,
        finding: {
          code: "dns-error",
          result: "fail",
          subject,
          message: `${type} ${name}: ${serverName(server)} answered ${response.rcode}`,
          server: serverName(server),
        },
      };
    }
    return { ok: true, response };
  } catch (error) {
    if (!(error instanceof DnsFailure)) throw error;
    return {
      ok: false,
      finding: {
        code: FAILURE_FINDING[error.code],
        result: "fail",
        subject,
        message: `${type} ${name}: ${error.message}`,
        server: serverName(server),
      },
    };
  }
}

function purposeLabel(record: PublishedRecord): string {
  return record.purpose === "dkim"
    ? `DKIM ${record.selector ?? ""}`.trim()
    : record.purpose === "dmarc-report-auth"
      ? "DMARC report authorisation"
      : record.purpose.toUpperCase();
}

/** Compares what each server serves at a managed name with what the stack declares. */
async function checkRecord(context: StackContext, record: PublishedRecord): Promise<Finding[]> {
  const findings: Finding[] = [];
  const label = purposeLabel(record);
  for (const server of context.servers) {
    const at = context.authoritative ? ` at ${serverName(server)}` : "";
    const result = await lookup(context, server, record.name, record.name, record.type);
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
    if (record.type === "CNAME") {
      const served = response.answers
        .filter((a) => a.type === "CNAME" && a.name === record.name)
        .map((a) => String(a.data).replace(/\.$/, "").toLowerCase());
      if (served.length === 0) {
        findings.push({
          ...base,
          code: "record-missing",
          result: "fail",
          message: `${label}: no CNAME${at}`,
          expected: record.value,
        });
      } else if (served[0] !== record.value) {
        findings.push({
          ...base,
          code: "record-different",
          result: "fail",
          message: `${label}: CNAME points elsewhere${at}${expiry(ttl)}`,
          expected: record.value,
          served,
        });
      } else {
        findings.push({ ...base, code: "record-ok", result: "ok", message: `${label}: CNAME ${record.value}${at}` });
      }
      continue;
    }
    const served = record.type === "TXT" ? joined(response) : response.records.map((r) => String(r.data));
    // Only answers owned by this name count; a CNAME there instead is reported as different.
    const ownServed = response.records.every((r) => r.name === record.name) ? served : [];
    const alias = response.answers.find((a) => a.type === "CNAME" && a.name === record.name);
    if (alias !== undefined) {
      findings.push({
        ...base,
        ...(alias.ttl > 0 ? { ttl: alias.ttl } : {}),
        code: "record-different",
        result: "fail",
        message: `${label}: a CNAME is served instead of the ${record.type} record${at}${expiry(alias.ttl)}`,
        expected: record.value,
        served: [`CNAME ${String(alias.data)}`],
      });
      continue;
    }
    const found = ownServed.includes(record.value);
    if (record.type === "TXT") {
      if (record.purpose === "spf") {
        const spfRecords = ownServed.filter((v) => /^v=spf1(?: |$)/i.test(v));
        if (spfRecords.length > 1) {
          findings.push({
            ...base,
            code: "spf-multiple",
            result: "fail",
            message: `${spfRecords.length} v=spf1 records${at}: SPF fails with permerror (RFC 7208 §3.2)`,
            served: spfRecords,
          });
        }
      }
      if (record.purpose === "dmarc") {
        const dmarcRecords = ownServed.filter((v) => /^v=DMARC1(?:;|$|\s)/.test(v));
        if (dmarcRecords.length > 1) {
          findings.push({
            ...base,
            code: "dmarc-multiple",
            result: "fail",
            message: `${dmarcRecords.length} v=DMARC1 records${at}: receivers apply no policy (RFC 7489 §6.6.3)`,
            served: dmarcRecords,
          });
        }
      }
      if (record.purpose === "dkim" && ownServed.length > 1) {
        findings.push({
          ...base,
          code: "dkim-multiple",
          result: "fail",
          message: `${ownServed.length} TXT records at a selector${at}: verifiers may read either (RFC 6376 §3.6.2.2)`,
          served: ownServed,
        });
      }
    }
    if (found) findings.push({ ...base, code: "record-ok", result: "ok", message: `${label}${at}` });
    else if (ownServed.length === 0) {
      findings.push({
        ...base,
        code: "record-missing",
        result: "fail",
        message: `${label}: not served${at} (${response.rcode === "NXDOMAIN" ? "NXDOMAIN" : "no such record"})`,
        expected: record.value,
      });
    } else {
      findings.push({
        ...base,
        code: "record-different",
        result: "fail",
        message: `${label}: served differs${at}${expiry(ttl)}`,
        expected: record.value,
        served: ownServed,
      });
    }
  }
  return findings;
}

/** Whether a mailauth-resolver error means "no such record" rather than a failed lookup. */
function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOTFOUND" || code === "ENODATA";
}

/** A failed lookup through the mailauth resolver, as a finding. */
function lookupFailure(subject: string, name: string, error: unknown): Finding {
  const code = (error as NodeJS.ErrnoException).code ?? "error";
  // No answer at all: the DnsFailure's own message says why; otherwise the response code.
  const failure = (Object.keys(FAILURE_ERRNO) as DnsFailureCode[]).find((key) => FAILURE_ERRNO[key] === code);
  return {
    code: failure === undefined ? "dns-error" : FAILURE_FINDING[failure],
    result: "fail",
    subject,
    message:
      failure === undefined
        ? `TXT ${name}: lookup failed (${code.replace(/^E/, "")})`
        : `TXT ${name}: ${(error as Error).message}`,
  };
}

/** mailauth's SPF evaluation from an unlisted address, so every term is walked and counted. */
async function checkSpf(domain: string, resolver: DNSResolver): Promise<Finding[]> {
  const findings: Finding[] = [];
  const result = await spf({
    sender: `postmaster@${domain}`,
    ip: UNLISTED_IP,
    helo: domain,
    mta: "sender-auth-check",
    resolver,
    maxResolveCount: SPF_CHECK_LIMITS.lookups,
    maxVoidCount: SPF_CHECK_LIMITS.voidLookups,
  });
  const lookups = result.lookups;
  if (result.status.result === "temperror") {
    findings.push({
      code: "spf-temperror",
      result: "fail",
      subject: "spf",
      message: `SPF evaluation hit a DNS error: ${result.info}`,
    });
    return findings;
  }
  if (result.status.result === "permerror" && !(lookups && (lookups.count > SPF_MAX_LOOKUPS || lookups.void > 2))) {
    findings.push({ code: "spf-permerror", result: "fail", subject: "spf", message: `SPF permerror: ${result.info}` });
  }
  // A permerror before any term was evaluated (e.g. two SPF records) has nothing to count.
  if (lookups && !(result.status.result === "permerror" && lookups.count === 0 && lookups.void === 0)) {
    // Past the check's own limit mailauth stops evaluating: the count is then a lower bound.
    const counted = (count: number, limit: number, receiverLimit: number, what: string): string =>
      count > limit
        ? `more than ${limit} ${what} of ${receiverLimit} (RFC 7208 §4.6.4): receivers return permerror; the check stops counting at ${limit}`
        : `${count} ${what} of ${receiverLimit} (RFC 7208 §4.6.4)${count > receiverLimit ? ": receivers return permerror" : ""}`;
    findings.push({
      code: "spf-lookups",
      result: lookups.count > SPF_MAX_LOOKUPS ? "fail" : "ok",
      subject: "spf",
      message: counted(lookups.count, SPF_CHECK_LIMITS.lookups, SPF_MAX_LOOKUPS, "DNS lookups"),
    });
    findings.push({
      code: "spf-void-lookups",
      result: lookups.void > 2 ? "fail" : "ok",
      subject: "spf",
      message: counted(lookups.void, SPF_CHECK_LIMITS.voidLookups, 2, "void lookups"),
    });
  }
  findings.push(...(await includesWithoutSpf(domain, resolver)));
  return findings;
}

/**
 * Includes and redirects whose target publishes no SPF record (RFC 7208 §5.2: permerror), walked
 * depth-first within SPF_CHECK_LIMITS: a walk past them is a failing `spf-walk-limit` finding.
 */
async function includesWithoutSpf(domain: string, resolver: DNSResolver): Promise<Finding[]> {
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
    });
  };
  /** The SPF record of `name`; undefined when it has none; null when the lookup failed (reported). */
  const spfOf = async (name: string): Promise<string | undefined | null> => {
    try {
      const answers = (await resolver(name, "TXT")) as string[][];
      return answers.map((chunks) => chunks.join("")).find((v) => /^v=spf1(?: |$)/i.test(v));
    } catch (error) {
      if (isAbsent(error)) return undefined;
      findings.push(lookupFailure("spf", name, error));
      return null;
    }
  };
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
        });
      } else {
        await walk(target, targetRecord, depth + 1);
      }
    }
  };
  const root = await spfOf(domain);
  if (typeof root === "string") await walk(domain, root, 0);
  return findings;
}

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

/** Keys, revocations and CNAME targets as verifiers see them, and a real signature per key at hand. */
async function checkDkim(context: CheckContext, config: SenderAuthConfig, resolver: DNSResolver): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const selector of config.dkim?.selectors ?? []) {
    const name = dkimRecordName(selector.name, config.domain);
    const subject = `dkim ${selector.name}`;
    let served: string[];
    try {
      served = ((await resolver(name, "TXT")) as string[][]).map((chunks) => chunks.join(""));
    } catch (error) {
      findings.push(
        isAbsent(error)
          ? { code: "dkim-missing", result: "fail", subject, message: `${name}: no key record` }
          : lookupFailure(subject, name, error),
      );
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
              message: "is revoked but DNS still serves a key: signatures with it still verify",
              served,
            },
      );
      continue;
    }
    if (tags === undefined || p === undefined || p === "") {
      findings.push({
        code: "dkim-bad-record",
        result: "fail",
        subject,
        message: `${name} serves no usable key`,
        served,
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
      });
      continue;
    }
    const described = algorithm === "rsa" ? `RSA ${inspection.info.bits}` : "Ed25519";
    if (selector.cname !== undefined) {
      findings.push({
        code: "dkim-ok",
        result: "ok",
        subject,
        message: `served through ${selector.cname}: ${described}`,
      });
    } else if (p !== selector.publicKey || algorithm !== selector.algorithm) {
      findings.push({
        code: "dkim-wrong-key",
        result: "fail",
        subject,
        message: `${name} serves a different key than configured (${described})`,
        expected: selector.publicKey ?? "",
        served,
      });
    } else findings.push({ code: "dkim-ok", result: "ok", subject, message: `serves the configured ${described} key` });
    const privateKey = context.privateKeys.get(selector.name);
    if (privateKey !== undefined) {
      const raw = message(config.domain, selector.name);
      const signature = { signingDomain: config.domain, selector: selector.name, privateKey };
      /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when a key is at hand */
      const { dkimSign } = require("mailauth/lib/dkim/sign") as typeof DkimSign;
      const { dkimVerify } = require("mailauth/lib/dkim/verify") as typeof DkimVerify;
      /* eslint-enable @typescript-eslint/no-require-imports */
      const signed = await dkimSign(raw, {
        ...signature,
        signatureData: [signature],
        canonicalization: "relaxed/relaxed",
      });
      const verified = signed.errors.length > 0 ? undefined : await dkimVerify(signed.signatures + raw, { resolver });
      const status = verified?.results[0]?.status.result ?? "error";
      findings.push(
        status === "pass"
          ? {
              code: "dkim-signature",
              result: "ok",
              subject,
              message: "a message signed with the private key verifies (mailauth)",
            }
          : {
              code: "dkim-signature",
              result: "fail",
              subject,
              message: `a message signed with the private key does not verify: ${status}${verified?.results[0]?.status.comment ? ` (${verified.results[0].status.comment})` : ""}`,
            },
      );
    }
  }
  return findings;
}

/** The served policy as mailauth reads it, and every external report destination's authorisation. */
async function checkDmarc(config: SenderAuthConfig, resolver: DNSResolver): Promise<Finding[]> {
  const findings: Finding[] = [];
  const expectedPolicy = config.parked ? "reject" : config.dmarc?.policy;
  if (expectedPolicy === undefined) return findings;
  const result = await dmarc({ headerFrom: `postmaster@${config.domain}`, spfDomains: [], dkimDomains: [], resolver });
  if (result !== false && result.status.result === "temperror") {
    findings.push({
      code: "dns-error",
      result: "fail",
      subject: "dmarc",
      message: `the DMARC lookup for ${config.domain} failed (temperror${result.status.comment ? `: ${result.status.comment}` : ""}; e.g. SERVFAIL or a timeout)`,
    });
  } else if (result === false || result.rr === undefined) {
    findings.push({
      code: "dmarc-unparsed",
      result: "fail",
      subject: "dmarc",
      message: `mailauth finds no usable DMARC record for ${config.domain}`,
    });
  } else if (result.p !== expectedPolicy) {
    findings.push({
      code: "dmarc-policy",
      result: "fail",
      subject: "dmarc",
      message: `served policy p=${result.p}, configured ${expectedPolicy}`,
    });
  } else {
    findings.push({ code: "dmarc-policy", result: "ok", subject: "dmarc", message: `mailauth reads p=${result.p}` });
  }
  const destinations = [...(config.dmarc?.rua ?? []), ...(config.dmarc?.ruf ?? [])]
    .map((uri) => inspectMailto(uri))
    .flatMap((inspection) =>
      inspection.ok && !isWithinDomain(inspection.host, config.domain) ? [inspection.host] : [],
    );
  for (const host of [...new Set(destinations)]) {
    const names = [reportAuthName(config.domain, host), `*._report._dmarc.${host}`];
    let authorised = false;
    let failed: Finding | undefined;
    for (const name of names) {
      try {
        const answers = (await resolver(name, "TXT")) as string[][];
        if (answers.some((chunks) => /^v=DMARC1(?:;|$|\s)/.test(chunks.join("")))) authorised = true;
      } catch (error) {
        if (!isAbsent(error)) failed ??= lookupFailure("dmarc", name, error);
      }
      if (authorised) break;
    }
    if (!authorised && failed !== undefined) {
      findings.push(failed);
      continue;
    }
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
          },
    );
  }
  return findings;
}

/** The apex TXT answer size against RFC 7208 §3.4's 450 octets. */
async function checkApexSize(context: StackContext, domain: string): Promise<Finding[]> {
  const result = await lookup(context, context.resolver, domain, domain, "TXT");
  if (!result.ok) return [];
  const octets = domain.length + joined(result.response).reduce((sum, value) => sum + value.length, 0);
  return [
    {
      code: "spf-size",
      result: octets > SPF_UDP_BUDGET ? "warn" : "ok",
      subject: "spf",
      message: `the TXT answer at ${domain} is ${octets} octets${octets > SPF_UDP_BUDGET ? `, over ${SPF_UDP_BUDGET}: it may not fit a UDP response (RFC 7208 §3.4)` : ` (under ${SPF_UDP_BUDGET})`}`,
    },
  ];
}

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
  const failure = (what: string, error: DnsFailure): Finding => ({
    code: FAILURE_FINDING[error.code],
    result: "fail",
    subject: domain,
    message: `${what}: ${error.message}`,
  });
  const answered = (what: string, rcode: string): Finding => ({
    code: "dns-error",
    result: "fail",
    subject: domain,
    message: `${what}: ${serverName(resolver)} answered ${rcode}`,
  });
  let ns: DnsResponse;
  try {
    ns = await ask(resolver, domain, "NS", context.queryOptions);
  } catch (error) {
    if (!(error instanceof DnsFailure)) throw error;
    return { servers, findings: [failure(`NS ${domain}`, error)] };
  }
  // NXDOMAIN: there is no such zone, reported below as ns-missing.
  if (ns.rcode !== "NOERROR" && ns.rcode !== "NXDOMAIN") {
    return { servers, findings: [answered(`NS ${domain}`, ns.rcode)] };
  }
  for (const host of ns.records.map((r) => String(r.data))) {
    for (const type of ["A", "AAAA"] as const) {
      try {
        const addresses = await ask(resolver, host, type, context.queryOptions);
        if (addresses.rcode !== "NOERROR" && addresses.rcode !== "NXDOMAIN") {
          findings.push(answered(`${type} ${host}`, addresses.rcode));
        }
        for (const address of addresses.records) servers.push({ host: String(address.data), port });
      } catch (error) {
        if (!(error instanceof DnsFailure)) throw error;
        findings.push(failure(`${type} ${host}`, error));
      }
    }
  }
  if (servers.length === 0 && findings.length === 0) {
    findings.push({
      code: "ns-missing",
      result: "fail",
      subject: domain,
      message: `no authoritative servers found for ${domain}`,
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
  const budget = new StackBudget(
    checkContext.limits ?? DEFAULT_CHECK_LIMITS,
    checkContext.query,
    checkContext.startedAt,
  );
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
    if (servers.length > 0) {
      findings.push(...(await checkServed({ ...checkContext, servers, ask: budget.ask }, config, records)));
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
  const resolver = mailauthResolver(context.resolver, context.queryOptions, context.ask) as DNSResolver;
  const recordFindings = (await Promise.all(records.map((record) => checkRecord(context, record)))).flat();
  // Without an answering server the rest would only repeat the same failure.
  if (recordFindings.length > 0 && recordFindings.every((f) => NO_ANSWER.has(f.code))) return recordFindings;
  const hasSpf = records.some((r) => r.purpose === "spf");
  const [spfFindings, sizeFindings, dkimFindings, dmarcFindings] = await Promise.all([
    hasSpf ? checkSpf(config.domain, resolver) : Promise.resolve([]),
    hasSpf ? checkApexSize(context, config.domain) : Promise.resolve([]),
    checkDkim(context, config, resolver),
    checkDmarc(config, resolver),
  ]);
  return [...recordFindings, ...spfFindings, ...sizeFindings, ...dkimFindings, ...dmarcFindings];
}
