/**
 * The MTA-STS family (RFC 8461): `sender-auth:mtaSts` publishes `_mta-sts.<domain>` TXT
 * `v=STSv1; id=<id>`, the id derived from the policy text, and the policy text itself as the stack
 * output `mtaStsPolicy`; serving it at https://mta-sts.<domain>/.well-known/mta-sts.txt is the
 * user's (README "Hosting the MTA-STS policy"). A parked domain publishes none: its null MX (RFC 7505) already tells
 * senders it receives no mail, so there is no delivery for a policy to protect.
 */
import { isRecord } from "../../model";
import type { KeyProblem } from "../../problems";
import type { RawStack, Section } from "../types";
import type * as MtaStsCheck from "./check";
import type * as MtaStsDiff from "./diff";
import { buildMtaStsRecord, mtaStsPolicyOf, mtaStsRecordName, policyUrl } from "./records";
import { MTA_STS_ALLOWED, MTA_STS_MAX_AGE, mtaStsSchema, type MtaStsConfig } from "./schema";

export { MTA_STS_MAX_AGE, MTA_STS_MODES, mtaStsSchema, type MtaStsConfig, type MtaStsMode } from "./schema";

/** Checks across the key and the stack, on the raw input. */
function mtaStsProblems(raw: RawStack): KeyProblem[] {
  const value = raw["mtaSts"];
  if (value === undefined) return [];
  // On a parked domain the registry refuses the key (components/config.ts parkedProblems).
  if (!isRecord(value)) return [];
  const { mode, mx } = value;
  const empty = mx === undefined || (Array.isArray(mx) && mx.length === 0);
  if ((mode === "enforce" || mode === "testing") && empty) {
    return [
      {
        path: ["mtaSts", "mx"],
        message:
          `is required with mode ${mode}: senders ${mode === "enforce" ? "deliver" : "report as valid"} only to MX ` +
          "hosts that match one of its patterns (RFC 8461 §3.2, §4.1), and a policy without mx is invalid",
        allowed: MTA_STS_ALLOWED["mx"] ?? "",
      },
    ];
  }
  return [];
}

function mtaStsWarnings(config: MtaStsConfig, domain: string): string[] {
  const warnings: string[] = [];
  if (config.mode === "none") {
    warnings.push(
      `sender-auth:mtaSts.mode: none withdraws MTA-STS (RFC 8461 §8.3): keep it published and served at ` +
        `${policyUrl(domain)} for max_age (${config.maxAge} s) after senders last fetched the earlier policy, ` +
        "then remove sender-auth:mtaSts",
    );
  } else if (config.maxAge < MTA_STS_MAX_AGE.default) {
    warnings.push(
      `sender-auth:mtaSts.maxAge: ${config.maxAge} s is under a week; RFC 8461 §3.2 expects max_age to be weeks ` +
        "or more, since an attacker can strip TLS whenever a sender's cached policy has expired",
    );
  }
  return warnings;
}

export const mtaSts: Section<{
  key: "mtaSts";
  schema: typeof mtaStsSchema;
  model: MtaStsConfig;
  purpose: "mta-sts";
  outputs: { readonly mtaStsPolicy?: string };
}> = {
  key: "mtaSts",
  title: "MTA-STS",
  required: false,
  schema: mtaStsSchema,
  allowed: MTA_STS_ALLOWED,

  problems: mtaStsProblems,
  fixedNames: (raw, domain) =>
    raw["mtaSts"] === undefined ? [] : [{ name: mtaStsRecordName(domain), what: "the MTA-STS record" }],

  model: (parsed) => parsed,

  warnings: ({ mtaSts, domain }) => (mtaSts === undefined ? [] : mtaStsWarnings(mtaSts, domain)),

  records({ mtaSts, domain, dns }) {
    if (mtaSts === undefined) return { records: [] };
    const { id } = mtaStsPolicyOf(mtaSts);
    return {
      records: [
        {
          id: "mta-sts",
          name: mtaStsRecordName(domain),
          type: "TXT",
          ttl: dns.ttl,
          value: buildMtaStsRecord(id),
          purpose: "mta-sts",
          path: ["mtaSts"],
        },
      ],
    };
  },

  outputs: ({ mtaSts }) => (mtaSts === undefined ? {} : { mtaStsPolicy: mtaStsPolicyOf(mtaSts).text }),
  planOutputs: ["mtaStsPolicy"],

  diff() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `diff` only, never by the program
    return (require("./diff") as typeof MtaStsDiff).mtaStsDiff;
  },

  check() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `check` only, never by the program
    return (require("./check") as typeof MtaStsCheck).mtaStsCheck;
  },
};
