/**
 * `sender-auth:dns`: where the records go. The provider and its zone, the TTL of every record, and
 * the apex TXT values sender-auth must keep although it does not own them (verification tokens).
 * What each provider accepts (zone-ID form, TTL range, limits) is the provider's (providers/).
 */
import { z } from "zod";
import { isRecord } from "../../model";
import type { KeyProblem } from "../../problems";
import { DNS_PROVIDERS, providerFor, PROVIDERS } from "../../providers";
import type { DnsProvider } from "../../providers/types";
import { txtValueProblem } from "../../records/txt";
import { checkedList, list, type Check, type Resolved } from "../fields";
import type { RawStack, Section } from "../types";
import type * as DnsDiff from "./diff";

export type { DnsProvider } from "../../providers/types";

/** Default TTL of every record, in seconds (`sender-auth:dns.ttl`). */
export const DEFAULT_TTL = 3600;

const preserveCheck: Check = (value) => {
  const problem = txtValueProblem(value);
  if (problem !== undefined) return problem;
  // RFC 7208 §3.2, §4.5: two v=spf1 records at one name make every SPF check a permerror.
  if (/^v=spf1(?: |$)/i.test(value)) {
    return (
      "is an SPF record; a second v=spf1 record makes SPF fail with permerror (RFC 7208 §3.2): " +
      "put its mechanisms into sender-auth:spf instead"
    );
  }
  return undefined;
};

export const dnsSchema = z.strictObject({
  provider: z.enum(DNS_PROVIDERS),
  zoneId: z.string(),
  ttl: z.number().int().default(DEFAULT_TTL),
  /** Other TXT values at the apex that must survive (verification tokens). */
  preserveTxt: checkedList(preserveCheck),
});

export type DnsConfig = Resolved<z.output<typeof dnsSchema>>;

/**
 * `sender-auth:dns` as far as it can be read, for the provider's own rules: applied whenever the
 * provider and the zone ID are readable, even when something else is wrong.
 */
export function readableDns(raw: RawStack): DnsConfig | undefined {
  const dns = raw["dns"];
  if (!isRecord(dns) || typeof dns["zoneId"] !== "string") return undefined;
  const provider = DNS_PROVIDERS.find((kind) => kind === dns["provider"]);
  if (provider === undefined) return undefined;
  const ttl = dns["ttl"] ?? DEFAULT_TTL;
  return {
    provider,
    zoneId: dns["zoneId"],
    ttl: typeof ttl === "number" && Number.isInteger(ttl) ? ttl : DEFAULT_TTL,
    preserveTxt: [],
  };
}

/** The provider's own rules for `sender-auth:dns` (zone-ID form, TTL range), where they can be applied. */
export function providerProblems(raw: RawStack): readonly KeyProblem[] {
  const dns = readableDns(raw);
  return dns === undefined ? [] : providerFor(dns.provider).configProblems(dns);
}

export const dns: Section<{
  key: "dns";
  schema: typeof dnsSchema;
  model: DnsConfig;
  purpose: never;
  required: true;
  outputs: { readonly provider: DnsProvider; readonly zoneId: string };
}> = {
  key: "dns",
  title: "DNS",
  required: true,
  schema: dnsSchema,
  allowed: {
    "": "an object with provider, zoneId, ttl, preserveTxt",
    provider: list(DNS_PROVIDERS),
    zoneId: `the zone's ID: ${PROVIDERS.map((p) => `${p.zoneIdForm} (${p.title})`).join(" or ")}`,
    ttl: `a whole number of seconds: ${PROVIDERS.map((p) => `${p.ttlRange} on ${p.title}`).join(", ")}`,
    preserveTxt: "a list of strings",
    "preserveTxt[]": "printable ASCII without double quotes or backslashes, not starting v=spf1",
  },

  model: (parsed) => parsed,

  warnings(config, records) {
    const { preserveTxt, provider } = config.dns;
    // Where all TXT values of a name are one record set, the tokens ride on sender-auth's apex record.
    const apexTxt = records.some((record) => record.name === config.domain && record.type === "TXT");
    if (preserveTxt.length === 0 || apexTxt || !providerFor(provider).oneRecordSetPerName) return [];
    return [
      "sender-auth:dns.preserveTxt: has no effect without sender-auth:spf: sender-auth manages no TXT record at the apex",
    ];
  },

  outputs: (config) => ({ provider: config.dns.provider, zoneId: config.dns.zoneId }),

  diff() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `diff` only, never by the program
    return (require("./diff") as typeof DnsDiff).dnsDiff;
  },
};
