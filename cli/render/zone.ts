/** BIND master-file rendering of planned records (RFC 1035 §5): `$ORIGIN`, explicit TTLs, TXT split at 255. */
import type { PublishedRecord } from "../../components/model";
import { quoteCharacterStrings, splitCharacterStrings } from "../../components/records/txt";
import type { StackPlan } from "../mockRun";

/** Owner name relative to the origin (`@` for the apex). */
function relativeName(name: string, domain: string): string {
  return name === domain ? "@" : name.slice(0, -(domain.length + 1));
}

function rdata(record: PublishedRecord): string {
  switch (record.type) {
    case "TXT":
      return quoteCharacterStrings(splitCharacterStrings(record.value));
    case "CNAME":
      return `${record.value}.`;
    case "MX": {
      const [preference, exchange = "."] = record.value.split(" ");
      return `${preference ?? "0"} ${exchange === "." ? "." : `${exchange}.`}`;
    }
  }
}

/** The comment line naming the stack, its provider and zone. */
export function zoneComment(plan: StackPlan): string {
  return `; stack ${plan.stack}: ${plan.provider} zone ${plan.zoneId}`;
}

/** Width of the owner-name column: the longest relative name (at least `@`). */
export function ownerWidth(plan: StackPlan): number {
  return Math.max(1, ...plan.records.map((record) => relativeName(record.name, plan.domain).length));
}

/** One line per record: relative owner, explicit TTL, class, type, rdata. */
export function zoneRecordLines(plan: StackPlan): string[] {
  const width = ownerWidth(plan);
  return plan.records.map(
    (record) =>
      `${relativeName(record.name, plan.domain).padEnd(width)} ${record.ttl} IN ${record.type.padEnd(5)} ${rdata(record)}`,
  );
}

/** One stack's zone text, ending in a newline. */
export function renderZone(plan: StackPlan): string {
  return `${[zoneComment(plan), `$ORIGIN ${plan.domain}.`, ...zoneRecordLines(plan)].join("\n")}\n`;
}
