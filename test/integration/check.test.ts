/**
 * End to end: `sender-auth check` (issue #5) against a real BIND. One temporary project holds a stack
 * per failure kind, each on its own domain under .test; `plan --format zone` (one spawn for every
 * stack) gives each stack's zone, which is then broken on purpose (a record dropped, another key, a
 * second SPF record, a DMARC typo, ...) and served by ONE BIND instance together with the zones the
 * stacks point at (an SPF include chain, an email provider, report destinations) and an empty `test`
 * zone, so that any other name under .test is NXDOMAIN, as on the Internet.
 *
 * Every check spawns the real binary, most with `--resolver 127.0.0.1:<BIND port>`; they all start
 * in before() and run in parallel (runCli caps the number of children), the tests await them. Beside
 * BIND there are three loopback servers made here: a silent one (timeouts), a closed port
 * (unreachable) and a small stand-in for a recursive resolver in front of BIND, which follows CNAMEs
 * into other zones (BIND, authoritative only, does not) and answers SERVFAIL for chosen names.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { Socket } from "node:net";
import * as path from "node:path";
import * as packet from "dns-packet";
import { stringify as stringifyYaml } from "yaml";
import type { StackReport as Report } from "../../cli/commands/check";
import {
  namedAvailable,
  skipOrFailWithoutNamed,
  startBind,
  txtRdata,
  type BindServer,
  type ZoneSpec,
} from "../support/bind";
import { deployHint, failures, missingHint, outline, parseReports, SPF_CUT_HINT } from "../support/checkReports";
import { createTempProject, inheritedEnv, runCli, type CliResult, type TempProject } from "../support/cli";
import { FIXTURE_DIR, FIXTURE_PRINTS, fixtureKey, type FixtureKeyName } from "../support/fixtures";
import { freePort } from "../support/ports";

const TTL = 600;
const NOW = "2026-11-28T10:00:00Z";
const ZONE_ID = "0123456789abcdef0123456789abcdef";
/** The TTL the wrong-key zone serves its wrong record with: the expiry a mismatch names. */
const WRONG_TTL = 120;

const PRINT = FIXTURE_PRINTS;
/** A missing record's hint: BIND's negative answers carry its SOA (minimum 300 s). */
const missing = (stack: string): string => missingHint(stack, "the negative-caching TTL 300 s (until 10:05 UTC)");
const CUT = SPF_CUT_HINT;

const dkimValue = (key: FixtureKeyName): string =>
  `v=DKIM1; k=${fixtureKey(key).algorithm}; p=${fixtureKey(key).publicKey}`;
const pem = (key: FixtureKeyName): string => path.join(FIXTURE_DIR, "keys", `${key}.pem`);

// ---------------------------------------------------------------------------------------------------
// Stacks, and how each one's planned zone is broken.

interface StackSpec {
  readonly domain: string;
  readonly spf?: Record<string, unknown>;
  readonly dkim?: Record<string, unknown>;
  readonly dmarc?: Record<string, unknown>;
  /** Edits the stack's `plan --format zone` text; undefined: the zone is not served at all. */
  readonly zone: ((text: string) => string) | undefined;
}

/** Every stack: SPF through one include, an RSA and an Ed25519 key, a revoked selector, DMARC reject. */
const BASE = {
  spf: { ip4: ["192.0.2.10"], include: ["_spf.esp.test"], all: "fail" },
  dkim: {
    s1: { status: "active", algorithm: "rsa", publicKey: fixtureKey("rsa-2048").publicKey, createdAt: "2026-11-01" },
    s2: { status: "active", algorithm: "ed25519", publicKey: fixtureKey("ed25519").publicKey, createdAt: "2026-11-01" },
    old: { status: "revoked" },
  },
} as const;

const asIs = (text: string): string => text;

/** The zone line of a relative owner name (`@`, `s1._domainkey`, `_dmarc`); exactly one must exist. */
function lineOf(text: string, owner: string): string {
  const lines = text.split("\n").filter((line) => line.split(/\s+/)[0] === owner);
  assert.equal(lines.length, 1, `one zone line for ${owner} in:\n${text}`);
  return lines[0] ?? "";
}
const dropLine = (owner: string) => (text: string) => text.replace(`${lineOf(text, owner)}\n`, "");
const replaceLine = (owner: string, line: string) => (text: string) => text.replace(lineOf(text, owner), line);
const addLine = (line: string) => (text: string) => `${text}${line}\n`;

const STACKS = {
  good: { domain: "good.test", dmarc: { rua: ["mailto:dmarc@good.test", "mailto:agg@reports.test"] }, zone: asIs },
  "missing-dkim": { domain: "missing-dkim.test", zone: dropLine("s1._domainkey") },
  "wrong-key": {
    domain: "wrong-key.test",
    zone: replaceLine("s1._domainkey", `s1._domainkey ${WRONG_TTL} IN TXT ${txtRdata(dkimValue("rsa-2048-b"))}`),
  },
  "two-spf": { domain: "two-spf.test", zone: addLine(`@ ${TTL} IN TXT "v=spf1 ip4:203.0.113.0/24 -all"`) },
  "spf-chain": {
    domain: "spf-chain.test",
    spf: { ip4: ["192.0.2.10"], include: ["c1.chain.test"], all: "fail" },
    zone: asIs,
  },
  // Every name under fanout.test includes two more below it (RFC 7208 §7 macros): no end but the check's bound.
  "spf-fanout": {
    domain: "spf-fanout.test",
    spf: { ip4: ["192.0.2.10"], include: ["tree.fanout.test"], all: "fail" },
    zone: asIs,
  },
  "spf-void": {
    domain: "spf-void.test",
    spf: {
      ip4: ["192.0.2.10"],
      include: ["_spf.esp.test"],
      exists: ["nx1.spf-void.test", "nx2.spf-void.test", "nx3.spf-void.test"],
      all: "fail",
    },
    zone: asIs,
  },
  "spf-nospf": {
    domain: "spf-nospf.test",
    spf: { ip4: ["192.0.2.10"], include: ["nospf.esp.test"], all: "fail" },
    zone: asIs,
  },
  "dmarc-typo": {
    domain: "dmarc-typo.test",
    zone: (text: string) => replaceLine("_dmarc", lineOf(text, "_dmarc").replace("p=reject", "p=rejct"))(text),
  },
  "rua-unauth": {
    domain: "rua-unauth.test",
    dmarc: { rua: ["mailto:dmarc@rua-unauth.test", "mailto:agg@reports.test"] },
    zone: asIs,
  },
  // A 3072-bit key does not fit a 512-octet UDP answer: check retries over TCP.
  "revoked-served": {
    domain: "revoked-served.test",
    zone: replaceLine("old._domainkey", `old._domainkey ${TTL} IN TXT ${txtRdata(dkimValue("rsa-3072"))}`),
  },
  duplicates: {
    domain: "duplicates.test",
    zone: (text: string) =>
      addLine(`s2._domainkey ${TTL} IN TXT ${txtRdata(dkimValue("ed25519-b"))}`)(
        addLine(`_dmarc ${TTL} IN TXT "v=DMARC1; p=none"`)(text),
      ),
  },
  // The right key, but behind a CNAME inside the zone (BIND follows it) where a TXT record is declared.
  "txt-cname": {
    domain: "txt-cname.test",
    zone: (text: string) =>
      addLine(`s1-key ${TTL} IN TXT ${txtRdata(dkimValue("rsa-2048"))}`)(
        replaceLine("s1._domainkey", `s1._domainkey ${TTL} IN CNAME s1-key`)(text),
      ),
  },
  cname: { domain: "cname.test", dkim: { esp: { status: "active", cname: "s1.dkim.esp.test" } }, zone: asIs },
  servfail: {
    domain: "servfail.test",
    spf: { ip4: ["192.0.2.10"], include: ["_spf.flaky.test"], all: "fail" },
    dmarc: { rua: ["mailto:agg@flaky.test"] },
    zone: asIs,
  },
  unserved: { domain: "unserved.test", zone: undefined },
} as const satisfies Record<string, StackSpec>;
type StackName = keyof typeof STACKS;

/** Names the resolver stand-in answers SERVFAIL for. */
const SERVFAIL_NAMES = new Set([
  "s1._domainkey.servfail.test",
  "_dmarc.servfail.test",
  "_spf.flaky.test",
  "servfail.test._report._dmarc.flaky.test",
  "unserved.test",
]);

function stackFile(spec: StackSpec): string {
  const config = {
    "sender-auth:domain": spec.domain,
    "sender-auth:dns": { provider: "cloudflare", zoneId: ZONE_ID, ttl: TTL },
    "sender-auth:spf": spec.spf ?? BASE.spf,
    "sender-auth:dkim": { selectors: { ...BASE.dkim, ...spec.dkim } },
    "sender-auth:dmarc": { policy: "reject", rua: [`mailto:dmarc@${spec.domain}`], ...spec.dmarc },
  };
  return stringifyYaml({ config }, { lineWidth: 0 });
}

/** The zones the stacks point at. */
function supportZones(): ZoneSpec[] {
  const chain = Array.from({ length: 10 }, (_, i) => `c${i + 1} IN TXT "v=spf1 include:c${i + 2}.chain.test -all"`);
  return [
    // Anything else under .test does not exist.
    { origin: "test", body: "" },
    {
      origin: "esp.test",
      body: [
        `_spf IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`,
        `nospf IN TXT "not an SPF record"`,
        `s1.dkim IN TXT ${txtRdata(dkimValue("rsa-2048-b"))}`,
      ].join("\n"),
    },
    { origin: "fanout.test", body: `* IN TXT "v=spf1 include:a.%{d} include:b.%{d} -all"` },
    // Eleven includes deep: c1 → c2 → … → c11.
    { origin: "chain.test", body: [...chain, `c11 IN TXT "v=spf1 ip4:192.0.2.11 -all"`].join("\n") },
    // Accepts reports for good.test only.
    { origin: "reports.test", body: `good.test._report._dmarc IN TXT "v=DMARC1"` },
    {
      origin: "flaky.test",
      body: `_spf IN TXT "v=spf1 ip4:198.51.100.0/24 -all"\nservfail.test._report._dmarc IN TXT "v=DMARC1"`,
    },
  ];
}

/** Cuts the `--format zone` output into its stacks at each `; stack` header line. */
function splitZoneOutput(output: string): Map<string, string> {
  const zones = new Map<string, string>();
  for (const part of output.split(/^(?=; stack )/m)) {
    if (part.trim() === "") continue;
    const stack = /^; stack (\S+): /.exec(part)?.[1];
    assert.ok(stack !== undefined, `zone output part without a "; stack" header:\n${part}`);
    zones.set(stack, part);
  }
  return zones;
}

// ---------------------------------------------------------------------------------------------------
// Loopback servers besides BIND.

interface Server {
  readonly port: number;
  close(): Promise<void>;
}

function bindUdp(socket: UdpSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      socket.off("error", reject);
      resolve(socket.address().port);
    });
  });
}

const closeUdp = (socket: UdpSocket): Promise<void> =>
  new Promise((resolve) => {
    socket.close(() => {
      resolve();
    });
  });

/** Receives queries and never answers. */
async function startSilentServer(): Promise<Server> {
  const socket = createSocket("udp4");
  const port = await bindUdp(socket);
  return { port, close: () => closeUdp(socket) };
}

/** One question to BIND over TCP (no truncation whatever the answer size). */
function askUpstream(port: number, name: string, type: packet.RecordType): Promise<packet.Packet> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    socket.setTimeout(2000, () => {
      socket.destroy();
      reject(new Error(`no answer from BIND for ${type} ${name}`));
    });
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        socket.destroy();
        resolve(packet.streamDecode(received));
      }
    });
    socket.connect(port, "127.0.0.1", () => {
      socket.write(packet.streamEncode({ type: "query", id: 1, questions: [{ name, type, class: "IN" }] }));
    });
  });
}

const RCODE_SERVFAIL = 2;

/**
 * Stands in for a recursive resolver in front of BIND: forwards each question, follows CNAMEs into
 * other zones (BIND answers a TXT query at a CNAME into another zone with the CNAME alone), answers
 * with the answer section only, and answers SERVFAIL for the names in `servfail`.
 */
async function startResolverStandIn(bindPort: number, servfail: ReadonlySet<string>): Promise<Server> {
  const socket = createSocket("udp4");
  const answer = async (query: packet.Packet): Promise<{ rcode: number; answers: packet.Answer[] }> => {
    const question = query.questions?.[0];
    if (question === undefined) return { rcode: RCODE_SERVFAIL, answers: [] };
    let answers: packet.Answer[] = [];
    let rcode = 0;
    let name = question.name;
    for (let hop = 0; hop < 8; hop++) {
      if (servfail.has(name.toLowerCase())) return { rcode: RCODE_SERVFAIL, answers: [] };
      const reply = await askUpstream(bindPort, name, question.type);
      rcode = (reply.flags ?? 0) & 0xf;
      const got = reply.answers ?? [];
      answers = [...answers, ...got];
      const cname = got.filter((a): a is packet.StringAnswer => a.type === "CNAME").at(-1);
      if (question.type === "CNAME" || got.some((a) => a.type === question.type) || cname === undefined) break;
      name = cname.data;
    }
    return { rcode, answers };
  };
  socket.on("message", (message, remote) => {
    let query: packet.Packet;
    try {
      query = packet.decode(message);
    } catch {
      return;
    }
    answer(query).then(
      ({ rcode, answers }) => {
        const flags = packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | rcode;
        socket.send(
          packet.encode({ type: "response", id: query.id ?? 0, flags, questions: query.questions ?? [], answers }),
          remote.port,
          remote.address,
        );
      },
      () => {
        // BIND did not answer: neither does the stand-in (the client times out).
      },
    );
  });
  const port = await bindUdp(socket);
  return { port, close: () => closeUdp(socket) };
}

// ---------------------------------------------------------------------------------------------------
// Runs: all started in before(), in parallel.

interface Run extends CliResult {
  readonly ms: number;
}

interface State {
  readonly bind: BindServer;
  readonly servers: readonly Server[];
  readonly resolver: string;
  readonly standIn: string;
  readonly runs: ReadonlyMap<string, Promise<Run>>;
}

let project: TempProject | undefined;
let state: State | undefined;

function current(): State {
  assert.ok(state, "the before hook did not finish: see its error");
  return state;
}

function run(name: string): Promise<Run> {
  const started = current().runs.get(name);
  assert.ok(started, `no run named ${name}`);
  return started;
}

/** A run that printed exactly one report, of `stack`, as JSON, and nothing on stderr. */
async function reportOf(name: string, stack: StackName, code: number): Promise<Report> {
  const result = await run(name);
  assert.equal(result.stderr, "", `${name}: stderr`);
  assert.equal(result.code, code, `${name}: exit code\n${result.stdout}`);
  const reports = parseReports(result.stdout);
  assert.equal(reports.length, 1, `${name}: one report`);
  const report = reports[0]!;
  assert.equal(report.stack, stack);
  assert.equal(report.domain, STACKS[stack].domain);
  return report;
}

/** The port of a `127.0.0.1:<port>` address. */
const portOf = (address: string): string => address.slice(address.lastIndexOf(":") + 1);

/** Starts every check run; runCli queues them so that at most cores + 1 run at a time. */
function startRuns(
  dir: string,
  resolver: string,
  standIn: string,
  silent: string,
  closed: string,
): Map<string, Promise<Run>> {
  const json = ["--format", "json"];
  const at = (stack: StackName, ...extra: string[]): string[] => [
    "check",
    stack,
    "--resolver",
    resolver,
    ...json,
    ...extra,
  ];
  const specs: [string, string[]][] = [
    // First, so that their elapsed time is theirs and not the queue's.
    ["timeout", ["check", "good", "--resolver", silent, ...json]],
    ["unreachable", ["check", "good", "--resolver", closed, ...json]],
    ["servfail", ["check", "servfail", "--resolver", standIn, ...json]],
    ["cname", ["check", "cname", "--resolver", standIn, ...json]],
    [
      "authoritative servfail",
      ["check", "unserved", "--authoritative", "--resolver", standIn, "--ns-port", portOf(standIn), ...json],
    ],
    ["good", at("good")],
    ["good right keys", at("good", "--key-file", `s1=${pem("rsa-2048")}`, "--key-file", `s2=${pem("ed25519")}`)],
    ["good wrong key", at("good", "--key-file", `s1=${pem("rsa-2048-b")}`)],
    ...(Object.keys(STACKS) as StackName[])
      .filter((stack) => !["good", "cname", "servfail", "unserved"].includes(stack))
      .map((stack): [string, string[]] => [stack, at(stack)]),
    // Several stacks per run: the table (the default format), and --authoritative.
    ["table", ["check", "wrong-key", "good", "--resolver", resolver]],
    [
      "authoritative",
      [
        "check",
        "good",
        "wrong-key",
        "unserved",
        "--authoritative",
        "--resolver",
        resolver,
        "--ns-port",
        portOf(resolver),
        ...json,
      ],
    ],
    ["usage: resolver not an address", ["check", "good", "--resolver", "dns.example"]],
    ["usage: unknown stack", ["check", "good", "nope", "--resolver", resolver]],
    ["usage: key file without selector", ["check", "good", "--resolver", resolver, "--key-file", pem("rsa-2048")]],
    [
      "usage: unreadable key file",
      ["check", "good", "--resolver", resolver, "--key-file", `s1=${pem("rsa-2048")}.missing`],
    ],
    [
      "usage: key file for no selector",
      ["check", "good", "--resolver", resolver, "--key-file", `nosuch=${pem("rsa-2048")}`],
    ],
    [
      "usage: key file twice",
      [
        "check",
        "good",
        "--resolver",
        resolver,
        "--key-file",
        `s1=${pem("rsa-2048")}`,
        "--key-file",
        `s1=${pem("rsa-2048")}`,
      ],
    ],
  ];
  const runs = new Map<string, Promise<Run>>();
  for (const [name, args] of specs) {
    // "Now" pinned: hints name the time until which caches may keep an answer.
    const env = { ...inheritedEnv(), SENDER_AUTH_NOW: NOW };
    // Timed from the child's spawn: runCli queues children, and the wait for a slot is not the command's time.
    let spawned = performance.now();
    const onSpawn = (): void => {
      spawned = performance.now();
    };
    const promise = runCli(args, { cwd: dir, timeoutMs: 45_000, env, onSpawn }).then((result): Run => ({
      ...result,
      ms: performance.now() - spawned,
    }));
    // Awaited by the tests; a spawn failure must not become an unhandled rejection before that.
    promise.catch(() => undefined);
    runs.set(name, promise);
  }
  return runs;
}

// ---------------------------------------------------------------------------------------------------

describe("sender-auth check against a real BIND", () => {
  before(async () => {
    // Without named every test below skips (or fails under CI=true) through skipOrFailWithoutNamed.
    if (!namedAvailable()) return;
    project = createTempProject("sender-auth-check-");
    for (const [stack, spec] of Object.entries(STACKS)) project.writeStack(stack, stackFile(spec));

    const plan = await runCli(["plan", "--format", "zone"], { cwd: project.dir });
    assert.equal(plan.code, 0, `plan --format zone failed:\n${plan.stderr}`);
    assert.doesNotMatch(plan.stderr, /^error:/m);
    const planned = splitZoneOutput(plan.stdout);
    assert.deepEqual([...planned.keys()].sort(), Object.keys(STACKS).sort(), "zone output plans every stack");

    const zones = supportZones();
    for (const [stack, spec] of Object.entries(STACKS) as [StackName, StackSpec][]) {
      const text = planned.get(stack) ?? "";
      if (spec.zone !== undefined) zones.push({ origin: spec.domain, body: spec.zone(text) });
    }
    const bind = await startBind(zones);
    const servers: Server[] = [];
    try {
      const silent = await startSilentServer();
      servers.push(silent);
      const standIn = await startResolverStandIn(bind.port, SERVFAIL_NAMES);
      servers.push(standIn);
      const closed = await freePort("udp");
      const resolver = `127.0.0.1:${bind.port}`;
      const runs = startRuns(
        project.dir,
        resolver,
        `127.0.0.1:${standIn.port}`,
        `127.0.0.1:${silent.port}`,
        `127.0.0.1:${closed}`,
      );
      state = { bind, servers, resolver, standIn: `127.0.0.1:${standIn.port}`, runs };
    } catch (error) {
      await Promise.all([bind.stop(), ...servers.map((s) => s.close())]);
      throw error;
    }
  });

  after(async () => {
    if (state !== undefined) {
      // Let every spawned check finish before its servers go away.
      await Promise.allSettled(state.runs.values());
      await Promise.all([state.bind.stop(), ...state.servers.map((s) => s.close())]);
    }
    project?.remove();
  });

  it("a correct zone passes: every record, SPF, DKIM and DMARC check is ok and the exit code is 0", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("good", "good", 0);
    assert.deepEqual(outline(report), [
      "record-ok ok good.test",
      "record-ok ok old._domainkey.good.test",
      "record-ok ok s1._domainkey.good.test",
      "record-ok ok s2._domainkey.good.test",
      "record-ok ok _dmarc.good.test",
      "spf-lookups ok spf",
      "spf-void-lookups ok spf",
      "spf-size ok spf",
      "dkim-revoked ok dkim old",
      "dkim-ok ok dkim s1",
      "dkim-ok ok dkim s2",
      "dmarc-policy ok dmarc",
      "dmarc-report-destination ok dmarc",
    ]);
    assert.equal(report.ok, true);
    // The served TTL is shown for every managed name.
    for (const finding of report.findings.filter((f) => f.code === "record-ok")) {
      assert.equal(finding.ttl, TTL, finding.subject);
    }
    const messages = new Map(report.findings.map((f) => [`${f.code} ${f.subject}`, f.message]));
    assert.equal(messages.get("spf-lookups spf"), "1 DNS lookups of 10 (RFC 7208 §4.6.4)");
    assert.equal(messages.get("spf-void-lookups spf"), "0 void lookups of 2 (RFC 7208 §4.6.4)");
    const spfValue = "v=spf1 ip4:192.0.2.10 include:_spf.esp.test -all";
    assert.equal(
      messages.get("spf-size spf"),
      `the TXT answer at good.test is ${"good.test".length + spfValue.length} octets (under 450)`,
    );
    assert.equal(messages.get("dkim-ok dkim s1"), `serves the configured key ${PRINT["rsa-2048"]} (RSA 2048)`);
    assert.equal(messages.get("dkim-ok dkim s2"), `serves the configured key ${PRINT.ed25519} (Ed25519)`);
    assert.equal(messages.get("dkim-revoked dkim old"), "revoked: serves an empty p=");
    assert.equal(messages.get("dmarc-policy dmarc"), "mailauth reads p=reject");
    assert.equal(messages.get("dmarc-report-destination dmarc"), "reports.test accepts reports for good.test");
  });

  it("missing DKIM record: record-missing (NXDOMAIN) and dkim-missing naming the name, the negative-caching TTL to wait for; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("missing-dkim", "missing-dkim", 1);
    assert.deepEqual(failures(report), [
      {
        subject: "s1._domainkey.missing-dkim.test",
        code: "record-missing",
        result: "fail",
        message: "DKIM s1: not served (NXDOMAIN)",
        expected: dkimValue("rsa-2048"),
        hint: missing("missing-dkim"),
      },
      {
        code: "dkim-missing",
        result: "fail",
        subject: "dkim s1",
        message: "no DKIM key record at s1._domainkey.missing-dkim.test (NXDOMAIN)",
        hint: missing("missing-dkim"),
      },
    ]);
  });

  it("wrong key: both keys by fingerprint, which side is which, the served TTL and until when caches keep it; dkim-wrong-key; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("wrong-key", "wrong-key", 1);
    const hint = deployHint("wrong-key", `TTL ${WRONG_TTL} s (until 10:02 UTC)`);
    assert.deepEqual(failures(report), [
      {
        subject: "s1._domainkey.wrong-key.test",
        ttl: WRONG_TTL,
        code: "record-different",
        result: "fail",
        message: `DKIM s1: DNS serves key ${PRINT["rsa-2048-b"]}, config declares key ${PRINT["rsa-2048"]}`,
        expected: dkimValue("rsa-2048"),
        served: [dkimValue("rsa-2048-b")],
        hint,
      },
      {
        code: "dkim-wrong-key",
        result: "fail",
        subject: "dkim s1",
        message: `DNS serves key ${PRINT["rsa-2048-b"]} (RSA 2048), config declares key ${PRINT["rsa-2048"]} (RSA 2048)`,
        expected: dkimValue("rsa-2048"),
        served: [dkimValue("rsa-2048-b")],
        hint,
      },
    ]);
  });

  it("two SPF records: spf-multiple lists both, and mailauth's permerror; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("two-spf", "two-spf", 1);
    const fails = failures(report);
    assert.deepEqual(
      fails.map((f) => f.code),
      ["spf-multiple", "spf-permerror"],
    );
    const [multiple, permerror] = fails;
    assert.ok(multiple && permerror);
    assert.deepEqual([...(multiple.served ?? [])].sort(), [
      "v=spf1 ip4:192.0.2.10 include:_spf.esp.test -all",
      "v=spf1 ip4:203.0.113.0/24 -all",
    ]);
    assert.deepEqual(
      { ...multiple, served: [] },
      {
        subject: "two-spf.test",
        ttl: TTL,
        code: "spf-multiple",
        result: "fail",
        message: "2 v=spf1 records: SPF fails with permerror (RFC 7208 §3.2)",
        served: [],
        hint: "delete the other v=spf1 record at two-spf.test at the DNS provider: it is not sender-auth's record; move what it allows into sender-auth:spf first",
      },
    );
    assert.equal(permerror.subject, "spf");
    assert.match(permerror.message, /^SPF permerror: .*multiple SPF records found for two-spf\.test/);
    // The declared record is served (beside the extra one).
    assert.ok(report.findings.some((f) => f.code === "record-ok" && f.subject === "two-spf.test"));
  });

  it("an include chain needing 11 lookups: spf-lookups fails with the real count; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("spf-chain", "spf-chain", 1);
    assert.deepEqual(failures(report), [
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
  });

  it("an endless include tree (a wildcard whose includes name %{d}, served by BIND): mailauth stops at 20 lookups; exit 1 in bound", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("spf-fanout", "spf-fanout", 1);
    assert.deepEqual(failures(report), [
      {
        code: "spf-lookups",
        result: "fail",
        subject: "spf",
        message:
          "more than 20 DNS lookups of 10 (RFC 7208 §4.6.4): receivers return permerror; the check stops counting at 20",
        hint: CUT,
      },
    ]);
    const { ms } = await run("spf-fanout");
    assert.ok(ms < 30_000, `took ${ms} ms`);
  });

  it("three void lookups: spf-void-lookups fails; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("spf-void", "spf-void", 1);
    assert.deepEqual(failures(report), [
      {
        code: "spf-void-lookups",
        result: "fail",
        subject: "spf",
        message: "3 void lookups of 2 (RFC 7208 §4.6.4): receivers return permerror",
        hint: "remove the terms of sender-auth:spf whose names do not exist (include, a, mx, exists): each one is a void lookup",
      },
    ]);
    assert.ok(
      report.findings.some(
        (f) => f.code === "spf-lookups" && f.result === "ok" && f.message === "4 DNS lookups of 10 (RFC 7208 §4.6.4)",
      ),
    );
  });

  it("an include that publishes no SPF record: spf-include-without-spf and mailauth's permerror; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("spf-nospf", "spf-nospf", 1);
    const fails = failures(report);
    assert.deepEqual(
      fails.map((f) => f.code),
      ["spf-permerror", "spf-include-without-spf"],
    );
    assert.match(fails[0]?.message ?? "", /^SPF permerror: /);
    assert.deepEqual(fails[1], {
      code: "spf-include-without-spf",
      result: "fail",
      subject: "spf",
      message:
        "nospf.esp.test (included by spf-nospf.test) publishes no SPF record: SPF fails with permerror (RFC 7208 §5.2)",
      hint: "remove nospf.esp.test from sender-auth:spf.include, or ask its operator to publish an SPF record there",
    });
  });

  it("a DMARC typo (p=rejct): the served record differs and mailauth reads no reject policy; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("dmarc-typo", "dmarc-typo", 1);
    const declared = "v=DMARC1; p=reject; rua=mailto:dmarc@dmarc-typo.test";
    const hint = deployHint("dmarc-typo", `TTL ${TTL} s (until 10:10 UTC)`);
    assert.deepEqual(failures(report), [
      {
        subject: "_dmarc.dmarc-typo.test",
        ttl: TTL,
        code: "record-different",
        result: "fail",
        message: "DMARC: DNS serves another value than the config declares",
        expected: declared,
        served: [declared.replace("p=reject", "p=rejct")],
        hint,
      },
      // An invalid p= with a valid rua= is applied as p=none (RFC 9989 §4.10.1).
      {
        code: "dmarc-policy",
        result: "fail",
        subject: "dmarc",
        message: "DNS serves p=none (as mailauth reads it), config declares p=reject",
        hint,
      },
    ]);
  });

  it("an external rua destination that does not authorise the domain: dmarc-report-destination fails; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("rua-unauth", "rua-unauth", 1);
    assert.deepEqual(failures(report), [
      {
        code: "dmarc-report-destination",
        result: "fail",
        subject: "dmarc",
        message:
          'reports.test does not publish rua-unauth.test._report._dmarc.reports.test TXT "v=DMARC1": receivers send it no reports (RFC 7489 §7.1)',
        hint: "ask the operator of reports.test to publish it (a sender-auth stack for reports.test: add rua-unauth.test to its sender-auth:dmarc.authorizeReportsFor), or remove the address from sender-auth:dmarc.rua",
      },
    ]);
    // The same destination, authorising good.test, is ok there (first test).
  });

  it("a revoked selector still serving its key: record-different and dkim-revoked-still-served; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("revoked-served", "revoked-served", 1);
    const hint = deployHint("revoked-served", `TTL ${TTL} s (until 10:10 UTC)`);
    assert.deepEqual(failures(report), [
      {
        subject: "old._domainkey.revoked-served.test",
        ttl: TTL,
        code: "record-different",
        result: "fail",
        message: `DKIM old: DNS serves key ${PRINT["rsa-3072"]}, config declares no key (revoked: empty p=)`,
        expected: "v=DKIM1; p=",
        served: [dkimValue("rsa-3072")],
        hint,
      },
      {
        code: "dkim-revoked-still-served",
        result: "fail",
        subject: "dkim old",
        message: `is revoked but DNS still serves key ${PRINT["rsa-3072"]}: signatures with it still verify`,
        served: [dkimValue("rsa-3072")],
        hint,
      },
    ]);
  });

  it("an unreachable resolver: dns-unreachable for every managed name, nothing else, exit 1 quickly", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("unreachable", "good", 1);
    const names = [
      "good.test",
      "old._domainkey.good.test",
      "s1._domainkey.good.test",
      "s2._domainkey.good.test",
      "_dmarc.good.test",
    ];
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.result, f.subject]),
      names.map((name) => ["dns-unreachable", "fail", name]),
    );
    for (const finding of report.findings) {
      assert.match(finding.message, /^TXT \S+: 127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\)$/);
      assert.equal(finding.ttl, undefined);
    }
    const result = await run("unreachable");
    assert.ok(result.ms < 15_000, `took ${result.ms} ms`);
  });

  it("a resolver that never answers: dns-timeout for every managed name after bounded retries, exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("timeout", "good", 1);
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.result]),
      Array.from({ length: 5 }, () => ["dns-timeout", "fail"]),
    );
    for (const finding of report.findings) {
      assert.match(finding.message, /^TXT \S+: no answer from 127\.0\.0\.1:\d+ within 2000 ms$/);
    }
    // Two attempts of 2 s per name, the names in parallel: about 4 s plus start-up, never minutes.
    const result = await run("timeout");
    assert.ok(result.ms >= 4_000, `took ${result.ms} ms`);
    assert.ok(result.ms < 20_000, `took ${result.ms} ms`);
  });

  it("SERVFAIL (at a selector, the DMARC record, an SPF include, a report authorisation) is never ok", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("servfail", "servfail", 1);
    const { standIn } = current();
    const fails = failures(report);
    assert.deepEqual(
      fails.map((f) => `${f.code} ${f.subject}`),
      [
        "dns-error s1._domainkey.servfail.test",
        "dns-error _dmarc.servfail.test",
        "spf-temperror spf",
        "dns-error dkim s1",
        "dns-error dmarc",
        "dns-error dmarc",
      ],
    );
    const dig = (name: string): string =>
      `a DNS failure, not an answer: run the check again; if it persists, ask the server yourself: \`dig @127.0.0.1 -p ${portOf(standIn)} ${name} TXT\``;
    assert.deepEqual(fails.slice(0, 2), [
      {
        code: "dns-error",
        result: "fail",
        subject: "s1._domainkey.servfail.test",
        message: `TXT s1._domainkey.servfail.test: ${standIn} answered SERVFAIL`,
        server: standIn,
        hint: dig("s1._domainkey.servfail.test"),
      },
      {
        code: "dns-error",
        result: "fail",
        subject: "_dmarc.servfail.test",
        message: `TXT _dmarc.servfail.test: ${standIn} answered SERVFAIL`,
        server: standIn,
        hint: dig("_dmarc.servfail.test"),
      },
    ]);
    // The question that failed during SPF evaluation is named.
    assert.deepEqual(fails[2], {
      code: "spf-temperror",
      result: "fail",
      subject: "spf",
      message: `SPF evaluation stopped at a DNS failure: TXT _spf.flaky.test: ${standIn} answered SERVFAIL; receivers return temperror (RFC 7208 §4.4)`,
      server: standIn,
      hint: dig("_spf.flaky.test"),
    });
    assert.equal(fails[3]?.message, `TXT s1._domainkey.servfail.test: ${standIn} answered SERVFAIL`);
    // What did not SERVFAIL is ok.
    assert.deepEqual(
      report.findings.filter((f) => f.result === "ok").map((f) => `${f.code} ${f.subject}`),
      [
        "record-ok servfail.test",
        "record-ok old._domainkey.servfail.test",
        "record-ok s2._domainkey.servfail.test",
        "spf-size spf",
        "dkim-revoked dkim old",
        "dkim-ok dkim s2",
      ],
    );
  });

  it("SERVFAIL at the DMARC record and at a report authorisation is named as a DNS error", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("servfail", "servfail", 1);
    for (const finding of failures(report).filter((f) => f.subject === "dmarc")) {
      assert.match(finding.message, /SERVFAIL/, JSON.stringify(finding));
    }
  });

  it("SERVFAIL for a zone's NS with --authoritative is named as a DNS error, not ns-missing", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("authoritative servfail", "unserved", 1);
    const findings = JSON.stringify(report.findings);
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.result]),
      [["dns-error", "fail"]],
      findings,
    );
    assert.match(report.findings[0]?.message ?? "", /SERVFAIL/, findings);
  });

  it("a CNAME selector resolves, through a resolver, to a valid key at the provider", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("cname", "cname", 0);
    const byKey = new Map(report.findings.map((f) => [`${f.code} ${f.subject}`, f]));
    assert.deepEqual(byKey.get("record-ok esp._domainkey.cname.test"), {
      subject: "esp._domainkey.cname.test",
      ttl: TTL,
      code: "record-ok",
      result: "ok",
      message: "DKIM esp: CNAME s1.dkim.esp.test",
    });
    assert.deepEqual(byKey.get("dkim-ok dkim esp"), {
      code: "dkim-ok",
      result: "ok",
      subject: "dkim esp",
      message: `served through s1.dkim.esp.test: ${PRINT["rsa-2048-b"]} (RSA 2048)`,
    });
  });

  it("--key-file with the right keys: a signed test message verifies through the resolver (RSA and Ed25519)", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("good right keys", "good", 0);
    const signatures = report.findings.filter((f) => f.code === "dkim-signature");
    assert.deepEqual(signatures, [
      {
        code: "dkim-signature",
        result: "ok",
        subject: "dkim s1",
        message: "a message signed with the private key verifies (mailauth)",
      },
      {
        code: "dkim-signature",
        result: "ok",
        subject: "dkim s2",
        message: "a message signed with the private key verifies (mailauth)",
      },
    ]);
  });

  it("--key-file with a key that is not the published one: a failing dkim-signature saying so (not 'bad signature'), exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("good wrong key", "good", 1);
    assert.deepEqual(failures(report), [
      {
        code: "dkim-signature",
        result: "fail",
        subject: "dkim s1",
        message: `the key in ${pem("rsa-2048-b")} is not the key of selector s1: its public half has ${PRINT["rsa-2048-b"]}, DNS serves ${PRINT["rsa-2048"]}`,
        hint: `give the private key of selector s1, whose public half has ${PRINT["rsa-2048"]}`,
      },
    ]);
  });

  it("--format table, several stacks: in the order given, a summary line each, the served TTL, expected and served under a failure; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const result = await run("table");
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stderr, "");
    const lines = result.stdout.split("\n");
    assert.equal(lines[0], "wrong-key (wrong-key.test): 2 failed, 0 warnings, 10 ok");
    assert.equal(lines[1], `  OK    wrong-key.test: SPF [ttl ${TTL}]`);
    const at = lines.indexOf(
      `  FAIL  s1._domainkey.wrong-key.test: DKIM s1: DNS serves key ${PRINT["rsa-2048-b"]}, config declares key ${PRINT["rsa-2048"]} [ttl ${WRONG_TTL}]`,
    );
    assert.ok(at > 0, result.stdout);
    // Keys by length and fingerprint; the hint last.
    assert.deepEqual(lines.slice(at + 1, at + 4), [
      `        expected: v=DKIM1; k=rsa; p=(392 characters, ${PRINT["rsa-2048"]})`,
      `        served:   v=DKIM1; k=rsa; p=(392 characters, ${PRINT["rsa-2048-b"]})`,
      `        next:     ${deployHint("wrong-key", `TTL ${WRONG_TTL} s (until 10:02 UTC)`)}`,
    ]);
    const good = lines.indexOf("good (good.test): ok (13 checks)");
    assert.ok(good > at, result.stdout);
    assert.equal(lines[good + 1], `  OK    good.test: SPF [ttl ${TTL}]`);
    assert.ok(lines.includes(`  OK    s1._domainkey.good.test: DKIM s1 [ttl ${TTL}]`), result.stdout);
    assert.ok(lines.includes("  OK    dkim old: revoked: serves an empty p="), result.stdout);
    // Summary + 2 failures with 3 detail lines each + 10 ok, summary + 13 ok, and the final newline.
    assert.equal(lines.length, 1 + 2 * 4 + 10 + 1 + 13 + 1, result.stdout);
  });

  it("--authoritative: the NS of each zone (ns1.<domain> → 127.0.0.1, on --ns-port) is asked, without recursion", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const result = await run("authoritative");
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stderr, "");
    const [good, wrongKey, unserved] = parseReports(result.stdout);
    assert.ok(good && wrongKey && unserved);
    assert.deepEqual([good.stack, wrongKey.stack, unserved.stack], ["good", "wrong-key", "unserved"]);
    const { resolver } = current();

    assert.equal(good.ok, true);
    const records = good.findings.filter((f) => f.code === "record-ok");
    assert.equal(records.length, 5);
    for (const finding of records) {
      assert.equal(finding.server, resolver, finding.subject);
      assert.ok(finding.message.endsWith(` at ${resolver}`), finding.message);
      assert.equal(finding.ttl, TTL);
    }
    // Everything else (SPF, DKIM, DMARC through the resolver) is as without --authoritative.
    const notRecords = (report: Report): string[] => outline(report).filter((line) => !line.startsWith("record-ok "));
    assert.deepEqual(notRecords(good), notRecords(await reportOf("good", "good", 0)));

    // A mismatch names the server.
    assert.deepEqual(
      failures(wrongKey).map((f) => [f.code, f.server]),
      [
        ["record-different", resolver],
        ["dkim-wrong-key", undefined],
      ],
    );
    // At the authoritative server no cache keeps an old answer: the hint has nothing to wait for.
    assert.deepEqual(
      [failures(wrongKey)[0]?.message, failures(wrongKey)[0]?.hint],
      [
        `DKIM s1: ${resolver} serves key ${PRINT["rsa-2048-b"]}, config declares key ${PRINT["rsa-2048"]}`,
        "run `pulumi up --stack wrong-key`; edited by hand outside sender-auth? `pulumi up --refresh --stack wrong-key` puts the declared value back",
      ],
    );

    // No zone, no NS: that alone.
    assert.deepEqual(unserved.findings, [
      {
        code: "ns-missing",
        result: "fail",
        subject: "unserved.test",
        message: "no authoritative servers found for unserved.test",
        hint: "is unserved.test delegated? `dig NS unserved.test` should list its nameservers",
      },
    ]);
  });

  it("an extra TXT record at a selector and an extra v=DMARC1 record: dkim-multiple, dmarc-multiple, and what verifiers make of them; exit 1", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("duplicates", "duplicates", 1);
    const fails = failures(report);
    assert.deepEqual(
      fails.map((f) => `${f.code} ${f.subject}`),
      [
        "dkim-multiple s2._domainkey.duplicates.test",
        "dmarc-multiple _dmarc.duplicates.test",
        "dkim-bad-record dkim s2",
        "dmarc-unparsed dmarc",
      ],
    );
    const [dkimMultiple, dmarcMultiple, badRecord, unparsed] = fails;
    assert.ok(dkimMultiple && dmarcMultiple && badRecord && unparsed);
    const sorted = (values: readonly string[] | undefined): string[] => [...(values ?? [])].sort();
    assert.equal(dkimMultiple.message, "2 TXT records at a selector: verifiers may read either (RFC 6376 §3.6.2.2)");
    assert.deepEqual(sorted(dkimMultiple.served), [dkimValue("ed25519"), dkimValue("ed25519-b")].sort());
    assert.equal(dmarcMultiple.message, "2 v=DMARC1 records: receivers apply no policy (RFC 7489 §6.6.3)");
    assert.deepEqual(sorted(dmarcMultiple.served), [
      "v=DMARC1; p=none",
      "v=DMARC1; p=reject; rua=mailto:dmarc@duplicates.test",
    ]);
    assert.equal(badRecord.message, "s2._domainkey.duplicates.test serves no usable key (2 TXT records)");
    assert.equal(
      unparsed.message,
      "mailauth finds no usable DMARC record for duplicates.test at _dmarc.duplicates.test",
    );
    // The declared values are among those served.
    assert.ok(report.findings.some((f) => f.code === "record-ok" && f.subject === "s2._domainkey.duplicates.test"));
    assert.ok(report.findings.some((f) => f.code === "record-ok" && f.subject === "_dmarc.duplicates.test"));
  });

  it("a CNAME where the stack declares a TXT key record is not ok, even though the key it leads to is right", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("txt-cname", "txt-cname", 1);
    const fails = failures(report);
    assert.equal(fails.length, 1);
    assert.equal(fails[0]?.subject, "s1._domainkey.txt-cname.test");
    assert.ok(report.findings.some((f) => f.code === "dkim-ok" && f.subject === "dkim s1"));
  });

  it("a CNAME where the stack declares a TXT key record is reported as different, with the CNAME shown", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = await reportOf("txt-cname", "txt-cname", 1);
    assert.equal(failures(report)[0]?.code, "record-different", JSON.stringify(failures(report)));
  });

  const usage: readonly [string, RegExp][] = [
    [
      "usage: resolver not an address",
      /^error: option '--resolver <host\[:port\]>' argument 'dns\.example' is invalid\. It must be an IP address with an optional port, e\.g\. 127\.0\.0\.1:5353 or \[::1\]:53\.$/m,
    ],
    ["usage: unknown stack", /^error: no stack file for "nope" \(stacks\/Pulumi\.nope\.yaml\); stacks: /m],
    [
      "usage: key file without selector",
      /^error: option '--key-file <selector=path>' argument '.*rsa-2048\.pem' is invalid\. It must be <selector>=<path>\.$/m,
    ],
    [
      "usage: unreadable key file",
      /^error: --key-file s1: .*rsa-2048\.pem\.missing: cannot read: it does not exist \(ENOENT\)$/m,
    ],
    ["usage: key file for no selector", /^error: --key-file nosuch: no such selector in good$/m],
    [
      "usage: key file twice",
      /^error: option '--key-file <selector=path>' argument 's1=.*rsa-2048\.pem' is invalid\. Selector s1 is given twice: give each selector one key file\.$/m,
    ],
  ];
  for (const [name, stderr] of usage) {
    it(`${name}: exit 2, nothing on stdout`, async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      const result = await run(name);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, stderr);
    });
  }
});
