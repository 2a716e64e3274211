/**
 * The SPF family (RFC 7208): `sender-auth:spf` publishes one `v=spf1` TXT record at the domain. A
 * parked domain publishes `v=spf1 -all` and a null MX (RFC 7505) instead.
 */
import { isRecord, type DnsRecord, type SenderAuthConfig } from "../../model";
import type { KeyProblem } from "../../problems";
import type { BuiltRecords, Section } from "../types";
import type * as SpfCheck from "./check";
import type * as SpfDiff from "./diff";
import { buildSpfValue, countSpfLookups, NULL_MX, PARKED_SPF, SPF_MAX_LOOKUPS, SPF_UDP_BUDGET } from "./records";
import { SPF_ALLOWED, spfSchema, type SpfConfig } from "./schema";

export { SPF_ALL_VALUES, spfSchema, type SpfAll, type SpfConfig } from "./schema";

/** The SPF record at the domain and, RFC 7208 §3.4, whether the whole TXT answer there fits one UDP packet. */
function spfRecord(config: SenderAuthConfig, value: string, extra: readonly DnsRecord[] = []): BuiltRecords {
  const { domain, dns } = config;
  const record: DnsRecord = {
    id: "spf",
    name: domain,
    type: "TXT",
    ttl: dns.ttl,
    value,
    purpose: "spf",
    path: ["spf"],
  };
  // The answer at the SPF name holds the other apex TXT values (preserveTxt) too.
  const octets = domain.length + value.length + dns.preserveTxt.reduce((sum, token) => sum + token.length, 0);
  const warnings =
    octets > SPF_UDP_BUDGET
      ? [
          `sender-auth:spf: the TXT answer at ${domain} is ${octets} octets (owner name, SPF record and ` +
            `preserveTxt values); over ${SPF_UDP_BUDGET} it may not fit a UDP response and some receivers ` +
            "fail SPF (RFC 7208 §3.4)",
        ]
      : [];
  return { records: [record, ...extra], warnings };
}

/** `all` and `redirect` together, and more DNS lookups than receivers allow, on the raw input. */
function spfProblems(spf: Record<string, unknown>): KeyProblem[] {
  const problems: KeyProblem[] = [];
  if (spf["all"] !== undefined && spf["redirect"] !== undefined) {
    problems.push({
      path: ["spf", "redirect"],
      message:
        "and sender-auth:spf.all are mutually exclusive, and cannot both be set: all ends evaluation, " +
        "so a redirect beside it is ignored (RFC 7208 §6.1)",
      allowed: "",
    });
  }
  const list = (value: unknown): readonly string[] => (Array.isArray(value) ? (value as string[]) : []);
  const lookups = countSpfLookups({
    a: spf["a"] === true,
    mx: spf["mx"] === true,
    include: list(spf["include"]),
    exists: list(spf["exists"]),
    redirect: typeof spf["redirect"] === "string" ? spf["redirect"] : undefined,
  });
  if (lookups > SPF_MAX_LOOKUPS) {
    problems.push({
      path: ["spf"],
      message:
        `needs ${lookups} DNS lookups before counting those inside its includes; RFC 7208 §4.6.4 allows at ` +
        `most ${SPF_MAX_LOOKUPS}, beyond which SPF fails with permerror`,
      allowed: `at most ${SPF_MAX_LOOKUPS} of a, mx, include, exists and redirect together`,
    });
  }
  return problems;
}

export const spf: Section<{ key: "spf"; schema: typeof spfSchema; model: SpfConfig; purpose: "spf" | "mx" }> = {
  key: "spf",
  title: "SPF",
  required: false,
  schema: spfSchema,
  allowed: SPF_ALLOWED,

  problems: (raw) => (isRecord(raw["spf"]) ? spfProblems(raw["spf"]) : []),

  model: (parsed) => ({
    ...parsed,
    // RFC 7208 §4.7: with neither all nor redirect the default result is neutral; be explicit instead.
    all: parsed.redirect === undefined ? (parsed.all ?? "softfail") : undefined,
    redirect: parsed.redirect,
  }),

  warnings({ spf }) {
    if (spf === undefined || spf.include.length === 0) return [];
    return [
      `sender-auth:spf.include: ${countSpfLookups(spf)} of ${SPF_MAX_LOOKUPS} DNS lookups are counted from ` +
        "config, but each include adds the lookups of its own record (RFC 7208 §4.6.4); `sender-auth check` " +
        "counts the real total",
    ];
  },

  records: (config) => (config.spf === undefined ? { records: [] } : spfRecord(config, buildSpfValue(config.spf))),

  parked: (config) =>
    spfRecord(config, PARKED_SPF, [
      {
        id: "mx",
        name: config.domain,
        type: "MX",
        ttl: config.dns.ttl,
        value: NULL_MX,
        purpose: "mx",
        path: ["parked"],
      },
    ]),

  diff() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `diff` only, never by the program
    return (require("./diff") as typeof SpfDiff).spfDiff;
  },

  check() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `check` only, never by the program
    return (require("./check") as typeof SpfCheck).spfCheck;
  },
};
