/** What a change of a stack's TLS-RPT record means (RFC 8460): its report destinations. Pure; loaded by `diff` only. */
import type { PublishedRecord } from "../../model";
import type { SectionDiff } from "../types";
import { ruaOf } from "./records";

const ruaOfRecords = (records: readonly PublishedRecord[]): string[] | undefined => {
  const record = records.find((r) => r.purpose === "tls-rpt");
  return record === undefined ? undefined : (ruaOf(record.value) ?? []);
};

export const tlsRptDiff: SectionDiff = {
  meaning({ base, head, domain }) {
    const before = ruaOfRecords(base?.records ?? []);
    const after = ruaOfRecords(head?.records ?? []);
    if (before === undefined && after === undefined) return { meanings: [] };
    if (before === undefined) {
      return {
        meanings: [
          `TLS-RPT record added: sending servers report failed TLS sessions to ${domain}'s MX hosts to ${(after ?? []).join(", ")}`,
        ],
      };
    }
    if (after === undefined) {
      const removed =
        "TLS-RPT record removed: nobody hears of failed TLS sessions (MTA-STS or certificate failures) any more";
      return { meanings: [removed], weakening: [removed] };
    }
    const removed = before.filter((uri) => !after.includes(uri));
    const added = after.filter((uri) => !before.includes(uri));
    if (removed.length === 0 && added.length === 0) {
      return before.join(",") === after.join(",")
        ? { meanings: [] }
        : {
            meanings: [
              `TLS-RPT rua: ${before.join(",")} → ${after.join(",")}: the same destinations, in another order`,
            ],
          };
    }
    const parts: string[] = [];
    if (removed.length > 0) parts.push(`TLS reports no longer go to ${removed.join(", ")}`);
    if (added.length > 0) parts.push(`TLS reports now also go to ${added.join(", ")}`);
    const text = `TLS-RPT rua: ${before.join(",")} → ${after.join(",")}: ${parts.join("; ")}`;
    return { meanings: [text], weakening: removed.length > 0 ? [text] : [] };
  },
};
