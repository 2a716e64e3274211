/**
 * What a change of a stack's MTA-STS policy means for mail (RFC 8461): its mode, MX patterns and
 * max_age, its id, and the order a change must reach the web and DNS in. Pure; loaded by `diff` only.
 */
import type { SectionDiff } from "../types";
import { mtaStsPolicyOf, mtaStsRecordName, policyUrl } from "./records";
import type { MtaStsConfig, MtaStsMode } from "./schema";

/** What senders that support MTA-STS do under each mode (RFC 8461 §5). */
const MODE_EFFECT: Readonly<Record<MtaStsMode, string>> = {
  enforce: "senders deliver only over TLS they can authenticate, to MX hosts that match, and defer the mail otherwise",
  testing: "senders deliver as before and only report TLS failures (to the domain's TLS-RPT address, RFC 8460)",
  none: "senders stop applying the earlier policy once they fetch this one",
};

/** How much a mode protects; a lower rank after a change weakens the domain's protection. */
const MODE_RANK: Readonly<Record<MtaStsMode, number>> = { none: 0, testing: 1, enforce: 2 };

const STAGE_FIRST =
  "senders that cannot authenticate TLS to a listed MX host defer the mail instead of delivering it; run mode " +
  "testing first and read the TLS-RPT reports (RFC 8461 §5, RFC 8460)";

/** The order a new policy must be published in (RFC 8461 §8.1): the file first, then the id in DNS. */
const serveFirst = (domain: string): string =>
  `serve the new policy (stack output mtaStsPolicy) at ${policyUrl(domain)} before \`pulumi up\` publishes ` +
  `its id: a sender that sees a new id fetches the policy once and keeps what it got (RFC 8461 §8.1)`;

function changed(before: MtaStsConfig, after: MtaStsConfig, domain: string) {
  const meanings: string[] = [];
  const weakening: string[] = [];
  const unsafe: string[] = [];
  if (before.mode !== after.mode) {
    const text = `MTA-STS mode: ${before.mode} → ${after.mode}: ${MODE_EFFECT[after.mode]}`;
    meanings.push(text);
    if (MODE_RANK[after.mode] < MODE_RANK[before.mode]) weakening.push(text);
    if (before.mode === "none" && after.mode === "enforce") {
      unsafe.push(`MTA-STS mode moves from none straight to enforce: ${STAGE_FIRST}`);
    }
  }
  const enforced = after.mode === "enforce";
  for (const pattern of before.mx.filter((p) => !after.mx.includes(p))) {
    const text =
      `MTA-STS mx ${pattern} removed: ` +
      (enforced
        ? "senders no longer deliver to MX hosts only it matched"
        : "MX hosts only it matched no longer count as valid");
    meanings.push(text);
  }
  for (const pattern of after.mx.filter((p) => !before.mx.includes(p))) {
    meanings.push(`MTA-STS mx ${pattern} added: MX hosts it matches are valid delivery targets`);
  }
  if (before.maxAge !== after.maxAge) {
    meanings.push(
      `MTA-STS max_age: ${before.maxAge} → ${after.maxAge} s: senders keep a fetched policy for up to ${after.maxAge} s`,
    );
  }
  const beforeId = mtaStsPolicyOf(before).id;
  const afterId = mtaStsPolicyOf(after).id;
  if (beforeId !== afterId) meanings.push(`MTA-STS policy id ${beforeId} → ${afterId}: ${serveFirst(domain)}`);
  return { meanings, weakening, unsafe };
}

export const mtaStsDiff: SectionDiff = {
  meaning({ base, head, domain }) {
    const before = base?.config.mtaSts;
    const after = head?.config.mtaSts;
    if (before === undefined && after === undefined) return { meanings: [] };
    if (before === undefined && after !== undefined) {
      return {
        meanings: [
          `MTA-STS added (mode ${after.mode}, max_age ${after.maxAge} s): ${MODE_EFFECT[after.mode]}; ` +
            serveFirst(domain),
        ],
        unsafe: after.mode === "enforce" ? [`MTA-STS starts in mode enforce: ${STAGE_FIRST}`] : [],
      };
    }
    if (before !== undefined && after === undefined) {
      const removed =
        `MTA-STS removed: ${mtaStsRecordName(domain)} goes, and senders keep the policy they cached ` +
        `(mode ${before.mode}) for up to its max_age, ${before.maxAge} s, without learning of later changes`;
      if (before.mode === "none") return { meanings: [removed] };
      return {
        meanings: [removed],
        weakening: [removed],
        unsafe: [
          `MTA-STS removed while its mode is ${before.mode}: withdraw it first with mode none, keep that served ` +
            "for max_age, then remove it (RFC 8461 §8.3)",
        ],
      };
    }
    return before !== undefined && after !== undefined ? changed(before, after, domain) : { meanings: [] };
  },
};
