/** SPF record builder (RFC 7208). Pure, no Pulumi imports. */
import { isIPv4, isIPv6 } from "node:net";
import type { SpfAll, SpfConfig } from "./schema";

/** The qualifier of the final `all` (RFC 7208 §4.6.2). */
export const SPF_ALL_QUALIFIERS: Readonly<Record<SpfAll, string>> = { fail: "-", softfail: "~", neutral: "?" };

/** RFC 7208 §4.6.4: more than 10 DNS-querying terms in one evaluation is a permerror. */
export const SPF_MAX_LOOKUPS = 10;
/** RFC 7208 §3.4: owner name plus all TXT text under 450 octets keeps the answer in one UDP packet. */
export const SPF_UDP_BUDGET = 450;
/** What a domain that sends no mail publishes: no host may send for it (RFC 7208 §4.6.2, `-all`). */
export const PARKED_SPF = "v=spf1 -all";
/**
 * RFC 7505 §3: preference 0 and the root as exchange: the domain accepts no mail. A domain that sends
 * none publishes it beside SPF's `-all`: mail from a domain with a null MX cannot be answered, and
 * receivers may refuse it (RFC 7505 §4.2).
 */
export const NULL_MX = "0 .";

/**
 * The record, terms in a fixed order: address mechanisms first because they cost no DNS lookup, then
 * `a`, `mx`, `include`, `exists`, and last `all` or `redirect=` (RFC 7208 §5.1, §6.1: nothing after
 * `all` is evaluated; a record ends in one or the other, never both).
 */
export function buildSpfValue(spf: SpfConfig): string {
  const terms = ["v=spf1"];
  for (const ip of spf.ip4) terms.push(`ip4:${ip}`);
  for (const ip of spf.ip6) terms.push(`ip6:${ip}`);
  if (spf.a) terms.push("a");
  if (spf.mx) terms.push("mx");
  for (const domain of spf.include) terms.push(`include:${domain}`);
  for (const domain of spf.exists) terms.push(`exists:${domain}`);
  if (spf.all !== undefined) terms.push(`${SPF_ALL_QUALIFIERS[spf.all]}all`);
  else if (spf.redirect !== undefined) terms.push(`redirect=${spf.redirect}`);
  return terms.join(" ");
}

/**
 * DNS lookups this record costs by itself: `a`, `mx`, each `include` and `exists`, and `redirect`
 * (RFC 7208 §4.6.4). Includes cost their own record's lookups on top, which only live DNS can count.
 */
export function countSpfLookups(spf: Pick<SpfConfig, "a" | "mx" | "include" | "exists" | "redirect">): number {
  return (
    (spf.a ? 1 : 0) + (spf.mx ? 1 : 0) + spf.include.length + spf.exists.length + (spf.redirect === undefined ? 0 : 1)
  );
}

/** What is wrong with an `ip4` entry (RFC 7208 §5.6: address, optional /0–32), or undefined. */
export function ip4Problem(value: string): string | undefined {
  const [address = "", prefix, extra] = value.split("/");
  if (extra !== undefined || !isIPv4(address)) return "not an IPv4 address or CIDR range";
  if (prefix !== undefined && !(/^[0-9]{1,2}$/.test(prefix) && Number(prefix) <= 32)) {
    return "prefix length must be 0–32";
  }
  return undefined;
}

/** What is wrong with an `ip6` entry (RFC 7208 §5.6: address, optional /0–128), or undefined. */
export function ip6Problem(value: string): string | undefined {
  const [address = "", prefix, extra] = value.split("/");
  if (extra !== undefined || address.includes("%") || !isIPv6(address)) return "not an IPv6 address or CIDR range";
  if (address !== address.toLowerCase()) return `must be lower case; use "${value.toLowerCase()}"`;
  if (prefix !== undefined && !(/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= 128)) {
    return "prefix length must be 0–128";
  }
  return undefined;
}
