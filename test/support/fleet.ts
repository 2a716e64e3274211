/**
 * A fleet of stacks of mixed age and rotation state (issue #14), for the `status` and `rotate --due`
 * tests: each stack file is written as keygen and rotate write them (public values in plain text,
 * private keys fake-encrypted `secure:` values the stand-in `pulumi` decrypts). "Now" is NOW.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify as stringifyYaml } from "yaml";
import type { TempProject } from "./cli";
import { fakeEncrypt } from "./pulumiStandIn";
import { fixtureKey, type FixtureKeyName } from "./fixtures";
import { reportXml } from "./reports";

export const FLEET_NOW = "2027-06-01T10:00:00Z";
export const FLEET_TTL = 300;
const ZONE_ID = "0123456789abcdef0123456789abcdef";

type Json = Record<string, unknown>;

export interface FleetSelector {
  readonly status: string;
  readonly key?: FixtureKeyName;
  readonly cname?: string;
  readonly createdAt?: string;
  readonly retiredAt?: string;
}

/** One selector entry as keygen writes it. */
export function fleetSelector(spec: FleetSelector): Json {
  if (spec.cname !== undefined) return { status: spec.status, cname: spec.cname };
  const key = fixtureKey(spec.key ?? "rsa-2048");
  return {
    status: spec.status,
    algorithm: key.algorithm,
    publicKey: key.publicKey,
    ...(spec.createdAt === undefined ? {} : { createdAt: spec.createdAt }),
    ...(spec.retiredAt === undefined ? {} : { retiredAt: spec.retiredAt }),
    privateKey: { secure: fakeEncrypt(key.privatePem) },
  };
}

export interface FleetStack {
  readonly domain: string;
  readonly selectors: Readonly<Record<string, FleetSelector>>;
  readonly maxKeyAgeDays?: number;
  /** Replaces top-level config keys (named without the `sender-auth:` prefix). */
  readonly config?: Json;
}

export function fleetStackText(spec: FleetStack): string {
  const selectors = Object.fromEntries(Object.entries(spec.selectors).map(([name, s]) => [name, fleetSelector(s)]));
  const config: Json = {
    "sender-auth:domain": spec.domain,
    "sender-auth:dns": { provider: "cloudflare", zoneId: ZONE_ID, ttl: FLEET_TTL },
    "sender-auth:spf": { ip4: ["192.0.2.10"], all: "fail" },
    "sender-auth:dkim": {
      selectors,
      ...(spec.maxKeyAgeDays === undefined ? {} : { maxKeyAgeDays: spec.maxKeyAgeDays }),
    },
    "sender-auth:dmarc": { policy: "reject", rua: [`mailto:dmarc@${spec.domain}`] },
  };
  for (const [key, value] of Object.entries(spec.config ?? {})) config[`sender-auth:${key}`] = value;
  return stringifyYaml({ config });
}

/**
 * The fleet, by stack name (in stack order): every rotation state at NOW (2027-06-01), a stack with
 * its own dkim.maxKeyAgeDays, one without a createdAt, one with CNAME selectors only, and a broken one.
 */
export const FLEET: Readonly<Record<string, FleetStack | string>> = {
  // 31 days old: start from 2027-10-29 (created + 181 days).
  "a-fresh": {
    domain: "fresh.test",
    selectors: { s202705a: { status: "active", createdAt: "2027-05-01" } },
    config: { dmarc: { policy: "none", rua: ["mailto:dmarc@fresh.test"], percent: 10 } },
  },
  // 212 days old, over the default 180: start due.
  "b-old": {
    domain: "old.test",
    selectors: { s202611a: { status: "active", createdAt: "2026-11-01" } },
  },
  // 31 days old with maxKeyAgeDays 30: start due.
  "c-custom-age": {
    domain: "custom.test",
    maxKeyAgeDays: 30,
    selectors: { s202705a: { status: "active", createdAt: "2027-05-01" } },
  },
  // A published newer key: activate due (rotate --due waits for DNS).
  "d-publishing": {
    domain: "publishing.test",
    selectors: {
      s202611a: { status: "active", createdAt: "2026-11-01" },
      s202705a: { status: "published", key: "rsa-2048-b", createdAt: "2027-05-30" },
    },
  },
  // Retired 4 days ago: revoke from 2027-06-04.
  "e-overlap": {
    domain: "overlap.test",
    selectors: {
      s202611a: { status: "retired", createdAt: "2026-11-01", retiredAt: "2027-05-28" },
      s202705a: { status: "active", key: "rsa-2048-b", createdAt: "2027-05-27" },
    },
  },
  // Retired 22 days ago: revoke waits for report evidence or an approval.
  "f-retired": {
    domain: "retired.test",
    selectors: {
      s202611a: { status: "retired", createdAt: "2026-11-01", retiredAt: "2027-05-10" },
      s202705a: { status: "active", key: "rsa-2048-b", createdAt: "2027-05-08" },
    },
  },
  // Revoked: remove due (rotate --due waits until DNS serves the revocation).
  "g-revoked": {
    domain: "revoked.test",
    selectors: {
      s202611a: { status: "revoked", createdAt: "2026-11-01", retiredAt: "2027-05-10" },
      s202705a: { status: "active", key: "rsa-2048-b", createdAt: "2027-05-08" },
    },
  },
  // No createdAt: its age is unknown, nothing is due.
  "h-undated": {
    domain: "undated.test",
    selectors: { s1: { status: "active" } },
  },
  // Keys hosted by an email provider: nothing to rotate here.
  "i-cname": {
    domain: "cname.test",
    selectors: { s1: { status: "active", cname: "s1.domainkey.u1234.wl.sendgrid.net" } },
  },
  // An unknown DNS provider and DMARC policy, and a maxKeyAgeDays of 0: a row with its problems.
  "j-broken": {
    domain: "broken.test",
    maxKeyAgeDays: 0,
    selectors: { s202611a: { status: "active", createdAt: "2026-11-01" } },
    config: {
      dns: { provider: "gandi", zoneId: ZONE_ID },
      dmarc: { policy: "block" },
    },
  },
  // Not YAML at all.
  "k-unreadable": "config: [unclosed\n",
};

/** Writes the fleet into `project`. */
export function writeFleet(project: TempProject, fleet: Readonly<Record<string, FleetStack | string>> = FLEET): void {
  for (const [stack, spec] of Object.entries(fleet)) {
    project.writeStack(stack, typeof spec === "string" ? spec : fleetStackText(spec));
  }
}

/** Seconds since the epoch at 00:00 UTC of `day` (YYYY-MM-DD). */
export const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`) / 1000;

/**
 * A one-day DMARC aggregate report for retired.test (f-retired's domain) at `dir/<id>.xml`: per
 * selector, the messages signed with it from 192.0.2.10.
 */
export function writeRetiredReport(
  dir: string,
  id: string,
  day: string,
  signed: Readonly<Record<string, number>>,
): void {
  writeFileSync(
    path.join(dir, `${id}.xml`),
    reportXml({
      reportId: id,
      domain: "retired.test",
      p: "reject",
      begin: dayStart(day),
      records: Object.entries(signed).map(([selector, count]) => ({
        ip: "192.0.2.10",
        count,
        dkimResults: [{ domain: "retired.test", selector, result: "pass" }],
      })),
    }),
  );
}

/** Reports of the window after f-retired's retirement showing only its new selector signing (40 a day). */
export function writeRevokeEvidence(dir: string): void {
  for (const [index, day] of ["2027-05-26", "2027-05-28", "2027-05-31"].entries()) {
    writeRetiredReport(dir, `r${index}`, day, { s202705a: 40 });
  }
}
