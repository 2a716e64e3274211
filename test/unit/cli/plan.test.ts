/**
 * `sender-auth plan` end to end: every test spawns the real binary (bin/sender-auth.js) with the
 * running node and checks exit code, stdout and stderr exactly. Spawns are shared between tests
 * (`once`) and run concurrently, at most one per core (test/support/cli.ts).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import {
  createTempProject,
  describeResult,
  inheritedEnv,
  REPO_ROOT,
  repoStackText,
  runCli,
  type CliResult,
  type TempProject,
} from "../../support/cli";
import { isRecord } from "../../../components/model";
import { field } from "../../support/json";
import { fixtureKey } from "../../support/fixtures";

// ---------------------------------------------------------------------------------------------------
// What the two example stacks (stacks/*.yaml) must plan to.

type ExampleStack = "example-com" | "example-org";

interface ExpectedRecord {
  readonly name: string;
  readonly type: "TXT" | "CNAME";
  readonly ttl: number;
  readonly value: string;
  readonly purpose: string;
  readonly selector?: string;
}

function text(value: unknown, what: string): string {
  assert.equal(typeof value, "string", `${what} should be a string`);
  return value as string;
}

function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} should be an array, got ${JSON.stringify(value)}`);
  return value as unknown[];
}

/** `sender-auth:<key>` of a repository stack file, as parsed YAML. */
function stackValue(stack: ExampleStack, ...keys: string[]): unknown {
  const [first, ...rest] = keys;
  return field(parseYaml(repoStackText(stack)), "config", `sender-auth:${first ?? ""}`, ...rest);
}

const publicKey = (stack: ExampleStack, selector: string): string =>
  text(stackValue(stack, "dkim", "selectors", selector, "publicKey"), `${stack} ${selector} publicKey`);
const preserveTxt = (stack: ExampleStack): string[] =>
  list(stackValue(stack, "dns", "preserveTxt"), "preserveTxt").map((v) => text(v, "preserveTxt[]"));

const ZONE: Record<ExampleStack, string> = {
  "example-com": "023e105f4ecef8ad9ca31a8372d0c353",
  "example-org": "Z0123456789ABCDEFGHIJ",
};
const DOMAIN: Record<ExampleStack, string> = { "example-com": "example.com", "example-org": "example.org" };
const PROVIDER: Record<ExampleStack, string> = { "example-com": "cloudflare", "example-org": "route53" };
const RESOURCE_TYPE: Record<ExampleStack, string> = {
  "example-com": "cloudflare:index/dnsRecord:DnsRecord",
  "example-org": "aws:route53/record:Record",
};

const SPF_COM =
  "v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/24 ip6:2001:db8::/32 include:_spf.google.com include:sendgrid.net ~all";
const SPF_ORG = "v=spf1 ip4:203.0.113.25 mx include:spf.protection.outlook.com -all";

const EXPECTED_RECORDS: Record<ExampleStack, readonly ExpectedRecord[]> = {
  "example-com": [
    { name: "example.com", type: "TXT", ttl: 3600, value: SPF_COM, purpose: "spf" },
    {
      name: "s1._domainkey.example.com",
      type: "CNAME",
      ttl: 3600,
      value: "s1.domainkey.u1234567.wl123.sendgrid.net",
      purpose: "dkim",
      selector: "s1",
    },
    {
      name: "s202611a._domainkey.example.com",
      type: "TXT",
      ttl: 3600,
      value: `v=DKIM1; k=rsa; p=${publicKey("example-com", "s202611a")}`,
      purpose: "dkim",
      selector: "s202611a",
    },
    {
      name: "s202611e._domainkey.example.com",
      type: "TXT",
      ttl: 3600,
      value: `v=DKIM1; k=ed25519; p=${publicKey("example-com", "s202611e")}`,
      purpose: "dkim",
      selector: "s202611e",
    },
    {
      name: "_dmarc.example.com",
      type: "TXT",
      ttl: 3600,
      value: "v=DMARC1; p=quarantine; sp=quarantine; np=reject; adkim=r; aspf=r; rua=mailto:dmarc-reports@example.com",
      purpose: "dmarc",
    },
    {
      name: "example.net._report._dmarc.example.com",
      type: "TXT",
      ttl: 3600,
      value: "v=DMARC1",
      purpose: "dmarc-report-auth",
    },
  ],
  "example-org": [
    { name: "example.org", type: "TXT", ttl: 3600, value: SPF_ORG, purpose: "spf" },
    {
      name: "s202609a._domainkey.example.org",
      type: "TXT",
      ttl: 3600,
      value: `v=DKIM1; k=rsa; p=${publicKey("example-org", "s202609a")}`,
      purpose: "dkim",
      selector: "s202609a",
    },
    {
      name: "s202611b._domainkey.example.org",
      type: "TXT",
      ttl: 3600,
      value: `v=DKIM1; k=rsa; p=${publicKey("example-org", "s202611b")}`,
      purpose: "dkim",
      selector: "s202611b",
    },
    {
      name: "_dmarc.example.org",
      type: "TXT",
      ttl: 3600,
      value:
        "v=DMARC1; p=reject; np=reject; adkim=s; aspf=r; fo=1; rua=mailto:dmarc@example.org,mailto:reports@dmarc.example.net; ruf=mailto:dmarc-failures@example.org",
      purpose: "dmarc",
    },
  ],
};

const SPF_INCLUDE_WARNING =
  "sender-auth:spf.include: 2 of 10 DNS lookups are counted from config, but each include adds the lookups of its own record (RFC 7208 §4.6.4); `sender-auth check` counts the real total";
const EXPECTED_WARNINGS: Record<ExampleStack, readonly string[]> = {
  "example-com": [SPF_INCLUDE_WARNING],
  "example-org": [
    SPF_INCLUDE_WARNING,
    'sender-auth:dmarc.rua[1]: mailto:reports@dmarc.example.net is outside example.org: receivers send reports there only if dmarc.example.net publishes TXT "v=DMARC1" at example.org._report._dmarc.dmarc.example.net (RFC 7489 §7.1)',
  ],
};

/** stderr of a successful plan of `stacks`, in that order: the warnings and nothing else. */
const warningsText = (...stacks: ExampleStack[]): string =>
  stacks
    .flatMap((stack) => EXPECTED_WARNINGS[stack].map((warning) => `warning: stack ${stack}: ${warning}\n`))
    .join("");

// ---------------------------------------------------------------------------------------------------
// Runs, each started once and shared by the tests that read it.

function once<T>(start: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= start());
}

/** Asserts exit 0 and returns stdout. */
function succeeded(result: CliResult): string {
  assert.equal(result.code, 0, describeResult(result));
  return result.stdout;
}

const tempProjects: TempProject[] = [];
const tempDirs: string[] = [];
after(() => {
  for (const project of tempProjects) project.remove();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempProject(): TempProject {
  const project = createTempProject();
  tempProjects.push(project);
  return project;
}

/** A home directory with nothing in it (no ~/.pulumi, ~/.aws, credentials). */
function emptyHome(): string {
  const home = mkdtempSync(path.join(tmpdir(), "sender-auth-home-"));
  tempDirs.push(home);
  return home;
}

/** Ciphertexts of provider credentials, each added to a copy of one of the repository's stacks. */
const CLOUDFLARE_TOKEN = "v1:Vq3Q2ZQZ9nXbCloudflareCiphertextAAAAAAAAAAAAAAAAAAAAAAAA==";
const AWS_SECRET = "v1:h7Jk2LmN4pQrAwsCiphertextBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB==";
const SECRET_STACKS: Record<ExampleStack, string> = {
  "example-com": `${repoStackText("example-com").trimEnd()}\n  cloudflare:apiToken:\n    secure: ${CLOUDFLARE_TOKEN}\n`,
  "example-org": `${repoStackText("example-org").trimEnd()}\n  aws:secretKey:\n    secure: ${AWS_SECRET}\n`,
};

const run = {
  table: once(() => runCli(["plan"])),
  zone: once(() => runCli(["plan", "--format", "zone"])),
  json: once(() => runCli(["plan", "--format", "json"])),
  reversed: once(() => runCli(["plan", "example-org", "example-com"])),
  comTable: once(() => runCli(["plan", "example-com"])),
  comZone: once(() => runCli(["plan", "example-com", "--format", "zone"])),
  comJson: once(() => runCli(["plan", "--format=json", "example-com"])),
  /** `plan` with PATH = node's directory only (no pulumi), an empty HOME and nothing else in the environment. */
  offlineTable: once(() =>
    runCli(["plan", "--format", "table"], { env: { PATH: path.dirname(process.execPath), HOME: emptyHome() } }),
  ),
  /** `plan -f zone` in a temporary project holding copies of both stacks, from a subdirectory of it. */
  tempProjectZone: once(() => {
    const project = tempProject();
    project.copyRepoStack("example-com");
    project.copyRepoStack("example-org");
    return runCli(["plan", "-f", "zone"], { cwd: project.subdir("deep", "er") });
  }),
  /** `plan --format json` on copies of both stacks with a `secure:` provider credential added to each. */
  secretsJson: once(() => {
    const project = tempProject();
    project.writeStack("example-com", SECRET_STACKS["example-com"]);
    project.writeStack("example-org", SECRET_STACKS["example-org"]);
    return runCli(["plan", "--format", "json"], { cwd: project.dir });
  }),
};

/** Each stack's block of a full (both stacks) table, without the final newline. */
function tableBlocks(stdout: string): [string, string] {
  assert.ok(stdout.endsWith("\n") && !stdout.endsWith("\n\n"), "table output ends with exactly one newline");
  const blocks = stdout.slice(0, -1).split("\n\n");
  assert.equal(blocks.length, 2, stdout);
  return [blocks[0]!, blocks[1]!];
}

/** Each stack's zone text of a full (both stacks) zone run, as renderZone returns it. */
function zoneBlocks(stdout: string): [string, string] {
  const blocks = stdout.split("\n\n");
  assert.equal(blocks.length, 2, stdout);
  return [`${blocks[0]!}\n`, blocks[1]!];
}

interface ZoneLine {
  readonly owner: string;
  readonly ttl: number;
  readonly type: string;
  readonly rdata: string;
}

function parseZoneLine(line: string): ZoneLine {
  const match = /^(\S+) +(\d+) IN (TXT|CNAME|MX) +(\S.*)$/.exec(line);
  assert.ok(match, `not a zone record line: ${line}`);
  return { owner: match[1]!, ttl: Number(match[2]), type: match[3]!, rdata: match[4]! };
}

/** The character-strings of TXT rdata that must be `"…"` strings separated by single spaces. */
function quotedStrings(rdata: string): string[] {
  assert.match(rdata, /^"[^"\\]*"(?: "[^"\\]*")*$/, `TXT rdata must be quoted strings: ${rdata}`);
  return [...rdata.matchAll(/"([^"\\]*)"/g)].map((m) => m[1]!);
}

interface PlanJson {
  readonly stack: string;
  readonly domain: string;
  readonly provider: string;
  readonly records: readonly Record<string, unknown>[];
  readonly resources: readonly Record<string, unknown>[];
  readonly warnings: readonly unknown[];
}

const PLAN_KEYS = ["stack", "domain", "provider", "records", "resources", "warnings"];

function parsePlanJson(stdout: string): PlanJson[] {
  const parsed: unknown = JSON.parse(stdout);
  return list(parsed, "plan --format json").map((entry, index) => {
    assert.ok(isRecord(entry), `element ${index} is an object`);
    assert.deepEqual(
      Object.keys(entry),
      PLAN_KEYS,
      `element ${index} has exactly the keys ${PLAN_KEYS.join(", ")} in that order`,
    );
    const objects = (key: string): Record<string, unknown>[] =>
      list(entry[key], key).map((item) => {
        assert.ok(isRecord(item), `${key} elements are objects`);
        return item;
      });
    return {
      stack: text(entry["stack"], "stack"),
      domain: text(entry["domain"], "domain"),
      provider: text(entry["provider"], "provider"),
      records: objects("records"),
      resources: objects("resources"),
      warnings: list(entry["warnings"], "warnings"),
    };
  });
}

/** Warning texts of `stack` on stderr, without the `warning: stack <name>: ` prefix. */
function stderrWarnings(stderr: string, stack: string): string[] {
  const prefix = `warning: stack ${stack}: `;
  return stderr
    .split("\n")
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

// ---------------------------------------------------------------------------------------------------

describe("sender-auth plan (real binary)", { concurrency: true, timeout: 180_000 }, () => {
  describe("on the repository's stacks", { concurrency: true }, () => {
    it("table: exit 0, every record of both stacks on stdout, only the prefixed warnings on stderr", async () => {
      const result = await run.table();
      const stdout = succeeded(result);
      assert.equal(result.stderr, warningsText("example-com", "example-org"));
      for (const line of result.stderr.trimEnd().split("\n")) {
        assert.match(line, /^warning: stack example-(com|org): sender-auth:/);
      }

      const lines = stdout.split("\n");
      assert.ok(
        lines.includes(
          "example-com: example.com on cloudflare (zone 023e105f4ecef8ad9ca31a8372d0c353), 6 records, 6 resources",
        ),
        stdout,
      );
      assert.ok(
        lines.includes("example-org: example.org on route53 (zone Z0123456789ABCDEFGHIJ), 4 records, 4 resources"),
        stdout,
      );
      assert.ok(
        lines.includes(`  example.com                             TXT    3600  spf                ${SPF_COM}`),
        stdout,
      );
      assert.ok(
        lines.includes(
          "  s1._domainkey.example.com               CNAME  3600  dkim s1            s1.domainkey.u1234567.wl123.sendgrid.net",
        ),
        stdout,
      );
      assert.ok(lines.includes(`  example.org                      TXT   3600  spf            ${SPF_ORG}`), stdout);

      const stacks: ExampleStack[] = ["example-com", "example-org"];
      tableBlocks(stdout).forEach((block, index) => {
        const stack = stacks[index]!;
        const [header, columns, ...rows] = block.split("\n");
        assert.equal(
          header,
          `${stack}: ${DOMAIN[stack]} on ${PROVIDER[stack]} (zone ${ZONE[stack]}), ${EXPECTED_RECORDS[stack].length} records, ${EXPECTED_RECORDS[stack].length} resources`,
        );
        assert.match(columns ?? "", /^ {2}NAME +TYPE +TTL +PURPOSE +VALUE$/);
        // Columns are separated by at least two spaces; values are shown in full, never shortened.
        assert.deepEqual(
          rows.map((row) => row.trim().split(/ {2,}/)),
          EXPECTED_RECORDS[stack].map((r) => [
            r.name,
            r.type,
            String(r.ttl),
            r.selector === undefined ? r.purpose : `${r.purpose} ${r.selector}`,
            r.value,
          ]),
        );
      });
    });

    it("zone: per stack a header comment and $ORIGIN, quoted TXT strings of at most 255 characters, absolute CNAME targets", async () => {
      const [zone, json] = await Promise.all([run.zone(), run.json()]);
      const stdout = succeeded(zone);
      assert.equal(zone.stderr, warningsText("example-com", "example-org"));
      const plans = parsePlanJson(succeeded(json));
      const stacks: ExampleStack[] = ["example-com", "example-org"];

      zoneBlocks(stdout).forEach((block, index) => {
        const stack = stacks[index]!;
        assert.ok(block.endsWith("\n"));
        const [comment, origin, ...recordLines] = block.slice(0, -1).split("\n");
        assert.equal(comment, `; stack ${stack}: ${PROVIDER[stack]} zone ${ZONE[stack]}`);
        assert.equal(origin, `$ORIGIN ${DOMAIN[stack]}.`);
        const expected = EXPECTED_RECORDS[stack];
        assert.equal(recordLines.length, expected.length, block);
        recordLines.map(parseZoneLine).forEach((line, i) => {
          const record = expected[i]!;
          assert.equal(
            line.owner,
            record.name === DOMAIN[stack] ? "@" : record.name.slice(0, -(DOMAIN[stack].length + 1)),
          );
          assert.equal(line.ttl, record.ttl);
          assert.equal(line.type, record.type);
          if (record.type === "TXT") {
            const strings = quotedStrings(line.rdata);
            for (const s of strings) assert.ok(s.length <= 255, `${record.name}: a ${s.length}-character string`);
            assert.equal(strings.join(""), record.value, `${record.name}: the strings concatenate to the record value`);
          } else {
            assert.ok(line.rdata.endsWith("."), `${record.name}: CNAME target is absolute`);
            assert.equal(line.rdata, `${record.value}.`);
          }
        });
      });

      assert.ok(
        stdout
          .split("\n")
          .includes("s1._domainkey              3600 IN CNAME s1.domainkey.u1234567.wl123.sendgrid.net."),
        stdout,
      );
      // The 4096-bit key is longer than two character-strings.
      const keyLine = stdout.split("\n").find((line) => line.startsWith("s202611b._domainkey "));
      assert.ok(keyLine, stdout);
      const strings = quotedStrings(parseZoneLine(keyLine).rdata);
      assert.equal(strings.length, 3);
      const jsonValue = plans[1]?.records.find((r) => r["name"] === "s202611b._domainkey.example.org")?.["value"];
      assert.equal(strings.join(""), text(jsonValue, "s202611b value in JSON"));
    });

    it("json: exact shape, records, provider resources only, warnings equal to stderr's", async () => {
      const result = await run.json();
      const plans = parsePlanJson(succeeded(result));
      assert.equal(result.stderr, warningsText("example-com", "example-org"));
      assert.deepEqual(
        plans.map((p) => [p.stack, p.domain, p.provider]),
        [
          ["example-com", "example.com", "cloudflare"],
          ["example-org", "example.org", "route53"],
        ],
      );
      const stacks: ExampleStack[] = ["example-com", "example-org"];
      plans.forEach((plan, index) => {
        const stack = stacks[index]!;
        for (const record of plan.records) {
          assert.deepEqual(
            Object.keys(record),
            record["purpose"] === "dkim"
              ? ["name", "type", "ttl", "value", "purpose", "selector"]
              : ["name", "type", "ttl", "value", "purpose"],
          );
        }
        assert.deepEqual(plan.records, EXPECTED_RECORDS[stack]);

        // Only what a provider creates: no component resources, one resource per record here.
        assert.equal(plan.resources.length, EXPECTED_RECORDS[stack].length, `${stack}: resource count`);
        for (const resource of plan.resources) {
          assert.deepEqual(Object.keys(resource), ["type", "name", "inputs"]);
          assert.equal(resource["type"], RESOURCE_TYPE[stack]);
          assert.equal(field(resource, "inputs", "zoneId"), ZONE[stack]);
        }
        const names = plan.resources.map((r) => text(r["name"], "resource name"));
        assert.deepEqual(names, [...names].sort(), `${stack}: resources are sorted by name`);
        assert.deepEqual(
          plan.resources
            .map(
              (r) =>
                `${text(field(r, "inputs", "name"), "inputs.name")} ${text(field(r, "inputs", "type"), "inputs.type")}`,
            )
            .sort(),
          EXPECTED_RECORDS[stack].map((r) => `${r.name} ${r.type}`).sort(),
          `${stack}: a resource for every record`,
        );

        assert.deepEqual(plan.warnings, EXPECTED_WARNINGS[stack]);
        assert.deepEqual(plan.warnings, stderrWarnings(result.stderr, stack));
      });

      // Route53 keeps one record set per name: the apex one holds SPF and the preserved TXT values.
      const apex = plans[1]?.resources.filter((r) => field(r, "inputs", "name") === "example.org");
      assert.equal(apex?.length, 1);
      assert.deepEqual(field(apex[0], "inputs", "records"), [SPF_ORG, ...preserveTxt("example-org")]);
      assert.equal(preserveTxt("example-org").length, 2);
    });
  });

  describe("determinism and stack selection", { concurrency: true }, () => {
    // Each second run differs from the first only in something that must not matter (environment,
    // project directory, an unused secret), so any difference at all is a failure.
    for (const [format, first, second] of [
      ["table", run.table, run.offlineTable],
      ["zone", run.zone, run.tempProjectZone],
      ["json", run.json, run.secretsJson],
    ] as const) {
      it(`two runs of --format ${format} print byte-identical output`, async () => {
        const [a, b] = await Promise.all([first(), second()]);
        assert.ok(succeeded(a).length > 0);
        assert.equal(succeeded(b), a.stdout);
        assert.equal(b.stderr, a.stderr);
      });
    }

    it("plans the named stacks in the order given on the command line", async () => {
      const [full, reversed] = await Promise.all([run.table(), run.reversed()]);
      const [com, org] = tableBlocks(succeeded(full));
      assert.equal(succeeded(reversed), `${org}\n\n${com}\n`);
      assert.equal(reversed.stderr, warningsText("example-org", "example-com"));
    });

    it("plan example-com alone prints exactly that stack's part of the full output, in every format", async () => {
      const [table, zone, json, comTable, comZone, comJson] = await Promise.all([
        run.table(),
        run.zone(),
        run.json(),
        run.comTable(),
        run.comZone(),
        run.comJson(),
      ]);
      assert.equal(succeeded(comTable), `${tableBlocks(succeeded(table))[0]}\n`);
      assert.equal(succeeded(comZone), zoneBlocks(succeeded(zone))[0]);
      const fullJson: unknown = JSON.parse(succeeded(json));
      assert.equal(succeeded(comJson), `${JSON.stringify(list(fullJson, "json").slice(0, 1), null, 2)}\n`);
      for (const result of [comTable, comZone, comJson]) assert.equal(result.stderr, warningsText("example-com"));
    });
  });

  describe("temporary projects", { concurrency: true }, () => {
    it("a temporary project runs the repository's index.ts, found from a subdirectory: same zone output as the repository", async () => {
      const [repo, temp] = await Promise.all([run.zone(), run.tempProjectZone()]);
      assert.equal(succeeded(temp), succeeded(repo));
      assert.equal(temp.stderr, warningsText("example-com", "example-org"));
    });

    it("bad config fails before anything: exit 1, empty stdout, every problem of the invalid stack, no warnings of the valid one", async () => {
      const project = tempProject();
      const ciphertext = "v1:4b5KMpW9vXr0sEcReTdMaRcPoLiCy0fTheInvalidStack==";
      project.copyRepoStack("example-com", "a-valid");
      project.writeStack(
        "b-invalid",
        [
          "config:",
          "  sender-auth:domain: invalid.example",
          "  sender-auth:dns:",
          "    provider: cloudflare",
          "    zoneId: 023e105f4ecef8ad9ca31a8372d0c353",
          "    colour: blue",
          "  sender-auth:spf:",
          '    ip4: ["192.0.2.300"]',
          "    all: maybe",
          "  sender-auth:dkim:",
          "    selectors:",
          "      s1:",
          "        status: active",
          "        algorithm: ed25519",
          "        publicKey: Y4k7lO3dS9kyLUxJuCZPYz2YRXCSvX6gKPuHuEl0TPU=",
          "        cname: s1.example.net",
          "  sender-auth:dmarc:",
          "    policy:",
          `      secure: ${ciphertext}`,
          "",
        ].join("\n"),
      );
      const result = await runCli(["plan"], { cwd: project.dir });
      assert.equal(result.code, 1, describeResult(result));
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        [
          "error: stack b-invalid: sender-auth:dns.colour: unknown key; allowed: provider, zoneId, ttl, preserveTxt",
          'error: stack b-invalid: sender-auth:spf.ip4[0]: not an IPv4 address or CIDR range (got "192.0.2.300"); allowed: an IPv4 address or CIDR range such as 192.0.2.1 or 192.0.2.0/24',
          'error: stack b-invalid: sender-auth:spf.all: is not an allowed value (got "maybe"); allowed: fail, softfail, neutral',
          // A secret value is reported by its placeholder, never its ciphertext.
          'error: stack b-invalid: sender-auth:dmarc.policy: is not an allowed value (got "[secret]"); allowed: none, quarantine, reject',
          "error: stack b-invalid: sender-auth:dkim.selectors.s1.cname: and publicKey are mutually exclusive, and cannot both be set: a CNAME selector's key is published by the provider it points at",
          "",
        ].join("\n"),
      );
      assert.ok(!result.stderr.includes(ciphertext));
    });

    it("a stack file the Pulumi CLI would read differently or refuse (issue #11): exit 1, every problem by key path, the stack file's first, nothing of the key printed", async () => {
      const project = tempProject();
      const pem = fixtureKey("rsa-2048").privatePem;
      const pemLines = pem
        .trimEnd()
        .split("\n")
        .map((line) => `          ${line}`);
      project.writeStack(
        "hostile",
        [
          "config:",
          "  domain: example.com",
          "  sender-auth:domain: example.net",
          "  sender-auth:dns:",
          "    provider: cloudflare",
          "    zoneId: 023e105f4ecef8ad9ca31a8372d0c353",
          "    ttl: .inf",
          "    __proto__: {ttl: 60}",
          "  sender-auth:dkim:",
          "    selectors:",
          "      s1:",
          "        status: active",
          `        publicKey: ${fixtureKey("rsa-2048").publicKey}`,
          "        privateKey: |",
          ...pemLines,
          "      s2:",
          "        status: published",
          `        publicKey: ${fixtureKey("rsa-2048-b").publicKey}`,
          "        privateKey:",
          "          secure: v1:AAAAciphertext",
          "      xn--zz:",
          "        status: revoked",
          "",
        ].join("\n"),
      );
      project.writeStack(
        "listed",
        "config:\n  sender-auth:domain: [example.com]\n  sender-auth:dns: {provider: route53, zoneId: Z0123456789ABCDEFGHIJ}\n",
      );
      const result = await runCli(["plan"], { cwd: project.dir });
      assert.equal(result.code, 1, describeResult(result));
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        [
          'error: stack hostile: sender-auth:domain: is set twice in the stack file, as "domain" and "sender-auth:domain": the Pulumi CLI reads these as one key and keeps one of the values at random; remove all but one; allowed: one spelling of each key, e.g. "sender-auth:domain"',
          "error: stack hostile: sender-auth:dns.ttl: is .inf, which is not a finite number: the Pulumi CLI refuses a stack file holding it, as JSON has no infinity or NaN; allowed: a whole number of seconds: 1 (automatic) or 60–86400 on Cloudflare, 0–2147483647 on Route53",
          "error: stack hostile: sender-auth:dkim.selectors.s1.privateKey: is stored in plain text: anyone who can read the stack file or its git history can sign mail as this domain. Store it as a secret by piping the PEM to `pulumi config set --secret --path 'sender-auth:dkim.selectors.s1.privateKey' < private-key.pem` (the value is read from standard input, never put it on the command line), then remove the plain-text key from the git history (e.g. git filter-repo) and, if the repository was ever shared, rotate to a new selector (sender-auth rotate); allowed: the PEM private key whose public half is publicKey, stored as a secret (sender-auth keygen)",
          "error: stack hostile: sender-auth:dns.__proto__: is a key name JavaScript gives every object, which could reach an object's prototype (prototype pollution); sender-auth refuses __proto__, constructor, prototype as keys anywhere in its config: rename or remove it",
          'error: stack hostile: sender-auth:dkim.selectors.xn--zz: selector name has an invalid Punycode label "xn--zz": "zz" does not decode (RFC 3492) (got "xn--zz"); allowed: DNS labels of lower-case letters, digits and hyphens, e.g. s202611a',
          'error: stack listed: sender-auth:domain: must be a string (got ["example.com"]); allowed: a lower-case domain name in Punycode without trailing dot, e.g. example.com',
          "",
        ].join("\n"),
      );
      for (const line of pem.split("\n").slice(1, -2)) assert.ok(!result.stderr.includes(line), "key material printed");
    });

    it("secure: config values are neither decrypted nor printed, and change nothing in the plan", async () => {
      // The secrets really are config values of those stacks.
      assert.deepEqual(field(parseYaml(SECRET_STACKS["example-com"]), "config", "cloudflare:apiToken"), {
        secure: CLOUDFLARE_TOKEN,
      });
      assert.deepEqual(field(parseYaml(SECRET_STACKS["example-org"]), "config", "aws:secretKey"), {
        secure: AWS_SECRET,
      });
      const [repo, temp] = await Promise.all([run.json(), run.secretsJson()]);
      assert.equal(succeeded(temp), succeeded(repo));
      assert.equal(temp.stderr, warningsText("example-com", "example-org"));
      for (const secret of [CLOUDFLARE_TOKEN, AWS_SECRET, CLOUDFLARE_TOKEN.slice(3), AWS_SECRET.slice(3)]) {
        assert.ok(!temp.stdout.includes(secret) && !temp.stderr.includes(secret), `${secret} was printed`);
      }
    });
  });

  describe("offline", { concurrency: true }, () => {
    it("needs no pulumi CLI, credentials or network: PATH = node's directory only, empty HOME, no AWS_*/CLOUDFLARE_* variables", async () => {
      const nodeDir = path.dirname(process.execPath);
      assert.ok(
        !existsSync(path.join(nodeDir, "pulumi")),
        `${nodeDir} holds a pulumi binary, so this test would prove nothing`,
      );
      const [repo, offline] = await Promise.all([run.table(), run.offlineTable()]);
      assert.equal(succeeded(offline), succeeded(repo));
      assert.equal(offline.stderr, warningsText("example-com", "example-org"));
    });
  });

  describe("usage errors exit 2, --help and --version exit 0", { concurrency: true }, () => {
    const usage = (args: string[], stderr: string): void => {
      it(`sender-auth ${args.join(" ")}`, async () => {
        const result = await runCli(args);
        assert.equal(result.code, 2, describeResult(result));
        assert.equal(result.stdout, "");
        assert.equal(result.stderr, stderr);
      });
    };
    usage(
      ["plan", "nope", "example-com", "zzz"],
      'error: no stack file for "nope" (stacks/Pulumi.nope.yaml), "zzz" (stacks/Pulumi.zzz.yaml); stacks: example-com, example-org\n',
    );
    usage(
      ["plan", "--format", "xml"],
      "error: option '-f, --format <format>' argument 'xml' is invalid. Allowed choices are table, zone, json, bind.\n(run with --help for usage)\n",
    );
    usage(["plan", "--bogus"], "error: unknown option '--bogus'\n(run with --help for usage)\n");
    usage(["deploy"], "error: unknown command 'deploy'\n(run with --help for usage)\n");

    it("sender-auth --help", async () => {
      const result = await runCli(["--help"]);
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(result.stderr, "");
      assert.ok(result.stdout.startsWith("Usage: sender-auth [options] [command]\n"), result.stdout);
      assert.match(result.stdout, /^ {2}plan \[options\] \[stacks\.\.\.\] +show what `pulumi up` would create/m);
    });

    it("sender-auth help plan: plan's help on stdout, exit 0, the same as plan --help", async () => {
      const [help, flag] = await Promise.all([runCli(["help", "plan"]), runCli(["plan", "--help"])]);
      assert.equal(help.code, 0, describeResult(help));
      assert.equal(help.stderr, "");
      assert.equal(help.stdout, flag.stdout);
      assert.equal(flag.code, 0, describeResult(flag));
      assert.equal(
        help.stdout,
        [
          "Usage: sender-auth plan [options] [stacks...]",
          "",
          "show what `pulumi up` would create for each stack, offline (Pulumi SDK mock",
          "runtime)",
          "",
          "Arguments:",
          "  stacks                 stack names (stacks/Pulumi.<name>.yaml); default: every",
          "                         stack file",
          "",
          "Options:",
          '  -f, --format <format>  output format (choices: "table", "zone", "json",',
          '                         "bind", default: "table")',
          "  --write                write records/<stack>.zone snapshots (and remove those",
          "                         of deleted stacks) (default: false)",
          "  --check                exit 1 when a records/<stack>.zone snapshot differs",
          "                         from its stack's config (default: false)",
          "  --out <dir>            with --format bind: write <dir>/<domain>.zone for each",
          "                         stack",
          "  --workers <n>          worker threads that share the stacks (default: one per",
          "                         core from 250 stacks on; 0: none)",
          "  -h, --help             display help for command",
          "",
        ].join("\n"),
      );
    });

    it("sender-auth with no command: the help on stderr, exit 2", async () => {
      const result = await runCli([]);
      assert.equal(result.code, 2, describeResult(result));
      assert.equal(result.stdout, "");
      assert.ok(result.stderr.startsWith("Usage: sender-auth [options] [command]\n"), result.stderr);
    });

    it("sender-auth --version prints package.json's version", async () => {
      const result = await runCli(["--version"]);
      const pkg: unknown = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(result.stderr, "");
      assert.equal(result.stdout, `${text(field(pkg, "version"), "package.json version")}\n`);
    });
  });
});

describe("sender-auth plan's start-up", () => {
  it("loads the diff package only to show a --check difference", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-plan-modules-"));
    try {
      // Preloaded into the CLI's node: the modules it loaded, written when it exits.
      const preload = path.join(dir, "loaded.cjs");
      const list = path.join(dir, "loaded.json");
      writeFileSync(
        preload,
        `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`,
      );
      const result = await runCli(["plan", "--format", "json", "example-com"], {
        env: { ...inheritedEnv(), NODE_OPTIONS: `--require ${preload}` },
      });
      assert.equal(result.code, 0, describeResult(result));
      const loaded = JSON.parse(readFileSync(list, "utf8")) as string[];
      const packageFiles = (name: string): string[] =>
        loaded.filter((file) => file.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`));
      assert.notDeepEqual(packageFiles("yaml"), [], "the preload should see the CLI's modules");
      assert.deepEqual(packageFiles("diff"), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
