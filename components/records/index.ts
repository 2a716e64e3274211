/**
 * Turns a validated stack configuration into provider-neutral records. Pure, no Pulumi imports:
 * the same input always yields the same records in the same order (issue #2: identical inputs).
 */
import type { DnsRecord, SenderAuthConfig } from "../model";
import { buildDkimValue, dkimRecordName, REVOKED_DKIM } from "./dkim";
import { buildDmarcValue, dmarcRecordName, PARKED_DMARC, REPORT_AUTH_VALUE, reportAuthName } from "./dmarc";
import { buildSpfValue, PARKED_SPF, SPF_UDP_BUDGET } from "./spf";

/** RFC 7505 §3: preference 0 and the root as exchange: this domain accepts no mail. */
export const NULL_MX = "0 .";

export interface BuiltRecords {
  readonly records: readonly DnsRecord[];
  readonly warnings: readonly string[];
}

export function buildRecords(config: SenderAuthConfig): BuiltRecords {
  const { domain } = config;
  const ttl = config.dns.ttl;
  const records: DnsRecord[] = [];
  const warnings: string[] = [];
  const txt = (id: string, name: string, value: string, purpose: DnsRecord["purpose"], selector?: string): void => {
    records.push(selector === undefined ? { id, name, type: "TXT", ttl, value, purpose } : { id, name, type: "TXT", ttl, value, purpose, selector });
  };

  const spfValue = config.parked ? PARKED_SPF : config.spf && buildSpfValue(config.spf);
  if (spfValue !== undefined) {
    txt("spf", domain, spfValue, "spf");
    // RFC 7208 §3.4: the whole TXT answer at the SPF name, tokens included, should fit one UDP packet.
    const octets = domain.length + spfValue.length + config.dns.preserveTxt.reduce((sum, value) => sum + value.length, 0);
    if (octets > SPF_UDP_BUDGET) {
      warnings.push(
        `sender-auth:spf: the TXT answer at ${domain} is ${octets} octets (owner name, SPF record and preserveTxt values); ` +
          `over ${SPF_UDP_BUDGET} it may not fit a UDP response and some receivers fail SPF (RFC 7208 §3.4)`,
      );
    }
  }
  if (config.parked) {
    records.push({ id: "mx", name: domain, type: "MX", ttl, value: NULL_MX, purpose: "mx" });
    // A wildcard revocation answers every selector a forger might try (RFC 6376 §3.6.1).
    txt("dkim-wildcard", dkimRecordName("*", domain), REVOKED_DKIM, "dkim", "*");
    txt("dmarc", dmarcRecordName(domain), PARKED_DMARC, "dmarc");
    return { records, warnings };
  }

  for (const selector of config.dkim?.selectors ?? []) {
    const name = dkimRecordName(selector.name, domain);
    const id = `dkim-${selector.name}`;
    if (selector.status === "revoked") {
      txt(id, name, REVOKED_DKIM, "dkim", selector.name);
    } else if (selector.cname !== undefined) {
      records.push({ id, name, type: "CNAME", ttl, value: selector.cname, purpose: "dkim", selector: selector.name });
    } else if (selector.publicKey !== undefined) {
      txt(id, name, buildDkimValue(selector.algorithm, selector.publicKey), "dkim", selector.name);
    }
  }
  if (config.dmarc) {
    txt("dmarc", dmarcRecordName(domain), buildDmarcValue(config.dmarc), "dmarc");
    for (const authorized of config.dmarc.authorizeReportsFor) {
      txt(`dmarc-report-${authorized}`, reportAuthName(authorized, domain), REPORT_AUTH_VALUE, "dmarc-report-auth");
    }
  }
  return { records, warnings };
}
