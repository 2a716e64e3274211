/** What a change of a stack's SPF record means for mail (RFC 7208). Pure; loaded by `diff` only. */
import type { SenderAuthConfig } from "../../model";
import type { SectionDiff } from "../types";
import { countSpfLookups, SPF_ALL_QUALIFIERS, SPF_MAX_LOOKUPS } from "./records";
import type { SpfConfig } from "./schema";

const ALL_VERB = { fail: "fails SPF", softfail: "softfails SPF", neutral: "gets SPF neutral" } as const;
const ALL_VERB_PLURAL = { fail: "fail SPF", softfail: "softfail SPF", neutral: "get SPF neutral" } as const;
/** How strictly `all` treats unlisted hosts; a lower rank after a change weakens SPF. */
const ALL_RANK = { neutral: 0, softfail: 1, fail: 2 } as const;

/** The SPF a stack publishes: its own, or a parked domain's `-all`. */
function spfOf(config: SenderAuthConfig | undefined): SpfConfig | undefined {
  if (config?.parked === true) {
    return { ip4: [], ip6: [], a: false, mx: false, include: [], exists: [], all: "fail", redirect: undefined };
  }
  return config?.spf;
}

function meanings(base: SpfConfig | undefined, head: SpfConfig | undefined, weakening: string[]): string[] {
  if (base === undefined && head === undefined) return [];
  if (base === undefined) {
    return [
      `SPF record added: ${head?.all === undefined ? "redirected" : `unlisted hosts ${ALL_VERB_PLURAL[head.all]}`}`,
    ];
  }
  if (head === undefined) {
    const removed = "SPF record removed: receivers can no longer tell authorised hosts from forgers";
    weakening.push(removed);
    return [removed];
  }
  const out: string[] = [];
  const before = countSpfLookups(base);
  const after = countSpfLookups(head);
  if (before !== after) out.push(`SPF lookups ${before} → ${after} of ${SPF_MAX_LOOKUPS}`);
  const fails =
    head.all === undefined ? `now falls through to redirect=${head.redirect ?? ""}` : `now ${ALL_VERB[head.all]}`;
  const listDiff = (
    label: string,
    b: readonly string[],
    a: readonly string[],
    removedText: string,
    addedText: string,
  ): void => {
    for (const value of b.filter((v) => !a.includes(v))) out.push(`${label}:${value} removed: ${removedText}`);
    for (const value of a.filter((v) => !b.includes(v))) out.push(`${label}:${value} added: ${addedText}`);
  };
  listDiff("ip4", base.ip4, head.ip4, `mail from that host ${fails}`, "mail from that host now passes SPF");
  listDiff("ip6", base.ip6, head.ip6, `mail from that host ${fails}`, "mail from that host now passes SPF");
  listDiff(
    "include",
    base.include,
    head.include,
    `mail from the hosts it lists ${fails}`,
    "the hosts it lists now pass SPF",
  );
  listDiff("exists", base.exists, head.exists, `hosts it matched ${fails}`, "hosts it matches now pass SPF");
  if (base.a !== head.a) {
    out.push(
      head.a
        ? "a added: the domain's own addresses now pass SPF"
        : `a removed: mail from the domain's own addresses ${fails}`,
    );
  }
  if (base.mx !== head.mx) {
    out.push(
      head.mx ? "mx added: the domain's MX hosts now pass SPF" : `mx removed: mail from the domain's MX hosts ${fails}`,
    );
  }
  if (base.all !== head.all) {
    const show = (s: SpfConfig): string =>
      s.all === undefined ? `redirect=${s.redirect ?? ""}` : `${s.all} (${SPF_ALL_QUALIFIERS[s.all]}all)`;
    const change = `SPF all: ${show(base)} → ${show(head)}`;
    out.push(change);
    if (base.all !== undefined && head.all !== undefined && ALL_RANK[head.all] < ALL_RANK[base.all]) {
      weakening.push(change);
    }
  } else if (base.redirect !== head.redirect) {
    out.push(`SPF redirect: ${base.redirect ?? "(none)"} → ${head.redirect ?? "(none)"}`);
  }
  return out;
}

export const spfDiff: SectionDiff = {
  meaning({ base, head }) {
    // Two parked sides publish the same `-all`: nothing to say.
    if (base?.config.parked === true && head?.config.parked === true) return { meanings: [] };
    const weakening: string[] = [];
    return { meanings: meanings(spfOf(base?.config), spfOf(head?.config), weakening), weakening };
  },
};
