/**
 * DMARC's part of `check` (RFC 7489): the served policy as mailauth reads it, every external report
 * destination's authorisation (RFC 7489 §7.1), and a second v=DMARC1 record. Loaded by `check` only.
 */
import type { DNSResolver } from "mailauth";
import { dmarc } from "mailauth/lib/dmarc";
import { deployHint, missingHint } from "../../../cli/check/advice";
import {
  absence,
  failureFinding,
  questionFailure,
  recording,
  secondRecords,
  servedTxt,
  ttlOf,
  type Finding,
  type SectionCheck,
  type StackContext,
} from "../../../cli/check/context";
import { mailauthResolver } from "../../../cli/check/dnsClient";
import type { SenderAuthConfig } from "../../model";
import { isWithinDomain } from "../../records/names";
import { dmarcRecordName, reportAuthName } from "./records";
import { inspectMailto } from "./reportUri";

export const isDmarc = (value: string): boolean => /^v=DMARC1(?:;|$|\s)/.test(value);

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

export const dmarcCheck: SectionCheck = {
  check: (context, config) => checkDmarc(context, config),

  beside: secondRecords({
    purpose: "dmarc",
    code: "dmarc-multiple",
    is: isDmarc,
    kind: "v=DMARC1",
    effect: "receivers apply no policy (RFC 7489 §6.6.3)",
  }),
};
