/**
 * The Pulumi program, shared by `pulumi up` (through index.ts) and `sender-auth plan` (which runs
 * index.ts under the SDK's mock runtime): read and validate this stack's config once, create one
 * MailDomain, return the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { decodeConfigMap, validateStack } from "./config";
import { MailDomain } from "./mailDomain";
import type { DnsProvider, PublishedRecord } from "./model";

export interface ProgramOutputs {
  /** The policy domain. */
  readonly domain: string;
  readonly provider: DnsProvider;
  /** Every record the stack publishes: name, type, ttl, value (unsplit), purpose, selector. */
  readonly records: readonly PublishedRecord[];
  /** Valid-but-risky settings, also logged as Pulumi warnings during `pulumi up`. */
  readonly warnings: readonly string[];
  /** The component, for callers that wait on its resources (plan, tests). */
  readonly component: MailDomain;
}

export function senderAuthProgram(): ProgramOutputs {
  // Throws ConfigError listing every problem before any resource is registered.
  const validated = validateStack(pulumi.getStack(), decodeConfigMap(pulumi.runtime.allConfig()));
  const { config } = validated;
  const component = new MailDomain(config.domain, validated);
  // Under the mock runtime (plan, tests) there is no engine and the caller reads `warnings` itself.
  if (pulumi.runtime.hasEngine()) {
    for (const warning of validated.warnings) void pulumi.log.warn(warning, component);
  }
  return { domain: config.domain, provider: config.dns.provider, records: component.records, warnings: validated.warnings, component };
}
