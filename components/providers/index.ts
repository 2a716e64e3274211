/** Provider registry: maps `sender-auth:dns.provider` to the file that owns that provider's facts and quirks. */
import { cloudflare } from "./cloudflare";
import { route53 } from "./route53";
import { DNS_PROVIDERS, type DnsProvider, type DnsProviderAdapter } from "./types";

const ADAPTERS: Readonly<Record<DnsProvider, DnsProviderAdapter>> = { cloudflare, route53 };

export function providerFor(kind: DnsProvider): DnsProviderAdapter {
  return ADAPTERS[kind];
}

/** Every provider, in the order of DNS_PROVIDERS. */
export const PROVIDERS: readonly DnsProviderAdapter[] = DNS_PROVIDERS.map(providerFor);

export { DNS_PROVIDERS } from "./types";
export type { DnsProvider, DnsProviderAdapter, ProviderResourceArgs } from "./types";
