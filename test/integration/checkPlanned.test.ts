/**
 * `sender-auth check --planned` (issue #12) end to end: a change verified before `pulumi up`. The
 * stacks' own records come from the in-process server (their plan, as `plan` computes it); BIND
 * serves everything else they point at, given as `--resolver`: SPF include chains, report
 * destinations, an email provider's key, the live zones of some stacks (what DNS serves before `up`),
 * and an empty `test` zone so that any other name under .test is NXDOMAIN.
 *
 *   - a change that would break SPF (11 lookups through includes) fails before `up` while the live
 *     zone still passes; the fix passes while the live zone still fails;
 *   - an external rua destination that does not authorise the domain fails, one that does passes;
 *     a stale authorisation in the live zone of a checked stack whose plan drops it is not used;
 *   - the apex A and MX records an SPF `a`/`mx` term asks for are asked live (`up` leaves them);
 *   - Route53 with preserveTxt and 2048-bit keys split as the provider splits them: DKIM signed with
 *     fixture key files verifies, a CNAME selector's key is found at the email provider;
 *   - where BIND serves exactly the plan, live and planned give the same findings and exit codes;
 *   - `--planned --authoritative` is a usage error; a stack that cannot be planned fails like `plan`.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { stringify as stringifyYaml } from "yaml";
import type { StackReport } from "../../cli/commands/check";
import { namedAvailable, skipOrFailWithoutNamed, startBind, txtRdata, type BindServer } from "../support/bind";
import { failures, outline, parseReports, SPF_CUT_HINT } from "../support/checkReports";
import { createTempProject, inheritedEnv, runCli, type CliResult, type TempProject } from "../support/cli";
import { FIXTURE_DIR, FIXTURE_PRINTS, fixtureKey, type FixtureKeyName } from "../support/fixtures";

const NOW = "2026-11-28T10:00:00Z";
const TTL = 600;
const CF_ZONE = "0123456789abcdef0123456789abcdef";
const R53_ZONE = "Z0123456789ABCDEFGHIJ";
const TOKEN = "google-site-verification=r53TokenZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210";
const PRINT = FIXTURE_PRINTS;
const pem = (key: FixtureKeyName): string => path.join(FIXTURE_DIR, "keys", `${key}.pem`);
const dkimValue = (key: FixtureKeyName): string =>
  `v=DKIM1; k=${fixtureKey(key).algorithm}; p=${fixtureKey(key).publicKey}`;
const CUT = SPF_CUT_HINT;

const GOOD_SPF = { ip4: ["192.0.2.10"], include: ["_spf.esp.test"], all: "fail" };
const CHAIN_SPF = { ip4: ["192.0.2.10"], include: ["c1.chain.test"], all: "fail" };
const dmarc = (domain: string, rua = `mailto:dmarc@${domain}`, extra: object = {}) => ({
  policy: "reject",
  rua: [rua],
  ...extra,
});
const cloudflare = { provider: "cloudflare", zoneId: CF_ZONE, ttl: TTL };

/** Each stack's config; the live zones below are what DNS serves before `up`. */
const STACKS: Readonly<Record<string, Record<string, unknown>>> = {
  // The change adds an include chain 11 lookups deep; DNS still serves the old, good record.
  "spf-break": { domain: "spf-break.test", dns: cloudflare, spf: CHAIN_SPF, dmarc: dmarc("spf-break.test") },
  // The change fixes such a chain; DNS still serves the broken record.
  "spf-fix": { domain: "spf-fix.test", dns: cloudflare, spf: GOOD_SPF, dmarc: dmarc("spf-fix.test") },
  // Reports to reports.test, which authorises rua-ok.test and not rua-bad.test.
  "rua-ok": { domain: "rua-ok.test", dns: cloudflare, dmarc: dmarc("rua-ok.test", "mailto:agg@reports.test") },
  "rua-bad": { domain: "rua-bad.test", dns: cloudflare, dmarc: dmarc("rua-bad.test", "mailto:agg@reports.test") },
  // Reports to xb.test, whose change stops authorising them; its live zone still does.
  xa: { domain: "xa.test", dns: cloudflare, dmarc: dmarc("xa.test", "mailto:agg@xb.test") },
  xb: { domain: "xb.test", dns: cloudflare, dmarc: dmarc("xb.test") },
  // SPF a and mx terms: the apex A and MX records are not sender-auth's, and live.
  mxa: {
    domain: "mxa.test",
    dns: cloudflare,
    spf: { a: true, mx: true, all: "fail" },
    dmarc: dmarc("mxa.test"),
  },
  // Route53: the apex set carries a verification token; 2048-bit and Ed25519 keys; an ESP's key.
  r53: {
    domain: "r53.test",
    dns: { provider: "route53", zoneId: R53_ZONE, ttl: TTL, preserveTxt: [TOKEN] },
    spf: GOOD_SPF,
    dkim: {
      selectors: {
        r1: {
          status: "active",
          algorithm: "rsa",
          publicKey: fixtureKey("rsa-2048").publicKey,
          createdAt: "2026-11-01",
        },
        r2: {
          status: "active",
          algorithm: "ed25519",
          publicKey: fixtureKey("ed25519").publicKey,
          createdAt: "2026-11-01",
        },
        esp: { status: "active", cname: "s1.dkim.esp.test" },
      },
    },
    dmarc: dmarc("r53.test"),
  },
  // BIND serves exactly the plan: live and planned must agree (one passes, one fails).
  same: {
    domain: "same.test",
    dns: cloudflare,
    spf: GOOD_SPF,
    dkim: {
      selectors: {
        same1: {
          status: "active",
          algorithm: "rsa",
          publicKey: fixtureKey("rsa-2048").publicKey,
          createdAt: "2026-11-01",
        },
      },
    },
    dmarc: dmarc("same.test"),
  },
  "same-bad": {
    domain: "same-bad.test",
    dns: cloudflare,
    spf: CHAIN_SPF,
    dmarc: dmarc("same-bad.test", "mailto:agg@reports.test"),
  },
  // Cannot be planned: run on its own.
  invalid: { domain: "invalid.test", dns: { provider: "cloudflare", zoneId: "nope" }, dmarc: { policy: "strict" } },
};
const CHECKED = Object.keys(STACKS).filter((stack) => stack !== "invalid");

/** Zones BIND serves besides the stacks' own (the stacks' live zones come from `plan` or by hand). */
function supportZones(): { origin: string; body: string }[] {
  const chain = Array.from({ length: 10 }, (_, i) => `c${i + 1} IN TXT "v=spf1 include:c${i + 2}.chain.test -all"`);
  return [
    { origin: "test", body: "" },
    {
      origin: "esp.test",
      body: [
        `_spf IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`,
        `s1.dkim IN TXT ${txtRdata(dkimValue("rsa-2048-b"))}`,
      ].join("\n"),
    },
    { origin: "chain.test", body: [...chain, `c11 IN TXT "v=spf1 ip4:192.0.2.11 -all"`].join("\n") },
    {
      origin: "reports.test",
      body: `rua-ok.test._report._dmarc IN TXT "v=DMARC1"\nsame-bad.test._report._dmarc IN TXT "v=DMARC1"`,
    },
    // Before `up`: the records of the last change.
    {
      origin: "spf-break.test",
      body: [
        `@ ${TTL} IN TXT "v=spf1 ip4:192.0.2.10 include:_spf.esp.test -all"`,
        `_dmarc ${TTL} IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@spf-break.test"`,
      ].join("\n"),
    },
    {
      origin: "spf-fix.test",
      body: [
        `@ ${TTL} IN TXT "v=spf1 ip4:192.0.2.10 include:c1.chain.test -all"`,
        `_dmarc ${TTL} IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@spf-fix.test"`,
      ].join("\n"),
    },
    {
      origin: "xb.test",
      body: [
        `_dmarc ${TTL} IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@xb.test"`,
        // Stale: the change drops this authorisation.
        `xa.test._report._dmarc ${TTL} IN TXT "v=DMARC1"`,
      ].join("\n"),
    },
    // Not sender-auth's records: the web server and the mail exchanger.
    { origin: "mxa.test", body: ["@ IN A 192.0.2.25", "@ IN MX 10 mail.mxa.test.", "mail IN A 192.0.2.26"].join("\n") },
  ];
}

/** Cuts the `--format zone` output into its stacks at each `; stack` header line. */
function splitZoneOutput(output: string): Map<string, string> {
  const zones = new Map<string, string>();
  for (const part of output.split(/^(?=; stack )/m)) {
    const stack = /^; stack (\S+): /.exec(part)?.[1];
    if (stack !== undefined) zones.set(stack, part);
  }
  return zones;
}

interface State {
  readonly bind: BindServer;
  readonly runs: ReadonlyMap<string, Promise<CliResult>>;
}

let project: TempProject | undefined;
let state: State | undefined;

function run(name: string): Promise<CliResult> {
  assert.ok(state, "the before hook did not finish: see its error");
  const started = state.runs.get(name);
  assert.ok(started, `no run named ${name}`);
  return started;
}

/** The reports of a JSON run, by stack, after checking its exit code and empty stderr. */
async function reports(name: string, code: number): Promise<Map<string, StackReport>> {
  const result = await run(name);
  assert.equal(result.stderr, "", `${name}: stderr`);
  assert.equal(result.code, code, `${name}: exit code\n${result.stdout}`);
  return new Map(parseReports(result.stdout).map((report) => [report.stack, report]));
}

async function report(name: string, stack: string): Promise<StackReport> {
  const found = (await reports(name, 1)).get(stack);
  assert.ok(found, `${name}: no report of ${stack}`);
  return found;
}

const KEY_FILES = ["--key-file", `r1=${pem("rsa-2048")}`, "--key-file", `r2=${pem("ed25519")}`];

describe("sender-auth check --planned against BIND-served includes and report destinations", () => {
  before(async () => {
    if (!namedAvailable()) return;
    project = createTempProject("sender-auth-planned-");
    for (const [stack, config] of Object.entries(STACKS)) {
      const file = Object.fromEntries(Object.entries(config).map(([key, value]) => [`sender-auth:${key}`, value]));
      project.writeStack(stack, stringifyYaml({ config: file }, { lineWidth: 0 }));
    }
    // The stacks BIND serves exactly as planned.
    const plan = await runCli(["plan", "same", "same-bad", "--format", "zone"], { cwd: project.dir });
    assert.equal(plan.code, 0, plan.stderr);
    const planned = splitZoneOutput(plan.stdout);
    const zones = [
      ...supportZones(),
      { origin: "same.test", body: planned.get("same") ?? "" },
      { origin: "same-bad.test", body: planned.get("same-bad") ?? "" },
    ];
    const bind = await startBind(zones);
    const resolver = `127.0.0.1:${bind.port}`;
    const env = { ...inheritedEnv(), SENDER_AUTH_NOW: NOW };
    const runs = new Map<string, Promise<CliResult>>();
    const start = (name: string, args: readonly string[]): void => {
      const started = runCli(["check", ...args, "--resolver", resolver, "--no-pulumi"], {
        cwd: project?.dir ?? "",
        env,
        timeoutMs: 60_000,
      });
      started.catch(() => undefined);
      runs.set(name, started);
    };
    start("planned", [...CHECKED, "--planned", "--format", "json", ...KEY_FILES]);
    start("live", [...CHECKED, "--format", "json", ...KEY_FILES]);
    start("planned table", ["spf-break", "rua-bad", "--planned"]);
    start("planned same", ["same", "--planned", "--key-file", `same1=${pem("rsa-2048")}`]);
    start("live same", ["same", "--key-file", `same1=${pem("rsa-2048")}`]);
    start("planned authoritative", ["same", "--planned", "--authoritative"]);
    start("planned invalid", ["invalid", "--planned"]);
    const planInvalid = runCli(["plan", "invalid"], { cwd: project.dir });
    planInvalid.catch(() => undefined);
    runs.set("plan invalid", planInvalid);
    state = { bind, runs };
  });

  after(async () => {
    if (state !== undefined) {
      await Promise.allSettled(state.runs.values());
      await state.bind.stop();
    }
    project?.remove();
  });

  it("a change that would break SPF (11 lookups through includes) fails before `up`, while DNS still serves the old, passing record", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const planned = await report("planned", "spf-break");
    assert.equal(planned.planned, true);
    assert.deepEqual(failures(planned), [
      {
        code: "spf-lookups",
        result: "fail",
        subject: "spf",
        message: "11 DNS lookups of 10 (RFC 7208 §4.6.4): receivers return permerror",
        hint: CUT,
      },
      {
        code: "spf-walk-limit",
        result: "fail",
        subject: "spf",
        message:
          "the include walk stops 10 includes deep: c11.chain.test (included by c10.chain.test) was not looked at; receivers return permerror past 10 DNS lookups (RFC 7208 §4.6.4)",
        hint: CUT,
      },
    ]);
    // DNS still serves the old record, which receivers evaluate fine: --planned did not ask DNS for
    // the stack's own records. A live check only sees that DNS is not what the config declares.
    assert.deepEqual(
      failures((await reports("live", 1)).get("spf-break") ?? planned).map((f) => `${f.code} ${f.subject}`),
      ["record-different spf-break.test"],
    );
  });

  it("the fixed change passes before `up`, while DNS still serves the broken record", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const planned = (await reports("planned", 1)).get("spf-fix");
    assert.ok(planned);
    assert.equal(planned.ok, true, JSON.stringify(failures(planned)));
    assert.deepEqual(outline(planned), [
      "record-ok ok spf-fix.test",
      "record-ok ok _dmarc.spf-fix.test",
      "spf-lookups ok spf",
      "spf-void-lookups ok spf",
      "spf-size ok spf",
      "dmarc-policy ok dmarc",
    ]);
    const live = (await reports("live", 1)).get("spf-fix");
    assert.deepEqual(
      failures(live ?? planned).map((f) => f.code),
      ["record-different", "spf-lookups", "spf-walk-limit"],
    );
  });

  it("an external rua destination that does not authorise the domain fails; one that does passes", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const planned = await reports("planned", 1);
    assert.deepEqual(failures(planned.get("rua-bad") ?? ({} as StackReport)), [
      {
        code: "dmarc-report-destination",
        result: "fail",
        subject: "dmarc",
        message:
          'reports.test does not publish rua-bad.test._report._dmarc.reports.test TXT "v=DMARC1": receivers send it no reports (RFC 7489 §7.1)',
        hint: "ask the operator of reports.test to publish it (a sender-auth stack for reports.test: add rua-bad.test to its sender-auth:dmarc.authorizeReportsFor), or remove the address from sender-auth:dmarc.rua",
      },
    ]);
    const ok = planned.get("rua-ok");
    assert.ok(ok);
    assert.equal(ok.ok, true);
    assert.ok(
      ok.findings.some(
        (f) => f.code === "dmarc-report-destination" && f.message === "reports.test accepts reports for rua-ok.test",
      ),
    );
  });

  it("a checked stack's plan answers for its own names: a stale authorisation in its live zone is not used", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const planned = await report("planned", "xa");
    assert.deepEqual(
      failures(planned).map((f) => f.message),
      [
        'xb.test does not publish xa.test._report._dmarc.xb.test TXT "v=DMARC1": receivers send it no reports (RFC 7489 §7.1)',
      ],
    );
    const live = (await reports("live", 1)).get("xa");
    assert.ok(
      live?.findings.some((f) => f.code === "dmarc-report-destination" && f.result === "ok"),
      "live DNS still authorises it",
    );
  });

  it("names the plan does not own are asked live: the apex A and MX records of SPF a and mx terms", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const planned = (await reports("planned", 1)).get("mxa");
    assert.ok(planned);
    assert.equal(planned.ok, true, JSON.stringify(failures(planned)));
    const messages = new Map(planned.findings.map((f) => [f.code, f.message]));
    assert.equal(messages.get("spf-lookups"), "2 DNS lookups of 10 (RFC 7208 §4.6.4)");
    assert.equal(messages.get("spf-void-lookups"), "0 void lookups of 2 (RFC 7208 §4.6.4)");
  });

  it("Route53: the apex set with preserveTxt, keys split as Route53 sends them; DKIM signed with the key files verifies, the ESP's key is found", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const planned = (await reports("planned", 1)).get("r53");
    assert.ok(planned);
    assert.equal(planned.ok, true, JSON.stringify(failures(planned)));
    const byKey = new Map(planned.findings.map((f) => [`${f.code} ${f.subject}`, f.message]));
    const spfValue = "v=spf1 ip4:192.0.2.10 include:_spf.esp.test -all";
    assert.equal(
      byKey.get("spf-size spf"),
      `the TXT answer at r53.test is ${"r53.test".length + spfValue.length + TOKEN.length} octets (under 450)`,
    );
    assert.equal(byKey.get("dkim-ok dkim r1"), `serves the configured key ${PRINT["rsa-2048"]} (RSA 2048)`);
    assert.equal(byKey.get("dkim-ok dkim r2"), `serves the configured key ${PRINT.ed25519} (Ed25519)`);
    assert.equal(byKey.get("dkim-ok dkim esp"), `served through s1.dkim.esp.test: ${PRINT["rsa-2048-b"]} (RSA 2048)`);
    assert.deepEqual(
      planned.findings.filter((f) => f.code === "dkim-signature").map((f) => `${f.subject} ${f.result} ${f.message}`),
      [
        "dkim r1 ok a message signed with the private key verifies (mailauth)",
        "dkim r2 ok a message signed with the private key verifies (mailauth)",
      ],
    );
  });

  it("where DNS serves exactly the plan, live and planned give the same findings and exit codes", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const planned = await reports("planned", 1);
    const live = await reports("live", 1);
    for (const stack of ["same", "same-bad"]) {
      const p = planned.get(stack);
      const l = live.get(stack);
      assert.ok(p && l, stack);
      assert.deepEqual({ ...p, planned: false }, l, stack);
      assert.equal(l.planned, false);
    }
    assert.equal(planned.get("same")?.ok, true);
    assert.deepEqual(
      failures(planned.get("same-bad") ?? ({} as StackReport)).map((f) => f.code),
      ["spf-lookups", "spf-walk-limit"],
    );
  });

  it("a passing stack: exit 0 both ways, the same table but for the word `planned`", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const planned = await run("planned same");
    const live = await run("live same");
    assert.deepEqual([planned.code, planned.stderr, live.code, live.stderr], [0, "", 0, ""], planned.stdout);
    assert.equal(planned.stdout.split("\n")[0], "same (same.test, planned): ok (9 checks)");
    assert.equal(planned.stdout.replace("same (same.test, planned)", "same (same.test)"), live.stdout);
    assert.ok(live.stdout.includes("  OK    dkim same1: a message signed with the private key verifies (mailauth)\n"));
  });

  it("the table says the report is of the plan", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const result = await run("planned table");
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stderr, "");
    assert.equal(
      result.stdout,
      [
        "spf-break (spf-break.test, planned): 2 failed, 0 warnings, 5 ok",
        `  OK    spf-break.test: SPF [ttl ${TTL}]`,
        `  OK    _dmarc.spf-break.test: DMARC [ttl ${TTL}]`,
        "  FAIL  spf: 11 DNS lookups of 10 (RFC 7208 §4.6.4): receivers return permerror",
        `        next:     ${CUT}`,
        "  OK    spf: 0 void lookups of 2 (RFC 7208 §4.6.4)",
        "  FAIL  spf: the include walk stops 10 includes deep: c11.chain.test (included by c10.chain.test) was not looked at; receivers return permerror past 10 DNS lookups (RFC 7208 §4.6.4)",
        `        next:     ${CUT}`,
        "  OK    spf: the TXT answer at spf-break.test is 62 octets (under 450)",
        "  OK    dmarc: mailauth reads p=reject",
        "rua-bad (rua-bad.test, planned): 1 failed, 0 warnings, 2 ok",
        `  OK    _dmarc.rua-bad.test: DMARC [ttl ${TTL}]`,
        "  OK    dmarc: mailauth reads p=reject",
        '  FAIL  dmarc: reports.test does not publish rua-bad.test._report._dmarc.reports.test TXT "v=DMARC1": receivers send it no reports (RFC 7489 §7.1)',
        "        next:     ask the operator of reports.test to publish it (a sender-auth stack for reports.test: add rua-bad.test to its sender-auth:dmarc.authorizeReportsFor), or remove the address from sender-auth:dmarc.rua",
        "",
      ].join("\n"),
    );
  });

  it("--planned --authoritative: a usage error, exit 2, nothing on stdout", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const result = await run("planned authoritative");
    assert.deepEqual(
      [result.code, result.stdout, result.stderr],
      [
        2,
        "",
        "error: --planned and --authoritative cannot be combined: --planned answers the stacks' records from their plan, --authoritative asks the zone's nameservers what they serve now\n",
      ],
    );
  });

  it("a stack that cannot be planned: its errors as `plan` prints them, exit 1, nothing on stdout", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const result = await run("planned invalid");
    const plan = await run("plan invalid");
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, /^error: stack invalid: sender-auth:dns\.zoneId: /m);
    assert.deepEqual([result.code, result.stdout, result.stderr], [1, "", plan.stderr]);
  });
});
