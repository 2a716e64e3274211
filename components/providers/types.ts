/** The seam between provider-neutral records and one DNS provider's resources and quirks. */
import type * as pulumi from "@pulumi/pulumi";
import type { DnsConfig, DnsProvider, DnsRecord, SenderAuthConfig } from "../model";

/** A problem found by a provider's rules, with the config key path it belongs to. */
export interface ProviderProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly value?: unknown;
  /** What the provider accepts; defaults to the key's general description. */
  readonly allowed?: string;
}

/** The config key a record comes from, for messages about it. */
export function configPathOf(record: DnsRecord): PropertyKey[] {
  switch (record.purpose) {
    case "dkim":
      return record.selector === undefined || record.selector === "*"
        ? ["dkim"]
        : ["dkim", "selectors", record.selector, "publicKey"];
    case "dmarc-report-auth":
      return ["dmarc", "authorizeReportsFor"];
    case "mx":
      return ["parked"];
    default:
      return [record.purpose];
  }
}

export interface ProviderAudit {
  readonly problems: readonly ProviderProblem[];
  readonly warnings: readonly string[];
}

export interface ProviderResourceArgs {
  /** The zone records are created in. */
  readonly zoneId: pulumi.Input<string>;
  /** The policy domain (zone apex). */
  readonly domain: string;
  readonly records: readonly DnsRecord[];
  /** TXT values at the apex that sender-auth does not own but must not destroy. */
  readonly preserveTxt: readonly string[];
}

export interface DnsProviderAdapter {
  readonly kind: DnsProvider;
  /** Checks `sender-auth:dns` against what this provider accepts (zone ID form, TTL range). */
  configProblems(dns: DnsConfig): ProviderProblem[];
  /** Checks the built records against this provider's limits. */
  audit(config: SenderAuthConfig, records: readonly DnsRecord[]): ProviderAudit;
  /**
   * Creates the provider resources for `records`, named `<name>-<record id>`. Loads the provider SDK
   * only when called, so a stack never loads the SDK of a provider it does not use (issue #6).
   */
  createResources(
    name: string,
    args: ProviderResourceArgs,
    opts: pulumi.CustomResourceOptions,
  ): pulumi.CustomResource[];
}
