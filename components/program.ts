/**
 * The Pulumi program, shared by `pulumi up` (through index.ts) and `sender-auth plan` (which runs
 * index.ts under the SDK's mock runtime): read and validate this stack's config once, create one
 * MailDomain, return the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  ConfigError,
  decodeConfigMap,
  privateKeyProblems,
  privateKeysOf,
  selectorSummaries,
  signingKeysOf,
  validateStack,
} from "./config";
import { currentTime } from "./clock";
import { MailDomain } from "./mailDomain";
import { PROJECT, type DnsProvider, type PublishedRecord, type SelectorSummary } from "./model";

export interface ProgramOutputs {
  /** The policy domain. */
  readonly domain: string;
  readonly provider: DnsProvider;
  /** The zone the records are published in. */
  readonly zoneId: string;
  /** Every record the stack publishes: name, type, ttl, value (unsplit), purpose, selector. */
  readonly records: readonly PublishedRecord[];
  /** Valid-but-risky settings, also logged as Pulumi warnings during `pulumi up`. */
  readonly warnings: readonly string[];
  /** Not secret: selector, status, algorithm, bits, fingerprint, dates, age. */
  readonly dkimSelectors: readonly SelectorSummary[];
  /** Secret: active selector → private key PEM, for mail servers that read stack outputs. */
  readonly signingKeys: pulumi.Output<Record<string, string>>;
  /** Resolves once every stored private key matched its published key; rejects with ConfigError. */
  readonly keysMatch: pulumi.Output<true>;
  /** The component, for callers that wait on its resources (plan, tests). */
  readonly component: MailDomain;
}

export function senderAuthProgram(): ProgramOutputs {
  const stack = pulumi.getStack();
  const now = currentTime();
  // Throws ConfigError listing every problem before any resource is registered.
  const validated = validateStack(stack, decodeConfigMap(pulumi.runtime.allConfig()), now);
  const { config } = validated;

  // Private keys are read only as secrets (rules H3). Everything derived from them stays secret,
  // except the check's outcome, which carries no key material (rules H6).
  const secretDkim = config.dkim ? new pulumi.Config(PROJECT).getSecretObject<unknown>("dkim") : undefined;
  const privateKeys = (secretDkim ?? pulumi.secret<unknown>(undefined)).apply(privateKeysOf);
  const keysMatch = pulumi.unsecret(
    privateKeys.apply((keys): true => {
      const problems = privateKeyProblems(config, keys);
      if (problems.length > 0) throw new ConfigError(stack, problems);
      return true;
    }),
  );
  // A stored private key that does not match its published key fails every record's registration.
  const zoneId = pulumi.all([config.dns.zoneId, keysMatch]).apply(([id]) => id);

  const component = new MailDomain(config.domain, { ...validated, zoneId });
  // Under the mock runtime (plan, tests) there is no engine and the caller reads `warnings` itself.
  if (pulumi.runtime.hasEngine()) {
    for (const warning of validated.warnings) void pulumi.log.warn(warning, component);
  }
  return {
    domain: config.domain,
    provider: config.dns.provider,
    zoneId: config.dns.zoneId,
    records: component.records,
    warnings: validated.warnings,
    dkimSelectors: selectorSummaries(config, now),
    signingKeys: privateKeys.apply((keys) => signingKeysOf(config, keys)),
    keysMatch,
    component,
  };
}
