/**
 * References into README.md (`README "<section>"`) from the project's files name sections that exist
 * (issue #12: Pulumi.yaml pointed at a "Start-up" section README.md does not have).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../support/cli";

/** Files that may point into README.md: configuration, workflows and every source directory. */
function candidates(): string[] {
  const files = ["Pulumi.yaml", "package.json", "BENCHMARKS.md", ".ci/run"].map((f) => path.join(REPO_ROOT, f));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|cjs|js|mjs|ya?ml)$/.test(entry)) files.push(full);
    }
  };
  for (const dir of ["bin", "cli", "components", "bench", "test", ".github"]) walk(path.join(REPO_ROOT, dir));
  return files;
}

const headings = new Set(
  readFileSync(path.join(REPO_ROOT, "README.md"), "utf8")
    .split("\n")
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => line.replace(/^#{1,6} /, "").trim()),
);

describe("README.md references", () => {
  it('every README "<section>" names a heading of README.md', () => {
    const references: string[] = [];
    for (const file of candidates()) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/README(?:\.md)? "([^"\n]+)"/g)) {
        const section = match[1] ?? "";
        // This file's own examples.
        if (file === __filename) continue;
        references.push(`${path.relative(REPO_ROOT, file)}: ${section}`);
        assert.ok(
          headings.has(section),
          `${path.relative(REPO_ROOT, file)} points at README "${section}", which has no such heading`,
        );
      }
    }
    assert.ok(references.includes("Pulumi.yaml: Deploying with `pulumi up`"), references.join("\n"));
  });
});
