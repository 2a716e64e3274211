/**
 * The semantic diff of one stack: which records change and what that means for mail, plus the safety
 * gates a pull request must pass (issue #4). Pure.
 */
import {
  SPF_ALL_QUALIFIERS,
  type DkimSelectorConfig,
  type PublishedRecord,
  type SenderAuthConfig,
  type SpfConfig,
} from "../../components/model";
import { parseTagList } from "../../components/records/dkim";
import { countSpfLookups, SPF_MAX_LOOKUPS } from "../../components/records/spf";
import { dmarcTagMeaning } from "./dmarc";
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

/** TTL, zone and provider changes touch every record even when no value changes. */
function dnsMeanings(base: SenderAuthConfig | undefined, head: SenderAuthConfig | undefined): string[] {
  if (base === undefined || head === undefined) return [];
  const out: string[] = [];
  if (base.dns.provider !== head.dns.provider) {
    out.push(
      `provider: ${base.dns.provider} → ${head.dns.provider}: every record is created on the new provider and deleted on the old one`,
    );
  }
  if (base.dns.zoneId !== head.dns.zoneId) {
    out.push(`zone: ${base.dns.zoneId} → ${head.dns.zoneId}: every record moves to the new zone`);
  }
  if (base.dns.ttl !== head.dns.ttl) {
    out.push(
      `TTL: ${base.dns.ttl} → ${head.dns.ttl} on every record${head.dns.ttl > base.dns.ttl ? "" : `; caches may keep old answers for up to ${base.dns.ttl} s`}`,
    );
  }
  return out;
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

const ALL_VERB = { fail: "fails SPF", softfail: "softfails SPF", neutral: "gets SPF neutral" } as const;
const ALL_VERB_PLURAL = { fail: "fail SPF", softfail: "softfail SPF", neutral: "get SPF neutral" } as const;

function spfOf(config: SenderAuthConfig | undefined): SpfConfig | undefined {
  if (config?.parked === true) {
    return { ip4: [], ip6: [], a: false, mx: false, include: [], exists: [], all: "fail", redirect: undefined };
  }
  return config?.spf;
}

/** How strictly `all` treats unlisted hosts; a lower rank after a change weakens SPF. */
const ALL_RANK = { neutral: 0, softfail: 1, fail: 2 } as const;

function spfMeanings(base: SpfConfig | undefined, head: SpfConfig | undefined, weakening: string[]): string[] {
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

function describeKey(selector: DkimSelectorConfig): string {
  if (selector.cname !== undefined) return `cname ${selector.cname}`;
  if (selector.key === undefined) return "no key";
  return `${selector.key.algorithm} ${selector.key.bits}`;
}

/** A selector that signs or may sign: active with a key or a CNAME. */
const signs = (selector: DkimSelectorConfig): boolean =>
  selector.status === "active" && (selector.publicKey !== undefined || selector.cname !== undefined);

function dkimMeanings(
  base: SenderAuthConfig | undefined,
  head: SenderAuthConfig | undefined,
  unsafe: string[],
): string[] {
  const out: string[] = [];
  const before = new Map((base?.dkim?.selectors ?? []).map((s) => [s.name, s]));
  const after = new Map((head?.dkim?.selectors ?? []).map((s) => [s.name, s]));
  for (const [name, b] of before) {
    const a = after.get(name);
    if (a === undefined) {
      out.push(`DKIM ${name} removed (was ${b.status})`);
      if (b.status === "active" || b.status === "published") {
        unsafe.push(
          `DKIM ${name} was ${b.status} and disappears without having been revoked first: mail signed with it fails DKIM at once; revoke it first (sender-auth rotate)`,
        );
      }
      continue;
    }
    if (b.status !== a.status) out.push(`DKIM ${name}: ${b.status} → ${a.status}`);
    if (b.publicKey !== a.publicKey && b.publicKey !== undefined && a.publicKey !== undefined) {
      out.push(
        `DKIM ${name}: key replaced (SHA-256 ${b.key?.fingerprint.slice(0, 16) ?? "?"}… → ${a.key?.fingerprint.slice(0, 16) ?? "?"}…); a new key should get a new selector (RFC 6376 §3.1)`,
      );
    }
    if (b.cname !== a.cname) out.push(`DKIM ${name}: cname ${b.cname ?? "(none)"} → ${a.cname ?? "(none)"}`);
  }
  for (const [name, a] of after) {
    if (before.has(name)) continue;
    out.push(`DKIM ${name} added (${describeKey(a)}, ${a.status})`);
    if (a.status === "active") {
      unsafe.push(
        `DKIM ${name} is added as active: its key is not published yet, so mail signed with it fails DKIM until DNS serves it; add it as published and activate it in a later change (sender-auth rotate)`,
      );
    }
  }
  const signedBefore = [...before.values()].some(signs);
  const signsAfter = [...after.values()].some(signs);
  if (signedBefore && !signsAfter && head !== undefined && !head.parked) {
    unsafe.push(
      "the domain signed mail (an active selector) and no longer does: its mail goes out unsigned and fails DMARC alignment through DKIM",
    );
  }
  return out;
}

/** The tags of the DMARC record (DKIM tag-list syntax, RFC 7489 §6.3). */
function dmarcTags(records: readonly PublishedRecord[]): Map<string, string> | undefined {
  const record = records.find((r) => r.purpose === "dmarc");
  return record === undefined ? undefined : parseTagList(record.value);
}

function dmarcMeanings(
  base: StackSide | undefined,
  head: StackSide | undefined,
  domain: string,
  unsafe: string[],
  weakening: string[],
): string[] {
  const before = dmarcTags(base?.records ?? []);
  const after = dmarcTags(head?.records ?? []);
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [`DMARC record added: p=${after?.get("p") ?? "?"}`];
  if (after === undefined) {
    const removed = "DMARC record removed: receivers apply no policy and send no reports";
    weakening.push(removed);
    return [removed];
  }
  const out: string[] = [];
  for (const tag of [...new Set([...before.keys(), ...after.keys()])]) {
    if (tag === "v") continue;
    const b = before.get(tag);
    const a = after.get(tag);
    if (b === a) continue;
    const change = `DMARC ${tag}: ${b ?? "(not set)"} → ${a ?? "(not set)"}`;
    const meaning = dmarcTagMeaning(tag, before, after, domain);
    const text = meaning === undefined ? change : `${change}: ${meaning.text}`;
    out.push(text);
    if (meaning?.weakens === true) weakening.push(text);
  }
  if (before.get("p") === "none" && after.get("p") === "reject") {
    unsafe.push(
      "DMARC p moves from none straight to reject: mail that fails authentication is rejected without a quarantine stage; go through quarantine (or testing: true) first",
    );
  }
  return out;
}

/** Compares one stack's base and head sides. */
export function diffStack(stack: string, base: StackSide | undefined, head: StackSide | undefined): StackDiff {
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
  const spfBefore = spfOf(base?.config);
  const spfAfter = spfOf(head?.config);
  if (!(base?.config?.parked === true && head?.config?.parked === true)) {
    meanings.push(...spfMeanings(spfBefore, spfAfter, weakening));
  }
  meanings.push(...dnsMeanings(base?.config, head?.config));
  meanings.push(...dkimMeanings(base?.config, head?.config, unsafe));
  meanings.push(...dmarcMeanings(base, head, domain ?? stack, unsafe, weakening));
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
