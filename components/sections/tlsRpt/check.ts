/**
 * TLS-RPT's part of `check` (RFC 8460 §3): the record at `_smtp._tls.<domain>` as a sending server
 * reads it (other TXT values discarded, exactly one left, its `rua` URIs split at `,`), compared with
 * the declared destinations; a second v=TLSRPTv1 record; the domain's MX records, since TLS-RPT is
 * about mail it receives (a null MX or none fails). Loaded by `check` only.
 */
import { deployHint, missingHint } from "../../../cli/check/advice";
import {
  absence,
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
import type { SenderAuthConfig } from "../../model";
import { isTlsRpt, reportUriProblem, ruaOf, tlsRptRecordName } from "./records";

/** TLS-RPT as a family about inbound mail: a domain without MX hosts has no TLS session to report on. */
const INBOUND: InboundFamily = {
  subject: "tls-rpt",
  codePrefix: "tlsrpt",
  key: "tlsRpt",
  nothingTo: "no sending server makes a TLS session to it that TLS-RPT could report on",
  needs: "TLS-RPT reports on the TLS sessions senders make to the domain's MX hosts (RFC 8460 §1)",
};

/** The record as senders read it, and the MX hosts it is about (a null MX or none fails). */
async function checkTlsRpt(context: StackContext, config: SenderAuthConfig): Promise<Finding[]> {
  if (config.tlsRpt === undefined) return [];
  const [record, mx] = await Promise.all([
    checkRecord(context, config.domain, config.tlsRpt.rua),
    inboundMx(context, "tls-rpt", config.domain),
  ]);
  if (!mx.ok) return [...record, mx.finding];
  return mx.kind === "hosts" ? record : [...record, noInboundMxFinding(mx.kind, config.domain, INBOUND)];
}

async function checkRecord(context: StackContext, domain: string, declared: readonly string[]): Promise<Finding[]> {
  const name = tlsRptRecordName(domain);
  const served = await servedTxt(context, "tls-rpt", name);
  if (!served.ok) return [served.finding];
  const records = served.values.filter(isTlsRpt);
  // Two or more: the beside() finding says so; senders assume no TLS-RPT at all (RFC 8460 §3).
  if (records.length > 1) return [];
  const [record] = records;
  if (record === undefined) {
    return [
      {
        code: "tlsrpt-missing",
        result: "fail",
        subject: "tls-rpt",
        message: `no TLS-RPT record at ${name} (${absence(served.response, served.values, "v=TLSRPTv1")}): sending servers report no failed TLS sessions`,
        hint: missingHint(context.advice, served.response),
      },
    ];
  }
  const rua = ruaOf(record) ?? [];
  const bad = rua.filter((uri) => reportUriProblem(uri) !== undefined);
  const same = rua.length === declared.length && rua.every((uri, i) => uri === declared[i]);
  if (rua.length === 0 || bad.length > 0 || !same) {
    const why =
      rua.length === 0
        ? "it has no rua= destination, so senders send reports nowhere"
        : bad.length > 0
          ? `senders cannot send to ${bad.join(", ")} (not a mailto: or https:// URI)`
          : `senders report to ${rua.join(", ")}, config declares ${declared.join(", ")}`;
    return [
      {
        code: "tlsrpt-rua",
        result: "fail",
        subject: "tls-rpt",
        message: `the TLS-RPT record at ${name} is not what the stack declares: ${why}`,
        served: [record],
        hint: deployHint(context.advice, ttlOf(served.response)),
      },
    ];
  }
  return [
    {
      code: "tlsrpt-rua",
      result: "ok",
      subject: "tls-rpt",
      message: `sending servers report failed TLS sessions to ${rua.join(", ")}`,
    },
  ];
}

export const tlsRptCheck: SectionCheck = {
  check: (context, config) => checkTlsRpt(context, config),

  beside: secondRecords({
    purpose: "tls-rpt",
    code: "tlsrpt-multiple",
    is: isTlsRpt,
    kind: "v=TLSRPTv1",
    effect: "senders assume the domain does not implement TLS-RPT and send no reports (RFC 8460 §3)",
  }),
};
