/**
 * The TLS-RPT family (RFC 8460): `sender-auth:tlsRpt` publishes `_smtp._tls.<domain>` TXT
 * `v=TLSRPTv1; rua=…`, where sending servers report SMTP TLS sessions to this domain's MX hosts that
 * failed (MTA-STS or DANE policy failures, certificate errors).
 *
 * A parked domain has none: its null MX (RFC 7505 §3) tells senders not to deliver at all, so no TLS
 * session is ever made and no report is ever sent. Having no `parked` records, the key is refused
 * there (components/config.ts), not ignored.
 */
import { isRecord } from "../../model";
import type { KeyProblem } from "../../problems";
import type { RawStack, Section } from "../types";
import type * as TlsRptCheck from "./check";
import type * as TlsRptDiff from "./diff";
import { buildTlsRptValue, tlsRptRecordName } from "./records";
import { TLS_RPT_ALLOWED, tlsRptSchema, type TlsRptConfig } from "./schema";

export { tlsRptSchema, type TlsRptConfig } from "./schema";

/**
 * A TLS-RPT record without a report destination is invalid: `rua` is its one required field (RFC
 * 8460 §3). Checked on the raw input, so that a missing rua and an empty list are each named as
 * what they are, not shown as the empty list the schema defaults to.
 */
function tlsRptProblems(raw: RawStack): KeyProblem[] {
  const value = raw["tlsRpt"];
  // Not an object: the schema says so. On a parked domain the registry refuses the key (components/config.ts).
  if (!isRecord(value)) return [];
  const { rua } = value;
  const what = rua === undefined ? "is required" : Array.isArray(rua) && rua.length === 0 ? "is empty" : undefined;
  if (what === undefined) return [];
  return [
    {
      path: ["tlsRpt", "rua"],
      message:
        `${what}: it names where sending servers report the TLS sessions to this domain's MX hosts that ` +
        "failed, and a TLS-RPT record without rua is invalid (RFC 8460 §3)",
      allowed: TLS_RPT_ALLOWED["rua"] ?? "",
    },
  ];
}

export const tlsRpt: Section<{ key: "tlsRpt"; schema: typeof tlsRptSchema; model: TlsRptConfig; purpose: "tls-rpt" }> =
  {
    key: "tlsRpt",
    title: "TLS-RPT",
    required: false,
    schema: tlsRptSchema,
    allowed: TLS_RPT_ALLOWED,
    problems: tlsRptProblems,

    fixedNames: (raw, domain) =>
      raw["tlsRpt"] === undefined ? [] : [{ name: tlsRptRecordName(domain), what: "the TLS-RPT record" }],

    model: (parsed) => parsed,

    records: ({ tlsRpt: config, domain, dns }) =>
      config === undefined
        ? { records: [] }
        : {
            records: [
              {
                id: "tls-rpt",
                name: tlsRptRecordName(domain),
                type: "TXT",
                ttl: dns.ttl,
                value: buildTlsRptValue(config),
                purpose: "tls-rpt",
                path: ["tlsRpt"],
              },
            ],
          },

    diff() {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `diff` only, never by the program
      return (require("./diff") as typeof TlsRptDiff).tlsRptDiff;
    },

    check() {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `check` only, never by the program
      return (require("./check") as typeof TlsRptCheck).tlsRptCheck;
    },
  };
