/**
 * End to end for TLS-RPT and BIMI (issue 13): two stacks (Cloudflare, Route53) planned by spawning
 * the real CLI; their zones rebuilt from the provider inputs of `plan --format json` (Cloudflare
 * `content`, Route53 `records` elements) and served by BIND, where every record reads back exactly;
 * then `sender-auth check` against BIND and a local HTTPS server (test CA through
 * NODE_EXTRA_CA_CERTS) that serves the BIMI logos and a real, public VMC (test/fixtures/bimi), with
 * "now" pinned inside the certificate's validity.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { validateBimiVmc } from "mailauth";
import { stringify as stringifyYaml } from "yaml";
import { parseCharacterStrings } from "../../components/records/txt";
import { skipOrFailWithoutNamed, startBind, type BindServer } from "../support/bind";
import { parseReports } from "../support/checkReports";
import { createTempProject, describeResult, runCli, type TempProject } from "../support/cli";
import { startHttpsServer, type LocalHttpsServer } from "../support/httpsServer";

const FIXTURES = path.join(__dirname, "..", "fixtures", "bimi");
const TINY_PS = readFileSync(path.join(FIXTURES, "logo-tiny-ps.svg"));
const VMC_PEM = readFileSync(path.join(FIXTURES, "paypal-vmc.pem"));
/** Inside the fixture VMC's validity (2024-09-09 to 2025-09-08). */
const NOW = "2025-01-15T12:00:00Z";
const TTL = 300;

interface Spec {
  readonly stack: string;
  readonly provider: "cloudflare" | "route53";
  readonly zoneId: string;
  readonly domain: string;
  readonly tlsRpt: readonly string[];
  readonly bimi: Readonly<Record<string, string>>;
}

const SPECS: readonly Spec[] = [
  {
    stack: "paypal-cf",
    provider: "cloudflare",
    zoneId: "0123456789abcdef0123456789abcdef",
    domain: "paypal.com",
    tlsRpt: ["mailto:tlsrpt@paypal.com", `https://reports.paypal.com/tlsrpt/${"v".repeat(240)}`],
    bimi: { logo: "https://bimi.paypal.com/logo.svg", authority: "https://bimi.paypal.com/vmc.pem" },
  },
  {
    stack: "brand-r53",
    provider: "route53",
    zoneId: "Z0123456789ABCDEFGHIJ",
    domain: "brand-r53.test",
    tlsRpt: ["mailto:tls@brand-r53.test"],
    bimi: { selector: "brand2", logo: "https://cdn.brand-r53.test/logo.svg" },
  },
];

const stackFile = (spec: Spec): string =>
  stringifyYaml(
    {
      config: {
        "sender-auth:domain": spec.domain,
        "sender-auth:dns": { provider: spec.provider, zoneId: spec.zoneId, ttl: TTL },
        "sender-auth:dmarc": { policy: "reject" },
        "sender-auth:tlsRpt": { rua: spec.tlsRpt },
        "sender-auth:bimi": spec.bimi,
      },
    },
    { lineWidth: 0 },
  );

interface Planned {
  readonly stack: string;
  readonly records: { name: string; type: string; value: string; purpose: string }[];
  readonly resources: { type: string; inputs: Record<string, unknown> }[];
}

const quoted = (chunks: readonly string[]): string =>
  chunks.map((chunk) => `"${chunk.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(" ");

/** The zone each provider would serve, from the resource inputs `pulumi up` would send it. */
function providerZone(plan: Planned, spec: Spec): string {
  return plan.resources
    .map(({ inputs }) => {
      assert.equal(inputs["type"], "TXT");
      const name = `${String(inputs["name"])}.`;
      if (spec.provider === "cloudflare") {
        return `${name} ${TTL} IN TXT ${quoted(parseCharacterStrings(String(inputs["content"])))}`;
      }
      const elements = inputs["records"] as string[];
      return elements.map((e) => `${name} ${TTL} IN TXT ${quoted(parseCharacterStrings(`"${e}"`))}`).join("\n");
    })
    .join("\n");
}

describe("TLS-RPT and BIMI: provider inputs served by BIND, checked live", () => {
  let project: TempProject;
  let bind: BindServer | undefined;
  let web: LocalHttpsServer | undefined;
  let plans: Planned[] = [];

  before(async () => {
    project = createTempProject("sender-auth-tlsrpt-bimi-");
    for (const spec of SPECS) project.writeStack(spec.stack, stackFile(spec));
    const plan = await runCli(["plan", "--format", "json"], { cwd: project.dir });
    assert.equal(plan.code, 0, describeResult(plan));
    plans = JSON.parse(plan.stdout) as Planned[];
  });
  after(async () => {
    await bind?.stop();
    await web?.stop();
    project.remove();
  });

  it("plan shows both families' records; BIND serves the provider inputs and they read back exactly", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const zones = SPECS.map((spec) => {
      const plan = plans.find((p) => p.stack === spec.stack);
      assert.ok(plan !== undefined);
      const web = spec.provider === "cloudflare" ? "bimi" : "cdn";
      // The MX records are not sender-auth's; TLS-RPT is about mail the domain receives, so `check` asks for them.
      const mx = `@ ${TTL} IN MX 10 mail.${spec.domain}.`;
      return { origin: spec.domain, body: `${providerZone(plan, spec)}\n${web} ${TTL} IN A 127.0.0.1\n${mx}\n` };
    });
    const server = await startBind(zones);
    bind = server;
    for (const spec of SPECS) {
      const plan = plans.find((p) => p.stack === spec.stack);
      const purposes = plan?.records.map((r) => r.purpose).sort();
      assert.deepEqual(purposes, ["bimi", "dmarc", "tls-rpt"]);
      for (const record of plan?.records ?? []) {
        const served: string[] = (await server.resolver.resolveTxt(record.name)).map((chunks) => chunks.join(""));
        assert.deepEqual(served, [record.value], `${spec.stack} ${record.name}`);
      }
    }
    const selector = plans.find((p) => p.stack === "brand-r53")?.records.find((r) => r.purpose === "bimi");
    assert.deepEqual(selector, {
      name: "brand2._bimi.brand-r53.test",
      type: "TXT",
      ttl: TTL,
      value: "v=BIMI1; l=https://cdn.brand-r53.test/logo.svg;",
      purpose: "bimi",
      selector: "brand2",
    });
  });

  it("check against BIND and the HTTPS server: TLS-RPT, the BIMI record, logos and the VMC are ok", async (t) => {
    if (skipOrFailWithoutNamed(t) || bind === undefined) return;
    const held = await validateBimiVmc(
      {
        status: { result: "pass" },
        info: "",
        location: "https://bimi.paypal.com/logo.svg",
        authority: "https://bimi.paypal.com/vmc.pem",
        locationPath: TINY_PS,
        authorityPath: VMC_PEM,
      },
      { now: new Date(NOW) },
    );
    const logoFile = (held === false ? undefined : (held.authority?.vmc as { logoFile?: string }))?.logoFile ?? "";
    const svg = { "content-type": "image/svg+xml" };
    web = await startHttpsServer({
      "bimi.paypal.com": {
        paths: {
          "/logo.svg": { headers: svg, body: Buffer.from(logoFile, "base64") },
          "/vmc.pem": { headers: { "content-type": "application/x-pem-file" }, body: VMC_PEM },
        },
      },
      "cdn.brand-r53.test": { paths: { "/logo.svg": { headers: svg, body: TINY_PS } } },
    });
    const result = await runCli(
      ["check", "--resolver", `127.0.0.1:${bind.port}`, "--https-port", String(web.port), "--format", "json"],
      { cwd: project.dir, env: { ...web.env(), SENDER_AUTH_NOW: NOW }, timeoutMs: 60_000 },
    );
    assert.equal(result.code, 0, describeResult(result));
    const reports = parseReports(result.stdout);
    const lines = reports.map((r) => [
      r.stack,
      ...r.findings.filter((f) => f.subject !== "dmarc").map((f) => `${f.result} ${f.code} ${f.message}`),
    ]);
    const [cf, r53] = SPECS;
    assert.deepEqual(lines, [
      [
        "brand-r53",
        "ok record-ok DMARC",
        "ok record-ok TLS-RPT",
        "ok record-ok BIMI",
        `ok tlsrpt-rua sending servers report failed TLS sessions to ${r53?.tlsRpt.join(", ") ?? ""}`,
        "ok bimi-record receivers discover brand2._bimi.brand-r53.test: l=https://cdn.brand-r53.test/logo.svg",
        `ok bimi-logo the logo at https://cdn.brand-r53.test/logo.svg is SVG Tiny PS (${TINY_PS.length} octets)`,
      ],
      [
        "paypal-cf",
        "ok record-ok DMARC",
        "ok record-ok TLS-RPT",
        "ok record-ok BIMI",
        `ok tlsrpt-rua sending servers report failed TLS sessions to ${cf?.tlsRpt.join(", ") ?? ""}`,
        "ok bimi-record receivers discover default._bimi.paypal.com: l=https://bimi.paypal.com/logo.svg a=https://bimi.paypal.com/vmc.pem",
        `ok bimi-logo the logo at https://bimi.paypal.com/logo.svg is SVG Tiny PS (${Buffer.from(logoFile, "base64").length} octets)`,
        "ok bimi-certificate the certificate at https://bimi.paypal.com/vmc.pem is a VMC for paypal.com, valid on 2025-01-15, and holds the logo at l=",
      ],
    ]);
    assert.deepEqual(
      web
        .requests()
        .map((r) => `${r.host} ${r.path}`)
        .sort(),
      ["bimi.paypal.com /logo.svg", "bimi.paypal.com /vmc.pem", "cdn.brand-r53.test /logo.svg"],
    );
  });
});
