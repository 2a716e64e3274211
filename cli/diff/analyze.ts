/**
 * The semantic diff of one stack: which records change and what that means for mail, plus the safety
 * gates a pull request must pass (issue #4). Pure.
 */
import type { PublishedRecord } from "../../components/model";
import { SECTIONS } from "../../components/sections";
import type { AnySection, DiffSide } from "../../components/sections/types";
import type { StackSide } from "./sides";

/** A deletion of more than this share of a stack's records is unsafe. */
export const MAX_DELETED_SHARE = 0.3;

export interface RecordChange {
  readonly change: "added" | "removed" | "changed";
  readonly name: string;
  readonly type: string;
  readonly before?: string;
  readonly after?: string;
}

export interface StackDiff {
  readonly stack: string;
  /** `invalid`: one side's config is invalid, so the stack is not compared (its errors are in `errors`). */
  readonly status: "added" | "removed" | "changed" | "unchanged" | "invalid";
  readonly domain: string | undefined;
  readonly records: readonly RecordChange[];
  /** What the change means for mail, one sentence each. */
  readonly meanings: readonly string[];
  /** The meanings (each also in `meanings`) that weaken the domain's protection or its reports. */
  readonly weakening: readonly string[];
  /** Why the change is unsafe; empty when it is safe. */
  readonly unsafe: readonly string[];
  /** Config problems of either side (a base-side problem is reported, not fatal). */
  readonly errors: readonly string[];
}

function recordKey(record: PublishedRecord): string {
  return `${record.name} ${record.type}`;
}

/** Records added, removed and changed, by owner name and type. */
export function recordChanges(base: readonly PublishedRecord[], head: readonly PublishedRecord[]): RecordChange[] {
  const group = (records: readonly PublishedRecord[]): Map<string, PublishedRecord[]> => {
    const map = new Map<string, PublishedRecord[]>();
    for (const record of records) map.set(recordKey(record), [...(map.get(recordKey(record)) ?? []), record]);
    return map;
  };
  const before = group(base);
  const after = group(head);
  const changes: RecordChange[] = [];
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = (before.get(key) ?? []).map((r) => r.value);
    const a = (after.get(key) ?? []).map((r) => r.value);
    const sample = (before.get(key) ?? after.get(key) ?? [])[0];
    if (sample === undefined) continue;
    const { name, type } = sample;
    if (b.length === 1 && a.length === 1) {
      if (b[0] !== a[0]) changes.push({ change: "changed", name, type, before: b[0] ?? "", after: a[0] ?? "" });
      continue;
    }
    for (const value of b.filter((v) => !a.includes(v))) changes.push({ change: "removed", name, type, before: value });
    for (const value of a.filter((v) => !b.includes(v))) changes.push({ change: "added", name, type, after: value });
  }
  return changes;
}

/** A side as the families' diffs read it: a valid config and its records (an invalid side is not compared). */
function diffSide(side: StackSide | undefined): DiffSide | undefined {
  return side?.config === undefined ? undefined : { config: side.config, records: side.records };
}

/** Compares one stack's base and head sides. */
export function diffStack(
  stack: string,
  base: StackSide | undefined,
  head: StackSide | undefined,
  sections: readonly AnySection[] = SECTIONS,
): StackDiff {
  const domain = head?.config?.domain ?? base?.config?.domain;
  const errors = [...(base?.errors ?? []).map((e) => `base: ${e}`), ...(head?.errors ?? [])];
  // An invalid side has no records to compare: diffing it would report every record as deleted.
  if ((base !== undefined && base.config === undefined) || (head !== undefined && head.config === undefined)) {
    return { stack, status: "invalid", domain, records: [], meanings: [], weakening: [], unsafe: [], errors };
  }
  const records = recordChanges(base?.records ?? [], head?.records ?? []);
  const unsafe: string[] = [];
  const weakening: string[] = [];
  const meanings: string[] = [];
  if (base === undefined) meanings.push(`new stack ${stack}${domain === undefined ? "" : ` (${domain})`}`);
  if (head === undefined) {
    meanings.push(`stack ${stack} removed: its records stay in DNS until \`pulumi destroy --stack ${stack}\``);
  }
  if (base?.config?.parked !== head?.config?.parked && base?.config !== undefined && head?.config !== undefined) {
    meanings.push(`parked: ${String(base.config.parked)} → ${String(head.config.parked)}`);
  }
  const change = { base: diffSide(base), head: diffSide(head), domain: domain ?? stack };
  for (const section of sections) {
    const meaning = section.diff?.().meaning(change);
    meanings.push(...(meaning?.meanings ?? []));
    weakening.push(...(meaning?.weakening ?? []));
    unsafe.push(...(meaning?.unsafe ?? []));
  }
  const baseCount = base?.records.length ?? 0;
  const removed = records.filter((r) => r.change === "removed").length;
  if (baseCount > 0 && removed / baseCount > MAX_DELETED_SHARE) {
    unsafe.push(
      `deletes ${removed} of ${baseCount} records (${Math.round((removed / baseCount) * 100)}%, over ${MAX_DELETED_SHARE * 100}%)`,
    );
  }
  const status =
    base === undefined
      ? "added"
      : head === undefined
        ? "removed"
        : records.length === 0 && meanings.length === 0
          ? "unchanged"
          : "changed";
  return { stack, status, domain, records, meanings, weakening, unsafe, errors };
}
