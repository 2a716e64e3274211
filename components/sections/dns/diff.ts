/** What a change of `sender-auth:dns` means: provider, zone and TTL changes touch every record. Pure. */
import type { SectionDiff } from "../types";

export const dnsDiff: SectionDiff = {
  meaning({ base, head }) {
    if (base === undefined || head === undefined) return { meanings: [] };
    const before = base.config.dns;
    const after = head.config.dns;
    const meanings: string[] = [];
    if (before.provider !== after.provider) {
      meanings.push(
        `provider: ${before.provider} → ${after.provider}: ` +
          "every record is created on the new provider and deleted on the old one",
      );
    }
    if (before.zoneId !== after.zoneId) {
      meanings.push(`zone: ${before.zoneId} → ${after.zoneId}: every record moves to the new zone`);
    }
    if (before.ttl !== after.ttl) {
      const caches = after.ttl > before.ttl ? "" : `; caches may keep old answers for up to ${before.ttl} s`;
      meanings.push(`TTL: ${before.ttl} → ${after.ttl} on every record${caches}`);
    }
    return { meanings };
  },
};
