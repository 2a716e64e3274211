/**
 * The DMARC family (RFC 7489, RFC 9989): `sender-auth:dmarc` publishes the policy record at
 * `_dmarc.<domain>` and the records that authorise other domains' reports to this one (RFC 7489 §7.1).
 * A parked domain publishes `p=reject` for itself and every subdomain.
 */
import { keyPath } from "../../keyPath";
import { isRecord, type DnsRecord } from "../../model";
import type { KeyProblem } from "../../problems";
import { isWithinDomain, lengthBudget, MAX_NAME_LENGTH, nameLengthProblem, SHORTEST_DOMAIN } from "../../records/names";
import { domainCheck } from "../fields";
import type { RawStack, Section } from "../types";
import type * as DmarcCheck from "./check";
import type * as DmarcDiff from "./diff";
import { buildDmarcValue, dmarcRecordName, PARKED_DMARC, REPORT_AUTH_VALUE, reportAuthName } from "./records";
import { inspectMailto } from "./reportUri";
import { DMARC_ALLOWED, dmarcSchema, type DmarcConfig } from "./schema";

export {
  DMARC_ALIGNMENTS,
  DMARC_FAILURE_OPTIONS,
  DMARC_POLICIES,
  dmarcSchema,
  type DmarcAlignment,
  type DmarcConfig,
  type DmarcFailureOption,
  type DmarcPolicy,
} from "./schema";

/** `authorizeReportsFor` naming the stack's own domain: reports to oneself need no authorisation. */
function ownDomainProblems(dmarc: Record<string, unknown>, domain: unknown): KeyProblem[] {
  const list = dmarc["authorizeReportsFor"];
  if (typeof domain !== "string" || !Array.isArray(list)) return [];
  return list.flatMap((entry: unknown, index: number): KeyProblem[] =>
    entry === domain
      ? [
          {
            path: ["dmarc", "authorizeReportsFor", index],
            message: `is this stack's own domain; reports from ${domain} to ${domain} need no authorisation`,
            value: entry,
            allowed: "other domains whose reports this domain receives",
          },
        ]
      : [],
  );
}

/** Authorisation names (RFC 7489 §7.1): those this stack publishes, and those its destinations must. */
function reportNameProblems(raw: RawStack, domain: string): KeyProblem[] {
  const dmarc = raw["dmarc"];
  if (!isRecord(dmarc)) return [];
  const problems: KeyProblem[] = [];
  const strings = (key: string): [number, string][] => {
    const list = dmarc[key];
    return Array.isArray(list)
      ? list.flatMap((value: unknown, index): [number, string][] => (typeof value === "string" ? [[index, value]] : []))
      : [];
  };
  for (const [index, authorized] of strings("authorizeReportsFor")) {
    if (domainCheck(authorized) !== undefined) continue;
    const name = reportAuthName(authorized, domain);
    const length = nameLengthProblem(name);
    if (length === undefined) continue;
    const room = lengthBudget(name, authorized);
    problems.push({
      path: ["dmarc", "authorizeReportsFor", index],
      message: `makes the authorisation record name ${name} ${length}`,
      value: authorized,
      allowed:
        room >= SHORTEST_DOMAIN
          ? `a domain of at most ${room} characters with this domain`
          : `none with this domain: sender-auth:domain itself leaves no room for another domain in ${MAX_NAME_LENGTH} characters`,
    });
  }
  for (const tag of ["rua", "ruf"]) {
    for (const [index, uri] of strings(tag)) {
      const inspection = inspectMailto(uri);
      if (!inspection.ok || isWithinDomain(inspection.host, domain)) continue;
      const name = reportAuthName(domain, inspection.host);
      const length = nameLengthProblem(name);
      if (length === undefined) continue;
      problems.push({
        path: ["dmarc", tag, index],
        message:
          "can never receive this domain's reports: receivers send them only after finding the authorisation " +
          `record ${name} (RFC 7489 §7.1), and that name is ${length}`,
        value: uri,
        allowed: `a destination within this domain, or one whose authorisation record name fits in ${MAX_NAME_LENGTH} characters`,
      });
    }
  }
  return problems;
}

function dmarcWarnings(dmarc: DmarcConfig, domain: string): string[] {
  const warnings: string[] = [];
  if (dmarc.percent !== undefined) {
    warnings.push(
      "sender-auth:dmarc.percent: pct= comes from RFC 7489 and was removed by RFC 9989, whose receivers ignore " +
        "it; to stage enforcement use testing: true (t=y) instead",
    );
  }
  if (dmarc.testing && dmarc.policy === "none") {
    warnings.push(
      "sender-auth:dmarc.testing: t=y has no effect with policy none; it only softens quarantine and reject",
    );
  }
  if (dmarc.policy === "none" && dmarc.rua.length === 0) {
    warnings.push(
      "sender-auth:dmarc.rua: policy none with no rua: monitoring mode without aggregate reports tells nobody anything",
    );
  }
  if (dmarc.failureOptions.length > 0 && dmarc.ruf.length === 0) {
    warnings.push("sender-auth:dmarc.failureOptions: fo= only applies to failure reports, and no ruf is set");
  }
  for (const tag of ["rua", "ruf"] as const) {
    dmarc[tag].forEach((uri, index) => {
      const inspection = inspectMailto(uri);
      if (!inspection.ok) return;
      if (inspection.sizeLimit !== undefined) {
        warnings.push(
          `${keyPath(["dmarc", tag, index])}: the !${inspection.sizeLimit} size limit is obsolete under RFC 9989 ` +
            "and ignored by its receivers",
        );
      }
      if (!isWithinDomain(inspection.host, domain)) {
        warnings.push(
          `${keyPath(["dmarc", tag, index])}: ${uri} is outside ${domain}: receivers send reports there only if ` +
            `${inspection.host} publishes TXT "v=DMARC1" at ${reportAuthName(domain, inspection.host)} (RFC 7489 §7.1)`,
        );
      }
    });
  }
  return warnings;
}

const txt = (id: string, name: string, ttl: number, value: string, purpose: "dmarc" | "dmarc-report-auth") =>
  ({ id, name, type: "TXT", ttl, value, purpose }) as const;

export const dmarc: Section<{
  key: "dmarc";
  schema: typeof dmarcSchema;
  model: DmarcConfig;
  purpose: "dmarc" | "dmarc-report-auth";
}> = {
  key: "dmarc",
  title: "DMARC",
  required: false,
  schema: dmarcSchema,
  allowed: DMARC_ALLOWED,

  problems: (raw) => (isRecord(raw["dmarc"]) ? ownDomainProblems(raw["dmarc"], raw["domain"]) : []),
  fixedNames: (raw, domain) =>
    raw["parked"] === true || raw["dmarc"] !== undefined
      ? [{ name: dmarcRecordName(domain), what: "the DMARC record" }]
      : [],
  nameProblems: reportNameProblems,

  model: (parsed) => ({
    ...parsed,
    subdomainPolicy: parsed.subdomainPolicy,
    nonexistentSubdomainPolicy: parsed.nonexistentSubdomainPolicy,
    percent: parsed.percent,
    alignmentSPF: parsed.alignmentSPF,
    alignmentDKIM: parsed.alignmentDKIM,
  }),

  warnings: ({ dmarc, domain }) => (dmarc === undefined ? [] : dmarcWarnings(dmarc, domain)),

  records({ dmarc, domain, dns }) {
    if (dmarc === undefined) return { records: [] };
    const records: DnsRecord[] = [
      { ...txt("dmarc", dmarcRecordName(domain), dns.ttl, buildDmarcValue(dmarc), "dmarc"), path: ["dmarc"] },
      ...dmarc.authorizeReportsFor.map((authorized) => ({
        ...txt(
          `dmarc-report-${authorized}`,
          reportAuthName(authorized, domain),
          dns.ttl,
          REPORT_AUTH_VALUE,
          "dmarc-report-auth",
        ),
        path: ["dmarc", "authorizeReportsFor"],
      })),
    ];
    return { records };
  },

  parked: ({ domain, dns }) => ({
    records: [{ ...txt("dmarc", dmarcRecordName(domain), dns.ttl, PARKED_DMARC, "dmarc"), path: ["dmarc"] }],
  }),

  diff() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `diff` only, never by the program
    return (require("./diff") as typeof DmarcDiff).dmarcDiff;
  },

  check() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `check` only, never by the program
    return (require("./check") as typeof DmarcCheck).dmarcCheck;
  },
};
