/**
 * A complete zone file per stack that BIND loads as it is (`plan --format bind`, issue #12): the zone
 * text of `--format zone` with the SOA and NS records a zone needs (RFC 1035 §5.2) in front. Their
 * values are placeholders: the zone is for serving the planned records locally (`named`, then
 * `sender-auth check --resolver`), never for publishing.
 */
import type { StackPlan } from "../mockRun";
import { ownerWidth, zoneComment, zoneRecordLines } from "./zone";

/**
 * The placeholder SOA and NS values. Names under `.invalid` (RFC 6761 §6.4) never resolve, so nobody
 * mistakes them for a real server or mailbox.
 */
export const BIND_PLACEHOLDERS = {
  /** SOA MNAME and the apex NS target. */
  nameServer: "ns.invalid.",
  /** SOA RNAME (hostmaster@invalid). */
  mailbox: "hostmaster.invalid.",
  serial: 1,
  refresh: 3600,
  retry: 600,
  expire: 604800,
  /** Negative-caching TTL (RFC 2308 §4). */
  negativeTtl: 300,
} as const;

/** Default TTL (`$TTL`) when a stack publishes no record to take it from. */
const DEFAULT_TTL = 3600;

/** One stack's zone file, ending in a newline. */
export function renderBind(plan: StackPlan): string {
  const p = BIND_PLACEHOLDERS;
  const ttl = plan.records[0]?.ttl ?? DEFAULT_TTL;
  // Laid out like the record lines below: owner column, explicit TTL, type padded to 5.
  const apex = `${"@".padEnd(ownerWidth(plan))} ${ttl} IN`;
  return `${[
    zoneComment(plan),
    "; SOA and NS are placeholders so that BIND loads this file (`sender-auth plan --format bind`); not for publishing",
    `$ORIGIN ${plan.domain}.`,
    `$TTL ${ttl}`,
    `${apex} SOA   ${p.nameServer} ${p.mailbox} ( ${p.serial} ${p.refresh} ${p.retry} ${p.expire} ${p.negativeTtl} )`,
    `${apex} NS    ${p.nameServer}`,
    ...zoneRecordLines(plan),
  ].join("\n")}\n`;
}
