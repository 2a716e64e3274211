/**
 * The BIMI family (draft-brand-indicators-for-message-identification): `sender-auth:bimi` publishes
 * `<selector>._bimi.<domain>` TXT `v=BIMI1; l=<logo>;` (and `a=<certificate>`), the logo receivers may
 * show beside mail that passes DMARC. Receivers show it only under DMARC enforcement (§7.1), so a
 * stack whose `sender-auth:dmarc` is not at enforcement is refused, naming both keys.
 *
 * A parked domain sends no mail, so there is no mail to show a logo beside: having no `parked`
 * records, the key is refused there (components/config.ts).
 */
import { isRecord } from "../../model";
import type { KeyProblem } from "../../problems";
import type { RawStack, Section } from "../types";
import type * as BimiCheck from "./check";
import type * as BimiDiff from "./diff";
import { bimiRecordName, buildBimiValue, dmarcEnforcementGaps } from "./records";
import { BIMI_ALLOWED, bimiSchema, DEFAULT_BIMI_SELECTOR, type BimiConfig } from "./schema";

export { bimiSchema, DEFAULT_BIMI_SELECTOR, type BimiConfig } from "./schema";

const ENFORCEMENT =
  "sender-auth:dmarc with policy quarantine or reject, no subdomainPolicy none, no percent below 100, testing false";

/** BIMI without DMARC enforcement: each setting that keeps receivers from showing the logo. */
function enforcementProblems(raw: RawStack): KeyProblem[] {
  if (raw["bimi"] === undefined || raw["parked"] === true) return [];
  const dmarc = raw["dmarc"];
  if (!isRecord(dmarc)) {
    return [
      {
        path: ["bimi"],
        message:
          "requires DMARC at enforcement, and sender-auth:dmarc is not set: receivers show a logo only for " +
          "mail that passes a DMARC policy of quarantine or reject (BIMI draft §7.1)",
        allowed: ENFORCEMENT,
      },
    ];
  }
  return dmarcEnforcementGaps(dmarc).map(([key, reason]) => ({
    path: ["bimi"],
    message: `requires DMARC at enforcement, and sender-auth:dmarc.${key} ${reason}; receivers show no logo (BIMI draft §7.1)`,
    allowed: ENFORCEMENT,
  }));
}

const selectorOf = (raw: RawStack): string => {
  const bimi = raw["bimi"];
  return isRecord(bimi) && typeof bimi["selector"] === "string" ? bimi["selector"] : DEFAULT_BIMI_SELECTOR;
};

export const bimi: Section<{ key: "bimi"; schema: typeof bimiSchema; model: BimiConfig; purpose: "bimi" }> = {
  key: "bimi",
  title: "BIMI",
  required: false,
  schema: bimiSchema,
  allowed: BIMI_ALLOWED,

  problems: enforcementProblems,
  fixedNames: (raw, domain) =>
    raw["bimi"] === undefined ? [] : [{ name: bimiRecordName(selectorOf(raw), domain), what: "the BIMI record" }],

  model: (parsed) => ({ ...parsed, authority: parsed.authority }),

  warnings: ({ bimi: config }) =>
    config === undefined || config.authority !== undefined
      ? []
      : [
          "sender-auth:bimi.authority: not set: Gmail and Apple Mail show a BIMI logo only with a Verified Mark " +
            "or Common Mark Certificate (a=); without one, few receivers show it",
        ],

  records: ({ bimi: config, domain, dns }) =>
    config === undefined
      ? { records: [] }
      : {
          records: [
            {
              id: "bimi",
              name: bimiRecordName(config.selector, domain),
              type: "TXT",
              ttl: dns.ttl,
              value: buildBimiValue(config),
              purpose: "bimi",
              selector: config.selector,
              path: ["bimi"],
            },
          ],
        },

  diff() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `diff` only, never by the program
    return (require("./diff") as typeof BimiDiff).bimiDiff;
  },

  check() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `check` only, never by the program
    return (require("./check") as typeof BimiCheck).bimiCheck;
  },
};
