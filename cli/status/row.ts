/**
 * One stack's row of `sender-auth status` (issue #14), computed from the text of its stack file and
 * "now" alone: no network, no Pulumi CLI, no file system, no shared state. A pure function of plain,
 * cloneable data, so that a fleet can later be split over worker threads and its rows put back in
 * stack order. A stack that cannot be read or validated is a row with its problems, never an error.
 */
import { ConfigError, decodeConfigMap, validateStack, type Problem } from "../../components/config";
import { isRecord, type DkimStatus, type DmarcPolicy } from "../../components/model";
import { DNS_PROVIDERS } from "../../components/providers/types";
import { ageInDays } from "../../components/sections/dkim/selectors";
import { emptySummary, type DomainSummary } from "../reports/aggregate";
import { recommendationFor } from "../reports/join";
import type { Verdict } from "../reports/recommend";
import { stackViewOf } from "../reports/stackView";
import { parseStackConfig, StackFileError, type Project, type StackConfig } from "../project";
import { mergeProblems } from "../stackFile";
import { stackKeysOf, type StackKeys } from "../stackKeys";
import { stackDue, type RotationStepName, type StackDue } from "./due";
import type { Sighting } from "./evidence";

export interface StatusSelector {
  readonly selector: string;
  /** Null when the stack file holds something that is not a status. */
  readonly status: DkimStatus | null;
  /** Null for a CNAME selector (its provider holds the key) and a key that cannot be read. */
  readonly algorithm: string | null;
  readonly bits: number | null;
  readonly createdAt: string | null;
  readonly ageDays: number | null;
}

export interface StatusRotation {
  readonly due: boolean;
  readonly next: RotationStepName | null;
  /** YYYY-MM-DD (UTC): from when `next` is due by the calendar. */
  readonly notBefore?: string;
  readonly reason: string;
}

export interface StatusRow {
  readonly stack: string;
  readonly domain: string | null;
  readonly provider: string | null;
  /** Null when the stack publishes no DMARC record (or cannot be validated). */
  readonly dmarc: {
    readonly policy: DmarcPolicy;
    readonly subdomainPolicy: DmarcPolicy | null;
    readonly testing: boolean;
    readonly percent: number | null;
  } | null;
  readonly selectors: readonly StatusSelector[];
  readonly rotation: StatusRotation;
  /** Only with `--reports`: the latest recommendation of the DMARC aggregate reports (issue #15). */
  readonly recommendation?: { readonly verdict: Verdict; readonly step: string | null; readonly summary: string };
  readonly warnings: readonly string[];
  readonly problems: readonly string[];
}

/** Everything a row depends on besides the stack file. */
export interface StatusSettings {
  readonly project: Pick<Project, "name" | "defaults">;
  readonly now: Date;
  /** rotate's --overlap-days. */
  readonly overlapDays: number;
  /**
   * Per policy domain, when `--reports` was given: the summed reports (for the recommendation) and
   * each report's DKIM sightings (for the evidence a revoke needs).
   */
  readonly reports?: {
    readonly summaries: ReadonlyMap<string, DomainSummary>;
    readonly sightings: ReadonlyMap<string, readonly Sighting[]>;
  };
  /** Stacks whose retired key may be revoked without report evidence (`rotate --due --approve-revoke`). */
  readonly approvedRevokes?: ReadonlySet<string>;
}

/** A stack file: its text, or why it could not be read. */
export interface StackSource {
  readonly stack: string;
  /** The path messages name. */
  readonly file: string;
  readonly text: string | { readonly error: string };
}

/** What `rotate --due` needs besides the row: the stack's keys and every line's decision. */
export interface StackAssessment {
  readonly row: StatusRow;
  /** Undefined when the stack file could not be read at all. */
  readonly keys: StackKeys | undefined;
  /** Undefined when the stack config is invalid: nothing is due on an invalid config. */
  readonly due: StackDue | undefined;
}

const problemText = (p: Problem): string => `${p.path}: ${p.message}`;

const NO_ROTATION_INVALID: StatusRotation = {
  due: false,
  next: null,
  reason: "the stack config is invalid: fix its problems first",
};

/** The row of one stack. */
export function statusRow(source: StackSource, settings: StatusSettings): StatusRow {
  return assessStack(source, settings).row;
}

/** The row of one stack, with what rotate --due acts on. */
export function assessStack(source: StackSource, settings: StatusSettings): StackAssessment {
  const { stack } = source;
  const empty = {
    stack,
    domain: null,
    provider: null,
    dmarc: null,
    selectors: [],
    rotation: NO_ROTATION_INVALID,
    warnings: [],
  };
  if (typeof source.text !== "string") {
    return { row: { ...empty, problems: [source.text.error.split("\n")[0] ?? ""] }, keys: undefined, due: undefined };
  }
  let stackConfig: StackConfig;
  let fileProblems: readonly Problem[] = [];
  try {
    stackConfig = parseStackConfig(settings.project, stack, source.file, source.text);
  } catch (error) {
    if (error instanceof StackFileError) {
      ({ stackConfig, problems: fileProblems } = error);
    } else {
      return {
        // A YAML error quotes the source line below its message: the message line says where.
        row: { ...empty, problems: [(error instanceof Error ? error.message : String(error)).split("\n")[0] ?? ""] },
        keys: undefined,
        due: undefined,
      };
    }
  }
  const raw = decodeConfigMap(stackConfig.config);
  const keys = stackKeysOf(stackConfig);
  const selectors = keys.selectors.map((s): StatusSelector => ({
    selector: s.name,
    status: s.status ?? null,
    algorithm: s.cname === undefined ? (s.key?.algorithm ?? null) : null,
    bits: s.cname === undefined ? (s.key?.bits ?? null) : null,
    createdAt: s.createdAt ?? null,
    ageDays: validAge(s.createdAt, settings.now),
  }));
  let validated: ReturnType<typeof validateStack> | undefined;
  let configProblems: readonly Problem[] = [];
  try {
    validated = validateStack(stack, raw, settings.now);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configProblems = error.problems;
  }
  const problems = mergeProblems(fileProblems, configProblems).map(problemText);
  const dns = raw["dns"];
  const rawProvider = isRecord(dns) ? DNS_PROVIDERS.find((p) => p === dns["provider"]) : undefined;
  if (validated === undefined || problems.length > 0) {
    return {
      row: {
        ...empty,
        domain: keys.domain ?? null,
        provider: rawProvider ?? null,
        selectors,
        problems,
      },
      keys,
      due: undefined,
    };
  }
  const { config } = validated;
  const view = stackViewOf(stack, config);
  const domain = config.domain;
  const due = stackDue(keys, {
    maxKeyAgeDays: config.dkim?.maxKeyAgeDays ?? 0,
    overlapDays: settings.overlapDays,
    now: settings.now,
    sightings: settings.reports?.sightings.get(domain) ?? (settings.reports === undefined ? undefined : []),
    revokeApproved: settings.approvedRevokes?.has(stack) ?? false,
  });
  const headline = due.headline;
  const rotation: StatusRotation =
    headline === undefined
      ? {
          due: false,
          next: null,
          reason:
            keys.selectors.length === 0
              ? "no DKIM selectors"
              : "no DKIM keys of its own (CNAME selectors are rotated by their provider)",
        }
      : {
          due: headline.due,
          next: headline.next,
          ...(headline.notBefore === undefined ? {} : { notBefore: headline.notBefore }),
          reason: due.lines.length > 1 ? `${headline.algorithm}: ${headline.reason}` : headline.reason,
        };
  // A line rotate refuses until someone fixes it is worth a warning even when another line leads.
  const blocked = due.lines.filter((l) => l.blocked).map((l) => `${l.algorithm} rotation is blocked: ${l.reason}`);
  const dmarc = view.dmarc;
  const summary = settings.reports?.summaries.get(domain) ?? emptySummary(domain);
  const recommendation =
    settings.reports === undefined
      ? undefined
      : (({ verdict, step, summary: text }) => ({ verdict, step, summary: text }))(recommendationFor(summary, view));
  return {
    row: {
      stack,
      domain,
      provider: config.dns.provider,
      dmarc:
        dmarc === undefined
          ? null
          : {
              policy: dmarc.policy,
              subdomainPolicy: dmarc.subdomainPolicy ?? null,
              testing: dmarc.testing,
              percent: dmarc.percent ?? null,
            },
      selectors,
      rotation,
      ...(recommendation === undefined ? {} : { recommendation }),
      warnings: [...validated.warnings, ...blocked],
      problems: [],
    },
    keys,
    due,
  };
}

function validAge(createdAt: string | undefined, now: Date): number | null {
  const age = ageInDays(createdAt, now);
  return age === undefined || Number.isNaN(age) ? null : age;
}
