/** What a change of a stack's DKIM selectors means for mail (RFC 6376). Pure; loaded by `diff` only. */
import type { SectionDiff } from "../types";
import type { DkimSelector } from "./selectors";

function describeKey(selector: DkimSelector): string {
  if (selector.cname !== undefined) return `cname ${selector.cname}`;
  if (selector.key === undefined) return "no key";
  return `${selector.key.algorithm} ${selector.key.bits}`;
}

/** A selector that signs or may sign: active with a key or a CNAME. */
const signs = (selector: DkimSelector): boolean =>
  selector.status === "active" && (selector.publicKey !== undefined || selector.cname !== undefined);

export const dkimDiff: SectionDiff = {
  meaning({ base, head }) {
    const meanings: string[] = [];
    const unsafe: string[] = [];
    const before = new Map((base?.config.dkim?.selectors ?? []).map((s) => [s.name, s]));
    const after = new Map((head?.config.dkim?.selectors ?? []).map((s) => [s.name, s]));
    for (const [name, b] of before) {
      const a = after.get(name);
      if (a === undefined) {
        meanings.push(`DKIM ${name} removed (was ${b.status})`);
        if (b.status === "active" || b.status === "published") {
          unsafe.push(
            `DKIM ${name} was ${b.status} and disappears without having been revoked first: mail signed with it ` +
              "fails DKIM at once; revoke it first (sender-auth rotate)",
          );
        }
        continue;
      }
      if (b.status !== a.status) meanings.push(`DKIM ${name}: ${b.status} → ${a.status}`);
      if (b.publicKey !== a.publicKey && b.publicKey !== undefined && a.publicKey !== undefined) {
        meanings.push(
          `DKIM ${name}: key replaced (SHA-256 ${b.key?.fingerprint.slice(0, 16) ?? "?"}… → ` +
            `${a.key?.fingerprint.slice(0, 16) ?? "?"}…); a new key should get a new selector (RFC 6376 §3.1)`,
        );
      }
      if (b.cname !== a.cname) meanings.push(`DKIM ${name}: cname ${b.cname ?? "(none)"} → ${a.cname ?? "(none)"}`);
    }
    for (const [name, a] of after) {
      if (before.has(name)) continue;
      meanings.push(`DKIM ${name} added (${describeKey(a)}, ${a.status})`);
      if (a.status === "active") {
        unsafe.push(
          `DKIM ${name} is added as active: its key is not published yet, so mail signed with it fails DKIM ` +
            "until DNS serves it; add it as published and activate it in a later change (sender-auth rotate)",
        );
      }
    }
    const signedBefore = [...before.values()].some(signs);
    const signsAfter = [...after.values()].some(signs);
    if (signedBefore && !signsAfter && head !== undefined && !head.config.parked) {
      unsafe.push(
        "the domain signed mail (an active selector) and no longer does: its mail goes out unsigned and fails " +
          "DMARC alignment through DKIM",
      );
    }
    return { meanings, unsafe };
  },
};
