/**
 * `reports` with worker threads reads exactly what one thread reads: the same calls to the sink in
 * the same order, so the same aggregation and byte-identical output, over several hundred inputs of
 * every wrapping, with duplicates, broken files, `--since`, sources whose tallies overflow, and the
 * run's decompression bound crossed in the middle (which a worker alone cannot place).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import type { ReportsOptions } from "../../../cli/commands/reports";
import { collectInputs } from "../../../cli/reports/files";
import { DEFAULT_LIMITS, type ReadLimits } from "../../../cli/reports/model";
import type { ReadSink } from "../../../cli/reports/readers";
import { MIN_FILES_FOR_WORKERS, readInputs } from "../../../cli/reports/run";
import { email, reportXml, zipArchive, type RecordSpec } from "../../support/reports";
import { runReports } from "../../support/reportsRun";

const DAY = 86_400;
const FILES = 420;

/** Input `i`: mostly plain reports, and every few a gzip, zip, email, duplicate, broken or old one. */
function input(i: number): { name: string; data: Buffer } {
  const records: RecordSpec[] = Array.from({ length: 3 + (i % 5) }, (_, r) => ({
    ip: r % 4 === 3 ? `2001:db8::${(i * 7 + r) % 40}` : `198.51.100.${(i * 3 + r) % 60}`,
    count: 1 + ((i * 13 + r * 7) % 50),
    dkim: r % 3 === 0 ? "fail" : "pass",
    spf: r % 2 === 0 ? "fail" : "pass",
    // One source collects many selectors: its DKIM tally keeps the first 100, so order matters.
    dkimResults: [{ domain: `d${i % 3}.example`, selector: r === 0 ? `sel${i}` : "s1", result: "pass" }],
  }));
  const spec = {
    org: ["google.com", "Yahoo", "Enterprise Outlook"][i % 3] ?? "x",
    reportId: `w-${i % 50 === 7 ? i - 1 : i}`,
    domain: `brand${i % 4}.example`,
    begin: 1790812800 + (i % 30) * DAY - (i % 50 === 9 ? 400 * DAY : 0),
    rfc9990: i % 2 === 1,
    records,
  };
  const xml = Buffer.from(reportXml(spec));
  const name = `in${String(i).padStart(4, "0")}`;
  switch (i % 50) {
    case 1:
      return { name: `${name}.xml.gz`, data: gzipSync(xml) };
    case 2:
      return {
        name: `${name}.zip`,
        data: zipArchive([
          { name: "a.xml", data: xml },
          { name: "b.xml", data: Buffer.from(reportXml({ ...spec, reportId: `w-${i}-b` })) },
        ]),
      };
    case 3:
      return {
        name: `${name}.eml`,
        data: email("Report", [{ filename: "r.xml.gz", contentType: "application/gzip", data: gzipSync(xml) }]),
      };
    case 4:
      return { name: `${name}.xml`, data: xml.subarray(0, xml.length >> 1) };
    case 5:
      return { name: `${name}.txt`, data: Buffer.from("not a report") };
    default:
      return { name: `${name}.xml`, data: xml };
  }
}

describe("reports in worker threads", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sender-auth-reports-workers-"));
    for (let i = 0; i < FILES; i++) {
      const { name, data } = input(i);
      writeFileSync(path.join(dir, name), data);
    }
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (options: Partial<ReportsOptions>): ReturnType<typeof runReports> => runReports([dir], options);

  /** What the sink is told, in order, as plain data. */
  async function events(
    workers: number | "auto",
    limits: ReadLimits,
    repeat = 0,
  ): Promise<{ threads: number; calls: unknown[] }> {
    const calls: unknown[] = [];
    const sink: ReadSink = {
      report: (origin, report) => calls.push(["report", origin, report]),
      beforeSince: (origin) => calls.push(["beforeSince", origin]),
      error: (origin, message) => calls.push(["error", origin, message]),
      skip: (origin, message) => calls.push(["skip", origin, message]),
    };
    const total = { used: 0 };
    const { files: found } = collectInputs([dir]);
    const files = [...found, ...found.slice(0, repeat)];
    const threads = await readInputs(files, { limits, total, since: 1790812800 - 30 * DAY }, sink, { workers });
    calls.push(["total", total.used]);
    return { threads, calls };
  }

  it("gives the sink the same calls in the same order as one thread", async () => {
    const one = await events(0, DEFAULT_LIMITS);
    const two = await events(2, DEFAULT_LIMITS);
    assert.equal(one.threads, 0);
    assert.equal(two.threads, 2);
    assert.deepEqual(two.calls, one.calls);
    const kinds = new Set(one.calls.map((c) => (c as unknown[])[0]));
    assert.deepEqual([...kinds].sort(), ["beforeSince", "error", "report", "skip", "total"]);
  });

  it("uses one thread per core by default from MIN_FILES_FOR_WORKERS files on, none below", async () => {
    assert.equal((await events("auto", DEFAULT_LIMITS)).threads, 0);
    const many = await events("auto", DEFAULT_LIMITS, MIN_FILES_FOR_WORKERS - FILES);
    assert.equal(many.threads, availableParallelism());
    assert.deepEqual(many.calls, (await events(0, DEFAULT_LIMITS, MIN_FILES_FOR_WORKERS - FILES)).calls);
  });

  it("cuts at the run's decompression bound where one thread cuts", async () => {
    // About half of the compressed inputs fit in the bound.
    const limits: ReadLimits = { ...DEFAULT_LIMITS, totalBytes: 20_000 };
    const one = await events(0, limits);
    const two = await events(2, limits);
    assert.deepEqual(two.calls, one.calls);
    const cut = one.calls.filter((c) => String((c as unknown[])[2]).startsWith("the run has decompressed more than"));
    assert.ok(cut.length > 5, `the bound should cut several inputs, cut ${cut.length}`);
    assert.ok(
      one.calls.some((c, i) => (c as unknown[])[0] === "report" && i > one.calls.indexOf(cut[0])),
      "plain reports after the cut are still read",
    );
  });

  for (const format of ["json", "table"] as const) {
    it(`prints byte-identical ${format} output and exit code with workers and without`, async () => {
      const single = await run({ format, workers: 0, since: Date.UTC(2025, 0, 1) / 1000 });
      const pooled = await run({ format, workers: 2, since: Date.UTC(2025, 0, 1) / 1000 });
      assert.equal(single.code, 1);
      assert.ok(single.stdout.length > 10_000);
      assert.equal(pooled.code, single.code);
      assert.equal(pooled.stdout, single.stdout);
      assert.equal(pooled.stderr, single.stderr);
    });
  }
});
