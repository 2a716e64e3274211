/** What a change of a stack's BIMI record means: its selector, logo (l=) and certificate (a=). Pure; loaded by `diff` only. */
import type { PublishedRecord } from "../../model";
import { parseTagList } from "../../records/tagList";
import type { SectionDiff } from "../types";

interface Bimi {
  readonly selector: string;
  readonly tags: Map<string, string>;
}

const bimiOf = (records: readonly PublishedRecord[]): Bimi | undefined => {
  const record = records.find((r) => r.purpose === "bimi");
  return record === undefined ? undefined : { selector: record.selector ?? "", tags: parseTagList(record.value) };
};

const TAG_MEANING: Readonly<Record<string, (after: string | undefined) => string>> = {
  l: (after) =>
    after === undefined || after === ""
      ? "receivers have no logo to show"
      : "receivers fetch and show the new logo; with a certificate (a=) it must be the logo the certificate holds, or they show none",
  a: (after) =>
    after === undefined || after === ""
      ? "no certificate vouches for the logo any more: Gmail and Apple Mail stop showing it"
      : "receivers verify the logo against this certificate (VMC or CMC) before showing it",
};

export const bimiDiff: SectionDiff = {
  meaning({ base, head, domain }) {
    const before = bimiOf(base?.records ?? []);
    const after = bimiOf(head?.records ?? []);
    if (before === undefined && after === undefined) return { meanings: [] };
    if (after === undefined) {
      return { meanings: [`BIMI record removed: receivers show no logo beside mail from ${domain}`] };
    }
    if (before === undefined) {
      const authority = after.tags.get("a");
      const certificate = authority === undefined ? "without a certificate" : `certified by ${authority}`;
      return {
        meanings: [
          `BIMI record added: receivers may show the logo ${after.tags.get("l") ?? ""} beside mail from ${domain}, ${certificate}`,
        ],
      };
    }
    const meanings: string[] = [];
    if (before.selector !== after.selector) {
      meanings.push(
        `BIMI selector: ${before.selector} → ${after.selector}: the record moves to ${after.selector}._bimi.${domain}; ` +
          (after.selector === "default"
            ? "receivers find it for every message"
            : `receivers find it only for messages whose BIMI-Selector header names ${after.selector}`),
      );
    }
    for (const tag of [...new Set([...before.tags.keys(), ...after.tags.keys()])]) {
      const b = before.tags.get(tag);
      const a = after.tags.get(tag);
      if (tag === "v" || b === a) continue;
      const change = `BIMI ${tag}: ${b ?? "(not set)"} → ${a ?? "(not set)"}`;
      const meaning = TAG_MEANING[tag];
      meanings.push(meaning === undefined ? change : `${change}: ${meaning(a)}`);
    }
    return { meanings };
  },
};
