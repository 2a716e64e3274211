/**
 * Which rotation step is due for a stack, and from when: the one decision `status` shows and
 * `rotate --due` takes (issue #14), so the two can never disagree. The step itself is always
 * `rotate`'s own ({@link planRotation}); this module adds the calendar and the evidence:
 *   - start:    the active key is older than `dkim.maxKeyAgeDays` (M3AAWG DKIM Key Rotation BCP: about
 *               every six months);
 *   - activate: always due; `rotate --due` takes it only once DNS serves the new key (as `rotate`);
 *   - revoke:   the overlap has passed AND either DMARC aggregate reports show that only the new
 *               selector still signs, or a person approved it: activation only changes the config,
 *               the mail servers must switch their signer too, and revoking a key that still signs
 *               makes that mail fail DKIM;
 *   - remove:   always due; `rotate --due` takes it only once DNS serves the revocation (`p=`), so a
 *               second run right after the revoke does nothing.
 * Pure: the same keys, settings, evidence and time always give the same answer.
 */
import { DAY_MS } from "../../components/clock";
import { keyPath } from "../../components/keyPath";
import { DKIM_ALGORITHMS, type DkimAlgorithm } from "../../components/sections/dkim";
import { ageInDays } from "../../components/sections/dkim/selectors";
import { planRotation, type RotationStep } from "../rotationPlan";
import { isoDate, type SelectorState, type StackKeys } from "../stackKeys";
import type { Sighting } from "./evidence";
import { revokeEvidence } from "./evidence";

/** The steps of a rotation, by the names `status` and `rotate --due` use. */
export const ROTATION_STEP_NAMES = ["start", "activate", "revoke", "remove"] as const;
export type RotationStepName = (typeof ROTATION_STEP_NAMES)[number];

/** What is due for one key line (the selectors of one algorithm). */
export interface LineDue {
  readonly algorithm: DkimAlgorithm;
  readonly due: boolean;
  readonly next: RotationStepName | null;
  /** ISO date (YYYY-MM-DD, UTC) from which `next` is due by the calendar. */
  readonly notBefore?: string;
  readonly reason: string;
  /** The rotate step `next` is, when it is due. */
  readonly step?: Exclude<RotationStep, { kind: "refuse" }>;
  /** rotate refuses every step until a person fixes the selectors. */
  readonly blocked: boolean;
}

export interface DueSettings {
  /** `dkim.maxKeyAgeDays` of the stack. */
  readonly maxKeyAgeDays: number;
  /** Days a retired key stays published before it may be revoked (rotate --overlap-days). */
  readonly overlapDays: number;
  readonly now: Date;
  /**
   * DMARC aggregate report sightings for the stack's domain, or undefined when no reports were
   * given (then revoke waits for an approval).
   */
  readonly sightings: readonly Sighting[] | undefined;
  /** A person approved revoking the retired key without report evidence (`--approve-revoke`). */
  readonly revokeApproved: boolean;
}

/** The key lines a stack rotates itself: algorithms with selectors of its own (not CNAMEs). */
export function keyLines(keys: StackKeys): DkimAlgorithm[] {
  return DKIM_ALGORITHMS.filter((algorithm) =>
    keys.selectors.some((s) => s.cname === undefined && s.algorithm === algorithm && s.status !== undefined),
  );
}

const dayOf = (date: string): number => Math.floor(Date.parse(date) / DAY_MS) * DAY_MS;

/** What is due for the `algorithm` line of a stack. */
export function lineDue(keys: StackKeys, algorithm: DkimAlgorithm, settings: DueSettings): LineDue {
  const { overlapDays, now } = settings;
  const step = planRotation(keys, algorithm, overlapDays, now);
  const base = { algorithm, blocked: false };
  if (step.kind === "refuse") {
    // The only refusal that passes by itself: a retired key still in its overlap.
    const early = planRotation(keys, algorithm, 0, now);
    if (early.kind === "revoke" && early.retired.retiredAt !== undefined) {
      return {
        ...base,
        due: false,
        next: "revoke",
        notBefore: isoDate(new Date(dayOf(early.retired.retiredAt) + overlapDays * DAY_MS)),
        reason: step.reason,
      };
    }
    return { ...base, blocked: true, due: false, next: null, reason: step.reason.replace(/\n\s*/g, " ") };
  }
  switch (step.kind) {
    case "generate":
      return startDue(step, settings, base);
    case "activate":
      return {
        ...base,
        due: true,
        next: "activate",
        step,
        reason: `${step.next.name} is published: it is activated once DNS serves it`,
      };
    case "revoke":
      return revokeDue(keys, step, settings, base);
    case "remove":
      return {
        ...base,
        due: true,
        next: "remove",
        step,
        reason: `${step.revoked.name} is revoked: it is removed once DNS serves its revocation`,
      };
  }
}

function startDue(
  step: Extract<RotationStep, { kind: "generate" }>,
  { maxKeyAgeDays, now }: DueSettings,
  base: { algorithm: DkimAlgorithm; blocked: boolean },
): LineDue {
  const current = step.current;
  const age = ageInDays(current.createdAt, now);
  const limit = `${keyPath(["dkim", "maxKeyAgeDays"])} ${maxKeyAgeDays}`;
  if (current.createdAt === undefined || age === undefined || Number.isNaN(age)) {
    return {
      ...base,
      due: false,
      next: "start",
      reason: `${current.name} has no createdAt, so its age is unknown: set ${keyPath(["dkim", "selectors", current.name, "createdAt"])}, or rotate by hand`,
    };
  }
  // Older than maxKeyAgeDays: from the day its age reaches maxKeyAgeDays + 1 (as the stack's warning).
  const notBefore = isoDate(new Date(dayOf(current.createdAt) + (maxKeyAgeDays + 1) * DAY_MS));
  const days = `${age} day${age === 1 ? "" : "s"} old`;
  return age > maxKeyAgeDays
    ? {
        ...base,
        due: true,
        next: "start",
        notBefore,
        step,
        reason: `${current.name} is ${days}, over ${limit}`,
      }
    : { ...base, due: false, next: "start", notBefore, reason: `${current.name} is ${days} (${limit})` };
}

function revokeDue(
  keys: StackKeys,
  step: Extract<RotationStep, { kind: "revoke" }>,
  settings: DueSettings,
  base: { algorithm: DkimAlgorithm; blocked: boolean },
): LineDue {
  const retired = step.retired;
  const retiredAt = retired.retiredAt ?? "";
  const notBefore = isoDate(new Date(dayOf(retiredAt) + settings.overlapDays * DAY_MS));
  const successor = activeOf(keys, retired.algorithm);
  if (settings.revokeApproved) {
    return {
      ...base,
      due: true,
      next: "revoke",
      notBefore,
      step,
      reason: `${retired.name} retired on ${retiredAt}; revoking it was approved (--approve-revoke)`,
    };
  }
  const evidence = revokeEvidence({
    domain: keys.domain ?? "",
    retired: retired.name,
    successor: successor?.name,
    retiredAt,
    overlapDays: settings.overlapDays,
    now: settings.now,
    sightings: settings.sightings,
  });
  return evidence.ok
    ? { ...base, due: true, next: "revoke", notBefore, step, reason: evidence.reason }
    : { ...base, due: false, next: "revoke", notBefore, reason: `waiting: ${evidence.reason}` };
}

function activeOf(keys: StackKeys, algorithm: DkimAlgorithm): SelectorState | undefined {
  return keys.selectors.find((s) => s.cname === undefined && s.algorithm === algorithm && s.status === "active");
}

/** What is due for a stack: one entry per key line, and the one `status` shows. */
export interface StackDue {
  readonly lines: readonly LineDue[];
  /** The first line that is due; else one rotate refuses; else the one due soonest; else the first. */
  readonly headline: LineDue | undefined;
}

export function stackDue(keys: StackKeys, settings: DueSettings): StackDue {
  const lines = keyLines(keys).map((algorithm) => lineDue(keys, algorithm, settings));
  const soonest = [...lines]
    .filter((l) => l.notBefore !== undefined)
    .sort((a, b) => (a.notBefore ?? "").localeCompare(b.notBefore ?? ""))[0];
  const headline = lines.find((l) => l.due) ?? lines.find((l) => l.blocked) ?? soonest ?? lines[0];
  return { lines, headline };
}
