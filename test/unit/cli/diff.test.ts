/**
 * `sender-auth diff --base <git-ref>` end to end (issue #4): every test builds a throw-away git
 * repository holding a Pulumi project whose program is this repository's index.ts, commits a base,
 * changes the working tree (and/or commits a head), and spawns the real binary. Reports, exit codes and
 * stderr are compared exactly. Spawns are shared between tests (`once`) and run concurrently.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { inheritedEnv, REPO_ROOT, runCli, runCliInTerminal, type CliResult } from "../../support/cli";
import { fixtureKey } from "../../support/fixtures";

// ---------------------------------------------------------------------------------------------------
// Environment, git and temporary repositories.

const NOW = "2026-12-01T00:00:00Z";
const ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";
const RSA = fixtureKey("rsa-2048").publicKey;
const RSA_B = fixtureKey("rsa-2048-b").publicKey;
const RSA_C = fixtureKey("rsa-3072").publicKey;
const ED = fixtureKey("ed25519").publicKey;
const REFUSING = "error: refusing unsafe changes; rerun with --allow-unsafe once they are intended";

/** The test environment without git's own variables (a hook's GIT_DIR would redirect every command). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(inheritedEnv()).filter(([key]) => !key.startsWith("GIT_")));
  return { ...env, SENDER_AUTH_NOW: NOW };
}
const ENV = cleanEnv();

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", ...args], {
    cwd,
    env: ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const temporary: string[] = [];
after(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  temporary.push(dir);
  return dir;
}

/** Pulumi.yaml as createTempProject writes it: the repository's, with `main` relative to `dir`. */
function writeProjectFile(dir: string): void {
  const doc = parseYaml(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  doc["main"] = path.relative(dir, path.join(REPO_ROOT, "index.ts"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "Pulumi.yaml"), stringifyYaml(doc));
}

type Status = "active" | "published" | "retired" | "revoked";

interface SelectorSpec {
  readonly status: Status;
  readonly algorithm?: "rsa" | "ed25519";
  readonly publicKey?: string;
  readonly cname?: string;
}

/** One stack file, as TS objects (written with the `yaml` package). */
interface StackSpec {
  readonly domain: string;
  readonly ttl?: number | undefined;
  readonly zoneId?: string | undefined;
  readonly spf?: Readonly<Record<string, unknown>> | undefined;
  readonly dkim?: Readonly<Record<string, SelectorSpec>> | undefined;
  readonly dmarc?: Readonly<Record<string, unknown>> | undefined;
  readonly mtaSts?: Readonly<Record<string, unknown>> | undefined;
  readonly tlsRpt?: Readonly<Record<string, unknown>> | undefined;
  readonly bimi?: Readonly<Record<string, unknown>> | undefined;
}

function stackYaml(spec: StackSpec): string {
  const config: Record<string, unknown> = {
    "sender-auth:domain": spec.domain,
    "sender-auth:dns": { provider: "cloudflare", zoneId: spec.zoneId ?? ZONE_ID, ttl: spec.ttl ?? 3600 },
  };
  if (spec.spf) config["sender-auth:spf"] = spec.spf;
  if (spec.dkim) config["sender-auth:dkim"] = { selectors: spec.dkim };
  if (spec.dmarc) config["sender-auth:dmarc"] = spec.dmarc;
  if (spec.mtaSts) config["sender-auth:mtaSts"] = spec.mtaSts;
  if (spec.tlsRpt) config["sender-auth:tlsRpt"] = spec.tlsRpt;
  if (spec.bimi) config["sender-auth:bimi"] = spec.bimi;
  return stringifyYaml({ config });
}

class Repo {
  private constructor(
    /** The repository's top level. */
    readonly root: string,
    /** The project directory (holds Pulumi.yaml). */
    readonly dir: string,
  ) {}

  /** A new repository; the project lives in `projectSubdir` of it (default: the top level). */
  static create(projectSubdir = "", withProject = true): Repo {
    const root = tempDir("sender-auth-diff-");
    git(root, "init", "-q");
    git(root, "config", "user.email", "test@example.com");
    git(root, "config", "user.name", "Test");
    git(root, "config", "core.autocrlf", "false");
    const repo = new Repo(root, path.join(root, projectSubdir));
    if (withProject) repo.addProject();
    return repo;
  }

  addProject(): void {
    writeProjectFile(this.dir);
    mkdirSync(path.join(this.dir, "stacks"), { recursive: true });
  }

  stackFile(stack: string): string {
    return path.join(this.dir, "stacks", `Pulumi.${stack}.yaml`);
  }

  writeStack(stack: string, spec: StackSpec | undefined): void {
    if (spec === undefined) rmSync(this.stackFile(stack), { force: true });
    else writeFileSync(this.stackFile(stack), stackYaml(spec));
  }

  /** Commits everything; returns the commit. */
  commit(message: string): string {
    git(this.root, "add", "-A");
    git(this.root, "commit", "-q", "--allow-empty", "-m", message);
    return git(this.root, "rev-parse", "HEAD").trim();
  }

  diff(args: readonly string[], cwd = this.dir): Promise<CliResult> {
    return runCli(["diff", ...args], { cwd, env: ENV });
  }
}

function once<T>(start: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= start());
}

// ---------------------------------------------------------------------------------------------------
// Expected reports.

interface Change {
  readonly change: "added" | "removed" | "changed";
  readonly name: string;
  readonly type: "TXT" | "CNAME" | "MX";
  readonly before?: string;
  readonly after?: string;
}

const added = (name: string, type: Change["type"], after: string): Change => ({ change: "added", name, type, after });
const removed = (name: string, type: Change["type"], before: string): Change => ({
  change: "removed",
  name,
  type,
  before,
});
const changed = (name: string, type: Change["type"], before: string, after: string): Change => ({
  change: "changed",
  name,
  type,
  before,
  after,
});

/** A stack's two sides and what the diff must say about it. */
interface Case {
  readonly stack: string;
  readonly base: StackSpec | undefined;
  readonly head: StackSpec | undefined;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly records: readonly Change[];
  readonly meanings: readonly string[];
  /** The meanings (each also in `meanings`) flagged as weakening. @default [] */
  readonly weakening?: readonly string[];
  readonly unsafe: readonly string[];
}

const domainOf = (stack: string): string => `${stack}.example.com`;
const dkimName = (selector: string, domain: string): string => `${selector}._domainkey.${domain}`;
const dkimValue = (publicKey: string, algorithm = "rsa"): string => `v=DKIM1; k=${algorithm}; p=${publicKey}`;
const REVOKED = "v=DKIM1; p=";
const fingerprint = (publicKey: string): string =>
  createHash("sha256").update(Buffer.from(publicKey, "base64")).digest("hex").slice(0, 16);

const dmarcQ = (domain: string): Record<string, unknown> => ({ policy: "quarantine", rua: [`mailto:dmarc@${domain}`] });
const dmarcQValue = (domain: string): string => `v=DMARC1; p=quarantine; rua=mailto:dmarc@${domain}`;
const SIGNING: Readonly<Record<string, SelectorSpec>> = { s1: { status: "active", publicKey: RSA } };
const spfFail = { ip4: ["192.0.2.10"], all: "fail" };

/** A stack with SPF (ip4 192.0.2.10, -all), selector s1 active and DMARC quarantine, with overrides. */
function spec(stack: string, overrides: Partial<StackSpec> = {}): StackSpec {
  return { domain: domainOf(stack), spf: spfFail, dkim: SIGNING, dmarc: dmarcQ(domainOf(stack)), ...overrides };
}

function reportAuth(count: number, domain: string): string[] {
  return Array.from({ length: count }, (_, i) => `r${i + 1}.example.net`).map(
    (host) => `${host}._report._dmarc.${domain}`,
  );
}

/** The JSON form of a stack's diff. */
function jsonStack(c: Case): Record<string, unknown> {
  const domain = (c.head ?? c.base)?.domain;
  return {
    stack: c.stack,
    status: c.status,
    ...(domain === undefined ? {} : { domain }),
    records: c.records,
    meanings: c.meanings,
    weakening: c.weakening ?? [],
    unsafe: c.unsafe,
    errors: [],
  };
}

const code = (text: string): string => `\`${text}\``;

function row(change: Change): string {
  const value =
    change.change === "changed"
      ? `${code(change.before ?? "")} → ${code(change.after ?? "")}`
      : code(change.after ?? change.before ?? "");
  return `| ${change.change} | ${code(change.name)} | ${change.type} | ${value} |`;
}

/** Cases in the order of the report: by stack name, in code-unit order. */
const byStack = (cases: readonly Case[]): Case[] =>
  [...cases].sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0));

/** The pull-request comment: header, summary, one bullet per changed stack, unsafe block, folded details. */
function expectedMarkdown(ref: string, commit: string, cases: readonly Case[]): string {
  const changedCases = byStack(cases).filter((c) => c.status !== "unchanged");
  const count = (kind: Change["change"]): number =>
    changedCases.reduce((n, c) => n + c.records.filter((r) => r.change === kind).length, 0);
  const lines = [
    "<!-- sender-auth-diff -->",
    `### sender-auth: DNS changes against ${code(ref)} (${commit.slice(0, 12)})`,
    "",
  ];
  if (changedCases.length === 0) {
    lines.push(`No DNS record changes in ${cases.length} stack(s).`);
  } else {
    lines.push(
      `**${changedCases.length} of ${cases.length} stack(s) change**: ${count("added")} record(s) added, ${count("removed")} removed, ${count("changed")} changed.`,
      "",
    );
    for (const c of changedCases) {
      const domain = (c.head ?? c.base)?.domain;
      const title = `- **${c.stack}**${domain === undefined ? "" : ` (${domain})`}`;
      if (c.meanings.length === 0) lines.push(`${title}: record changes only`);
      else {
        lines.push(`${title}:`);
        for (const m of c.meanings) lines.push(`  - ${(c.weakening ?? []).includes(m) ? "⚠️ **weakens:** " : ""}${m}`);
      }
    }
  }
  const unsafe = changedCases.flatMap((c) => c.unsafe.map((reason) => `${c.stack}: ${reason}`));
  if (unsafe.length > 0) {
    lines.push(
      "",
      "> [!CAUTION]",
      `> **${unsafe.length} unsafe change(s)** — CI fails unless \`--allow-unsafe\`:`,
      ...unsafe.map((u) => `> - ${u}`),
    );
  }
  for (const c of changedCases) {
    lines.push("", `<details><summary>${c.stack}: ${c.records.length} record change(s)</summary>`, "");
    if (c.records.length === 0) lines.push("No record changes.");
    else lines.push("| change | name | type | value |", "| --- | --- | --- | --- |", ...c.records.map(row));
    lines.push("", "</details>");
  }
  return `${lines.join("\n")}\n`;
}

/** The lines of `text`, without the final newline's empty one. */
const linesOf = (text: string): string[] => (text === "" ? [] : text.replace(/\n$/, "").split("\n"));

interface JsonReport {
  readonly base: { readonly ref: string; readonly commit: string };
  readonly unsafe: boolean;
  readonly stacks: readonly Record<string, unknown>[];
  readonly errors: readonly string[];
  readonly notes?: readonly string[];
}

function parseReport(result: CliResult): JsonReport {
  return JSON.parse(result.stdout) as JsonReport;
}

function stackOf(report: JsonReport, stack: string): Record<string, unknown> {
  const found = report.stacks.find((s) => s["stack"] === stack);
  assert.ok(found, `no stack ${stack} in ${report.stacks.map((s) => String(s["stack"])).join(", ")}`);
  return found;
}

/** Builds a repository from cases: base commit, then the head sides written to the working tree. */
function repoFor(cases: readonly Case[]): { repo: Repo; base: string } {
  const repo = Repo.create();
  for (const c of cases) repo.writeStack(c.stack, c.base);
  const base = repo.commit("base");
  for (const c of cases) repo.writeStack(c.stack, c.head);
  return { repo, base };
}

// ---------------------------------------------------------------------------------------------------
// Safe changes: one repository, one stack per category of change.

/** What the "dmarc-weakens" case must say: SPF's all, then every DMARC tag (base tags first, then new ones). */
const DMARC_WEAKENS: readonly string[] = (() => {
  const d = domainOf("dmarc-weakens");
  return [
    "SPF all: fail (-all) → softfail (~all)",
    `DMARC p: quarantine → none: mail from ${d} that fails DMARC is now delivered as usual (no enforcement, reports only), not treated as suspicious (spam folder or quarantine)`,
    `DMARC sp: reject → quarantine: mail from subdomains of ${d} that fails DMARC is now treated as suspicious (spam folder or quarantine), not rejected`,
    `DMARC np: reject → (not set): mail from non-existent subdomains of ${d} that fails DMARC is now treated as suspicious (spam folder or quarantine), not rejected`,
    `DMARC adkim: s → r: relaxed DKIM alignment: a DKIM signature's d= domain now aligns when it shares ${d}'s organizational domain, not only when it is exactly ${d}`,
    `DMARC aspf: s → r: relaxed SPF alignment: the envelope sender (MAIL FROM) domain now aligns when it shares ${d}'s organizational domain, not only when it is exactly ${d}`,
    "DMARC fo: 1 → d:s: failure reports are now asked for when a DKIM signature fails to verify, or SPF fails (was: when either SPF or DKIM fails to produce an aligned pass)",
    `DMARC rua: mailto:dmarc@${d},mailto:ext@${d} → mailto:dmarc@${d}: aggregate reports no longer go to mailto:ext@${d}`,
    `DMARC ruf: mailto:f@${d} → (not set): no failure reports any more: nobody receives samples of failing mail`,
    "DMARC t: (not set) → y: testing mode on: receivers apply one level less than the policy (reject as quarantine, quarantine as none; RFC 9989)",
    "DMARC pct: (not set) → 50: the policy now applies to 50% of the mail that fails DMARC (was 100%); the rest gets the next weaker policy (RFC 7489 §6.6.4), and receivers following RFC 9989, which removed pct, ignore it",
  ];
})();

const SAFE: readonly Case[] = (() => {
  const d = domainOf;
  const includes = (...n: number[]): string[] => n.map((i) => `spf${i}.example.net`);
  return [
    {
      stack: "spf-ip4-fail",
      base: spec("spf-ip4-fail", { spf: { ip4: ["192.0.2.10", "1.2.3.4"], all: "fail" } }),
      head: spec("spf-ip4-fail", { spf: { ip4: ["192.0.2.10"], all: "fail" } }),
      status: "changed",
      records: [
        changed(d("spf-ip4-fail"), "TXT", "v=spf1 ip4:192.0.2.10 ip4:1.2.3.4 -all", "v=spf1 ip4:192.0.2.10 -all"),
      ],
      meanings: ["ip4:1.2.3.4 removed: mail from that host now fails SPF"],
      unsafe: [],
    },
    {
      // `all` left out means softfail; writing it explicitly on the head side is no change of `all`.
      stack: "spf-ip4-softfail",
      base: spec("spf-ip4-softfail", { spf: { ip4: ["192.0.2.10", "192.0.2.20"] } }),
      head: spec("spf-ip4-softfail", { spf: { ip4: ["192.0.2.10"], all: "softfail" } }),
      status: "changed",
      records: [
        changed(
          d("spf-ip4-softfail"),
          "TXT",
          "v=spf1 ip4:192.0.2.10 ip4:192.0.2.20 ~all",
          "v=spf1 ip4:192.0.2.10 ~all",
        ),
      ],
      meanings: ["ip4:192.0.2.20 removed: mail from that host now softfails SPF"],
      unsafe: [],
    },
    {
      stack: "spf-mechanisms-added",
      base: spec("spf-mechanisms-added"),
      head: spec("spf-mechanisms-added", {
        spf: {
          ip4: ["192.0.2.10", "198.51.100.0/24"],
          ip6: ["2001:db8::/32"],
          include: ["_spf.google.com"],
          all: "fail",
        },
      }),
      status: "changed",
      records: [
        changed(
          d("spf-mechanisms-added"),
          "TXT",
          "v=spf1 ip4:192.0.2.10 -all",
          "v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/24 ip6:2001:db8::/32 include:_spf.google.com -all",
        ),
      ],
      meanings: [
        "SPF lookups 0 → 1 of 10",
        "ip4:198.51.100.0/24 added: mail from that host now passes SPF",
        "ip6:2001:db8::/32 added: mail from that host now passes SPF",
        "include:_spf.google.com added: the hosts it lists now pass SPF",
      ],
      unsafe: [],
    },
    {
      stack: "spf-lookups",
      base: spec("spf-lookups", { spf: { a: true, mx: true, include: includes(1, 2, 3, 4, 5), all: "fail" } }),
      head: spec("spf-lookups", { spf: { a: true, mx: true, include: includes(1, 2, 3, 4, 6, 7, 8), all: "fail" } }),
      status: "changed",
      records: [
        changed(
          d("spf-lookups"),
          "TXT",
          `v=spf1 a mx ${includes(1, 2, 3, 4, 5)
            .map((h) => `include:${h}`)
            .join(" ")} -all`,
          `v=spf1 a mx ${includes(1, 2, 3, 4, 6, 7, 8)
            .map((h) => `include:${h}`)
            .join(" ")} -all`,
        ),
      ],
      meanings: [
        "SPF lookups 7 → 9 of 10",
        "include:spf5.example.net removed: mail from the hosts it lists now fails SPF",
        "include:spf6.example.net added: the hosts it lists now pass SPF",
        "include:spf7.example.net added: the hosts it lists now pass SPF",
        "include:spf8.example.net added: the hosts it lists now pass SPF",
      ],
      unsafe: [],
    },
    {
      stack: "spf-all",
      base: spec("spf-all", { spf: { ip4: ["192.0.2.10"], mx: true, all: "softfail" } }),
      head: spec("spf-all", { spf: { ip4: ["192.0.2.10"], all: "fail" } }),
      status: "changed",
      records: [changed(d("spf-all"), "TXT", "v=spf1 ip4:192.0.2.10 mx ~all", "v=spf1 ip4:192.0.2.10 -all")],
      meanings: [
        "SPF lookups 1 → 0 of 10",
        "mx removed: mail from the domain's MX hosts now fails SPF",
        "SPF all: softfail (~all) → fail (-all)",
      ],
      unsafe: [],
    },
    {
      stack: "spf-redirect",
      base: spec("spf-redirect", { spf: { include: ["_spf.mail.example.net"], all: "softfail" } }),
      head: spec("spf-redirect", { spf: { redirect: "_spf.example.net" } }),
      status: "changed",
      records: [
        changed(
          d("spf-redirect"),
          "TXT",
          "v=spf1 include:_spf.mail.example.net ~all",
          "v=spf1 redirect=_spf.example.net",
        ),
      ],
      meanings: [
        "include:_spf.mail.example.net removed: mail from the hosts it lists now falls through to redirect=_spf.example.net",
        "SPF all: softfail (~all) → redirect=_spf.example.net",
      ],
      unsafe: [],
    },
    {
      stack: "dkim-added-published",
      base: spec("dkim-added-published"),
      head: spec("dkim-added-published", {
        dkim: {
          ...SIGNING,
          s202611a: { status: "published", publicKey: RSA_B },
          s202611e: { status: "published", algorithm: "ed25519", publicKey: ED },
          sg1: { status: "published", cname: "sg1.domainkey.u1234.wl.sendgrid.net" },
        },
      }),
      status: "changed",
      records: [
        added(dkimName("s202611a", d("dkim-added-published")), "TXT", dkimValue(RSA_B)),
        added(dkimName("s202611e", d("dkim-added-published")), "TXT", dkimValue(ED, "ed25519")),
        added(dkimName("sg1", d("dkim-added-published")), "CNAME", "sg1.domainkey.u1234.wl.sendgrid.net"),
      ],
      meanings: [
        "DKIM s202611a added (rsa 2048, published)",
        "DKIM s202611e added (ed25519 256, published)",
        "DKIM sg1 added (cname sg1.domainkey.u1234.wl.sendgrid.net, published)",
      ],
      unsafe: [],
    },
    {
      stack: "dkim-status",
      base: spec("dkim-status", {
        dkim: {
          s202605a: { status: "retired", publicKey: RSA_C },
          s202608a: { status: "active", publicKey: RSA },
          s202611a: { status: "published", publicKey: RSA_B },
        },
      }),
      head: spec("dkim-status", {
        dkim: {
          s202605a: { status: "revoked" },
          s202608a: { status: "retired", publicKey: RSA },
          s202611a: { status: "active", publicKey: RSA_B },
        },
      }),
      status: "changed",
      records: [changed(dkimName("s202605a", d("dkim-status")), "TXT", dkimValue(RSA_C), REVOKED)],
      meanings: [
        "DKIM s202605a: retired → revoked",
        "DKIM s202608a: active → retired",
        "DKIM s202611a: published → active",
      ],
      unsafe: [],
    },
    {
      stack: "dkim-removed-revoked",
      base: spec("dkim-removed-revoked", { dkim: { ...SIGNING, s202605a: { status: "revoked" } } }),
      head: spec("dkim-removed-revoked"),
      status: "changed",
      records: [removed(dkimName("s202605a", d("dkim-removed-revoked")), "TXT", REVOKED)],
      meanings: ["DKIM s202605a removed (was revoked)"],
      unsafe: [],
    },
    {
      // The issue gates only active and published selectors that disappear.
      stack: "dkim-removed-retired",
      base: spec("dkim-removed-retired", { dkim: { ...SIGNING, s202605a: { status: "retired", publicKey: RSA_B } } }),
      head: spec("dkim-removed-retired"),
      status: "changed",
      records: [removed(dkimName("s202605a", d("dkim-removed-retired")), "TXT", dkimValue(RSA_B))],
      meanings: ["DKIM s202605a removed (was retired)"],
      unsafe: [],
    },
    {
      stack: "dkim-key-replaced",
      base: spec("dkim-key-replaced", { dkim: { ...SIGNING, sg1: { status: "active", cname: "sg1.a.example.net" } } }),
      head: spec("dkim-key-replaced", {
        dkim: { s1: { status: "active", publicKey: RSA_B }, sg1: { status: "active", cname: "sg1.b.example.net" } },
      }),
      status: "changed",
      records: [
        changed(dkimName("s1", d("dkim-key-replaced")), "TXT", dkimValue(RSA), dkimValue(RSA_B)),
        changed(dkimName("sg1", d("dkim-key-replaced")), "CNAME", "sg1.a.example.net", "sg1.b.example.net"),
      ],
      meanings: [
        `DKIM s1: key replaced (SHA-256 ${fingerprint(RSA)}… → ${fingerprint(RSA_B)}…); a new key should get a new selector (RFC 6376 §3.1)`,
        "DKIM sg1: cname sg1.a.example.net → sg1.b.example.net",
      ],
      unsafe: [],
    },
    {
      stack: "dmarc-tags",
      base: spec("dmarc-tags", {
        dmarc: { policy: "quarantine", alignmentSPF: "relaxed", rua: [`mailto:dmarc@${d("dmarc-tags")}`] },
      }),
      head: spec("dmarc-tags", {
        dmarc: {
          policy: "reject",
          subdomainPolicy: "quarantine",
          testing: true,
          alignmentDKIM: "strict",
          rua: [`mailto:dmarc@${d("dmarc-tags")}`, `mailto:reports@${d("dmarc-tags")}`],
        },
      }),
      status: "changed",
      records: [
        changed(
          `_dmarc.${d("dmarc-tags")}`,
          "TXT",
          `v=DMARC1; p=quarantine; aspf=r; rua=mailto:dmarc@${d("dmarc-tags")}`,
          `v=DMARC1; p=reject; sp=quarantine; t=y; adkim=s; rua=mailto:dmarc@${d("dmarc-tags")},mailto:reports@${d("dmarc-tags")}`,
        ),
      ],
      meanings: [
        `DMARC p: quarantine → reject: mail from ${d("dmarc-tags")} that fails DMARC is now rejected, not treated as suspicious (spam folder or quarantine)`,
        "DMARC aspf: r → (not set): no change in effect: alignment stays relaxed",
        `DMARC rua: mailto:dmarc@${d("dmarc-tags")} → mailto:dmarc@${d("dmarc-tags")},mailto:reports@${d("dmarc-tags")}: aggregate reports now also go to mailto:reports@${d("dmarc-tags")}`,
        `DMARC sp: (not set) → quarantine: no change in effect: mail from subdomains of ${d("dmarc-tags")} stays at quarantine (an absent sp means p)`,
        "DMARC t: (not set) → y: testing mode on: receivers apply one level less than the policy (reject as quarantine, quarantine as none; RFC 9989)",
        `DMARC adkim: (not set) → s: strict DKIM alignment: a DKIM signature's d= domain must be exactly ${d("dmarc-tags")}; mail where it is a subdomain or parent now fails this check`,
      ],
      weakening: [
        "DMARC t: (not set) → y: testing mode on: receivers apply one level less than the policy (reject as quarantine, quarantine as none; RFC 9989)",
      ],
      unsafe: [],
    },
    {
      stack: "dmarc-none-quarantine",
      base: spec("dmarc-none-quarantine", {
        dmarc: { policy: "none", rua: [`mailto:dmarc@${d("dmarc-none-quarantine")}`] },
      }),
      head: spec("dmarc-none-quarantine"),
      status: "changed",
      records: [
        changed(
          `_dmarc.${d("dmarc-none-quarantine")}`,
          "TXT",
          `v=DMARC1; p=none; rua=mailto:dmarc@${d("dmarc-none-quarantine")}`,
          dmarcQValue(d("dmarc-none-quarantine")),
        ),
      ],
      meanings: [
        `DMARC p: none → quarantine: mail from ${d("dmarc-none-quarantine")} and its subdomains (there is no sp) that fails DMARC is now treated as suspicious (spam folder or quarantine), not delivered as usual (no enforcement, reports only)`,
      ],
      unsafe: [],
    },
    {
      // Every DMARC tag weakened at once (and SPF's all): each change explained and flagged.
      stack: "dmarc-weakens",
      base: spec("dmarc-weakens", {
        dmarc: {
          policy: "quarantine",
          subdomainPolicy: "reject",
          nonexistentSubdomainPolicy: "reject",
          alignmentDKIM: "strict",
          alignmentSPF: "strict",
          failureOptions: ["1"],
          rua: [`mailto:dmarc@${d("dmarc-weakens")}`, `mailto:ext@${d("dmarc-weakens")}`],
          ruf: [`mailto:f@${d("dmarc-weakens")}`],
        },
      }),
      head: spec("dmarc-weakens", {
        spf: { ip4: ["192.0.2.10"], all: "softfail" },
        dmarc: {
          policy: "none",
          subdomainPolicy: "quarantine",
          testing: true,
          percent: 50,
          alignmentDKIM: "relaxed",
          alignmentSPF: "relaxed",
          failureOptions: ["d", "s"],
          rua: [`mailto:dmarc@${d("dmarc-weakens")}`],
        },
      }),
      status: "changed",
      records: [
        changed(
          `_dmarc.${d("dmarc-weakens")}`,
          "TXT",
          `v=DMARC1; p=quarantine; sp=reject; np=reject; adkim=s; aspf=s; fo=1; rua=mailto:dmarc@${d("dmarc-weakens")},mailto:ext@${d("dmarc-weakens")}; ruf=mailto:f@${d("dmarc-weakens")}`,
          `v=DMARC1; p=none; sp=quarantine; t=y; pct=50; adkim=r; aspf=r; fo=d:s; rua=mailto:dmarc@${d("dmarc-weakens")}`,
        ),
        changed(d("dmarc-weakens"), "TXT", "v=spf1 ip4:192.0.2.10 -all", "v=spf1 ip4:192.0.2.10 ~all"),
      ],
      meanings: DMARC_WEAKENS,
      weakening: DMARC_WEAKENS.filter((m) => !m.startsWith("DMARC fo:")),
      unsafe: [],
    },
    {
      // SPF, DMARC and 8 report authorisations = 10 records; 3 deleted is exactly 30%, not over it.
      stack: "deletes-30-percent",
      base: spec("deletes-30-percent", {
        dkim: undefined,
        dmarc: {
          ...dmarcQ(d("deletes-30-percent")),
          authorizeReportsFor: Array.from({ length: 8 }, (_, i) => `r${i + 1}.example.net`),
        },
      }),
      head: spec("deletes-30-percent", {
        dkim: undefined,
        dmarc: {
          ...dmarcQ(d("deletes-30-percent")),
          authorizeReportsFor: Array.from({ length: 5 }, (_, i) => `r${i + 1}.example.net`),
        },
      }),
      status: "changed",
      records: reportAuth(8, d("deletes-30-percent"))
        .slice(5)
        .map((name) => removed(name, "TXT", "v=DMARC1")),
      meanings: [],
      unsafe: [],
    },
    {
      stack: "new-stack",
      base: undefined,
      head: {
        domain: d("new-stack"),
        spf: { redirect: "_spf.example.net" },
        dkim: { s1: { status: "published", publicKey: RSA } },
        dmarc: { policy: "none", rua: [`mailto:dmarc@${d("new-stack")}`] },
      },
      status: "added",
      records: [
        added(`_dmarc.${d("new-stack")}`, "TXT", `v=DMARC1; p=none; rua=mailto:dmarc@${d("new-stack")}`),
        added(d("new-stack"), "TXT", "v=spf1 redirect=_spf.example.net"),
        added(dkimName("s1", d("new-stack")), "TXT", dkimValue(RSA)),
      ],
      meanings: [
        "new stack new-stack (new-stack.example.com)",
        "SPF record added: redirected",
        "DKIM s1 added (rsa 2048, published)",
        "DMARC record added: p=none",
      ],
      unsafe: [],
    },
    {
      stack: "unchanged",
      base: spec("unchanged"),
      head: spec("unchanged"),
      status: "unchanged",
      records: [],
      meanings: [],
      unsafe: [],
    },
  ];
})();

// ---------------------------------------------------------------------------------------------------
// Unsafe changes: one stack per gate.

const GATES: readonly Case[] = (() => {
  const d = domainOf;
  const overThirty = (count: number): Record<string, unknown> => ({
    ...dmarcQ(d("gate-deletes-over-30")),
    authorizeReportsFor: Array.from({ length: count }, (_, i) => `r${i + 1}.example.net`),
  });
  return [
    {
      stack: "gate-removed-active",
      base: spec("gate-removed-active", { dkim: { ...SIGNING, s2: { status: "active", publicKey: RSA_B } } }),
      head: spec("gate-removed-active"),
      status: "changed",
      records: [removed(dkimName("s2", d("gate-removed-active")), "TXT", dkimValue(RSA_B))],
      meanings: ["DKIM s2 removed (was active)"],
      unsafe: [
        "DKIM s2 was active and disappears without having been revoked first: mail signed with it fails DKIM at once; revoke it first (sender-auth rotate)",
      ],
    },
    {
      stack: "gate-removed-published",
      base: spec("gate-removed-published", { dkim: { ...SIGNING, s2: { status: "published", publicKey: RSA_B } } }),
      head: spec("gate-removed-published"),
      status: "changed",
      records: [removed(dkimName("s2", d("gate-removed-published")), "TXT", dkimValue(RSA_B))],
      meanings: ["DKIM s2 removed (was published)"],
      unsafe: [
        "DKIM s2 was published and disappears without having been revoked first: mail signed with it fails DKIM at once; revoke it first (sender-auth rotate)",
      ],
    },
    {
      stack: "gate-added-active",
      base: spec("gate-added-active"),
      head: spec("gate-added-active", { dkim: { ...SIGNING, s2: { status: "active", publicKey: RSA_B } } }),
      status: "changed",
      records: [added(dkimName("s2", d("gate-added-active")), "TXT", dkimValue(RSA_B))],
      meanings: ["DKIM s2 added (rsa 2048, active)"],
      unsafe: [
        "DKIM s2 is added as active: its key is not published yet, so mail signed with it fails DKIM until DNS serves it; add it as published and activate it in a later change (sender-auth rotate)",
      ],
    },
    {
      stack: "gate-dmarc-none-reject",
      base: spec("gate-dmarc-none-reject", {
        dmarc: { policy: "none", rua: [`mailto:dmarc@${d("gate-dmarc-none-reject")}`] },
      }),
      head: spec("gate-dmarc-none-reject", {
        dmarc: { policy: "reject", rua: [`mailto:dmarc@${d("gate-dmarc-none-reject")}`] },
      }),
      status: "changed",
      records: [
        changed(
          `_dmarc.${d("gate-dmarc-none-reject")}`,
          "TXT",
          `v=DMARC1; p=none; rua=mailto:dmarc@${d("gate-dmarc-none-reject")}`,
          `v=DMARC1; p=reject; rua=mailto:dmarc@${d("gate-dmarc-none-reject")}`,
        ),
      ],
      meanings: [
        `DMARC p: none → reject: mail from ${d("gate-dmarc-none-reject")} and its subdomains (there is no sp) that fails DMARC is now rejected, not delivered as usual (no enforcement, reports only)`,
      ],
      unsafe: [
        "DMARC p moves from none straight to reject: mail that fails authentication is rejected without a quarantine stage; go through quarantine (or testing: true) first",
      ],
    },
    {
      // SPF, DMARC and 11 report authorisations = 13 records; 4 deleted is 30.8%, just over 30%.
      stack: "gate-deletes-over-30",
      base: spec("gate-deletes-over-30", { dkim: undefined, dmarc: overThirty(11) }),
      head: spec("gate-deletes-over-30", { dkim: undefined, dmarc: overThirty(7) }),
      status: "changed",
      // Sorted by owner name: r10 and r11 before r8 and r9.
      records: [10, 11, 8, 9].map((i) =>
        removed(`r${i}.example.net._report._dmarc.${d("gate-deletes-over-30")}`, "TXT", "v=DMARC1"),
      ),
      meanings: [],
      unsafe: ["deletes 4 of 13 records (31%, over 30%)"],
    },
    {
      stack: "gate-signing-stops",
      base: spec("gate-signing-stops"),
      head: spec("gate-signing-stops", { dkim: { s1: { status: "published", publicKey: RSA } } }),
      status: "changed",
      records: [],
      meanings: ["DKIM s1: active → published"],
      unsafe: [
        "the domain signed mail (an active selector) and no longer does: its mail goes out unsigned and fails DMARC alignment through DKIM",
      ],
    },
    {
      // Deleting a stack file deletes all its records once it is destroyed: 100% of them.
      stack: "gate-stack-removed",
      base: { domain: d("gate-stack-removed"), dmarc: dmarcQ(d("gate-stack-removed")) },
      head: undefined,
      status: "removed",
      records: [removed(`_dmarc.${d("gate-stack-removed")}`, "TXT", dmarcQValue(d("gate-stack-removed")))],
      meanings: [
        "stack gate-stack-removed removed: its records stay in DNS until `pulumi destroy --stack gate-stack-removed`",
        "DMARC record removed: receivers apply no policy and send no reports",
      ],
      weakening: ["DMARC record removed: receivers apply no policy and send no reports"],
      unsafe: ["deletes 1 of 1 records (100%, over 30%)"],
    },
  ];
})();

// ---------------------------------------------------------------------------------------------------
// The newer families: MTA-STS, TLS-RPT and BIMI, one stack per kind of change, in one repository.

const NEWER: readonly Case[] = (() => {
  const d = domainOf;
  const stsName = (stack: string): string => `_mta-sts.${d(stack)}`;
  const tlsName = (stack: string): string => `_smtp._tls.${d(stack)}`;
  const bimiName = (selector: string, stack: string): string => `${selector}._bimi.${d(stack)}`;
  // Policy ids: the first 32 hex digits of the policy text's SHA-256 (RFC 8461 §3.1 allows any 1-32
  // alphanumerics); the text names no domain, so the same mode, mx and max_age give the same id.
  const testing = { mode: "testing", mx: ["mail.example.com"] };
  const enforce = { mode: "enforce", mx: ["mail.example.com"] };
  const ID_TESTING = "c0a762642c8ff96deabc4e74c1e5d657";
  const ID_ENFORCE = "a5963b31a082635c6ec668171482b14f";
  const serveFirst = (stack: string): string =>
    `serve the new policy (stack output mtaStsPolicy) at https://mta-sts.${d(stack)}/.well-known/mta-sts.txt ` +
    "before `pulumi up` publishes its id: a sender that sees a new id fetches the policy once and keeps what it got (RFC 8461 §8.1)";
  const ENFORCING =
    "senders deliver only over TLS they can authenticate, to MX hosts that match, and defer the mail otherwise";
  const A = "mailto:tls@example.com";
  const B = "https://r.example.net/tls";
  const L1 = "https://example.com/logo.svg";
  const L2 = "https://cdn.example.com/logo-2026.svg";
  const VMC = "https://example.com/vmc.pem";
  const replaced = `TLS-RPT rua: ${A} → ${B}: TLS reports no longer go to ${A}; TLS reports now also go to ${B}`;
  const tlsGone =
    "TLS-RPT record removed: nobody hears of failed TLS sessions (MTA-STS or certificate failures) any more";
  return [
    {
      stack: "sts-enforce",
      base: spec("sts-enforce", { mtaSts: testing, tlsRpt: { rua: [A] } }),
      head: spec("sts-enforce", { mtaSts: enforce, tlsRpt: { rua: [A] } }),
      status: "changed",
      records: [changed(stsName("sts-enforce"), "TXT", `v=STSv1; id=${ID_TESTING}`, `v=STSv1; id=${ID_ENFORCE}`)],
      meanings: [
        `MTA-STS mode: testing → enforce: ${ENFORCING}`,
        `MTA-STS policy id ${ID_TESTING} → ${ID_ENFORCE}: ${serveFirst("sts-enforce")}`,
      ],
      unsafe: [],
    },
    {
      stack: "sts-new",
      base: spec("sts-new"),
      head: spec("sts-new", { mtaSts: enforce }),
      status: "changed",
      records: [added(stsName("sts-new"), "TXT", `v=STSv1; id=${ID_ENFORCE}`)],
      meanings: [`MTA-STS added (mode enforce, max_age 604800 s): ${ENFORCING}; ${serveFirst("sts-new")}`],
      unsafe: [
        "MTA-STS starts in mode enforce: senders that cannot authenticate TLS to a listed MX host defer the mail " +
          "instead of delivering it; run mode testing first and read the TLS-RPT reports (RFC 8461 §5, RFC 8460)",
      ],
    },
    {
      stack: "tlsrpt-added",
      base: spec("tlsrpt-added"),
      head: spec("tlsrpt-added", { tlsRpt: { rua: [A, B] } }),
      status: "changed",
      records: [added(tlsName("tlsrpt-added"), "TXT", `v=TLSRPTv1; rua=${A},${B}`)],
      meanings: [
        `TLS-RPT record added: sending servers report failed TLS sessions to ${d("tlsrpt-added")}'s MX hosts to ${A}, ${B}`,
      ],
      unsafe: [],
    },
    {
      stack: "tlsrpt-gone",
      base: spec("tlsrpt-gone", { tlsRpt: { rua: [A] } }),
      head: spec("tlsrpt-gone"),
      status: "changed",
      records: [removed(tlsName("tlsrpt-gone"), "TXT", `v=TLSRPTv1; rua=${A}`)],
      meanings: [tlsGone],
      weakening: [tlsGone],
      unsafe: [],
    },
    {
      stack: "tlsrpt-moved",
      base: spec("tlsrpt-moved", { tlsRpt: { rua: [A] } }),
      head: spec("tlsrpt-moved", { tlsRpt: { rua: [B] } }),
      status: "changed",
      records: [changed(tlsName("tlsrpt-moved"), "TXT", `v=TLSRPTv1; rua=${A}`, `v=TLSRPTv1; rua=${B}`)],
      meanings: [replaced],
      weakening: [replaced],
      unsafe: [],
    },
    {
      stack: "bimi-added",
      base: spec("bimi-added"),
      head: spec("bimi-added", { bimi: { logo: L1 } }),
      status: "changed",
      records: [added(bimiName("default", "bimi-added"), "TXT", `v=BIMI1; l=${L1};`)],
      meanings: [
        `BIMI record added: receivers may show the logo ${L1} beside mail from ${d("bimi-added")}, without a certificate`,
      ],
      unsafe: [],
    },
    {
      stack: "bimi-logo",
      base: spec("bimi-logo", { bimi: { logo: L1, authority: VMC } }),
      head: spec("bimi-logo", { bimi: { logo: L2, authority: VMC } }),
      status: "changed",
      records: [
        changed(bimiName("default", "bimi-logo"), "TXT", `v=BIMI1; l=${L1}; a=${VMC}`, `v=BIMI1; l=${L2}; a=${VMC}`),
      ],
      meanings: [
        `BIMI l: ${L1} → ${L2}: receivers fetch and show the new logo; with a certificate (a=) it must be the logo the certificate holds, or they show none`,
      ],
      unsafe: [],
    },
    {
      stack: "bimi-selector",
      base: spec("bimi-selector", { bimi: { logo: L1 } }),
      head: spec("bimi-selector", { bimi: { selector: "brand2", logo: L1 } }),
      status: "changed",
      records: [
        // By name: brand2 sorts before default.
        added(bimiName("brand2", "bimi-selector"), "TXT", `v=BIMI1; l=${L1};`),
        removed(bimiName("default", "bimi-selector"), "TXT", `v=BIMI1; l=${L1};`),
      ],
      meanings: [
        `BIMI selector: default → brand2: the record moves to ${bimiName("brand2", "bimi-selector")}; receivers find it only for messages whose BIMI-Selector header names brand2`,
      ],
      unsafe: [],
    },
  ];
})();

const unsafeLines = (cases: readonly Case[], level: "error" | "warning"): string[] =>
  byStack(cases).flatMap((c) => c.unsafe.map((reason) => `${level}: unsafe: stack ${c.stack}: ${reason}`));

// ---------------------------------------------------------------------------------------------------
// Shared runs.

const runs = {
  safe: once(async () => {
    const { repo, base } = repoFor(SAFE);
    const [markdown, json] = await Promise.all([
      repo.diff(["--base", base]),
      repo.diff(["--base", base, "--format", "json"]),
    ]);
    return { base, markdown, json };
  }),
  /** The newer families: as a CI run sees them (Markdown, no --allow-unsafe), and as JSON with it. */
  newer: once(async () => {
    const { repo, base } = repoFor(NEWER);
    const [markdown, json] = await Promise.all([
      repo.diff(["--base", base]),
      repo.diff(["--base", base, "--format", "json", "--allow-unsafe"]),
    ]);
    return { base, markdown, json };
  }),
  /** Every gate in one repository, with --allow-unsafe; the base is a tag. */
  allowUnsafe: once(async () => {
    const { repo, base } = repoFor(GATES);
    git(repo.root, "tag", "reviewed");
    const [markdown, json] = await Promise.all([
      repo.diff(["--base", "reviewed", "--allow-unsafe"]),
      repo.diff(["--allow-unsafe", "--format=json", "--base=reviewed"]),
    ]);
    return { base, markdown, json };
  }),
};

// ---------------------------------------------------------------------------------------------------

describe(
  "sender-auth diff --base (real binary, temporary git repositories)",
  { concurrency: true, timeout: 180_000 },
  () => {
    describe("safe changes: exit 0, every category reported", { concurrency: true }, () => {
      it("exits 0 with nothing on stderr, and the Markdown is exactly summary, bullets, folded details", async () => {
        const { base, markdown } = await runs.safe();
        assert.equal(markdown.stderr, "");
        assert.equal(markdown.code, 0);
        assert.equal(markdown.stdout, expectedMarkdown(base, base, SAFE));
      });

      it("the JSON names the base ref and commit, says unsafe: false and lists every stack, unchanged ones too", async () => {
        const { base, json } = await runs.safe();
        assert.equal(json.code, 0, json.stderr);
        assert.equal(json.stderr, "");
        const report = parseReport(json);
        assert.deepEqual(report.base, { ref: base, commit: base });
        assert.equal(report.unsafe, false);
        assert.deepEqual(report.errors, []);
        assert.deepEqual(
          report.stacks.map((s) => s["stack"]),
          SAFE.map((c) => c.stack).sort(),
        );
      });

      for (const c of SAFE) {
        it(`${c.stack}: ${c.meanings.join("; ") || c.status}`, async () => {
          const { json, markdown } = await runs.safe();
          assert.deepEqual(stackOf(parseReport(json), c.stack), jsonStack(c));
          const lines = linesOf(markdown.stdout);
          const bullet = lines.filter((line) => line.startsWith(`- **${c.stack}**`));
          const details = lines.filter((line) => line.startsWith(`<details><summary>${c.stack}:`));
          if (c.status === "unchanged") {
            assert.deepEqual([bullet, details], [[], []], "an unchanged stack is left out of the comment");
          } else {
            assert.equal(bullet.length, 1);
            assert.equal(details.length, 1);
            for (const change of c.records) assert.ok(lines.includes(row(change)), `missing row ${row(change)}`);
          }
        });
      }
    });

    describe("safety gates: each one alone exits 1 with its reason", { concurrency: true }, () => {
      for (const gate of GATES) {
        it(`${gate.stack}: ${gate.unsafe.join("; ")}`, async () => {
          const { repo, base } = repoFor([gate]);
          const result = await repo.diff(["--base", "HEAD"]);
          assert.equal(result.code, 1, result.stderr);
          assert.deepEqual(linesOf(result.stderr), [...unsafeLines([gate], "error"), REFUSING]);
          assert.equal(result.stdout, expectedMarkdown("HEAD", base, [gate]));
        });
      }

      it("--allow-unsafe reports every gate as a warning and exits 0", async () => {
        const { base, markdown } = await runs.allowUnsafe();
        assert.equal(markdown.code, 0, markdown.stderr);
        assert.deepEqual(linesOf(markdown.stderr), unsafeLines(GATES, "warning"));
        assert.equal(markdown.stdout, expectedMarkdown("reviewed", base, GATES));
      });

      it("--allow-unsafe --format json says unsafe: true and gives each stack its reasons", async () => {
        const { base, json } = await runs.allowUnsafe();
        assert.equal(json.code, 0, json.stderr);
        assert.deepEqual(linesOf(json.stderr), unsafeLines(GATES, "warning"));
        const report = parseReport(json);
        assert.deepEqual(report, {
          base: { ref: "reviewed", commit: base },
          unsafe: true,
          stacks: byStack(GATES).map(jsonStack),
          errors: [],
          notes: [],
        });
      });

      it("signing → no active selector by revoking the only active one is a gate too", async () => {
        const { repo } = repoFor([
          {
            stack: "revokes",
            base: spec("revokes"),
            head: spec("revokes", { dkim: { s1: { status: "revoked" } } }),
            status: "changed",
            records: [],
            meanings: [],
            unsafe: [],
          },
        ]);
        const result = await repo.diff(["--base", "HEAD", "--format", "json"]);
        assert.equal(result.code, 1);
        assert.deepEqual(linesOf(result.stderr), [
          "error: unsafe: stack revokes: the domain signed mail (an active selector) and no longer does: its mail goes out unsigned and fails DMARC alignment through DKIM",
          REFUSING,
        ]);
        const stack = stackOf(parseReport(result), "revokes");
        assert.deepEqual(stack["meanings"], ["DKIM s1: active → revoked"]);
        assert.deepEqual(stack["records"], [
          changed(dkimName("s1", domainOf("revokes")), "TXT", dkimValue(RSA), REVOKED),
        ]);
      });
    });

    describe("repositories, refs and the working tree", { concurrency: true }, () => {
      it('an unchanged repository: "No DNS record changes", exit 0', async () => {
        const repo = Repo.create();
        repo.writeStack("one", spec("one"));
        repo.writeStack("two", spec("two", { dkim: undefined }));
        const commit = repo.commit("base");
        const result = await repo.diff(["--base", "HEAD"]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stderr, "");
        assert.equal(
          result.stdout,
          [
            "<!-- sender-auth-diff -->",
            `### sender-auth: DNS changes against \`HEAD\` (${commit.slice(0, 12)})`,
            "",
            "No DNS record changes in 2 stack(s).",
            "",
          ].join("\n"),
        );
      });

      it("an unknown --base ref exits 2 with a usage error and prints no report", async () => {
        const repo = Repo.create();
        repo.writeStack("one", spec("one"));
        repo.commit("base");
        const result = await repo.diff(["--base", "no-such-ref"]);
        assert.equal(result.code, 2);
        assert.equal(result.stdout, "");
        assert.equal(
          result.stderr,
          'error: --base "no-such-ref" is not a commit in this repository (fetch it first, e.g. git fetch origin main)\n',
        );
      });

      it("a project outside any git repository exits 2", async () => {
        const dir = tempDir("sender-auth-nogit-");
        writeProjectFile(dir);
        const result = await runCli(["diff", "--base", "HEAD"], {
          cwd: dir,
          env: { ...ENV, GIT_CEILING_DIRECTORIES: path.dirname(dir) },
        });
        assert.equal(result.code, 2);
        assert.equal(result.stdout, "");
        assert.equal(result.stderr, `error: ${dir} is not inside a git repository; --base needs one\n`);
      });

      it("an invalid head config exits 1 with its config errors; the other stacks are still diffed", async () => {
        const repo = Repo.create();
        repo.writeStack("bad", spec("bad"));
        repo.writeStack("good", spec("good"));
        repo.commit("base");
        repo.writeStack("bad", spec("bad", { dmarc: { policy: "rejectt" } }));
        repo.writeStack(
          "good",
          spec("good", { dmarc: { policy: "reject", rua: [`mailto:dmarc@${domainOf("good")}`] } }),
        );
        const result = await repo.diff(["--base", "HEAD"]);
        assert.equal(result.code, 1);
        const configError =
          'stack bad: sender-auth:dmarc.policy: is not an allowed value (got "rejectt"); allowed: none, quarantine, reject';
        assert.equal(linesOf(result.stderr)[0], `error: ${configError}`);
        const lines = linesOf(result.stdout);
        assert.deepEqual(lines.slice(-3), ["**Invalid configuration:**", "", `- ${configError}`]);
        const good = lines.indexOf("- **good** (good.example.com):");
        assert.deepEqual(lines.slice(good, good + 2), [
          "- **good** (good.example.com):",
          "  - DMARC p: quarantine → reject: mail from good.example.com and its subdomains (there is no sp) that fails DMARC is now rejected, not treated as suspicious (spam folder or quarantine)",
        ]);
      });

      it("a stack file the Pulumi CLI would read differently is an invalid side, head or base, named by key; the other stacks are still diffed", async () => {
        const repo = Repo.create();
        repo.writeStack("good", spec("good"));
        repo.writeStack("twice", spec("twice"));
        const twice = (): void => {
          // A bare `domain:` beside `sender-auth:domain:`: Pulumi would keep either at random.
          writeFileSync(repo.stackFile("twice"), `${stackYaml(spec("twice"))}  domain: other.example.com\n`);
        };
        twice();
        repo.commit("base");
        repo.writeStack(
          "good",
          spec("good", { dmarc: { policy: "reject", rua: [`mailto:dmarc@${domainOf("good")}`] } }),
        );
        const problem =
          'stack twice: sender-auth:domain: is set twice in the stack file, as "sender-auth:domain" and "domain": the Pulumi CLI reads these as one key and keeps one of the values at random; remove all but one; allowed: one spelling of each key, e.g. "sender-auth:domain"';
        const result = await repo.diff(["--base", "HEAD"]);
        assert.equal(result.code, 1);
        assert.deepEqual(linesOf(result.stderr), [`error: ${problem}`]);
        const lines = linesOf(result.stdout);
        const invalid = lines.indexOf("**Invalid configuration:**");
        assert.deepEqual(lines.slice(invalid, invalid + 3), ["**Invalid configuration:**", "", `- ${problem}`]);
        assert.deepEqual(lines.slice(-3), [
          "**Invalid configuration on the base side** (those stacks are not compared):",
          "",
          `- base: ${problem}`,
        ]);
        const good = lines.indexOf("- **good** (good.example.com):");
        assert.deepEqual(lines.slice(good, good + 2), [
          "- **good** (good.example.com):",
          "  - DMARC p: quarantine → reject: mail from good.example.com and its subdomains (there is no sp) that fails DMARC is now rejected, not treated as suspicious (spam folder or quarantine)",
        ]);
        // Fixed in the head: the base side is a note, as any invalid base config.
        repo.writeStack("twice", spec("twice"));
        const fixed = await repo.diff(["--base", "HEAD", "--format", "json"]);
        assert.equal(fixed.code, 0, fixed.stderr);
        assert.deepEqual((parseReport(fixed) as unknown as { notes: string[] }).notes, [`base: ${problem}`]);
      });

      it("a stack file's own problems and its config's problems are named together, each on its line, head and base", async () => {
        const repo = Repo.create();
        // A bare `domain:` beside `sender-auth:domain:` (the file's problem) and a misspelt policy (the config's).
        const both = (): void => {
          const text = stackYaml(spec("both", { dmarc: { policy: "rejectt" } }));
          writeFileSync(repo.stackFile("both"), `${text}  domain: other.example.com\n`);
        };
        both();
        repo.commit("base");
        // The file's problems first, as `plan` names them.
        const problems = [
          'stack both: sender-auth:domain: is set twice in the stack file, as "sender-auth:domain" and "domain": the Pulumi CLI reads these as one key and keeps one of the values at random; remove all but one; allowed: one spelling of each key, e.g. "sender-auth:domain"',
          'stack both: sender-auth:dmarc.policy: is not an allowed value (got "rejectt"); allowed: none, quarantine, reject',
        ];
        const result = await repo.diff(["--base", "HEAD", "--format", "json"]);
        assert.equal(result.code, 1);
        assert.deepEqual(
          linesOf(result.stderr),
          problems.map((p) => `error: ${p}`),
        );
        const report = parseReport(result) as unknown as { errors: string[]; notes: string[] };
        assert.deepEqual(report.errors, problems);
        assert.deepEqual(
          report.notes,
          problems.map((p) => `base: ${p}`),
        );
      });

      it("an invalid head config is not reported as deleting the stack's records", async () => {
        const repo = Repo.create();
        repo.writeStack("bad", spec("bad"));
        repo.commit("base");
        repo.writeStack("bad", spec("bad", { dmarc: { policy: "rejectt" } }));
        const result = await repo.diff(["--base", "HEAD"]);
        assert.equal(result.code, 1);
        assert.deepEqual(linesOf(result.stderr), [
          'error: stack bad: sender-auth:dmarc.policy: is not an allowed value (got "rejectt"); allowed: none, quarantine, reject',
        ]);
        assert.ok(!result.stdout.includes("| removed |"), result.stdout);
      });

      it("an invalid base config is reported as a note and not compared, so fixing it raises no gate", async () => {
        const repo = Repo.create();
        repo.writeStack("bad", spec("bad", { dmarc: { policy: "rejectt" } }));
        repo.commit("base");
        repo.writeStack("bad", spec("bad"));
        const result = await repo.diff(["--base", "HEAD", "--format", "json"]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stderr, "");
        const report = parseReport(result);
        assert.deepEqual(
          report.stacks.map((s) => [s["stack"], s["status"], s["records"], s["unsafe"]]),
          [["bad", "invalid", [], []]],
        );
        assert.deepEqual((report as unknown as { notes: string[] }).notes, [
          'base: stack bad: sender-auth:dmarc.policy: is not an allowed value (got "rejectt"); allowed: none, quarantine, reject',
        ]);
      });

      it("reads the base from git objects: working tree, index and HEAD untouched; uncommitted changes are the head side", async () => {
        const repo = Repo.create();
        repo.writeStack("x", spec("x"));
        repo.writeStack("y", spec("y"));
        const first = repo.commit("first");
        git(repo.root, "tag", "v1");
        repo.writeStack("y", spec("y", { dmarc: { policy: "reject", rua: [`mailto:dmarc@${domainOf("y")}`] } }));
        const second = repo.commit("second: y goes to reject");
        // Uncommitted: x gains an address (unstaged), z is a new untracked stack, w is staged.
        repo.writeStack("x", spec("x", { spf: { ip4: ["192.0.2.10", "192.0.2.11"], all: "fail" } }));
        repo.writeStack("z", { domain: domainOf("z"), dmarc: dmarcQ(domainOf("z")) });
        repo.writeStack("w", { domain: domainOf("w"), dmarc: dmarcQ(domainOf("w")) });
        git(repo.root, "add", "--", repo.stackFile("w"));

        const status = git(repo.root, "status", "--porcelain");
        const indexFile = path.join(repo.root, ".git", "index");
        const snapshot = (): string => {
          const files: string[] = [];
          const walk = (dir: string): void => {
            for (const entry of readdirSync(dir, { withFileTypes: true })) {
              const full = path.join(dir, entry.name);
              if (entry.isDirectory() && entry.name !== ".git") walk(full);
              else if (entry.isFile()) {
                files.push(
                  `${full} ${statSync(full).mtimeMs} ${createHash("sha256").update(readFileSync(full)).digest("hex")}`,
                );
              }
            }
          };
          walk(repo.root);
          const index = createHash("sha256").update(readFileSync(indexFile)).digest("hex");
          return [
            ...files.sort(),
            `index ${index} ${statSync(indexFile).mtimeMs}`,
            `HEAD ${git(repo.root, "rev-parse", "HEAD")}`,
          ].join("\n");
        };
        const before = snapshot();

        const [fromTag, fromHead] = await Promise.all([
          repo.diff(["--base", "v1", "--format", "json"]),
          repo.diff(["--base", "HEAD", "--format", "json"]),
        ]);

        assert.equal(snapshot(), before, "the diff must not touch the working tree, the index or HEAD");
        assert.equal(git(repo.root, "status", "--porcelain"), status);

        const newStack = (stack: string): Record<string, unknown> =>
          jsonStack({
            stack,
            base: undefined,
            head: { domain: domainOf(stack) },
            status: "added",
            records: [added(`_dmarc.${domainOf(stack)}`, "TXT", dmarcQValue(domainOf(stack)))],
            meanings: [`new stack ${stack} (${domainOf(stack)})`, "DMARC record added: p=quarantine"],
            unsafe: [],
          });
        const x = jsonStack({
          stack: "x",
          base: spec("x"),
          head: spec("x"),
          status: "changed",
          records: [
            changed(domainOf("x"), "TXT", "v=spf1 ip4:192.0.2.10 -all", "v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 -all"),
          ],
          meanings: ["ip4:192.0.2.11 added: mail from that host now passes SPF"],
          unsafe: [],
        });
        const yChanged = jsonStack({
          stack: "y",
          base: spec("y"),
          head: spec("y"),
          status: "changed",
          records: [
            changed(
              `_dmarc.${domainOf("y")}`,
              "TXT",
              dmarcQValue(domainOf("y")),
              `v=DMARC1; p=reject; rua=mailto:dmarc@${domainOf("y")}`,
            ),
          ],
          meanings: [
            "DMARC p: quarantine → reject: mail from y.example.com and its subdomains (there is no sp) that fails DMARC is now rejected, not treated as suspicious (spam folder or quarantine)",
          ],
          unsafe: [],
        });
        const yUnchanged = {
          stack: "y",
          status: "unchanged",
          domain: domainOf("y"),
          records: [],
          meanings: [],
          weakening: [],
          unsafe: [],
          errors: [],
        };

        assert.equal(fromTag.code, 0, fromTag.stderr);
        assert.equal(fromTag.stderr, "");
        assert.deepEqual(parseReport(fromTag), {
          base: { ref: "v1", commit: first },
          unsafe: false,
          stacks: [newStack("w"), x, yChanged, newStack("z")],
          errors: [],
          notes: [],
        });
        assert.equal(fromHead.code, 0, fromHead.stderr);
        assert.deepEqual(parseReport(fromHead), {
          base: { ref: "HEAD", commit: second },
          unsafe: false,
          stacks: [newStack("w"), x, yUnchanged, newStack("z")],
          errors: [],
          notes: [],
        });
      });

      it("a committed head diffs against an older base ref (HEAD~1) when the working tree is clean", async () => {
        const repo = Repo.create();
        repo.writeStack("x", spec("x"));
        const first = repo.commit("base");
        repo.writeStack("x", spec("x", { spf: { ip4: [], all: "fail" } }));
        repo.commit("head");
        const result = await repo.diff(["--base", "HEAD~1", "--format", "json"]);
        assert.equal(result.code, 0, result.stderr);
        const report = parseReport(result);
        assert.deepEqual(report.base, { ref: "HEAD~1", commit: first });
        assert.deepEqual(stackOf(report, "x")["meanings"], [
          "ip4:192.0.2.10 removed: mail from that host now fails SPF",
        ]);
      });

      it("a project in a subdirectory of the repository reads its own base files (git prefix), also when run from below it", async () => {
        const repo = Repo.create(path.join("infra", "dns"));
        // A decoy project at the top level, with a stack of its own: must never be read.
        writeProjectFile(repo.root);
        mkdirSync(path.join(repo.root, "stacks"));
        writeFileSync(path.join(repo.root, "stacks", "Pulumi.decoy.yaml"), stackYaml(spec("decoy")));
        repo.writeStack("x", spec("x"));
        const base = repo.commit("base");
        repo.writeStack("x", spec("x", { dmarc: { policy: "reject", rua: [`mailto:dmarc@${domainOf("x")}`] } }));
        const result = await repo.diff(["--base", base, "--format", "json"], path.join(repo.dir, "stacks"));
        assert.equal(result.code, 0, result.stderr);
        const report = parseReport(result);
        assert.deepEqual(
          report.stacks.map((s) => [s["stack"], s["status"], s["meanings"]]),
          [
            [
              "x",
              "changed",
              [
                "DMARC p: quarantine → reject: mail from x.example.com and its subdomains (there is no sp) that fails DMARC is now rejected, not treated as suspicious (spam folder or quarantine)",
              ],
            ],
          ],
        );
      });

      it("a project under a directory with a non-ASCII name finds its base stacks", async () => {
        const repo = Repo.create("dnsë");
        repo.writeStack("x", spec("x"));
        repo.commit("base");
        const result = await repo.diff(["--base", "HEAD", "--format", "json"]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(
          parseReport(result).stacks.map((s) => [s["stack"], s["status"]]),
          [["x", "unchanged"]],
        );
      });

      it("a base whose Pulumi.yaml points stackConfigDir outside the project is refused (exit 1), not read and not an internal error", async () => {
        const repo = Repo.create();
        repo.writeStack("a", { domain: domainOf("a"), dmarc: dmarcQ(domainOf("a")) });
        const projectFile = path.join(repo.dir, "Pulumi.yaml");
        const good = readFileSync(projectFile, "utf8");
        writeFileSync(projectFile, good.replace(/^stackConfigDir: .*$/m, "stackConfigDir: ../../../../etc"));
        const base = repo.commit("hostile base");
        writeFileSync(projectFile, good);
        const result = await repo.diff(["--base", base]);
        assert.deepEqual(result, {
          code: 1,
          signal: null,
          stdout: "",
          stderr: `error: ${base.slice(0, 12)}:Pulumi.yaml: stackConfigDir "../../../../etc" is outside the project directory; it must be a relative path inside the project, such as stacks\n`,
        });
      });

      it("a base stack file committed as a symbolic link is not read: a note, its side not compared", async () => {
        const repo = Repo.create();
        repo.writeStack("a", { domain: domainOf("a"), dmarc: dmarcQ(domainOf("a")) });
        symlinkSync("/etc/passwd", repo.stackFile("b"));
        const base = repo.commit("base with a link");
        rmSync(repo.stackFile("b"));
        repo.writeStack("b", { domain: domainOf("b"), dmarc: dmarcQ(domainOf("b")) });
        const result = await repo.diff(["--base", base, "--format", "json"]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(parseReport(result).notes, [
          `base: ${base.slice(0, 12)}:stacks/Pulumi.b.yaml: is a symbolic link in that commit; sender-auth reads only regular files`,
        ]);
      });

      it("a base revision without Pulumi.yaml means every stack is new", async () => {
        const repo = Repo.create("", false);
        writeFileSync(path.join(repo.root, "README.md"), "# DNS\n");
        const base = repo.commit("before sender-auth");
        repo.addProject();
        repo.writeStack("a", { domain: domainOf("a"), dmarc: dmarcQ(domainOf("a")) });
        repo.writeStack("b", { domain: domainOf("b"), spf: { redirect: "_spf.example.net" } });
        const result = await repo.diff(["--base", base, "--format", "json"]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(parseReport(result), {
          base: { ref: base, commit: base },
          unsafe: false,
          stacks: [
            jsonStack({
              stack: "a",
              base: undefined,
              head: { domain: domainOf("a") },
              status: "added",
              records: [added(`_dmarc.${domainOf("a")}`, "TXT", dmarcQValue(domainOf("a")))],
              meanings: [`new stack a (${domainOf("a")})`, "DMARC record added: p=quarantine"],
              unsafe: [],
            }),
            jsonStack({
              stack: "b",
              base: undefined,
              head: { domain: domainOf("b") },
              status: "added",
              records: [added(domainOf("b"), "TXT", "v=spf1 redirect=_spf.example.net")],
              meanings: [`new stack b (${domainOf("b")})`, "SPF record added: redirected"],
              unsafe: [],
            }),
          ],
          errors: [],
          notes: [],
        });
      });
    });

    describe(
      "terminal review: --format text, the default on a terminal, coloured only there",
      { concurrency: true },
      () => {
        /** A repository whose head weakens DMARC on one stack and adds an active selector (unsafe) on another. */
        let built: { repo: Repo; base: string } | undefined;
        const review = (): { repo: Repo; base: string } => (built ??= build());
        const build = (): { repo: Repo; base: string } => {
          const repo = Repo.create();
          repo.writeStack("weak", spec("weak"));
          repo.writeStack("gate", spec("gate"));
          const base = repo.commit("base");
          repo.writeStack("weak", spec("weak", { dmarc: { policy: "none" } }));
          repo.writeStack("gate", spec("gate", { dkim: { ...SIGNING, s2: { status: "active", publicKey: RSA_B } } }));
          return { repo, base };
        };
        const plain = (base: string): string =>
          [
            `sender-auth: DNS changes against HEAD (${base.slice(0, 12)})`,
            "2 of 2 stack(s) change: 1 record(s) added, 0 removed, 1 changed.",
            "",
            "gate (gate.example.com)",
            "  - DKIM s2 added (rsa 2048, active)",
            "  X unsafe: DKIM s2 is added as active: its key is not published yet, so mail signed with it fails DKIM until DNS serves it; add it as published and activate it in a later change (sender-auth rotate)",
            "  records:",
            `    + s2._domainkey.gate.example.com TXT ${dkimValue(RSA_B)}`,
            "",
            "weak (weak.example.com)",
            "  ! weakens: DMARC p: quarantine → none: mail from weak.example.com and its subdomains (there is no sp) that fails DMARC is now delivered as usual (no enforcement, reports only), not treated as suspicious (spam folder or quarantine)",
            "  ! weakens: DMARC rua: mailto:dmarc@weak.example.com → (not set): no aggregate reports any more: failures and forgeries of the domain go unseen",
            "  records:",
            "    ~ _dmarc.weak.example.com TXT",
            "        - v=DMARC1; p=quarantine; rua=mailto:dmarc@weak.example.com",
            "        + v=DMARC1; p=none",
            "",
          ].join("\n");
        const stderr = [
          "error: unsafe: stack gate: DKIM s2 is added as active: its key is not published yet, so mail signed with it fails DKIM until DNS serves it; add it as published and activate it in a later change (sender-auth rotate)",
          REFUSING,
        ];
        // eslint-disable-next-line no-control-regex -- SGR sequences are what is removed
        const stripSgr = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "");

        /** The diff in a pseudo-terminal: stdout and stderr both arrive on its one stream. */
        const inTerminal = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> =>
          runCliInTerminal(["diff", "--base", "HEAD", ...args], { cwd: review().repo.dir, env });
        const withoutColourEnv = (): NodeJS.ProcessEnv => {
          const env = { ...ENV };
          delete env["NO_COLOR"];
          delete env["FORCE_COLOR"];
          delete env["TERM"];
          return env;
        };

        it("--format text off a terminal: the plain report, no escape codes", async () => {
          const { repo, base } = review();
          const result = await runCli(["diff", "--base", "HEAD", "--format", "text"], {
            cwd: repo.dir,
            env: withoutColourEnv(),
          });
          assert.equal(result.code, 1);
          assert.equal(result.stdout, plain(base));
          assert.deepEqual(linesOf(result.stderr), stderr);
        });

        it("on a terminal without --format: text, coloured (weakening yellow, unsafe and removed red, added green)", async () => {
          const { base } = review();
          const result = await inTerminal(withoutColourEnv());
          assert.equal(result.code, 1);
          const report = plain(base);
          assert.equal(stripSgr(result.stdout), `${report}${stderr.join("\n")}\n`);
          const lines = result.stdout.split("\n");
          assert.equal(lines[0], `\u001b[1msender-auth: DNS changes against HEAD (${base.slice(0, 12)})\u001b[22m`);
          assert.ok(
            lines.includes(
              "\u001b[33m  ! \u001b[1mweakens:\u001b[22m DMARC p: quarantine → none: mail from weak.example.com and its subdomains (there is no sp) that fails DMARC is now delivered as usual (no enforcement, reports only), not treated as suspicious (spam folder or quarantine)\u001b[39m",
            ),
            result.stdout,
          );
          assert.ok(
            lines.includes(
              `\u001b[31m  X \u001b[1munsafe:\u001b[22m ${stderr[0]?.slice("error: unsafe: stack gate: ".length) ?? ""}\u001b[39m`,
            ),
          );
          assert.ok(lines.includes(`\u001b[32m    + s2._domainkey.gate.example.com TXT ${dkimValue(RSA_B)}\u001b[39m`));
          assert.ok(
            lines.includes("\u001b[31m        - v=DMARC1; p=quarantine; rua=mailto:dmarc@weak.example.com\u001b[39m"),
          );
        });

        it("on a terminal with NO_COLOR=1, or FORCE_COLOR=0, or TERM=dumb: text without colour", async () => {
          const { base } = review();
          for (const extra of [{ NO_COLOR: "1" }, { FORCE_COLOR: "0" }, { TERM: "dumb" }]) {
            const result = await inTerminal({ ...withoutColourEnv(), ...extra });
            assert.equal(result.stdout, `${plain(base)}${stderr.join("\n")}\n`, JSON.stringify(extra));
          }
        });

        it("NO_COLOR set but empty does not turn colour off (no-color.org); FORCE_COLOR=1 colours even off a terminal", async () => {
          const { repo, base } = review();
          const onTerminal = await inTerminal({ ...withoutColourEnv(), NO_COLOR: "" });
          assert.ok(onTerminal.stdout.startsWith("\u001b[1msender-auth: DNS changes"), onTerminal.stdout);
          const forced = await runCli(["diff", "--base", "HEAD", "--format", "text"], {
            cwd: repo.dir,
            env: { ...withoutColourEnv(), FORCE_COLOR: "1" },
          });
          assert.ok(forced.stdout.startsWith("\u001b[1msender-auth: DNS changes"), forced.stdout);
          assert.equal(stripSgr(forced.stdout), plain(base));
          // Markdown for CI comments never carries colour, terminal or not.
          const markdown = await inTerminal({ ...withoutColourEnv(), FORCE_COLOR: "1" }, "--format", "markdown");
          assert.ok(markdown.stdout.startsWith("<!-- sender-auth-diff -->\n"), markdown.stdout);
          assert.ok(!markdown.stdout.includes("\u001b["), markdown.stdout);
        });

        it("off a terminal without --format: Markdown (CI comments)", async () => {
          const { repo } = review();
          const result = await runCli(["diff", "--base", "HEAD"], { cwd: repo.dir, env: withoutColourEnv() });
          assert.ok(result.stdout.startsWith("<!-- sender-auth-diff -->\n"), result.stdout);
        });

        it("diff --help says --base is required and which format is the default", async () => {
          const result = await runCli(["diff", "--help"], { env: ENV });
          assert.equal(result.code, 0);
          assert.equal(result.stderr, "");
          assert.equal(
            result.stdout,
            [
              "Usage: sender-auth diff --base <git-ref> [options]",
              "",
              "what a change does to DNS and to mail, against a git ref; fails on unsafe",
              "changes",
              "",
              "Options:",
              "  --base <git-ref>   required: the revision to compare with (e.g. origin/main)",
              "  --format <format>  output format; default: text on a terminal, markdown",
              '                     otherwise (choices: "text", "markdown", "json")',
              "  --allow-unsafe     report unsafe changes without failing (default: false)",
              "  -h, --help         display help for command",
              "",
            ].join("\n"),
          );
        });
      },
    );

    describe("MTA-STS, TLS-RPT and BIMI: what each change means, in the binary's report", { concurrency: true }, () => {
      it("Markdown: exactly each stack's record changes and meanings, weakening marked; MTA-STS straight to enforce fails the run", async () => {
        const { base, markdown } = await runs.newer();
        assert.equal(markdown.code, 1, markdown.stderr);
        assert.deepEqual(linesOf(markdown.stderr), [...unsafeLines(NEWER, "error"), REFUSING]);
        assert.equal(markdown.stdout, expectedMarkdown(base, base, NEWER));
      });

      it("JSON with --allow-unsafe: each stack's records, meanings, weakening and unsafe reasons exactly", async () => {
        const { base, json } = await runs.newer();
        assert.equal(json.code, 0, json.stderr);
        assert.deepEqual(linesOf(json.stderr), unsafeLines(NEWER, "warning"));
        assert.deepEqual(parseReport(json), {
          base: { ref: base, commit: base },
          unsafe: true,
          stacks: byStack(NEWER).map(jsonStack),
          errors: [],
          notes: [],
        });
      });
    });

    describe("TTL, zone and wording", { concurrency: true }, () => {
      const gaps = once(async () => {
        const repo = Repo.create();
        repo.writeStack("ttl", spec("ttl"));
        repo.writeStack("zone", spec("zone"));
        repo.writeStack("spf-added", spec("spf-added", { spf: undefined }));
        repo.commit("base");
        repo.writeStack("ttl", spec("ttl", { ttl: 300 }));
        repo.writeStack("zone", spec("zone", { zoneId: "0123456789abcdef0123456789abcdef" }));
        repo.writeStack("spf-added", spec("spf-added"));
        return parseReport(await repo.diff(["--base", "HEAD", "--format", "json"]));
      });

      it("a TTL change is a change of every record", async () => {
        const stack = stackOf(await gaps(), "ttl");
        assert.equal(stack["status"], "changed");
        assert.deepEqual(stack["meanings"], [
          "TTL: 3600 → 300 on every record; caches may keep old answers for up to 3600 s",
        ]);
      });

      it("moving a stack to another zone is reported", async () => {
        const stack = stackOf(await gaps(), "zone");
        assert.equal(stack["status"], "changed");
        assert.equal((stack["meanings"] as string[]).length, 1);
        assert.match(
          (stack["meanings"] as string[])[0] ?? "",
          /^zone: [0-9a-f]{32} → 0123456789abcdef0123456789abcdef: every record moves to the new zone$/,
        );
      });

      it('"SPF record added" agrees in number', async () => {
        assert.deepEqual(stackOf(await gaps(), "spf-added")["meanings"], ["SPF record added: unlisted hosts fail SPF"]);
      });
    });
  },
);
