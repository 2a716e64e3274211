/**
 * `sender-auth keygen` end to end: every test spawns the real binary (bin/sender-auth.js) in a
 * temporary project whose stack files it writes, with the stand-in `pulumi`
 * (test/support/pulumiStandInProgram.ts) first on PATH, and checks exit code, stdout, stderr, every
 * `pulumi` call and the stack file afterwards. The successful runs share one project and one `plan
 * --format json` (`generated()`), so every key they generate is checked against the record plan
 * produces for it: a message signed with the stored private key verifies `pass` with mailauth.
 * Independent spawns run concurrently (test/support/cli.ts caps them).
 */
import assert from "node:assert/strict";
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createTempProject,
  runCli,
  startCli,
  type CliResult,
  type RunningCli,
  type TempProject,
} from "../../support/cli";
import {
  FAKE_PULUMI_BIN,
  fakeDecrypt,
  fakeEncrypt,
  fakePulumiEnv,
  readPulumiLog,
  type PulumiInvocation,
} from "../../support/pulumiStandIn";
import { fixtureKey } from "../../support/fixtures";
import { withTinyDisk } from "../../support/fullDisk";
import { recordsResolver, signMessage, verifyDkim } from "../../support/mail";
import { isRecord, type PublishedRecord } from "../../../components/model";

const NOW = "2026-11-28";
const NS = "sender-auth";

// ---------------------------------------------------------------------------------------------------
// Stack files

const CF_HEAD = `# example.com on Cloudflare (keygen test): this comment and the one on the domain must survive.
config:
  sender-auth:domain: example.com # the apex
  sender-auth:dns:
    provider: cloudflare
    zoneId: 023e105f4ecef8ad9ca31a8372d0c353
    ttl: 3600
`;

/** A Cloudflare stack with SPF, DMARC, comments and flow sequences, and no DKIM section. */
const CF_FULL = `${CF_HEAD}    # a verification token beside SPF
    preserveTxt:
      - google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ
  sender-auth:spf:
    ip4: ["192.0.2.10", "198.51.100.0/24"]
    include: ["_spf.google.com"]
    all: softfail # not yet fail
  sender-auth:dmarc:
    policy: quarantine
    rua: ["mailto:dmarc-reports@example.com"]
`;

const R53 = `# example.org on Route53 (keygen test)
config:
  sender-auth:domain: example.org
  sender-auth:dns:
    provider: route53
    zoneId: Z0123456789ABCDEFGHIJ
    ttl: 300
`;

/** A Cloudflare stack whose active RSA selector s202611a holds a (fake-encrypted) TEST-ONLY fixture key. */
function cfWithSelector(): string {
  const key = fixtureKey("rsa-2048");
  return `${CF_HEAD}  sender-auth:dkim:
    selectors:
      # the key that signs today
      s202611a:
        privateKey:
          secure: ${fakeEncrypt(key.privatePem)}
        publicKey: ${key.publicKey}
        algorithm: rsa
        status: active
        createdAt: "2026-11-02"
`;
}

// ---------------------------------------------------------------------------------------------------
// Projects, runs and what they leave behind

const projects: TempProject[] = [];
after(() => {
  for (const project of projects) project.remove();
});

interface RunOptions {
  /** Name of the fake pulumi log (a file in the project directory). @default "pulumi" */
  readonly log?: string;
  /** Extra environment, applied last. */
  readonly env?: Readonly<Record<string, string>>;
}

class Project {
  readonly temp = createTempProject("sender-auth-keygen-");

  constructor(stacks: Readonly<Record<string, string>>) {
    projects.push(this.temp);
    for (const [stack, text] of Object.entries(stacks)) this.temp.writeStack(stack, text);
  }

  get dir(): string {
    return this.temp.dir;
  }

  file(stack: string): string {
    return path.join(this.temp.stacksDir, `Pulumi.${stack}.yaml`);
  }

  text(stack: string): string {
    return readFileSync(this.file(stack), "utf8");
  }

  /** What is in stacks/.sender-auth (locks, backups); nothing once every command has finished. */
  stateFiles(): string[] {
    const dir = path.join(this.temp.stacksDir, ".sender-auth");
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  /** The stack file's `config:` map, parsed. */
  config(stack: string): Record<string, unknown> {
    return record(field(parseYaml(this.text(stack)), "config"), `${stack} config`);
  }

  logFile(name = "pulumi"): string {
    return path.join(this.temp.dir, `${name}.log`);
  }

  calls(name = "pulumi"): PulumiInvocation[] {
    return readPulumiLog(this.logFile(name));
  }

  env(options: RunOptions = {}): NodeJS.ProcessEnv {
    return fakePulumiEnv(this.logFile(options.log), { SENDER_AUTH_NOW: NOW, ...options.env });
  }

  run(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
    return runCli(args, { cwd: this.temp.dir, env: this.env(options) });
  }

  /** Starts a run and returns at once; with `processGroup` it leads its own process group (as under a terminal). */
  start(args: readonly string[], options: RunOptions & { processGroup?: boolean } = {}): RunningCli {
    return startCli(args, {
      cwd: this.temp.dir,
      env: this.env(options),
      ...(options.processGroup === undefined ? {} : { processGroup: options.processGroup }),
    });
  }

  /** The holder recorded in the stack's lock file. */
  lockHolder(stack: string): { pid: number; since: string } {
    const holder = record(
      JSON.parse(readFileSync(path.join(this.temp.stacksDir, ".sender-auth", `${stack}.lock`), "utf8")),
      "lock",
    );
    return { pid: Number(holder["pid"]), since: text(holder["since"], "since") };
  }
}

function record(value: unknown, what: string): Record<string, unknown> {
  assert.ok(isRecord(value), `${what} should be a mapping, got ${JSON.stringify(value)}`);
  return value;
}

function field(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = record(current, `the parent of ${key}`)[key];
  return current;
}

function text(value: unknown, what: string): string {
  assert.equal(typeof value, "string", `${what} should be a string, got ${JSON.stringify(value)}`);
  return value as string;
}

/** A selector's entry in a parsed stack config. */
function selectorEntry(config: Record<string, unknown>, selector: string): Record<string, unknown> {
  return record(field(config, `${NS}:dkim`, "selectors", selector), `selector ${selector}`);
}

/** The private key PEM stored (fake-encrypted) for a selector; asserts it is stored as `secure:` and nothing else. */
function storedPrivateKey(config: Record<string, unknown>, selector: string): string {
  const secret = record(selectorEntry(config, selector)["privateKey"], `${selector}.privateKey`);
  assert.deepEqual(Object.keys(secret), ["secure"], `${selector}.privateKey should be a secure value only`);
  const plaintext = fakeDecrypt(text(secret["secure"], `${selector}.privateKey.secure`));
  assert.ok(plaintext !== undefined, `${selector}.privateKey is not a stand-in pulumi ciphertext`);
  return plaintext;
}

interface DerivedKey {
  readonly type: "rsa" | "ed25519";
  readonly bits: number;
  /** The DKIM p= value: base64 SPKI DER for RSA, the raw 32-byte key for Ed25519. */
  readonly publicKey: string;
}

/** What node:crypto makes of a PEM private key, independently of components/sections/dkim/keys.ts. */
function derive(pem: string): DerivedKey {
  const key = createPrivateKey(pem);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  if (key.asymmetricKeyType === "ed25519") {
    return { type: "ed25519", bits: spki.subarray(-32).length * 8, publicKey: spki.subarray(-32).toString("base64") };
  }
  assert.equal(key.asymmetricKeyType, "rsa");
  return { type: "rsa", bits: key.asymmetricKeyDetails?.modulusLength ?? 0, publicKey: spki.toString("base64") };
}

const sha256 = (base64: string): string => createHash("sha256").update(Buffer.from(base64, "base64")).digest("hex");

const PKCS8_PEM = /^-----BEGIN PRIVATE KEY-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END PRIVATE KEY-----$/;

/** No argv of any call carries key material: no PEM armour and no 40-character slice of any PEM body. */
function assertNoKeyMaterial(calls: readonly PulumiInvocation[], pems: readonly string[]): void {
  const bodies = pems.map((pem) => pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""));
  for (const call of calls) {
    for (const arg of call.argv) {
      assert.ok(!arg.includes("PRIVATE KEY"), `argv ${JSON.stringify(call.argv)} holds a PEM`);
      const flat = arg.replace(/\s+/g, "");
      for (const body of bodies) {
        assert.ok(body.length > 40, "a PEM body is longer than 40 characters");
        for (let i = 0; i + 40 <= body.length; i++) {
          const slice = body.slice(i, i + 40);
          if (flat.includes(slice)) assert.fail(`argv ${JSON.stringify(call.argv)} holds key material (${slice})`);
        }
      }
    }
  }
}

const keyPath = (selector: string, leaf?: string): string =>
  `${NS}:dkim.selectors.${selector}${leaf === undefined ? "" : `.${leaf}`}`;

/**
 * The four calls a successful keygen makes: the preflight, the PEM on the second one's stdin only, the
 * public values, and reading the private key back to check it against the stored public key.
 */
function assertKeygenCalls(
  calls: readonly PulumiInvocation[],
  dir: string,
  stack: string,
  selector: string,
  publicValues: { publicKey: string; algorithm: string; status: string },
  pem: string,
): void {
  assert.deepEqual(
    calls.map((call) => call.argv),
    [
      ["config", "--json", "--stack", stack, "--non-interactive"],
      ["config", "set", "--secret", "--path", keyPath(selector, "privateKey"), "--stack", stack, "--non-interactive"],
      [
        "config",
        "set-all",
        "--path",
        "--plaintext",
        `${keyPath(selector, "publicKey")}=${publicValues.publicKey}`,
        "--plaintext",
        `${keyPath(selector, "algorithm")}=${publicValues.algorithm}`,
        "--plaintext",
        `${keyPath(selector, "status")}=${publicValues.status}`,
        "--plaintext",
        `${keyPath(selector, "createdAt")}=${NOW}`,
        "--stack",
        stack,
        "--non-interactive",
      ],
      ["config", "get", "--path", keyPath(selector, "privateKey"), "--stack", stack, "--non-interactive"],
    ],
  );
  // The stand-in stores stdin minus one trailing newline, as the real CLI does.
  assert.deepEqual(
    calls.map((call) => call.stdin),
    ["", `${pem}\n`, "", ""],
  );
  for (const call of calls) assert.equal(call.cwd, dir);
}

/** keygen's stdout, given what it generated. */
function expectedStdout(
  stack: string,
  domain: string,
  selector: string,
  what: string,
  status: "published" | "active",
  algorithm: "rsa" | "ed25519",
  publicKey: string,
): string {
  const name = `${selector}._domainkey.${domain}`;
  return [
    `added selector ${selector} to stack ${stack}: ${what}, status ${status}, created ${NOW}`,
    `  public key SHA-256 ${sha256(publicKey)}`,
    `  record: ${name} TXT "v=DKIM1; k=${algorithm}; p=${publicKey}"`,
    "  the private key is stored as a secret in the stack config (never printed)",
    "next:",
    `  1. review: npx sender-auth plan ${stack}`,
    "  2. commit the stack file and open a pull request",
    `  3. after review: pulumi up --stack ${stack}`,
    status === "published"
      ? `  4. once DNS serves ${name} (wait at least the record TTL), make it active: npx sender-auth rotate ${stack}`
      : `  4. give your signer the key: npx sender-auth export ${stack} --selector ${selector} --format pem`,
    "",
  ].join("\n");
}

const WARN_WEAK =
  "warning: rsa-1024 is below the 2048 bits RFC 8301 §3.2 says signers SHOULD use; some receivers treat such signatures as failing\n";
const WARN_ACTIVE =
  "warning: --status active: mail signed with the new key fails DKIM until DNS serves it, so `sender-auth diff` reports a selector added as active as unsafe and its pull request fails the diff gate unless merged with --allow-unsafe; the safe order is the default, --status published, then sender-auth rotate once DNS serves the key\n";
// The warning plan gives (the same words, issue 13), with the command that resolves it.
const WARN_ED25519_ALONE =
  "warning: sender-auth:dkim.selectors: Ed25519 keys are published but no RSA key; many receivers cannot verify " +
  "Ed25519 (RFC 8463), so sign with an RSA selector too: add one with --algorithm rsa-2048\n";

// ---------------------------------------------------------------------------------------------------
// The successful runs, shared: one project, one plan over all of its stacks.

const GROUP_STACKS = {
  "cf-default": CF_FULL,
  "r53-3072": R53,
  "cf-4096": CF_HEAD,
  "r53-ed25519": R53,
  "cf-second": CF_HEAD,
  "r53-weak": R53,
} as const;
type GroupStack = keyof typeof GROUP_STACKS;

/** Also in the group's project and plan: a keygen whose set-all fails on a stack without DKIM, and that stack's original. */
const UNDO_STACKS = { "undo-empty": CF_FULL, "undo-original": CF_FULL } as const;

interface PlannedStack {
  readonly stack: string;
  readonly domain: string;
  readonly records: PublishedRecord[];
}

interface Generated {
  readonly project: Project;
  readonly runs: Readonly<Record<GroupStack, CliResult>>;
  /** The first of the two keygens on cf-second (the second is `runs["cf-second"]`). */
  readonly firstOfTwo: CliResult;
  /** keygen undo-empty with FAKE_PULUMI_FAIL="config set-all". */
  readonly undone: CliResult;
  readonly plan: CliResult;
  readonly plans: readonly PlannedStack[];
}

async function generate(): Promise<Generated> {
  const project = new Project({ ...GROUP_STACKS, ...UNDO_STACKS });
  const keygen = (stack: GroupStack, ...args: string[]): Promise<CliResult> =>
    project.run(["keygen", stack, ...args], { log: stack });
  const [cfDefault, r3072, cf4096, ed25519, weak, [firstOfTwo, second], undone] = await Promise.all([
    keygen("cf-default"),
    keygen("r53-3072", "--algorithm", "rsa-3072"),
    keygen("cf-4096", "--selector", "mail2026", "--algorithm", "rsa-4096", "--status", "active"),
    keygen("r53-ed25519", "--algorithm", "ed25519"),
    keygen("r53-weak", "--algorithm", "rsa-1024", "--allow-weak"),
    (async (): Promise<[CliResult, CliResult]> => {
      const first = await keygen("cf-second");
      return [first, await keygen("cf-second", "--algorithm", "ed25519")];
    })(),
    project.run(["keygen", "undo-empty"], { log: "undo-empty", env: { FAKE_PULUMI_FAIL: "config set-all" } }),
  ]);
  const plan = await project.run(
    ["plan", "--format", "json", ...Object.keys(GROUP_STACKS), ...Object.keys(UNDO_STACKS)],
    { log: "plan" },
  );
  assert.equal(plan.code, 0, plan.stderr);
  const plans = JSON.parse(plan.stdout) as PlannedStack[];
  return {
    project,
    runs: {
      "cf-default": cfDefault,
      "r53-3072": r3072,
      "cf-4096": cf4096,
      "r53-ed25519": ed25519,
      "cf-second": second,
      "r53-weak": weak,
    },
    firstOfTwo,
    undone,
    plan,
    plans,
  };
}

let generatedOnce: Promise<Generated> | undefined;
function generated(): Promise<Generated> {
  generatedOnce ??= generate();
  return generatedOnce;
}

/** Every private key stored in the group's stack files, by stack and selector. */
function storedKeys(project: Project): { stack: GroupStack; selector: string; pem: string }[] {
  return (Object.keys(GROUP_STACKS) as GroupStack[]).flatMap((stack) => {
    const selectors = record(field(project.config(stack), `${NS}:dkim`, "selectors"), `${stack} selectors`);
    return Object.keys(selectors).map((selector) => ({
      stack,
      selector,
      pem: storedPrivateKey(project.config(stack), selector),
    }));
  });
}

describe("sender-auth keygen", { concurrency: true, timeout: 180_000 }, () => {
  it("default: rsa-2048 as selector s202611a, published, created today; the private key a secure PKCS#8 PEM, the rest plain, the rest of the stack file untouched", async () => {
    const { project, runs } = await generated();
    const run = runs["cf-default"];
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");

    const config = project.config("cf-default");
    const entry = selectorEntry(config, "s202611a");
    assert.deepEqual(Object.keys(entry), ["privateKey", "publicKey", "algorithm", "status", "createdAt"]);
    const pem = storedPrivateKey(config, "s202611a");
    assert.match(pem, PKCS8_PEM);
    const derived = derive(pem);
    assert.deepEqual({ type: derived.type, bits: derived.bits }, { type: "rsa", bits: 2048 });
    assert.deepEqual(
      {
        publicKey: entry["publicKey"],
        algorithm: entry["algorithm"],
        status: entry["status"],
        createdAt: entry["createdAt"],
      },
      { publicKey: derived.publicKey, algorithm: "rsa", status: "published", createdAt: NOW },
    );
    assert.match(derived.publicKey, /^MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA[A-Za-z0-9+/]+IDAQAB$/);

    // Only the DKIM section was added: every byte of the original file, comments included, is still there.
    const after = project.text("cf-default");
    assert.ok(after.startsWith(CF_FULL), after);
    assert.match(
      after.slice(CF_FULL.length),
      /^ {2}sender-auth:dkim:\n {4}selectors:\n {6}s202611a:\n {8}privateKey:\n {10}secure: v1:[A-Za-z0-9+/=]+\n {8}publicKey: /,
    );
    const { [`${NS}:dkim`]: dkim, ...rest } = config;
    assert.ok(dkim !== undefined);
    assert.deepEqual(rest, record(field(parseYaml(CF_FULL), "config"), "original config"));

    assert.equal(
      run.stdout,
      expectedStdout("cf-default", "example.com", "s202611a", "RSA 2048", "published", "rsa", derived.publicKey),
    );
    assert.match(run.stdout, /^ {2}public key SHA-256 [0-9a-f]{64}$/m);
  });

  it("calls pulumi exactly four times: preflight, the private key as a secret on stdin, the public values in one set-all, the private key read back; no argv holds key material", async () => {
    const { project } = await generated();
    const config = project.config("cf-default");
    const pem = storedPrivateKey(config, "s202611a");
    const publicKey = text(selectorEntry(config, "s202611a")["publicKey"], "publicKey");
    assertKeygenCalls(
      project.calls("cf-default"),
      project.dir,
      "cf-default",
      "s202611a",
      { publicKey, algorithm: "rsa", status: "published" },
      pem,
    );

    // Over every call of every keygen in the group, against every key they generated.
    const keys = storedKeys(project);
    assert.equal(keys.length, 7);
    // The check itself catches a slice of a key (so that passing it means something).
    const [sample] = keys;
    assert.ok(sample !== undefined);
    const leaked: PulumiInvocation = {
      argv: ["config", "set", `x=${sample.pem.split("\n")[5] ?? ""}`],
      stdin: "",
      cwd: "",
    };
    assert.throws(() => {
      assertNoKeyMaterial([leaked], [sample.pem]);
    }, /holds key material/);
    const calls = (Object.keys(GROUP_STACKS) as GroupStack[]).flatMap((stack) => project.calls(stack));
    assert.equal(calls.length, 7 * 4);
    assertNoKeyMaterial(
      calls,
      keys.map((k) => k.pem),
    );
    // The private key travelled on stdin, and only to `config set --secret`.
    for (const call of calls) {
      assert.equal(
        call.stdin.includes("PRIVATE KEY"),
        call.argv[1] === "set" && call.argv.includes("--secret"),
        JSON.stringify(call.argv),
      );
    }
  });

  it("a second keygen derives s202611b; an Ed25519 key beside an RSA selector draws no warning", async () => {
    const { project, runs, firstOfTwo } = await generated();
    assert.equal(firstOfTwo.code, 0, firstOfTwo.stderr);
    assert.match(
      firstOfTwo.stdout,
      /^added selector s202611a to stack cf-second: RSA 2048, status published, created 2026-11-28\n/,
    );
    const second = runs["cf-second"];
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr, "");
    const config = project.config("cf-second");
    assert.deepEqual(Object.keys(record(field(config, `${NS}:dkim`, "selectors"), "selectors")), [
      "s202611a",
      "s202611b",
    ]);
    const entry = selectorEntry(config, "s202611b");
    const pem = storedPrivateKey(config, "s202611b");
    const publicKey = text(entry["publicKey"], "publicKey");
    assert.equal(
      second.stdout,
      expectedStdout("cf-second", "example.com", "s202611b", "Ed25519", "published", "ed25519", publicKey),
    );
    assertKeygenCalls(
      project.calls("cf-second").slice(4),
      project.dir,
      "cf-second",
      "s202611b",
      { publicKey, algorithm: "ed25519", status: "published" },
      pem,
    );
    // The first selector is still exactly what the first run wrote.
    assert.equal(selectorEntry(config, "s202611a")["algorithm"], "rsa");
  });

  it("--selector and --status active are honoured (mail2026, rsa-4096), with a warning that the diff gate refuses a selector added as active; the next step is export", async () => {
    const { project, runs } = await generated();
    const run = runs["cf-4096"];
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, WARN_ACTIVE);
    const config = project.config("cf-4096");
    const entry = selectorEntry(config, "mail2026");
    assert.deepEqual([entry["status"], entry["algorithm"], entry["createdAt"]], ["active", "rsa", NOW]);
    const publicKey = text(entry["publicKey"], "publicKey");
    assert.equal(
      run.stdout,
      expectedStdout("cf-4096", "example.com", "mail2026", "RSA 4096", "active", "rsa", publicKey),
    );
    assert.match(
      run.stdout,
      /\n {2}4\. give your signer the key: npx sender-auth export cf-4096 --selector mail2026 --format pem\n$/,
    );
    assertKeygenCalls(
      project.calls("cf-4096"),
      project.dir,
      "cf-4096",
      "mail2026",
      { publicKey, algorithm: "rsa", status: "active" },
      storedPrivateKey(config, "mail2026"),
    );
  });

  it("every --algorithm gives a key of its size, and every generated key signs a message mailauth verifies (pass) against the record plan produces for it", async () => {
    const { project, plans, plan } = await generated();
    const expected: Record<string, { type: "rsa" | "ed25519"; bits: number }> = {
      "cf-default/s202611a": { type: "rsa", bits: 2048 },
      "r53-3072/s202611a": { type: "rsa", bits: 3072 },
      "cf-4096/mail2026": { type: "rsa", bits: 4096 },
      "r53-ed25519/s202611a": { type: "ed25519", bits: 256 },
      "cf-second/s202611a": { type: "rsa", bits: 2048 },
      "cf-second/s202611b": { type: "ed25519", bits: 256 },
      "r53-weak/s202611a": { type: "rsa", bits: 1024 },
    };
    const keys = storedKeys(project);
    assert.deepEqual(keys.map((k) => `${k.stack}/${k.selector}`).sort(), Object.keys(expected).sort());
    assert.deepEqual(
      plans.map((p) => p.stack),
      [...Object.keys(GROUP_STACKS), ...Object.keys(UNDO_STACKS)],
    );
    // plan warns (not fails) about the 1024-bit key.
    assert.match(
      plan.stderr,
      /^warning: stack r53-weak: sender-auth:dkim\.selectors\.s202611a\.publicKey: 1024-bit RSA key; /m,
    );
    await Promise.all(
      keys.map(async ({ stack, selector, pem }) => {
        assert.match(pem, PKCS8_PEM, `${stack}/${selector}`);
        const derived = derive(pem);
        assert.deepEqual(
          { type: derived.type, bits: derived.bits },
          expected[`${stack}/${selector}`],
          `${stack}/${selector}`,
        );
        assert.equal(
          selectorEntry(project.config(stack), selector)["publicKey"],
          derived.publicKey,
          `${stack}/${selector}: the stored publicKey is the stored private key's`,
        );
        const stackPlan = plans.find((p) => p.stack === stack);
        assert.ok(stackPlan !== undefined, stack);
        const dkimRecords = stackPlan.records.filter((r) => r.purpose === "dkim" && r.selector === selector);
        assert.deepEqual(
          dkimRecords.map((r) => [r.name, r.type, r.value]),
          [[`${selector}._domainkey.${stackPlan.domain}`, "TXT", `v=DKIM1; k=${derived.type}; p=${derived.publicKey}`]],
          `${stack}/${selector}`,
        );
        const signed = await signMessage(stackPlan.domain, selector, pem);
        assert.equal(await verifyDkim(signed, recordsResolver(stackPlan.records)), "pass", `${stack}/${selector}`);
      }),
    );
  });

  it("rsa-1024 with --allow-weak is generated, with a warning on stderr", async () => {
    const { project, runs } = await generated();
    const run = runs["r53-weak"];
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, WARN_WEAK);
    const config = project.config("r53-weak");
    const publicKey = text(selectorEntry(config, "s202611a")["publicKey"], "publicKey");
    assert.equal(
      run.stdout,
      expectedStdout("r53-weak", "example.org", "s202611a", "RSA 1024", "published", "rsa", publicKey),
    );
  });

  it("ed25519 on a stack without an RSA selector warns that one is needed beside it", async () => {
    const { project, runs } = await generated();
    const run = runs["r53-ed25519"];
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, WARN_ED25519_ALONE);
    const config = project.config("r53-ed25519");
    const publicKey = text(selectorEntry(config, "s202611a")["publicKey"], "publicKey");
    assert.match(publicKey, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(
      run.stdout,
      expectedStdout("r53-ed25519", "example.org", "s202611a", "Ed25519", "published", "ed25519", publicKey),
    );
  });

  it("rsa-3072 on a Route53 stack", async () => {
    const { project, runs } = await generated();
    const run = runs["r53-3072"];
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    const publicKey = text(selectorEntry(project.config("r53-3072"), "s202611a")["publicKey"], "publicKey");
    assert.equal(
      run.stdout,
      expectedStdout("r53-3072", "example.org", "s202611a", "RSA 3072", "published", "rsa", publicKey),
    );
  });

  // -------------------------------------------------------------------------------------------------
  // Refusals before anything is written

  it("refuses an existing selector name (exit 2, RFC 6376 §3.1): the stack file byte-identical, no pulumi call", async () => {
    const project = new Project({ s: cfWithSelector() });
    const before = project.text("s");
    const result = await project.run(["keygen", "s", "--selector", "s202611a"]);
    assert.deepEqual(result, {
      code: 2,
      signal: null,
      stdout: "",
      stderr:
        "error: selector s202611a already exists in stack s; a selector is never re-bound to a new key (RFC 6376 §3.1): choose another name or leave --selector out\n",
    });
    assert.equal(project.text("s"), before);
    assert.deepEqual(project.calls(), []);
  });

  it("refuses a --selector that is no valid DNS label (exit 2), before calling pulumi", async () => {
    const project = new Project({ s: R53 });
    const result = await project.run(["keygen", "s", "--selector", "bad_name"]);
    assert.deepEqual(result, {
      code: 2,
      signal: null,
      stdout: "",
      stderr:
        "error: option '--selector <name>' argument 'bad_name' is invalid. It must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1).\n(run with --help for usage)\n",
    });
    assert.equal(project.text("s"), R53);
    assert.deepEqual(project.calls(), []);
  });

  it("refuses rsa-1024 without --allow-weak (exit 2)", async () => {
    const project = new Project({ s: R53 });
    const result = await project.run(["keygen", "s", "--algorithm", "rsa-1024"]);
    assert.deepEqual(result, {
      code: 2,
      signal: null,
      stdout: "",
      stderr:
        "error: --algorithm rsa-1024 needs --allow-weak: RFC 8301 §3.2 says signers SHOULD use at least 2048 bits\n",
    });
    assert.equal(project.text("s"), R53);
    assert.deepEqual(project.calls(), []);
  });

  it("an invalid --algorithm or --status is a usage error (exit 2)", async () => {
    const project = new Project({ s: R53 });
    const [algorithm, status] = await Promise.all([
      project.run(["keygen", "s", "--algorithm", "rsa-512"], { log: "a" }),
      project.run(["keygen", "s", "--status", "retired"], { log: "b" }),
    ]);
    assert.deepEqual(algorithm, {
      code: 2,
      signal: null,
      stdout: "",
      stderr:
        "error: option '--algorithm <type>' argument 'rsa-512' is invalid. Allowed choices are rsa-1024, rsa-2048, rsa-3072, rsa-4096, ed25519.\n(run with --help for usage)\n",
    });
    assert.deepEqual(status, {
      code: 2,
      signal: null,
      stdout: "",
      stderr:
        "error: option '--status <status>' argument 'retired' is invalid. Allowed choices are published, active.\n(run with --help for usage)\n",
    });
    assert.equal(project.text("s"), R53);
    assert.deepEqual([...project.calls("a"), ...project.calls("b")], []);
  });

  it("an unknown stack (no stack file) is exit 2 naming it", async () => {
    const project = new Project({ s: R53 });
    const result = await project.run(["keygen", "nope"]);
    assert.deepEqual(result, {
      code: 2,
      signal: null,
      stdout: "",
      stderr: 'error: no stack file for "nope" (stacks/Pulumi.nope.yaml); stacks: s\n',
    });
    assert.deepEqual(project.calls(), []);
  });

  it("without a Pulumi CLI on PATH: exit 1 saying to install it, the stack file untouched", async () => {
    const project = new Project({ s: R53 });
    const emptyBin = project.temp.subdir("empty-bin");
    const result = await project.run(["keygen", "s"], { env: { PATH: emptyBin } });
    assert.deepEqual(result, {
      code: 1,
      signal: null,
      stdout: "",
      stderr:
        "error: the Pulumi CLI (`pulumi`) is not on PATH: install it (https://www.pulumi.com/docs/install/) and run this again\n",
    });
    assert.equal(project.text("s"), R53);
  });

  // -------------------------------------------------------------------------------------------------
  // Failing writes

  const RESTORED = (stack: string): string =>
    `error: nothing was changed: stacks/Pulumi.${stack}.yaml was restored from the backup taken before the first write, byte for byte\n`;
  const SET_ALL_FAILED = (selector: string): string =>
    `error: pulumi config set-all --path ${["publicKey", "algorithm", "status", "createdAt"].map((leaf) => keyPath(selector, leaf)).join(" ")} failed: injected failure\n`;

  it("a failing second write (set-all): exit 1, 'nothing was changed', the stack file restored byte for byte", async () => {
    const project = new Project({ s: cfWithSelector() });
    const beforeText = project.text("s");
    const result = await project.run(["keygen", "s"], { env: { FAKE_PULUMI_FAIL: "config set-all" } });
    assert.deepEqual(result, {
      code: 1,
      signal: null,
      stdout: "",
      stderr: `${SET_ALL_FAILED("s202611b")}${RESTORED("s")}`,
    });
    // Beside an existing selector nothing is left over: byte-identical, comments included.
    assert.equal(project.text("s"), beforeText);
    const calls = project.calls();
    assert.deepEqual(
      calls.map((call) => call.argv.slice(0, 2).join(" ")),
      ["config --json", "config set", "config set-all"],
    );
    const pem = calls[1]?.stdin ?? "";
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
    assertNoKeyMaterial(calls, [pem]);
    assert.deepEqual(project.stateFiles(), [], "no lock or backup is left behind");
  });

  it("a failed set-all on a stack without DKIM leaves the stack file exactly as before (no empty dkim section)", async () => {
    const { project, undone, plans } = await generated();
    assert.deepEqual(undone, {
      code: 1,
      signal: null,
      stdout: "",
      stderr: `${SET_ALL_FAILED("s202611a")}${RESTORED("undo-empty")}`,
    });
    assert.equal(project.text("undo-empty"), CF_FULL);
    const leftover = plans.find((p) => p.stack === "undo-empty");
    const original = plans.find((p) => p.stack === "undo-original");
    assert.ok(original !== undefined && leftover !== undefined);
    assert.deepEqual({ ...leftover, stack: "undo-original" }, original);
  });

  it("a failing first write (the secret) leaves the stack file byte-identical: exit 1", async () => {
    const project = new Project({ s: CF_FULL });
    const result = await project.run(["keygen", "s"], { env: { FAKE_PULUMI_FAIL: "config set" } });
    assert.deepEqual(result, {
      code: 1,
      signal: null,
      stdout: "",
      stderr: `error: pulumi config set --secret --path '${keyPath("s202611a", "privateKey")}' failed: injected failure\n${RESTORED("s")}`,
    });
    assert.equal(project.text("s"), CF_FULL);
    assert.deepEqual(
      project.calls().map((call) => call.argv.slice(0, 3)),
      [
        ["config", "--json", "--stack"],
        ["config", "set", "--secret"],
      ],
    );
  });

  // -------------------------------------------------------------------------------------------------
  // A full disk (the stand-in truncates the stack file and writes part of it, as os.WriteFile does)

  for (const command of ["config set", "config set-all"] as const) {
    it(`the disk fills up during \`pulumi ${command}\`: the truncated stack file is restored byte for byte, exit 1`, async () => {
      const project = new Project({ s: CF_FULL });
      const result = await project.run(["keygen", "s"], {
        env: { FAKE_PULUMI_DISK_FULL: command, FAKE_PULUMI_DISK_FREE: "100" },
      });
      const failed =
        command === "config set"
          ? `error: pulumi config set --secret --path '${keyPath("s202611a", "privateKey")}' failed`
          : SET_ALL_FAILED("s202611a").replace(/: injected failure\n$/, "");
      assert.deepEqual(result, {
        code: 1,
        signal: null,
        stdout: "",
        stderr: `${failed}: write ${project.file("s")}: no space left on device\n${RESTORED("s")}`,
      });
      assert.equal(project.text("s"), CF_FULL);
      assert.deepEqual(project.stateFiles(), []);
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Reading back: a pulumi that reports success but wrote something else

  /** A `pulumi` first on PATH that runs the stand-in, then does `afterSetAll` (sh) after a successful set-all. */
  function wrappedPulumi(project: Project, script: string): NodeJS.ProcessEnv {
    const wrapperDir = project.temp.subdir("wrapper-bin");
    const wrapper = path.join(wrapperDir, "pulumi");
    writeFileSync(wrapper, `#!/bin/sh\n${script}\n`);
    chmodSync(wrapper, 0o755);
    const env = project.env();
    return { ...env, PATH: `${wrapperDir}${path.delimiter}${env["PATH"] ?? ""}` };
  }

  it("a set-all that exits 0 but loses another value (dmarc.rua) is caught by reading the file back: restored, exit 1", async () => {
    const project = new Project({ s: CF_FULL });
    const env = wrappedPulumi(
      project,
      `'${FAKE_PULUMI_BIN}' "$@" || exit $?\nif [ "$2" = set-all ]; then sed -i '/dmarc-reports@/d' '${project.file("s")}'; fi`,
    );
    const result = await runCli(["keygen", "s"], { cwd: project.dir, env });
    assert.deepEqual(result, {
      code: 1,
      signal: null,
      stdout: "",
      stderr: `error: after writing, stacks/Pulumi.s.yaml does not hold what was written: sender-auth:dmarc differs from what was expected\n${RESTORED("s")}`,
    });
    assert.equal(project.text("s"), CF_FULL);
  });

  it("a stored private key that reads back as another key is caught: restored, exit 1", async () => {
    const project = new Project({ s: CF_FULL });
    const other = fixtureKey("rsa-2048-b").privatePem;
    const env = wrappedPulumi(
      project,
      `if [ "$2" = get ]; then '${FAKE_PULUMI_BIN}' "$@" >/dev/null || exit $?; printf '%s\\n' '${other}'; exit 0; fi\nexec '${FAKE_PULUMI_BIN}' "$@"`,
    );
    const result = await runCli(["keygen", "s"], { cwd: project.dir, env });
    assert.deepEqual(result, {
      code: 1,
      signal: null,
      stdout: "",
      stderr: `error: after writing, ${keyPath("s202611a", "privateKey")} read back through pulumi is not the private half of ${keyPath("s202611a", "publicKey")}\n${RESTORED("s")}`,
    });
    assert.equal(project.text("s"), CF_FULL);
  });
});

// ---------------------------------------------------------------------------------------------------
// Concurrency, signals and crashes (issue #11). The stand-in holds its `config set-all` (the second
// write) until the test creates a release file (FAKE_PULUMI_HOLD), so every interleaving is exact.

/** Waits until `file` exists with a complete first line, and returns that line. */
async function lineOf(file: string): Promise<string> {
  for (let waited = 0; waited < 60_000; waited += 20) {
    const content = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (content.endsWith("\n")) return content.trimEnd();
    await sleep(20);
  }
  throw new Error(`${file} did not appear within 60 s`);
}

/** A hold on the second write of a run (its `config set-all`), released by the test. */
function holdSetAll(
  project: Project,
  name: string,
): {
  readonly env: Record<string, string>;
  /** Resolves with the held stand-in's pid once it holds. */
  held(): Promise<number>;
  release(): void;
  /** Whether the held write went on to write the stack file. */
  written(): boolean;
} {
  const gate = path.join(project.dir, name);
  return {
    env: { FAKE_PULUMI_HOLD: "config set-all", FAKE_PULUMI_HOLD_FILE: gate },
    held: async () => Number(await lineOf(`${gate}.held`)),
    release: () => {
      writeFileSync(gate, "");
    },
    written: () => existsSync(`${gate}.written`),
  };
}

/** Every selector's stored private key is the private half of its publicKey; returns the public keys. */
function assertKeyPairs(project: Project, stack: string, selectors: readonly string[]): string[] {
  const config = project.config(stack);
  assert.deepEqual(Object.keys(record(field(config, `${NS}:dkim`, "selectors"), "selectors")), selectors);
  return selectors.map((selector) => {
    const publicKey = selectorEntry(config, selector)["publicKey"];
    assert.equal(derive(storedPrivateKey(config, selector)).publicKey, publicKey, `${selector} is a key pair`);
    return text(publicKey, `${selector}.publicKey`);
  });
}

const interrupted = (signal: string): string =>
  `warning: ${signal} received: stopping once the pulumi call in progress returns, leaving the stack config as it was before this command (${signal} again stops that call now)\n`;

describe("sender-auth keygen: concurrency, signals, crashes", { concurrency: true, timeout: 180_000 }, () => {
  it("two keygens at once: the second waits for the first one's lock, then adds s202611b; both keys are kept", async () => {
    const project = new Project({ s: CF_FULL });
    const hold = holdSetAll(project, "release-first");
    const first = project.start(["keygen", "s"], { log: "first", env: hold.env });
    await hold.held();
    const holder = project.lockHolder("s");
    assert.equal(holder.pid, first.pid);
    const second = project.start(["keygen", "s"], { log: "second" });
    await second.stderrMatches(/^waiting for stack s/);
    hold.release();
    const [a, b] = await Promise.all([first.done, second.done]);
    assert.deepEqual([a.code, a.stderr], [0, ""]);
    assert.match(a.stdout, /^added selector s202611a to stack s: RSA 2048, status published, created 2026-11-28\n/);
    assert.deepEqual(
      [b.code, b.stderr],
      [
        0,
        `waiting for stack s: another command is writing its config: pid ${first.pid} (sender-auth keygen) on host ${hostname()} since ${holder.since} (waiting up to 15 s)\n`,
      ],
    );
    assert.match(b.stdout, /^added selector s202611b to stack s: RSA 2048, status published, created 2026-11-28\n/);
    const [keyA, keyB] = assertKeyPairs(project, "s", ["s202611a", "s202611b"]);
    assert.notEqual(keyA, keyB);
    assert.ok(project.text("s").startsWith(CF_FULL));
    assert.deepEqual(project.stateFiles(), [], "the lock is gone");
  });

  it("a second keygen that cannot wait long enough fails naming the holder (pid, command, since), calling no pulumi", async () => {
    const project = new Project({ s: CF_FULL });
    const hold = holdSetAll(project, "release-first");
    const first = project.start(["keygen", "s"], { log: "first", env: hold.env });
    await hold.held();
    const holder = project.lockHolder("s");
    const second = await project.run(["keygen", "s"], { log: "second", env: { SENDER_AUTH_LOCK_WAIT_MS: "300" } });
    const held = `pid ${first.pid} (sender-auth keygen) on host ${hostname()} since ${holder.since}`;
    assert.deepEqual(second, {
      code: 1,
      signal: null,
      stdout: "",
      stderr: `waiting for stack s: another command is writing its config: ${held} (waiting up to 0.3 s)\nerror: stack s is locked by another command writing its config: ${held}; gave up after waiting 0.3 s. Run this again once it has finished\n`,
    });
    assert.deepEqual(project.calls("second"), []);
    hold.release();
    const a = await first.done;
    assert.equal(a.code, 0, a.stderr);
    assertKeyPairs(project, "s", ["s202611a"]);
  });

  it("SENDER_AUTH_LOCK_WAIT_MS that is not a number is a usage error (exit 2)", async () => {
    const project = new Project({ s: CF_FULL });
    const result = await project.run(["keygen", "s"], { env: { SENDER_AUTH_LOCK_WAIT_MS: "soon" } });
    assert.deepEqual(result, {
      code: 2,
      signal: null,
      stdout: "",
      stderr: 'error: SENDER_AUTH_LOCK_WAIT_MS must be a whole number of milliseconds, got "soon"\n',
    });
    assert.equal(project.text("s"), CF_FULL);
    assert.deepEqual(project.calls(), []);
  });

  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`${signal} to the process group between the two writes: the write in progress finishes, then the stack file is restored byte for byte (exit ${code})`, async () => {
      const project = new Project({ s: CF_FULL });
      const hold = holdSetAll(project, "release");
      const run = project.start(["keygen", "s"], { env: hold.env, processGroup: true });
      await hold.held();
      // As a terminal's Ctrl-C: the whole process group; the pulumi call runs in its own group.
      process.kill(-run.pid, signal);
      await run.stderrMatches(new RegExp(`^warning: ${signal} received`));
      hold.release();
      assert.deepEqual(await run.done, {
        code,
        signal: null,
        stdout: "",
        stderr: `${interrupted(signal)}error: interrupted by ${signal}: stacks/Pulumi.s.yaml was restored from the backup taken before the first write, byte for byte; nothing was changed\n`,
      });
      // The second write did complete (so pulumi was never stopped between the writes) and was undone.
      assert.equal(hold.written(), true);
      assert.deepEqual(
        project.calls().map((call) => call.argv.slice(0, 2).join(" ")),
        ["config --json", "config set", "config set-all"],
      );
      assert.equal(project.text("s"), CF_FULL);
      assert.deepEqual(project.stateFiles(), []);
    });
  }

  it("a second SIGINT stops the pulumi call in progress; the stack file is restored all the same (exit 130)", async () => {
    const project = new Project({ s: CF_FULL });
    const hold = holdSetAll(project, "never-released");
    const run = project.start(["keygen", "s"], { env: hold.env, processGroup: true });
    await hold.held();
    process.kill(-run.pid, "SIGINT");
    await run.stderrMatches(/^warning: SIGINT received/);
    process.kill(-run.pid, "SIGINT");
    assert.deepEqual(await run.done, {
      code: 130,
      signal: null,
      stdout: "",
      stderr: `${interrupted("SIGINT")}error: interrupted by SIGINT: stacks/Pulumi.s.yaml was restored from the backup taken before the first write, byte for byte; nothing was changed\n`,
    });
    assert.equal(hold.written(), false, "the held write was stopped");
    assert.equal(project.text("s"), CF_FULL);
    assert.deepEqual(project.stateFiles(), []);
  });

  it("killed (SIGKILL) between the two writes: export refuses the orphan key, and the next keygen takes over the dead lock, restores the backup and adds its key", async () => {
    const project = new Project({ s: CF_FULL });
    const hold = holdSetAll(project, "never-released");
    const first = project.start(["keygen", "s"], { log: "first", env: hold.env });
    const heldPid = await hold.held();
    const holder = project.lockHolder("s");
    process.kill(first.pid, "SIGKILL");
    process.kill(heldPid, "SIGKILL");
    assert.equal((await first.done).signal, "SIGKILL");
    // What a killed keygen leaves: the private key alone, its lock and its backup.
    assert.deepEqual(Object.keys(selectorEntry(project.config("s"), "s202611a")), ["privateKey"]);
    assert.deepEqual(project.stateFiles(), ["Pulumi.s.yaml.backup", "s.lock"]);
    const orphan = project.text("s");

    const exported = await project.run(["export", "s", "--selector", "s202611a", "--format", "pem"], { log: "export" });
    assert.deepEqual(exported, {
      code: 1,
      signal: null,
      stdout: "",
      stderr: [
        "error: selector s202611a of stack s has a private key but no publicKey, so no DNS record publishes it and mail signed with it fails DKIM; refusing to export it. Remove the half-written selector with",
        `error:   pulumi config rm --path '${keyPath("s202611a")}' --stack s`,
        "error: and generate a new key with npx sender-auth keygen s",
        "",
      ].join("\n"),
    });
    assert.deepEqual(project.calls("export"), []);

    const second = await project.run(["keygen", "s"], { log: "second" });
    const [kept, ...others] = project.stateFiles();
    assert.deepEqual(others, []);
    assert.match(kept ?? "", /^Pulumi\.s\.yaml\.interrupted-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);
    assert.equal(
      second.stderr,
      `warning: stack s: took over the lock of pid ${first.pid} (sender-auth keygen) on host ${hostname()} since ${holder.since}, which no longer runs\n` +
        `warning: stack s: an earlier command writing its config did not finish: stacks/Pulumi.s.yaml was restored from the backup it took before its first write; the file as it was left is kept as stacks/.sender-auth/${kept ?? ""}\n`,
    );
    assert.equal(second.code, 0);
    assert.match(second.stdout, /^added selector s202611a to stack s: /);
    assert.ok(project.text("s").startsWith(CF_FULL));
    assertKeyPairs(project, "s", ["s202611a"]);
    assert.equal(readFileSync(path.join(project.temp.stacksDir, ".sender-auth", kept ?? ""), "utf8"), orphan);
  });
});

describe("sender-auth keygen: a selector name is never bound to a second key", { concurrency: true }, () => {
  const withRemoved = `${cfWithSelector()}    removedSelectors:
      s202611a: "2026-11-20"
`.replace("      s202611a:\n", "      s202610a:\n");

  it("--selector naming a removed selector is refused (exit 2), before any pulumi call", async () => {
    const project = new Project({ s: withRemoved });
    const result = await project.run(["keygen", "s", "--selector", "s202611a"]);
    assert.deepEqual(result, {
      code: 2,
      signal: null,
      stdout: "",
      stderr:
        "error: selector s202611a of stack s was bound to a key until it was removed on 2026-11-20 (sender-auth:dkim.removedSelectors.s202611a); a selector is never re-bound to a new key (RFC 6376 §3.1): choose another name or leave --selector out\n",
    });
    assert.equal(project.text("s"), withRemoved);
    assert.deepEqual(project.calls(), []);
  });

  it("without --selector the removed name is skipped: s202611b", async () => {
    const project = new Project({ s: withRemoved });
    const result = await project.run(["keygen", "s"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^added selector s202611b to stack s: /);
    assertKeyPairs(project, "s", ["s202610a", "s202611b"]);
  });
});

describe("sender-auth keygen on a really full disk (a 64 KiB tmpfs)", { timeout: 120_000 }, () => {
  it("no space for pulumi's rewrite, for the backup, or for the lock: exit 1 with the reason, the stack file byte-identical", async (t) => {
    await withTinyDisk(t, async (disk) => {
      const logDir = new Project({}).dir;
      const dir = disk.makeProject();
      // Just under one page, so that adding a key needs a second one.
      const padding = "# padding to fill most of a 4 KiB page ...........................................\n";
      const stackText = `${CF_FULL}${padding.repeat(Math.floor((3900 - CF_FULL.length) / padding.length))}`;
      assert.ok(stackText.length > 3800 && stackText.length <= 3900, String(stackText.length));
      const stackFile = path.join(dir, "stacks", "Pulumi.s.yaml");
      writeFileSync(stackFile, stackText);
      const cases: readonly [number, string][] = [
        // Lock and backup fit; pulumi's in-place rewrite of the stack file does not: restored by a rename.
        [
          2,
          `error: pulumi config set --secret --path '${keyPath("s202611a", "privateKey")}' failed: write ${stackFile}: no space left on device\nerror: nothing was changed: stacks/Pulumi.s.yaml was restored from the backup taken before the first write, byte for byte\n`,
        ],
        // The lock fits, the backup's copy does not: nothing is written.
        [
          1,
          "error: cannot back up stacks/Pulumi.s.yaml before the first write, so nothing was written: stacks/Pulumi.s.yaml: cannot write: no space left on the device (ENOSPC)\n",
        ],
        [0, "error: stacks/.sender-auth/s.lock: cannot write: no space left on the device (ENOSPC)\n"],
      ];
      for (const [pages, stderr] of cases) {
        disk.fillLeaving(pages);
        const log = path.join(logDir, `pulumi-${pages}.log`);
        const result = await runCli(["keygen", "s"], { cwd: dir, env: fakePulumiEnv(log, { SENDER_AUTH_NOW: NOW }) });
        assert.deepEqual(result, { code: 1, signal: null, stdout: "", stderr }, `${pages} free page(s)`);
        assert.equal(readFileSync(stackFile, "utf8"), stackText, `${pages} free page(s)`);
        assert.deepEqual(readdirSync(path.join(dir, "stacks", ".sender-auth")), [], `${pages} free page(s)`);
      }
    });
  });
});
