/**
 * bin/ts-loader.cjs, the TypeScript loader of the CLI and of the Pulumi program (issue #6): compiles
 * first-party .ts files (extensionless imports resolve), does not type-check, caches each compiled
 * file by content, and is what Pulumi.yaml tells the Pulumi Node.js host to preload.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "../../support/cli";

const execFileAsync = promisify(execFile);
const LOADER = path.join(REPO_ROOT, "bin", "ts-loader.cjs");
const CACHE_DIR = path.join(REPO_ROOT, "node_modules", ".cache", "sender-auth-ts");

describe("bin/ts-loader.cjs", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-loader-"));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    // The cache is the loader's real one: leave no entries of these throw-away files behind.
    for (const file of readdirSync(CACHE_DIR)) {
      const entry = path.join(CACHE_DIR, file);
      if (/^[0-9a-f]{64}\.js$/.test(file) && /marker-\d+-\d+|export const x = ;/.test(readFileSync(entry, "utf8"))) {
        rmSync(entry, { force: true });
      }
    }
  });
  const marker = `marker-${String(process.pid)}-${String(Date.now())}`;
  writeFileSync(path.join(dir, "b.ts"), `export enum Kind { A = "a" }\nexport const marker: string = "${marker}";\n`);
  // A type error: the loader compiles, it does not type-check (npm test does).
  writeFileSync(
    path.join(dir, "a.ts"),
    `import { Kind, marker } from "./b";\nconst n: number = "not a number" as unknown as number;\nconsole.log(marker, Kind.A, typeof n);\n`,
  );
  writeFileSync(path.join(dir, "main.cjs"), `require(${JSON.stringify(LOADER)});\nrequire("./a.ts");\n`);
  writeFileSync(path.join(dir, "broken.ts"), "export const x = ;\n");
  writeFileSync(path.join(dir, "broken.cjs"), `require(${JSON.stringify(LOADER)});\nrequire("./broken.ts");\n`);

  it("runs TypeScript with extensionless imports and enums, without type-checking", async () => {
    const { stdout } = await execFileAsync(process.execPath, [path.join(dir, "main.cjs")]);
    assert.equal(stdout, `${marker} a string\n`);
  });

  it("keeps the compiled file in node_modules/.cache/sender-auth-ts, keyed by content", async () => {
    await execFileAsync(process.execPath, [path.join(dir, "main.cjs")]);
    const cached = readdirSync(CACHE_DIR).filter(
      (file) => /^[0-9a-f]{64}\.js$/.test(file) && readFileSync(path.join(CACHE_DIR, file), "utf8").includes(marker),
    );
    assert.equal(cached.length, 1);
  });

  it("fails with the file name on a syntax error", async () => {
    await assert.rejects(execFileAsync(process.execPath, [path.join(dir, "broken.cjs")]), (error: unknown) => {
      assert.match((error as { stderr: string }).stderr, /broken\.ts:1:\d+: ERROR: Unexpected ";"/);
      return true;
    });
  });

  it("is what Pulumi.yaml has the Pulumi Node.js host preload, instead of ts-node", () => {
    const doc = parseYaml(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
      runtime: { name: string; options: Record<string, unknown> };
    };
    assert.equal(doc.runtime.name, "nodejs");
    assert.equal(doc.runtime.options["typescript"], false);
    assert.equal(doc.runtime.options["nodeargs"], "--require ./bin/ts-loader.cjs");
    // The host starts node in the project directory, so the path is relative to Pulumi.yaml.
    assert.ok(readFileSync(path.join(REPO_ROOT, "bin", "ts-loader.cjs"), "utf8").length > 0);
  });
});
