/**
 * File access for every command, treating the files of a project as hostile input (issue #11): a
 * stack file, Pulumi.yaml or a records/ entry may be a FIFO, a symbolic link to /dev/zero or outside
 * the project, a huge file or binary junk, because a branch can commit any of these.
 *
 * - Reads open the file itself, never a symbolic link (O_NOFOLLOW), without blocking on a FIFO
 *   (O_NONBLOCK), and accept only a regular file of bounded size (openRegularFile decides, on the
 *   descriptor itself, so nothing can be swapped in between a check and the open). Reads are
 *   synchronous, whole (readUpTo) or chunk by chunk (readChunks), so that no read is ever in flight
 *   on a descriptor once it is closed and its number reused.
 * - Writes never follow a symbolic link: a temporary file is created beside the target (O_EXCL |
 *   O_NOFOLLOW), synced, then renamed over it, so a reader sees the old or the new file, never half.
 * - Every file-system failure becomes a ProjectError naming the path and what went wrong (EACCES,
 *   ENOSPC, ENOTDIR, EEXIST, ELOOP, ...), never a stack trace.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
  type Stats,
} from "node:fs";
import * as path from "node:path";
import { ProjectError } from "./errors";

/** The largest Pulumi.yaml or stack file read: far above any real one, small enough to parse at once. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

const FS_PROBLEMS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "the file system is read-only",
  ENOTDIR: "a part of the path is not a directory",
  EEXIST: "it already exists",
  ELOOP: "it is a symbolic link, which sender-auth does not follow",
  EISDIR: "it is a directory",
  ENOENT: "it does not exist",
  ENAMETOOLONG: "the name is too long",
  EMFILE: "too many open files",
  ENFILE: "too many open files",
  EIO: "input/output error",
  EBUSY: "the file is busy",
  ETXTBSY: "the file is busy",
  EXDEV: "it is on another file system",
};

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * A file-system error as a ProjectError naming `label` (the path as the user should read it) and
 * what was being done; anything that is not a file-system error is rethrown.
 */
export function fsError(error: unknown, label: string, action: string): ProjectError {
  if (error instanceof ProjectError) return error;
  const problem = fsProblem(error, action);
  if (problem === undefined) throw error;
  return new ProjectError(`${label}: ${problem}`);
}

/**
 * What a file-system error means, without the path: `cannot <action>: <why> (<code>)`, or undefined
 * when `error` is not one. The one wording of fsError, also for callers that name the path their way
 * (cli/reports/files.ts).
 */
export function fsProblem(error: unknown, action: string): string | undefined {
  const code = errnoCode(error);
  return code === undefined ? undefined : `cannot ${action}: ${FS_PROBLEMS[code] ?? "system error"} (${code})`;
}

/** "a FIFO (named pipe)", "a directory", ...: what a non-regular file is, for messages. */
export function kindOf(stats: Stats): string {
  if (stats.isFile()) return "a regular file";
  if (stats.isDirectory()) return "a directory";
  if (stats.isSymbolicLink()) return "a symbolic link";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

/** The entry at `file` itself (a symbolic link is not followed), or undefined when there is none. */
export function entryAt(file: string, label = file): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return undefined;
    throw fsError(error, label, "read");
  }
}

const BYTE_UNITS = ["KiB", "MiB", "GiB", "TiB"] as const;

/**
 * A size in messages, the one formatting of every command: "512 bytes", "64 KiB", "2 GiB", and a size
 * that is no whole number of its unit with its exact bytes beside, "1.5 MiB (1572864 bytes)", so that a
 * size one byte over a bound never reads as the bound itself.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 1024) return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  let unit = 0;
  let size = 1024;
  while (unit < BYTE_UNITS.length - 1 && bytes >= size * 1024) {
    size *= 1024;
    unit++;
  }
  const value = bytes / size;
  const name = BYTE_UNITS[unit] ?? "TiB";
  return Number.isInteger(value) ? `${value} ${name}` : `${value.toFixed(1)} ${name} (${bytes} bytes)`;
}

/**
 * The one wording of a size refusal, of a project file and of a DMARC report file alike (cli/reports/
 * readers.ts): what was found, then the bound ("… is 2049 bytes long; sender-auth reads at most 1 MiB",
 * "decompresses to more than 64 MiB; sender-auth reads at most 64 MiB from one input file").
 * @param size bytes found, or "over" when reading stopped at the bound (a stream, a decompression)
 * @param per what the bound is for ("for one report"); none for a project file
 * @param subject what was measured; "is" reads "is <size> long" @default "is"
 */
export function tooLargeProblem(size: number | "over", limit: number, per?: string, subject = "is"): string {
  const amount = size === "over" ? `more than ${formatBytes(limit)}` : formatBytes(size);
  const found = subject === "is" || subject.endsWith(" is") ? `${subject} ${amount} long` : `${subject} ${amount}`;
  return `${found}; sender-auth reads at most ${formatBytes(limit)}${per === undefined ? "" : ` ${per}`}`;
}

export interface ReadOptions {
  /** Larger files are refused. @default MAX_CONFIG_FILE_BYTES */
  readonly maxBytes?: number;
  /** The path as messages show it. @default the path */
  readonly label?: string;
  /**
   * Read the file a symbolic link points to: only for a file the user names on the command line
   * (`check --key-file`), never for a file of the project. @default false
   */
  readonly followLink?: boolean;
}

/** Thrown by {@link openRegularFile} when what is at the path is not a regular file (a FIFO, a directory, ...). */
export class NotRegularFileError extends Error {
  override readonly name = "NotRegularFileError";
  constructor(readonly stats: Stats) {
    super(notRegularFileProblem(stats));
  }
}

/** `is a FIFO (named pipe), not a regular file`: the refusal of what is not a regular file, without the path. */
export function notRegularFileProblem(stats: Stats): string {
  return `is ${kindOf(stats)}, not a regular file`;
}

/** Where a refused symbolic link could lead, by what is read: a project's file, or a report given by path. */
export interface LinkScope {
  /** What is read, plural: "project files". */
  readonly files: string;
  /** What a link could lead out of: "the project". */
  readonly inside: string;
}

/** The scope of a project's files (Pulumi.yaml, stack files, records/). */
export const PROJECT_FILES: LinkScope = { files: "project files", inside: "the project" };

/**
 * Why {@link openRegularFile} refused `file`, without the path, or undefined when `error` is not a
 * refusal of the file system: a non-regular file (NotRegularFileError), a symbolic link not followed
 * (ELOOP without `followLink`), a loop of links (ELOOP with it), or another errno error (fsProblem).
 * readRegularFile words its refusals with it, and so does `reports` (cli/reports/files.ts).
 */
export function openProblem(error: unknown, followLink: boolean, scope: LinkScope = PROJECT_FILES): string | undefined {
  if (error instanceof NotRegularFileError) return error.message;
  if (errnoCode(error) === "ELOOP") {
    return followLink
      ? "cannot read: a loop of symbolic links (ELOOP)"
      : `is a symbolic link; sender-auth reads ${scope.files} only as regular files, ` +
          `never through a link (it could point outside ${scope.inside}, or at a device)`;
  }
  return fsProblem(error, "read");
}

/** A regular file open for reading: its descriptor (the caller closes it) and its size when opened. */
export interface OpenedFile {
  readonly fd: number;
  readonly size: number;
}

/**
 * Opens `file` for reading if it is a regular file. A symbolic link is not followed (O_NOFOLLOW:
 * the errno error ELOOP) unless `followLink` (a file the user names on the command line), a FIFO
 * does not block the open (O_NONBLOCK), and fstat on the descriptor decides: anything else than a
 * regular file is closed again and refused with NotRegularFileError. Other failures are thrown as
 * the errno errors they are, for the caller to word.
 */
export function openRegularFile(file: string, options: { readonly followLink?: boolean } = {}): OpenedFile {
  const noFollow = options.followLink === true ? 0 : constants.O_NOFOLLOW;
  const fd = openSync(file, constants.O_RDONLY | noFollow | constants.O_NONBLOCK);
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (!stats.isFile()) {
    closeSync(fd);
    throw new NotRegularFileError(stats);
  }
  return { fd, size: stats.size };
}

/** Reads `fd` from its start until `buffer` is full or the file ends; returns how many bytes were read. */
export function readUpTo(fd: number, buffer: Uint8Array): number {
  let length = 0;
  while (length < buffer.length) {
    const read = readSync(fd, buffer, length, buffer.length - length, length);
    if (read === 0) break;
    length += read;
  }
  return length;
}

/**
 * The bytes of an open file from its start, at most `chunkBytes` at a time, each read only when the
 * previous chunk has been consumed: a large file is never held whole. Each read is synchronous, so
 * none is left in flight when the consumer stops and the descriptor is closed.
 */
export function* readChunks(fd: number, chunkBytes: number): Generator<Buffer, void, undefined> {
  for (let position = 0; ;) {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const read = readSync(fd, buffer, 0, chunkBytes, position);
    if (read === 0) return;
    position += read;
    yield buffer.subarray(0, read);
  }
}

/**
 * The bytes of `file`, if it is a regular file of at most `maxBytes`: a symbolic link (unless
 * `followLink`), FIFO, device, directory or larger file is refused with a message naming it, before a
 * byte is read.
 */
export function readRegularFile(file: string, options: ReadOptions = {}): Buffer {
  const label = options.label ?? file;
  const maxBytes = options.maxBytes ?? MAX_CONFIG_FILE_BYTES;
  let opened: OpenedFile;
  try {
    opened = openRegularFile(file, { followLink: options.followLink === true });
  } catch (error) {
    const problem = openProblem(error, options.followLink === true);
    if (problem === undefined) throw error;
    throw new ProjectError(`${label}: ${problem}`);
  }
  try {
    if (opened.size > maxBytes) {
      throw new ProjectError(`${label}: ${tooLargeProblem(opened.size, maxBytes)}`);
    }
    // One byte more than allowed, to notice a file that grows while it is read.
    const buffer = Buffer.alloc(opened.size + 1);
    const length = readUpTo(opened.fd, buffer);
    if (length === buffer.length) {
      throw new ProjectError(`${label}: grew while it was read; run the command again once nothing writes it`);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    throw fsError(error, label, "read");
  } finally {
    closeSync(opened.fd);
  }
}

/** Characters YAML forbids in a stream (YAML 1.2 §5.1, c-printable): C0 and C1 controls but TAB, LF, CR, NEL; DEL. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_YAML_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/;

function lineAndColumn(text: string, index: number): string {
  const before = text.slice(0, index);
  const line = before.split("\n").length;
  return `line ${line}, column ${index - before.lastIndexOf("\n")}`;
}

/**
 * `bytes` as text, if they are UTF-8 without the control characters YAML forbids: binary junk is
 * refused with one short line naming where it starts, never echoed.
 */
export function decodeYamlText(bytes: Uint8Array, label: string): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const lossy = new TextDecoder("utf-8").decode(bytes);
    throw new ProjectError(
      `${label}: ${lineAndColumn(lossy, lossy.indexOf("\ufffd"))}: not UTF-8 text (YAML 1.2 §5.2); is it a binary file?`,
    );
  }
  const bad = NOT_YAML_PRINTABLE.exec(text);
  if (bad !== null) {
    const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    throw new ProjectError(
      `${label}: ${lineAndColumn(text, bad.index)}: control character U+${code} is not allowed in YAML (YAML 1.2 §5.1); is it a binary file?`,
    );
  }
  return text;
}

/** A Pulumi.yaml or stack file's text: a bounded regular file (readRegularFile) of YAML text (decodeYamlText). */
export function readYamlFile(file: string, options: ReadOptions = {}): string {
  return decodeYamlText(readRegularFile(file, options), options.label ?? file);
}

/** Makes `dir` a directory if it does not exist; refuses a symbolic link or anything else in its place. */
export function ensureDirectory(dir: string, label = dir, mode = 0o755): void {
  try {
    mkdirSync(dir, { mode });
    return;
  } catch (error) {
    if (errnoCode(error) !== "EEXIST") throw fsError(error, label, "create the directory");
  }
  checkDirectory(dir, label);
}

/** Fails unless `dir` is a directory itself (not a symbolic link to one). */
export function checkDirectory(dir: string, label = dir): void {
  const stats = entryAt(dir, label);
  if (stats === undefined) throw new ProjectError(`${label}: cannot read: it does not exist (ENOENT)`);
  if (stats.isSymbolicLink()) {
    throw new ProjectError(
      `${label}: is a symbolic link; sender-auth does not write through one: replace it with a directory`,
    );
  }
  if (!stats.isDirectory()) throw new ProjectError(`${label}: is ${kindOf(stats)}, not a directory`);
}

/** A fresh, unused path beside `file` for a temporary copy (hidden, so no tool mistakes it for the file). */
export function temporaryPathBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

function writeAll(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

/**
 * Creates `file` with `data`, failing if anything is there (O_EXCL) and never through a symbolic
 * link (O_NOFOLLOW); synced to disk before it returns. A failed write removes what it created.
 */
export function createFileExclusive(file: string, data: Uint8Array | string, label = file, mode = 0o644): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  } catch (error) {
    throw fsError(error, label, "write");
  }
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw fsError(error, label, "write");
  }
  closeSync(fd);
}

/**
 * Replaces `file` with `data` atomically: a temporary file in the same directory, synced, then renamed
 * over it. What was at `file` is replaced, never written through (a symbolic link there is replaced
 * by the file, not followed); callers that must not replace a link check first.
 */
export function replaceFile(file: string, data: Uint8Array | string, label = file, mode = 0o644): void {
  const temporary = temporaryPathBeside(file);
  createFileExclusive(temporary, data, label, mode);
  try {
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw fsError(error, label, "write");
  }
  syncDirectory(path.dirname(file));
}

/** Makes a rename or unlink in `dir` durable; a file system that cannot sync a directory is left as is. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // Best effort: the data itself was synced before the rename.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
