/**
 * README command sequences work as written and pass the project's own gates (issue 12). Each test takes
 * its commands, stack files and expected output from README.md itself and runs them in a temporary
 * project: `npx sender-auth` is this repository's binary (a one-line `npx` on PATH), `pulumi` is the
 * stand-in (test/support/pulumiStandInProgram.ts), `pulumi up` is a real BIND serving the stack's planned zone
 * (test/support/servePlan.ts), and "today" is pinned.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { chmodSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { isRecord } from "../../components/model";
import { skipOrFailWithoutNamed, type BindServer } from "../support/bind";
import {
  CLI_BIN,
  createTempProject,
  describeResult,
  REPO_ROOT,
  runProcess,
  type CliResult,
  type TempProject,
} from "../support/cli";
import { fakePulumiEnv } from "../support/pulumiStandIn";
import { servePlan } from "../support/servePlan";

const README = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** The text of the `## heading` section, up to the next `## `. */
function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README.md has no section "${heading}"`);
  const end = README.indexOf("\n## ", start + 4);
  return README.slice(start, end < 0 ? undefined : end);
}

/** The fenced blocks of `text` whose info string is `lang` ("" for none), in order. */
function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(/^```(\S*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === lang).map((m) => m[2] ?? "");
}

/** A block's command lines: comment lines and trailing `# …` comments removed, blank lines dropped. */
function commands(block: string): string[] {
  return block
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.replace(/\s+# .*$/, ""));
}

const projects: { temp: TempProject; server: BindServer | undefined }[] = [];
after(async () => {
  for (const project of projects) {
    await project.server?.stop();
    project.temp.remove();
  }
});

/** A project as a fresh clone has it (the example stacks and their snapshots, committed as origin/main), plus a shell. */
class Clone {
  readonly temp = createTempProject("sender-auth-readme-");
  readonly state: { temp: TempProject; server: BindServer | undefined } = { temp: this.temp, server: undefined };
  now = "2026-11-28";

  constructor() {
    projects.push(this.state);
    for (const stack of ["example-com", "example-org"]) this.temp.copyRepoStack(stack);
    cpSync(path.join(REPO_ROOT, "records"), path.join(this.temp.dir, "records"), { recursive: true });
    const shim = this.temp.subdir(".bin");
    // `npx sender-auth …` as in the README, run by this repository's binary and the running node.
    writeFileSync(
      path.join(shim, "npx"),
      `#!/bin/sh\n[ "$1" = sender-auth ] || { echo "npx: only sender-auth here" >&2; exit 127; }\nshift\nexec '${process.execPath}' '${CLI_BIN}' "$@"\n`,
    );
    chmodSync(path.join(shim, "npx"), 0o755);
    const git = (...args: string[]): void => {
      execFileSync("git", args, { cwd: this.temp.dir, stdio: "ignore" });
    };
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "clone");
    git("update-ref", "refs/remotes/origin/main", "HEAD");
  }

  get dir(): string {
    return this.temp.dir;
  }

  /** One README command line, in bash, in the project. */
  sh(line: string): Promise<CliResult> {
    const env = fakePulumiEnv(path.join(this.temp.dir, ".pulumi.log"), {
      SENDER_AUTH_NOW: this.now,
      NO_COLOR: "1",
    });
    env["PATH"] = `${path.join(this.temp.dir, ".bin")}${path.delimiter}${env["PATH"] ?? ""}`;
    return runProcess("bash", ["-c", line], { cwd: this.temp.dir, env });
  }

  async ok(line: string): Promise<CliResult> {
    const result = await this.sh(line);
    assert.equal(result.code, 0, `${line}\n${describeResult(result)}`);
    return result;
  }

  /** `pulumi up --stack <stack>`'s stand-in: BIND serves the stack's planned zone from now on. */
  async up(stack: string, domain: string): Promise<string> {
    const zone = (await this.ok(`npx sender-auth plan ${stack} --format bind`)).stdout;
    await this.state.server?.stop();
    this.state.server = await servePlan(domain, zone);
    return `127.0.0.1:${this.state.server.port}`;
  }
}

describe("README: Your first domain, as written", { timeout: 240_000 }, () => {
  it("the stack file and both command blocks pass every gate: plan, keygen, plan --write, plan --check, diff, then rotate, plan --write, export", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const text = section("Your first domain");
    const [stackFile] = blocks(text, "yaml");
    const [first, second] = blocks(text, "sh");
    assert.ok(stackFile !== undefined && first !== undefined && second !== undefined, text);
    const clone = new Clone();
    clone.temp.writeStack("example-net", stackFile);

    const ran: string[] = [];
    for (const line of commands(first)) {
      const result = await clone.ok(line);
      ran.push(line);
      if (/ keygen /.test(line)) {
        // The hint says what the next lines of the README do.
        assert.match(result.stdout, /\n {2}2\. update the record snapshot: npx sender-auth plan --write example-net\n/);
      }
      if (/ diff /.test(line)) assert.match(result.stdout, /example-net/);
    }
    assert.deepEqual(
      ran.map((line) => line.split(" ").slice(0, 3).join(" ")),
      [
        "npx sender-auth plan",
        "npx sender-auth keygen",
        "npx sender-auth plan",
        "npx sender-auth plan",
        "npx sender-auth diff",
      ],
    );

    // "Commit …, merge, pulumi up --stack example-net. Once DNS serves the key …"
    const resolver = await clone.up("example-net", "example.net");
    for (const line of commands(second)) {
      // The system resolver knows nothing of example.net here: rotate asks the BIND that stands in for DNS.
      const result = await clone.ok(/ rotate /.test(line) ? `${line} --resolver ${resolver}` : line);
      if (/ rotate /.test(line)) assert.match(result.stdout, /^rotate step 2 of 4: s202611a is served by DNS\n/);
      if (/ export /.test(line)) assert.match(result.stdout, /^-----BEGIN PRIVATE KEY-----\n/);
    }
    await clone.ok("npx sender-auth plan --check");
  });
});

describe("README: Coming from a hand-written setup, as written", { timeout: 240_000 }, () => {
  const text = section("Coming from a hand-written setup");
  const [handWritten, planned, phpmailer] = blocks(text, "");
  const [stackFile] = blocks(text, "yaml");
  const [importBlock] = blocks(text, "sh");

  it("the key the guide made with openssl is brought in by the commands shown, and plan prints exactly the output shown", async () => {
    assert.ok(stackFile !== undefined && importBlock !== undefined && planned !== undefined && phpmailer !== undefined);
    const clone = new Clone();
    clone.temp.writeStack("testtest-com", stackFile);
    // The guide's own step, which the section starts from.
    await clone.ok("openssl genrsa -out email.private 2048");
    const lines = commands(importBlock);
    const results: CliResult[] = [];
    for (const line of lines) results.push(await clone.ok(line));
    assert.equal(lines.at(-1), "npx sender-auth plan testtest-com");
    const plan = results.at(-1);
    assert.ok(plan);

    // The publicKey the commands stored is the p= value of the guide's key.
    const config = parseYaml(
      readFileSync(path.join(clone.temp.stacksDir, "Pulumi.testtest-com.yaml"), "utf8"),
    ) as unknown;
    assert.ok(isRecord(config) && isRecord(config["config"]));
    const dkim = config["config"]["sender-auth:dkim"];
    assert.ok(isRecord(dkim) && isRecord(dkim["selectors"]) && isRecord(dkim["selectors"]["email"]));
    const publicKey = dkim["selectors"]["email"]["publicKey"];
    const spki = createPublicKey(readFileSync(path.join(clone.dir, "email.private"))).export({
      type: "spki",
      format: "der",
    });
    assert.equal(publicKey, spki.toString("base64"));
    assert.ok(isRecord(dkim["selectors"]["email"]["privateKey"]), "the private key is stored as a secret");

    const shown = planned.replace("MIIBIjANBgkq…IDAQAB", spki.toString("base64"));
    const shownLines = shown.split("\n");
    assert.equal(plan.stderr, `${shownLines.filter((l) => l.startsWith("warning: ")).join("\n")}\n`);
    assert.equal(plan.stdout, shownLines.filter((l) => !l.startsWith("warning: ")).join("\n"));

    // The phpmailer block is a command and its output.
    const [prompt = "", ...expected] = phpmailer.split("\n");
    assert.ok(prompt.startsWith("$ npx sender-auth export "), phpmailer);
    const exported = await clone.ok(prompt.slice(2));
    assert.equal(exported.stdout, expected.join("\n"));
  });

  it("the planned records are the hand-written ones: SPF the same text, DMARC the same tags, DKIM the same key", () => {
    assert.ok(handWritten !== undefined && planned !== undefined);
    const txt = (block: string, name: string): string => {
      const line = block.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`  ${name} `));
      assert.ok(line !== undefined, `no ${name} in\n${block}`);
      return line;
    };
    const quoted = (line: string): string => /"(.*)"/.exec(line)?.[1] ?? "";
    const value = (line: string): string => /\s(v=\S.*)$/.exec(line)?.[1] ?? "";
    const tags = (record: string): Record<string, string> =>
      Object.fromEntries(
        record
          .split(";")
          .map((part) => part.trim())
          .filter((part) => part !== "")
          .map((part) => part.split("=").map((side) => side.trim()) as [string, string]),
      );
    assert.equal(value(txt(planned, "testtest.com")), quoted(txt(handWritten, "testtest.com.")));
    assert.deepEqual(
      tags(value(txt(planned, "_dmarc.testtest.com"))),
      tags(quoted(txt(handWritten, "_dmarc.testtest.com."))),
    );
    assert.equal(
      value(txt(planned, "email._domainkey.testtest.com")),
      quoted(txt(handWritten, "email._domainkey.testtest.com.")),
    );
  });

  it("the messages quoted for the guide's spellings are the ones validation prints", async () => {
    const clone = new Clone();
    clone.temp.writeStack(
      "guide",
      `config:
  sender-auth:domain: testtest.com
  sender-auth:dns: { provider: cloudflare, zoneId: 023e105f4ecef8ad9ca31a8372d0c353 }
  sender-auth:spf: { ip4: ["1.2.3.4"], all: "~all" }
  sender-auth:dmarc: { policy: quarantine, aspf: s }
`,
    );
    const result = await clone.sh("npx sender-auth plan guide");
    assert.equal(result.code, 1, describeResult(result));
    const quotedMessages = [...text.matchAll(/`(sender-auth:[^`\s]*: [^`]+)`/g)].map((m) =>
      (m[1] ?? "").replace(/\n/g, " "),
    );
    assert.equal(quotedMessages.length, 2, text);
    for (const message of quotedMessages) {
      assert.ok(result.stderr.includes(message), `${message}\nnot in\n${result.stderr}`);
    }
  });
});

describe("README: rotate, a full rotation of example-org, as written", { timeout: 300_000 }, () => {
  it("steps 3 and 4, the refusal right after (the error shown), then a whole rotation once the key is due", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const text = section("DKIM keys: keygen, rotate, export");
    const sh = blocks(text, "sh").find(
      (block) => block.includes("A full rotation") || block.startsWith("npx sender-auth rotate example-org        # 3"),
    );
    assert.ok(sh !== undefined, "no full-rotation block");
    const refusal = blocks(text, "").find((block) => block.startsWith("error: a rotation of stack example-org"));
    assert.ok(refusal !== undefined, "no refusal block");
    const clone = new Clone();
    const seen: string[] = [];
    for (const raw of sh.split("\n").filter((line) => line.trim() !== "")) {
      const comment = /^# (.*)$/.exec(raw)?.[1];
      if (comment !== undefined) {
        const day = /on or after (\d{4}-\d{2}-\d{2})/.exec(comment)?.[1];
        if (day !== undefined) clone.now = day;
        if (/^7 days later/.test(comment)) {
          clone.now = new Date(Date.parse(clone.now) + 7 * 86_400_000).toISOString().slice(0, 10);
        }
        continue;
      }
      const [line = "", note = ""] = raw.split(/\s+# /);
      const rotate = / rotate /.test(line);
      // Step 2 checks that DNS serves the new key: apply what the steps before changed, as pulumi up would.
      const resolver = rotate && note.startsWith("2:") ? await clone.up("example-org", "example.org") : undefined;
      const result = await clone.sh(resolver === undefined ? line : `${line} --resolver ${resolver}`);
      if (note.startsWith("refused")) {
        assert.equal(result.code, 1, describeResult(result));
        assert.equal(result.stderr, refusal);
        seen.push("refused");
        continue;
      }
      assert.equal(result.code, 0, `${line}\n${describeResult(result)}`);
      const step = /^(\d):/.exec(note)?.[1];
      if (rotate) {
        assert.ok(step !== undefined, raw);
        assert.match(result.stdout, new RegExp(`^rotate step ${step} of 4: `));
        seen.push(`${step} ${/^\d: (s\d+[a-z]+)/.exec(note)?.[1] ?? ""}`);
        const selector = /^\d: (s\d+[a-z]+)/.exec(note)?.[1];
        if (selector !== undefined) assert.ok(result.stdout.includes(selector), `${note}\n${result.stdout}`);
      }
    }
    assert.deepEqual(seen, [
      "3 s202609a",
      "4 s202609a",
      "refused",
      "1 s202705a",
      "2 s202705a",
      "3 s202611b",
      "4 s202611b",
    ]);
  });
});
