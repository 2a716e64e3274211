/**
 * Stacks for checks against the hostile DNS server (test/support/hostileDns.ts): a small stack (SPF
 * through one include, an Ed25519 key, DMARC reject) on any domain, as a validated config and as a
 * stack file, and the zone that serves it correctly, with an SPF include fan-out under `fan.test`.
 */
import { stringify as stringifyYaml } from "yaml";
import { validateStack } from "../../components/config";
import { publishedRecord, type PublishedRecord, type SenderAuthConfig } from "../../components/model";
import { fixtureKey } from "./fixtures";
import type { HostileAnswer } from "./hostileDns";

export interface HostileStack {
  readonly domain: string;
  readonly config: SenderAuthConfig;
  readonly records: readonly PublishedRecord[];
  /** The stack file (`Pulumi.<stack>.yaml`) text. */
  readonly file: string;
}

/** The include every stack's SPF record has unless told otherwise; served with one ip4 term. */
export const ESP_INCLUDE = "_spf.esp.test";

/** Where the fan-out starts: every name at or under it includes 12 names below it. */
export const FAN_OUT = "fan.test";

export function hostileStack(domain: string, include = ESP_INCLUDE): HostileStack {
  const config = {
    domain,
    dns: { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef", ttl: 300 },
    spf: { ip4: ["192.0.2.10"], include: [include], all: "fail" },
    dkim: {
      selectors: {
        s1: {
          status: "active",
          algorithm: "ed25519",
          publicKey: fixtureKey("ed25519").publicKey,
          createdAt: "2026-11-01",
        },
      },
    },
    dmarc: { policy: "reject", rua: [`mailto:dmarc@${domain}`] },
  };
  const validated = validateStack(domain, config);
  const file = stringifyYaml(
    { config: Object.fromEntries(Object.entries(config).map(([key, value]) => [`sender-auth:${key}`, value])) },
    { lineWidth: 0 },
  );
  return { domain, config: validated.config, records: validated.records.map(publishedRecord), file };
}

/**
 * The zone serving `stacks` as declared (each value one TXT record), `_spf.esp.test`, the fan-out
 * under fan.test, and `served` in place of whatever a name would hold.
 */
export function hostileStackZone(
  stacks: readonly HostileStack[],
  served: Readonly<Record<string, readonly HostileAnswer[]>> = {},
): (name: string, type: string) => readonly HostileAnswer[] | undefined {
  const data = new Map<string, readonly HostileAnswer[]>([
    [ESP_INCLUDE, [{ type: "TXT", data: "v=spf1 ip4:198.51.100.0/24 -all" }]],
  ]);
  for (const record of stacks.flatMap((stack) => stack.records)) {
    data.set(record.name, [...(data.get(record.name) ?? []), { type: "TXT", data: record.value }]);
  }
  for (const [name, answers] of Object.entries(served)) data.set(name, answers);
  return (name, type) => {
    if (name === FAN_OUT || name.endsWith(`.${FAN_OUT}`)) {
      const includes = "abcdefghijkl"
        .split("")
        .map((label) => `include:${label}.${name}`)
        .join(" ");
      return type === "TXT" ? [{ type: "TXT", data: `v=spf1 ${includes} -all` }] : [];
    }
    return data.get(name)?.filter((a) => a.type === type);
  };
}
