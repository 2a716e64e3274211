/**
 * Reads every DMARC aggregate report an input file carries, whatever wraps it: plain XML, gzip
 * (node:zlib), zip (yauzl), an email with the report attached (mailparser, from the nodemailer
 * family mailauth uses) or an mbox of such emails, nested up to {@link ReadLimits.nesting}
 * containers deep (an email whose attachment is a zip of gzip files). The format is recognised by
 * its first bytes, not by the file name. Files are opened and read through cli/safeFs.ts (no link
 * followed, no FIFO blocked on, regular files only). Everything larger than one read is streamed:
 * no large file is read whole, and every decompressed byte counts against the per-document,
 * per-file and per-run bounds, so gzip and zip bombs end as an `errors` entry naming the file and
 * the member, and the next input is read. A small plain XML file (a daily report) is read in one
 * call and parsed at once, without streams: most reports arrive so, and stream set-up costs more
 * than parsing one.
 */
import { once } from "node:events";
import { closeSync } from "node:fs";
import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import type { MailParser as MailParserType } from "mailparser";
import type * as Yauzl from "yauzl";
import { openRegularFile, readChunks, readUpTo, tooLargeProblem, type OpenedFile } from "../safeFs";
import { openProblem, type InputFile } from "./files";
import type { Origin, ParsedReport, ReadLimits } from "./model";
import { ReportError, ReportParser } from "./parse";

/** Where results go; called in the order the documents are read. */
export interface ReadSink {
  report(origin: Origin, report: ParsedReport): void;
  /** A report whose date range ends before `--since` (not read past its metadata). */
  beforeSince(origin: Origin): void;
  error(origin: Origin, message: string): void;
  /** An input that carries no report and was not named as one (an email without a report attachment). */
  skip(origin: Origin, reason: string): void;
}

export interface ReadOptions {
  readonly limits: ReadLimits;
  /** Seconds since the epoch; reports ending earlier are skipped. */
  readonly since?: number;
  /** Decompressed bytes read so far in this run, shared by every file. */
  readonly total: { used: number };
}

/** An input that cannot be read further; the message names why. */
class InputError extends Error {
  override readonly name = "InputError";
}

type Chunks = AsyncIterable<Buffer>;

interface Context {
  readonly options: ReadOptions;
  readonly sink: ReadSink;
  /** Decompressed bytes read from this input file. */
  readonly file: { used: number };
}

const CHUNK_BYTES = 256 * 1024;
const REPORT_TYPES = new Set([
  "application/gzip",
  "application/x-gzip",
  "application/zip",
  "application/x-zip",
  "application/x-zip-compressed",
  "text/xml",
  "application/xml",
  "message/rfc822",
]);

/** Reads one input file; every problem becomes a `sink.error` naming it. */
export async function readInputFile(input: InputFile, options: ReadOptions, sink: ReadSink): Promise<void> {
  const origin: Origin = { file: input.display, inside: [] };
  let opened: OpenedFile;
  try {
    opened = openRegularFile(input.real);
  } catch (error) {
    sink.error(origin, openProblem(error));
    return;
  }
  const { fd, size } = opened;
  const context: Context = { options, sink, file: { used: 0 } };
  const hints: SourceHints = { size, fd, walked: input.walked };
  try {
    let chunks: Chunks;
    if (size <= CHUNK_BYTES) {
      const buffer = Buffer.allocUnsafe(size);
      const bytes = buffer.subarray(0, readUpTo(fd, buffer));
      if (bytes.length > 0 && sniff(bytes) === "xml") {
        readWholeDocument(context, origin, bytes, hints);
        return;
      }
      chunks = Readable.from([bytes]);
    } else {
      // Synchronous reads, at most one chunk ahead of the reader: none is in flight when fd closes.
      chunks = Readable.from(readChunks(fd, CHUNK_BYTES), { highWaterMark: 1 });
    }
    await readSource(context, origin, chunks, 0, hints);
  } catch (error) {
    // readSource reports every input problem itself; anything else still ends as this file's error.
    sink.error(origin, describe(error));
  } finally {
    closeSync(fd);
  }
}

interface SourceHints {
  /** Size in bytes when known (a file on disk). */
  readonly size?: number;
  /** A file descriptor for random access (a zip on disk). */
  readonly fd?: number;
  /** A file found in a directory walk: if it is no report, email or archive it is skipped, not an error. */
  readonly walked: boolean;
}

/** Reads `chunks` as whatever its first bytes say it is. Never throws for bad input. */
async function readSource(context: Context, origin: Origin, chunks: Chunks, depth: number, hints: SourceHints) {
  try {
    const { head, rest } = await peek(chunks, 8);
    if (head.length === 0) throw new InputError("empty: no report in it");
    const kind = sniff(head);
    if (kind !== "xml" && kind !== "unknown" && depth >= context.options.limits.nesting) {
      throw new InputError(`containers nested more than ${context.options.limits.nesting} deep`);
    }
    switch (kind) {
      case "gzip": {
        await readSource(context, origin, gunzip(context, rest), depth + 1, { walked: false });
        return;
      }
      case "zip": {
        await readZip(context, origin, rest, depth, hints);
        return;
      }
      case "xml": {
        checkDocumentSize(context, hints);
        await readDocument(context, origin, rest);
        return;
      }
      case "mbox": {
        await readMbox(context, origin, rest, depth);
        return;
      }
      case "email":
        if (hints.size !== undefined && hints.size > context.options.limits.messageBytes) {
          throw new InputError(tooLargeProblem(hints.size, context.options.limits.messageBytes, "for one email"));
        }
        {
          await readEmail(context, origin, rest, depth);
          return;
        }
      case "unknown":
        if (hints.walked) {
          context.sink.skip(origin, "neither XML, gzip, zip nor an email");
          return;
        }
        throw new InputError("not a DMARC aggregate report: neither XML, gzip, zip nor an email");
    }
  } catch (error) {
    context.sink.error(origin, describe(error));
  }
}

/** A document whose size is known (a file on disk) is refused before it is read when too large. */
function checkDocumentSize(context: Context, hints: SourceHints): void {
  const { documentBytes } = context.options.limits;
  if (hints.size !== undefined && hints.size > documentBytes) {
    throw new InputError(tooLargeProblem(hints.size, documentBytes, "for one report"));
  }
}

/** A small XML file held whole: what readSource and readDocument do with it, without streams. */
function readWholeDocument(context: Context, origin: Origin, bytes: Buffer, hints: SourceHints): void {
  try {
    checkDocumentSize(context, hints);
    const parser = newParser(context);
    if (bytes.length > context.options.limits.documentBytes) throw documentTooLarge(context);
    parser.write(bytes);
    deliver(context, origin, parser);
  } catch (error) {
    context.sink.error(origin, describe(error));
  }
}

function describe(error: unknown): string {
  if (error instanceof InputError || error instanceof ReportError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "Z_BUF_ERROR" || /unexpected end of file/i.test(message)) return "gzip data is truncated";
  if (typeof code === "string" && code.startsWith("Z_")) return `not valid gzip data (${message})`;
  return message;
}

type Kind = "gzip" | "zip" | "xml" | "mbox" | "email" | "unknown";

/** Bytes that `\s` matches in Latin-1 (TAB to CR, space, NBSP): what may precede the first `<`. */
const isSpaceByte = (byte: number): boolean => (byte >= 0x09 && byte <= 0x0d) || byte === 0x20 || byte === 0xa0;

function sniff(head: Buffer): Kind {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  // Local file header, or the end record of an empty archive.
  if (head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) {
    return "zip";
  }
  if ((head[0] === 0xfe && head[1] === 0xff) || (head[0] === 0xff && head[1] === 0xfe)) return "xml";
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  let first = bom;
  while (first < head.length && isSpaceByte(head[first] ?? 0)) first++;
  if (head[first] === 0x3c) return "xml";
  // Only the start is looked at below: a whole first chunk need not become a string.
  const text = head.subarray(bom, bom + 1024).toString("latin1");
  if (text.startsWith("From ")) return "mbox";
  // A header field name (RFC 5322 §3.6.8) and its colon.
  if (/^[\x21-\x39\x3b-\x7e]+:/.test(text)) return "email";
  return "unknown";
}

/** The first `bytes` bytes (fewer at the end of input) and an iterable of everything. */
async function peek(chunks: Chunks, bytes: number): Promise<{ head: Buffer; rest: Chunks }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let length = 0;
  let finished = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done === true) {
      finished = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    taken.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(taken);
  const rest = (async function* () {
    if (head.length > 0) yield head;
    if (finished) return;
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      }
    } finally {
      await iterator.return?.();
    }
  })();
  return { head, rest };
}

/** Counts decompressed bytes against the file's and the run's bounds. */
function countDecompressed(context: Context, bytes: number): void {
  const { limits } = context.options;
  context.file.used += bytes;
  context.options.total.used += bytes;
  if (context.file.used > limits.fileBytes) {
    throw new InputError(tooLargeProblem("over", limits.fileBytes, "from one input file", "decompresses to"));
  }
  if (context.options.total.used > limits.totalBytes) {
    throw new InputError(
      `${tooLargeProblem("over", limits.totalBytes, "in one run", "the run has decompressed")}: not read further`,
    );
  }
}

async function* gunzip(context: Context, chunks: Chunks): Chunks {
  const inflater = createGunzip({ chunkSize: 64 * 1024 });
  const output = pipeline(Readable.from(chunks), inflater, () => undefined);
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      countDecompressed(context, chunk.length);
      yield chunk;
    }
  } finally {
    output.destroy();
  }
}

function newParser(context: Context): ReportParser {
  const { limits, since } = context.options;
  return new ReportParser(since === undefined ? { maxDepth: limits.xmlDepth } : { maxDepth: limits.xmlDepth, since });
}

function documentTooLarge(context: Context): InputError {
  const { documentBytes } = context.options.limits;
  return new InputError(tooLargeProblem("over", documentBytes, "for one report", "the report is"));
}

/** Ends the document and hands its report (or its skip by `--since`) to the sink. */
function deliver(context: Context, origin: Origin, parser: ReportParser): void {
  const report = parser.end();
  if (report === "before-since") context.sink.beforeSince(origin);
  else context.sink.report(origin, report);
}

/** Feeds one XML document to the report parser. */
async function readDocument(context: Context, origin: Origin, chunks: Chunks): Promise<void> {
  const parser = newParser(context);
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.length;
    if (bytes > context.options.limits.documentBytes) throw documentTooLarge(context);
    parser.write(chunk);
    if (parser.done) break;
  }
  deliver(context, origin, parser);
}

async function readAll(chunks: Chunks, limit: number, what: string, per: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.length;
    if (length > limit) throw new InputError(tooLargeProblem("over", limit, per, `${what} is`));
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** A zip archive: each entry is read as a source of its own; a bad entry does not stop the others. */
async function readZip(context: Context, origin: Origin, chunks: Chunks, depth: number, hints: SourceHints) {
  const { limits } = context.options;
  // Loaded when an archive is met: plain XML runs pay nothing for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yauzl = require("yauzl") as typeof Yauzl;
  const options: Yauzl.Options = {
    lazyEntries: true,
    autoClose: false,
    validateEntrySizes: true,
    strictFileNames: false,
  };
  let zip: Yauzl.ZipFile;
  try {
    // A zip on disk is read by random access; one inside an email or archive is held in memory (bounded).
    zip =
      hints.fd !== undefined && depth === 0
        ? await yauzl.fromFdPromise(hints.fd, options)
        : await yauzl.fromBufferPromise(
            await readAll(chunks, limits.messageBytes, "the nested zip archive", "for one nested archive"),
            options,
          );
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`not a readable zip archive: ${describe(error)}`);
  }
  try {
    if (zip.entryCount > limits.zipEntries) {
      throw new InputError(`the zip archive has ${zip.entryCount} entries, more than ${limits.zipEntries}`);
    }
    let entries = 0;
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith("/")) continue;
      entries++;
      const member: Origin = { file: origin.file, inside: [...origin.inside, entry.fileName] };
      if (entry.isEncrypted()) {
        context.sink.error(member, "the zip entry is encrypted");
        continue;
      }
      if (entry.uncompressedSize > limits.documentBytes) {
        context.sink.error(
          member,
          tooLargeProblem(
            entry.uncompressedSize,
            limits.documentBytes,
            "for one report",
            "the zip entry says it decompresses to",
          ),
        );
        continue;
      }
      let stream: Readable;
      try {
        stream = await zip.openReadStreamPromise(entry);
      } catch (error) {
        context.sink.error(member, `cannot read the zip entry: ${describe(error)}`);
        continue;
      }
      const counted = (async function* () {
        try {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            countDecompressed(context, chunk.length);
            yield chunk;
          }
        } catch (error) {
          // yauzl checks the bytes inflated against the size the entry declares (a lying zip bomb).
          if (error instanceof Error && /too (many|few) bytes/.test(error.message)) {
            throw new InputError(`the zip entry's content does not match its declared size (${error.message})`);
          }
          throw error;
        } finally {
          stream.destroy();
        }
      })();
      await readSource(context, member, counted, depth + 1, { walked: false });
      if (context.options.total.used > limits.totalBytes || context.file.used > limits.fileBytes) break;
    }
    if (entries === 0) context.sink.error(origin, "the zip archive is empty");
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`not a readable zip archive: ${describe(error)}`);
  } finally {
    // yauzl closes the descriptor it was given on close(); the file's own handle does that here.
    if (!(hints.fd !== undefined && depth === 0)) zip.close();
  }
}

function isReportAttachment(contentType: string, filename: string | undefined): boolean {
  if (REPORT_TYPES.has(contentType.toLowerCase())) return true;
  return filename !== undefined && /\.(xml|gz|gzip|zip)$/i.test(filename);
}

/** One email: every attachment that may be a report is read as a source of its own. */
async function readEmail(context: Context, origin: Origin, chunks: Chunks, depth: number): Promise<void> {
  const { limits } = context.options;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MailParser } = require("mailparser") as { MailParser: typeof MailParserType };
  const parser = new MailParser({
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    checksumAlgo: false,
    maxHeadSize: 256 * 1024,
    maxChildNodes: 200,
  });
  let candidates = 0;
  let part = 0;
  let work: Promise<void> = Promise.resolve();
  parser.on(
    "data",
    (data: {
      type: string;
      content?: Readable;
      contentType?: string;
      filename?: string;
      release?: (() => void) | null;
    }) => {
      if (data.type !== "attachment" || data.content === undefined) return;
      part++;
      const content = data.content;
      const release = (): void => {
        data.release?.();
      };
      const name = data.filename ?? `part ${part} (${data.contentType ?? "unknown type"})`;
      if (!isReportAttachment(data.contentType ?? "", data.filename)) {
        content.resume();
        release();
        return;
      }
      candidates++;
      const member: Origin = { file: origin.file, inside: [...origin.inside, name] };
      work = work.then(async () => {
        try {
          await readSource(context, member, content, depth + 1, { walked: false });
        } finally {
          content.resume();
          release();
        }
      });
    },
  );
  const finished = new Promise<void>((resolve, reject) => {
    parser.once("end", () => {
      resolve();
    });
    parser.once("error", reject);
  });
  finished.catch(() => undefined);
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      if (bytes > limits.messageBytes) {
        throw new InputError(tooLargeProblem("over", limits.messageBytes, "for one email", "the email is"));
      }
      if (!parser.write(chunk)) await Promise.race([once(parser, "drain"), finished]);
    }
    parser.end();
    await finished;
    await work;
  } catch (error) {
    parser.destroy();
    await work.catch(() => undefined);
    throw error instanceof InputError ? error : new InputError(`not a readable email: ${describe(error)}`);
  }
  if (candidates === 0) context.sink.skip(origin, "an email without a DMARC report attached");
}

/**
 * An mbox file (RFC 4155): messages start at a `From ` line at the start of the file or after an
 * empty line; `>From ` lines are unquoted (mboxrd). Each message is held in memory up to
 * {@link ReadLimits.messageBytes} and read as an email.
 */
async function readMbox(context: Context, origin: Origin, chunks: Chunks, depth: number): Promise<void> {
  const { limits } = context.options;
  let carry = Buffer.alloc(0);
  let message: Buffer[] = [];
  let size = 0;
  let oversize = false;
  let index = 0;
  let previousBlank = true;
  const flush = async (): Promise<void> => {
    if (index === 0) return;
    const member: Origin = { file: origin.file, inside: [...origin.inside, `message ${index}`] };
    if (oversize) {
      context.sink.error(member, tooLargeProblem("over", limits.messageBytes, "for one email", "the email is"));
    } else {
      const body = Buffer.concat(message);
      await readSource(context, member, Readable.from([body]), depth + 1, { walked: false });
    }
    message = [];
    size = 0;
    oversize = false;
  };
  const line = async (bytes: Buffer): Promise<void> => {
    if (previousBlank && bytes.subarray(0, 5).toString("latin1") === "From ") {
      await flush();
      index++;
      previousBlank = false;
      return;
    }
    previousBlank = bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x0d);
    const unquoted = /^>+From /.test(bytes.subarray(0, 64).toString("latin1")) ? bytes.subarray(1) : bytes;
    size += unquoted.length + 1;
    if (size > limits.messageBytes) oversize = true;
    if (!oversize) message.push(unquoted, Buffer.from("\n"));
  };
  for await (const chunk of chunks) {
    let data = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    let start = 0;
    for (let newline = data.indexOf(0x0a, start); newline >= 0; newline = data.indexOf(0x0a, start)) {
      await line(data.subarray(start, newline));
      start = newline + 1;
    }
    data = data.subarray(start);
    if (data.length > limits.messageBytes) {
      oversize = true;
      data = Buffer.alloc(0);
    }
    carry = Buffer.from(data);
  }
  if (carry.length > 0) await line(carry);
  await flush();
  if (index === 0) throw new InputError("not an mbox file: no message");
}
