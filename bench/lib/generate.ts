/**
 * Generates N realistic stacks for the benchmarks: half Cloudflare, half Route53; SPF with one or two
 * email-provider includes, some with `mx`; 2–3 DKIM selectors each (RSA 2048 and Ed25519 active,
 * plus a retired RSA key or an email provider's CNAME); DMARC with aggregate reports, some of them
 * to an external destination that must authorise them. Keys are the TEST-ONLY fixtures.
 *
 * Besides the stack files it describes the DNS around them (MX hosts, the providers' SPF records and
 * DKIM targets, the report destination), so that `check` can be benchmarked against a BIND serving
 * all of it with every check passing.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { isRecord } from "../../components/model";
import { fixtureKey } from "../../test/support/fixtures";

export const REPO_ROOT = path.join(__dirname, "..", "..");

/** Zones outside the generated domains that they refer to. */
export const ESP_ZONE = "esp.example";
export const REPORTS_ZONE = "reports.example";

export interface GeneratedStack {
  readonly stack: string;
  readonly domain: string;
  readonly provider: "cloudflare" | "route53";
  readonly config: Record<string, unknown>;
  /** Records the domain's zone holds besides sender-auth's (master-file lines, relative names). */
  readonly extraZoneLines: readonly string[];
}

const pad = (i: number): string => String(i).padStart(5, "0");

function hex(i: number, length: number): string {
  let out = "";
  let x = (i + 1) * 2654435761;
  while (out.length < length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += (x % 16).toString(16);
  }
  return out;
}

/** Stack i of a generated set; deterministic, so every run plans the same records. */
export function generateStack(i: number): GeneratedStack {
  const domain = `brand${pad(i)}.example`;
  const provider = i % 2 === 0 ? "cloudflare" : "route53";
  const rsa = fixtureKey(i % 4 < 2 ? "rsa-2048" : "rsa-2048-b");
  const ed = fixtureKey(i % 3 === 0 ? "ed25519" : "ed25519-b");
  const selectors: Record<string, unknown> = {
    s202611a: { status: "active", algorithm: "rsa", publicKey: rsa.publicKey, createdAt: "2026-11-02" },
    s202611e: { status: "active", algorithm: "ed25519", publicKey: ed.publicKey, createdAt: "2026-11-02" },
  };
  if (i % 3 === 0) {
    selectors["s202608a"] = {
      status: "retired",
      algorithm: "rsa",
      publicKey: fixtureKey(i % 4 < 2 ? "rsa-2048-b" : "rsa-2048").publicKey,
      createdAt: "2026-08-03",
      retiredAt: "2026-11-02",
    };
  } else if (i % 3 === 1) {
    selectors["esp1"] = { status: "active", cname: `esp1.${hex(i, 8)}.dkim.${ESP_ZONE}` };
  }
  const include = i % 3 === 2 ? [`_spf.${ESP_ZONE}`, `_spf2.${ESP_ZONE}`] : [`_spf.${ESP_ZONE}`];
  const external = i % 2 === 1;
  const config: Record<string, unknown> = {
    "sender-auth:domain": domain,
    "sender-auth:dns": {
      provider,
      zoneId: provider === "cloudflare" ? hex(i, 32) : `Z${hex(i, 20).toUpperCase()}`,
      ttl: 3600,
      ...(i % 4 === 0 ? { preserveTxt: [`google-site-verification=${hex(i, 43)}`] } : {}),
    },
    "sender-auth:spf": {
      ip4: [`192.0.2.${(i % 250) + 1}`, "198.51.100.0/24"],
      ...(i % 5 === 0 ? { ip6: ["2001:db8::/32"] } : {}),
      ...(i % 4 === 1 ? { mx: true } : {}),
      include,
      all: i % 2 === 0 ? "softfail" : "fail",
    },
    "sender-auth:dkim": { selectors },
    "sender-auth:dmarc": {
      policy: i % 3 === 0 ? "quarantine" : "reject",
      nonexistentSubdomainPolicy: "reject",
      rua: [`mailto:dmarc@${domain}`, ...(external ? [`mailto:agg@${REPORTS_ZONE}`] : [])],
      alignmentSPF: "relaxed",
      alignmentDKIM: i % 5 === 0 ? "strict" : "relaxed",
    },
  };
  const extraZoneLines = i % 4 === 1 ? ["@ 3600 IN MX 10 mx1", `mx1 3600 IN A 192.0.2.${(i % 250) + 1}`] : [];
  return { stack: `brand${pad(i)}`, domain, provider, config, extraZoneLines };
}

export function generateStacks(n: number): GeneratedStack[] {
  return Array.from({ length: n }, (_, i) => generateStack(i));
}

/** The zones the generated domains point at, as [origin, master-file body]. */
export function sharedZones(stacks: readonly GeneratedStack[]): { origin: string; body: string }[] {
  const cnames = stacks.flatMap((s) => {
    const selectors = (s.config["sender-auth:dkim"] as { selectors: Record<string, { cname?: string }> }).selectors;
    return Object.values(selectors).flatMap((sel) => (sel.cname === undefined ? [] : [sel.cname]));
  });
  const espKey = fixtureKey("rsa-2048");
  const esp = [
    `_spf 3600 IN TXT "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:1::/48 -all"`,
    `_spf2 3600 IN TXT "v=spf1 ip4:198.18.0.0/15 ~all"`,
    ...cnames.map(
      (name) =>
        `${name.slice(0, -(ESP_ZONE.length + 1))} 3600 IN TXT ${quoteTxt(`v=DKIM1; k=rsa; p=${espKey.publicKey}`)}`,
    ),
  ];
  const reports = [`*._report._dmarc 3600 IN TXT "v=DMARC1"`];
  return [
    { origin: ESP_ZONE, body: esp.join("\n") },
    { origin: REPORTS_ZONE, body: reports.join("\n") },
  ];
}

function quoteTxt(value: string): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(`"${value.slice(i, i + 255)}"`);
  return parts.join(" ");
}

/** A throw-away Pulumi project (this repository's Pulumi.yaml, main → this index.ts) with the stacks. */
export interface BenchProject {
  readonly dir: string;
  readonly stacks: readonly GeneratedStack[];
  remove(): void;
}

export function writeProject(stacks: readonly GeneratedStack[], prefix = "sender-auth-bench-"): BenchProject {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  const doc: unknown = parseYaml(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
  if (!isRecord(doc)) throw new Error("Pulumi.yaml is not a mapping");
  doc["main"] = path.relative(dir, path.join(REPO_ROOT, "index.ts"));
  writeFileSync(path.join(dir, "Pulumi.yaml"), stringifyYaml(doc));
  const stacksDir = path.join(dir, typeof doc["stackConfigDir"] === "string" ? doc["stackConfigDir"] : ".");
  mkdirSync(stacksDir, { recursive: true });
  for (const s of stacks) {
    writeFileSync(path.join(stacksDir, `Pulumi.${s.stack}.yaml`), stringifyYaml({ config: s.config }));
  }
  return {
    dir,
    stacks,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
