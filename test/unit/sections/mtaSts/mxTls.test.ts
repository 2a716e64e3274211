/**
 * `check --mx-tls` in MTA-STS's live check (components/sections/mtaSts/mxTls.ts) in process:
 * checkStack with the zone from test/support/memoryDns.ts, the policy from an injected fetch, and MX
 * hosts probed over the network at the local SMTP server (test/support/smtpServer.ts, TEST-ONLY
 * certificates). Exact findings for a valid certificate, one expiring soon, expired, for another
 * name, from an untrusted CA, no STARTTLS, a refused port, a result per failure kind; `testing`
 * warns where `enforce` fails, `none` probes nothing, and nothing is probed unless asked.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkStack, type CheckContext, type Finding } from "../../../../cli/check/checks";
import type { HttpsFetch } from "../../../../cli/check/https";
import {
  networkSmtpTlsProbe,
  SmtpTlsFailure,
  type SmtpTlsFailureCode,
  type SmtpTlsProbe,
} from "../../../../cli/check/smtpTls";
import { validateStack } from "../../../../components/config";
import { publishedRecord } from "../../../../components/model";
import { MAX_PROBED_MX_HOSTS } from "../../../../components/sections/mtaSts/mxTls";
import { mtaStsPolicyOf } from "../../../../components/sections/mtaSts/records";
import type { HostileAnswer } from "../../../support/hostileDns";
import { memoryDns } from "../../../support/memoryDns";
import { freePort } from "../../../support/ports";
import { MX_TLS_CA, startSmtpServer, type LocalSmtpServer } from "../../../support/smtpServer";

const D = "example.test";
/** "Now": soon.pem (until 2036-12-10) has 9 days left; mail.pem (until 2126-01-01) 32,537. */
const NOW = new Date("2036-12-01T00:00:00Z");
const PATTERNS = ["mail.example.test", "*.mx.example.test", "soon.example.test", "expired.example.test"];

function stackOf(mode: string) {
  const { config, records } = validateStack("test", {
    domain: D,
    dns: { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef" },
    mtaSts: {
      mode,
      mx: [...PATTERNS, "wrong.example.test", "untrusted.example.test"],
    },
  });
  return { config, records: records.map(publishedRecord) };
}

interface Setup {
  readonly mode?: string;
  readonly mx: readonly string[];
  /** Each MX record's preference. @default 10, 20, 30, ... */
  readonly preferences?: readonly number[];
  /** `check --mx-tls` on (with this probe). @default on, the local server's */
  readonly probe?: SmtpTlsProbe | "off";
}

let server: LocalSmtpServer;
let plain: LocalSmtpServer;
before(async () => {
  [server, plain] = await Promise.all([startSmtpServer(), startSmtpServer({ starttls: false })]);
});
after(async () => {
  await Promise.all([server.stop(), plain.stop()]);
});

const localProbe = (port: number): SmtpTlsProbe =>
  networkSmtpTlsProbe({ resolve: () => Promise.resolve(["127.0.0.1"]), port, ca: MX_TLS_CA });

async function run(setup: Setup): Promise<Finding[]> {
  const mode = setup.mode ?? "enforce";
  const { config, records } = stackOf(mode);
  const { text } = mtaStsPolicyOf(config.mtaSts ?? { mode: "enforce", mx: [], maxAge: 0 });
  const dns = memoryDns((name, type): readonly HostileAnswer[] | undefined => {
    if (name === `_mta-sts.${D}`) return type === "TXT" ? [{ type: "TXT", data: records[0]?.value ?? "" }] : [];
    if (name === D) {
      return type === "MX"
        ? setup.mx.map((exchange, i) => ({
            type: "MX",
            data: { preference: setup.preferences?.[i] ?? 10 * (i + 1), exchange },
          }))
        : [];
    }
    return undefined;
  });
  const fetch: HttpsFetch = ({ url }) =>
    Promise.resolve({
      url,
      address: "192.0.2.80",
      status: 200,
      headers: { "content-type": "text/plain" },
      body: Buffer.from(text),
    });
  const probe = setup.probe ?? localProbe(server.port);
  const context: CheckContext = {
    resolver: { host: "192.0.2.53", port: 53 },
    queryOptions: {},
    privateKeys: new Map(),
    dns,
    stack: "test",
    now: () => NOW,
    fetch,
    ...(probe === "off" ? {} : { mxTls: { port: 25 }, smtpTlsProbe: probe }),
  };
  return checkStack(context, config, records);
}

/** The --mx-tls findings only: `result code | message`, then `  next: hint` for a non-ok one. */
async function tlsLines(setup: Setup): Promise<string[]> {
  const findings = await run(setup);
  return findings
    .filter((f) => /^mta-sts-mx-(tls|starttls|smtp)/.test(f.code) || f.code === "check-limit")
    .flatMap((f) => [
      `${f.result} ${f.code} | ${f.message}`,
      ...(f.result === "ok" ? [] : [`  next: ${f.hint ?? ""}`]),
    ]);
}

const ENFORCE = "senders that apply the policy do not deliver there (RFC 8461 §4.1, §5)";
const TESTING = "senders that apply the policy deliver there but report a failure (RFC 8461 §5)";
const at = (): string => `(127.0.0.1 port ${server.port})`;
const sClient = (host: string): string => `\`openssl s_client -starttls smtp -connect ${host}:25 -servername ${host}\``;

describe("MTA-STS check --mx-tls", () => {
  it("valid certificates (one by a wildcard): ok with issuer, expiry and days left", async () => {
    assert.deepEqual(await tlsLines({ mx: ["mail.example.test", "a.mx.example.test"] }), [
      `ok mta-sts-mx-tls | MX host mail.example.test ${at()}: STARTTLS (TLSv1.3) with a valid certificate, issued by CN=sender-auth test-only MX CA, expires 2126-01-01 (32537 days left)`,
      `ok mta-sts-mx-tls | MX host a.mx.example.test ${at()}: STARTTLS (TLSv1.3) with a valid certificate, issued by CN=sender-auth test-only MX CA, expires 2126-01-01 (32537 days left)`,
    ]);
    assert.deepEqual(server.servernames().slice(-2).sort(), ["a.mx.example.test", "mail.example.test"]);
  });

  it("MX hosts in the order senders try them (preference, then name), whatever the answer's order", async () => {
    const findings = await run({
      mx: ["mail.example.test", "b.mx.example.test", "a.mx.example.test"],
      preferences: [20, 10, 10],
    });
    assert.equal(
      findings.find((f) => f.code === "mta-sts-mx")?.message,
      "MX hosts a.mx.example.test, b.mx.example.test, mail.example.test match the mx patterns",
    );
    assert.deepEqual(
      findings.filter((f) => f.code === "mta-sts-mx-tls").map((f) => f.message.split(" ")[2]),
      ["a.mx.example.test", "b.mx.example.test", "mail.example.test"],
    );
  });

  it("a certificate that expires within 14 days: a warning in enforce, with the date to renew by", async () => {
    assert.deepEqual(await tlsLines({ mx: ["soon.example.test"] }), [
      `warn mta-sts-mx-tls-expiring | MX host soon.example.test ${at()}: its certificate expires 2036-12-10 (9 days left): once it has, ${ENFORCE}`,
      "  next: renew the certificate of soon.example.test (issued by CN=sender-auth test-only MX CA) before 2036-12-10 and reload its SMTP server; automate the renewal",
    ]);
  });

  it("an expired certificate: fail in enforce", async () => {
    assert.deepEqual(await tlsLines({ mx: ["expired.example.test"] }), [
      `fail mta-sts-mx-tls-expired | MX host expired.example.test ${at()}: its certificate expired 2021-01-01 (5813 days ago): ${ENFORCE}`,
      "  next: renew the certificate of expired.example.test (issued by CN=sender-auth test-only MX CA) and reload its SMTP server; automate the renewal",
    ]);
  });

  it("a certificate for another name: fail, naming what it is for", async () => {
    assert.deepEqual(await tlsLines({ mx: ["wrong.example.test"] }), [
      `fail mta-sts-mx-tls-name | MX host wrong.example.test ${at()}: its certificate is not valid for wrong.example.test (its subjectAltName: DNS:other.example.org): ${ENFORCE}`,
      "  next: the certificate of wrong.example.test must name wrong.example.test in a subjectAltName (a wildcard covers one left-most label); senders do not read the Common Name (RFC 8461 §4.1)",
    ]);
  });

  it("a certificate from an untrusted CA: fail, naming the chain's error and the issuer", async () => {
    assert.deepEqual(await tlsLines({ mx: ["untrusted.example.test"] }), [
      `fail mta-sts-mx-tls-untrusted | MX host untrusted.example.test ${at()}: its certificate does not chain to a trusted root (SELF_SIGNED_CERT_IN_CHAIN; issued by CN=sender-auth untrusted test-only CA): ${ENFORCE}`,
      `  next: install on untrusted.example.test a certificate from a CA the public trusts, and have its SMTP server send the intermediate certificates with it (${sClient("untrusted.example.test")} -showcerts lists what it sends)`,
    ]);
  });

  it("mode testing: the same failures are warnings, saying senders report them", async () => {
    const lines = await tlsLines({ mode: "testing", mx: ["expired.example.test", "wrong.example.test"] });
    assert.deepEqual(
      lines.filter((l) => !l.startsWith("  next:")),
      [
        `warn mta-sts-mx-tls-expired | MX host expired.example.test ${at()}: its certificate expired 2021-01-01 (5813 days ago): ${TESTING}`,
        `warn mta-sts-mx-tls-name | MX host wrong.example.test ${at()}: its certificate is not valid for wrong.example.test (its subjectAltName: DNS:other.example.org): ${TESTING}`,
      ],
    );
  });

  it("mode none: nothing is probed", async () => {
    let probed = 0;
    const lines = await tlsLines({
      mode: "none",
      mx: ["expired.example.test"],
      probe: (host) => {
        probed++;
        return localProbe(server.port)(host);
      },
    });
    assert.deepEqual(lines, []);
    assert.equal(probed, 0);
  });

  it("without --mx-tls nothing is probed, whatever the certificates", async () => {
    const before = server.servernames().length;
    const findings = await run({ mx: ["expired.example.test", "wrong.example.test"], probe: "off" });
    assert.deepEqual(
      findings.map((f) => `${f.result} ${f.code}`),
      ["ok record-ok", "ok mta-sts-policy", "ok mta-sts-mx"],
    );
    assert.equal(server.servernames().length, before);
  });

  it("no STARTTLS offered: fail in enforce, warn in testing", async () => {
    const where = `(127.0.0.1 port ${plain.port})`;
    assert.deepEqual(await tlsLines({ mx: ["mail.example.test"], probe: localProbe(plain.port) }), [
      `fail mta-sts-mx-starttls-missing | MX host mail.example.test ${where}: does not offer STARTTLS in its EHLO reply: ${ENFORCE}`,
      "  next: enable STARTTLS (RFC 3207) on the SMTP server of mail.example.test, with a certificate for mail.example.test from a CA the public trusts",
    ]);
    assert.deepEqual(
      (await tlsLines({ mode: "testing", mx: ["mail.example.test"], probe: localProbe(plain.port) }))[0],
      `warn mta-sts-mx-starttls-missing | MX host mail.example.test ${where}: does not offer STARTTLS in its EHLO reply: ${TESTING}`,
    );
  });

  it("port 25 unreachable: a warning that it may be blocked from here, never ok, never a failure", async () => {
    const port = await freePort();
    assert.deepEqual(await tlsLines({ mx: ["mail.example.test"], probe: localProbe(port) }), [
      `warn mta-sts-mx-tls-unreachable | MX host mail.example.test (127.0.0.1 port ${port}): could not connect (connection refused): outbound port 25 may be blocked from here; its STARTTLS certificate is unverified`,
      "  next: run `check --mx-tls` where outbound port 25 is open (many networks and CI runners, GitHub-hosted ones included, block it), or make sure mail.example.test accepts connections on port 25",
    ]);
  });

  it("every other failure kind: a finding with its hint, by mode; the deadline: check-limit", async () => {
    const failing =
      (code: SmtpTlsFailureCode, message: string): SmtpTlsProbe =>
      (host) =>
        Promise.resolve({
          host,
          address: code === "DNS" ? undefined : "192.0.2.25",
          port: 25,
          failure: new SmtpTlsFailure(code, message),
        });
    const cases: [SmtpTlsFailureCode, string, string[]][] = [
      [
        "DNS",
        "A mail.example.test: NXDOMAIN",
        [
          "fail mta-sts-mx-tls-address | MX host mail.example.test: A mail.example.test: NXDOMAIN: senders find no server to deliver to",
          "  next: mail.example.test must resolve to its SMTP server: `dig A mail.example.test` should list its address",
        ],
      ],
      [
        "TIMEOUT",
        "no greeting within 10 s",
        [
          "fail mta-sts-mx-smtp-error | MX host mail.example.test (192.0.2.25 port 25): no greeting within 10 s: its STARTTLS certificate is unverified, and senders cannot deliver there either",
          `  next: ${sClient("mail.example.test")} shows what the server says; a server that says nothing at all may also be a firewall here that accepts connections to port 25 and passes nothing on`,
        ],
      ],
      [
        "TLS",
        "closed the connection during the TLS handshake after accepting STARTTLS",
        [
          `fail mta-sts-mx-tls-handshake | MX host mail.example.test (192.0.2.25 port 25): closed the connection during the TLS handshake after accepting STARTTLS: ${ENFORCE}`,
          `  next: the SMTP server of mail.example.test must complete a TLS handshake (TLS 1.2 or later) after STARTTLS: ${sClient("mail.example.test")} shows what goes wrong`,
        ],
      ],
      [
        "LIMIT",
        "cut short at the 30 s deadline for checking one stack",
        [
          "fail check-limit | MX host mail.example.test (192.0.2.25 port 25): STARTTLS probe cut short at the 30 s deadline for checking one stack",
          "  next: unverified: run the check again, with a longer --stack-timeout",
        ],
      ],
    ];
    for (const [code, message, expected] of cases) {
      assert.deepEqual(await tlsLines({ mx: ["mail.example.test"], probe: failing(code, message) }), expected, code);
    }
    const testing = await tlsLines({ mode: "testing", mx: ["mail.example.test"], probe: failing("SMTP", "x") });
    assert.match(testing[0] ?? "", /^warn mta-sts-mx-smtp-error /);
  });

  it(`more than ${MAX_PROBED_MX_HOSTS} MX hosts: the first ${MAX_PROBED_MX_HOSTS} probed, the rest named in a warning`, async () => {
    const hosts = Array.from({ length: MAX_PROBED_MX_HOSTS + 2 }, (_, i) => `m${i}.mx.example.test`);
    const probed: string[] = [];
    const findings = await run({
      mx: hosts,
      probe: (host) => {
        probed.push(host);
        return localProbe(server.port)(host);
      },
    });
    assert.deepEqual(probed, hosts.slice(0, MAX_PROBED_MX_HOSTS));
    assert.equal(findings.filter((f) => f.code === "mta-sts-mx-tls").length, MAX_PROBED_MX_HOSTS);
    const skipped = findings.find((f) => f.code === "mta-sts-mx-tls-skipped");
    assert.equal(skipped?.result, "warn");
    assert.equal(
      skipped.message,
      "2 of 12 MX hosts not probed (at most 10 per domain): their STARTTLS certificates are unverified",
    );
    assert.deepEqual(skipped.served, hosts.slice(MAX_PROBED_MX_HOSTS));
  });
});
