/**
 * Whether a domain is ready for its next DMARC policy step, and the evidence. The thresholds are
 * ours, chosen so that a "ready" never rests on too little data or on a failing sender the domain
 * owner could still fix; they are documented in the README ("From p=none to reject").
 */
import type { DomainSummary } from "./aggregate";
import type { FailingSource, NextStep } from "./join";
import { describePolicy, type PolicyState } from "./policy";
import type { StackView } from "./stackView";

export const THRESHOLDS = {
  /**
   * Distinct days the reports must cover: a month, so that weekly and monthly senders (newsletters,
   * invoices, statements) have shown up at least once.
   */
  minDays: 30,
  /** Messages the reports must count: below this one message moves the share by 1 %. */
  minMessages: 100,
  /**
   * DMARC-pass share of the messages (forwarded and list mail the receiver excepted left out)
   * needed before the step, by the policy the step leads to: a quarantined message can still be
   * found, a rejected one is gone, so reject asks for more.
   */
  alignedShare: { quarantine: 0.98, reject: 0.995 } as const,
  /**
   * Share of the messages that failing sources which are yours or a known provider's may carry:
   * above it, those senders are fixed first, whatever the total share.
   */
  knownFailingShare: 0.001,
} as const;

export const VERDICTS = [
  "no-policy",
  "no-reports",
  "insufficient-data",
  "fix-sources",
  "review",
  "ready",
  "enforced",
] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface Recommendation {
  readonly verdict: Verdict;
  /** The policy the next step leads to (`p=quarantine; sp=quarantine`), null when there is none. */
  readonly step: string | null;
  /** One line: the evidence and the conclusion. */
  readonly summary: string;
  readonly evidence: {
    readonly days: number;
    readonly messages: number;
    readonly organisations: number;
    /** DMARC-pass share, forwarded/list mail left out; null without messages. */
    readonly alignedShare: number | null;
    readonly failingSources: number;
    /** Messages of failing sources that are yours or a known provider's. */
    readonly fixableMessages: number;
  };
}

export interface RecommendInput {
  readonly summary: DomainSummary;
  readonly view: StackView;
  readonly policy: PolicyState | null;
  readonly nextStep: NextStep | null;
  readonly failingSources: readonly FailingSource[];
}

/** `98.7 %`, rounded down so that a share never looks better than it is. */
export function percent(share: number): string {
  return `${(Math.floor(share * 1000) / 10).toFixed(1)} %`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function listSources(sources: readonly FailingSource[]): string {
  const shown = sources.slice(0, 3).map((s) => {
    const label = s.kind === "esp" ? (s.esp ?? "provider") : s.kind === "yours" ? "yours" : s.kind;
    return `${s.ip} (${label}, ${plural(s.messages, "message")})`;
  });
  const more = sources.length - shown.length;
  return `${shown.join(", ")}${more > 0 ? `, and ${more} more` : ""}`;
}

export function recommend(input: RecommendInput): Recommendation {
  const { summary, view, policy, nextStep, failingSources } = input;
  const days = summary.dateRange?.days ?? 0;
  const forwarded = failingSources.filter((s) => s.kind === "forwarded").reduce((n, s) => n + s.messages, 0);
  const counted = summary.messages - forwarded;
  const share = counted > 0 ? summary.dmarcPass / counted : null;
  const fixable = failingSources.filter((s) => s.kind === "yours" || s.kind === "esp");
  const fixableMessages = fixable.reduce((n, s) => n + s.messages, 0);
  const evidence = {
    days,
    messages: summary.messages,
    organisations: summary.organisations.length,
    alignedShare: share,
    failingSources: failingSources.length,
    fixableMessages,
  };
  const step = nextStep === null ? null : describePolicy(nextStep.policy);
  const target = nextStep?.policy.p ?? "reject";
  const make = (verdict: Verdict, text: string): Recommendation => ({ verdict, step, summary: text, evidence });

  if (policy === null) {
    return make("no-policy", `stack ${view.stack} publishes no DMARC record: add a dmarc section with rua to start`);
  }
  if (summary.reports === 0) {
    return make(
      "no-reports",
      view.dmarc?.rua.length === 0
        ? `no reports for ${view.domain}, and the stack asks for none: add dmarc.rua`
        : `no reports for ${view.domain} were read (rua: ${view.dmarc?.rua.join(", ") ?? ""})`,
    );
  }
  const over = `over ${plural(days, "day")} (${plural(summary.messages, "message")}, ${plural(summary.organisations.length, "reporting organisation")})`;
  const evidenceText =
    share === null
      ? `no messages ${over.slice(over.indexOf("("))}`
      : `${percent(share)} aligned${forwarded > 0 ? ` (${plural(forwarded, "forwarded or list message")} left out)` : ""} ${over}${
          failingSources.length === 0
            ? "; no failing sources"
            : `; remaining failures from ${plural(failingSources.length, "source")}: ${listSources(failingSources)}`
        }`;
  if (nextStep === null) {
    return make(
      "enforced",
      fixable.length > 0
        ? `${evidenceText}; already at ${policy.p}: mail from ${plural(fixable.length, "source")} that are yours or a known provider's is being rejected, fix them`
        : `${evidenceText}; already at the strongest policy`,
    );
  }
  if (days < THRESHOLDS.minDays || summary.messages < THRESHOLDS.minMessages) {
    return make(
      "insufficient-data",
      `${evidenceText}; not enough data yet for ${step ?? target} (needs ${THRESHOLDS.minDays} days and ${THRESHOLDS.minMessages} messages of reports)`,
    );
  }
  if (fixableMessages > THRESHOLDS.knownFailingShare * summary.messages) {
    return make(
      "fix-sources",
      `${evidenceText}; not yet ready for ${step ?? target}: fix the failing sources that are yours or a known provider's first`,
    );
  }
  const needed = THRESHOLDS.alignedShare[target === "none" ? "quarantine" : target];
  if (share !== null && share < needed) {
    return make(
      "review",
      `${evidenceText}; not yet ready for ${step ?? target}: below ${percent(needed)} aligned, and the failing sources are not recognised: if they are not yours (spoofing), ${step ?? target} is what stops them`,
    );
  }
  return make("ready", `${evidenceText}; ready for ${step ?? target}`);
}
