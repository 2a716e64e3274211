/**
 * The pure decisions of a DKIM key rotation (rotate's steps, cli/commands/rotate.ts): which one step
 * the selectors of an algorithm call for, and whether step 1 may start a new rotation. Kept apart from
 * rotate's key generation, DNS lookups and Pulumi CLI edits so that `status` (cli/status/due.ts), which
 * shows the same decision, loads none of those, in its own thread or in a worker thread (issue #14).
 */
import { DAY_MS } from "../components/clock";
import type { DkimAlgorithm } from "../components/sections/dkim";
import { KEY_TYPES, type KeyType } from "../components/sections/dkim/keys";
import { ageInDays } from "../components/sections/dkim/selectors";
import { isoDate, selectorPath, type SelectorState, type StackKeys } from "./stackKeys";

/** Default wait between retiring a key and revoking it: mail signed with it may still be in flight. */
export const DEFAULT_OVERLAP_DAYS = 7;

/** Longer than any key should stay retired; also keeps every date computed from it valid. */
export const MAX_OVERLAP_DAYS = 3650;

export type RotationStep =
  | { readonly kind: "generate"; readonly current: SelectorState; readonly keyType: KeyType }
  | { readonly kind: "activate"; readonly next: SelectorState; readonly current: SelectorState | undefined }
  | { readonly kind: "revoke"; readonly retired: SelectorState }
  | { readonly kind: "remove"; readonly revoked: SelectorState }
  | { readonly kind: "refuse"; readonly reason: string };

const byAge = (a: SelectorState, b: SelectorState): number =>
  (a.createdAt ?? a.name).localeCompare(b.createdAt ?? b.name) || a.name.localeCompare(b.name);

/** Decides the one step to take for the selectors of `algorithm` (pure). */
export function planRotation(keys: StackKeys, algorithm: DkimAlgorithm, overlapDays: number, now: Date): RotationStep {
  const own = keys.selectors.filter((s) => s.cname === undefined && s.algorithm === algorithm);
  const revoked = own.filter((s) => s.status === "revoked");
  const first = revoked[0];
  if (first !== undefined) return { kind: "remove", revoked: first };
  const retired = own
    .filter((s) => s.status === "retired")
    .sort((a, b) => (a.retiredAt ?? "").localeCompare(b.retiredAt ?? ""));
  const oldest = retired[0];
  if (oldest !== undefined) {
    if (oldest.retiredAt === undefined || Number.isNaN(Date.parse(oldest.retiredAt))) {
      return {
        kind: "refuse",
        reason:
          `${oldest.name} is retired but has no retiredAt date, so its overlap cannot be checked; ` +
          `set it with\n  pulumi config set --path '${selectorPath(oldest.name, "retiredAt")}' <YYYY-MM-DD> --stack ${keys.stack}`,
      };
    }
    const due = new Date(Date.parse(oldest.retiredAt) + overlapDays * DAY_MS);
    if (now < due) {
      return {
        kind: "refuse",
        reason:
          `${oldest.name} was retired on ${oldest.retiredAt}; mail signed with it may still be in flight, ` +
          `so it can be revoked from ${isoDate(due)} (--overlap-days ${overlapDays})`,
      };
    }
    return { kind: "revoke", retired: oldest };
  }
  const active = own.filter((s) => s.status === "active" && s.publicKey !== undefined).sort(byAge);
  if (active.length > 1) {
    return {
      kind: "refuse",
      reason: `${active.map((s) => s.name).join(" and ")} are all active ${algorithm} selectors; retire all but one by hand before rotating`,
    };
  }
  const current = active[0];
  const published = own.filter((s) => s.status === "published" && s.publicKey !== undefined).sort(byAge);
  const newest = published[published.length - 1];
  if (newest !== undefined) {
    if (current !== undefined && byAge(newest, current) < 0) {
      return {
        kind: "refuse",
        reason: `${newest.name} is published but older than the active ${current.name}; activating it would roll back: revoke or remove it by hand`,
      };
    }
    return { kind: "activate", next: newest, current };
  }
  if (current === undefined) {
    return {
      kind: "refuse",
      reason: `stack ${keys.stack} has no active ${algorithm} key to rotate: create one with npx sender-auth keygen ${keys.stack}`,
    };
  }
  const bits = current.key?.bits;
  const keyType =
    algorithm === "ed25519" ? "ed25519" : (KEY_TYPES.find((t) => t === `rsa-${String(bits)}`) ?? "rsa-2048");
  return { kind: "generate", current, keyType: keyType === "rsa-1024" ? "rsa-2048" : keyType };
}

export type RotationStart =
  | { readonly start: true; /** Why a new rotation starts, for the step's first line. */ readonly why: string }
  | { readonly start: false; readonly reason: string };

/**
 * Whether step 1 may start a new rotation of `current` (pure). Right after a rotation finished (a
 * selector was removed on or after the day `current` was created, so `current` came in through it) a
 * new one starts only when `current` is due (older than `maxKeyAgeDays`, the age at which validation
 * warns) or with `force`; otherwise running `rotate` once more would silently start the next rotation
 * (issue 12).
 */
export function rotationStart(
  keys: StackKeys,
  current: SelectorState,
  maxKeyAgeDays: number,
  force: boolean,
  now: Date,
): RotationStart {
  const created = current.createdAt === undefined ? Number.NaN : Date.parse(current.createdAt);
  const age = Number.isNaN(created) ? undefined : ageInDays(current.createdAt, now);
  const maxAge = `sender-auth:dkim.maxKeyAgeDays (${maxKeyAgeDays})`;
  if (age !== undefined && age > maxKeyAgeDays) {
    return { start: true, why: `${current.name} is ${age} days old, over ${maxAge}: a new rotation starts` };
  }
  const since = Number.isNaN(created) ? "" : isoDate(new Date(created));
  const last = [...keys.removedSelectors]
    .filter(([, date]) => date >= since)
    .sort(([a, x], [b, y]) => x.localeCompare(y) || a.localeCompare(b))
    .at(-1);
  if (last === undefined) return { start: true, why: `${current.name} is active and nothing newer exists` };
  const [removed, removedOn] = last;
  const dueFrom = Number.isNaN(created) ? undefined : isoDate(new Date(created + (maxKeyAgeDays + 1) * DAY_MS));
  const due =
    dueFrom === undefined
      ? `its age is unknown (no createdAt), so it is never due by ${maxAge}`
      : `it is ${String(age)} days old and due for rotation from ${dueFrom} (over ${maxAge})`;
  if (force) {
    return {
      start: true,
      why:
        `a rotation finished on ${removedOn} (${removed} removed); ` +
        `--force starts a new one although ${current.name} is not due: ${due}`,
    };
  }
  return {
    start: false,
    reason:
      `a rotation of stack ${keys.stack} just finished on ${removedOn}: ${removed} was removed and ` +
      `${current.name} is the active key; ${due}. Not starting a new rotation: ` +
      `npx sender-auth rotate ${keys.stack} --force starts one now anyway ` +
      `(step 1: a new selector, status published, beside ${current.name})`,
  };
}
