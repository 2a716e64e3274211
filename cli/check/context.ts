/**
 * What every family's live checks share (issue 13): the findings `check` reports, the stack's check
 * context, and the lookups every check asks through. Each question goes through the stack's `ask`
 * (its DNS client within its budget, StackBudget), and one that gets no usable answer is a failing
 * finding naming the question, the server and what happened; never ok.
 */
import type { PublishedRecord, SenderAuthConfig } from "../../components/model";
import { dnsFailureHint, extraRecordHint, type Advice } from "./advice";
import {
  DnsFailure,
  txtValues,
  type DnsClient,
  type DnsFailureCode,
  type DnsResponse,
  type DnsServer,
  type QueryFunction,
  type QueryOptions,
  type QueryType,
} from "./dnsClient";
import { HttpsFailure, type HttpsFailureCode, type HttpsFetch } from "./https";
import type { CheckLimits } from "./limits";
import type { SmtpTlsProbe } from "./smtpTls";

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
  /** Port every HTTPS fetch connects to (`check --https-port`, for test setups). @default 443 */
  readonly httpsPort?: number | undefined;
  /**
   * How HTTPS is fetched (a policy, a logo). @default networkFetch, each host's address asked through
   * the stack's DNS client at the resolver, cut short at the stack's deadline
   */
  readonly fetch?: HttpsFetch | undefined;
  /**
   * `check --mx-tls`: connect to each MX host of a domain with an MTA-STS policy (mode `testing` or
   * `enforce`) on `port` and verify its STARTTLS certificate (RFC 8461 §4.1). Off by default: many
   * networks block outbound port 25. @default off
   */
  readonly mxTls?: { readonly port: number } | undefined;
  /**
   * How an MX host is probed when `mxTls` is on. @default networkSmtpTlsProbe, each host's address
   * asked through the stack's DNS client at the resolver, cut short at the stack's deadline
   */
  readonly smtpTlsProbe?: SmtpTlsProbe | undefined;
}

/** One stack's check: its questions are asked once each and within its budget (see StackBudget). */
export interface StackContext extends CheckContext {
  /** Where managed names are compared: the resolver, or every authoritative server. */
  readonly servers: readonly DnsServer[];
  readonly ask: QueryFunction;
  readonly advice: Advice;
  /** The stack's HTTPS fetch (CheckContext.fetch, or the network's within the stack's budget). */
  readonly fetch: HttpsFetch;
  /** The stack's MX STARTTLS probe when `mxTls` is on (CheckContext.smtpTlsProbe, or the network's); else none. */
  readonly probeMx?: SmtpTlsProbe | undefined;
}

/** The finding code of a lookup that got no answer. */
const FAILURE_FINDING: Readonly<Record<DnsFailureCode, string>> = {
  TIMEOUT: "dns-timeout",
  UNREACHABLE: "dns-unreachable",
  BADRESPONSE: "dns-error",
  LIMIT: "check-limit",
};

/** Finding codes of lookups that got no answer at all (nothing was learnt about the record). */
export const NO_ANSWER = new Set(["dns-timeout", "dns-unreachable", "check-limit"]);

export const serverName = (server: DnsServer): string => `${server.host}:${server.port}`;
export const ttlOf = (response: DnsResponse): number | undefined => response.records[0]?.ttl;

// ---------------------------------------------------------------------------------------------------
// Lookups: every question the check asks goes through the stack's `ask`; one that gets no usable
// answer is a failing finding naming the question, the server and what happened.

/** A question that got no usable answer: nothing was learnt, and a hint on finding out why. */
export interface FailedQuestion {
  readonly server: DnsServer;
  readonly name: string;
  readonly type: QueryType;
  /** The client's failure, or the response code the server answered with. */
  readonly failure: DnsFailure | string;
}

/** `TXT name: what happened`. */
export function questionFailure({ server, name, type, failure }: FailedQuestion): string {
  return `${type} ${name}: ${typeof failure === "string" ? `${serverName(server)} answered ${failure}` : failure.message}`;
}

/** A failing finding for a question that got no usable answer. */
export function failureFinding(
  subject: string,
  question: FailedQuestion,
  message = questionFailure(question),
): Finding {
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

export type Lookup =
  { readonly ok: true; readonly response: DnsResponse } | { readonly ok: false; readonly finding: Finding };

/** One question; `recursion` false for an authoritative server. */
export async function lookup(
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

export type ServedTxt =
  | { readonly ok: true; readonly values: readonly string[]; readonly response: DnsResponse }
  | { readonly ok: false; readonly finding: Finding };

/**
 * The TXT values at `name` as receivers see them: through the resolver, CNAMEs followed, each
 * record's character-strings joined. The same question as mailauth's, so it is asked once.
 */
export async function servedTxt(context: StackContext, subject: string, name: string): Promise<ServedTxt> {
  const result = await lookup(context, context.resolver, subject, name, "TXT", true);
  return result.ok ? { ok: true, values: txtValues(result.response), response: result.response } : result;
}

/**
 * Where senders deliver the domain's mail, as they read its MX records through the resolver: its MX
 * hosts (lower-case, no final dot, by preference), `null` for a null MX (RFC 7505: the one record `0 .`), `none` when
 * it publishes no MX record (senders then try the domain's own address, RFC 5321 §5.1).
 */
export type InboundMx =
  | { readonly ok: true; readonly kind: "hosts"; readonly hosts: readonly string[] }
  | { readonly ok: true; readonly kind: "null" | "none" }
  | { readonly ok: false; readonly finding: Finding };

export async function inboundMx(context: StackContext, subject: string, domain: string): Promise<InboundMx> {
  const result = await lookup(context, context.resolver, subject, domain, "MX", true);
  if (!result.ok) return result;
  // In the order senders try them (RFC 5321 §5.1: lowest preference first), ties by name: the same
  // order whichever way the server rotates the record set.
  const exchanges = result.response.records
    .map((record) => {
      const [preference = "", exchange = ""] = String(record.data).split(" ");
      return { preference: Number(preference), host: exchange.replace(/\.$/, "").toLowerCase() };
    })
    .sort((a, b) => a.preference - b.preference || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
    .map((mx) => mx.host);
  if (exchanges.length === 0) return { ok: true, kind: "none" };
  if (exchanges.length === 1 && exchanges[0] === "") return { ok: true, kind: "null" };
  return { ok: true, kind: "hosts", hosts: [...new Set(exchanges)] };
}

/** A family that is about mail the domain receives (MTA-STS, TLS-RPT), for {@link noInboundMxFinding}. */
export interface InboundFamily {
  readonly subject: string;
  /** Finding codes start with it: `<prefix>-null-mx`, `<prefix>-no-mx`. */
  readonly codePrefix: string;
  /** `sender-auth:<key>`, named in hints. */
  readonly key: string;
  /** What the family is for, after "the domain's": `MTA-STS policy protects nothing`. */
  readonly nothingTo: string;
  /** What it needs MX hosts for, with its RFC: `MTA-STS names the MX hosts senders may deliver to (RFC 8461 §4.1)`. */
  readonly needs: string;
}

/**
 * The failing finding of a family about inbound mail declared for a domain that receives none by its
 * DNS: a null MX (RFC 7505), or no MX record at all.
 */
export function noInboundMxFinding(kind: "null" | "none", domain: string, family: InboundFamily): Finding {
  const { subject, codePrefix, key, nothingTo, needs } = family;
  if (kind === "null") {
    return {
      code: `${codePrefix}-null-mx`,
      result: "fail",
      subject,
      message: `${domain} publishes a null MX (RFC 7505): it receives no mail, so ${nothingTo}`,
      hint: `remove sender-auth:${key}, or the null MX if ${domain} does receive mail`,
    };
  }
  return {
    code: `${codePrefix}-no-mx`,
    result: "fail",
    subject,
    message:
      `${domain} publishes no MX record: ${needs}, and a domain that receives mail publishes them; ` +
      `without one, senders try ${domain}'s own address (RFC 5321 §5.1)`,
    hint: `publish MX records for the hosts that receive ${domain}'s mail, or remove sender-auth:${key} if it receives none`,
  };
}

/** Why a name has no record of the kind looked for, for messages: `NXDOMAIN`, `no TXT record`, ... */
export function absence(response: DnsResponse, values: readonly string[], kind: string): string {
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
export function recording(ask: QueryFunction): { readonly ask: QueryFunction; readonly failures: FailedQuestion[] } {
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
// HTTPS: what families publish over the web is fetched through the stack's `fetch`.

/**
 * The addresses of `host` as receivers find them: A, else AAAA, through the resolver and the stack's
 * `ask` (so within its budget, answered in process in tests); none, or a lookup without a usable
 * answer, is an HttpsFailure naming the question.
 */
export function addressesThrough(
  ask: QueryFunction,
  resolver: DnsServer,
  queryOptions: QueryOptions,
): (host: string) => Promise<readonly string[]> {
  return async (host) => {
    for (const type of ["A", "AAAA"] as const) {
      let response: DnsResponse;
      try {
        response = await ask(resolver, host, type, { ...queryOptions, recursion: true });
      } catch (error) {
        if (!(error instanceof DnsFailure)) throw error;
        const message = questionFailure({ server: resolver, name: host, type, failure: error });
        throw new HttpsFailure(error.code === "LIMIT" ? "LIMIT" : "DNS", message);
      }
      if (response.rcode === "NXDOMAIN") throw new HttpsFailure("DNS", `${type} ${host}: NXDOMAIN`);
      if (response.rcode !== "NOERROR") {
        throw new HttpsFailure("DNS", questionFailure({ server: resolver, name: host, type, failure: response.rcode }));
      }
      const addresses = response.records.map((record) => String(record.data));
      if (addresses.length > 0) return addresses;
    }
    throw new HttpsFailure("DNS", `${host} has no A or AAAA record`);
  };
}

/** The finding code of a fetch that got no usable answer. */
const FETCH_FINDING: Readonly<Record<HttpsFailureCode, string>> = {
  DNS: "https-dns",
  CONNECT: "https-unreachable",
  TLS: "https-certificate",
  TIMEOUT: "https-timeout",
  TOO_LARGE: "https-too-large",
  BADRESPONSE: "https-error",
  LIMIT: "check-limit",
};

/** What to do about a fetch of `host` that failed so; `what` names what it serves ("the MTA-STS policy"). */
export function fetchFailureHint(failure: HttpsFailure, host: string, what: string): string {
  switch (failure.code) {
    case "DNS":
      return `${host} must resolve to the web server that serves ${what}: \`dig A ${host}\` should list its address`;
    case "CONNECT":
      return `no web server answered at ${host}:443: serve ${what} there over HTTPS`;
    case "TLS":
      return `the server at ${host} must present a certificate for ${host} (a subjectAltName), unexpired, from a CA the public trusts`;
    case "TIMEOUT":
      return `the server at ${host} did not answer in time: run the check again; if it persists, \`curl -v\` the URL yourself`;
    case "TOO_LARGE":
      return `serve ${what} itself at that URL, not a larger file`;
    case "BADRESPONSE":
      return `the server at ${host} did not answer with a complete HTTP response: \`curl -v\` the URL yourself`;
    case "LIMIT":
      return "unverified: a bound of the check stopped this fetch (see the finding for `check`)";
  }
}

/** A failing finding for a fetch that got no usable answer. */
export function fetchFailureFinding(subject: string, failure: HttpsFailure, host: string, what: string): Finding {
  return {
    code: FETCH_FINDING[failure.code],
    result: "fail",
    subject,
    message: failure.message,
    hint: fetchFailureHint(failure, host, what),
  };
}

/** A record family's part of `check` (its section's `check()`), loaded by `check` only. */
export interface SectionCheck {
  /**
   * The family's live checks of one stack, once its managed records were compared with what DNS
   * serves and some server answered: what receivers and verifiers make of what is served.
   */
  check(context: StackContext, config: SenderAuthConfig, records: readonly PublishedRecord[]): Promise<Finding[]>;
  /**
   * Findings about values served beside one of the family's records at its name, where receivers read
   * only one (a second SPF record); `base` is the finding's subject, TTL and server, `at` names the
   * server in authoritative mode.
   */
  beside?(
    context: StackContext,
    config: SenderAuthConfig,
    record: PublishedRecord,
    served: readonly string[],
    base: Pick<Finding, "subject" | "ttl" | "server">,
    at: string,
  ): Finding[];
}

/** A kind of record receivers read only one of at a name: how to tell it, and what a second one breaks. */
export interface SingleRecordKind {
  readonly purpose: PublishedRecord["purpose"];
  readonly code: string;
  readonly is: (value: string) => boolean;
  /** The record as messages name it: `v=spf1`. */
  readonly kind: string;
  /** What a second one does to mail, with its source. */
  readonly effect: string;
  /** Added to the hint. @default "" */
  readonly also?: string;
}

/** A `beside()` for a family whose records receivers read only one of at a name (SPF, DMARC). */
export function secondRecords(single: SingleRecordKind): NonNullable<SectionCheck["beside"]> {
  return (context, config, record, served, base, at) => {
    const same = served.filter(single.is);
    if (record.purpose !== single.purpose || same.length <= 1) return [];
    const hint = extraRecordHint(context.advice, config.dns.provider, record.name, `${single.kind} record`);
    return [
      {
        ...base,
        code: single.code,
        result: "fail",
        message: `${same.length} ${single.kind} records${at}: ${single.effect}`,
        served: same,
        hint: `${hint}${single.also ?? ""}`,
      },
    ];
  };
}
