/**
 * Hints that work (issue 12): in a project that keeps record snapshots (records/), the "next:" steps of
 * keygen and of every rotate step include `plan --write`, and following them in order — the
 * sender-auth commands as printed, `pulumi up` stood in for by a real BIND serving the stack's
 * `plan --format bind` zone — leaves `plan --check` passing after each one, through a whole rotation.
 * Right after the rotation finishes, `rotate` asks for --force instead of starting the next one.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { skipOrFailWithoutNamed, type BindServer } from "../../support/bind";
import { createTempProject, describeResult, runCli, type CliResult, type TempProject } from "../../support/cli";
import { fakeEncrypt, fakePulumiEnv } from "../../support/pulumiStandIn";
import { fixtureKey } from "../../support/fixtures";
import { servePlan } from "../../support/servePlan";

const STACK = "demo";
const DOMAIN = "example.test";
const ACTIVE = fixtureKey("rsa-2048");

const STACK_FILE = `config:
  sender-auth:domain: ${DOMAIN}
  sender-auth:dns:
    provider: cloudflare
    zoneId: 0123456789abcdef0123456789abcdef
    ttl: 300
  sender-auth:spf:
    ip4: ["192.0.2.10"]
    all: fail
  sender-auth:dkim:
    selectors:
      s202610a:
        status: active
        algorithm: rsa
        publicKey: ${ACTIVE.publicKey}
        privateKey:
          secure: ${fakeEncrypt(ACTIVE.privatePem)}
        createdAt: "2026-10-01"
  sender-auth:dmarc:
    policy: reject
    rua: ["mailto:dmarc@${DOMAIN}"]
`;

/** The numbered steps after `next:` in a command's stdout. */
function hints(stdout: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.indexOf("next:");
  assert.ok(start >= 0, `no "next:" in\n${stdout}`);
  const steps: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^ {2}\d+\. (.*)$/.exec(line);
    if (match === null) break;
    steps.push(match[1] ?? "");
  }
  return steps;
}

/** The commands a step names: `npx sender-auth …` and `pulumi up --stack …`, as printed. */
function commandsOf(step: string): string[] {
  return [...step.matchAll(/npx sender-auth [^;()]+?(?=$|;| \()|pulumi up --stack \S+/g)].map((m) => m[0]);
}

class Project {
  readonly temp: TempProject = createTempProject("sender-auth-next-steps-");
  now = "2026-11-28";
  server: BindServer | undefined;

  constructor() {
    this.temp.writeStack(STACK, STACK_FILE);
  }

  run(args: readonly string[]): Promise<CliResult> {
    return runCli(args, {
      cwd: this.temp.dir,
      env: fakePulumiEnv(path.join(this.temp.dir, "pulumi.log"), { SENDER_AUTH_NOW: this.now, NO_COLOR: "1" }),
    });
  }

  async ok(args: readonly string[]): Promise<CliResult> {
    const result = await this.run(args);
    assert.equal(result.code, 0, `sender-auth ${args.join(" ")}: ${describeResult(result)}`);
    return result;
  }

  /** `pulumi up`'s stand-in: BIND serves the stack's planned zone from now on. */
  async up(): Promise<void> {
    const zone = (await this.ok(["plan", STACK, "--format", "bind"])).stdout;
    await this.server?.stop();
    this.server = await servePlan(DOMAIN, zone);
  }

  /**
   * Follows `stdout`'s hints in order up to the next command that changes config (rotate), and returns
   * that command's arguments, not run; `undefined` when the hints end without one. Every command run
   * must exit 0.
   */
  async follow(stdout: string): Promise<string[] | undefined> {
    for (const step of hints(stdout)) {
      // "after 7 days (from 2026-12-05), revoke …": that day has come.
      const from = /\(from (\d{4}-\d{2}-\d{2})\)/.exec(step)?.[1];
      if (from !== undefined) this.now = from;
      for (const command of commandsOf(step)) {
        if (command.startsWith("pulumi up ")) {
          await this.up();
          continue;
        }
        const args = command.replace(/^npx sender-auth /, "").split(" ");
        if (args[0] === "rotate") {
          assert.ok(this.server, `rotate before any pulumi up: ${step}`);
          return [...args, "--resolver", `127.0.0.1:${this.server.port}`];
        }
        await this.ok(args);
      }
    }
    return undefined;
  }

  async remove(): Promise<void> {
    await this.server?.stop();
    this.temp.remove();
  }
}

describe("next: hints, followed in order, leave plan --check passing (issue 12)", { timeout: 240_000 }, () => {
  let project: Project | undefined;
  after(async () => {
    await project?.remove();
  });

  it("keygen, then every rotate step to the end of a rotation; then rotate asks for --force", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    project = new Project();
    await project.ok(["plan", "--write"]);
    await project.ok(["plan", "--check"]);

    const keygen = await project.ok(["keygen", STACK]);
    assert.deepEqual(hints(keygen.stdout), [
      `review: npx sender-auth plan ${STACK}`,
      `update the record snapshot: npx sender-auth plan --write ${STACK}`,
      `commit the stack file and records/${STACK}.zone and open a pull request`,
      `after review: pulumi up --stack ${STACK}`,
      `once DNS serves s202611a._domainkey.${DOMAIN} (wait at least the record TTL), make it active: npx sender-auth rotate ${STACK}`,
    ]);
    // Without the snapshot step CI's plan --check would fail here: the hint is what makes it pass.
    const stale = await project.run(["plan", "--check"]);
    assert.equal(stale.code, 1, describeResult(stale));

    const seen: string[] = [];
    let result: CliResult | undefined = keygen;
    while (result !== undefined) {
      assert.equal(result.code, 0, describeResult(result));
      seen.push(result.stdout.split("\n")[0] ?? "");
      const stdout: string = result.stdout;
      const next = await project.follow(stdout);
      // Everything the hints asked for before the next config change is done: the snapshots match.
      const check = await project.run(["plan", "--check"]);
      assert.equal(check.code, 0, `after following\n${stdout}\n${describeResult(check)}`);
      assert.equal(check.stdout, "records/ matches the config of 1 stack(s)\n");
      result = next === undefined ? undefined : await project.run(next);
    }
    assert.deepEqual(seen, [
      `added selector s202611a to stack ${STACK}: RSA 2048, status published, created 2026-11-28`,
      "rotate step 2 of 4: s202611a is served by DNS",
      "rotate step 3 of 4: s202610a was retired on 2026-11-28, at least 7 days ago",
      "rotate step 4 of 4: s202610a is revoked",
    ]);

    const again = await project.run(["rotate", STACK]);
    assert.equal(again.stdout, "");
    assert.equal(
      again.stderr,
      `error: a rotation of stack ${STACK} just finished on 2026-12-05: s202610a was removed and s202611a is the active key; it is 7 days old and due for rotation from 2027-05-28 (over sender-auth:dkim.maxKeyAgeDays (180)). Not starting a new rotation: npx sender-auth rotate ${STACK} --force starts one now anyway (step 1: a new selector, status published, beside s202611a)\n`,
    );
    assert.equal(again.code, 1);
  });
});
