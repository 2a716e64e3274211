/**
 * MTA-STS's part of `check` (RFC 8461): the id senders find at `_mta-sts.<domain>`, the policy they
 * fetch from https://mta-sts.<domain>/.well-known/mta-sts.txt (200 only, no redirect, text/plain,
 * a certificate for the Policy Host: the stack's HTTPS fetch) compared with the declared one, the
 * domain's MX hosts against its mx patterns (a null MX or none fails), their STARTTLS certificates
 * with `check --mx-tls` (mxTls.ts), and a second v=STSv1 record. Loaded by `check` only.
 */
import { parsePolicy, validateMx } from "mailauth/lib/mta-sts";
import { deployHint } from "../../../cli/check/advice";
import {
  fetchFailureFinding,
  inboundMx,
  noInboundMxFinding,
  secondRecords,
  servedTxt,
  ttlOf,
  type Finding,
  type InboundFamily,
  type SectionCheck,
  type StackContext,
} from "../../../cli/check/context";
import { HttpsFailure, type HttpsResponse } from "../../../cli/check/https";
import type { SenderAuthConfig } from "../../model";
import {
  MAX_POLICY_BYTES,
  mtaStsIdOf,
  mtaStsPolicyOf,
  mtaStsRecordName,
  policyHost,
  policyUrl,
  type MtaStsPolicy,
} from "./records";
import { mxTlsFindings } from "./mxTls";
import type { MtaStsConfig } from "./schema";

/** RFC 8461 §3.1: senders discard TXT records at `_mta-sts` that do not begin with `v=STSv1;`. */
export const isMtaSts = (value: string): boolean => /^v=STSv1[ \t]*;/.test(value);

const SUBJECT = "mta-sts";

/** `pulumi stack output mtaStsPolicy`, for hints. */
function outputCommand(context: StackContext): string {
  const stack = context.stack === undefined ? "" : ` --stack ${context.stack}`;
  return `\`pulumi stack output mtaStsPolicy${stack}\``;
}

const serveHint = (context: StackContext, url: string): string =>
  `serve the declared policy, ${outputCommand(context)}, at ${url} as text/plain with status 200 (README "Hosting the MTA-STS policy")`;

/**
 * The id senders find in DNS against the declared policy's; `announced` when it is the declared id,
 * so that senders fetching the policy now keep it under that id.
 */
async function checkId(
  context: StackContext,
  domain: string,
  id: string,
): Promise<{ readonly findings: Finding[]; readonly announced: boolean }> {
  const name = mtaStsRecordName(domain);
  const served = await servedTxt(context, SUBJECT, name);
  if (!served.ok) return { findings: [served.finding], announced: false };
  const records = served.values.filter(isMtaSts);
  // None or several: the managed record's own findings (missing, different, second record) say so.
  const [record] = records;
  if (record === undefined || records.length > 1) return { findings: [], announced: false };
  const servedId = mtaStsIdOf(record);
  const fix = deployHint(context.advice, ttlOf(served.response));
  if (servedId === id) return { findings: [], announced: true };
  const findings: Finding[] =
    servedId === undefined
      ? [
          {
            code: "mta-sts-record-invalid",
            result: "fail",
            subject: SUBJECT,
            message: `${name} serves a v=STSv1 record without a valid id (RFC 8461 §3.1): senders find no policy`,
            served: [record],
            hint: fix,
          },
        ]
      : [
          {
            code: "mta-sts-id-stale",
            result: "fail",
            subject: SUBJECT,
            message:
              `${name} announces policy id ${servedId}, the declared policy's id is ${id}: senders that cached a policy ` +
              `under ${servedId} keep it and do not fetch the declared one`,
            expected: id,
            served: [servedId],
            hint: fix,
          },
        ];
  return { findings, announced: false };
}

/** How the served policy differs from the declared one, as senders read both; empty when it does not. */
function differences(declared: MtaStsConfig, served: MtaStsPolicy): string[] {
  const out: string[] = [];
  if (served.mode !== declared.mode) out.push(`mode ${served.mode}, not ${declared.mode}`);
  if (served.maxAge !== declared.maxAge) out.push(`max_age ${served.maxAge}, not ${declared.maxAge}`);
  const missing = declared.mx.filter((pattern) => !served.mx.includes(pattern));
  const extra = served.mx.filter((pattern) => !declared.mx.includes(pattern));
  if (missing.length > 0) out.push(`no mx ${missing.join(", ")}`);
  if (extra.length > 0) out.push(`mx ${extra.join(", ")} not declared`);
  return out;
}

/** The served policy as senders read it (a 200, text/plain, RFC 8461 §3.2 syntax), against the declared one. */
function policyFindings(
  context: StackContext,
  declared: MtaStsConfig,
  response: HttpsResponse,
  announced: boolean,
): Finding[] {
  const { url, status } = response;
  const { text } = mtaStsPolicyOf(declared);
  const hint = serveHint(context, url);
  if (status >= 300 && status <= 399) {
    const location = response.headers["location"];
    return [
      {
        code: "mta-sts-policy-redirect",
        result: "fail",
        subject: SUBJECT,
        message:
          `${url} answered ${status}${location === undefined ? "" : ` (to ${location})`}: senders follow no ` +
          "redirect (RFC 8461 §3.3), so they find no policy",
        hint,
      },
    ];
  }
  if (status !== 200) {
    return [
      {
        code: "mta-sts-policy-missing",
        result: "fail",
        subject: SUBJECT,
        message: `${url} answered ${status}: senders take a policy only from a 200 (RFC 8461 §3.3), so they find none`,
        hint,
      },
    ];
  }
  const findings: Finding[] = [];
  const type = response.headers["content-type"];
  if (type === undefined || !/^text\/plain(?:;|$)/i.test(type.trim())) {
    findings.push({
      code: "mta-sts-policy-type",
      result: "fail",
      subject: SUBJECT,
      message:
        `${url} is served as ${type === undefined ? "no media type" : type}, not text/plain: senders that check ` +
        "the media type ignore it (RFC 8461 §3.2)",
      hint,
    });
  }
  const body = response.body.toString("utf8");
  let served: MtaStsPolicy;
  try {
    const parsed = parsePolicy(body, { strict: true });
    served = { mode: parsed.mode, maxAge: parsed.maxAge ?? Number.NaN, mx: parsed.mx ?? [] };
  } catch (error) {
    findings.push({
      code: "mta-sts-policy-invalid",
      result: "fail",
      subject: SUBJECT,
      message: `the policy at ${url} is not valid (${error instanceof Error ? error.message : String(error)}): senders ignore it (RFC 8461 §3.2)`,
      expected: text,
      served: [body],
      hint,
    });
    return findings;
  }
  const different = differences(declared, served);
  if (different.length > 0) {
    const cached = announced
      ? `; senders that fetch it now keep it under the declared id for up to max_age (${served.maxAge} s)`
      : "";
    findings.push({
      code: "mta-sts-policy-different",
      result: "fail",
      subject: SUBJECT,
      message: `the policy at ${url} is not the declared one: ${different.join("; ")}${cached}`,
      expected: text,
      served: [body],
      hint,
    });
  } else if (findings.length === 0) {
    findings.push({
      code: "mta-sts-policy",
      result: "ok",
      subject: SUBJECT,
      message:
        `the policy at ${url} is the declared one (mode ${declared.mode}, ` +
        `${declared.mx.length} mx ${declared.mx.length === 1 ? "pattern" : "patterns"}, max_age ${declared.maxAge} s)`,
    });
  }
  return findings;
}

/** MTA-STS as a family about inbound mail: a domain without MX hosts has nothing for its policy to protect. */
const INBOUND: InboundFamily = {
  subject: SUBJECT,
  codePrefix: "mta-sts",
  key: "mtaSts",
  nothingTo: "its MTA-STS policy protects nothing",
  needs: "MTA-STS names the MX hosts senders may deliver to (RFC 8461 §4.1)",
};

/**
 * The domain's MX hosts against the declared mx patterns (RFC 8461 §4.1): senders deliver only to
 * matching ones. A null MX or none at all fails: the policy is for a domain that receives mail.
 */
async function checkMx(context: StackContext, domain: string, declared: MtaStsConfig): Promise<Finding[]> {
  if (declared.mode === "none") return [];
  const mx = await inboundMx(context, SUBJECT, domain);
  if (!mx.ok) return [mx.finding];
  if (mx.kind !== "hosts") return [noInboundMxFinding(mx.kind, domain, INBOUND)];
  const { hosts } = mx;
  const patterns = declared.mx.join(", ");
  const fixMx = `add their names (or a *.suffix that covers them) to sender-auth:mtaSts.mx, or point the MX records of ${domain} at hosts it lists`;
  const policy = { mode: declared.mode, mx: [...declared.mx] };
  const unmatched = hosts.filter((host) => !validateMx(host, policy).valid);
  // `check --mx-tls`: every MX host, matched or not (in `testing`, senders deliver to both).
  const tls = await mxTlsFindings(context, hosts, declared.mode, context.advice.now);
  if (unmatched.length === 0) {
    return [
      {
        code: "mta-sts-mx",
        result: "ok",
        subject: SUBJECT,
        message: `MX ${hosts.length === 1 ? "host" : "hosts"} ${hosts.join(", ")} match the mx patterns`,
      },
      ...tls,
    ];
  }
  const enforce = declared.mode === "enforce";
  return [
    {
      code: "mta-sts-mx-unmatched",
      result: enforce ? "fail" : "warn",
      subject: SUBJECT,
      message:
        `MX ${unmatched.length === 1 ? "host" : "hosts"} ${unmatched.join(", ")} ${unmatched.length === 1 ? "matches" : "match"} ` +
        `none of the mx patterns (${patterns}): ` +
        (enforce
          ? "senders that apply the policy do not deliver there (RFC 8461 §4.1, §5)"
          : "senders report deliveries there as failures (RFC 8461 §5)"),
      served: unmatched,
      hint: fixMx,
    },
    ...tls,
  ];
}

/** The id in DNS, the policy on the web, the MX hosts against its patterns. */
async function checkMtaSts(context: StackContext, config: SenderAuthConfig): Promise<Finding[]> {
  const declared = config.mtaSts;
  if (declared === undefined) return [];
  const { domain } = config;
  const { id } = mtaStsPolicyOf(declared);
  const url = policyUrl(domain);
  const [ids, fetched, mxFindings] = await Promise.all([
    checkId(context, domain, id),
    context.fetch({ url, maxBytes: MAX_POLICY_BYTES }).then(
      (response) => ({ ok: true as const, response }),
      (error: unknown) => {
        if (!(error instanceof HttpsFailure)) throw error;
        return { ok: false as const, error };
      },
    ),
    checkMx(context, domain, declared),
  ]);
  const policy = fetched.ok
    ? policyFindings(context, declared, fetched.response, ids.announced)
    : [fetchFailureFinding(SUBJECT, fetched.error, policyHost(domain), "the MTA-STS policy")];
  return [...ids.findings, ...policy, ...mxFindings];
}

export const mtaStsCheck: SectionCheck = {
  check: (context, config) => checkMtaSts(context, config),
  beside: secondRecords({
    purpose: "mta-sts",
    code: "mta-sts-multiple",
    is: isMtaSts,
    kind: "v=STSv1",
    effect: "senders find no policy (RFC 8461 §3.1)",
  }),
};
