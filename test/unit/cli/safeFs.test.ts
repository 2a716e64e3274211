/**
 * cli/safeFs.ts: reads that accept only bounded regular files, writes that never follow a link, and
 * every file-system failure as a message naming the path (issue #11).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ProjectError } from "../../../cli/errors";
import {
  checkDirectory,
  createFileExclusive,
  decodeYamlText,
  ensureDirectory,
  formatBytes,
  fsError,
  NotRegularFileError,
  openRegularFile,
  readChunks,
  readRegularFile,
  readUpTo,
  MAX_CONFIG_FILE_BYTES,
  replaceFile,
  tooLargeProblem,
} from "../../../cli/safeFs";
import { gitTree } from "../../../cli/gitTree";
import { tempDirs } from "../../support/tempDirs";

const tempDir = tempDirs("sender-auth-safefs-");

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: raw`), { code });

describe("formatBytes: the one size formatting of every message", () => {
  const cases: [number, string][] = [
    [0, "0 bytes"],
    [1, "1 byte"],
    [1023, "1023 bytes"],
    [1024, "1 KiB"],
    [1025, "1.0 KiB (1025 bytes)"],
    [1536, "1.5 KiB (1536 bytes)"],
    [65536, "64 KiB"],
    [70000, "68.4 KiB (70000 bytes)"],
    [1024 * 1024, "1 MiB"],
    [1024 * 1024 + 1, "1.0 MiB (1048577 bytes)"],
    [1024 * 1024 - 1, "1024.0 KiB (1048575 bytes)"],
    [1536 * 1024, "1.5 MiB (1572864 bytes)"],
    [64 * 1024 * 1024, "64 MiB"],
    [1024 ** 3, "1 GiB"],
    [2 * 1024 ** 3, "2 GiB"],
    [1024 ** 4, "1 TiB"],
    [2048 * 1024 ** 4, "2048 TiB"],
    [0.5, "0.5 bytes"],
  ];
  for (const [bytes, text] of cases) {
    it(`${bytes} → ${text}`, () => {
      assert.equal(formatBytes(bytes), text);
    });
  }
});

describe("tooLargeProblem: the one wording of a size refusal (project files, git blobs, report files)", () => {
  const cases: [Parameters<typeof tooLargeProblem>, string][] = [
    [[6, 5], "is 6 bytes long; sender-auth reads at most 5 bytes"],
    [[1024 ** 3, 64 * 1024 * 1024, "for one report"], "is 1 GiB long; sender-auth reads at most 64 MiB for one report"],
    [
      ["over", 1024 * 1024, "for one email", "the email is"],
      "the email is more than 1 MiB long; sender-auth reads at most 1 MiB for one email",
    ],
    [
      ["over", 256 * 1024, "from one input file", "decompresses to"],
      "decompresses to more than 256 KiB; sender-auth reads at most 256 KiB from one input file",
    ],
    [
      [3 * 1024 * 1024, 2 * 1024 * 1024, "for one report", "the zip entry says it decompresses to"],
      "the zip entry says it decompresses to 3 MiB; sender-auth reads at most 2 MiB for one report",
    ],
  ];
  for (const [args, message] of cases) {
    it(message, () => {
      assert.equal(tooLargeProblem(...args), message);
    });
  }

  it("a stack file too large in a git commit (diff --base) is refused in the same words", () => {
    const dir = tempDir();
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
    git("init", "-q");
    writeFileSync(path.join(dir, "big.yaml"), Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1, 0x20));
    git("add", "big.yaml");
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "big");
    const tree = gitTree(dir, "HEAD");
    assert.throws(
      () => tree.read("big.yaml"),
      new ProjectError(
        `${tree.commit.slice(0, 12)}:big.yaml: is 1.0 MiB (1048577 bytes) long; sender-auth reads at most 1 MiB`,
      ),
    );
  });
});

describe("fsError", () => {
  const cases: readonly [string, string][] = [
    ["EACCES", "records/a.zone: cannot write: permission denied (EACCES)"],
    ["EPERM", "records/a.zone: cannot write: operation not permitted (EPERM)"],
    ["ENOSPC", "records/a.zone: cannot write: no space left on the device (ENOSPC)"],
    ["EDQUOT", "records/a.zone: cannot write: disk quota exceeded (EDQUOT)"],
    ["EROFS", "records/a.zone: cannot write: the file system is read-only (EROFS)"],
    ["ENOTDIR", "records/a.zone: cannot write: a part of the path is not a directory (ENOTDIR)"],
    ["EEXIST", "records/a.zone: cannot write: it already exists (EEXIST)"],
    ["ELOOP", "records/a.zone: cannot write: it is a symbolic link, which sender-auth does not follow (ELOOP)"],
    ["EISDIR", "records/a.zone: cannot write: it is a directory (EISDIR)"],
    ["EWHATEVER", "records/a.zone: cannot write: system error (EWHATEVER)"],
  ];
  for (const [code, message] of cases) {
    it(`${code} → ${message}`, () => {
      assert.deepEqual(fsError(errno(code), "records/a.zone", "write"), new ProjectError(message));
    });
  }

  it("returns a ProjectError as it is, and rethrows anything that is not a file-system error", () => {
    const error = new ProjectError("already a message");
    assert.equal(fsError(error, "x", "read"), error);
    const bug = new TypeError("a bug");
    assert.throws(() => fsError(bug, "x", "read"), bug);
  });
});

describe("decodeYamlText", () => {
  it("returns UTF-8 text with tabs, CR, LF and NEL", () => {
    assert.equal(decodeYamlText(Buffer.from("a:\tb\r\nc: ü\u0085\n"), "f"), "a:\tb\r\nc: ü\u0085\n");
  });

  it("refuses a control character YAML forbids, naming line and column", () => {
    assert.throws(
      () => decodeYamlText(Buffer.from("config:\n  a: b\u0000c\n"), "stacks/Pulumi.x.yaml"),
      new ProjectError(
        "stacks/Pulumi.x.yaml: line 2, column 7: control character U+0000 is not allowed in YAML (YAML 1.2 §5.1); is it a binary file?",
      ),
    );
    assert.throws(
      () => decodeYamlText(Buffer.from("a: \u009b31m\n"), "f"),
      new ProjectError(
        "f: line 1, column 4: control character U+009B is not allowed in YAML (YAML 1.2 §5.1); is it a binary file?",
      ),
    );
  });

  it("refuses bytes that are not UTF-8, naming where they start", () => {
    assert.throws(
      () => decodeYamlText(Buffer.from([0x61, 0x3a, 0x0a, 0x62, 0xc3, 0x28]), "f"),
      new ProjectError("f: line 2, column 2: not UTF-8 text (YAML 1.2 §5.2); is it a binary file?"),
    );
  });
});

describe("readRegularFile", () => {
  it("reads a regular file within the bound", () => {
    const file = path.join(tempDir(), "a");
    writeFileSync(file, "hello");
    assert.equal(readRegularFile(file, { maxBytes: 5 }).toString(), "hello");
  });

  it("refuses a larger file, a directory, a FIFO and a symbolic link (even to a regular file), naming them", () => {
    const dir = tempDir();
    const big = path.join(dir, "big");
    writeFileSync(big, "123456");
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const link = path.join(dir, "link");
    symlinkSync(big, link);
    assert.throws(
      () => readRegularFile(big, { maxBytes: 5, label: "big" }),
      new ProjectError("big: is 6 bytes long; sender-auth reads at most 5 bytes"),
    );
    assert.throws(
      () => readRegularFile(dir, { label: "dir" }),
      new ProjectError("dir: is a directory, not a regular file"),
    );
    assert.throws(
      () => readRegularFile(fifo, { label: "fifo" }),
      new ProjectError("fifo: is a FIFO (named pipe), not a regular file"),
    );
    assert.throws(
      () => readRegularFile(link, { label: "link" }),
      new ProjectError(
        "link: is a symbolic link; sender-auth reads project files only as regular files, never through a link (it could point outside the project, or at a device)",
      ),
    );
    assert.throws(
      () => readRegularFile(path.join(dir, "none"), { label: "none" }),
      new ProjectError("none: cannot read: it does not exist (ENOENT)"),
    );
  });

  it("followLink: reads through a symbolic link, still refusing what it points at when that is not a regular file", () => {
    const dir = tempDir();
    const file = path.join(dir, "key");
    writeFileSync(file, "pem");
    symlinkSync(file, path.join(dir, "to-file"));
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    symlinkSync(fifo, path.join(dir, "to-fifo"));
    symlinkSync(path.join(dir, "loop-b"), path.join(dir, "loop-a"));
    symlinkSync(path.join(dir, "loop-a"), path.join(dir, "loop-b"));
    assert.equal(readRegularFile(path.join(dir, "to-file"), { followLink: true }).toString(), "pem");
    assert.throws(
      () => readRegularFile(path.join(dir, "to-fifo"), { label: "to-fifo", followLink: true }),
      new ProjectError("to-fifo: is a FIFO (named pipe), not a regular file"),
    );
    assert.throws(
      () => readRegularFile(path.join(dir, "loop-a"), { label: "loop-a", followLink: true }),
      new ProjectError("loop-a: cannot read: a loop of symbolic links (ELOOP)"),
    );
  });
});

describe("openRegularFile, readUpTo, readChunks (the reader `reports` streams large files with)", () => {
  it("opens a regular file and gives its size; reads it whole or chunk by chunk from its start", () => {
    const file = path.join(tempDir(), "a");
    writeFileSync(file, "0123456789");
    const { fd, size } = openRegularFile(file);
    try {
      assert.equal(size, 10);
      const buffer = Buffer.alloc(4);
      assert.equal(readUpTo(fd, buffer), 4);
      assert.equal(buffer.toString(), "0123");
      // Each call starts at the file's start, whatever was read before.
      assert.equal(readUpTo(fd, Buffer.alloc(16)), 10);
      const chunks = [...readChunks(fd, 4)].map((c) => c.toString());
      assert.deepEqual(chunks, ["0123", "4567", "89"]);
    } finally {
      closeSync(fd);
    }
  });

  it("reads a chunk only when the previous one was taken", () => {
    const file = path.join(tempDir(), "a");
    writeFileSync(file, "abcdef");
    const { fd } = openRegularFile(file);
    try {
      const chunks = readChunks(fd, 2);
      assert.equal(chunks.next().value?.toString(), "ab");
      // The file changes after the first read: the next chunk is read now, not before.
      writeFileSync(file, "abXYef");
      assert.equal(chunks.next().value?.toString(), "XY");
      chunks.return(undefined);
    } finally {
      closeSync(fd);
    }
  });

  it("refuses a directory and a FIFO (without blocking) with the kind, and a symbolic link with ELOOP; leaves no descriptor open", () => {
    const dir = tempDir();
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const target = path.join(dir, "target");
    writeFileSync(target, "x");
    symlinkSync(target, path.join(dir, "link"));
    const openFds = (): number => readdirSync("/proc/self/fd").length;
    const before = openFds();
    for (const [file, kind] of [
      [dir, "a directory"],
      [fifo, "a FIFO (named pipe)"],
    ] as const) {
      assert.throws(
        () => openRegularFile(file),
        (error: unknown) =>
          error instanceof NotRegularFileError &&
          error.message === `is ${kind}, not a regular file` &&
          !error.stats.isFile(),
      );
    }
    assert.throws(() => openRegularFile(path.join(dir, "link")), { code: "ELOOP" });
    assert.throws(() => openRegularFile(path.join(dir, "none")), { code: "ENOENT" });
    assert.equal(openFds(), before);
    // The check is made on the descriptor itself: what was opened is what was checked.
    const { fd, size } = openRegularFile(target);
    assert.equal(fstatSync(fd).size, size);
    closeSync(fd);
  });
});

describe("writes", () => {
  it("replaceFile replaces a symbolic link instead of writing through it, and leaves no temporary file", () => {
    const dir = tempDir();
    const target = path.join(dir, "target");
    writeFileSync(target, "precious");
    const file = path.join(dir, "file");
    symlinkSync(target, file);
    replaceFile(file, "new");
    assert.equal(readFileSync(target, "utf8"), "precious");
    assert.ok(lstatSync(file).isFile());
    assert.equal(readFileSync(file, "utf8"), "new");
    assert.deepEqual(readdirSync(dir).sort(), ["file", "target"]);
  });

  it("createFileExclusive fails on anything already there, a dangling link included (O_EXCL | O_NOFOLLOW)", () => {
    const dir = tempDir();
    const link = path.join(dir, "link");
    const target = path.join(dir, "would-be-created");
    symlinkSync(target, link);
    assert.throws(() => {
      createFileExclusive(link, "x", "link");
    }, new ProjectError("link: cannot write: it already exists (EEXIST)"));
    assert.equal(existsSync(target), false);
  });

  it("ensureDirectory creates a directory, and refuses a file or a symbolic link in its place", () => {
    const dir = tempDir();
    ensureDirectory(path.join(dir, "new"), "new");
    assert.ok(lstatSync(path.join(dir, "new")).isDirectory());
    writeFileSync(path.join(dir, "file"), "");
    mkdirSync(path.join(dir, "real"));
    symlinkSync(path.join(dir, "real"), path.join(dir, "link"));
    assert.throws(() => {
      ensureDirectory(path.join(dir, "file"), "records");
    }, new ProjectError("records: is a regular file, not a directory"));
    assert.throws(() => {
      checkDirectory(path.join(dir, "link"), "records");
    }, new ProjectError("records: is a symbolic link; sender-auth does not write through one: replace it with a directory"));
  });
});
