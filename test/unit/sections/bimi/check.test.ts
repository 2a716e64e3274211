/**
 * BIMI's live checks in process: DNS through the DnsClient seam (test/support/memoryDns.ts), HTTPS
 * through an injected fetch (CheckContext.fetch). The record as mailauth's BIMI lookup discovers it,
 * the logo validated as SVG Tiny PS, and the certificate (a real, public VMC (test/fixtures/bimi/README.md), "now" inside its validity).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { validateBimiVmc } from "mailauth";
import { checkStack, type Finding } from "../../../../cli/check/checks";
import { HttpsFailure, type HttpsFetch } from "../../../../cli/check/https";
import { validateStack } from "../../../../components/config";
import { publishedRecord } from "../../../../components/model";
import { bimi } from "../../../../components/sections/bimi";
import type { HostileAnswer } from "../../../support/hostileDns";
import { memoryDns } from "../../../support/memoryDns";

const FIXTURES = path.join(__dirname, "..", "..", "..", "fixtures", "bimi");
const TINY_PS = readFileSync(path.join(FIXTURES, "logo-tiny-ps.svg"));
const NOT_TINY_PS = readFileSync(path.join(FIXTURES, "logo-not-tiny-ps.svg"));
const VMC_PEM = readFileSync(path.join(FIXTURES, "paypal-vmc.pem"));
/** Inside the fixture VMC's validity (2024-09-09 to 2025-09-08). */
const IN_VALIDITY = new Date("2025-01-15T12:00:00Z");

interface Setup {
  readonly domain: string;
  readonly bimi: Record<string, unknown>;
  readonly dmarc?: string;
  /** TXT values at the BIMI name instead of the declared record. */
  readonly served?: readonly string[];
  readonly web: Readonly<Record<string, Buffer | number | HttpsFailure>>;
  readonly now?: Date;
}

async function check(setup: Setup): Promise<Finding[]> {
  const { config, records } = validateStack("s", {
    domain: setup.domain,
    dns: { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef", ttl: 300 },
    dmarc: { policy: "reject" },
    bimi: setup.bimi,
  });
  const bimiRecord = records.find((r) => r.purpose === "bimi");
  const zone = new Map<string, readonly HostileAnswer[]>([
    [`_dmarc.${setup.domain}`, [{ type: "TXT", data: setup.dmarc ?? "v=DMARC1; p=reject" }]],
    [bimiRecord?.name ?? "", (setup.served ?? [bimiRecord?.value ?? ""]).map((data) => ({ type: "TXT", data }))],
  ]);
  const fetched: string[] = [];
  const fetch: HttpsFetch = (request) => {
    fetched.push(request.url);
    const answer = setup.web[request.url];
    if (answer instanceof HttpsFailure) return Promise.reject(answer);
    const status = typeof answer === "number" ? answer : answer === undefined ? 404 : 200;
    const body = Buffer.isBuffer(answer) ? answer : Buffer.alloc(0);
    if (body.length > request.maxBytes) {
      return Promise.reject(new HttpsFailure("TOO_LARGE", `${request.url}: too large`));
    }
    return Promise.resolve({ url: request.url, address: "192.0.2.80", status, headers: {}, body });
  };
  return checkStack(
    {
      resolver: { host: "192.0.2.53", port: 53 },
      queryOptions: {},
      privateKeys: new Map(),
      dns: memoryDns((name, type) => zone.get(name)?.filter((a) => a.type === type)),
      fetch,
      stack: "s",
      now: () => setup.now ?? new Date("2026-12-01T12:00:00Z"),
    },
    config,
    records.filter((r) => r.purpose === "bimi").map(publishedRecord),
    [bimi],
  );
}

const bimiLines = (findings: readonly Finding[]): string[] =>
  findings.filter((f) => f.subject === "bimi").map((f) => `${f.result} ${f.code}: ${f.message}`);

const D = "example.test";
const LOGO = `https://brand.${D}/logo.svg`;

describe("check: BIMI", () => {
  it("record, logo and no certificate: ok", async () => {
    const findings = await check({ domain: D, bimi: { logo: LOGO }, web: { [LOGO]: TINY_PS } });
    assert.deepEqual(bimiLines(findings), [
      `ok bimi-record: receivers discover default._bimi.${D}: l=${LOGO}`,
      `ok bimi-logo: the logo at ${LOGO} is SVG Tiny PS (${TINY_PS.length} octets)`,
    ]);
  });

  it("a logo that is not SVG Tiny PS: mailauth's reason", async () => {
    const findings = await check({ domain: D, bimi: { logo: LOGO }, web: { [LOGO]: NOT_TINY_PS } });
    const logo = findings.find((f) => f.code === "bimi-logo");
    assert.equal(logo?.result, "fail");
    assert.equal(
      logo.message,
      `the logo at ${LOGO} is not a valid SVG Tiny PS file: Not a Tiny PS profile (INVALID_BASE_PROFILE)`,
    );
    assert.match(logo.hint ?? "", /baseProfile="tiny-ps"/);
  });

  it("a logo that answers 404, and one whose host does not resolve", async () => {
    const missing = await check({ domain: D, bimi: { logo: LOGO }, web: {} });
    assert.deepEqual(bimiLines(missing).slice(1), [`fail bimi-fetch: ${LOGO} answered HTTP 404, not the BIMI logo`]);
    const unresolved = await check({
      domain: D,
      bimi: { logo: LOGO },
      web: { [LOGO]: new HttpsFailure("DNS", `A brand.${D}: NXDOMAIN`) },
    });
    const finding = unresolved.find((f) => f.code === "https-dns");
    assert.equal(finding?.message, `A brand.${D}: NXDOMAIN`);
    assert.equal(
      finding.hint,
      `brand.${D} must resolve to the web server that serves the BIMI logo: \`dig A brand.${D}\` should list its address`,
    );
  });

  it("a logo over 32 KiB is refused as too large", async () => {
    const findings = await check({ domain: D, bimi: { logo: LOGO }, web: { [LOGO]: Buffer.alloc(40_000, 0x20) } });
    assert.deepEqual(
      findings.filter((f) => f.code === "https-too-large").map((f) => f.message),
      [`${LOGO}: too large`],
    );
  });

  it("DMARC served at p=none: receivers show no logo (mailauth skips BIMI)", async () => {
    const findings = await check({
      domain: D,
      bimi: { logo: LOGO },
      dmarc: "v=DMARC1; p=none",
      web: { [LOGO]: TINY_PS },
    });
    assert.deepEqual(
      bimiLines(findings)[0],
      `fail bimi-dmarc: receivers show no logo for ${D}: mailauth's BIMI lookup says skipped (too lax DMARC policy)`,
    );
  });

  it("another logo served than declared, and two BIMI records", async () => {
    const other = await check({
      domain: D,
      bimi: { logo: LOGO },
      served: [`v=BIMI1; l=https://old.${D}/logo.svg;`],
      web: { [LOGO]: TINY_PS },
    });
    assert.equal(
      bimiLines(other)[0],
      `fail bimi-record: receivers discover l=https://old.${D}/logo.svg at default._bimi.${D}, config declares l=${LOGO}`,
    );
    const two = await check({
      domain: D,
      bimi: { logo: LOGO },
      served: [`v=BIMI1; l=${LOGO};`, `v=BIMI1; l=https://old.${D}/logo.svg;`],
      web: { [LOGO]: TINY_PS },
    });
    assert.equal(
      bimiLines(two)[0],
      `fail bimi-record: receivers show no logo for ${D}: mailauth's BIMI lookup says fail (multiple BIMI records for default._bimi.${D})`,
    );
  });

  describe("the certificate (a public VMC for paypal.com)", () => {
    const P = "paypal.com";
    const PLOGO = `https://bimi.${P}/logo.svg`;
    const PVMC = `https://bimi.${P}/vmc.pem`;
    /** The logo the VMC holds, as mailauth's VMC validation reads it from the certificate. */
    const held = async (): Promise<Buffer> => {
      const result = await validateBimiVmc(
        {
          status: { result: "pass" },
          info: "",
          location: PLOGO,
          authority: PVMC,
          locationPath: TINY_PS,
          authorityPath: VMC_PEM,
        },
        { now: IN_VALIDITY },
      );
      const logoFile = (result === false ? undefined : (result.authority?.vmc as { logoFile?: string } | undefined))
        ?.logoFile;
      return Buffer.from(logoFile ?? "", "base64");
    };

    it("the VMC for the domain, holding the logo served at l=: ok", async () => {
      const logo = await held();
      const findings = await check({
        domain: P,
        bimi: { logo: PLOGO, authority: PVMC },
        web: { [PLOGO]: logo, [PVMC]: VMC_PEM },
        now: IN_VALIDITY,
      });
      assert.deepEqual(bimiLines(findings), [
        `ok bimi-record: receivers discover default._bimi.${P}: l=${PLOGO} a=${PVMC}`,
        `ok bimi-logo: the logo at ${PLOGO} is SVG Tiny PS (${logo.length} octets)`,
        `ok bimi-certificate: the certificate at ${PVMC} is a VMC for paypal.com, valid on 2025-01-15, and holds the logo at l=`,
      ]);
    });

    it("another logo at l= than the certificate holds", async () => {
      const findings = await check({
        domain: P,
        bimi: { logo: PLOGO, authority: PVMC },
        web: { [PLOGO]: TINY_PS, [PVMC]: VMC_PEM },
        now: IN_VALIDITY,
      });
      assert.equal(
        bimiLines(findings).at(-1),
        `fail bimi-certificate: the certificate at ${PVMC} does not vouch for this logo: the logo it holds is not the logo at l= (their hashes differ); receivers show none`,
      );
    });

    it("expired, and for another domain", async () => {
      const logo = await held();
      const expired = await check({
        domain: P,
        bimi: { logo: PLOGO, authority: PVMC },
        web: { [PLOGO]: logo, [PVMC]: VMC_PEM },
        now: new Date("2026-12-01T00:00:00Z"),
      });
      assert.equal(
        bimiLines(expired).at(-1),
        `fail bimi-certificate: the certificate at ${PVMC} does not vouch for this logo: The certificate has expired or is not yet valid (CERTIFICATE_VERIFICATION_ERROR)`,
      );
      const elsewhere = await check({
        domain: D,
        bimi: { logo: LOGO, authority: `https://brand.${D}/vmc.pem` },
        web: { [LOGO]: logo, [`https://brand.${D}/vmc.pem`]: VMC_PEM },
        now: IN_VALIDITY,
      });
      assert.equal(
        bimiLines(elsewhere).at(-1),
        `fail bimi-certificate: the certificate at https://brand.${D}/vmc.pem does not vouch for this logo: Domain can not be verified (VMC_DOMAIN_MISMATCH)`,
      );
    });

    it("not a certificate at all", async () => {
      const findings = await check({
        domain: P,
        bimi: { logo: PLOGO, authority: PVMC },
        web: { [PLOGO]: await held(), [PVMC]: Buffer.from("<html>not found</html>") },
        now: IN_VALIDITY,
      });
      assert.equal(
        bimiLines(findings).at(-1),
        `fail bimi-certificate: the certificate at ${PVMC} does not vouch for this logo: Empty or missing certificate bundle (INVALID_CERT_BUNDLE)`,
      );
    });
  });
});
