/**
 * `sender-auth rotate --due` end to end (issue #14): the real binary spawned on the fleet of
 * test/support/fleet.ts with the stand-in `pulumi` first on PATH, SENDER_AUTH_NOW pinned and a real
 * BIND answering the DNS gates (a published key served for activation, a revocation served for
 * removal). Exact output, exact exit codes, the stack files each run leaves behind; a second run
 * right after does nothing and says so, and `status` agrees with what was done.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { changedWhileRunning, rotateDue } from "../../../cli/commands/rotateDue";
import type { LineDue } from "../../../cli/status/due";
import { memoryDns } from "../../support/memoryDns";
import { namedAvailable, skipOrFailWithoutNamed, startBind, txtRdata, type BindServer } from "../../support/bind";
import { setTimeout as sleep } from "node:timers/promises";
import { lockStack } from "../../../cli/stackLock";
import { createTempProject, describeResult, runCli, type TempProject } from "../../support/cli";
import { fakePulumiEnv, readPulumiLog } from "../../support/pulumiStandIn";
import { fixtureKey } from "../../support/fixtures";
import { FLEET, FLEET_NOW, fleetStackText, writeFleet, writeRevokeEvidence } from "../../support/fleet";

const NEW_KEY = fixtureKey("rsa-2048-b");

/** Every domain of the fleet has a zone, so that a missing record is NXDOMAIN, not a refusal. */
const ZONES: Readonly<Record<string, string>> = {
  "fresh.test": '@ IN TXT "v=spf1 -all"',
  "old.test": '@ IN TXT "v=spf1 -all"',
  "custom.test": '@ IN TXT "v=spf1 -all"',
  "publishing.test": `s202705a._domainkey IN TXT ${txtRdata(`v=DKIM1; k=rsa; p=${NEW_KEY.publicKey}`)}`,
  "overlap.test": '@ IN TXT "v=spf1 -all"',
  "retired.test": '@ IN TXT "v=spf1 -all"',
  "revoked.test": `s202611a._domainkey IN TXT ${txtRdata("v=DKIM1; p=")}`,
};

let bind: BindServer | undefined;
const projects: TempProject[] = [];

before(async () => {
  if (!namedAvailable()) return;
  bind = await startBind(Object.entries(ZONES).map(([origin, body]) => ({ origin, body })));
});
after(async () => {
  await bind?.stop();
  for (const project of projects) project.remove();
});

function fleetProject(): TempProject {
  const project = createTempProject("sender-auth-rotate-due-");
  projects.push(project);
  writeFleet(project);
  return project;
}

/** Reports of the window after f-retired's retirement showing only its new selector signing. */
function writeEvidence(project: TempProject): string {
  const dir = project.subdir("dmarc");
  writeRevokeEvidence(dir);
  return dir;
}

async function sa(project: TempProject, args: readonly string[]) {
  const log = path.join(project.dir, "pulumi.log");
  writeFileSync(log, "");
  const result = await runCli(args, {
    cwd: project.dir,
    env: fakePulumiEnv(log, { SENDER_AUTH_NOW: FLEET_NOW }),
    timeoutMs: 120_000,
  });
  return { ...result, log: readPulumiLog(log) };
}

const resolver = (): string[] => {
  assert.ok(bind, "BIND did not start: see the before hook");
  return ["--resolver", `127.0.0.1:${bind.port}`];
};

type Selectors = Record<string, Record<string, unknown>>;

function selectorsOf(project: TempProject, stack: string): Selectors {
  const doc = parseYaml(readFileSync(path.join(project.stacksDir, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, { selectors: Selectors; removedSelectors?: Record<string, string> }>;
  };
  return doc.config["sender-auth:dkim"]?.selectors ?? {};
}

/** Status and the key facts of each selector: what a run must (or must not) change. */
function summary(project: TempProject, stack: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(selectorsOf(project, stack)).map(([name, s]) => [
      name,
      [s["status"], s["retiredAt"], s["createdAt"]]
        .filter((v) => v !== undefined)
        .map(String)
        .join(" "),
    ]),
  );
}

function stackTexts(project: TempProject): Record<string, string> {
  return Object.fromEntries(
    Object.keys(FLEET).map((stack) => [
      stack,
      readFileSync(path.join(project.stacksDir, `Pulumi.${stack}.yaml`), "utf8"),
    ]),
  );
}

/** What both runs say of the stacks that have nothing to do, or cannot be rotated. */
const UNCHANGED: Readonly<Record<string, string>> = {
  "a-fresh": "a-fresh: nothing due: s202705a is 31 days old (sender-auth:dkim.maxKeyAgeDays 180)",
  "e-overlap":
    "e-overlap: nothing due: s202611a was retired on 2027-05-28; mail signed with it may still be in flight, so it can be revoked from 2027-06-04 (--overlap-days 7)",
  "h-undated":
    "h-undated: nothing due: s1 has no createdAt, so its age is unknown: set sender-auth:dkim.selectors.s1.createdAt, or rotate by hand",
  "i-cname": "i-cname: nothing due: no DKIM keys of its own (CNAME selectors are rotated by their provider)",
  "j-broken": "j-broken: not rotated: the stack config has 3 problems (npx sender-auth status j-broken lists them)",
  "k-unreadable":
    "k-unreadable: not rotated: the stack config has 1 problem (npx sender-auth status k-unreadable lists them)",
};

const WAIT_FOR_REVOCATION = (domain: string): string =>
  `waiting: DNS does not serve the revocation of s202611a yet (s202611a._domainkey.${domain}: no such name (NXDOMAIN)); it is removed once pulumi up has published it`;

/** What the first run (with the revoke evidence) says of the stacks whose step it takes. */
const TAKEN: Readonly<Record<string, string>> = {
  "b-old":
    "b-old: started s202706a, a new rsa-2048 key, published (s202611a is 212 days old, over sender-auth:dkim.maxKeyAgeDays 180); it is activated on a later run once DNS serves it",
  "c-custom-age":
    "c-custom-age: started s202706a, a new rsa-2048 key, published (s202705a is 31 days old, over sender-auth:dkim.maxKeyAgeDays 30); it is activated on a later run once DNS serves it",
  "d-publishing":
    "d-publishing: activated s202705a, s202611a retired (DNS serves it): switch every signer to s202705a (npx sender-auth export d-publishing --selector s202705a --format pem)",
  "f-retired":
    "f-retired: revoked s202611a: 3 reports for retired.test from 2027-05-26 to 2027-05-31 show only s202705a signing (120 messages), none with s202611a",
  "g-revoked": "g-revoked: removed s202611a (DNS serves its revocation)",
};

/** The selectors of those stacks once their step is taken (status, retiredAt, createdAt). */
const TAKEN_STATE: Readonly<Record<string, Record<string, string>>> = {
  "b-old": { s202611a: "active 2026-11-01", s202706a: "published 2027-06-01" },
  "c-custom-age": { s202705a: "active 2027-05-01", s202706a: "published 2027-06-01" },
  "d-publishing": { s202611a: "retired 2027-06-01 2026-11-01", s202705a: "active 2027-05-30" },
  "f-retired": { s202611a: "revoked 2027-05-10 2026-11-01", s202705a: "active 2027-05-08" },
  "g-revoked": { s202705a: "active 2027-05-08" },
};

/** What a run right after the first says of the same stacks: each waits for DNS or the calendar. */
const AFTER: Readonly<Record<string, string>> = {
  "b-old":
    "b-old: waiting: DNS does not serve s202706a yet (s202706a._domainkey.old.test: no such name (NXDOMAIN)); it is activated once pulumi up has published it and the record TTL has passed",
  "c-custom-age":
    "c-custom-age: waiting: DNS does not serve s202706a yet (s202706a._domainkey.custom.test: no such name (NXDOMAIN)); it is activated once pulumi up has published it and the record TTL has passed",
  "d-publishing":
    "d-publishing: nothing due: s202611a was retired on 2027-06-01; mail signed with it may still be in flight, so it can be revoked from 2027-06-08 (--overlap-days 7)",
  "f-retired": `f-retired: ${WAIT_FOR_REVOCATION("retired.test")}`,
  "g-revoked": "g-revoked: nothing due: s202705a is 24 days old (sender-auth:dkim.maxKeyAgeDays 180)",
};

/**
 * What a run says for those stacks when it decided on the step before another run took it, and then
 * read the stack under the lock: that it changed, and what is due now.
 */
const changedLine = (stack: string, decided: string, now: string): string =>
  `${stack}: the stack changed while rotate --due ran: ${decided} was due when this run read it; now ${now}`;
const CHANGED: Readonly<Record<string, string>> = {
  "b-old": changedLine(
    "b-old",
    "start",
    "activate is due, for a later run: s202706a is published: it is activated once DNS serves it",
  ),
  "c-custom-age": changedLine(
    "c-custom-age",
    "start",
    "activate is due, for a later run: s202706a is published: it is activated once DNS serves it",
  ),
  "d-publishing": changedLine(
    "d-publishing",
    "activate",
    "nothing is due: s202611a was retired on 2027-06-01; mail signed with it may still be in flight, so it can be revoked from 2027-06-08 (--overlap-days 7)",
  ),
  "f-retired": changedLine(
    "f-retired",
    "revoke",
    "remove is due, for a later run: s202611a is revoked: it is removed once DNS serves its revocation",
  ),
  "g-revoked": changedLine(
    "g-revoked",
    "remove",
    "nothing is due: s202705a is 24 days old (sender-auth:dkim.maxKeyAgeDays 180)",
  ),
};

describe("sender-auth rotate --due", () => {
  it("takes exactly the step due for each stack, one line per stack; a second run does nothing and says so", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const project = fleetProject();
    const reports = writeEvidence(project);
    const first = await sa(project, ["rotate", "--due", ...resolver(), "--reports", reports]);
    assert.equal(
      first.stdout,
      [
        UNCHANGED["a-fresh"],
        TAKEN["b-old"],
        TAKEN["c-custom-age"],
        TAKEN["d-publishing"],
        UNCHANGED["e-overlap"],
        TAKEN["f-retired"],
        TAKEN["g-revoked"],
        UNCHANGED["h-undated"],
        UNCHANGED["i-cname"],
        UNCHANGED["j-broken"],
        UNCHANGED["k-unreadable"],
        "",
      ].join("\n"),
      describeResult(first),
    );
    assert.equal(first.stderr, "");
    assert.equal(first.code, 1, "the broken stacks fail the run; the others are rotated");
    // Private keys travel on standard input only.
    for (const call of first.log) assert.ok(!call.argv.join(" ").includes("PRIVATE KEY"), call.argv.join(" "));

    for (const [stack, selectors] of Object.entries(TAKEN_STATE)) assert.deepEqual(summary(project, stack), selectors);
    for (const unchanged of ["a-fresh", "e-overlap", "h-undated", "i-cname", "j-broken"]) {
      assert.deepEqual(summary(project, unchanged), summary(fleetProjectOnce(), unchanged), unchanged);
    }

    // Right after: every step taken waits for DNS or the calendar; nothing changes.
    const texts = stackTexts(project);
    const second = await sa(project, ["rotate", "--due", ...resolver(), "--reports", reports]);
    assert.equal(
      second.stdout,
      [
        UNCHANGED["a-fresh"],
        AFTER["b-old"],
        AFTER["c-custom-age"],
        AFTER["d-publishing"],
        UNCHANGED["e-overlap"],
        AFTER["f-retired"],
        AFTER["g-revoked"],
        UNCHANGED["h-undated"],
        UNCHANGED["i-cname"],
        UNCHANGED["j-broken"],
        UNCHANGED["k-unreadable"],
        "",
      ].join("\n"),
      describeResult(second),
    );
    assert.deepEqual(stackTexts(project), texts);
    assert.deepEqual(second.log, [], "no pulumi call when nothing is done");

    // status says what rotate --due just found.
    const status = await sa(project, ["status", "--format", "json", "--reports", reports]);
    const rows = JSON.parse(status.stdout) as { stack: string; rotation: { due: boolean; next: string | null } }[];
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [r.stack, `${r.rotation.next ?? "-"} ${r.rotation.due ? "due" : "not due"}`])),
      {
        "a-fresh": "start not due",
        "b-old": "activate due",
        "c-custom-age": "activate due",
        "d-publishing": "revoke not due",
        "e-overlap": "revoke not due",
        "f-retired": "remove due",
        "g-revoked": "start not due",
        "h-undated": "start not due",
        "i-cname": "- not due",
        "j-broken": "- not due",
        "k-unreadable": "- not due",
      },
    );
  });

  it("two runs at once on the same fleet take each step once: the stack lock serialises them, the later one finds the stack changed", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const project = fleetProject();
    const reports = writeEvidence(project);
    // Both runs start with d-publishing, then b-old; holding those two locks (as a third writer
    // would) makes both runs decide on the same file and wait, so that each step is contended.
    const held = async (stack: string) =>
      lockStack({ stackConfigDir: project.stacksDir, stack, command: "the test", waitMs: 0 });
    const locks = { d: await held("d-publishing"), b: await held("b-old") };
    const order = ["d-publishing", "b-old", "c-custom-age", "f-retired", "g-revoked"];
    const args = ["rotate", "--due", ...resolver(), "--reports", reports, ...order];
    const runs = ["one", "two"].map(async (name) => {
      const log = path.join(project.dir, `pulumi-${name}.log`);
      const result = await runCli(args, {
        cwd: project.dir,
        env: fakePulumiEnv(log, { SENDER_AUTH_NOW: FLEET_NOW, SENDER_AUTH_LOCK_WAIT_MS: "60000" }),
        timeoutMs: 120_000,
      });
      return { ...result, log: readPulumiLog(log) };
    });
    await sleep(8000);
    locks.d.release();
    await sleep(8000);
    locks.b.release();
    const [one, two] = await Promise.all(runs);
    assert.ok(one !== undefined && two !== undefined);
    for (const run of [one, two]) assert.equal(run.stderr, "", describeResult(run));
    const lines = (run: typeof one): Map<string, string> =>
      new Map(run.stdout.split("\n").flatMap((line) => (line === "" ? [] : [[line.split(":")[0] ?? "", line]])));
    const [first, second] = [lines(one), lines(two)];
    for (const stack of order) {
      const said = [first.get(stack), second.get(stack)];
      // Exactly one run took the step, with the words of a run alone.
      assert.equal(said.filter((line) => line === TAKEN[stack]).length, 1, `${stack}:\n${said.join("\n")}`);
      const other = said.find((line) => line !== TAKEN[stack]) ?? "";
      // The other decided on the file before the step was taken and found it taken under the lock
      // (it says so, and what is due now), or came after and found the step taken, as a run right
      // after does.
      assert.ok(other === CHANGED[stack] || other === AFTER[stack], `${stack}: ${other}`);
    }
    // The contended steps: both runs decided before either wrote, so the later one found it taken.
    for (const stack of ["d-publishing", "b-old"]) {
      assert.ok([first.get(stack), second.get(stack)].includes(CHANGED[stack]), stack);
    }
    // Neither run failed: a step another run took is not a failure, nothing here needs a person.
    assert.deepEqual([one.code, two.code], [0, 0], describeResult(one) + describeResult(two));
    for (const [stack, selectors] of Object.entries(TAKEN_STATE)) assert.deepEqual(summary(project, stack), selectors);
    const removed = parseYaml(readFileSync(path.join(project.stacksDir, "Pulumi.g-revoked.yaml"), "utf8")) as {
      config: Record<string, { removedSelectors?: Record<string, string> }>;
    };
    assert.deepEqual(removed.config["sender-auth:dkim"]?.removedSelectors, { s202611a: "2027-06-01" });
    // One new key per started rotation, generated by one run only.
    const generated = [...one.log, ...two.log].filter((call) => call.stdin.includes("PRIVATE KEY"));
    assert.equal(generated.length, 2, "b-old and c-custom-age, once each");
  });

  it("--dry-run says what it would do and changes nothing; without evidence a revoke waits", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const project = fleetProject();
    const texts = stackTexts(project);
    const run = await sa(project, [
      "rotate",
      "--due",
      "--dry-run",
      ...resolver(),
      "b-old",
      "d-publishing",
      "f-retired",
      "g-revoked",
    ]);
    assert.equal(
      run.stdout,
      [
        "b-old: would start a new rsa-2048 key (s202611a is 212 days old, over sender-auth:dkim.maxKeyAgeDays 180)",
        "d-publishing: would activate s202705a, s202611a retired (DNS serves it)",
        "f-retired: waiting: revoking s202611a needs evidence that no mail is still signed with it: DMARC aggregate reports (--reports PATH) from 2027-05-25 showing only s202705a signing, or approve it (rotate --due --approve-revoke <stack>)",
        "g-revoked: would remove s202611a (DNS serves its revocation)",
        "",
      ].join("\n"),
      describeResult(run),
    );
    assert.equal(run.code, 0);
    assert.deepEqual(stackTexts(project), texts);
    assert.deepEqual(run.log, []);
  });

  it("--approve-revoke revokes without report evidence, for the stacks it names only", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const project = fleetProject();
    const run = await sa(project, [
      "rotate",
      "--due",
      ...resolver(),
      "--approve-revoke",
      "f-retired",
      "f-retired",
      "e-overlap",
    ]);
    assert.equal(
      run.stdout,
      [
        "f-retired: revoked s202611a: s202611a retired on 2027-05-10; revoking it was approved (--approve-revoke)",
        // An approval does not shorten the overlap.
        UNCHANGED["e-overlap"],
        "",
      ].join("\n"),
      describeResult(run),
    );
    assert.equal(run.code, 0);
    assert.equal(selectorsOf(project, "f-retired")["s202611a"]?.["status"], "revoked");
  });

  it("selectors rotate refuses (two active keys) fail the run with rotate's reason; nothing changes", async () => {
    const project = createTempProject("sender-auth-rotate-due-blocked-");
    projects.push(project);
    project.writeStack(
      "two-active",
      fleetStackText({
        domain: "two.test",
        selectors: {
          s202611a: { status: "active", createdAt: "2026-11-01" },
          s202611b: { status: "active", key: "rsa-2048-b", createdAt: "2026-11-02" },
        },
      }),
    );
    const before = readFileSync(path.join(project.stacksDir, "Pulumi.two-active.yaml"), "utf8");
    const run = await sa(project, ["rotate", "--due", "--resolver", "127.0.0.1:1"]);
    assert.equal(
      run.stdout,
      "two-active: not rotated: s202611a and s202611b are all active rsa selectors; retire all but one by hand before rotating\n",
      describeResult(run),
    );
    assert.equal(run.code, 1);
    assert.equal(readFileSync(path.join(project.stacksDir, "Pulumi.two-active.yaml"), "utf8"), before);
    assert.deepEqual(run.log, []);
  });

  it("usage errors exit 2 and change nothing", async () => {
    const project = fleetProject();
    const texts = stackTexts(project);
    for (const [args, message] of [
      [["rotate"], "error: missing required argument 'stack' (or --due for every stack)\n"],
      [
        ["rotate", "a-fresh", "b-old"],
        "error: rotate takes one stack, got 2: a-fresh b-old (rotate --due takes several)\n",
      ],
      [["rotate", "a-fresh", "--dry-run"], "error: --dry-run only goes with --due\n"],
      [
        ["rotate", "--due", "--force"],
        "error: --force cannot be combined with --due: rotate --due takes a step only through its gates\n",
      ],
      [
        ["rotate", "--due", "b-old", "--approve-revoke", "f-retired"],
        'error: --approve-revoke: "f-retired" is not among the stacks of this run (b-old)\n',
      ],
      [["rotate", "--due", "nope"], /^error: no stack file for "nope"/],
      [
        ["rotate", "--due", "--approve-revoke", "../x"],
        `error: option '--approve-revoke <stack>' argument '../x' is invalid. It must be a stack name: "/" at position 2 is not allowed: a stack name may only contain letters, digits, hyphens, underscores and periods (Pulumi's stack-name characters), so it is never a path.\n(run with --help for usage)\n`,
      ],
    ] as const) {
      const run = await sa(project, args);
      assert.equal(run.code, 2, `${args.join(" ")}\n${describeResult(run)}`);
      assert.equal(run.stdout, "");
      if (typeof message === "string") assert.equal(run.stderr, message);
      else assert.match(run.stderr, message);
    }
    assert.deepEqual(stackTexts(project), texts);
  });
});

let pristine: TempProject | undefined;
/** An untouched copy of the fleet, to compare with. */
function fleetProjectOnce(): TempProject {
  pristine ??= fleetProject();
  return pristine;
}

describe("rotate --due when the stack changed between its decision and its lock", () => {
  const line = (fields: Partial<LineDue>): LineDue => ({
    algorithm: "rsa",
    due: false,
    next: null,
    reason: "",
    blocked: false,
    ...fields,
  });
  const changed = "the stack changed while rotate --due ran: remove was due when this run read it";
  const cases: [string, Parameters<typeof changedWhileRunning>[1], string, boolean][] = [
    [
      "nothing is due now (another run took the step)",
      line({
        next: "start",
        notBefore: "2027-11-05",
        reason: "s202705a is 24 days old (sender-auth:dkim.maxKeyAgeDays 180)",
      }),
      `${changed}; now nothing is due: s202705a is 24 days old (sender-auth:dkim.maxKeyAgeDays 180)`,
      false,
    ],
    [
      "a revoke waits for evidence",
      line({ next: "revoke", reason: "waiting: no DMARC aggregate reports were given (--reports)" }),
      `${changed}; now waiting: no DMARC aggregate reports were given (--reports)`,
      false,
    ],
    [
      "another step is due now",
      line({ due: true, next: "activate", reason: "s202706a is published: it is activated once DNS serves it" }),
      `${changed}; now activate is due, for a later run: s202706a is published: it is activated once DNS serves it`,
      false,
    ],
    [
      "rotate refuses now",
      line({ blocked: true, reason: "s1 and s2 are both active" }),
      `not rotated: ${changed}; now rotate refuses: s1 and s2 are both active`,
      true,
    ],
    [
      "the config became invalid (one problem)",
      { problems: 1 },
      `not rotated: ${changed}; now its config has 1 problem (npx sender-auth status g-revoked lists them)`,
      true,
    ],
    [
      "the config became invalid (two problems)",
      { problems: 2 },
      `not rotated: ${changed}; now its config has 2 problems (npx sender-auth status g-revoked lists them)`,
      true,
    ],
    ["the key line is gone", undefined, `${changed}; now it has no rsa keys of its own`, false],
  ];
  for (const [name, now, text, failed] of cases) {
    it(`says so and what is due now: ${name}`, () => {
      assert.deepEqual(changedWhileRunning("remove", now, "g-revoked", "rsa"), { text, failed });
    });
  }

  it("a run that finds the key it was to remove already removed says nothing is due now, not that a new key is next, and exits 0", async () => {
    const project = fleetProject();
    const file = path.join(project.stacksDir, "Pulumi.g-revoked.yaml");
    let winner: string | undefined;
    // The DNS gate runs after the decision and before the lock: there, another run removes the key.
    const dns = memoryDns((name, type) => {
      if (name !== "s202611a._domainkey.revoked.test" || type !== "TXT") return undefined;
      const doc = parseYaml(readFileSync(file, "utf8")) as {
        config: Record<string, { selectors: Record<string, unknown>; removedSelectors?: Record<string, string> }>;
      };
      const dkim = doc.config["sender-auth:dkim"];
      assert.ok(dkim !== undefined);
      delete dkim.selectors["s202611a"];
      dkim.removedSelectors = { s202611a: "2027-06-01" };
      winner = stringifyYaml(doc);
      writeFileSync(file, winner);
      return [{ type: "TXT", data: "v=DKIM1; p=" }];
    });
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } };
    const code = await rotateDue(
      {
        stacks: ["g-revoked"],
        resolver: { host: "127.0.0.1", port: 53 },
        overlapDays: 7,
        reports: [],
        approveRevoke: [],
        dryRun: false,
        cwd: project.dir,
        now: new Date(FLEET_NOW),
        dns,
      },
      io,
    );
    assert.equal(
      out.join(""),
      "g-revoked: the stack changed while rotate --due ran: remove was due when this run read it; now nothing is due: s202705a is 24 days old (sender-auth:dkim.maxKeyAgeDays 180)\n",
    );
    assert.deepEqual(err, []);
    assert.equal(code, 0);
    assert.equal(readFileSync(file, "utf8"), winner, "the file is as the other run left it");
  });
});
