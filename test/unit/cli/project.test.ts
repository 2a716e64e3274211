/**
 * cli/project.ts: how `sender-auth plan` finds the Pulumi project and turns a stack file into the
 * config map Pulumi would hand the program (every value a string, secrets never decrypted).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import {
  listStacks,
  loadProject,
  readStackConfig,
  selectStacks,
  UNDECRYPTED_SECRET,
  UsageError,
  type Project,
} from "../../../cli/project";
import { createTempProject, REPO_ROOT } from "../../support/cli";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory holding `files` (relative path → content; a trailing `/` makes a directory). */
function tempDir(files: Readonly<Record<string, string>> = {}): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "sender-auth-project-")));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (name.endsWith("/")) {
      mkdirSync(file, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return dir;
}

const PULUMI_YAML = [
  "name: sender-auth",
  "runtime: nodejs",
  "stackConfigDir: stacks",
  "config:",
  "  domain:",
  "    type: string",
  "    description: no default, so no value",
  "  parked:",
  "    type: boolean",
  "    default: false",
  "  aws:region: us-east-1",
  "  sender-auth:note:",
  "    value: from the project",
  "",
].join("\n");

/** Asserts that `fn` throws an Error whose message starts with `prefix`. */
function throwsStartingWith(fn: () => unknown, prefix: string, type: new (...args: never[]) => Error = Error): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    assert.ok(
      error.message.startsWith(prefix),
      `message ${JSON.stringify(error.message)} should start with ${JSON.stringify(prefix)}`,
    );
    return true;
  });
}

describe("loadProject", () => {
  it("finds Pulumi.yaml from a subdirectory and resolves main relative to the project directory", () => {
    const temp = createTempProject("sender-auth-project-");
    dirs.push(temp.dir);
    const project = loadProject(temp.subdir("a", "b", "c"));
    assert.deepEqual(project, {
      dir: temp.dir,
      name: "sender-auth",
      // test/support/cli.ts points `main` back at this repository's program.
      main: path.join(REPO_ROOT, "index.ts"),
      stackConfigDir: temp.stacksDir,
      defaults: { "sender-auth:parked": false },
    } satisfies Project);
    assert.ok(existsSync(project.main));
  });

  it("reads the repository's own project", () => {
    const project = loadProject(path.join(REPO_ROOT, "stacks"));
    assert.equal(project.dir, REPO_ROOT);
    assert.equal(project.name, "sender-auth");
    assert.equal(project.main, path.join(REPO_ROOT, "index.ts"));
    assert.equal(project.stackConfigDir, path.join(REPO_ROOT, "stacks"));
    assert.deepEqual(project.defaults, { "sender-auth:parked": false });
  });

  it("takes schema defaults, plain values and { value } entries as config defaults, namespacing bare keys", () => {
    const dir = tempDir({ "Pulumi.yaml": PULUMI_YAML, "index.ts": "" });
    assert.deepEqual(loadProject(dir).defaults, {
      "sender-auth:parked": false,
      "aws:region": "us-east-1",
      "sender-auth:note": "from the project",
    });
  });

  it("resolves the entry point like the Pulumi Node.js host: index.ts by default, a directory's package.json main, else an error", () => {
    const plain = tempDir({ "Pulumi.yaml": "name: p\n", "index.ts": "" });
    assert.equal(loadProject(plain).main, path.join(plain, "index.ts"));
    assert.equal(loadProject(plain).stackConfigDir, plain);
    const viaPackage = tempDir({
      "Pulumi.yaml": "name: p\nmain: app\n",
      "app/package.json": '{ "main": "src/program.ts" }',
    });
    assert.equal(loadProject(viaPackage).main, path.join(viaPackage, "app", "src", "program.ts"));
    const none = tempDir({ "Pulumi.yaml": "name: p\n" });
    throwsStartingWith(() => loadProject(none), `${none}: no program entry point (index.ts)`);
  });

  it("without Pulumi.yaml in the directory or a parent: a usage error naming the directory", () => {
    const dir = tempDir({ "x/y/": "" });
    const start = path.join(dir, "x", "y");
    assert.throws(() => loadProject(start), new UsageError(`no Pulumi.yaml in ${start} or any parent directory`));
  });

  it("a Pulumi.yaml that is not YAML: an error naming the file", () => {
    const dir = tempDir({ "Pulumi.yaml": "name: [sender-auth\n" });
    throwsStartingWith(() => loadProject(dir), `${path.join(dir, "Pulumi.yaml")}: not valid YAML: `);
  });
});

describe("listStacks", () => {
  it("lists the stacks with a Pulumi.<stack>.yaml or .yml file, sorted, ignoring every other file", () => {
    const dir = tempDir({
      "Pulumi.yaml": "name: sender-auth\nstackConfigDir: stacks\n",
      "index.ts": "",
      "stacks/Pulumi.zeta.yaml": "",
      "stacks/Pulumi.alpha.yml": "",
      "stacks/Pulumi.mid-1.yaml": "",
      "stacks/Pulumi.Beta.yaml": "",
      "stacks/Pulumi.yaml": "",
      "stacks/Pulumi.x.json": "",
      "stacks/Pulumi.y.yaml.bak": "",
      "stacks/pulumi.lower.yaml": "",
      "stacks/notPulumi.a.yaml": "",
      "stacks/README.md": "",
      // Stack files in the project directory do not count when stackConfigDir is set.
      "Pulumi.outside.yaml": "",
    });
    assert.deepEqual(listStacks(loadProject(dir)), ["Beta", "alpha", "mid-1", "zeta"]);
  });

  it("lists nothing when stackConfigDir does not exist", () => {
    const dir = tempDir({ "Pulumi.yaml": "name: sender-auth\nstackConfigDir: missing\n", "index.ts": "" });
    assert.deepEqual(listStacks(loadProject(dir)), []);
  });
});

describe("selectStacks", () => {
  const dir = tempDir({
    "Pulumi.yaml": "name: sender-auth\nstackConfigDir: stacks\n",
    "index.ts": "",
    "stacks/Pulumi.b.yaml": "",
    "stacks/Pulumi.a.yml": "",
    "stacks/Pulumi.a\nb.yaml": "",
  });
  const project = loadProject(dir);
  const shown = (stack: string): string =>
    path.relative(process.cwd(), path.join(dir, "stacks", `Pulumi.${stack}.yaml`));

  it("none requested: every stack with a stack file, sorted (a file named no stack name is none)", () => {
    assert.deepEqual(selectStacks(project, []), ["a", "b"]);
  });

  it("the requested stacks, in the order given, each once", () => {
    assert.deepEqual(selectStacks(project, ["b", "a", "b"]), ["b", "a"]);
  });

  it("names without a stack file: a usage error naming each file looked for once, and the stacks there are", () => {
    assert.throws(
      () => selectStacks(project, ["nope", "a", "zzz", "nope"]),
      new UsageError(`no stack file for "nope" (${shown("nope")}), "zzz" (${shown("zzz")}); stacks: a, b`),
    );
  });

  it("names from an option say so", () => {
    assert.throws(
      () => selectStacks(project, ["nope"], "--stack"),
      new UsageError(`--stack: no stack file for "nope" (${shown("nope")}); stacks: a, b`),
    );
  });

  it("an invalid name is refused before any file is looked at, even the one a file has", () => {
    assert.throws(
      () => selectStacks(project, ["a", "a\nb"]),
      new UsageError(
        `invalid stack name "a\\nb": "\\n" at position 1 is not allowed: a stack name may only contain letters, digits, hyphens, underscores and periods (Pulumi's stack-name characters), so it is never a path`,
      ),
    );
  });

  it("a project without stack files: `(none)`", () => {
    const empty = loadProject(
      tempDir({ "Pulumi.yaml": "name: sender-auth\nstackConfigDir: stacks\n", "index.ts": "" }),
    );
    assert.deepEqual(selectStacks(empty, []), []);
    assert.throws(
      () => selectStacks(empty, ["x"]),
      new UsageError(
        `no stack file for "x" (${path.relative(process.cwd(), path.join(empty.stackConfigDir, "Pulumi.x.yaml"))}); stacks: (none)`,
      ),
    );
  });
});

describe("readStackConfig", () => {
  const SECRETS = [
    "v1:TopLevelCiphertextAAAA==",
    "v1:NestedCiphertextBBBB==",
    "v1:InListCiphertextCCCC==",
    "v1:PrivateKeyCiphertextDDDD==",
  ] as const;
  const dir = tempDir({
    "Pulumi.yaml": PULUMI_YAML,
    "index.ts": "",
    "stacks/Pulumi.full.yaml": [
      "config:",
      "  sender-auth:domain: example.com",
      "  sender-auth:dns:",
      "    provider: cloudflare",
      "    ttl: 300",
      "    preserveTxt: [a, b]",
      "  sender-auth:count: 42",
      "  sender-auth:flag: true",
      "  sender-auth:nothing: null",
      "  unqualified: plain",
      "  cloudflare:apiToken:",
      `    secure: ${SECRETS[0]}`,
      "  sender-auth:dkim:",
      "    selectors:",
      "      s1:",
      "        status: active",
      "        publicKey:",
      `          secure: ${SECRETS[1]}`,
      '      "eu.mail":',
      "        status: published",
      "        privateKey:",
      `          secure: ${SECRETS[3]}`,
      "  sender-auth:list:",
      "    - 1",
      `    - secure: ${SECRETS[2]}`,
      "  sender-auth:notSecret:",
      "    secure: v1:a",
      "    other: 1",
      "",
    ].join("\n"),
    "stacks/Pulumi.parked.yml": "config:\n  sender-auth:parked: true\n  aws:region: eu-west-1\n",
    "stacks/Pulumi.empty.yaml": "",
    "stacks/Pulumi.broken.yaml": "config:\n  sender-auth:dns: [\n",
    "stacks/Pulumi.scalar.yaml": "just text\n",
  });
  const project = loadProject(dir);

  it("passes every value as a string: objects as JSON text, numbers and booleans as text; secure leaves become a placeholder (DKIM private keys are left out) and mark the key secret", () => {
    const stack = readStackConfig(project, "full");
    assert.equal(UNDECRYPTED_SECRET, "[secret]");
    assert.deepEqual(stack, {
      stack: "full",
      file: path.join(dir, "stacks", "Pulumi.full.yaml"),
      config: {
        "aws:region": "us-east-1",
        "cloudflare:apiToken": "[secret]",
        "sender-auth:count": "42",
        // The program checks every private key it is given, so plan gives it none rather than a placeholder.
        "sender-auth:dkim":
          '{"selectors":{"s1":{"status":"active","publicKey":"[secret]"},"eu.mail":{"status":"published"}}}',
        "sender-auth:dns": '{"provider":"cloudflare","ttl":300,"preserveTxt":["a","b"]}',
        "sender-auth:domain": "example.com",
        "sender-auth:flag": "true",
        "sender-auth:list": '[1,"[secret]"]',
        "sender-auth:note": "from the project",
        // A mapping with more than the one `secure` key is an ordinary object.
        "sender-auth:notSecret": '{"secure":"v1:a","other":1}',
        "sender-auth:parked": "false",
        "sender-auth:unqualified": "plain",
      },
      secretKeys: ["cloudflare:apiToken", "sender-auth:dkim", "sender-auth:list"],
      secretPaths: [
        "cloudflare:apiToken",
        "sender-auth:dkim.selectors.s1.publicKey",
        'sender-auth:dkim.selectors["eu.mail"].privateKey',
        "sender-auth:list[1]",
      ],
    });
    const printed = JSON.stringify(stack);
    for (const secret of SECRETS) assert.ok(!printed.includes(secret.slice(3)), `${secret} leaked`);
  });

  it("lets the stack override Pulumi.yaml defaults, from a .yml stack file", () => {
    const stack = readStackConfig(project, "parked");
    assert.equal(stack.file, path.join(dir, "stacks", "Pulumi.parked.yml"));
    assert.deepEqual(stack.config, {
      "aws:region": "eu-west-1",
      "sender-auth:note": "from the project",
      "sender-auth:parked": "true",
    });
    assert.deepEqual(stack.secretKeys, []);
    assert.deepEqual(stack.secretPaths, []);
  });

  it("an empty stack file has only the project defaults", () => {
    assert.deepEqual(readStackConfig(project, "empty").config, {
      "aws:region": "us-east-1",
      "sender-auth:note": "from the project",
      "sender-auth:parked": "false",
    });
  });

  it("a stack file with a YAML syntax error: an error naming the file", () => {
    throwsStartingWith(
      () => readStackConfig(project, "broken"),
      `${path.join(dir, "stacks", "Pulumi.broken.yaml")}: not valid YAML: `,
    );
  });

  it("a stack file that is not a mapping: an error naming the file", () => {
    throwsStartingWith(
      () => readStackConfig(project, "scalar"),
      `${path.join(dir, "stacks", "Pulumi.scalar.yaml")}: must be a YAML mapping`,
    );
  });

  it("a stack without a file: a usage error", () => {
    throwsStartingWith(() => readStackConfig(project, "nope"), 'no stack file for "nope"', UsageError);
  });
});
