/**
 * End to end: the records `sender-auth plan` reports, served by a real BIND and checked by a real
 * verifier (mailauth). Two stacks (Cloudflare, Route53) are written into a temporary Pulumi project whose
 * `main` is this repository's index.ts, planned by spawning the real CLI, and served twice:
 *
 *   - "plan zone": the `plan --format zone` text of each stack, as printed;
 *   - "provider payload": zones rebuilt from the `plan --format json` resource inputs exactly as each
 *     provider would send them (Cloudflare `content`, Route53 `records` elements).
 *
 * Against each, messages signed with the TEST-ONLY fixture keys must pass DKIM, the listed addresses
 * must pass SPF and DMARC must report the configured policy.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { authenticate, dkimSign, spf, type AuthenticateResult, type DNSResolver } from "mailauth";
import { stringify as stringifyYaml } from "yaml";
import { parseCharacterStrings } from "../../components/records/txt";
import {
  namedAvailable,
  skipOrFailWithoutNamed,
  startBind,
  txtRdata,
  type BindServer,
  type ZoneSpec,
} from "../support/bind";
import { fixtureKey, type FixtureKeyName } from "../support/fixtures";
import { testMessage } from "../support/mail";

const execFileAsync = promisify(execFile);

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(REPO_ROOT, "bin", "sender-auth.js");
const PROGRAM = path.join(REPO_ROOT, "index.ts");

const CLOUDFLARE_RECORD = "cloudflare:index/dnsRecord:DnsRecord";
const ROUTE53_RECORD = "aws:route53/record:Record";

const TTL = 300;
const LISTED_IPS = ["192.0.2.10", "198.51.100.77"] as const;
/** Inside the stacks' `ip6` entry. */
const LISTED_IP6 = "2001:db8::25";
const UNLISTED_IP = "203.0.113.9";
const RECEIVER = "mx.receiver.test";

/** The third zone: an email provider hosting a key that a CNAME selector points at. */
const ESP_ZONE = "esp-provider.test";
const CNAME_TARGET = `s1.dkim.${ESP_ZONE}`;
const CNAME_KEY: FixtureKeyName = "rsa-2048-b";
/** What the revoked selector used to sign with. */
const REVOKED_KEY: FixtureKeyName = "rsa-3072";

/** Selector names, one per role. */
const SEL = { rsa2048: "s2048", rsa4096: "s4096", ed25519: "sed25519", revoked: "sold", cname: "esp" } as const;

interface StackSpec {
  readonly stack: string;
  readonly provider: "cloudflare" | "route53";
  readonly domain: string;
  readonly zoneId: string;
  readonly all: "fail" | "softfail";
  readonly policy: "reject" | "quarantine";
  readonly token: string;
  /** Whether the revoked selector still lists its old public key in config (it must be published empty either way). */
  readonly revokedKeepsKey: boolean;
}

const STACKS: readonly StackSpec[] = [
  {
    stack: "example-cf",
    provider: "cloudflare",
    domain: "example-cf.test",
    zoneId: "0123456789abcdef0123456789abcdef",
    all: "fail",
    policy: "reject",
    token: "google-site-verification=cfTokenAbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    revokedKeepsKey: true,
  },
  {
    stack: "example-r53",
    provider: "route53",
    domain: "example-r53.test",
    zoneId: "Z0123456789ABCDEFGHIJ",
    all: "softfail",
    policy: "quarantine",
    token: "google-site-verification=r53TokenZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210",
    revokedKeepsKey: false,
  },
];

function stackFileContent(spec: StackSpec): string {
  const key = (name: FixtureKeyName): string => fixtureKey(name).publicKey;
  const config = {
    "sender-auth:domain": spec.domain,
    "sender-auth:dns": { provider: spec.provider, zoneId: spec.zoneId, ttl: TTL, preserveTxt: [spec.token] },
    "sender-auth:spf": { ip4: ["192.0.2.10", "198.51.100.0/24"], ip6: ["2001:db8::/32"], all: spec.all },
    "sender-auth:dkim": {
      selectors: {
        [SEL.rsa2048]: { status: "active", algorithm: "rsa", publicKey: key("rsa-2048"), createdAt: "2026-11-01" },
        [SEL.rsa4096]: { status: "active", algorithm: "rsa", publicKey: key("rsa-4096"), createdAt: "2026-11-01" },
        [SEL.ed25519]: { status: "active", algorithm: "ed25519", publicKey: key("ed25519"), createdAt: "2026-11-01" },
        [SEL.revoked]: spec.revokedKeepsKey
          ? { status: "revoked", algorithm: "rsa", publicKey: key(REVOKED_KEY) }
          : { status: "revoked" },
        [SEL.cname]: { status: "active", cname: CNAME_TARGET },
      },
    },
    "sender-auth:dmarc": { policy: spec.policy, rua: [`mailto:dmarc-reports@${spec.domain}`] },
    "sender-auth:mtaSts": { mode: "enforce", mx: [`mail.${spec.domain}`, `*.mx.${spec.domain}`] },
  };
  return stringifyYaml({ config }, { lineWidth: 0 });
}

// ---------------------------------------------------------------------------------------------------
// Plan output, as printed by the CLI.

interface PlannedRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly value: string;
}

interface PlannedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Readonly<Record<string, unknown>>;
}

interface PlannedStack {
  readonly stack: string;
  readonly domain: string;
  readonly provider: string;
  readonly records: readonly PlannedRecord[];
  readonly resources: readonly PlannedResource[];
  readonly warnings: readonly string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field<T>(
  object: Record<string, unknown>,
  key: string,
  guard: (value: unknown) => value is T,
  where: string,
): T {
  const value = object[key];
  assert.ok(guard(value), `${where}.${key} has an unexpected shape: ${JSON.stringify(value)}`);
  return value;
}

const isString = (value: unknown): value is string => typeof value === "string";
const isNumber = (value: unknown): value is number => typeof value === "number";
const isArray = (value: unknown): value is unknown[] => Array.isArray(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

function parsePlanJson(text: string): PlannedStack[] {
  const doc: unknown = JSON.parse(text);
  assert.ok(Array.isArray(doc), "plan --format json prints an array");
  return doc.map((entry: unknown, index) => {
    const where = `plan[${index}]`;
    assert.ok(isObject(entry), `${where} is an object`);
    const records = field(entry, "records", isArray, where).map((record: unknown, i): PlannedRecord => {
      const at = `${where}.records[${i}]`;
      assert.ok(isObject(record), `${at} is an object`);
      return {
        name: field(record, "name", isString, at),
        type: field(record, "type", isString, at),
        ttl: field(record, "ttl", isNumber, at),
        value: field(record, "value", isString, at),
      };
    });
    const resources = field(entry, "resources", isArray, where).map((resource: unknown, i): PlannedResource => {
      const at = `${where}.resources[${i}]`;
      assert.ok(isObject(resource), `${at} is an object`);
      return {
        type: field(resource, "type", isString, at),
        name: field(resource, "name", isString, at),
        inputs: field(resource, "inputs", isObject, at),
      };
    });
    return {
      stack: field(entry, "stack", isString, where),
      domain: field(entry, "domain", isString, where),
      provider: field(entry, "provider", isString, where),
      records,
      resources,
      warnings: field(entry, "warnings", isStringArray, where),
    };
  });
}

interface PlannedZone {
  readonly stack: string;
  readonly provider: string;
  readonly zoneId: string;
  readonly origin: string;
  /** The stack's part of the `--format zone` output, verbatim. */
  readonly text: string;
}

/** Cuts the `--format zone` output into its stacks at each `; stack` header line. */
function splitZoneOutput(output: string): PlannedZone[] {
  const zones: PlannedZone[] = [];
  for (const part of output.split(/^(?=; stack )/m)) {
    if (part.trim() === "") continue;
    const header = /^; stack (\S+): (\S+) zone (\S+)\n/.exec(part);
    assert.ok(header, `zone output part without a "; stack" header:\n${part}`);
    const origin = /^\$ORIGIN (\S+)\.$/m.exec(part);
    assert.ok(origin, `zone output part without $ORIGIN:\n${part}`);
    zones.push({
      stack: header[1] ?? "",
      provider: header[2] ?? "",
      zoneId: header[3] ?? "",
      origin: origin[1] ?? "",
      text: part,
    });
  }
  return zones;
}

// ---------------------------------------------------------------------------------------------------
// Zone source 2: what the providers are sent.

/** Master-file form of character-strings: each in double quotes, `"` and `\` escaped. */
function quoted(chunks: readonly string[]): string {
  return chunks.map((chunk) => `"${chunk.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(" ");
}

const absolute = (name: string): string => (name.endsWith(".") ? name : `${name}.`);

/** RDATA of one value as the provider's API would store it. */
function providerRdata(type: string, value: string, txtText: (value: string) => string[], priority?: number): string {
  switch (type) {
    case "TXT":
      return quoted(txtText(value));
    case "CNAME":
      return absolute(value);
    case "MX": {
      if (priority !== undefined) return `${priority} ${value === "." ? "." : absolute(value)}`;
      const [preference = "", exchange = ""] = value.split(" ");
      return `${preference} ${exchange === "." ? "." : absolute(exchange)}`;
    }
    default:
      throw new Error(`unexpected record type ${type}`);
  }
}

/** The zone a provider would serve after `pulumi up`, rebuilt from the registered resource inputs. */
function payloadZone(plan: PlannedStack, spec: StackSpec): string {
  const lines: string[] = [];
  for (const resource of plan.resources) {
    const where = `${plan.stack} ${resource.name}`;
    const inputs = resource.inputs;
    assert.equal(inputs["zoneId"], spec.zoneId, `${where}: zoneId`);
    const name = field(inputs, "name", isString, where);
    const type = field(inputs, "type", isString, where);
    const ttl = field(inputs, "ttl", isNumber, where);
    if (spec.provider === "cloudflare") {
      assert.equal(resource.type, CLOUDFLARE_RECORD, `${where}: resource type`);
      const content = field(inputs, "content", isString, where);
      // A proxied record answers with Cloudflare's own addresses, never the configured content.
      assert.notEqual(inputs["proxied"], true, `${where}: must not be proxied`);
      const priority = type === "MX" ? field(inputs, "priority", isNumber, where) : undefined;
      lines.push(
        `${absolute(name)} ${ttl} IN ${type} ${providerRdata(type, content, parseCharacterStrings, priority)}`,
      );
    } else {
      assert.equal(resource.type, ROUTE53_RECORD, `${where}: resource type`);
      // The provider wraps each element in one pair of double quotes; each element is one RR.
      for (const element of field(inputs, "records", isStringArray, where)) {
        lines.push(
          `${absolute(name)} ${ttl} IN ${type} ${providerRdata(type, element, (v) => parseCharacterStrings(`"${v}"`))}`,
        );
      }
    }
  }
  if (spec.provider === "cloudflare") {
    // Cloudflare keeps each TXT value as its own record, so the existing verification token is not in
    // the payload: it is already in the zone, beside the SPF record sender-auth adds.
    lines.push(`${absolute(spec.domain)} ${TTL} IN TXT ${quoted([spec.token])}`);
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------
// DNS as a receiver sees it.

function errorCode(error: unknown): unknown {
  return error instanceof Error && "code" in error ? error.code : undefined;
}

function isWithin(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * A receiver asks a recursive resolver, which follows CNAMEs into other zones; BIND here is
 * authoritative only and answers a TXT query at a CNAME with the CNAME alone (which node's resolver
 * reports as an empty answer). This adapter does the resolver's part: it follows CNAMEs, and answers
 * NXDOMAIN for names outside the served zones (the `.test` TLD does not exist) where BIND would refuse.
 */
function recursiveResolver(server: BindServer, zones: readonly string[]): DNSResolver {
  const resolve = async (name: string, rrtype: string, depth: number): Promise<unknown> => {
    const lower = name.toLowerCase().replace(/\.$/, "");
    if (!zones.some((zone) => isWithin(lower, zone))) {
      throw Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: "ENOTFOUND", hostname: name });
    }
    let answer: unknown;
    let failure: Error | undefined;
    try {
      answer = await server.resolve(name, rrtype);
      if (!(Array.isArray(answer) && answer.length === 0)) return answer;
    } catch (error) {
      if (!(error instanceof Error) || errorCode(error) !== "ENODATA") throw error;
      failure = error;
    }
    if (rrtype !== "CNAME" && depth < 8) {
      let targets: string[] = [];
      try {
        targets = await server.resolver.resolveCname(name);
      } catch {
        // no CNAME here: the empty answer stands
      }
      const target = targets[0];
      if (target !== undefined) return resolve(target, rrtype, depth + 1);
    }
    if (failure !== undefined) throw failure;
    return answer;
  };
  return ((name: string, rrtype: string) => resolve(name, rrtype, 0)) as DNSResolver;
}

/** TXT answers at `name` as character-string lists. */
async function txtAnswers(server: BindServer, name: string): Promise<string[][]> {
  const answer = await server.resolve(name, "TXT");
  assert.ok(
    Array.isArray(answer) && answer.every(isStringArray),
    `TXT ${name}: unexpected answer ${JSON.stringify(answer)}`,
  );
  return answer;
}

// ---------------------------------------------------------------------------------------------------
// Mail.

const signedCache = new Map<string, Promise<string>>();

/** A message from someone@<domain>, DKIM-signed under `selector` with a fixture key (cached: signing is per stack, not per zone source). */
function signedMessage(domain: string, selector: string, key: FixtureKeyName): Promise<string> {
  const cacheKey = `${domain} ${selector} ${key}`;
  let signed = signedCache.get(cacheKey);
  if (signed === undefined) {
    signed = (async () => {
      const raw = testMessage(domain, `signed ${selector} ${key}`);
      const signature = { signingDomain: domain, selector, privateKey: fixtureKey(key).privatePem };
      // mailauth 7 signs only what `signatureData` lists; its typings also require the top-level trio.
      const result = await dkimSign(raw, {
        ...signature,
        signatureData: [signature],
        canonicalization: "relaxed/relaxed",
        strict: true,
      });
      assert.deepEqual(result.errors, [], `dkimSign ${selector}`);
      assert.match(result.signatures, /^DKIM-Signature: /);
      return result.signatures + raw;
    })();
    signedCache.set(cacheKey, signed);
  }
  return signed;
}

async function receive(raw: string, domain: string, ip: string, resolver: DNSResolver): Promise<AuthenticateResult> {
  return authenticate(raw, {
    ip,
    helo: `mail.${domain}`,
    sender: `someone@${domain}`,
    mta: RECEIVER,
    resolver,
    disableArc: true,
    disableBimi: true,
    strict: true,
  });
}

function dkimResultFor(result: AuthenticateResult, domain: string, selector: string): string {
  const found = result.dkim.results.filter((r) => r.signingDomain === domain && r.selector === selector);
  assert.equal(
    found.length,
    1,
    `one DKIM result for s=${selector} d=${domain}: ${JSON.stringify(result.dkim.results)}`,
  );
  return found[0]?.status.result ?? "";
}

// ---------------------------------------------------------------------------------------------------

type SourceName = "plan zone" | "provider payload";
const SOURCES: readonly SourceName[] = ["plan zone", "provider payload"];

interface State {
  readonly plans: ReadonlyMap<string, PlannedStack>;
  /** What the two plan runs wrote to stderr. */
  readonly stderr: string;
  readonly servers: ReadonlyMap<SourceName, { readonly server: BindServer; readonly resolver: DNSResolver }>;
}

let state: State | undefined;
let projectDir: string | undefined;
const started: BindServer[] = [];

function current(): State {
  assert.ok(state, "the before hook did not finish: see its error");
  return state;
}

function planFor(spec: StackSpec): PlannedStack {
  const plan = current().plans.get(spec.stack);
  assert.ok(plan, `no plan for stack ${spec.stack}`);
  return plan;
}

function source(name: SourceName): { readonly server: BindServer; readonly resolver: DNSResolver } {
  const entry = current().servers.get(name);
  assert.ok(entry, `no server for ${name}`);
  return entry;
}

async function runPlan(cwd: string, format: "zone" | "json"): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, "plan", "--format", format], {
    cwd,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
    timeout: 60_000,
  });
  assert.doesNotMatch(stderr, /^error:/m, `plan --format ${format} reported errors`);
  return { stdout, stderr };
}

describe("planned records, served by BIND and checked by mailauth", () => {
  before(async () => {
    // Without named every test below skips (or fails under CI=true) through skipOrFailWithoutNamed.
    if (!namedAvailable()) return;

    projectDir = mkdtempSync(path.join(tmpdir(), "sender-auth-records-"));
    const main = path.relative(projectDir, PROGRAM);
    writeFileSync(
      path.join(projectDir, "Pulumi.yaml"),
      stringifyYaml({ name: "sender-auth", runtime: "nodejs", main, stackConfigDir: "stacks" }),
    );
    mkdirSync(path.join(projectDir, "stacks"));
    for (const spec of STACKS) {
      writeFileSync(path.join(projectDir, "stacks", `Pulumi.${spec.stack}.yaml`), stackFileContent(spec));
    }

    const [zoneRun, jsonRun] = await Promise.all([runPlan(projectDir, "zone"), runPlan(projectDir, "json")]);
    const plans = new Map(parsePlanJson(jsonRun.stdout).map((plan) => [plan.stack, plan]));
    const planZones = new Map(splitZoneOutput(zoneRun.stdout).map((zone) => [zone.stack, zone]));
    assert.deepEqual([...plans.keys()].sort(), STACKS.map((s) => s.stack).sort(), "json plans every stack");
    assert.deepEqual([...planZones.keys()].sort(), STACKS.map((s) => s.stack).sort(), "zone output plans every stack");

    const espZone: ZoneSpec = {
      origin: ESP_ZONE,
      body: `${absolute(CNAME_TARGET)} IN TXT ${txtRdata(`v=DKIM1; k=rsa; p=${fixtureKey(CNAME_KEY).publicKey}`)}`,
    };
    const zoneSpecs: Record<SourceName, ZoneSpec[]> = { "plan zone": [espZone], "provider payload": [espZone] };
    for (const spec of STACKS) {
      const plan = plans.get(spec.stack);
      const zone = planZones.get(spec.stack);
      assert.ok(plan && zone);
      assert.equal(plan.domain, spec.domain);
      assert.equal(plan.provider, spec.provider);
      assert.ok(plan.resources.length > 0, `${spec.stack}: the program registered no resources`);
      assert.deepEqual(
        [zone.origin, zone.provider, zone.zoneId],
        [spec.domain, spec.provider, spec.zoneId],
        `${spec.stack}: zone header`,
      );
      zoneSpecs["plan zone"].push({ origin: spec.domain, body: zone.text });
      zoneSpecs["provider payload"].push({ origin: spec.domain, body: payloadZone(plan, spec) });
    }

    const zoneNames = [ESP_ZONE, ...STACKS.map((s) => s.domain)];
    const servers = new Map<SourceName, { server: BindServer; resolver: DNSResolver }>();
    for (const name of SOURCES) {
      const server = await startBind(zoneSpecs[name]);
      started.push(server);
      servers.set(name, { server, resolver: recursiveResolver(server, zoneNames) });
    }
    state = { plans, stderr: zoneRun.stderr + jsonRun.stderr, servers };
  });

  after(async () => {
    await Promise.all(started.map((server) => server.stop()));
    if (projectDir !== undefined) rmSync(projectDir, { recursive: true, force: true });
  });

  it("plans both stacks without warnings (keys of 2048 bits or more, rua inside the domain, SPF answer small)", (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    assert.equal(current().stderr, "");
    for (const spec of STACKS) assert.deepEqual(planFor(spec).warnings, [], spec.stack);
  });

  for (const sourceName of SOURCES) {
    describe(sourceName, () => {
      for (const spec of STACKS) {
        const { domain } = spec;
        describe(`${spec.stack} (${spec.provider}, ${domain})`, () => {
          it("serves every planned TXT value, in character-strings of at most 255 octets", async (t) => {
            if (skipOrFailWithoutNamed(t)) return;
            const { server } = source(sourceName);
            const plan = planFor(spec);
            const expected = new Map<string, string[]>();
            for (const record of plan.records.filter((r) => r.type === "TXT")) {
              expected.set(record.name, [...(expected.get(record.name) ?? []), record.value]);
            }
            // Both providers end up with the verification token beside the SPF record; the printed zone
            // only lists what sender-auth owns.
            if (sourceName === "provider payload") expected.set(domain, [...(expected.get(domain) ?? []), spec.token]);
            assert.ok(expected.has(`${SEL.rsa4096}._domainkey.${domain}`));
            assert.match(expected.get(`_mta-sts.${domain}`)?.[0] ?? "", /^v=STSv1; id=[0-9a-f]{32}$/);
            for (const [name, values] of expected) {
              const answers = await txtAnswers(server, name);
              for (const chunks of answers) {
                for (const chunk of chunks) {
                  assert.ok(
                    Buffer.byteLength(chunk, "utf8") <= 255,
                    `${name}: a character-string of ${Buffer.byteLength(chunk, "utf8")} octets`,
                  );
                }
              }
              assert.deepEqual(answers.map((chunks) => chunks.join("")).sort(), [...values].sort(), `TXT ${name}`);
            }
            const long = await txtAnswers(server, `${SEL.rsa4096}._domainkey.${domain}`);
            assert.equal(long.length, 1);
            assert.equal(long[0]?.length, 3, "the 4096-bit key record is three character-strings");
            const revoked = await txtAnswers(server, `${SEL.revoked}._domainkey.${domain}`);
            assert.deepEqual(revoked, [["v=DKIM1; p="]]);
          });

          it("serves the CNAME selector pointing at the provider's key", async (t) => {
            if (skipOrFailWithoutNamed(t)) return;
            const { server } = source(sourceName);
            const planned = planFor(spec).records.filter((r) => r.type === "CNAME");
            assert.deepEqual(
              planned.map((r) => [r.name, r.value]),
              [[`${SEL.cname}._domainkey.${domain}`, CNAME_TARGET]],
            );
            assert.deepEqual(await server.resolver.resolveCname(`${SEL.cname}._domainkey.${domain}`), [CNAME_TARGET]);
          });

          const passing: readonly { readonly what: string; readonly selector: string; readonly key: FixtureKeyName }[] =
            [
              { what: `the RSA-2048 selector ${SEL.rsa2048}`, selector: SEL.rsa2048, key: "rsa-2048" },
              {
                what: `the RSA-4096 selector ${SEL.rsa4096} (key record split in three)`,
                selector: SEL.rsa4096,
                key: "rsa-4096",
              },
              { what: `the Ed25519 selector ${SEL.ed25519}`, selector: SEL.ed25519, key: "ed25519" },
              {
                what: `the CNAME selector ${SEL.cname} with the ${CNAME_KEY} key hosted at ${CNAME_TARGET}`,
                selector: SEL.cname,
                key: CNAME_KEY,
              },
            ];
          for (const { what, selector, key } of passing) {
            it(`DKIM: a message signed under ${what} passes`, async (t) => {
              if (skipOrFailWithoutNamed(t)) return;
              const { resolver } = source(sourceName);
              const result = await receive(await signedMessage(domain, selector, key), domain, LISTED_IPS[0], resolver);
              assert.equal(dkimResultFor(result, domain, selector), "pass");
            });
          }

          it(`DKIM: a message signed under the revoked selector ${SEL.revoked} does not pass`, async (t) => {
            if (skipOrFailWithoutNamed(t)) return;
            const { resolver } = source(sourceName);
            const raw = await signedMessage(domain, SEL.revoked, REVOKED_KEY);
            const result = await receive(raw, domain, UNLISTED_IP, resolver);
            assert.notEqual(dkimResultFor(result, domain, SEL.revoked), "pass");
            assert.ok(result.dmarc, "DMARC was evaluated");
            assert.equal(result.dmarc.status.result, "fail", "a revoked key authenticates nothing for DMARC");
          });

          it(`SPF: MAIL FROM someone@${domain} passes from ${LISTED_IPS.join(", ")} and ${LISTED_IP6}`, async (t) => {
            if (skipOrFailWithoutNamed(t)) return;
            const { resolver } = source(sourceName);
            for (const ip of [...LISTED_IPS, LISTED_IP6]) {
              const result = await spf({
                sender: `someone@${domain}`,
                ip,
                helo: `mail.${domain}`,
                mta: RECEIVER,
                resolver,
                strict: true,
              });
              assert.equal(result.status.result, "pass", `${ip}: ${result.header}`);
            }
          });

          it(`SPF: MAIL FROM someone@${domain} from ${UNLISTED_IP} is ${spec.all}`, async (t) => {
            if (skipOrFailWithoutNamed(t)) return;
            const { resolver } = source(sourceName);
            const result = await spf({
              sender: `someone@${domain}`,
              ip: UNLISTED_IP,
              helo: `mail.${domain}`,
              mta: RECEIVER,
              resolver,
              strict: true,
            });
            assert.equal(result.status.result, spec.all, result.header);
          });

          it(`DMARC: a signed message from a listed address passes under p=${spec.policy}`, async (t) => {
            if (skipOrFailWithoutNamed(t)) return;
            const { resolver } = source(sourceName);
            const result = await receive(
              await signedMessage(domain, SEL.rsa2048, "rsa-2048"),
              domain,
              LISTED_IPS[1],
              resolver,
            );
            assert.equal(result.spf && result.spf.status.result, "pass");
            assert.ok(result.dmarc, "DMARC was evaluated");
            assert.equal(result.dmarc.status.result, "pass", result.dmarc.info);
            assert.equal(result.dmarc.policy, spec.policy);
            assert.equal(result.dmarc.p, spec.policy);
            assert.equal(result.dmarc.alignment.dkim.result, domain);
            assert.equal(result.dmarc.alignment.spf.result, domain);
          });

          it(`DMARC: an unsigned message from ${UNLISTED_IP} fails with policy ${spec.policy}`, async (t) => {
            if (skipOrFailWithoutNamed(t)) return;
            const { resolver } = source(sourceName);
            const result = await receive(testMessage(domain, "unsigned"), domain, UNLISTED_IP, resolver);
            assert.equal(result.spf && result.spf.status.result, spec.all);
            assert.ok(result.dmarc, "DMARC was evaluated");
            assert.equal(result.dmarc.status.result, "fail", result.dmarc.info);
            assert.equal(result.dmarc.policy, spec.policy);
            assert.equal(result.dmarc.status.policy?.dmarc, spec.policy);
          });
        });
      }
    });
  }
});
