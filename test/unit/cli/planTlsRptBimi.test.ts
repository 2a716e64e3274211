/**
 * `plan --format bind|zone|table|json` show the TLS-RPT and BIMI records (issue 13), spawned as a user
 * runs them, exact output; the missing-certificate warning on stderr and in JSON.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTempProject, describeResult, runCli, type TempProject } from "../../support/cli";

const STACK = `config:
  sender-auth:domain: brand.example
  sender-auth:dns:
    provider: cloudflare
    zoneId: 0123456789abcdef0123456789abcdef
    ttl: 600
  sender-auth:dmarc:
    policy: reject
  sender-auth:tlsRpt:
    rua: ["mailto:tls@brand.example", "https://reports.example.net/tls"]
  sender-auth:bimi:
    logo: https://brand.example/logo.svg
`;
const WARNING =
  "sender-auth:bimi.authority: not set: Gmail and Apple Mail show a BIMI logo only with a Verified Mark or Common Mark Certificate (a=); without one, few receivers show it";
const TLS_RPT = "v=TLSRPTv1; rua=mailto:tls@brand.example,https://reports.example.net/tls";
const BIMI = "v=BIMI1; l=https://brand.example/logo.svg;";

describe("plan shows TLS-RPT and BIMI", { concurrency: true }, () => {
  let project: TempProject;
  before(() => {
    project = createTempProject("sender-auth-plan-tlsrpt-bimi-");
    project.writeStack("brand", STACK);
  });
  after(() => {
    project.remove();
  });

  const plan = async (format: string): Promise<string> => {
    const result = await runCli(["plan", "brand", "--format", format], { cwd: project.dir });
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(result.stderr, `warning: stack brand: ${WARNING}\n`);
    return result.stdout;
  };

  it("--format bind", async () => {
    assert.equal(
      await plan("bind"),
      [
        "; stack brand: cloudflare zone 0123456789abcdef0123456789abcdef",
        "; SOA and NS are placeholders so that BIND loads this file (`sender-auth plan --format bind`); not for publishing",
        "$ORIGIN brand.example.",
        "$TTL 600",
        "@             600 IN SOA   ns.invalid. hostmaster.invalid. ( 1 3600 600 604800 300 )",
        "@             600 IN NS    ns.invalid.",
        '_dmarc        600 IN TXT   "v=DMARC1; p=reject"',
        `_smtp._tls    600 IN TXT   "${TLS_RPT}"`,
        `default._bimi 600 IN TXT   "${BIMI}"`,
        "",
      ].join("\n"),
    );
  });

  it("--format zone", async () => {
    assert.equal(
      await plan("zone"),
      [
        "; stack brand: cloudflare zone 0123456789abcdef0123456789abcdef",
        "$ORIGIN brand.example.",
        '_dmarc        600 IN TXT   "v=DMARC1; p=reject"',
        `_smtp._tls    600 IN TXT   "${TLS_RPT}"`,
        `default._bimi 600 IN TXT   "${BIMI}"`,
        "",
      ].join("\n"),
    );
  });

  it("--format table: purpose tls-rpt, and bimi with its selector", async () => {
    assert.equal(
      await plan("table"),
      [
        "brand: brand.example on cloudflare (zone 0123456789abcdef0123456789abcdef), 3 records, 3 resources",
        "  NAME                         TYPE  TTL  PURPOSE       VALUE",
        "  _dmarc.brand.example         TXT   600  dmarc         v=DMARC1; p=reject",
        `  _smtp._tls.brand.example     TXT   600  tls-rpt       ${TLS_RPT}`,
        `  default._bimi.brand.example  TXT   600  bimi default  ${BIMI}`,
        "",
      ].join("\n"),
    );
  });

  it("--format json: the records, the provider resources and the warning", async () => {
    const [stack] = JSON.parse(await plan("json")) as {
      records: unknown[];
      resources: { name: string; inputs: Record<string, unknown> }[];
      warnings: string[];
    }[];
    assert.deepEqual(stack?.records.slice(1), [
      { name: "_smtp._tls.brand.example", type: "TXT", ttl: 600, value: TLS_RPT, purpose: "tls-rpt" },
      { name: "default._bimi.brand.example", type: "TXT", ttl: 600, value: BIMI, purpose: "bimi", selector: "default" },
    ]);
    assert.deepEqual(
      stack.resources.map((r) => `${r.name} ${String(r.inputs["name"])} ${String(r.inputs["content"])}`),
      [
        `brand.example-bimi default._bimi.brand.example "${BIMI}"`,
        'brand.example-dmarc _dmarc.brand.example "v=DMARC1; p=reject"',
        `brand.example-tls-rpt _smtp._tls.brand.example "${TLS_RPT}"`,
      ],
    );
    assert.deepEqual(stack.warnings, [WARNING]);
  });
});
