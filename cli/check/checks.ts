/**
 * The live check of one stack (issue #5): is what DNS serves what the stack declares, and does mail
 * authenticate? Every lookup failure (timeout, SERVFAIL, unreachable server) is a finding, never ok.
 * Bounded (issue #11): each stack's DNS work runs within a StackBudget (deadline, queries, answer
 * octets). Actionable (issue #12): a failing finding names the DNS question behind it and ends with a
 * hint (advice.ts); keys are named by fingerprint; a check that needs a record never reports ok
 * without it.
 *
 * Here: the managed records themselves, as each server serves them. What each record family's
 * records mean to receivers is its section's live check (components/sections/<key>/check.ts, issue
 * 13), run in registry order through the stack's DNS client (CheckContext.dns, within its budget).
 */
import { currentTime } from "../../components/clock";
import type { PublishedRecord, SenderAuthConfig } from "../../components/model";
import { SECTIONS } from "../../components/sections";
import { keyOfRecord } from "../../components/sections/dkim/records";
import type { AnySection } from "../../components/sections/types";
import { deployHint, missingHint, type Advice } from "./advice";
import {
  addressesThrough,
  failureFinding,
  lookup,
  NO_ANSWER,
  serverName,
  ttlOf,
  type CheckContext,
  type Finding,
  type StackContext,
} from "./context";
import {
  DnsFailure,
  txtValues,
  type DnsResponse,
  type DnsServer,
  type QueryFunction,
  type QueryType,
} from "./dnsClient";
import { networkFetch } from "./https";
import { DEFAULT_CHECK_LIMITS, StackBudget } from "./limits";
import { networkSmtpTlsProbe } from "./smtpTls";

export type { CheckContext, Finding, FindingResult, PrivateKeyAtHand } from "./context";

// ---------------------------------------------------------------------------------------------------
// The managed records, as each server serves them.

function purposeLabel(record: PublishedRecord): string {
  return record.purpose === "dkim"
    ? `DKIM ${record.selector ?? ""}`.trim()
    : record.purpose === "dmarc-report-auth"
      ? "DMARC report authorisation"
      : record.purpose.toUpperCase();
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
  sections: readonly AnySection[],
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
    if (record.type === "TXT") {
      for (const section of sections) {
        findings.push(...(section.check?.().beside?.(context, config, record, ownServed, base, at) ?? []));
      }
    }
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
  sections: readonly AnySection[] = SECTIONS,
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
    const resolve = addressesThrough(budget.ask, checkContext.resolver, checkContext.queryOptions);
    const fetch = checkContext.fetch ?? networkFetch({ resolve, port: checkContext.httpsPort, signal: budget.signal });
    const { mxTls } = checkContext;
    const probeMx =
      mxTls === undefined
        ? undefined
        : (checkContext.smtpTlsProbe ?? networkSmtpTlsProbe({ resolve, port: mxTls.port, signal: budget.signal }));
    if (servers.length > 0) {
      const context: StackContext = { ...checkContext, servers, ask: budget.ask, advice, fetch, probeMx };
      findings.push(...(await checkServed(context, config, records, sections)));
    }
    return [...findings, ...budget.findings()];
  } finally {
    budget.close();
  }
}

/**
 * The managed records as each server serves them, then every family's live checks (its section's
 * `check()`), in registry order.
 */
async function checkServed(
  context: StackContext,
  config: SenderAuthConfig,
  records: readonly PublishedRecord[],
  sections: readonly AnySection[],
): Promise<Finding[]> {
  const recordFindings = (
    await Promise.all(records.map((record) => checkRecord(context, config, record, sections)))
  ).flat();
  // Without an answering server the rest would only repeat the same failure.
  if (recordFindings.length > 0 && recordFindings.every((f) => NO_ANSWER.has(f.code))) return recordFindings;
  const families = await Promise.all(
    sections.map((section) => section.check?.().check(context, config, records) ?? Promise.resolve([])),
  );
  return [...recordFindings, ...families.flat()];
}
