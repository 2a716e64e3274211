/**
 * MTA-STS's live check (components/sections/mtaSts/check.ts) in process: checkStack with the zone
 * answered by test/support/memoryDns.ts and the policy by an injected fetch. Exact findings for a
 * policy that matches, one that differs, a stale id, MX hosts the patterns miss, no policy (404,
 * redirect, certificate, no address), an invalid policy or media type, a second v=STSv1 record, a null
 * MX and none at all; and the network fetch's host asked through the stack's DNS client.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkStack, type CheckContext, type Finding } from "../../../../cli/check/checks";
import { HttpsFailure, type HttpsFetch, type HttpsResponse } from "../../../../cli/check/https";
import { validateStack } from "../../../../components/config";
import { publishedRecord } from "../../../../components/model";
import type { HostileAnswer } from "../../../support/hostileDns";
import { memoryDns } from "../../../support/memoryDns";
import { freePort } from "../../../support/ports";

const D = "example.test";
const URL = `https://mta-sts.${D}/.well-known/mta-sts.txt`;
const RESOLVER = { host: "192.0.2.53", port: 53 };
const POLICY =
  "version: STSv1\r\nmode: enforce\r\nmx: mail.example.test\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n";
// `printf '<POLICY>' | sha256sum`, first 32 hex digits.
const ID = "8864918e0b00732ce83fe7a9a978f524";
const HINT = `serve the declared policy, \`pulumi stack output mtaStsPolicy --stack test\`, at ${URL} as text/plain with status 200 (README "Hosting the MTA-STS policy")`;
const MX_HINT = `add their names (or a *.suffix that covers them) to sender-auth:mtaSts.mx, or point the MX records of ${D} at hosts it lists`;

interface Setup {
  readonly mode?: string;
  readonly txt?: readonly string[] | undefined;
  readonly mx?: readonly string[] | undefined;
  readonly fetch?: HttpsFetch;
}

const response = (body: string, status = 200, headers: Record<string, string> = { "content-type": "text/plain" }) =>
  ((): Promise<HttpsResponse> =>
    Promise.resolve({ url: URL, address: "192.0.2.80", status, headers, body: Buffer.from(body) })) as HttpsFetch;

function stackOf(mode: string) {
  const { config, records } = validateStack("test", {
    domain: D,
    dns: { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef" },
    mtaSts: { mode, mx: ["mail.example.test", "*.mx.example.net"] },
  });
  return { config, records: records.map(publishedRecord) };
}

const declaredId = (mode: string): string => (stackOf(mode).records[0]?.value ?? "").replace("v=STSv1; id=", "");

async function run(setup: Setup = {}): Promise<{ findings: Finding[]; asked: string[] }> {
  const mode = setup.mode ?? "enforce";
  const { config, records } = stackOf(mode);
  const txt = setup.txt ?? [`v=STSv1; id=${declaredId(mode)}`];
  const mx = setup.mx === undefined ? ["mail.example.test", "a.mx.example.net"] : setup.mx;
  const dns = memoryDns((name, type): readonly HostileAnswer[] | undefined => {
    if (name === `_mta-sts.${D}`) return type === "TXT" ? txt.map((data) => ({ type: "TXT", data })) : [];
    if (name === D) {
      return type === "MX"
        ? mx.map((exchange, i) => ({ type: "MX", data: { preference: 10 * (i + 1), exchange } }))
        : [];
    }
    if (name === `mta-sts.${D}`) return type === "A" ? [{ type: "A", data: "127.0.0.1" }] : [];
    return undefined;
  });
  const context: CheckContext = {
    resolver: RESOLVER,
    queryOptions: {},
    privateKeys: new Map(),
    dns,
    stack: "test",
    now: () => new Date("2026-12-01T12:00:00Z"),
    fetch: setup.fetch ?? response(POLICY),
  };
  return { findings: await checkStack(context, config, records), asked: dns.asked };
}

/** `result code subject | message` of every finding. */
const lines = (findings: readonly Finding[]): string[] =>
  findings.map((f) => `${f.result} ${f.code} ${f.subject} | ${f.message}`);

const RECORD_OK = `ok record-ok _mta-sts.${D} | MTA-STS`;
const POLICY_OK = `ok mta-sts-policy mta-sts | the policy at ${URL} is the declared one (mode enforce, 2 mx patterns, max_age 604800 s)`;
const MX_OK = "ok mta-sts-mx mta-sts | MX hosts mail.example.test, a.mx.example.net match the mx patterns";

describe("MTA-STS check", () => {
  it("declares the id the tests expect (sha256sum of the policy text)", () => {
    assert.equal(declaredId("enforce"), ID);
  });

  it("a served policy that is the declared one, MX hosts that match: ok", async () => {
    const { findings, asked } = await run();
    assert.deepEqual(lines(findings), [RECORD_OK, POLICY_OK, MX_OK]);
    assert.deepEqual(asked, [`192.0.2.53:53 _mta-sts.${D} TXT`, `192.0.2.53:53 ${D} MX`]);
  });

  it("a policy that differs, under the declared id: fail, saying senders keep it", async () => {
    const served = POLICY.replace("mode: enforce", "mode: testing").replace(
      "mx: *.mx.example.net\r\n",
      "mx: mx9.example.org\r\n",
    );
    const { findings } = await run({ fetch: response(served) });
    const different = findings.find((f) => f.code === "mta-sts-policy-different");
    assert.deepEqual(different, {
      code: "mta-sts-policy-different",
      result: "fail",
      subject: "mta-sts",
      message:
        `the policy at ${URL} is not the declared one: mode testing, not enforce; no mx *.mx.example.net; ` +
        "mx mx9.example.org not declared; senders that fetch it now keep it under the declared id for up to max_age (604800 s)",
      expected: POLICY,
      served: [served],
      hint: HINT,
    });
    assert.deepEqual(lines(findings), [RECORD_OK, lines([different])[0], MX_OK]);
  });

  it("a stale id in DNS: the record differs, and senders keep the policy they cached", async () => {
    const { findings } = await run({ txt: ["v=STSv1; id=20260101"] });
    assert.deepEqual(lines(findings), [
      `fail record-different _mta-sts.${D} | MTA-STS: DNS serves another value than the config declares`,
      `fail mta-sts-id-stale mta-sts | _mta-sts.${D} announces policy id 20260101, the declared policy's id is ${ID}: senders that cached a policy under 20260101 keep it and do not fetch the declared one`,
      POLICY_OK,
      MX_OK,
    ]);
    const stale = findings.find((f) => f.code === "mta-sts-id-stale");
    assert.deepEqual([stale?.expected, stale?.served], [ID, ["20260101"]]);
    assert.match(stale?.hint ?? "", /^run `pulumi up --stack test`/);
  });

  it("a record without a valid id: senders find no policy", async () => {
    const { findings } = await run({ txt: ["v=STSv1; id=not-valid!"] });
    assert.equal(
      lines(findings)[1],
      `fail mta-sts-record-invalid mta-sts | _mta-sts.${D} serves a v=STSv1 record without a valid id (RFC 8461 §3.1): senders find no policy`,
    );
  });

  it("MX hosts the patterns miss: fail in enforce, naming them", async () => {
    const { findings } = await run({ mx: ["mail.example.test", "b.a.mx.example.net", "mx.other.test."] });
    const unmatched = findings.find((f) => f.code === "mta-sts-mx-unmatched");
    assert.deepEqual(unmatched, {
      code: "mta-sts-mx-unmatched",
      result: "fail",
      subject: "mta-sts",
      message:
        "MX hosts b.a.mx.example.net, mx.other.test match none of the mx patterns (mail.example.test, *.mx.example.net): " +
        "senders that apply the policy do not deliver there (RFC 8461 §4.1, §5)",
      served: ["b.a.mx.example.net", "mx.other.test"],
      hint: MX_HINT,
    });
  });

  it("an MX host the patterns miss in testing: a warning (senders report, deliver)", async () => {
    const testing = POLICY.replace("enforce", "testing");
    const { findings } = await run({ mode: "testing", mx: ["mx.other.test"], fetch: response(testing) });
    assert.deepEqual(lines(findings).slice(1), [
      `ok mta-sts-policy mta-sts | the policy at ${URL} is the declared one (mode testing, 2 mx patterns, max_age 604800 s)`,
      "warn mta-sts-mx-unmatched mta-sts | MX host mx.other.test matches none of the mx patterns (mail.example.test, *.mx.example.net): senders report deliveries there as failures (RFC 8461 §5)",
    ]);
  });

  const NO_MX_CASES: readonly [string, readonly string[], Finding][] = [
    [
      "a null MX (RFC 7505): fails, the policy protects nothing",
      ["."],
      {
        code: "mta-sts-null-mx",
        result: "fail",
        subject: "mta-sts",
        message: `${D} publishes a null MX (RFC 7505): it receives no mail, so its MTA-STS policy protects nothing`,
        hint: `remove sender-auth:mtaSts, or the null MX if ${D} does receive mail`,
      },
    ],
    [
      "no MX record: fails, the policy names MX hosts and there are none",
      [],
      {
        code: "mta-sts-no-mx",
        result: "fail",
        subject: "mta-sts",
        message:
          `${D} publishes no MX record: MTA-STS names the MX hosts senders may deliver to (RFC 8461 §4.1), and a ` +
          `domain that receives mail publishes them; without one, senders try ${D}'s own address (RFC 5321 §5.1)`,
        hint: `publish MX records for the hosts that receive ${D}'s mail, or remove sender-auth:mtaSts if it receives none`,
      },
    ],
  ];
  for (const [name, mx, expected] of NO_MX_CASES) {
    for (const mode of ["enforce", "testing"]) {
      it(`${name} (mode ${mode})`, async () => {
        const { findings } = await run({ mode, mx, fetch: response(POLICY.replace("enforce", mode)) });
        assert.deepEqual(findings.slice(2), [expected]);
        assert.deepEqual(
          findings.slice(0, 2).map((f) => f.result),
          ["ok", "ok"],
        );
      });
    }
  }

  it("mode none: the policy is still checked, the MX hosts are not asked", async () => {
    const none = POLICY.replace("enforce", "none");
    const { findings, asked } = await run({ mode: "none", fetch: response(none) });
    assert.deepEqual(lines(findings), [
      RECORD_OK,
      `ok mta-sts-policy mta-sts | the policy at ${URL} is the declared one (mode none, 2 mx patterns, max_age 604800 s)`,
    ]);
    assert.deepEqual(asked, [`192.0.2.53:53 _mta-sts.${D} TXT`]);
  });

  it("a second v=STSv1 record: senders find no policy", async () => {
    const { findings } = await run({ txt: [`v=STSv1; id=${ID}`, "v=STSv1; id=old"] });
    assert.deepEqual(findings[0], {
      subject: `_mta-sts.${D}`,
      ttl: 300,
      code: "mta-sts-multiple",
      result: "fail",
      message: "2 v=STSv1 records: senders find no policy (RFC 8461 §3.1)",
      served: [`v=STSv1; id=${ID}`, "v=STSv1; id=old"],
      hint: `delete the other v=STSv1 record at _mta-sts.${D} at the DNS provider: it is not sender-auth's record`,
    });
  });

  const noPolicy: readonly [string, HttpsFetch, string, string][] = [
    [
      "a 404",
      response("not found", 404),
      `fail mta-sts-policy-missing mta-sts | ${URL} answered 404: senders take a policy only from a 200 (RFC 8461 §3.3), so they find none`,
      HINT,
    ],
    [
      "a redirect",
      response("", 301, { location: "https://www.example.test/mta-sts.txt" }),
      `fail mta-sts-policy-redirect mta-sts | ${URL} answered 301 (to https://www.example.test/mta-sts.txt): senders follow no redirect (RFC 8461 §3.3), so they find no policy`,
      HINT,
    ],
    [
      "a certificate for another name",
      () => Promise.reject(new HttpsFailure("TLS", `${URL}: TLS: the certificate is not valid for mta-sts.${D}`)),
      `fail https-certificate mta-sts | ${URL}: TLS: the certificate is not valid for mta-sts.${D}`,
      `the server at mta-sts.${D} must present a certificate for mta-sts.${D} (a subjectAltName), unexpired, from a CA the public trusts`,
    ],
    [
      "no address for the Policy Host",
      () => Promise.reject(new HttpsFailure("DNS", `A mta-sts.${D}: NXDOMAIN`)),
      `fail https-dns mta-sts | A mta-sts.${D}: NXDOMAIN`,
      `mta-sts.${D} must resolve to the web server that serves the MTA-STS policy: \`dig A mta-sts.${D}\` should list its address`,
    ],
    [
      "the stack's deadline",
      () => Promise.reject(new HttpsFailure("LIMIT", `${URL}: cut short at the 30 s deadline for checking one stack`)),
      `fail check-limit mta-sts | ${URL}: cut short at the 30 s deadline for checking one stack`,
      "unverified: a bound of the check stopped this fetch (see the finding for `check`)",
    ],
  ];
  for (const [name, fetch, line, hint] of noPolicy) {
    it(`no policy: ${name}`, async () => {
      const { findings } = await run({ fetch });
      assert.deepEqual(lines(findings), [RECORD_OK, line, MX_OK]);
      assert.equal(findings[1]?.hint, hint);
    });
  }

  it("an invalid policy: senders ignore it", async () => {
    const broken = "version: STSv1\r\nmode: enforce\r\nmax_age: 604800\r\n";
    const { findings } = await run({ fetch: response(broken) });
    assert.equal(
      lines(findings)[1],
      `fail mta-sts-policy-invalid mta-sts | the policy at ${URL} is not valid (Missing mx field): senders ignore it (RFC 8461 §3.2)`,
    );
    assert.deepEqual([findings[1]?.expected, findings[1]?.served], [POLICY, [broken]]);
  });

  it("the declared policy as text/html: fail (senders check the media type)", async () => {
    const { findings } = await run({ fetch: response(POLICY, 200, { "content-type": "text/html; charset=utf-8" }) });
    assert.deepEqual(lines(findings), [
      RECORD_OK,
      `fail mta-sts-policy-type mta-sts | ${URL} is served as text/html; charset=utf-8, not text/plain: senders that check the media type ignore it (RFC 8461 §3.2)`,
      MX_OK,
    ]);
  });

  it("the same policy with LF line ends and text/plain; charset: ok (senders read fields, not bytes)", async () => {
    const lf = POLICY.replace(/\r\n/g, "\n");
    const { findings } = await run({ fetch: response(lf, 200, { "content-type": "text/plain; charset=utf-8" }) });
    assert.deepEqual(lines(findings), [RECORD_OK, POLICY_OK, MX_OK]);
  });

  it("without an injected fetch, the Policy Host is asked through the stack's DNS client, then fetched on --https-port", async () => {
    const closed = await freePort();
    const { config, records } = stackOf("enforce");
    const dns = memoryDns((name, type): readonly HostileAnswer[] | undefined => {
      if (name === `_mta-sts.${D}`) return type === "TXT" ? [{ type: "TXT", data: `v=STSv1; id=${ID}` }] : [];
      if (name === D) {
        return type === "MX" ? [{ type: "MX", data: { preference: 10, exchange: "mail.example.test" } }] : [];
      }
      if (name === `mta-sts.${D}`) return type === "A" ? [{ type: "A", data: "127.0.0.1" }] : [];
      return undefined;
    });
    const context: CheckContext = {
      resolver: RESOLVER,
      queryOptions: {},
      privateKeys: new Map(),
      dns,
      httpsPort: closed,
    };
    const findings = await checkStack(context, config, records);
    assert.ok(dns.asked.includes(`192.0.2.53:53 mta-sts.${D} A`), dns.asked.join("\n"));
    const policy = findings.find((f) => f.subject === "mta-sts" && f.code.startsWith("https-"));
    assert.equal(policy?.code, "https-unreachable");
    assert.equal(policy.message, `${URL}: connect ECONNREFUSED 127.0.0.1:${closed}`);
  });
});
