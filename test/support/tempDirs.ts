/** Temporary directories for a test file, removed when it ends. */
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after } from "node:test";

/** A function that makes a fresh temporary directory (its real path) named `<prefix>…`; all are removed after the file's tests. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
    dirs.push(dir);
    return dir;
  };
}
