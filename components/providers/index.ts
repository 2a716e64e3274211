/** Provider registry: maps `sender-auth:dns.provider` to the file that owns that provider's quirks. */
import type { DnsProvider } from "../model";
import { cloudflare } from "./cloudflare";
import { route53 } from "./route53";
import type { DnsProviderAdapter } from "./types";

const ADAPTERS: Readonly<Record<DnsProvider, DnsProviderAdapter>> = { cloudflare, route53 };

export function providerFor(kind: DnsProvider): DnsProviderAdapter {
  return ADAPTERS[kind];
}

export type { DnsProviderAdapter, ProviderResourceArgs } from "./types";
