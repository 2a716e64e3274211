/**
 * The stand-in `pulumi` (test/support/bin/pulumi -> test/support/pulumiStandInProgram.ts) behaves
 * like the real CLI's `pulumi config` for what cli/pulumiCli.ts runs. Every test spawns the wrapper
 * through PATH (test/support/pulumiStandIn.ts: fakePulumiEnv) in its own temporary project,
 * concurrently.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { pulumiCli } from "../../../cli/pulumiCli";
import { REPO_STACKS_DIR } from "../../support/cli";
import {
  FAKE_PULUMI_BIN,
  FAKE_PULUMI_BIN_DIR,
  fakeDecrypt,
  fakeEncrypt,
  fakePulumiEnv,
  readPulumiLog,
} from "../../support/pulumiStandIn";
import { isRecord } from "../../../components/model";
import { field } from "../../support/json";

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface RunOptions {
  /** @default the project directory */
  readonly cwd?: string;
  /** Written to standard input, which is then closed. @default "" */
  readonly stdin?: string;
  /** Extra environment (fakePulumiEnv's `extra`). */
  readonly env?: Readonly<Record<string, string>>;
}

const cleanup: string[] = [];
after(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  cleanup.push(dir);
  return dir;
}

/** `pulumi ...args` found on PATH, i.e. the wrapper in FAKE_PULUMI_BIN_DIR. */
function runPulumi(args: readonly string[], cwd: string, log: string, options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", args, { cwd, env: fakePulumiEnv(log, options.env), stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.stdin ?? "");
  });
}

const DEFAULT_STACK = "config:\n  sender-auth:domain: example.com\n";

/** A temporary project: Pulumi.yaml `name: sender-auth`, `stackConfigDir: stacks`, and stacks/Pulumi.demo.yaml. */
class Demo {
  readonly dir = tempDir("pulumi-stand-in-");
  readonly stacksDir = path.join(this.dir, "stacks");
  readonly stackFile = path.join(this.stacksDir, "Pulumi.demo.yaml");
  readonly log = path.join(this.dir, "pulumi.log");

  constructor(stackText = DEFAULT_STACK, projectText = "name: sender-auth\nstackConfigDir: stacks\n") {
    writeFileSync(path.join(this.dir, "Pulumi.yaml"), projectText);
    mkdirSync(this.stacksDir);
    writeFileSync(this.stackFile, stackText);
  }

  run(args: readonly string[], options: RunOptions = {}): Promise<Run> {
    return runPulumi(args, options.cwd ?? this.dir, this.log, options);
  }

  /** Runs and asserts success with no output on stderr; returns stdout. */
  async ok(args: readonly string[], options: RunOptions = {}): Promise<string> {
    const result = await this.run(args, options);
    assert.deepEqual({ code: result.code, stderr: result.stderr }, { code: 0, stderr: "" }, `pulumi ${args.join(" ")}`);
    return result.stdout;
  }

  text(): string {
    return readFileSync(this.stackFile, "utf8");
  }

  /** The stack file's `config:` map. */
  config(): Record<string, unknown> {
    const doc: unknown = parseYaml(this.text());
    assert.ok(isRecord(doc) && isRecord(doc["config"]), `no config map in ${this.text()}`);
    return doc["config"];
  }

  /** Bytes and modification time of every file under stacks/, to show that nothing was touched. */
  snapshot(): Record<string, string> {
    return Object.fromEntries(
      readdirSync(this.stacksDir).map((name) => {
        const file = path.join(this.stacksDir, name);
        return [name, `${statSync(file).mtimeMs} ${readFileSync(file, "base64")}`];
      }),
    );
  }
}

const PEM = [
  "-----BEGIN PRIVATE KEY-----",
  "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF",
  "bm90IGEgcmVhbCBrZXk6IGZha2UgcHVsdW1pIHRlc3QgZml4dHVyZSAvKyE9",
  "-----END PRIVATE KEY-----",
  "",
].join("\n");

describe("fake pulumi (test/support/bin/pulumi)", { concurrency: availableParallelism(), timeout: 120_000 }, () => {
  it("is an executable sh wrapper found first on PATH by fakePulumiEnv", () => {
    assert.equal(FAKE_PULUMI_BIN, path.join(FAKE_PULUMI_BIN_DIR, "pulumi"));
    assert.ok(path.isAbsolute(FAKE_PULUMI_BIN_DIR));
    assert.ok((statSync(FAKE_PULUMI_BIN).mode & 0o111) !== 0, "not executable");
    assert.match(readFileSync(FAKE_PULUMI_BIN, "utf8"), /^#!\/bin\/sh\n/);
    const env = fakePulumiEnv("some.log", { EXTRA: "1" });
    assert.equal(env["PATH"]?.split(path.delimiter)[0], FAKE_PULUMI_BIN_DIR);
    assert.equal(env["FAKE_PULUMI_LOG"], path.resolve("some.log"));
    assert.equal(env["EXTRA"], "1");
    assert.equal(env["NODE_TEST_CONTEXT"], undefined);
  });

  it("sets and gets plain top-level keys, the namespace defaulting to the project name", async () => {
    const demo = new Demo();
    assert.equal(await demo.ok(["config", "set", "domain", "example.org", "--stack", "demo"]), "");
    assert.equal(await demo.ok(["config", "set", "aws:region", "us-east-1", "-s", "demo"]), "");
    // Without --path a dotted key is a literal key, and the value stays a string.
    await demo.ok(["config", "set", "sender-auth:a.b", "true", "--stack", "demo"]);
    assert.deepEqual(demo.config(), {
      "sender-auth:domain": "example.org",
      "aws:region": "us-east-1",
      "sender-auth:a.b": "true",
    });
    assert.equal(await demo.ok(["config", "get", "domain", "--stack", "demo"]), "example.org\n");
    assert.equal(await demo.ok(["config", "get", "aws:region", "--stack", "demo"]), "us-east-1\n");
    assert.equal(await demo.ok(["config", "get", "a.b", "--stack", "demo"]), "true\n");
  });

  it("sets with --path: creates maps and lists, coerces nested values, keeps top-level values strings", async () => {
    const demo = new Demo();
    const set = (key: string, value: string): Promise<string> =>
      demo.ok(["config", "set", "--path", key, value, "--stack", "demo"]);
    await set("dkim.selectors.s1.status", "active");
    await set('dkim.selectors["s.2"].bits', "2048");
    await set("dns.proxied", "true");
    await set("dns.zone", "0123");
    await set("hosts[0]", "a");
    await set("hosts[1]", "b");
    // A single segment is a top-level key: a string, whatever it looks like.
    await set("parked", "true");
    // As with the real CLI (cobra), a value starting with "-" must follow "--".
    await demo.ok(["config", "set", "--path", "dns.offset", "--stack", "demo", "--", "-7"]);
    // set-all coerces the same way.
    await demo.ok([
      "config",
      "set-all",
      "--path",
      "--stack",
      "demo",
      ...[
        "dns.ipv6=false",
        "dns.zero=0",
        "dns.ratio=1.5",
        "dns.huge=123456789012345678901234567890",
        "hosts[1]=B",
        "sender-auth:ttl=300",
      ].flatMap((pair) => ["--plaintext", pair]),
    ]);
    const before = demo.snapshot();
    const outOfRange = await demo.run(["config", "set", "--path", "hosts[3]", "d", "--stack", "demo"]);
    assert.equal(outOfRange.code, 255);
    assert.match(outOfRange.stderr, /^error: could not set config: .*array index out of range\n$/);
    const intoScalar = await demo.run(["config", "set", "--path", "domain.sub", "x", "--stack", "demo"]);
    assert.equal(intoScalar.code, 255);
    assert.match(intoScalar.stderr, /^error: could not set config: /);
    assert.deepEqual(demo.snapshot(), before);

    assert.deepEqual(demo.config(), {
      "sender-auth:domain": "example.com",
      "sender-auth:dkim": { selectors: { s1: { status: "active" }, "s.2": { bits: 2048 } } },
      "sender-auth:dns": {
        proxied: true,
        zone: "0123",
        offset: -7,
        ipv6: false,
        zero: 0,
        ratio: "1.5",
        huge: "123456789012345678901234567890",
      },
      "sender-auth:hosts": ["a", "B"],
      "sender-auth:parked": "true",
      "sender-auth:ttl": "300",
    });
    const get = (key: string): Promise<string> => demo.ok(["config", "get", "--path", key, "--stack", "demo"]);
    assert.equal(await get('dkim.selectors["s.2"].bits'), "2048\n");
    // Objects print as JSON, keys sorted (Go's encoding/json).
    assert.equal(await get("dkim"), '{"selectors":{"s.2":{"bits":2048},"s1":{"status":"active"}}}\n');
    assert.equal(await get("hosts"), '["a","B"]\n');
  });

  it("stores --secret values as { secure: v1:<base64> } and get decrypts them", async () => {
    const demo = new Demo();
    await demo.ok(["config", "set", "--secret", "token", "s3cr3t value", "--stack", "demo"]);
    await demo.ok(["config", "set", "--secret", "--path", "dkim.keys.s1.privateKey", "k3y", "--stack", "demo"]);
    await demo.ok(["config", "set", "--path", "dkim.keys.s1.publicKey", "pub", "--stack", "demo"]);
    assert.deepEqual(demo.config(), {
      "sender-auth:domain": "example.com",
      "sender-auth:token": { secure: fakeEncrypt("s3cr3t value") },
      "sender-auth:dkim": { keys: { s1: { privateKey: { secure: fakeEncrypt("k3y") }, publicKey: "pub" } } },
    });
    assert.equal(fakeEncrypt("s3cr3t value"), "v1:" + Buffer.from("s3cr3t value").toString("base64"));
    assert.doesNotMatch(demo.text(), /s3cr3t|k3y/);
    assert.equal(await demo.ok(["config", "get", "token", "--stack", "demo"]), "s3cr3t value\n");
    assert.equal(await demo.ok(["config", "get", "--path", "dkim.keys.s1.privateKey", "--stack", "demo"]), "k3y\n");
    assert.equal(
      await demo.ok(["config", "get", "--path", "dkim", "--stack", "demo"]),
      '{"keys":{"s1":{"privateKey":"k3y","publicKey":"pub"}}}\n',
    );
    // A secret replaces a plaintext value and vice versa.
    await demo.ok(["config", "set", "--path", "dkim.keys.s1.privateKey", "plain", "--plaintext", "--stack", "demo"]);
    assert.deepEqual(demo.config()["sender-auth:dkim"], { keys: { s1: { privateKey: "plain", publicKey: "pub" } } });

    const both = await demo.run(["config", "set", "--secret", "--plaintext", "x", "y", "--stack", "demo"]);
    assert.equal(both.code, 255);
    assert.match(
      both.stderr,
      /^error: if any flags in the group \[secret plaintext type\] are set none of the others can be/,
    );
    assert.equal(fakeDecrypt("AAABAHlzdXBlcg=="), undefined);
  });

  it("reads the value from stdin when none is given, removing exactly one trailing newline", async () => {
    const demo = new Demo();
    const setFromStdin = (key: string, stdin: string): Promise<string> =>
      demo.ok(["config", "set", "--secret", "--path", key, "--stack", "demo", "--non-interactive"], { stdin });
    const get = (key: string): Promise<string> => demo.ok(["config", "get", "--path", key, "--stack", "demo"]);

    // A PEM file ends with "\n": stored without it, so get (which adds one) prints the file exactly.
    await setFromStdin("dkim.keys.s1.privateKey", PEM);
    assert.equal(await get("dkim.keys.s1.privateKey"), PEM);
    assert.equal(
      fakeDecrypt(String(field(demo.config(), "sender-auth:dkim", "keys", "s1", "privateKey", "secure"))),
      PEM.slice(0, -1),
    );

    const secretAt = (...keys: string[]): string | undefined => {
      const ciphertext = field(demo.config(), ...keys, "secure");
      assert.equal(typeof ciphertext, "string");
      return fakeDecrypt(ciphertext as string);
    };
    // Without a trailing newline the text is kept as it is; only one newline is removed, and no
    // "\r" (that happens on Windows only).
    await setFromStdin("dkim.keys.s2.privateKey", PEM.slice(0, -1));
    await setFromStdin("two", "x\n\n");
    await setFromStdin("crlf", "x\r\n");
    await setFromStdin("empty", "");
    assert.equal(secretAt("sender-auth:dkim", "keys", "s2", "privateKey"), PEM.slice(0, -1));
    assert.equal(secretAt("sender-auth:two"), "x\n");
    assert.equal(secretAt("sender-auth:crlf"), "x\r");
    assert.equal(secretAt("sender-auth:empty"), "");
    // Plaintext from stdin, nested with --path, is coerced like an argument.
    await demo.ok(["config", "set", "--path", "dns.ttl", "--stack", "demo"], { stdin: "300\n" });
    assert.equal(field(demo.config(), "sender-auth:dns", "ttl"), 300);

    // The key material went in on standard input only.
    const setsWithPem = readPulumiLog(demo.log).filter((entry) => entry.stdin.includes("PRIVATE KEY"));
    assert.equal(setsWithPem.length, 2);
    for (const entry of readPulumiLog(demo.log)) {
      assert.ok(
        !entry.argv.some((arg) => arg.includes("PRIVATE KEY") || arg.includes("MC4CAQAw")),
        JSON.stringify(entry.argv),
      );
    }
    assert.equal(setsWithPem[0]?.stdin, PEM);
  });

  it("set-all sets every --plaintext and --secret pair, split at the first '='", async () => {
    const demo = new Demo();
    await demo.ok([
      "config",
      "set-all",
      "--path",
      "--plaintext",
      "dkim.selectors.s1.status=active",
      "--secret",
      "dkim.keys.s1=pk=with=equals",
      "--plaintext",
      "dkim.selectors.s1.bits=2048",
      "--plaintext",
      "note=a=b",
      "--stack",
      "demo",
      "--non-interactive",
    ]);
    assert.deepEqual(demo.config(), {
      "sender-auth:domain": "example.com",
      "sender-auth:dkim": {
        selectors: { s1: { status: "active", bits: 2048 } },
        keys: { s1: { secure: fakeEncrypt("pk=with=equals") } },
      },
      "sender-auth:note": "a=b",
    });
    // Without --path, keys are literal and values strings.
    await demo.ok(["config", "set-all", "--plaintext", "x.y=1", "--plaintext=flag=true", "--stack", "demo"]);
    assert.equal(demo.config()["sender-auth:x.y"], "1");
    assert.equal(demo.config()["sender-auth:flag"], "true");
  });

  it("set-all is all or nothing", async () => {
    const demo = new Demo();
    const before = demo.snapshot();
    const noEquals = await demo.run([
      "config",
      "set-all",
      "--plaintext",
      "good=1",
      "--plaintext",
      "bad",
      "--stack",
      "demo",
    ]);
    assert.deepEqual(noEquals, {
      code: 255,
      stdout: "",
      stderr: "error: config value must be in the form [key]=[value]\n",
    });
    const outOfRange = await demo.run([
      "config",
      "set-all",
      "--path",
      "--plaintext",
      "good=1",
      "--secret",
      "list[2]=x",
      "--stack",
      "demo",
    ]);
    assert.equal(outOfRange.code, 255);
    assert.match(outOfRange.stderr, /array index out of range/);
    assert.deepEqual(demo.snapshot(), before);
  });

  it("rm removes a key or a path, keeps emptied parents, and ignores missing keys", async () => {
    const demo = new Demo(
      [
        "config:",
        "  sender-auth:domain: example.com",
        "  sender-auth:dkim:",
        "    keys:",
        "      s1:",
        "        secure: v1:azE=",
        "    selectors:",
        "      s1:",
        "        status: active",
        "  sender-auth:hosts:",
        "    - a",
        "    - b",
        "    - c",
        "  aws:region: us-east-1",
        "",
      ].join("\n"),
    );
    await demo.ok(["config", "rm", "--path", "dkim.keys.s1", "--stack", "demo"]);
    await demo.ok(["config", "rm", "--path", "hosts[1]", "--stack", "demo"]);
    await demo.ok(["config", "rm", "aws:region", "--stack", "demo"]);
    assert.deepEqual(demo.config(), {
      "sender-auth:domain": "example.com",
      "sender-auth:dkim": { keys: {}, selectors: { s1: { status: "active" } } },
      "sender-auth:hosts": ["a", "c"],
    });
    const before = demo.snapshot();
    for (const args of [
      // Without --path, "dkim.selectors" is a (missing) literal key.
      ["rm", "dkim.selectors"],
      ["rm", "--path", "missing.deep.path"],
      ["rm", "--path", "hosts[7]"],
    ]) {
      assert.equal(await demo.ok(["config", ...args, "--stack", "demo"]), "");
    }
    assert.deepEqual(demo.snapshot(), before);
    await demo.ok(["config", "rm", "--path", "dkim", "--stack", "demo"]);
    await demo.ok(["config", "rm-all", "domain", "hosts", "--stack", "demo"]);
    assert.deepEqual(demo.config(), {});
  });

  it("fails for an unknown stack with the real CLI's message and exit code 255, touching nothing", async () => {
    const demo = new Demo();
    const before = demo.snapshot();
    for (const args of [
      ["config", "set", "--secret", "--path", "dkim.keys.s1"],
      ["config", "set-all", "--plaintext", "a=b"],
      ["config", "get", "domain"],
      ["config", "rm", "domain"],
      ["config", "--json"],
    ]) {
      const result = await demo.run([...args, "--stack", "nope", "--non-interactive"], { stdin: PEM });
      assert.deepEqual(
        result,
        { code: 255, stdout: "", stderr: "error: no stack named 'nope' found\n" },
        args.join(" "),
      );
    }
    assert.deepEqual(demo.snapshot(), before);
  });

  it("fails without --stack like the real CLI with no stack selected", async () => {
    const demo = new Demo();
    const result = await demo.run(["config", "get", "domain", "--non-interactive"]);
    assert.deepEqual(result, {
      code: 255,
      stdout: "",
      stderr: "error: no stack selected; please use `pulumi stack select` to choose one\n",
    });
  });

  it("get of a missing key fails with exit code 255", async () => {
    const demo = new Demo("config:\n  sender-auth:domain: example.com\n  sender-auth:hosts: [a]\n");
    const cases: [string[], string][] = [
      [["sender-auth:nope"], "nope"],
      [["aws:region"], "aws:region"],
      [["--path", "dkim.keys.s1.privateKey"], "dkim.keys.s1.privateKey"],
      [["--path", "hosts[1]"], "hosts[1]"],
    ];
    for (const [args, pretty] of cases) {
      const result = await demo.run(["config", "get", ...args, "--stack", "demo"]);
      assert.deepEqual(
        result,
        { code: 255, stdout: "", stderr: `error: configuration key '${pretty}' not found for stack 'demo'\n` },
        args.join(" "),
      );
    }
  });

  it("keeps comments and all other content of the stack file", async () => {
    const original = [
      "# demo stack: comments must survive",
      "secretsprovider: passphrase",
      "encryptionsalt: v1:abc=",
      "config:",
      "  # the domain",
      "  sender-auth:domain: example.com # trailing",
      "  sender-auth:spf:",
      '    include: ["_spf.google.com", "sendgrid.net"]',
      "    all: softfail # soft for now",
      "  sender-auth:dkim:",
      "    selectors:",
      "      s1:",
      "        status: active",
      '        createdAt: "2026-11-02"',
      "# the end",
      "",
    ].join("\n");
    const demo = new Demo(original);
    await demo.ok(["config", "set", "domain", "example.org", "--stack", "demo"]);
    await demo.ok(["config", "set", "--path", "spf.all", "fail", "--stack", "demo"]);
    await demo.ok(["config", "set", "--path", "dkim.selectors.s2.status", "active", "--stack", "demo"]);
    await demo.ok(["config", "rm", "--path", "dkim.selectors.s1", "--stack", "demo"]);
    assert.equal(
      demo.text(),
      [
        "# demo stack: comments must survive",
        "secretsprovider: passphrase",
        "encryptionsalt: v1:abc=",
        "config:",
        "  # the domain",
        "  sender-auth:domain: example.org # trailing",
        "  sender-auth:spf:",
        '    include: ["_spf.google.com", "sendgrid.net"]',
        "    all: fail # soft for now",
        "  sender-auth:dkim:",
        "    selectors:",
        "      s2:",
        "        status: active",
        // The yaml library puts a blank line before a comment that ends the document.
        "",
        "# the end",
        "",
      ].join("\n"),
    );

    // The repository's example stack: a new selector is the only change.
    const example = readFileSync(path.join(REPO_STACKS_DIR, "Pulumi.example-com.yaml"), "utf8");
    const copy = new Demo(example);
    await copy.ok(["config", "set", "--path", "dkim.selectors.s202612a.status", "pending", "--stack", "demo"]);
    const after = copy.text();
    const added = "      s202612a:\n        status: pending\n";
    assert.ok(after.includes(added), after);
    assert.equal(after.replace(added, ""), example);

    // A stack file without config: gets one, after what is there.
    const bare = new Demo("# only a comment\nsecretsprovider: passphrase\n");
    await bare.ok(["config", "set", "domain", "example.net", "--stack", "demo"]);
    assert.equal(
      bare.text(),
      "# only a comment\nsecretsprovider: passphrase\nconfig:\n  sender-auth:domain: example.net\n",
    );
    const empty = new Demo("");
    await empty.ok(["config", "set", "--path", "dns.ttl", "60", "--stack", "demo"]);
    assert.equal(empty.text(), "config:\n  sender-auth:dns:\n    ttl: 60\n");
  });

  it("logs every invocation as a JSON line with argv, stdin and cwd", async () => {
    const demo = new Demo();
    const sub = path.join(demo.dir, "sub", "deeper");
    mkdirSync(sub, { recursive: true });
    await demo.ok(
      ["config", "set", "--secret", "--path", "dkim.keys.s1.privateKey", "--stack", "demo", "--non-interactive"],
      { stdin: PEM },
    );
    await demo.ok(["config", "get", "domain", "--stack", "demo"], { cwd: sub });
    const failed = await demo.run(["config", "get", "nope", "--stack", "demo"], { stdin: "ignored input" });
    assert.equal(failed.code, 255);
    assert.deepEqual(readPulumiLog(demo.log), [
      {
        argv: [
          "config",
          "set",
          "--secret",
          "--path",
          "dkim.keys.s1.privateKey",
          "--stack",
          "demo",
          "--non-interactive",
        ],
        stdin: PEM,
        cwd: demo.dir,
      },
      { argv: ["config", "get", "domain", "--stack", "demo"], stdin: "", cwd: sub },
      { argv: ["config", "get", "nope", "--stack", "demo"], stdin: "ignored input", cwd: demo.dir },
    ]);
    assert.deepEqual(readPulumiLog(path.join(demo.dir, "no-such.log")), []);
    // An empty FAKE_PULUMI_LOG logs nothing.
    const quiet = new Demo();
    await quiet.ok(["config", "get", "domain", "--stack", "demo"], { env: { FAKE_PULUMI_LOG: "" } });
    assert.deepEqual(readPulumiLog(quiet.log), []);
  });

  it("FAKE_PULUMI_FAIL=<command> fails every matching invocation, touching nothing", async () => {
    const demo = new Demo();
    const env = { FAKE_PULUMI_FAIL: "config set-all" };
    const before = demo.snapshot();
    const failed = await demo.run(["config", "set-all", "--plaintext", "a=b", "--stack", "demo"], { env });
    assert.deepEqual(failed, { code: 255, stdout: "", stderr: "error: injected failure\n" });
    // Even for a stack that does not exist: the injected failure comes first.
    const failedToo = await demo.run(["config", "set-all", "--plaintext", "a=b", "--stack", "nope"], { env });
    assert.deepEqual(failedToo, { code: 255, stdout: "", stderr: "error: injected failure\n" });
    assert.deepEqual(demo.snapshot(), before);
    // `config set` is another command.
    await demo.ok(["config", "set", "a", "b", "--stack", "demo"], { env });
    assert.equal(demo.config()["sender-auth:a"], "b");
    assert.equal(readPulumiLog(demo.log).length, 3);
  });

  it("FAKE_PULUMI_FAIL=<command>:<n> fails only the n-th matching invocation", async () => {
    const demo = new Demo();
    const env = { FAKE_PULUMI_FAIL: "config set:2" };
    await demo.ok(["config", "set", "one", "1", "--stack", "demo"], { env });
    await demo.ok(["config", "get", "one", "--stack", "demo"], { env });
    await demo.ok(["config", "set-all", "--plaintext", "other=0", "--stack", "demo"], { env });
    const before = demo.snapshot();
    const second = await demo.run(["config", "set", "--secret", "two", "--stack", "demo"], { env, stdin: PEM });
    assert.deepEqual(second, { code: 255, stdout: "", stderr: "error: injected failure\n" });
    assert.deepEqual(demo.snapshot(), before);
    await demo.ok(["config", "set", "three", "3", "--stack", "demo"], { env });
    assert.deepEqual(demo.config(), {
      "sender-auth:domain": "example.com",
      "sender-auth:one": "1",
      "sender-auth:other": "0",
      "sender-auth:three": "3",
    });
    assert.equal(readFileSync(`${demo.log}.count`, "utf8"), "3\n");
    assert.equal(readPulumiLog(demo.log)[3]?.stdin, PEM);
  });

  it("writes the stack file in place, as the real CLI's os.WriteFile does: a second hard link sees the change, a symbolic link is followed", async () => {
    const demo = new Demo();
    const hardLink = path.join(demo.dir, "second-name.yaml");
    linkSync(demo.stackFile, hardLink);
    await demo.ok(["config", "set", "a", "b", "--stack", "demo"]);
    assert.equal(readFileSync(hardLink, "utf8"), demo.text());
    const linked = new Demo();
    const target = path.join(linked.dir, "elsewhere.yaml");
    renameSync(linked.stackFile, target);
    symlinkSync(target, linked.stackFile);
    await linked.ok(["config", "set", "a", "b", "--stack", "demo"]);
    assert.ok(lstatSync(linked.stackFile).isSymbolicLink());
    assert.equal(readFileSync(target, "utf8"), `${DEFAULT_STACK}  sender-auth:a: b\n`);
  });

  it("FAKE_PULUMI_DISK_FULL=<command>[:<n>]: the file is truncated and only FAKE_PULUMI_DISK_FREE bytes (default half) of the new text written; the error is os.WriteFile's", async () => {
    const full = `${DEFAULT_STACK}  sender-auth:a: b\n`;
    const demo = new Demo();
    const failed = await demo.run(["config", "set", "a", "b", "--stack", "demo"], {
      env: { FAKE_PULUMI_DISK_FULL: "config set", FAKE_PULUMI_DISK_FREE: "10" },
    });
    assert.deepEqual(failed, {
      code: 255,
      stdout: "",
      stderr: `error: write ${demo.stackFile}: no space left on device\n`,
    });
    assert.equal(demo.text(), full.slice(0, 10));
    const half = new Demo();
    await half.run(["config", "set", "a", "b", "--stack", "demo"], { env: { FAKE_PULUMI_DISK_FULL: "config set" } });
    assert.equal(half.text(), full.slice(0, Math.floor(full.length / 2)));
    // Only the n-th matching invocation, counted apart from FAKE_PULUMI_FAIL.
    const nth = new Demo();
    const env = { FAKE_PULUMI_DISK_FULL: "config set:2", FAKE_PULUMI_DISK_FREE: "0" };
    await nth.ok(["config", "set", "a", "b", "--stack", "demo"], { env });
    const second = await nth.run(["config", "set", "c", "d", "--stack", "demo"], { env });
    assert.equal(second.code, 255);
    assert.equal(nth.text(), "");
    assert.equal(readFileSync(`${nth.log}.disk-full.count`, "utf8"), "2\n");
  });

  it("FAKE_PULUMI_HOLD=<command> holds the write, file untouched, with its pid in <FAKE_PULUMI_HOLD_FILE>.held, until the hold file exists; then <file>.written", async () => {
    const demo = new Demo();
    const gate = path.join(demo.dir, "release");
    const before = demo.snapshot();
    const running = demo.run(["config", "set", "a", "b", "--stack", "demo"], {
      env: { FAKE_PULUMI_HOLD: "config set", FAKE_PULUMI_HOLD_FILE: gate },
    });
    let held = "";
    while (!held.endsWith("\n")) {
      held = existsSync(`${gate}.held`) ? readFileSync(`${gate}.held`, "utf8") : "";
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(held, /^\d+\n$/);
    assert.deepEqual(demo.snapshot(), before, "nothing is written while held");
    writeFileSync(gate, "");
    assert.deepEqual(await running, { code: 0, stdout: "", stderr: "" });
    assert.equal(demo.config()["sender-auth:a"], "b");
    assert.equal(existsSync(`${gate}.written`), true, "a held write that wrote says so");
  });

  it("parses --stack like the diy backend's stack reference and checks the name like tokens.ParseStackName", async () => {
    const demo = new Demo();
    const cases: [string, string | undefined][] = [
      ["demo", undefined],
      ["organization/demo", undefined],
      ["organization/sender-auth/demo", undefined],
      ["acme/demo", "organization name must be 'organization'"],
      ["organization/other/demo", "no stack named 'organization/other/demo' found"],
      ["../../tmp/evil", "a stack name may not be empty"],
      [
        "de mo",
        "a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character ' ' at position 2",
      ],
      ["x".repeat(101), "a stack name cannot exceed 100 characters"],
    ];
    for (const [stack, problem] of cases) {
      const result = await demo.run(["config", "get", "domain", "--stack", stack]);
      assert.deepEqual(
        result,
        problem === undefined
          ? { code: 0, stdout: "example.com\n", stderr: "" }
          : { code: 255, stdout: "", stderr: `error: ${problem}\n` },
        stack,
      );
    }
  });

  it("finds Pulumi.yaml upward from the working directory or from -C/--cwd", async () => {
    const demo = new Demo();
    const deep = path.join(demo.dir, "a", "b");
    mkdirSync(deep, { recursive: true });
    assert.equal(await demo.ok(["config", "get", "domain", "--stack", "demo"], { cwd: deep }), "example.com\n");
    const elsewhere = tempDir("pulumi-stand-in-elsewhere-");
    assert.equal(
      await demo.ok(["-C", demo.dir, "config", "get", "domain", "--stack", "demo"], { cwd: elsewhere }),
      "example.com\n",
    );
    assert.equal(
      await demo.ok(["config", "get", "domain", "--cwd", deep, "--stack", "demo"], { cwd: elsewhere }),
      "example.com\n",
    );
    const none = await demo.run(["config", "get", "domain", "--stack", "demo"], { cwd: elsewhere });
    assert.equal(none.code, 255);
    assert.match(none.stderr, /^error: no Pulumi\.yaml project file found \(searching upwards from /);
    // stackConfigDir defaults to the project directory.
    const flat = tempDir("pulumi-stand-in-flat-");
    writeFileSync(path.join(flat, "Pulumi.yaml"), "name: flat\n");
    writeFileSync(path.join(flat, "Pulumi.dev.yaml"), "config:\n  flat:x: y\n");
    assert.equal(await demo.ok(["config", "get", "x", "-s", "dev"], { cwd: flat }), "y\n");
  });

  it("lists the stack's config, with project defaults, as JSON or a table", async () => {
    const demo = new Demo(
      `config:\n  sender-auth:domain: example.com\n  sender-auth:token:\n    secure: ${fakeEncrypt("t0k")}\n  sender-auth:dns:\n    ttl: 300\n    key:\n      secure: ${fakeEncrypt("k")}\n  sender-auth:list: [1, two]\n`,
      "name: sender-auth\nstackConfigDir: stacks\nconfig:\n  parked:\n    type: boolean\n    default: false\n  domain:\n    type: string\n",
    );
    const json: unknown = JSON.parse(await demo.ok(["config", "--json", "--stack", "demo", "--non-interactive"]));
    assert.deepEqual(json, {
      "sender-auth:dns": { secret: true },
      "sender-auth:domain": { value: "example.com", secret: false },
      "sender-auth:list": { value: '[1,"two"]', objectValue: [1, "two"], secret: false },
      "sender-auth:parked": { value: "false", secret: false },
      "sender-auth:token": { secret: true },
    });
    const shown: unknown = JSON.parse(await demo.ok(["config", "-j", "--show-secrets", "--stack", "demo"]));
    assert.deepEqual(field(shown, "sender-auth:token"), { value: "t0k", secret: true });
    assert.deepEqual(field(shown, "sender-auth:dns"), {
      value: '{"key":"k","ttl":300}',
      objectValue: { key: "k", ttl: 300 },
      secret: true,
    });
    assert.equal(
      await demo.ok(["config", "--stack", "demo"]),
      [
        "KEY     VALUE",
        'dns     {"key":"[secret]","ttl":300}',
        "domain  example.com",
        'list    [1,"two"]',
        "parked  false",
        "token   [secret]",
        "",
      ].join("\n"),
    );
    // Project defaults are seen by get too, as by the real CLI.
    assert.equal(await demo.ok(["config", "get", "parked", "--stack", "demo"]), "false\n");
    assert.deepEqual(JSON.parse(await demo.ok(["config", "get", "--json", "token", "--stack", "demo"])), {
      value: "t0k",
      secret: true,
    });
  });

  it("rejects unknown commands and flags, and ignores --non-interactive, --color and --emoji", async () => {
    const demo = new Demo();
    const before = demo.snapshot();
    for (const args of [
      ["stack", "ls"],
      ["config", "frobnicate", "--stack", "demo"],
      ["config", "set", "-x", "domain", "v", "--stack", "demo"],
      ["config", "set", "domain", "v", "--stack"],
    ]) {
      const result = await demo.run(args);
      assert.equal(result.code, 255, args.join(" "));
      assert.match(
        result.stderr,
        /^error: (unknown (command|flag|shorthand flag)|flag needs an argument)/,
        args.join(" "),
      );
      assert.equal(result.stdout, "");
    }
    assert.deepEqual(demo.snapshot(), before);
    const out = await demo.ok([
      "--color",
      "never",
      "config",
      "get",
      "domain",
      "--non-interactive",
      "--emoji",
      "--color=always",
      "-s",
      "demo",
    ]);
    assert.equal(out, "example.com\n");
  });

  it("serves cli/pulumiCli.ts", async () => {
    const demo = new Demo();
    const cli = pulumiCli(demo.dir, FAKE_PULUMI_BIN);
    await cli.checkStack("demo");
    await assert.rejects(cli.checkStack("nope"), /no stack named 'nope' found/);
    await cli.setSecret("demo", "dkim.keys.s1.privateKey", PEM);
    await cli.setPlain("demo", { "dkim.selectors.s1.status": "active", "dkim.selectors.s1.createdAt": "2026-11-02" });
    // Like the real CLI, one trailing newline of a value piped to `config set` is dropped.
    assert.equal(await cli.get("demo", "dkim.keys.s1.privateKey"), PEM.slice(0, -1));
    assert.equal(await cli.get("demo", "dkim.selectors.s1.status"), "active");
    assert.equal(await cli.get("demo", "dkim.keys.s9.privateKey"), undefined);
    await cli.remove("demo", "dkim.keys.s1");
    assert.equal(await cli.get("demo", "dkim.keys.s1.privateKey"), undefined);
    assert.deepEqual(demo.config()["sender-auth:dkim"], {
      keys: {},
      selectors: { s1: { status: "active", createdAt: "2026-11-02" } },
    });
  });
});
