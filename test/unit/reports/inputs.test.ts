/**
 * `reports` over real files, in process: every wrapping a report arrives in, and every hostile or
 * broken input, each an `errors` entry naming the file (and member) while the rest is counted.
 * Bombs are generated here, and the bounds lowered so that they are reached with small files.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { ReportsOptions } from "../../../cli/commands/reports";
import { ProjectError } from "../../../cli/errors";
import { collectInputs, openProblem } from "../../../cli/reports/files";
import { formatBytes, openRegularFile, readRegularFile } from "../../../cli/safeFs";
import type { ReadLimits } from "../../../cli/reports/model";
import type { ReportsResult } from "../../../cli/reports/render";
import { email, mbox, REPORT_FIXTURES, reportXml, zipArchive } from "../../support/reports";
import { runReports } from "../../support/reportsRun";

const fixture = (name: string): Buffer => readFileSync(path.join(REPORT_FIXTURES, name));
const KIB = 1024;
const SMALL: ReadLimits = {
  documentBytes: 64 * KIB,
  fileBytes: 256 * KIB,
  totalBytes: 16 * KIB * KIB,
  messageBytes: KIB * KIB,
  nesting: 4,
  zipEntries: 10,
  xmlDepth: 32,
  sources: 1000,
};

async function run(
  paths: readonly string[],
  options: Partial<ReportsOptions> = {},
): Promise<{ code: number; result: ReportsResult; stderr: string }> {
  const { code, stdout, stderr } = await runReports(paths, options);
  return { code, result: JSON.parse(stdout) as ReportsResult, stderr };
}

const good = (id: string, count = 1): Buffer =>
  Buffer.from(reportXml({ reportId: id, records: [{ ip: "192.0.2.1", count }] }));

describe("inputs: every wrapping of a report", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sender-auth-reports-"));
    const d = (name: string): string => path.join(dir, name);
    // Google sends a zip, Microsoft a gzip, Yahoo XML; one is forwarded, one sits in an mbox.
    writeFileSync(
      d("google.eml"),
      email("Report Domain: example.com Submitter: google.com", [
        {
          filename: "google.com!example.com!1790812800!1790899199.zip",
          contentType: "application/zip",
          data: zipArchive([{ name: "google.com!example.com!1790812800!1790899199.xml", data: fixture("google.xml") }]),
        },
      ]),
    );
    writeFileSync(
      d("microsoft.eml"),
      email("Report Domain: example.com", [
        {
          filename: "enterprise.protection.outlook.com!example.com!1790812800!1790899200.xml.gz",
          contentType: "application/gzip",
          data: gzipSync(fixture("microsoft.xml")),
        },
      ]),
    );
    const yahoo = email("Report Domain: example.com Submitter: yahoo.com", [
      {
        filename: "yahoo.com!example.com!1790899200!1790985599.xml",
        contentType: "text/xml",
        data: fixture("yahoo.xml"),
      },
    ]);
    writeFileSync(
      d("forwarded.eml"),
      email("Fwd: report", [{ filename: "report.eml", contentType: "message/rfc822", data: yahoo }], "=_outer"),
    );
    writeFileSync(
      d("inbox.mbox"),
      mbox([
        email("Hello", []),
        email("From the receiver", [
          {
            filename: "r.zip",
            contentType: "application/zip",
            data: zipArchive([{ name: "inner.xml.gz", data: gzipSync(fixture("dmarcbis.xml")) }]),
          },
        ]),
      ]),
    );
    // The Google report once more, as the extracted XML: counted once.
    writeFileSync(d("google.xml"), fixture("google.xml"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads emails (zip, gzip, XML attachments), a forwarded email, an mbox with a zip of gzip, and dedups", async () => {
    const { code, result, stderr } = await run([dir]);
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.deepEqual(result.errors, []);
    assert.deepEqual(
      result.skipped.map((s) => [path.relative(dir, s.file), s.inside, s.message]),
      [["inbox.mbox", ["message 1"], "an email without a DMARC report attached"]],
    );
    assert.deepEqual(result.summary, { files: 5, reports: 4, duplicates: 1, beforeSince: 0 });
    assert.deepEqual(
      result.domains.map((d) => [d.domain, d.reports, d.messages, d.dmarcPass, d.dmarcFail]),
      [["example.com", 4, 283, 220, 63]],
    );
  });

  it("--since leaves out reports that end before the day", async () => {
    const { result } = await run([dir], { since: Date.UTC(2026, 9, 2) / 1000 });
    // Google's and Microsoft's reports cover 2026-10-01 only (Microsoft's ends at midnight exactly).
    assert.deepEqual(result.summary, { files: 5, reports: 3, duplicates: 0, beforeSince: 2 });
    assert.deepEqual(
      result.domains.map((d) => [d.reports, d.messages, d.dateRange?.begin]),
      [[3, 118, "2026-10-01T00:00:00Z"]],
    );
  });
});

describe("inputs: hostile and broken", () => {
  let dir: string;
  let outside: string;
  const d = (name: string): string => path.join(dir, name);
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sender-auth-reports-"));
    outside = mkdtempSync(path.join(tmpdir(), "sender-auth-outside-"));
    writeFileSync(d("good.xml"), good("good", 7));
    writeFileSync(
      d("xxe.xml"),
      `<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><feedback>&xxe;</feedback>`,
    );
    writeFileSync(d("html.xml"), "<html/>");
    writeFileSync(d("trunc.xml.gz"), gzipSync(good("t")).subarray(0, 60));
    writeFileSync(d("trunc.zip"), zipArchive([{ name: "a.xml", data: good("z") }]).subarray(0, 100));
    writeFileSync(d("absurd.xml"), reportXml({ reportId: "absurd", records: [{ ip: "192.0.2.1", count: -1 }] }));
    writeFileSync(d("empty.xml"), "");
    // 10 MiB of XML whitespace in 10 KiB of gzip.
    writeFileSync(
      d("gzbomb.xml.gz"),
      gzipSync(Buffer.concat([Buffer.from("<feedback>"), Buffer.alloc(10 * KIB * KIB, 0x20)]), { level: 9 }),
    );
    writeFileSync(
      d("declared.zip"),
      zipArchive([{ name: "big.xml", data: Buffer.from("<feedback/>"), declaredSize: 1024 ** 3 }]),
    );
    writeFileSync(
      d("lying.zip"),
      zipArchive([
        {
          name: "liar.xml",
          data: Buffer.concat([Buffer.from("<feedback>"), Buffer.alloc(60000, 0x20), Buffer.from("</feedback>")]),
          declaredSize: 100,
        },
      ]),
    );
    // Five 60 KiB reports: each under the report bound, together over the file's.
    const padded = (id: string): Buffer =>
      Buffer.from(
        good(id)
          .toString()
          .replace("</feedback>", `${" ".repeat(60 * KIB)}</feedback>`),
      );
    writeFileSync(
      d("budget.zip"),
      zipArchive(["1", "2", "3", "4", "5"].map((n) => ({ name: `r${n}.xml`, data: padded(`b${n}`) }))),
    );
    writeFileSync(
      d("many.zip"),
      zipArchive(Array.from({ length: 11 }, (_, i) => ({ name: `r${i}.xml`, data: Buffer.from("x") }))),
    );
    let nested = good("deep");
    for (let i = 0; i < 5; i++) nested = zipArchive([{ name: `level${i}.zip`, data: nested }]);
    writeFileSync(d("nested.zip"), nested);
    // A 1 GiB file (sparse: nothing is written, and nothing may be read).
    writeFileSync(d("big.xml"), "<feedback>");
    truncateSync(d("big.xml"), 1024 ** 3);
    execFileSync("mkfifo", [d("pipe.xml")]);
    writeFileSync(path.join(outside, "secret.xml"), good("outside"));
    symlinkSync(path.join(outside, "secret.xml"), d("link-out.xml"));
    symlinkSync(d("good.xml"), d("link-in.xml"));
    symlinkSync(dir, d("loop"));
    writeFileSync(d("notes.txt"), "hello");
    writeFileSync(d("noreport.eml"), email("Hello", []));
    writeFileSync(path.join(outside, "named.txt"), "hello");
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("turns each into an error naming the file and member; the good reports are still counted", async () => {
    const { code, result, stderr } = await run([dir, path.join(dir, "missing.xml"), path.join(outside, "named.txt")], {
      limits: SMALL,
    });
    assert.equal(code, 1);
    const rel = (file: string): string => (file.startsWith(dir) ? path.relative(dir, file) : path.basename(file));
    assert.deepEqual(
      result.errors.map((e) => [rel(e.file), e.inside, e.message]),
      [
        // Sorted by path: the other temporary directory's name sorts first.
        ["named.txt", [], "not a DMARC aggregate report: neither XML, gzip, zip nor an email"],
        ["absurd.xml", [], 'record 1: count "-1" is not a whole number from 0 to 4294967295'],
        ["big.xml", [], "is 1 GiB long; sender-auth reads at most 64 KiB for one report"],
        [
          "budget.zip",
          ["r5.xml"],
          "decompresses to more than 256 KiB; sender-auth reads at most 256 KiB from one input file",
        ],
        [
          "declared.zip",
          ["big.xml"],
          "the zip entry says it decompresses to 1 GiB; sender-auth reads at most 64 KiB for one report",
        ],
        ["empty.xml", [], "empty: no report in it"],
        ["gzbomb.xml.gz", [], "the report is more than 64 KiB long; sender-auth reads at most 64 KiB for one report"],
        ["html.xml", [], "not a DMARC aggregate report: the root element is <html>"],
        ["link-out.xml", [], "is a symbolic link to outside the given paths, which sender-auth does not follow"],
        [
          "lying.zip",
          ["liar.xml"],
          "the zip entry's content does not match its declared size (too many bytes in the stream. expected 100. got at least 16384)",
        ],
        ["many.zip", [], "the zip archive has 11 entries, more than 10"],
        ["missing.xml", [], "cannot read: it does not exist (ENOENT)"],
        ["nested.zip", ["level4.zip", "level3.zip", "level2.zip", "level1.zip"], "containers nested more than 4 deep"],
        ["pipe.xml", [], "is a FIFO (named pipe), not a regular file"],
        ["trunc.xml.gz", [], "gzip data is truncated"],
        [
          "trunc.zip",
          [],
          "not a readable zip archive: End of central directory record signature not found. Either not a zip file, or file is truncated.",
        ],
        [
          "xxe.xml",
          [],
          "the document has a DOCTYPE: DMARC reports have none, and DTDs and entities are never processed here",
        ],
      ],
    );
    assert.deepEqual(
      result.skipped.map((s) => [rel(s.file), s.message]),
      [
        ["noreport.eml", "an email without a DMARC report attached"],
        ["notes.txt", "neither XML, gzip, zip nor an email"],
      ],
    );
    // good.xml (7), budget.zip's first four (1 each); link-in.xml is good.xml again and read once; loop is not walked.
    assert.deepEqual(result.summary, { files: 17, reports: 5, duplicates: 0, beforeSince: 0 });
    assert.deepEqual(
      result.domains.map((d) => [d.domain, d.reports, d.messages]),
      [["example.com", 5, 11]],
    );
    assert.equal(stderr.split("\n").filter((l) => l.startsWith("error: ")).length, 17);
    assert.match(stderr, /^error: .*absurd\.xml: record 1: count "-1" is not a whole number from 0 to 4294967295$/m);
  });

  it("stops decompressing for the whole run at the run's bound", async () => {
    const { result } = await run([d("good.xml"), d("budget.zip"), d("gzbomb.xml.gz")], {
      limits: { ...SMALL, totalBytes: 100 * KIB },
    });
    assert.deepEqual(
      result.errors.map((e) => [path.basename(e.file), e.inside, e.message]),
      [
        [
          "budget.zip",
          ["r2.xml"],
          "the run has decompressed more than 100 KiB; sender-auth reads at most 100 KiB in one run: not read further",
        ],
        [
          "gzbomb.xml.gz",
          [],
          "the run has decompressed more than 100 KiB; sender-auth reads at most 100 KiB in one run: not read further",
        ],
      ],
    );
    assert.equal(result.summary.reports, 2);
  });
});

describe("inputs: emails over the bound for one email, in cli/safeFs.ts's wording of a size refusal", () => {
  let dir: string;
  const d = (name: string): string => path.join(dir, name);
  // Random bytes do not compress: a zip of them is as large as they are.
  const noise = (bytes: number): Buffer => randomBytes(bytes);
  const big = email("Report Domain: example.com", [
    { filename: "r.xml", contentType: "text/xml", data: Buffer.concat([good("big"), Buffer.alloc(4 * KIB, 0x20)]) },
  ]);
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sender-auth-reports-email-"));
    writeFileSync(d("a-big.eml"), big);
    writeFileSync(d("b-big.eml.gz"), gzipSync(big));
    writeFileSync(d("c-big.mbox"), mbox([big]));
    writeFileSync(d("d-zip.gz"), gzipSync(zipArchive([{ name: "r.xml", data: noise(4 * KIB) }])));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses each, naming the file and member, with the size when it is known", async () => {
    const { code, result } = await run([dir], { limits: { ...SMALL, messageBytes: 2 * KIB } });
    assert.equal(code, 1);
    assert.ok(big.length > 4 * KIB);
    assert.match(formatBytes(big.length), /^\d\.\d KiB \(\d+ bytes\)$/);
    assert.deepEqual(
      result.errors.map((e) => [path.basename(e.file), e.inside, e.message]),
      [
        ["a-big.eml", [], `is ${formatBytes(big.length)} long; sender-auth reads at most 2 KiB for one email`],
        ["b-big.eml.gz", [], "the email is more than 2 KiB long; sender-auth reads at most 2 KiB for one email"],
        [
          "c-big.mbox",
          ["message 1"],
          "the email is more than 2 KiB long; sender-auth reads at most 2 KiB for one email",
        ],
        [
          "d-zip.gz",
          [],
          "the nested zip archive is more than 2 KiB long; sender-auth reads at most 2 KiB for one nested archive",
        ],
      ],
    );
  });
});

describe("inputs: the file system's refusals in cli/safeFs.ts's wording", () => {
  let dir: string;
  const d = (name: string): string => path.join(dir, name);
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sender-auth-refusals-"));
    mkdirSync(d("walked"));
    writeFileSync(d("walked/good.xml"), good("r"));
    execFileSync("mkfifo", [d("walked/pipe.xml")]);
    symlinkSync(d("walked/nowhere.xml"), d("walked/broken.xml"));
    symlinkSync(d("walked/loop-b.xml"), d("walked/loop-a.xml"));
    symlinkSync(d("walked/loop-a.xml"), d("walked/loop-b.xml"));
    writeFileSync(d("report.xml"), good("s"));
    symlinkSync(d("report.xml"), d("link.xml"));
    execFileSync("mkfifo", [d("given-pipe.xml")]);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("collectInputs: each refusal, given or walked, exactly", () => {
    const { files, problems } = collectInputs([d("walked"), d("missing.xml"), "/dev/null", d("given-pipe.xml")]);
    assert.deepEqual(
      files.map((f) => path.relative(dir, f.display)),
      [path.join("walked", "good.xml")],
    );
    assert.deepEqual(
      problems.map((p) => [p.file.startsWith(dir) ? path.relative(dir, p.file) : p.file, p.message]),
      [
        [d("missing.xml").slice(dir.length + 1), "cannot read: it does not exist (ENOENT)"],
        ["/dev/null", "is a character device, not a regular file"],
        ["given-pipe.xml", "is a FIFO (named pipe), not a regular file"],
        [path.join("walked", "broken.xml"), "is a broken symbolic link: its target cannot be read"],
        [path.join("walked", "loop-a.xml"), "is a broken symbolic link: its target cannot be read"],
        [path.join("walked", "loop-b.xml"), "is a broken symbolic link: its target cannot be read"],
        [path.join("walked", "pipe.xml"), "is a FIFO (named pipe), not a regular file"],
      ],
    );
  });

  it("openProblem: what openRegularFile refuses (a link put in place after the walk, a FIFO, a missing file) reads as safeFs words it for a project file", () => {
    const refusal = (file: string): string => {
      try {
        openRegularFile(file);
      } catch (error) {
        return openProblem(error);
      }
      throw new Error(`${file} was opened`);
    };
    const projectRefusal = (file: string): string => {
      try {
        readRegularFile(file, { label: "L" });
      } catch (error) {
        assert.ok(error instanceof ProjectError);
        return error.message.replace(/^L: /, "");
      }
      throw new Error(`${file} was read`);
    };
    assert.deepEqual([d("link.xml"), d("given-pipe.xml"), d("missing.xml"), d("walked")].map(refusal), [
      "is a symbolic link; sender-auth reads report files only as regular files, never through a link (it could point outside the given paths, or at a device)",
      "is a FIFO (named pipe), not a regular file",
      "cannot read: it does not exist (ENOENT)",
      "is a directory, not a regular file",
    ]);
    // The same refusals of a project file: one wording, only the scope of a link differs.
    assert.deepEqual([d("link.xml"), d("given-pipe.xml"), d("missing.xml"), d("walked")].map(projectRefusal), [
      "is a symbolic link; sender-auth reads project files only as regular files, never through a link (it could point outside the project, or at a device)",
      "is a FIFO (named pipe), not a regular file",
      "cannot read: it does not exist (ENOENT)",
      "is a directory, not a regular file",
    ]);
  });
});
