/**
 * BIMI's part of `check`: the record as a receiver discovers it (mailauth's BIMI lookup, given this
 * domain's DMARC evaluation as for a message that passed it), then the logo fetched over HTTPS and
 * validated as SVG Tiny PS, and the certificate when declared: a VMC or CMC for this domain that
 * chains to a BIMI root and holds the very logo at `l=` (mailauth, @postalsys/vmc). Loaded by `check` only.
 */
import { validateBimiSvg, validateBimiVmc, type DNSResolver } from "mailauth";
import { bimi as bimiLookup } from "mailauth/lib/bimi";
import { dmarc as dmarcEvaluate } from "mailauth/lib/dmarc";
import { deployHint } from "../../../cli/check/advice";
import {
  failureFinding,
  fetchFailureFinding,
  questionFailure,
  recording,
  type Finding,
  type SectionCheck,
  type StackContext,
} from "../../../cli/check/context";
import { mailauthResolver } from "../../../cli/check/dnsClient";
import { HttpsFailure, type HttpsResponse } from "../../../cli/check/https";
import type { SenderAuthConfig } from "../../model";
import { bimiRecordName } from "./records";
import type { BimiConfig } from "./schema";

const SUBJECT = "bimi";
/** Receivers refuse larger logos: the BIMI group's SVG guidance and Gmail cap it at 32 KiB. */
export const MAX_LOGO_BYTES = 32 * 1024;
/** A VMC or CMC bundle (leaf and intermediates) is a few KiB of PEM. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

type Fetched = { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly finding: Finding };

/** One GET of a declared URL; anything but a 200 with a body is a failing finding. */
async function fetchDeclared(context: StackContext, url: string, maxBytes: number, what: string): Promise<Fetched> {
  const host = new URL(url).hostname;
  let response: HttpsResponse;
  try {
    response = await context.fetch({ url, maxBytes });
  } catch (error) {
    if (!(error instanceof HttpsFailure)) throw error;
    return { ok: false, finding: fetchFailureFinding(SUBJECT, error, host, what) };
  }
  if (response.status !== 200) {
    return {
      ok: false,
      finding: {
        code: "bimi-fetch",
        result: "fail",
        subject: SUBJECT,
        message: `${url} answered HTTP ${response.status}${response.headers["location"] === undefined ? "" : ` (to ${response.headers["location"]}, not followed)`}, not ${what}`,
        hint: `serve ${what} at exactly that URL with status 200: receivers follow no redirect of it`,
      },
    };
  }
  return { ok: true, body: response.body };
}

/** The record as a receiver discovers it, for a message from the domain that passed DMARC. */
async function discovery(context: StackContext, config: SenderAuthConfig, bimi: BimiConfig): Promise<Finding[]> {
  const name = bimiRecordName(bimi.selector, config.domain);
  const recorder = recording(context.ask);
  const resolver = mailauthResolver(context.resolver, context.queryOptions, recorder.ask) as DNSResolver;
  const failed = (): Finding[] => {
    const question = recorder.failures[0];
    return question === undefined
      ? []
      : [failureFinding(SUBJECT, question, `the BIMI lookup stopped at a DNS failure: ${questionFailure(question)}`)];
  };
  const evaluated = await dmarcEvaluate({
    headerFrom: `postmaster@${config.domain}`,
    spfDomains: [],
    dkimDomains: [],
    resolver,
  });
  if (evaluated === false || evaluated.rr === undefined) {
    const dnsFailure = failed();
    if (dnsFailure.length > 0) return dnsFailure;
    return [
      {
        code: "bimi-dmarc",
        result: "fail",
        subject: SUBJECT,
        message: `receivers show no logo: ${config.domain} has no DMARC record they can use (BIMI draft §7.1)`,
        hint: "publish sender-auth:dmarc at enforcement (policy quarantine or reject) and run `pulumi up`",
      },
    ];
  }
  const headers =
    bimi.selector === "default"
      ? undefined
      : { parsed: [{ key: "bimi-selector", line: `BIMI-Selector: v=BIMI1; s=${bimi.selector}` }] };
  const result = await bimiLookup({
    dmarc: { ...evaluated, status: { ...evaluated.status, result: "pass" } },
    headers,
    resolver,
  });
  const status = result === false ? "none" : result.status.result;
  const comment = result === false ? undefined : result.status.comment;
  if (status === "temperror" || status === "temperr") {
    const dnsFailure = failed();
    if (dnsFailure.length > 0) return dnsFailure;
  }
  if (result !== false && status === "pass") {
    const served = `l=${result.location ?? ""}${result.authority === undefined ? "" : ` a=${result.authority}`}`;
    const declared = `l=${bimi.logo}${bimi.authority === undefined ? "" : ` a=${bimi.authority}`}`;
    return served === declared
      ? [{ code: "bimi-record", result: "ok", subject: SUBJECT, message: `receivers discover ${name}: ${served}` }]
      : [
          {
            code: "bimi-record",
            result: "fail",
            subject: SUBJECT,
            message: `receivers discover ${served} at ${name}, config declares ${declared}`,
            ...(result.rr === undefined ? {} : { served: [result.rr] }),
            hint: deployHint(context.advice, undefined),
          },
        ];
  }
  const skipped = status === "skipped";
  return [
    {
      code: skipped ? "bimi-dmarc" : "bimi-record",
      result: "fail",
      subject: SUBJECT,
      message: `receivers show no logo for ${config.domain}: mailauth's BIMI lookup says ${status}${comment === undefined ? "" : ` (${comment})`}`,
      hint: skipped
        ? "the DMARC policy served must be at enforcement: policy quarantine or reject, no sp=none, no pct below 100, no t=y; run `sender-auth check` on the DMARC findings"
        : deployHint(context.advice, undefined),
    },
  ];
}

/** What mailauth's SVG Tiny PS validation says of the logo, as findings. */
function logoFindings(url: string, body: Buffer): Finding[] {
  const findings: Finding[] = [];
  try {
    validateBimiSvg(body);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return [
      {
        code: "bimi-logo",
        result: "fail",
        subject: SUBJECT,
        message: `the logo at ${url} is not a valid SVG Tiny PS file: ${(error as Error).message}${typeof code === "string" ? ` (${code})` : ""}`,
        hint: 'export the logo as SVG Tiny Portable/Secure (baseProfile="tiny-ps", a <title>, no x/y on <svg>, no scripts, animation or external references)',
      },
    ];
  }
  findings.push({
    code: "bimi-logo",
    result: "ok",
    subject: SUBJECT,
    message: `the logo at ${url} is SVG Tiny PS (${body.length} octets)`,
  });
  return findings;
}

/** The certificate at `a=`: a VMC or CMC for this domain and selector, holding the logo at `l=`. */
async function certificateFindings(
  context: StackContext,
  config: SenderAuthConfig,
  bimi: BimiConfig,
  authority: string,
  logo: Buffer,
): Promise<Finding[]> {
  const pem = await fetchDeclared(context, authority, MAX_CERTIFICATE_BYTES, "the BIMI certificate (PEM)");
  if (!pem.ok) return [pem.finding];
  const now = context.now?.() ?? new Date();
  const result = await validateBimiVmc(
    {
      status: { result: "pass", header: { selector: bimi.selector, d: config.domain } },
      location: bimi.logo,
      authority,
      locationPath: logo,
      authorityPath: pem.body,
      info: "",
    },
    { now },
  );
  const verdict = result === false ? undefined : result.authority;
  if (verdict?.success === true && verdict.hashMatch === true) {
    const certificate = verdict.vmc as { type?: string; certificate?: { subjectAltName?: string[] } } | undefined;
    return [
      {
        code: "bimi-certificate",
        result: "ok",
        subject: SUBJECT,
        message:
          `the certificate at ${authority} is a ${certificate?.type ?? "mark certificate"} for ` +
          `${(certificate?.certificate?.subjectAltName ?? [config.domain]).join(", ")}, valid on ${now.toISOString().slice(0, 10)}, ` +
          "and holds the logo at l=",
      },
    ];
  }
  const why =
    verdict?.success === true
      ? "the logo it holds is not the logo at l= (their hashes differ); receivers show none"
      : `${verdict?.error?.message ?? "it could not be validated"}${verdict?.error?.code === undefined ? "" : ` (${verdict.error.code})`}`;
  return [
    {
      code: "bimi-certificate",
      result: "fail",
      subject: SUBJECT,
      message: `the certificate at ${authority} does not vouch for this logo: ${why}`,
      hint:
        verdict?.success === true
          ? "serve at l= the SVG the certificate holds, byte for byte"
          : `serve the VMC or CMC issued for ${config.domain} (PEM, leaf first, with its intermediates) at that URL, unexpired`,
    },
  ];
}

async function checkBimi(context: StackContext, config: SenderAuthConfig): Promise<Finding[]> {
  const bimi = config.bimi;
  if (bimi === undefined) return [];
  const [found, logo] = await Promise.all([
    discovery(context, config, bimi),
    fetchDeclared(context, bimi.logo, MAX_LOGO_BYTES, "the BIMI logo"),
  ]);
  if (!logo.ok) return [...found, logo.finding];
  const logoChecked = logoFindings(bimi.logo, logo.body);
  const certificate =
    bimi.authority === undefined || logoChecked[0]?.result !== "ok"
      ? []
      : await certificateFindings(context, config, bimi, bimi.authority, logo.body);
  return [...found, ...logoChecked, ...certificate];
}

export const bimiCheck: SectionCheck = {
  check: (context, config) => checkBimi(context, config),
};
