/**
 * The check logic (checkStack, cli/check/checks.ts) in process, through the DnsClient seam
 * (test/support/memoryDns.ts): each record family's findings for a served zone, exact, with no socket
 * and no spawned binary. What the network does to a check (timeouts, truncation, hostile answers) is
 * checkStack.test.ts's; what the command prints, checkCli.test.ts's.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkStack, type CheckContext, type Finding } from "../../../cli/check/checks";
import { DnsFailure } from "../../../cli/check/dnsClient";
import { DEFAULT_CHECK_LIMITS, type CheckLimits } from "../../../cli/check/limits";
import { fixtureKey } from "../../support/fixtures";
import type { HostileAnswer } from "../../support/hostileDns";
import { FAN_OUT, hostileStack, hostileStackZone, type HostileStack } from "../../support/hostileDnsStack";
import { memoryDns, type MemoryDns } from "../../support/memoryDns";

const DOMAIN = "example.test";
const SELECTOR = `s1._domainkey.${DOMAIN}`;
const DMARC = `_dmarc.${DOMAIN}`;
const GOOD = hostileStack(DOMAIN);
const RESOLVER = { host: "192.0.2.53", port: 53 };
const NOW = new Date("2026-12-01T12:00:00Z");
const SPF_VALUE = GOOD.records.find((record) => record.purpose === "spf")?.value ?? "";
const DECLARED_KEY = "SHA-256 388f4e7b9875fe89…";

/** `code result subject | message` of every finding. */
const lines = (findings: readonly Finding[]): string[] =>
  findings.map((f) => `${f.code} ${f.result} ${f.subject} | ${f.message}`);

async function run(
  served: Readonly<Record<string, readonly HostileAnswer[]>> = {},
  options: {
    stack?: HostileStack;
    limits?: CheckLimits;
    authoritative?: boolean;
    fail?: (name: string, type: string) => DnsFailure | undefined;
  } = {},
): Promise<{ findings: Finding[]; dns: MemoryDns }> {
  const stack = options.stack ?? GOOD;
  const dns = memoryDns(hostileStackZone([stack], served), options.fail);
  const context: CheckContext = {
    resolver: RESOLVER,
    queryOptions: {},
    privateKeys: new Map(),
    limits: options.limits ?? DEFAULT_CHECK_LIMITS,
    dns,
    stack: "shop",
    now: () => NOW,
    ...(options.authoritative === true ? { authoritative: { port: 5300 } } : {}),
  };
  return { findings: await checkStack(context, stack.config, stack.records), dns };
}

const ALL_OK = [
  `record-ok ok ${DOMAIN} | SPF`,
  `record-ok ok ${SELECTOR} | DKIM s1`,
  `record-ok ok ${DMARC} | DMARC`,
  "spf-lookups ok spf | 1 DNS lookups of 10 (RFC 7208 §4.6.4)",
  "spf-void-lookups ok spf | 0 void lookups of 2 (RFC 7208 §4.6.4)",
  `spf-size ok spf | the TXT answer at ${DOMAIN} is 60 octets (under 450)`,
  `dkim-ok ok dkim s1 | serves the configured key ${DECLARED_KEY} (Ed25519)`,
  "dmarc-policy ok dmarc | mailauth reads p=reject",
];

/** ALL_OK with the lines starting with each key of `changes` replaced by its lines. */
function allOkBut(changes: Readonly<Record<string, readonly string[]>>): string[] {
  return ALL_OK.flatMap((line) => {
    const key = Object.keys(changes).find((prefix) => line.startsWith(prefix));
    return key === undefined ? [line] : (changes[key] ?? []);
  });
}

const UP_HINT =
  "run `pulumi up --stack shop`; if it just ran, wait for TTL 300 s (until 12:05 UTC); edited by hand outside sender-auth? `pulumi up --refresh --stack shop` puts the declared value back";

describe("checkStack through an in-process DnsClient", () => {
  it("a zone serving the stack as declared: every finding ok; each question asked once, of the resolver", async () => {
    const { findings, dns } = await run();
    assert.deepEqual(lines(findings), ALL_OK);
    assert.deepEqual(dns.asked, [
      `192.0.2.53:53 ${DOMAIN} TXT`,
      `192.0.2.53:53 ${SELECTOR} TXT`,
      `192.0.2.53:53 ${DMARC} TXT`,
      "192.0.2.53:53 _dmarc.test TXT",
      "192.0.2.53:53 _spf.esp.test TXT",
    ]);
  });

  const cases: readonly [string, Readonly<Record<string, readonly HostileAnswer[]>>, readonly string[]][] = [
    [
      "a second v=spf1 record at the apex: spf-multiple and receivers' permerror (RFC 7208 §3.2)",
      {
        [DOMAIN]: [
          { type: "TXT", data: SPF_VALUE },
          { type: "TXT", data: "v=spf1 -all" },
        ],
      },
      [
        `spf-multiple fail ${DOMAIN} | 2 v=spf1 records: SPF fails with permerror (RFC 7208 §3.2)`,
        ...allOkBut({
          "spf-lookups": [
            "spf-permerror fail spf | SPF permerror: spf=permerror (sender-auth-check: permanent error in processing during lookup of postmaster@example.test: multiple SPF records found for example.test) smtp.mailfrom=postmaster@example.test smtp.helo=example.test",
          ],
          "spf-void-lookups": [],
          "spf-size": [`spf-size ok spf | the TXT answer at ${DOMAIN} is 71 octets (under 450)`],
        }),
      ],
    ],
    [
      "another DKIM key served: the record differs and the key is named by fingerprint",
      { [SELECTOR]: [{ type: "TXT", data: `v=DKIM1; k=ed25519; p=${fixtureKey("ed25519-b").publicKey}` }] },
      allOkBut({
        [`record-ok ok ${SELECTOR}`]: [
          `record-different fail ${SELECTOR} | DKIM s1: DNS serves key SHA-256 ccda5a9253524333…, config declares key ${DECLARED_KEY}`,
        ],
        "dkim-ok": [
          `dkim-wrong-key fail dkim s1 | DNS serves key SHA-256 ccda5a9253524333… (Ed25519), config declares key ${DECLARED_KEY} (Ed25519)`,
        ],
      }),
    ],
    [
      "DMARC p=none served where the config declares reject",
      { [DMARC]: [{ type: "TXT", data: `v=DMARC1; p=none; rua=mailto:dmarc@${DOMAIN}` }] },
      allOkBut({
        [`record-ok ok ${DMARC}`]: [
          `record-different fail ${DMARC} | DMARC: DNS serves another value than the config declares`,
        ],
        "dmarc-policy": [
          "dmarc-policy fail dmarc | DNS serves p=none (as mailauth reads it), config declares p=reject",
        ],
      }),
    ],
  ];
  for (const [title, served, expected] of cases) {
    it(title, async () => {
      assert.deepEqual(lines((await run(served)).findings), expected);
    });
  }

  it("no DMARC record (NXDOMAIN): record-missing and dmarc-missing, each with the negative-caching TTL to wait", async () => {
    const zone = hostileStackZone([GOOD]);
    const dns = memoryDns((name, type) => (name === DMARC ? undefined : zone(name, type)));
    const findings = await checkStack(
      { resolver: RESOLVER, queryOptions: {}, privateKeys: new Map(), dns, stack: "shop", now: () => NOW },
      GOOD.config,
      GOOD.records,
    );
    const wait =
      "run `pulumi up --stack shop`; if it just ran, wait for the negative-caching TTL 300 s (until 12:05 UTC); deleted by hand outside sender-auth? `pulumi up --refresh --stack shop` creates it again";
    assert.deepEqual(
      findings.filter((f) => f.result !== "ok").map((f) => [f.code, f.message, f.hint]),
      [
        ["record-missing", "DMARC: not served (NXDOMAIN)", wait],
        ["dmarc-missing", `no DMARC record at ${DMARC} (NXDOMAIN)`, wait],
      ],
    );
  });

  it("the hint of a changed record names the stack and the TTL to wait", async () => {
    const { findings } = await run({ [DMARC]: [{ type: "TXT", data: "v=DMARC1; p=none" }] });
    assert.equal(findings.find((f) => f.code === "record-different")?.hint, UP_HINT);
  });

  it("an SPF include tree past every receiver's limit: counted to 20, the walk stopped and named", async () => {
    const { findings } = await run({}, { stack: hostileStack(DOMAIN, FAN_OUT) });
    assert.deepEqual(lines(findings.filter((f) => f.result !== "ok")), [
      "spf-lookups fail spf | more than 20 DNS lookups of 10 (RFC 7208 §4.6.4): receivers return permerror; the check stops counting at 20",
      "spf-walk-limit fail spf | the include walk stops 10 includes deep: a.a.a.a.a.a.a.a.a.a.fan.test (included by a.a.a.a.a.a.a.a.a.fan.test) was not looked at; receivers return permerror past 10 DNS lookups (RFC 7208 §4.6.4)",
      "spf-walk-limit fail spf | the include walk stops after 20 include and redirect targets: l.a.a.a.a.a.a.a.a.fan.test (included by a.a.a.a.a.a.a.a.fan.test) and any after it were not looked at; receivers return permerror past 10 DNS lookups (RFC 7208 §4.6.4)",
    ]);
  });

  it("a resolver that never answers: one dns-timeout per record, nothing after them (no verdict from no answer)", async () => {
    const failure = new DnsFailure("TIMEOUT", "no answer from 192.0.2.53:53 within 2000 ms");
    const { findings, dns } = await run({}, { fail: () => failure });
    assert.deepEqual(
      findings.map((f) => `${f.code} ${f.result} ${f.subject} | ${f.message} | ${f.hint ?? ""}`),
      [DOMAIN, SELECTOR, DMARC].map(
        (name) =>
          `dns-timeout fail ${name} | TXT ${name}: no answer from 192.0.2.53:53 within 2000 ms | a DNS failure, not an answer: run the check again; if it persists, ask the server yourself: \`dig @192.0.2.53 ${name} TXT\``,
      ),
    );
    assert.equal(dns.asked.length, 3);
  });

  it("the stack's query budget applies to the DnsClient: past maxQueries, SPF is unverified and check-limit fails", async () => {
    const { findings, dns } = await run({}, { limits: { ...DEFAULT_CHECK_LIMITS, maxQueries: 3 } });
    assert.deepEqual(lines(findings.filter((f) => f.result !== "ok")), [
      "spf-temperror fail spf | SPF evaluation stopped at a DNS failure: TXT _spf.esp.test: not asked: this stack's check reached its limit of 3 DNS queries; receivers return temperror (RFC 7208 §4.4)",
      "check-limit fail check | stopped at the limit of 3 DNS queries for checking one stack: 2 lookups not made; what they would have checked is unverified",
    ]);
    assert.equal(dns.asked.length, 3);
  });

  it("--authoritative: the zone's nameservers found through the resolver, each asked without recursion", async () => {
    const served = {
      [DOMAIN]: [
        { type: "NS", data: `ns1.${DOMAIN}` },
        { type: "TXT", data: SPF_VALUE },
      ],
      [`ns1.${DOMAIN}`]: [{ type: "A", data: "192.0.2.1" }],
    } as const;
    const { findings, dns } = await run(served, { authoritative: true });
    assert.deepEqual(
      lines(findings).slice(0, 3),
      [`${DOMAIN} | SPF`, `${SELECTOR} | DKIM s1`, `${DMARC} | DMARC`].map(
        (what) => `record-ok ok ${what} at 192.0.2.1:5300`,
      ),
    );
    assert.deepEqual(dns.asked.slice(0, 6), [
      `192.0.2.53:53 ${DOMAIN} NS`,
      `192.0.2.53:53 ns1.${DOMAIN} A`,
      `192.0.2.53:53 ns1.${DOMAIN} AAAA`,
      `192.0.2.1:5300 ${DOMAIN} TXT (norec)`,
      `192.0.2.1:5300 ${SELECTOR} TXT (norec)`,
      `192.0.2.1:5300 ${DMARC} TXT (norec)`,
    ]);
  });
});
