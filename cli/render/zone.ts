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

/** One stack's zone text, ending in a newline. */
export function renderZone(plan: StackPlan): string {
  const names = plan.records.map((record) => relativeName(record.name, plan.domain));
  const width = Math.max(0, ...names.map((name) => name.length));
  const lines = [`; stack ${plan.stack}: ${plan.provider} zone ${plan.zoneId}`, `$ORIGIN ${plan.domain}.`];
  plan.records.forEach((record, index) => {
    lines.push(`${(names[index] ?? "").padEnd(width)} ${record.ttl} IN ${record.type.padEnd(5)} ${rdata(record)}`);
  });
  return `${lines.join("\n")}\n`;
}
