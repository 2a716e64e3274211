/**
 * A full DKIM key rotation, end to end: one Cloudflare stack whose only key is an active rsa-2048
 * selector (TEST-ONLY fixture key, fake-encrypted in the stack file as the stand-in `pulumi` stores
 * secrets) goes through `sender-auth rotate` steps 1-4. At the start and after every step that
 * changes the stack, `sender-auth plan --format zone` is served by a fresh real BIND (standing in
 * for `pulumi up`), and mail is signed with whichever key is active (private keys read back from the
 * stack file) and verified by mailauth through that BIND.
 *
 * Step 2 checks DNS for real (`--resolver 127.0.0.1:<port>`, no --force): against the zone from
 * before step 1 it refuses, against the zone planned after step 1 it activates. A message signed
 * with the old key before the switch keeps passing while that key is retired and stops passing once
 * it is revoked; after step 4 its record is gone. Time moves across the 7-day overlap through
 * SENDER_AUTH_NOW.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { authenticate, type DNSResolver } from "mailauth";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { namedAvailable, skipOrFailWithoutNamed, startBind, type BindServer } from "../support/bind";
import { createTempProject, runCli, type CliResult, type TempProject } from "../support/cli";
import { fakeDecrypt, fakeEncrypt, fakePulumiEnv } from "../support/pulumiStandIn";
import { fixtureKey } from "../support/fixtures";
import { signMessage, verifyDkim } from "../support/mail";
import { isRecord } from "../../components/model";

const STACK = "rotation";
const DOMAIN = "rotation.test";
const OLD = "s202610a";
/** The selector step 1 derives from SENDER_AUTH_NOW (November 2026). */
const NEW = "s202611a";
const LISTED_IP = "192.0.2.10";
const UNLISTED_IP = "203.0.113.9";

const DAY_0 = "2026-11-28T09:00:00Z";
/** Six days after the switch: still inside the 7-day overlap. */
const DAY_6 = "2026-12-04T09:00:00Z";
/** Eight days after the switch: past it. */
const DAY_8 = "2026-12-06T09:00:00Z";

function initialStack(): string {
  const key = fixtureKey("rsa-2048");
  const config = {
    "sender-auth:domain": DOMAIN,
    "sender-auth:dns": { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef", ttl: 300 },
    "sender-auth:spf": { ip4: [LISTED_IP], all: "fail" },
    "sender-auth:dkim": {
      selectors: {
        [OLD]: {
          status: "active",
          algorithm: "rsa",
          publicKey: key.publicKey,
          createdAt: "2026-10-01",
          privateKey: { secure: fakeEncrypt(key.privatePem) },
        },
      },
    },
    "sender-auth:dmarc": { policy: "reject", rua: [`mailto:dmarc@${DOMAIN}`] },
  };
  return stringifyYaml({ config }, { lineWidth: 0 });
}

interface Selector {
  readonly status: unknown;
  readonly publicKey: unknown;
  /** The decrypted private key PEM, if the stack file holds one. */
  readonly privatePem: string | undefined;
}

let project: TempProject | undefined;
let server: BindServer | undefined;
/** Signed with the old key at the start, before anything rotated. */
let oldMessage: string | undefined;

function currentProject(): TempProject {
  assert.ok(project, "the before hook did not create the project");
  return project;
}

function currentServer(): BindServer {
  assert.ok(server, "no BIND is serving the zone");
  return server;
}

function stackText(): string {
  return readFileSync(path.join(currentProject().stacksDir, `Pulumi.${STACK}.yaml`), "utf8");
}

function selectors(): Map<string, Selector> {
  const doc: unknown = parseYaml(stackText());
  assert.ok(isRecord(doc) && isRecord(doc["config"]));
  const dkim = doc["config"]["sender-auth:dkim"];
  assert.ok(isRecord(dkim) && isRecord(dkim["selectors"]));
  return new Map(
    Object.entries(dkim["selectors"]).map(([name, entry]): [string, Selector] => {
      assert.ok(isRecord(entry));
      const secret = entry["privateKey"];
      const privatePem =
        isRecord(secret) && typeof secret["secure"] === "string" ? fakeDecrypt(secret["secure"]) : undefined;
      return [name, { status: entry["status"], publicKey: entry["publicKey"], privatePem }];
    }),
  );
}

function statuses(): Record<string, unknown> {
  return Object.fromEntries([...selectors()].map(([name, s]) => [name, s.status]));
}

/** The one active selector and its private key, read back from the stack file. */
function activeKey(): { readonly selector: string; readonly privatePem: string } {
  const active = [...selectors()].filter(([, s]) => s.status === "active");
  assert.equal(active.length, 1, `one active selector: ${JSON.stringify(statuses())}`);
  const [name, entry] = active[0] ?? ["", undefined];
  assert.ok(entry?.privatePem, `the private key of ${name} is in the stack file`);
  return { selector: name, privatePem: entry.privatePem };
}

async function cli(args: readonly string[], now: string): Promise<CliResult> {
  const dir = currentProject().dir;
  const result = await runCli(args, {
    cwd: dir,
    env: fakePulumiEnv(path.join(dir, "pulumi.log"), { SENDER_AUTH_NOW: now }),
    timeoutMs: 30_000,
  });
  assert.equal(result.signal, null, `${args.join(" ")} was killed`);
  return result;
}

/** Stands in for `pulumi up`: plans the stack as a zone and (re)starts BIND serving exactly that. */
async function serve(): Promise<string> {
  const plan = await cli(["plan", "--format", "zone", STACK], DAY_0);
  assert.equal(plan.stderr, "", "plan --format zone writes no warnings");
  assert.equal(plan.code, 0);
  assert.match(
    plan.stdout,
    new RegExp(`^; stack ${STACK}: cloudflare zone \\S+\\n\\$ORIGIN ${DOMAIN.replace(".", "\\.")}\\.\\n`),
  );
  const previous = server;
  server = undefined;
  await previous?.stop();
  server = await startBind([{ origin: DOMAIN, body: plan.stdout }]);
  return plan.stdout;
}

/** mailauth's resolver: BIND for the domain, NXDOMAIN for everything else (PTR lookups included). */
function resolver(): DNSResolver {
  const bind = currentServer();
  return ((name: string, rrtype: string) => {
    const lower = name.toLowerCase().replace(/\.$/, "");
    if (lower !== DOMAIN && !lower.endsWith(`.${DOMAIN}`)) {
      return Promise.reject(Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: "ENOTFOUND" }));
    }
    return bind.resolve(name, rrtype);
  }) as DNSResolver;
}

/** What BIND serves at `<selector>._domainkey`: the joined TXT values, or the error code. */
async function servedKey(selector: string): Promise<string[] | string> {
  try {
    return (await currentServer().resolver.resolveTxt(`${selector}._domainkey.${DOMAIN}`)).map((chunks) =>
      chunks.join(""),
    );
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/**
 * Mail signed now with the active key passes DKIM, and DMARC through DKIM alone (sent from an address
 * SPF fails, so only the signature can align).
 */
async function assertActiveKeySigns(expected: string): Promise<void> {
  const { selector, privatePem } = activeKey();
  assert.equal(selector, expected);
  const raw = await signMessage(DOMAIN, selector, privatePem, `signed by ${selector} at ${JSON.stringify(statuses())}`);
  assert.equal(await verifyDkim(raw, resolver()), "pass", `DKIM with the active key ${selector}`);
  const result = await authenticate(raw, {
    ip: UNLISTED_IP,
    helo: `mail.${DOMAIN}`,
    sender: `someone@${DOMAIN}`,
    mta: "mx.receiver.test",
    resolver: resolver(),
    disableArc: true,
    disableBimi: true,
  });
  assert.equal(result.spf && result.spf.status.result, "fail");
  assert.ok(result.dmarc, "DMARC was evaluated");
  assert.equal(
    result.dmarc.status.result,
    "pass",
    `DMARC passes through the ${selector} signature: ${result.dmarc.info}`,
  );
}

async function oldMessageResult(): Promise<string> {
  assert.ok(oldMessage, "the old message was signed at the start");
  return verifyDkim(oldMessage, resolver());
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

describe("a full DKIM key rotation against a real BIND serving the planned zone", { timeout: 120_000 }, () => {
  before(() => {
    if (!namedAvailable()) return;
    project = createTempProject("sender-auth-rotation-");
    project.writeStack(STACK, initialStack());
  });

  after(async () => {
    await server?.stop();
    project?.remove();
  });

  it(`start: ${OLD} active; mail signed with it passes DKIM and DMARC`, async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    await serve();
    assert.deepEqual(await servedKey(OLD), [`v=DKIM1; k=rsa; p=${fixtureKey("rsa-2048").publicKey}`]);
    await assertActiveKeySigns(OLD);
    const { privatePem } = activeKey();
    assert.equal(privatePem, fixtureKey("rsa-2048").privatePem);
    oldMessage = await signMessage(DOMAIN, OLD, privatePem, "signed by the old key before the switch");
    assert.equal(await oldMessageResult(), "pass");
  });

  it(`step 1: ${NEW} generated and published; ${OLD} still signs`, async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const staleServer = currentServer();
    const run = await cli(["rotate", STACK], DAY_0);
    assert.equal(run.stderr, "");
    assert.equal(firstLine(run.stdout), `rotate step 1 of 4: ${OLD} is active and nothing newer exists`);
    assert.equal(run.code, 0);
    assert.deepEqual(statuses(), { [OLD]: "active", [NEW]: "published" });
    const fresh = selectors().get(NEW);
    assert.ok(fresh?.privatePem && typeof fresh.publicKey === "string", `${NEW} has a key pair in the stack file`);

    // Before `pulumi up` DNS does not serve the new key yet: step 2 refuses through the real check.
    const early = await cli(["rotate", STACK, "--resolver", `127.0.0.1:${staleServer.port}`], DAY_0);
    assert.equal(early.stdout, "");
    assert.equal(
      early.stderr,
      [
        `error: refusing to activate ${NEW}: DNS does not serve its key yet`,
        `error: ${NEW}._domainkey.${DOMAIN}: no such name (NXDOMAIN)`,
        `error: run pulumi up --stack ${STACK}, wait 300 seconds (the record TTL), and try again (--force skips this check)`,
        "",
      ].join("\n"),
    );
    assert.equal(early.code, 1);
    assert.deepEqual(statuses(), { [OLD]: "active", [NEW]: "published" });

    await serve();
    assert.deepEqual(await servedKey(NEW), [`v=DKIM1; k=rsa; p=${fresh.publicKey}`]);
    await assertActiveKeySigns(OLD);
    assert.equal(await oldMessageResult(), "pass");
    // Published means the record is out there: the new key already verifies, before anyone signs with it.
    assert.equal(
      await verifyDkim(await signMessage(DOMAIN, NEW, fresh.privatePem, "published key"), resolver()),
      "pass",
    );
  });

  it(`step 2: DNS serves ${NEW} (checked through BIND, no --force) → ${NEW} active, ${OLD} retired; the old message still passes`, async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const run = await cli(["rotate", STACK, "--resolver", `127.0.0.1:${currentServer().port}`], DAY_0);
    assert.equal(run.stderr, "");
    assert.equal(firstLine(run.stdout), `rotate step 2 of 4: ${NEW} is served by DNS`);
    assert.match(run.stdout, new RegExp(`after 7 days \\(from 2026-12-05\\), revoke ${OLD}`));
    assert.equal(run.code, 0);
    assert.deepEqual(statuses(), { [OLD]: "retired", [NEW]: "active" });
    assert.match(stackText(), /retiredAt: "?2026-11-28"?\n/);

    await serve();
    assert.deepEqual(
      await servedKey(OLD),
      [`v=DKIM1; k=rsa; p=${fixtureKey("rsa-2048").publicKey}`],
      "a retired key stays published",
    );
    await assertActiveKeySigns(NEW);
    assert.equal(await oldMessageResult(), "pass", "mail signed before the switch still verifies");
  });

  it(`inside the overlap (day 6) revoking ${OLD} is refused; the old message still passes`, async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const before = stackText();
    const run = await cli(["rotate", STACK], DAY_6);
    assert.equal(run.stdout, "");
    assert.equal(
      run.stderr,
      `error: ${OLD} was retired on 2026-11-28; mail signed with it may still be in flight, so it can be revoked from 2026-12-05 (--overlap-days 7)\n`,
    );
    assert.equal(run.code, 1);
    assert.equal(stackText(), before);
    await assertActiveKeySigns(NEW);
    assert.equal(await oldMessageResult(), "pass");
  });

  it(`step 3 (day 8): ${OLD} revoked; the old message stops passing, the active key still signs`, async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const run = await cli(["rotate", STACK], DAY_8);
    assert.equal(run.stderr, "");
    assert.equal(firstLine(run.stdout), `rotate step 3 of 4: ${OLD} was retired on 2026-11-28, at least 7 days ago`);
    assert.equal(run.code, 0);
    assert.deepEqual(statuses(), { [OLD]: "revoked", [NEW]: "active" });

    await serve();
    assert.deepEqual(await servedKey(OLD), ["v=DKIM1; p="]);
    assert.notEqual(await oldMessageResult(), "pass", "a revoked key verifies nothing");
    await assertActiveKeySigns(NEW);
  });

  it(`step 4: ${OLD} removed, private key included; its record is gone`, async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const run = await cli(["rotate", STACK], DAY_8);
    assert.equal(run.stderr, "");
    assert.equal(firstLine(run.stdout), `rotate step 4 of 4: ${OLD} is revoked`);
    assert.match(
      run.stdout,
      new RegExp(
        `\\n  ${OLD}: removed from the stack config, private key included; its name stays in sender-auth:dkim\\.removedSelectors, never to be used again\\n`,
      ),
    );
    assert.equal(run.code, 0);
    assert.deepEqual(statuses(), { [NEW]: "active" });
    // Only its name is left, under removedSelectors (never bound to another key, issue #11).
    assert.equal(stackText().match(new RegExp(OLD, "g"))?.length, 1);
    assert.match(stackText(), new RegExp(`\\n    removedSelectors:\\n      ${OLD}: "?2026-12-06"?\\n`));

    const zone = await serve();
    assert.doesNotMatch(zone, new RegExp(OLD));
    assert.equal(await servedKey(OLD), "ENOTFOUND");
    assert.notEqual(await oldMessageResult(), "pass");
    await assertActiveKeySigns(NEW);
  });
});
