/**
 * Reports joined with the stack that declares their domain: what the next policy step would do to
 * the mail the reports saw, which selectors sign that the stack does not publish (and which it
 * publishes that never sign), which failing sources are yours or a known provider's and how to fix
 * them, and the recommendation. Pure: the same summaries and stack always give the same answer.
 */
import { BlockList, isIPv4 } from "node:net";
import type { DomainSummary, SourceSummary } from "./aggregate";
import { recogniseEsp, type Esp } from "./esp";
import { compareText } from "./model";
import { describePolicy, nextPolicy, policyOf, type PolicyState } from "./policy";
import { recommend, type Recommendation } from "./recommend";
import type { StackView } from "./stackView";

/** How one failing source is classified. */
export const SOURCE_KINDS = ["yours", "esp", "forwarded", "unknown"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface FailingSource {
  readonly ip: string;
  readonly messages: number;
  readonly kind: SourceKind;
  readonly esp: string | null;
  readonly headerFrom: readonly string[];
  /** Why it is classified so, and what to do. */
  readonly note: string;
}

export interface NextStep {
  readonly policy: PolicyState;
  /** `p=quarantine`, `p=quarantine without pct=10`, `sp=reject`. */
  readonly change: string;
  /** Failing messages the next step would quarantine / reject, per source. */
  readonly quarantine: number;
  readonly reject: number;
  /** Of those, messages the receiver already excepted (mailing_list, forwarded, ...). */
  readonly overridden: number;
  readonly bySource: readonly {
    readonly ip: string;
    readonly action: "quarantine" | "reject";
    readonly messages: number;
  }[];
}

export interface SeenSelector {
  readonly selector: string;
  readonly messages: number;
  readonly pass: number;
  readonly fail: number;
  /** `unpublished` (no such selector in the stack) or the stack's status (`revoked`, `retired`). */
  readonly state: "unpublished" | "revoked" | "retired";
}

export interface SpfIncludeFix {
  readonly include: string;
  readonly esp: string;
  readonly sources: readonly string[];
  readonly messages: number;
}

export interface StackJoin {
  readonly stack: string;
  /** The policy the stack declares; null when it publishes no DMARC record. */
  readonly policy: PolicyState | null;
  /** Null when there is no stronger step (p=reject with sp=reject or no sp) or no policy. */
  readonly nextStep: NextStep | null;
  readonly failingSources: readonly FailingSource[];
  readonly selectors: {
    /** Selectors signing with d=<domain> that the stack does not publish, or publishes as retired/revoked. */
    readonly seenNotPublished: readonly SeenSelector[];
    /** Active selectors of the stack that no report shows signing. */
    readonly activeNotSeen: readonly string[];
  };
  /** Includes the stack's SPF record lacks that would make failing sources pass SPF aligned. */
  readonly spfIncludes: readonly SpfIncludeFix[];
  readonly recommendation: Recommendation;
}

/** Receiver overrides that mean "not the sender's doing" (RFC 7489 §6.7, RFC 9990 §3.2.2). */
const FORWARDING_REASONS = new Set(["forwarded", "mailing_list", "trusted_forwarder"]);

function describeChange(from: PolicyState, to: PolicyState): string {
  const parts: string[] = [];
  if (to.p !== from.p) parts.push(`p=${to.p}`);
  if (to.sp !== from.sp && to.sp !== null) parts.push(`sp=${to.sp}`);
  if (from.testing && !to.testing) parts.push("without t=y");
  if (from.pct !== null && to.pct === null) parts.push(`without pct=${from.pct}`);
  return parts.length === 0 ? describePolicy(to) : parts.join(", ");
}

const under = (name: string, domain: string): boolean => name === domain || name.endsWith(`.${domain}`);

function blockListOf(view: StackView): BlockList {
  const list = new BlockList();
  for (const entry of [...(view.spf?.ip4 ?? []), ...(view.spf?.ip6 ?? [])]) {
    const [address = "", prefix] = entry.split("/");
    const type = isIPv4(address) ? "ipv4" : "ipv6";
    try {
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    } catch {
      // Validated config never gets here; a range that does not parse authorises nothing.
    }
  }
  return list;
}

function classify(
  source: SourceSummary,
  view: StackView,
  ranges: BlockList,
): { kind: SourceKind; esp: Esp | undefined; note: string } {
  const domain = view.domain;
  const inRange = ranges.check(source.ip, source.ip.includes(":") ? "ipv6" : "ipv4");
  const published = new Set(view.selectors.map((s) => s.name));
  const ownSignatures = source.dkim.filter((e) => e.domain === domain && published.has(e.selector));
  const ownPasses = [
    ...source.spf.filter((e) => e.result === "pass" && under(e.domain, domain)).map((e) => `SPF ${e.domain}`),
    ...source.dkim.filter((e) => e.result === "pass" && under(e.domain, domain)).map((e) => `DKIM d=${e.domain}`),
  ];
  if (inRange) {
    return {
      kind: "yours",
      esp: undefined,
      note: "this address is in the stack's SPF ip4/ip6 ranges, yet neither SPF nor DKIM passed aligned: check the MAIL FROM domain and DKIM signing on this host",
    };
  }
  const reasons = source.reasons.filter((r) => FORWARDING_REASONS.has(r.type));
  if (reasons.length > 0) {
    return {
      kind: "forwarded",
      esp: undefined,
      note: `the receiver reported ${reasons.map((r) => r.type).join(", ")}: forwarded or list mail, not fixable by the sender`,
    };
  }
  if (ownPasses.length > 0) {
    return {
      kind: "yours",
      esp: undefined,
      note: `authenticated as ${[...new Set(ownPasses)].join(", ")}, which the alignment mode does not accept (strict alignment needs the exact domain): relax aspf/adkim or use ${domain} itself`,
    };
  }
  if (ownSignatures.length > 0) {
    return {
      kind: "yours",
      esp: undefined,
      note: `signs with the stack's selector ${[...new Set(ownSignatures.map((e) => e.selector))].join(", ")} but the signature fails: check the key (sender-auth check) and that nothing rewrites the message after signing`,
    };
  }
  const esp = recogniseEsp(source.dkimDomains, [...source.envelopeFrom, ...source.spf.map((e) => e.domain)]);
  if (esp !== undefined) return { kind: "esp", esp, note: `${esp.name}: ${esp.fix} (${esp.source})` };
  return {
    kind: "unknown",
    esp: undefined,
    note: "no authentication as this domain: spoofing, or a sender not set up yet",
  };
}

const KIND_ORDER: Readonly<Record<SourceKind, number>> = { yours: 0, esp: 1, forwarded: 2, unknown: 3 };

/** Joins one domain's reports with its stack. */
export function joinStack(summary: DomainSummary, view: StackView): StackJoin {
  const policy = policyOf(view);
  const ranges = blockListOf(view);
  const failing = new Map<
    string,
    { messages: number; kind: SourceKind; esp: Esp | undefined; note: string; headerFrom: Set<string> }
  >();
  const includeFixes = new Map<string, { esp: string; sources: Set<string>; messages: number }>();
  for (const source of summary.sources) {
    if (source.dmarc === "pass") continue;
    const found = classify(source, view, ranges);
    const had = failing.get(source.ip);
    if (had === undefined || KIND_ORDER[found.kind] < KIND_ORDER[had.kind]) {
      failing.set(source.ip, {
        messages: (had?.messages ?? 0) + source.count,
        ...found,
        headerFrom: new Set([...(had?.headerFrom ?? []), ...source.headerFrom.map((h) => h.domain)]),
      });
    } else {
      had.messages += source.count;
      for (const h of source.headerFrom) had.headerFrom.add(h.domain);
    }
    // An include helps only where this domain's own SPF record was the one evaluated, and failed.
    const include = found.esp?.spfInclude;
    const ownSpfFailed = source.spf.some((e) => e.domain === view.domain && e.result !== "pass");
    if (
      include !== undefined &&
      found.esp !== undefined &&
      ownSpfFailed &&
      !(view.spf?.include ?? []).includes(include)
    ) {
      const fix = includeFixes.get(include) ?? { esp: found.esp.name, sources: new Set<string>(), messages: 0 };
      fix.sources.add(source.ip);
      fix.messages += source.count;
      includeFixes.set(include, fix);
    }
  }
  const failingSources: FailingSource[] = [...failing]
    .map(([ip, f]) => ({
      ip,
      messages: f.messages,
      kind: f.kind,
      esp: f.esp?.name ?? null,
      headerFrom: [...f.headerFrom].sort(compareText),
      note: f.note,
    }))
    .sort((a, b) => b.messages - a.messages || compareText(a.ip, b.ip));

  const next = policy === null ? null : nextPolicy(policy);
  const nextStep = policy === null || next === null ? null : impactOf(summary, view.domain, policy, next);

  const seen = new Map<string, { messages: number; pass: number; fail: number }>();
  for (const source of summary.sources) {
    for (const entry of source.dkim) {
      if (entry.domain !== view.domain || entry.selector === "") continue;
      const s = seen.get(entry.selector) ?? { messages: 0, pass: 0, fail: 0 };
      s.messages += entry.messages;
      if (entry.result === "pass") s.pass += entry.messages;
      else s.fail += entry.messages;
      seen.set(entry.selector, s);
    }
  }
  const byName = new Map(view.selectors.map((s) => [s.name, s]));
  const seenNotPublished: SeenSelector[] = [];
  for (const [selector, s] of [...seen].sort(([a], [b]) => compareText(a, b))) {
    const status = byName.get(selector)?.status;
    if (status === "active" || status === "published") continue;
    seenNotPublished.push({ selector, ...s, state: status === undefined ? "unpublished" : status });
  }
  const activeNotSeen =
    summary.reports === 0
      ? []
      : view.selectors.filter((s) => s.status === "active" && !seen.has(s.name)).map((s) => s.name);

  const spfIncludes = [...includeFixes]
    .map(([include, f]) => ({ include, esp: f.esp, sources: [...f.sources].sort(compareText), messages: f.messages }))
    .sort((a, b) => b.messages - a.messages || compareText(a.include, b.include));

  return {
    stack: view.stack,
    policy,
    nextStep,
    failingSources,
    selectors: { seenNotPublished, activeNotSeen },
    spfIncludes,
    recommendation: recommend({ summary, view, policy, nextStep, failingSources }),
  };
}

/** What `next` would do to the failing mail of the reports. */
function impactOf(summary: DomainSummary, domain: string, from: PolicyState, next: PolicyState): NextStep {
  const bySource = new Map<string, { quarantine: number; reject: number }>();
  let quarantine = 0;
  let reject = 0;
  let overridden = 0;
  for (const source of summary.sources) {
    if (source.dmarc === "pass") continue;
    // The domain itself gets p, its subdomains sp (RFC 7489 §6.6.3); counts per header From as reported.
    const shares = source.headerFrom.length === 0 ? [{ domain, messages: source.count }] : source.headerFrom;
    for (const { domain: from, messages } of shares) {
      const applied = from !== domain && under(from, domain) ? (next.sp ?? next.p) : next.p;
      if (applied === "none" || messages === 0) continue;
      const entry = bySource.get(source.ip) ?? { quarantine: 0, reject: 0 };
      entry[applied] += messages;
      bySource.set(source.ip, entry);
      if (applied === "quarantine") quarantine += messages;
      else reject += messages;
    }
    overridden += Math.min(
      source.count,
      source.reasons.reduce((n, r) => n + r.messages, 0),
    );
  }
  const rows = [...bySource].flatMap(([ip, e]) => [
    ...(e.reject > 0 ? [{ ip, action: "reject" as const, messages: e.reject }] : []),
    ...(e.quarantine > 0 ? [{ ip, action: "quarantine" as const, messages: e.quarantine }] : []),
  ]);
  rows.sort((a, b) => b.messages - a.messages || compareText(a.ip, b.ip) || compareText(a.action, b.action));
  return {
    policy: next,
    change: describeChange(from, next),
    quarantine,
    reject,
    overridden,
    bySource: rows,
  };
}

/** The recommendation for one domain, for callers that only want that (e.g. `status`). */
export function recommendationFor(summary: DomainSummary, view: StackView): Recommendation {
  return joinStack(summary, view).recommendation;
}
