/**
 * TLS-RPT's live checks (RFC 8460 §3), in process through the DnsClient seam
 * (test/support/memoryDns.ts): the record as a sending server reads it, compared with the declared rua.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkStack, type Finding } from "../../../../cli/check/checks";
import { DnsFailure } from "../../../../cli/check/dnsClient";
import { validateStack } from "../../../../components/config";
import { publishedRecord } from "../../../../components/model";
import { tlsRpt } from "../../../../components/sections/tlsRpt";
import type { HostileAnswer } from "../../../support/hostileDns";
import { memoryDns } from "../../../support/memoryDns";

const D = "example.test";
const NAME = `_smtp._tls.${D}`;
const A = "mailto:tls@example.test";
const B = "https://reports.example.net/tls";
const { config, records } = validateStack("s", {
  domain: D,
  dns: { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef", ttl: 300 },
  tlsRpt: { rua: [A, B] },
});
const DECLARED = `v=TLSRPTv1; rua=${A},${B}`;

/** The domain's MX hosts: "." is a null MX (RFC 7505), none is no MX record. */
const MAIL = ["mail.example.test"];

async function check(
  served: readonly HostileAnswer[] | undefined,
  fail?: DnsFailure,
  mx: readonly string[] = MAIL,
  failMx?: DnsFailure,
): Promise<{ findings: Finding[]; asked: string[] }> {
  const dns = memoryDns(
    (name, type) => {
      if (name === NAME) return served;
      if (name === D && type === "MX") {
        return mx.map((exchange, i) => ({ type: "MX", data: { preference: 10 * (i + 1), exchange } }));
      }
      return name === D ? [] : undefined;
    },
    (name, type) => (name === NAME ? fail : name === D && type === "MX" ? failMx : undefined),
  );
  const findings = await checkStack(
    {
      resolver: { host: "192.0.2.53", port: 53 },
      queryOptions: {},
      privateKeys: new Map(),
      dns,
      stack: "s",
      now: () => new Date("2026-12-01T12:00:00Z"),
    },
    config,
    records.map(publishedRecord),
    [tlsRpt],
  );
  return { findings, asked: dns.asked };
}

const line = (f: Finding): string =>
  `${f.result} ${f.code} ${f.subject}: ${f.message}${f.hint === undefined ? "" : ` | ${f.hint}`}`;

describe("check: TLS-RPT as senders read it", () => {
  it("the declared record, beside another TXT value senders discard: ok, asked once", async () => {
    const { findings, asked } = await check([
      { type: "TXT", data: DECLARED },
      { type: "TXT", data: "google-site-verification=abc" },
    ]);
    assert.deepEqual(findings.map(line), [
      `ok record-ok ${NAME}: TLS-RPT`,
      `ok tlsrpt-rua tls-rpt: sending servers report failed TLS sessions to ${A}, ${B}`,
    ]);
    assert.deepEqual(asked, [`192.0.2.53:53 ${NAME} TXT`, `192.0.2.53:53 ${D} MX`]);
  });

  it("no record: missing, with the command that publishes it", async () => {
    const { findings } = await check(undefined);
    assert.deepEqual(findings.map(line).slice(1), [
      `fail tlsrpt-missing tls-rpt: no TLS-RPT record at ${NAME} (NXDOMAIN): sending servers report no failed TLS sessions | run \`pulumi up --stack s\`; if it just ran, wait for the negative-caching TTL 300 s (until 12:05 UTC); deleted by hand outside sender-auth? \`pulumi up --refresh --stack s\` creates it again`,
    ]);
  });

  it("another rua than declared: the served and declared destinations", async () => {
    const { findings } = await check([{ type: "TXT", data: `v=TLSRPTv1; rua=${A}` }]);
    const rua = findings.find((f) => f.code === "tlsrpt-rua");
    assert.equal(
      rua?.message,
      `the TLS-RPT record at ${NAME} is not what the stack declares: senders report to ${A}, config declares ${A}, ${B}`,
    );
    assert.equal(rua.result, "fail");
    assert.deepEqual(rua.served, [`v=TLSRPTv1; rua=${A}`]);
  });

  it("a record without rua, and one with a destination senders cannot use", async () => {
    const none = await check([{ type: "TXT", data: "v=TLSRPTv1;" }]);
    assert.equal(
      none.findings.find((f) => f.code === "tlsrpt-rua")?.message,
      `the TLS-RPT record at ${NAME} is not what the stack declares: it has no rua= destination, so senders send reports nowhere`,
    );
    const bad = await check([{ type: "TXT", data: "v=TLSRPTv1; rua=ftp://x.example.net/" }]);
    assert.equal(
      bad.findings.find((f) => f.code === "tlsrpt-rua")?.message,
      `the TLS-RPT record at ${NAME} is not what the stack declares: senders cannot send to ftp://x.example.net/ (not a mailto: or https:// URI)`,
    );
  });

  it("two v=TLSRPTv1 records: senders assume no TLS-RPT (RFC 8460 §3), said once", async () => {
    const { findings } = await check([
      { type: "TXT", data: DECLARED },
      { type: "TXT", data: `v=TLSRPTv1; rua=${A}` },
    ]);
    const multiple = findings.filter((f) => f.code.startsWith("tlsrpt"));
    assert.deepEqual(
      multiple.map((f) => `${f.result} ${f.code}: ${f.message}`),
      [
        "fail tlsrpt-multiple: 2 v=TLSRPTv1 records: senders assume the domain does not implement TLS-RPT and send no reports (RFC 8460 §3)",
      ],
    );
  });

  const NO_MX_CASES: readonly [string, readonly string[], string][] = [
    [
      "a null MX (RFC 7505)",
      ["."],
      `fail tlsrpt-null-mx tls-rpt: ${D} publishes a null MX (RFC 7505): it receives no mail, so no sending server makes a TLS session to it that TLS-RPT could report on | remove sender-auth:tlsRpt, or the null MX if ${D} does receive mail`,
    ],
    [
      "no MX record",
      [],
      `fail tlsrpt-no-mx tls-rpt: ${D} publishes no MX record: TLS-RPT reports on the TLS sessions senders make to the domain's MX hosts (RFC 8460 §1), and a domain that receives mail publishes them; without one, senders try ${D}'s own address (RFC 5321 §5.1) | publish MX records for the hosts that receive ${D}'s mail, or remove sender-auth:tlsRpt if it receives none`,
    ],
  ];
  for (const [name, mx, expected] of NO_MX_CASES) {
    it(`${name}: fails, TLS-RPT being about mail the domain receives; the record itself still ok`, async () => {
      const { findings } = await check([{ type: "TXT", data: DECLARED }], undefined, mx);
      assert.deepEqual(findings.map(line), [
        `ok record-ok ${NAME}: TLS-RPT`,
        `ok tlsrpt-rua tls-rpt: sending servers report failed TLS sessions to ${A}, ${B}`,
        expected,
      ]);
    });
  }

  it("an MX lookup that times out: a failing finding for tls-rpt naming the question, never ok", async () => {
    const { findings } = await check(
      [{ type: "TXT", data: DECLARED }],
      undefined,
      MAIL,
      new DnsFailure("TIMEOUT", "no answer within 3000 ms"),
    );
    assert.deepEqual(
      findings.map((f) => `${f.result} ${f.code} ${f.subject}: ${f.message}`),
      [
        `ok record-ok ${NAME}: TLS-RPT`,
        `ok tlsrpt-rua tls-rpt: sending servers report failed TLS sessions to ${A}, ${B}`,
        `fail dns-timeout tls-rpt: MX ${D}: no answer within 3000 ms`,
      ],
    );
  });

  it("a lookup that times out is a failing finding naming the name, and no family check after it", async () => {
    const { findings } = await check(undefined, new DnsFailure("TIMEOUT", "no answer within 3000 ms"));
    assert.deepEqual(
      findings.map((f) => `${f.result} ${f.code} ${f.subject}`),
      [`fail dns-timeout ${NAME}`],
    );
  });
});
