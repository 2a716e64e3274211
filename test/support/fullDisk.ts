/**
 * A really full disk for tests: a 64 KiB tmpfs mounted for the test, filled up to a given number of
 * free 4 KiB pages. Mounting needs root with CAP_SYS_ADMIN; where that is missing the test is skipped
 * with the reason (the same behaviour is also tested with the stand-in pulumi's injected full disk).
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { TestContext } from "node:test";
import { REPO_ROOT } from "./cli";

export interface TinyDisk {
  /** The mount point. */
  readonly dir: string;
  /** Fills the file system with one file, then frees exactly `pages` pages of 4 KiB. */
  fillLeaving(pages: number): void;
  /** Creates `<dir>/project`: a Pulumi.yaml whose program is this repository's index.ts, and stacks/. */
  makeProject(): string;
}

/** Runs `body` with a fresh 64 KiB tmpfs, unmounted afterwards; skips `t` when it cannot be mounted. */
export async function withTinyDisk(t: TestContext, body: (disk: TinyDisk) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): ${String(error).split("\n")[0] ?? ""}`);
    return;
  }
  const filler = path.join(dir, ".filler");
  try {
    await body({
      dir,
      makeProject() {
        const project = path.join(dir, "project");
        mkdirSync(path.join(project, "stacks"), { recursive: true });
        const main = path.relative(project, path.join(REPO_ROOT, "index.ts"));
        writeFileSync(
          path.join(project, "Pulumi.yaml"),
          `name: sender-auth\nruntime: nodejs\nmain: ${main}\nstackConfigDir: stacks\n`,
        );
        return project;
      },
      fillLeaving(pages) {
        rmSync(filler, { force: true });
        const fd = openSync(filler, "w");
        const page = Buffer.alloc(4096);
        let size = 0;
        try {
          for (;;) size += writeSync(fd, page);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
        } finally {
          closeSync(fd);
        }
        truncateSync(filler, size - pages * 4096);
      },
    });
  } finally {
    execFileSync("umount", [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}
