/**
 * The TLS-RPT family (RFC 8460): `sender-auth:tlsRpt` publishes `_smtp._tls.<domain>` TXT
 * `v=TLSRPTv1; rua=…`, where sending servers report SMTP TLS sessions to this domain's MX hosts that
 * failed (MTA-STS or DANE policy failures, certificate errors).
 *
 * A parked domain has none: its null MX (RFC 7505 §3) tells senders not to deliver at all, so no TLS
 * session is ever made and no report is ever sent. Having no `parked` records, the key is refused
 * there (components/config.ts), not ignored.
 */
import type { Section } from "../types";
import type * as TlsRptCheck from "./check";
import type * as TlsRptDiff from "./diff";
import { buildTlsRptValue, tlsRptRecordName } from "./records";
import { TLS_RPT_ALLOWED, tlsRptSchema, type TlsRptConfig } from "./schema";

export { tlsRptSchema, type TlsRptConfig } from "./schema";

export const tlsRpt: Section<{ key: "tlsRpt"; schema: typeof tlsRptSchema; model: TlsRptConfig; purpose: "tls-rpt" }> =
  {
    key: "tlsRpt",
    title: "TLS-RPT",
    required: false,
    schema: tlsRptSchema,
    allowed: TLS_RPT_ALLOWED,

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
