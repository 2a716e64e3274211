/**
 * `sender-auth rotate` end to end: every test spawns the real binary (bin/sender-auth.js) in its own
 * temporary project with a hand-written stack file, the stand-in `pulumi` first on PATH
 * (test/support/pulumiStandIn.ts) and SENDER_AUTH_NOW pinned, and checks the exit code, stdout and
 * stderr exactly, the stack file the run leaves behind and every `pulumi` invocation it made.
 *
 * Step 2's DNS check runs against a real BIND (test/support/bind.ts) serving, per domain, what a
 * half-finished rollout looks like: no record, a different key, two records, no TXT at all, the
 * revoked placeholder, or the right key.
 *
 * Every run is also checked for two invariants (checkInvariants): no `pulumi` argument carries key
 * material (private keys travel on standard input only), and no run removes a selector that was active.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { namedAvailable, skipOrFailWithoutNamed, startBind, txtRdata, type BindServer } from "../../support/bind";
import { createTempProject, runCli, type TempProject } from "../../support/cli";
import {
  fakeDecrypt,
  fakeEncrypt,
  fakePulumiEnv,
  readPulumiLog,
  type PulumiInvocation,
} from "../../support/pulumiStandIn";
import { FIXTURE_KEYS, fixtureKey, type FixtureKeyName } from "../../support/fixtures";
import { freePort } from "../../support/ports";

// ---------------------------------------------------------------------------------------------------
// Stack files.

const STACK = "demo";
const DOMAIN = "example.test";
const ZONE_ID = "0123456789abcdef0123456789abcdef";
const TTL = 300;
const NOW = "2026-11-28T10:00:00Z";
const TODAY = "2026-11-28";
const CHECK_STACK = ["config", "--json", "--stack", STACK, "--non-interactive"];

type Json = Record<string, unknown>;

interface StackDoc {
  config: Json;
}

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

interface KeySelector {
  readonly status: string;
  readonly key: FixtureKeyName;
  readonly createdAt?: string;
  readonly retiredAt?: string;
  /** Whether the stack file holds its (fake-encrypted) private key. @default true */
  readonly privateKey?: boolean;
}

/** A selector entry as keygen writes one: public values in plain text, the private key `secure:`. */
function keySelector(spec: KeySelector): Json {
  const key = fixtureKey(spec.key);
  return {
    status: spec.status,
    algorithm: key.algorithm,
    publicKey: key.publicKey,
    createdAt: spec.createdAt ?? "2026-10-01",
    ...(spec.retiredAt === undefined ? {} : { retiredAt: spec.retiredAt }),
    ...(spec.privateKey === false ? {} : { privateKey: { secure: fakeEncrypt(key.privatePem) } }),
  };
}

function cnameSelector(status: string, target: string): Json {
  return { status, cname: target };
}

function stackDoc(selectors: Json, domain = DOMAIN): StackDoc {
  return {
    config: {
      "sender-auth:domain": domain,
      "sender-auth:dns": { provider: "cloudflare", zoneId: ZONE_ID, ttl: TTL },
      "sender-auth:spf": { ip4: ["192.0.2.10"], all: "fail" },
      "sender-auth:dkim": { selectors },
      "sender-auth:dmarc": { policy: "reject", rua: [`mailto:dmarc@${domain}`] },
    },
  };
}

function selectorsOf(doc: StackDoc): Json {
  const dkim = doc.config["sender-auth:dkim"];
  assert.ok(isRecord(dkim) && isRecord(dkim["selectors"]), `no dkim.selectors in ${JSON.stringify(doc)}`);
  return dkim["selectors"];
}

function selectorOf(doc: StackDoc, name: string): Json {
  const entry = selectorsOf(doc)[name];
  assert.ok(
    isRecord(entry),
    `selector ${name} is not in the stack file: ${JSON.stringify(Object.keys(selectorsOf(doc)))}`,
  );
  return entry;
}

/** A copy of `doc` without selector `name`, its name listed in dkim.removedSelectors as removed today. */
function withRemoved(doc: StackDoc, name: string): StackDoc {
  const copy = withSelector(doc, name, undefined);
  const dkim = copy.config["sender-auth:dkim"];
  assert.ok(isRecord(dkim));
  dkim["removedSelectors"] = { ...(isRecord(dkim["removedSelectors"]) ? dkim["removedSelectors"] : {}), [name]: TODAY };
  return copy;
}

/** A copy of `doc` with selector `name` merged with `changes` (`undefined` removes the selector). */
function withSelector(doc: StackDoc, name: string, changes: Json | undefined): StackDoc {
  const copy = structuredClone(doc);
  const selectors = selectorsOf(copy);
  if (changes === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
    delete selectors[name];
  } else {
    selectors[name] = { ...(isRecord(selectors[name]) ? selectors[name] : {}), ...changes };
  }
  return copy;
}

function parseStack(text: string): StackDoc {
  const doc: unknown = parseYaml(text);
  assert.ok(isRecord(doc) && isRecord(doc["config"]), `not a stack file:\n${text}`);
  return { config: doc["config"] };
}

// ---------------------------------------------------------------------------------------------------
// Running rotate.

interface RotateRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly before: StackDoc;
  readonly beforeText: string;
  readonly after: StackDoc;
  readonly afterText: string;
  readonly log: readonly PulumiInvocation[];
  readonly project: TempProject;
}

interface RotateOptions {
  /** SENDER_AUTH_NOW. @default NOW */
  readonly now?: string;
  /** Extra environment (fakePulumiEnv's `extra`). */
  readonly env?: Readonly<Record<string, string>>;
}

const projects: TempProject[] = [];
after(() => {
  for (const project of projects) project.remove();
});

function stackFileOf(project: TempProject): string {
  return path.join(project.stacksDir, `Pulumi.${STACK}.yaml`);
}

function newProject(before: StackDoc): TempProject {
  const project = createTempProject("sender-auth-rotate-");
  projects.push(project);
  project.writeStack(
    STACK,
    `# hand-written for test/unit/cli/rotate.test.ts\n${stringifyYaml(before, { lineWidth: 0 })}`,
  );
  return project;
}

/** `sender-auth rotate <args>` in `project` (stack file already written), then the invariants. */
async function rotateAt(
  project: TempProject,
  args: readonly string[],
  options: RotateOptions = {},
): Promise<RotateRun> {
  const log = path.join(project.dir, "pulumi.log");
  writeFileSync(log, "");
  const beforeText = readFileSync(stackFileOf(project), "utf8");
  const result = await runCli(["rotate", ...args], {
    cwd: project.dir,
    env: fakePulumiEnv(log, { SENDER_AUTH_NOW: options.now ?? NOW, ...options.env }),
    timeoutMs: 60_000,
  });
  assert.equal(result.signal, null, `rotate was killed:\n${result.stderr}`);
  const afterText = readFileSync(stackFileOf(project), "utf8");
  const run: RotateRun = {
    code: result.code,
    stdout: result.stdout,
    stderr: result.stderr,
    before: parseStack(beforeText),
    beforeText,
    after: parseStack(afterText),
    afterText,
    log: readPulumiLog(log),
    project,
  };
  checkInvariants(run);
  return run;
}

/** Writes `before` as stack `demo` of a fresh project and runs `rotate demo <args>` there. */
function rotate(before: StackDoc, args: readonly string[] = [], options: RotateOptions = {}): Promise<RotateRun> {
  return rotateAt(newProject(before), [STACK, ...args], options);
}

// ---------------------------------------------------------------------------------------------------
// Invariants, checked after every run.

/** The base64 lines of a PEM's body. */
function pemBodyLines(pem: string): string[] {
  return pem
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("-----"));
}

function secureValues(value: unknown): string[] {
  if (isRecord(value)) {
    const secure = value["secure"];
    if (typeof secure === "string" && Object.keys(value).length === 1) return [secure];
    return Object.values(value).flatMap(secureValues);
  }
  if (Array.isArray(value)) return value.flatMap(secureValues);
  return [];
}

function activeSelectors(doc: StackDoc): string[] {
  return Object.entries(selectorsOf(doc))
    .filter(([, entry]) => isRecord(entry) && entry["status"] === "active")
    .map(([name]) => name);
}

const isSecretSet = (argv: readonly string[]): boolean =>
  argv[0] === "config" && argv[1] === "set" && argv.includes("--secret");

function checkInvariants(run: RotateRun): void {
  // Key material: every fixture private key, and every private key either stack file holds.
  const ciphertexts = [...secureValues(run.before.config), ...secureValues(run.after.config)];
  const privatePems = [
    ...FIXTURE_KEYS.map((name) => fixtureKey(name).privatePem),
    ...ciphertexts.map((ciphertext) => fakeDecrypt(ciphertext)).filter((pem): pem is string => pem !== undefined),
  ];
  const secretLines = new Set(privatePems.flatMap(pemBodyLines));
  for (const { argv, stdin } of run.log) {
    for (const arg of argv) {
      assert.doesNotMatch(arg, /PRIVATE KEY/, `pulumi argv carries a private key: ${JSON.stringify(argv)}`);
      for (const line of secretLines) {
        assert.ok(!arg.includes(line), `pulumi argv carries private key material: ${JSON.stringify(argv)}`);
      }
      for (const ciphertext of ciphertexts) {
        assert.ok(!arg.includes(ciphertext), `pulumi argv carries a ciphertext: ${JSON.stringify(argv)}`);
      }
    }
    if (isSecretSet(argv)) {
      assert.match(
        stdin,
        /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n?$/,
        "a secret is a PEM on standard input",
      );
    } else {
      assert.equal(
        stdin,
        "",
        `only secrets go to standard input: ${JSON.stringify(argv)} got ${JSON.stringify(stdin)}`,
      );
    }
  }
  // No run removes an active selector, nor leaves an algorithm that had an active key without one.
  const removedPaths = run.log
    .filter(({ argv }) => argv[0] === "config" && (argv[1] === "rm" || argv[1] === "rm-all"))
    .flatMap(({ argv }) => argv.slice(2));
  for (const name of activeSelectors(run.before)) {
    const entry = selectorsOf(run.after)[name];
    assert.ok(isRecord(entry), `the active selector ${name} was removed`);
    const was = selectorOf(run.before, name);
    assert.equal(entry["publicKey"], was["publicKey"], `the public key of ${name} changed`);
    assert.equal(entry["cname"], was["cname"], `the CNAME of ${name} changed`);
    for (const removed of removedPaths) {
      assert.ok(
        !removed.startsWith(`sender-auth:dkim.selectors.${name}`),
        `pulumi config rm ${removed} targets the active selector ${name}`,
      );
    }
  }
  const activeAlgorithms = (doc: StackDoc): Set<string> =>
    new Set(
      activeSelectors(doc).map((name) => {
        const entry = selectorOf(doc, name);
        return typeof entry["cname"] === "string" ? "cname" : String(entry["algorithm"]);
      }),
    );
  for (const algorithm of activeAlgorithms(run.before)) {
    assert.ok(activeAlgorithms(run.after).has(algorithm), `no active ${algorithm} selector is left`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Expectations.

function assertUnchanged(run: RotateRun): void {
  assert.equal(run.afterText, run.beforeText, "the stack file is unchanged");
}

const argvOf = (run: RotateRun): string[][] => run.log.map((entry) => entry.argv);
const sel = (name: string, field?: string): string =>
  `sender-auth:dkim.selectors.${name}${field === undefined ? "" : `.${field}`}`;

/** The DKIM `p=` value of a private key: SPKI DER for RSA, the raw key for Ed25519. */
function dkimPublicKeyOf(privatePem: string): { readonly publicKey: string; readonly bits: number | undefined } {
  const key = createPublicKey(createPrivateKey(privatePem));
  const der = key.export({ type: "spki", format: "der" });
  return key.asymmetricKeyType === "ed25519"
    ? { publicKey: der.subarray(-32).toString("base64"), bits: undefined }
    : { publicKey: der.toString("base64"), bits: key.asymmetricKeyDetails?.modulusLength };
}

interface Generated {
  readonly selector: string;
  readonly algorithm: "rsa" | "ed25519";
  /** RSA modulus size; undefined for Ed25519. */
  readonly bits: number | undefined;
  readonly createdAt: string;
}

/**
 * Step 1's result: exactly one new selector `selector`, status published, with a fresh key pair of
 * the expected type whose private half went to `pulumi config set --secret` on standard input only;
 * everything else in the stack file untouched. Returns the new public key.
 */
function assertGenerated(run: RotateRun, expected: Generated): string {
  const added = Object.keys(selectorsOf(run.after)).filter((name) => !(name in selectorsOf(run.before)));
  assert.deepEqual(added, [expected.selector], "one new selector");
  const entry = selectorOf(run.after, expected.selector);
  assert.deepEqual(Object.keys(entry).sort(), ["algorithm", "createdAt", "privateKey", "publicKey", "status"]);
  const publicKey = entry["publicKey"];
  assert.ok(typeof publicKey === "string", "the public key is plain text");
  const privateKey = entry["privateKey"];
  assert.ok(isRecord(privateKey) && typeof privateKey["secure"] === "string", "the private key is stored secure");
  const pem = fakeDecrypt(privateKey["secure"]);
  assert.ok(pem !== undefined, "the private key went through `pulumi config set --secret`");
  const derived = dkimPublicKeyOf(pem);
  assert.equal(derived.publicKey, publicKey, "the stored private key belongs to the published public key");
  assert.equal(derived.bits, expected.bits, "key size");
  for (const name of Object.keys(selectorsOf(run.before))) {
    assert.notEqual(selectorOf(run.before, name)["publicKey"], publicKey, `the new key is not ${name}'s`);
  }
  assert.deepEqual(
    run.after,
    withSelector(run.before, expected.selector, {
      status: "published",
      algorithm: expected.algorithm,
      publicKey,
      createdAt: expected.createdAt,
      privateKey,
    }),
    "nothing else changed",
  );
  const secretPath = sel(expected.selector, "privateKey");
  assert.deepEqual(argvOf(run), [
    CHECK_STACK,
    ["config", "set", "--secret", "--path", secretPath, "--stack", STACK, "--non-interactive"],
    [
      "config",
      "set-all",
      "--path",
      "--plaintext",
      `${sel(expected.selector, "publicKey")}=${publicKey}`,
      "--plaintext",
      `${sel(expected.selector, "algorithm")}=${expected.algorithm}`,
      "--plaintext",
      `${sel(expected.selector, "status")}=published`,
      "--plaintext",
      `${sel(expected.selector, "createdAt")}=${expected.createdAt}`,
      "--stack",
      STACK,
      "--non-interactive",
    ],
    readBack(expected.selector),
  ]);
  const secretSet = run.log[1];
  assert.ok(secretSet);
  assert.equal(secretSet.stdin.replace(/\n$/, ""), pem, "the private key arrived on standard input");
  return publicKey;
}

function step1Stdout(
  current: string,
  generated: Generated,
  publicKey: string,
  domain = DOMAIN,
  why = `${current} is active and nothing newer exists`,
): string {
  const name = `${generated.selector}._domainkey.${domain}`;
  const fingerprint = createHash("sha256").update(Buffer.from(publicKey, "base64")).digest("hex");
  return [
    `rotate step 1 of 4: ${why}`,
    `added selector ${generated.selector} to stack ${STACK}: ${generated.algorithm === "rsa" ? `RSA ${String(generated.bits)}` : "Ed25519"}, status published, created ${generated.createdAt}`,
    `  public key SHA-256 ${fingerprint}`,
    `  record: ${name} TXT "v=DKIM1; k=${generated.algorithm}; p=${publicKey}"`,
    "  the private key is stored as a secret in the stack config (never printed)",
    "next:",
    `  1. review: npx sender-auth plan ${STACK}`,
    "  2. commit the stack file and open a pull request",
    `  3. after review: pulumi up --stack ${STACK}`,
    `  4. once DNS serves ${name} (wait at least the record TTL), make it active: npx sender-auth rotate ${STACK}`,
    "",
  ].join("\n");
}

function step2Stdout(next: string, current: string | undefined, revocableFrom = "2026-12-05", overlapDays = 7): string {
  return [
    `rotate step 2 of 4: ${next} is served by DNS`,
    `  ${next}: published → active`,
    ...(current === undefined
      ? []
      : [`  ${current}: active → retired (retiredAt ${TODAY}); its key stays published for mail in flight`]),
    "next:",
    `  1. review: npx sender-auth plan ${STACK}`,
    "  2. commit the stack file and open a pull request",
    `  3. after review: pulumi up --stack ${STACK}`,
    `  4. switch your signer to ${next}: npx sender-auth export ${STACK} --selector ${next} --format pem`,
    ...(current === undefined
      ? []
      : [`  5. after ${overlapDays} days (from ${revocableFrom}), revoke ${current}: npx sender-auth rotate ${STACK}`]),
    "",
  ].join("\n");
}

/** `pulumi config get` of a selector's private key: how an edit reads a key pair back before it commits. */
const readBack = (selector: string): string[] => [
  "config",
  "get",
  "--path",
  sel(selector, "privateKey"),
  "--stack",
  STACK,
  "--non-interactive",
];

/** Every pulumi call of a successful step 2: preflight, the one set-all, both key pairs read back. */
function step2Calls(next: string, current: string | undefined): string[][] {
  return [
    CHECK_STACK,
    step2SetAll(next, current),
    readBack(next),
    ...(current === undefined ? [] : [readBack(current)]),
  ];
}

/** The last line of a failed edit: the stack file put back as it was. */
const RESTORED = `error: nothing was changed: stacks/Pulumi.${STACK}.yaml was restored from the backup taken before the first write, byte for byte\n`;

function step2SetAll(next: string, current: string | undefined): string[] {
  return [
    "config",
    "set-all",
    "--path",
    "--plaintext",
    `${sel(next, "status")}=active`,
    ...(current === undefined
      ? []
      : ["--plaintext", `${sel(current, "status")}=retired`, "--plaintext", `${sel(current, "retiredAt")}=${TODAY}`]),
    "--stack",
    STACK,
    "--non-interactive",
  ];
}

function step3Stdout(retired: string, retiredAt: string, overlapDays: number): string {
  return [
    `rotate step 3 of 4: ${retired} was retired on ${retiredAt}, at least ${overlapDays} days ago`,
    `  ${retired}: retired → revoked (its record becomes "v=DKIM1; p=", RFC 6376 §3.6.1)`,
    "next:",
    `  1. review: npx sender-auth plan ${STACK}`,
    "  2. commit the stack file and open a pull request",
    `  3. after review: pulumi up --stack ${STACK}`,
    `  4. after ${TTL} seconds (the record TTL), remove it: npx sender-auth rotate ${STACK}`,
    "",
  ].join("\n");
}

function assertRevoked(run: RotateRun, retired: string): void {
  assert.deepEqual(run.after, withSelector(run.before, retired, { status: "revoked" }));
  assert.deepEqual(argvOf(run), [
    CHECK_STACK,
    [
      "config",
      "set-all",
      "--path",
      "--plaintext",
      `${sel(retired, "status")}=revoked`,
      "--stack",
      STACK,
      "--non-interactive",
    ],
  ]);
}

function dnsRefusal(next: string, problem: string): string {
  return [
    `error: refusing to activate ${next}: DNS does not serve its key yet`,
    `error: ${problem}`,
    `error: run pulumi up --stack ${STACK}, wait ${TTL} seconds (the record TTL), and try again (--force skips this check)`,
    "",
  ].join("\n");
}

/** The usual rotation state: s202610a active (rsa-2048) and, optionally, more selectors. */
const ACTIVE_2048 = keySelector({ status: "active", key: "rsa-2048" });
const PUBLISHED_2048B = keySelector({ status: "published", key: "rsa-2048-b", createdAt: TODAY });
const ESP_TARGET = "s1.dkim.esp-provider.test";

// ---------------------------------------------------------------------------------------------------

describe("sender-auth rotate", { concurrency: true, timeout: 180_000 }, () => {
  describe("step 1: one active key and nothing newer → a new published selector", { concurrency: true }, () => {
    it("rsa-2048: s202611a, RSA 2048, status published, private key stored as a secret through standard input", async () => {
      const run = await rotate(stackDoc({ s202610a: ACTIVE_2048 }));
      const generated: Generated = { selector: "s202611a", algorithm: "rsa", bits: 2048, createdAt: TODAY };
      const publicKey = assertGenerated(run, generated);
      assert.equal(run.stderr, "");
      assert.equal(run.stdout, step1Stdout("s202610a", generated, publicKey));
      assert.equal(run.code, 0);
      assert.ok(
        run.afterText.startsWith("# hand-written for test/unit/cli/rotate.test.ts\n"),
        "the stack file keeps its comment",
      );
    });

    it("rsa-4096: a 4096-bit key, named and dated from SENDER_AUTH_NOW in UTC (23:30 UTC on 30 November)", async () => {
      const run = await rotate(
        stackDoc({ s202609a: keySelector({ status: "active", key: "rsa-4096", createdAt: "2026-09-01" }) }),
        [],
        {
          now: "2026-12-01T00:30:00+01:00",
        },
      );
      const generated: Generated = { selector: "s202611a", algorithm: "rsa", bits: 4096, createdAt: "2026-11-30" };
      const publicKey = assertGenerated(run, generated);
      assert.equal(run.stderr, "");
      assert.equal(run.stdout, step1Stdout("s202609a", generated, publicKey));
      assert.equal(run.code, 0);
    });

    it("rsa-1024: the new key is rsa-2048, never another weak one", async () => {
      const run = await rotate(
        stackDoc({ s202601a: keySelector({ status: "active", key: "rsa-1024", createdAt: "2026-01-05" }) }),
      );
      const generated: Generated = { selector: "s202611a", algorithm: "rsa", bits: 2048, createdAt: TODAY };
      const publicKey = assertGenerated(run, generated);
      assert.equal(run.stderr, "");
      // Created 327 days ago: past the default maxKeyAgeDays (180), so the step says why a rotation starts.
      assert.equal(
        run.stdout,
        step1Stdout(
          "s202601a",
          generated,
          publicKey,
          DOMAIN,
          "s202601a is 327 days old, over sender-auth:dkim.maxKeyAgeDays (180): a new rotation starts",
        ),
      );
      assert.equal(run.code, 0);
    });

    it("--algorithm ed25519: rotates the Ed25519 line only, beside an untouched active RSA key", async () => {
      const run = await rotate(
        stackDoc({ s202610a: ACTIVE_2048, s202610e: keySelector({ status: "active", key: "ed25519" }) }),
        ["--algorithm", "ed25519"],
      );
      const generated: Generated = { selector: "s202611a", algorithm: "ed25519", bits: undefined, createdAt: TODAY };
      const publicKey = assertGenerated(run, generated);
      assert.equal(run.stderr, "");
      assert.equal(run.stdout, step1Stdout("s202610e", generated, publicKey));
      assert.equal(run.code, 0);
    });

    it("CNAME selectors are never touched: revoked and retired ones are neither removed nor refused, their names are skipped", async () => {
      const run = await rotate(
        stackDoc({
          esp: cnameSelector("active", ESP_TARGET),
          s202611a: cnameSelector("revoked", "old.dkim.esp-provider.test"),
          s202611b: cnameSelector("retired", "older.dkim.esp-provider.test"),
          s202610a: ACTIVE_2048,
        }),
      );
      const generated: Generated = { selector: "s202611c", algorithm: "rsa", bits: 2048, createdAt: TODAY };
      const publicKey = assertGenerated(run, generated);
      assert.equal(run.stderr, "");
      assert.equal(run.stdout, step1Stdout("s202610a", generated, publicKey));
      assert.equal(run.code, 0);
    });

    it("a failing write leaves no half-written selector behind (exit 1)", async () => {
      const run = await rotate(stackDoc({ s202610a: ACTIVE_2048 }), [], {
        env: { FAKE_PULUMI_FAIL: "config set-all" },
      });
      const paths = ["publicKey", "algorithm", "status", "createdAt"].map((field) => sel("s202611a", field)).join(" ");
      assert.equal(run.stdout, "");
      assert.equal(run.stderr, `error: pulumi config set-all --path ${paths} failed: injected failure\n${RESTORED}`);
      assert.equal(run.code, 1);
      assert.deepEqual(run.after, run.before);
      assert.deepEqual(
        argvOf(run).map((argv) => argv.slice(0, 2)),
        [
          ["config", "--json"],
          ["config", "set"],
          ["config", "set-all"],
        ],
      );
    });
  });

  describe("step 2: a newer published key → active, the old one retired", { concurrency: true }, () => {
    const NEXT = fixtureKey("rsa-2048-b");
    const OLD = fixtureKey("rsa-2048");
    const ED = fixtureKey("ed25519");
    const right = (key = NEXT): string => txtRdata(`v=DKIM1; k=${key.algorithm}; p=${key.publicKey}`);
    /** One zone per domain, each a different answer for s202611a._domainkey (s202611e for Ed25519). */
    const ZONES: Readonly<Record<string, string>> = {
      "nx.test": '@ IN TXT "v=spf1 -all"',
      "other-key.test": `s202611a._domainkey IN TXT ${right(OLD)}`,
      "two-records.test": `s202611a._domainkey IN TXT ${right()}\ns202611a._domainkey IN TXT ${right(OLD)}`,
      "no-txt.test": "s202611a._domainkey IN A 192.0.2.1",
      "revoked.test": `s202611a._domainkey IN TXT ${txtRdata("v=DKIM1; p=")}`,
      "served.test": `s202611a._domainkey IN TXT ${right()}`,
      "ed.test": `s202611e._domainkey IN TXT ${right(ED)}`,
    };
    let bind: BindServer | undefined;
    before(async () => {
      if (!namedAvailable()) return;
      bind = await startBind(Object.entries(ZONES).map(([origin, body]) => ({ origin, body })));
    });
    after(async () => {
      await bind?.stop();
    });
    const resolverArg = (): string[] => {
      assert.ok(bind, "BIND did not start: see the before hook");
      return ["--resolver", `127.0.0.1:${bind.port}`];
    };
    const rotation = (domain: string): StackDoc =>
      stackDoc({ s202610a: ACTIVE_2048, s202611a: PUBLISHED_2048B }, domain);

    async function refused(domain: string, problem: (name: string) => string): Promise<void> {
      const run = await rotate(rotation(domain), resolverArg());
      assert.equal(run.stdout, "");
      assert.equal(run.stderr, dnsRefusal("s202611a", problem(`s202611a._domainkey.${domain}`)));
      assert.equal(run.code, 1);
      assertUnchanged(run);
      assert.deepEqual(argvOf(run), [CHECK_STACK]);
    }

    it("refuses while DNS answers NXDOMAIN for the new selector", async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      await refused("nx.test", (name) => `${name}: no such name (NXDOMAIN)`);
    });

    it("refuses while DNS serves a different key, showing the record it got", async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      await refused(
        "other-key.test",
        (name) => `${name}: serves "v=DKIM1; k=rsa; p=${OLD.publicKey}", not the configured rsa key`,
      );
    });

    it("refuses while DNS serves two TXT records for the selector, showing both", async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      const domain = "two-records.test";
      const run = await rotate(rotation(domain), resolverArg());
      const records = [`v=DKIM1; k=rsa; p=${NEXT.publicKey}`, `v=DKIM1; k=rsa; p=${OLD.publicKey}`].map((r) =>
        JSON.stringify(r),
      );
      const problem = (order: readonly string[]): string =>
        `s202611a._domainkey.${domain}: 2 TXT records (a selector needs exactly one, RFC 6376 §3.6.2.2): ${order.join(", ")}`;
      // BIND may hand out an RRset in either order.
      assert.ok(
        [dnsRefusal("s202611a", problem(records)), dnsRefusal("s202611a", problem([...records].reverse()))].includes(
          run.stderr,
        ),
        run.stderr,
      );
      assert.equal(run.stdout, "");
      assert.equal(run.code, 1);
      assertUnchanged(run);
    });

    it("refuses while the name exists without a TXT record", async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      await refused("no-txt.test", (name) => `${name}: no TXT record`);
    });

    it("refuses while DNS still serves the revoked placeholder", async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      await refused("revoked.test", (name) => `${name}: serves "v=DKIM1; p=", not the configured rsa key`);
    });

    it("refuses when the resolver cannot be reached, naming the lookup error", async () => {
      const port = await freePort("udp");
      const run = await rotate(rotation(DOMAIN), ["--resolver", `127.0.0.1:${port}`]);
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        dnsRefusal(
          "s202611a",
          `s202611a._domainkey.${DOMAIN}: lookup failed: 127.0.0.1:${port} is unreachable (ECONNREFUSED)`,
        ),
      );
      assert.equal(run.code, 1);
      assertUnchanged(run);
    });

    it("with the right key served (in two character-strings): s202611a active, s202610a retired with retiredAt today", async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      const run = await rotate(rotation("served.test"), resolverArg());
      assert.equal(run.stderr, "");
      assert.equal(run.stdout, step2Stdout("s202611a", "s202610a"));
      assert.equal(run.code, 0);
      assert.deepEqual(
        run.after,
        withSelector(withSelector(run.before, "s202611a", { status: "active" }), "s202610a", {
          status: "retired",
          retiredAt: TODAY,
        }),
      );
      assert.deepEqual(argvOf(run), step2Calls("s202611a", "s202610a"));
    });

    it("--force activates without a DNS check, with a warning, even though DNS serves nothing", async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      const run = await rotate(rotation("nx.test"), [...resolverArg(), "--force", "--overlap-days", "10"]);
      assert.equal(
        run.stderr,
        "warning: --force: not checking that DNS serves s202611a._domainkey.nx.test; mail signed before it is served fails DKIM\n",
      );
      assert.equal(run.stdout.split("\n")[0], "rotate step 2 of 4: activating s202611a without checking DNS (--force)");
      assert.equal(
        run.stdout.split("\n").slice(1).join("\n"),
        step2Stdout("s202611a", "s202610a", "2026-12-08", 10).split("\n").slice(1).join("\n"),
      );
      assert.equal(run.code, 0);
      assert.deepEqual(
        run.after,
        withSelector(withSelector(run.before, "s202611a", { status: "active" }), "s202610a", {
          status: "retired",
          retiredAt: TODAY,
        }),
      );
      assert.deepEqual(argvOf(run), step2Calls("s202611a", "s202610a"));
    });

    it("--force does not claim that DNS serves the key it did not check", async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      const run = await rotate(rotation("nx.test"), [...resolverArg(), "--force"]);
      assert.equal(run.code, 0);
      assert.doesNotMatch(run.stdout, /is served by DNS/);
    });

    it("first activation: a published Ed25519 key and no active one → active, nothing retired", async (t) => {
      if (skipOrFailWithoutNamed(t)) return;
      const run = await rotate(
        stackDoc(
          { s202610a: ACTIVE_2048, s202611e: keySelector({ status: "published", key: "ed25519", createdAt: TODAY }) },
          "ed.test",
        ),
        ["--algorithm", "ed25519", ...resolverArg()],
      );
      assert.equal(run.stderr, "");
      assert.equal(run.stdout, step2Stdout("s202611e", undefined));
      assert.equal(run.code, 0);
      assert.deepEqual(run.after, withSelector(run.before, "s202611e", { status: "active" }));
      assert.deepEqual(argvOf(run), step2Calls("s202611e", undefined));
    });

    it("a failing write changes nothing (exit 1)", async () => {
      const run = await rotate(rotation(DOMAIN), ["--force"], { env: { FAKE_PULUMI_FAIL: "config set-all" } });
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        `warning: --force: not checking that DNS serves s202611a._domainkey.${DOMAIN}; mail signed before it is served fails DKIM\n` +
          `error: pulumi config set-all --path ${sel("s202611a", "status")} ${sel("s202610a", "status")} ${sel("s202610a", "retiredAt")} failed: injected failure\n${RESTORED}`,
      );
      assert.equal(run.code, 1);
      assertUnchanged(run);
    });
  });

  describe("step 3: a retired key past the overlap → revoked", { concurrency: true }, () => {
    const retired = (retiredAt?: string): StackDoc =>
      stackDoc({
        s202610a: keySelector({
          status: "retired",
          key: "rsa-2048",
          ...(retiredAt === undefined ? {} : { retiredAt }),
        }),
        s202611a: keySelector({ status: "active", key: "rsa-2048-b", createdAt: "2026-11-01" }),
      });

    it("retired exactly 7 days ago (the default overlap) → revoked", async () => {
      const run = await rotate(retired("2026-11-21"));
      assert.equal(run.stderr, "");
      assert.equal(run.stdout, step3Stdout("s202610a", "2026-11-21", 7));
      assert.equal(run.code, 0);
      assertRevoked(run, "s202610a");
    });

    it("retired 6 days ago → refused, naming the date it becomes revocable", async () => {
      const run = await rotate(retired("2026-11-22"));
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        "error: s202610a was retired on 2026-11-22; mail signed with it may still be in flight, so it can be revoked from 2026-11-29 (--overlap-days 7)\n",
      );
      assert.equal(run.code, 1);
      assertUnchanged(run);
      assert.deepEqual(argvOf(run), []);
    });

    it("no retiredAt → refused with the exact pulumi command that sets it; running that command makes it revocable", async () => {
      const project = newProject(retired());
      const run = await rotateAt(project, [STACK]);
      const command = `pulumi config set --path '${sel("s202610a", "retiredAt")}' <YYYY-MM-DD> --stack ${STACK}`;
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        `error: s202610a is retired but has no retiredAt date, so its overlap cannot be checked; set it with\nerror:   ${command}\n`,
      );
      assert.equal(run.code, 1);
      assertUnchanged(run);
      assert.deepEqual(argvOf(run), []);

      // The suggested command, as a shell would split it, through the same stand-in pulumi.
      const log = path.join(project.dir, "manual.log");
      const set = await runPulumi(
        ["config", "set", "--path", sel("s202610a", "retiredAt"), "2026-11-20", "--stack", STACK],
        project.dir,
        log,
      );
      assert.deepEqual(set, { code: 0, stderr: "" });
      const again = await rotateAt(project, [STACK]);
      assert.equal(again.stderr, "");
      assert.equal(again.stdout, step3Stdout("s202610a", "2026-11-20", 7));
      assert.equal(again.code, 0);
      assertRevoked(again, "s202610a");
    });

    it("a retiredAt that is not a date → refused like a missing one", async () => {
      const run = await rotate(retired("last week"));
      assert.equal(
        run.stderr,
        `error: s202610a is retired but has no retiredAt date, so its overlap cannot be checked; set it with\nerror:   pulumi config set --path '${sel("s202610a", "retiredAt")}' <YYYY-MM-DD> --stack ${STACK}\n`,
      );
      assert.equal(run.code, 1);
      assertUnchanged(run);
    });

    it("--overlap-days 0: revocable the day it was retired", async () => {
      const run = await rotate(retired(TODAY), ["--overlap-days", "0"]);
      assert.equal(run.stderr, "");
      assert.equal(run.stdout, step3Stdout("s202610a", TODAY, 0));
      assert.equal(run.code, 0);
      assertRevoked(run, "s202610a");
    });

    it("--overlap-days 30: refused 27 days after retiring, revoked with --overlap-days 27", async () => {
      const project = newProject(retired("2026-11-01"));
      const tooEarly = await rotateAt(project, [STACK, "--overlap-days", "30"]);
      assert.equal(tooEarly.stdout, "");
      assert.equal(
        tooEarly.stderr,
        "error: s202610a was retired on 2026-11-01; mail signed with it may still be in flight, so it can be revoked from 2026-12-01 (--overlap-days 30)\n",
      );
      assert.equal(tooEarly.code, 1);
      assertUnchanged(tooEarly);
      const run = await rotateAt(project, [STACK, "--overlap-days=27"]);
      assert.equal(run.stderr, "");
      assert.equal(run.stdout, step3Stdout("s202610a", "2026-11-01", 27));
      assert.equal(run.code, 0);
      assertRevoked(run, "s202610a");
    });

    for (const value of ["abc", "1.5", "-1", ""]) {
      it(`--overlap-days ${JSON.stringify(value)} → usage error (exit 2), nothing run`, async () => {
        const run = await rotate(retired("2026-11-01"), [`--overlap-days=${value}`]);
        assert.equal(run.stdout, "");
        assert.equal(
          run.stderr,
          `error: option '--overlap-days <days>' argument '${value}' is invalid. It must be a whole number of days from 0 to 3650.\n(run with --help for usage)\n`,
        );
        assert.equal(run.code, 2);
        assertUnchanged(run);
        assert.deepEqual(argvOf(run), []);
      });
    }

    it("an absurdly long --overlap-days is a usage error, not an immediate revocation", async () => {
      const run = await rotate(retired("2026-11-27"), ["--overlap-days", "100000000"]);
      assert.equal(run.code, 2, run.stdout);
      assert.equal(
        run.stderr,
        "error: option '--overlap-days <days>' argument '100000000' is invalid. It must be a whole number of days from 0 to 3650.\n(run with --help for usage)\n",
      );
      assertUnchanged(run);
    });
  });

  describe("step 4: a revoked key → removed from config", { concurrency: true }, () => {
    it("removes the selector, private key included", async () => {
      const run = await rotate(
        stackDoc({
          s202609a: keySelector({
            status: "revoked",
            key: "rsa-3072",
            createdAt: "2026-09-01",
            retiredAt: "2026-10-01",
          }),
          s202610a: ACTIVE_2048,
        }),
      );
      assert.equal(run.stderr, "");
      assert.equal(
        run.stdout,
        [
          "rotate step 4 of 4: s202609a is revoked",
          "  s202609a: removed from the stack config, private key included; its name stays in sender-auth:dkim.removedSelectors, never to be used again",
          "next:",
          `  1. review: npx sender-auth plan ${STACK}`,
          "  2. commit the stack file and open a pull request",
          `  3. after review: pulumi up --stack ${STACK} (deletes its record)`,
          `the rotation is finished; the next one starts with npx sender-auth rotate ${STACK} once the active key is older than sender-auth:dkim.maxKeyAgeDays (before that, rotate asks for --force)`,
          "",
        ].join("\n"),
      );
      assert.equal(run.code, 0);
      assert.deepEqual(run.after, withRemoved(run.before, "s202609a"));
      assert.ok(!("s202609a" in selectorsOf(run.after)), "the selector key is gone from the stack file");
      assert.equal(run.afterText.match(/s202609a/g)?.length, 1, "the name is left only in removedSelectors");
      assert.ok(!run.afterText.includes(fakeEncrypt(fixtureKey("rsa-3072").privatePem)), "its private key is gone");
      assert.deepEqual(argvOf(run), [
        CHECK_STACK,
        [
          "config",
          "set-all",
          "--path",
          "--plaintext",
          `sender-auth:dkim.removedSelectors.s202609a=${TODAY}`,
          "--stack",
          STACK,
          "--non-interactive",
        ],
        ["config", "rm", "--path", sel("s202609a"), "--stack", STACK, "--non-interactive"],
      ]);
    });

    it("a revoked selector without a stored private key (or public key) is removed too", async () => {
      const run = await rotate(stackDoc({ sold: { status: "revoked" }, s202610a: ACTIVE_2048 }));
      assert.equal(run.stderr, "");
      assert.match(
        run.stdout,
        /^rotate step 4 of 4: sold is revoked\n {2}sold: removed from the stack config; its name stays in sender-auth:dkim\.removedSelectors, never to be used again\nnext:\n/,
      );
      assert.equal(run.code, 0);
      assert.deepEqual(run.after, withRemoved(run.before, "sold"));
    });

    it("a name once used is never bound again: after step 4 removes s202611a, step 1 the same day generates s202611c, not s202611a (issue #11)", async () => {
      const project = newProject(
        stackDoc({
          s202611a: keySelector({
            status: "revoked",
            key: "rsa-2048-b",
            createdAt: "2026-11-01",
            retiredAt: "2026-11-10",
          }),
          s202611b: keySelector({ status: "active", key: "rsa-2048", createdAt: "2026-11-10" }),
        }),
      );
      const removed = await rotateAt(project, [STACK]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /^rotate step 4 of 4: s202611a is revoked\n/);
      // Right after a finished rotation a new one needs --force (see "after a finished rotation" below).
      const generatedNext = await rotateAt(project, [STACK, "--force"]);
      assert.equal(generatedNext.code, 0, generatedNext.stderr);
      const generated: Generated = { selector: "s202611c", algorithm: "rsa", bits: 2048, createdAt: TODAY };
      const publicKey = assertGenerated(generatedNext, generated);
      assert.equal(
        generatedNext.stdout,
        step1Stdout(
          "s202611b",
          generated,
          publicKey,
          DOMAIN,
          "a rotation finished on 2026-11-28 (s202611a removed); --force starts a new one although s202611b is not due: it is 18 days old and due for rotation from 2027-05-10 (over sender-auth:dkim.maxKeyAgeDays (180))",
        ),
      );
      assert.deepEqual(generatedNext.after.config["sender-auth:dkim"], {
        selectors: selectorsOf(generatedNext.after),
        removedSelectors: { s202611a: TODAY },
      });
    });

    it("a failing removal changes nothing: the name is not recorded without the removal, nor the removal without the name (exit 1)", async () => {
      const run = await rotate(stackDoc({ sold: { status: "revoked" }, s202610a: ACTIVE_2048 }), [], {
        env: { FAKE_PULUMI_FAIL: "config rm" },
      });
      assert.equal(run.stdout, "");
      assert.equal(run.stderr, `error: pulumi config rm --path '${sel("sold")}' failed: injected failure\n${RESTORED}`);
      assert.equal(run.code, 1);
      assertUnchanged(run);
    });
  });

  describe(
    "after a finished rotation: a new one starts only when the key is due, or with --force (issue 12)",
    { concurrency: true },
    () => {
      /** A stack whose rotation finished: `active` came in, the old key was removed on `removedOn`. */
      function finished(createdAt: string, removedOn: string, maxKeyAgeDays?: number): StackDoc {
        const doc = stackDoc({ s202611b: keySelector({ status: "active", key: "rsa-2048", createdAt }) });
        const dkim = doc.config["sender-auth:dkim"];
        assert.ok(isRecord(dkim));
        dkim["removedSelectors"] = { s202611a: removedOn };
        if (maxKeyAgeDays !== undefined) dkim["maxKeyAgeDays"] = maxKeyAgeDays;
        return doc;
      }

      it("right after step 4 (the same day): exit 1 saying when it finished, when the key is due and what --force does; nothing written, no pulumi call", async () => {
        const run = await rotate(finished("2026-11-10", TODAY));
        assert.equal(run.stdout, "");
        assert.equal(
          run.stderr,
          `error: a rotation of stack ${STACK} just finished on ${TODAY}: s202611a was removed and s202611b is the active key; it is 18 days old and due for rotation from 2027-05-10 (over sender-auth:dkim.maxKeyAgeDays (180)). Not starting a new rotation: npx sender-auth rotate ${STACK} --force starts one now anyway (step 1: a new selector, status published, beside s202611b)\n`,
        );
        assert.equal(run.code, 1);
        assertUnchanged(run);
        assert.deepEqual(argvOf(run), []);
      });

      it("a configured maxKeyAgeDays decides when it is due: 90 days refuses a 58-day-old key, 30 days starts a rotation and says why", async () => {
        const notDue = await rotate(finished("2026-10-01", "2026-10-09", 90));
        assert.match(
          notDue.stderr,
          /^error: a rotation of stack demo just finished on 2026-10-09: s202611a was removed and s202611b is the active key; it is 58 days old and due for rotation from 2026-12-31 \(over sender-auth:dkim\.maxKeyAgeDays \(90\)\)\. /,
        );
        assert.equal(notDue.code, 1);
        assertUnchanged(notDue);
        const due = await rotate(finished("2026-10-01", "2026-10-09", 30));
        assert.equal(due.code, 0, due.stderr);
        const generated: Generated = { selector: "s202611c", algorithm: "rsa", bits: 2048, createdAt: TODAY };
        const publicKey = assertGenerated(due, generated);
        assert.equal(
          due.stdout,
          step1Stdout(
            "s202611b",
            generated,
            publicKey,
            DOMAIN,
            "s202611b is 58 days old, over sender-auth:dkim.maxKeyAgeDays (30): a new rotation starts",
          ),
        );
      });

      it("past the default maxKeyAgeDays (180) a new rotation starts without --force", async () => {
        const run = await rotate(finished("2026-05-01", "2026-05-20"));
        assert.equal(run.code, 0, run.stderr);
        assert.match(
          run.stdout,
          /^rotate step 1 of 4: s202611b is 211 days old, over sender-auth:dkim\.maxKeyAgeDays \(180\): a new rotation starts\nadded selector s202611c /,
        );
      });

      it("a selector removed before the active key was made is no finished rotation of it: the step starts as before", async () => {
        const run = await rotate(finished("2026-11-10", "2026-11-09"));
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^rotate step 1 of 4: s202611b is active and nothing newer exists\n/);
      });
    },
  );

  describe("refusals", { concurrency: true }, () => {
    it("no active key at all → exit 1, pointing at keygen", async () => {
      const run = await rotate(stackDoc({ esp: cnameSelector("active", ESP_TARGET) }));
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        `error: stack ${STACK} has no active rsa key to rotate: create one with npx sender-auth keygen ${STACK}\n`,
      );
      assert.equal(run.code, 1);
      assertUnchanged(run);
      assert.deepEqual(argvOf(run), []);
    });

    it("--algorithm ed25519 with only RSA keys → exit 1, pointing at keygen", async () => {
      const run = await rotate(stackDoc({ s202610a: ACTIVE_2048 }), ["--algorithm", "ed25519"]);
      assert.equal(
        run.stderr,
        `error: stack ${STACK} has no active ed25519 key to rotate: create one with npx sender-auth keygen ${STACK}\n`,
      );
      assert.equal(run.code, 1);
      assertUnchanged(run);
    });

    it("two active keys of one algorithm → exit 1, naming both (oldest first)", async () => {
      const run = await rotate(
        stackDoc({
          s202610a: ACTIVE_2048,
          s202609a: keySelector({ status: "active", key: "rsa-2048-b", createdAt: "2026-09-01" }),
          s202611a: PUBLISHED_2048B,
        }),
      );
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        "error: s202609a and s202610a are all active rsa selectors; retire all but one by hand before rotating\n",
      );
      assert.equal(run.code, 1);
      assertUnchanged(run);
      assert.deepEqual(argvOf(run), []);
    });

    for (const resolver of ["localhost", "127.0.0.1:70000", "127.0.0.1:0", "[::1]:70000", "1.2.3"]) {
      it(`--resolver ${resolver} → usage error (exit 2)`, async () => {
        const run = await rotate(stackDoc({ s202610a: ACTIVE_2048, s202611a: PUBLISHED_2048B }), [
          "--resolver",
          resolver,
        ]);
        assert.equal(run.stdout, "");
        assert.equal(
          run.stderr,
          `error: option '--resolver <host[:port]>' argument '${resolver}' is invalid. It must be an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53.\n(run with --help for usage)\n`,
        );
        assert.equal(run.code, 2);
        assertUnchanged(run);
        assert.deepEqual(argvOf(run), []);
      });
    }

    it("an unknown stack → usage error (exit 2)", async () => {
      const project = newProject(stackDoc({ s202610a: ACTIVE_2048 }));
      const run = await rotateAt(project, ["nope"]);
      assert.equal(run.stdout, "");
      assert.equal(run.stderr, `error: no stack file for "nope" (stacks/Pulumi.nope.yaml); stacks: ${STACK}\n`);
      assert.equal(run.code, 2);
      assertUnchanged(run);
      assert.deepEqual(argvOf(run), []);
    });

    it("an unknown --algorithm → usage error (exit 2)", async () => {
      const run = await rotate(stackDoc({ s202610a: ACTIVE_2048 }), ["--algorithm", "rsa-2048"]);
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        "error: option '--algorithm <algorithm>' argument 'rsa-2048' is invalid. Allowed choices are rsa, ed25519.\n(run with --help for usage)\n",
      );
      assert.equal(run.code, 2);
      assertUnchanged(run);
    });

    it("a stack without sender-auth:domain → exit 1", async () => {
      const doc = stackDoc({ s202610a: ACTIVE_2048 });
      delete doc.config["sender-auth:domain"];
      const run = await rotate(doc);
      assert.equal(run.stderr, `error: stack ${STACK} has no sender-auth:domain\n`);
      assert.equal(run.code, 1);
      assertUnchanged(run);
    });

    it("a sender-auth:dns that is not an object is reported, not an internal error", async () => {
      const doc = stackDoc({ s202610a: ACTIVE_2048 });
      doc.config["sender-auth:dns"] = "cloudflare";
      const run = await rotate(doc);
      assert.doesNotMatch(run.stderr, /internal error/);
      assertUnchanged(run);
    });

    it("an absurdly long --overlap-days on step 2 fails before writing, not with an internal error after", async () => {
      const run = await rotate(stackDoc({ s202610a: ACTIVE_2048, s202611a: PUBLISHED_2048B }), [
        "--force",
        "--overlap-days",
        "100000000",
      ]);
      assert.equal(run.code, 2);
      assert.doesNotMatch(run.stderr, /internal error/);
      assertUnchanged(run);
    });
  });
});

// ---------------------------------------------------------------------------------------------------

/** `pulumi <args>` through the stand-in, as a user would type the suggested command. */
function runPulumi(
  args: readonly string[],
  cwd: string,
  log: string,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", args, { cwd, env: fakePulumiEnv(log), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, stderr });
    });
  });
}
