/**
 * What a change of a stack's DMARC record means for mail: each tag that changes, read from the
 * records as receivers read them (tagMeanings.ts). Pure; loaded by `diff` only.
 */
import type { PublishedRecord } from "../../model";
import { parseTagList } from "../../records/tagList";
import type { SectionDiff } from "../types";
import { dmarcTagMeaning } from "./tagMeanings";

/** The tags of the DMARC record (DKIM tag-list syntax, RFC 7489 §6.3). */
function dmarcTags(records: readonly PublishedRecord[]): Map<string, string> | undefined {
  const record = records.find((r) => r.purpose === "dmarc");
  return record === undefined ? undefined : parseTagList(record.value);
}

export const dmarcDiff: SectionDiff = {
  meaning({ base, head, domain }) {
    const before = dmarcTags(base?.records ?? []);
    const after = dmarcTags(head?.records ?? []);
    if (before === undefined && after === undefined) return { meanings: [] };
    if (before === undefined) return { meanings: [`DMARC record added: p=${after?.get("p") ?? "?"}`] };
    if (after === undefined) {
      const removed = "DMARC record removed: receivers apply no policy and send no reports";
      return { meanings: [removed], weakening: [removed] };
    }
    const meanings: string[] = [];
    const weakening: string[] = [];
    for (const tag of [...new Set([...before.keys(), ...after.keys()])]) {
      if (tag === "v") continue;
      const b = before.get(tag);
      const a = after.get(tag);
      if (b === a) continue;
      const change = `DMARC ${tag}: ${b ?? "(not set)"} → ${a ?? "(not set)"}`;
      const meaning = dmarcTagMeaning(tag, before, after, domain);
      const text = meaning === undefined ? change : `${change}: ${meaning.text}`;
      meanings.push(text);
      if (meaning?.weakens === true) weakening.push(text);
    }
    const unsafe =
      before.get("p") === "none" && after.get("p") === "reject"
        ? [
            "DMARC p moves from none straight to reject: mail that fails authentication is rejected without a " +
              "quarantine stage; go through quarantine (or testing: true) first",
          ]
        : [];
    return { meanings, weakening, unsafe };
  },
};
