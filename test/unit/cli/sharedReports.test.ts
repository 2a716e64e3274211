/**
 * The reports `status --reports` hands its worker threads (cli/status/sharedReports.ts), in process:
 * what loadReports read comes back whole after serialisation into shared memory and a structured
 * clone (what a batch's postMessage does), without the memory being copied; each thread deserialises
 * one run's reports once, and another run's afresh.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { loadReports } from "../../../cli/status/reports";
import { shareReports, sharedReports } from "../../../cli/status/sharedReports";
import { dayStart, writeRevokeEvidence } from "../../support/fleet";
import { reportXml } from "../../support/reports";
import { tempDirs } from "../../support/tempDirs";

const tempDir = tempDirs("sender-auth-shared-reports-");

async function loaded() {
  const dir = tempDir();
  writeRevokeEvidence(dir);
  writeFileSync(
    path.join(dir, "other.xml"),
    reportXml({
      reportId: "other",
      domain: "fresh.test",
      p: "none",
      begin: dayStart("2027-05-30"),
      records: [
        { ip: "192.0.2.10", count: 12, dkimResults: [{ domain: "fresh.test", selector: "s1", result: "pass" }] },
        { ip: "198.51.100.7", count: 3, dkim: "fail", spf: "fail" },
      ],
    }),
  );
  const reports = await loadReports([dir]);
  assert.deepEqual(reports.errors, []);
  return reports;
}

describe("reports shared with worker threads", () => {
  it("come back whole (summaries and sightings per domain, Maps and their order) after a structured clone", async () => {
    const reports = await loaded();
    assert.deepEqual([...reports.summaries.keys()], ["fresh.test", "retired.test"]);
    const shared = shareReports(reports);
    const cloned = structuredClone(shared);
    assert.ok(cloned.bytes instanceof SharedArrayBuffer);
    // The same memory, not a copy: a write through one view shows through the clone.
    const before = new Uint8Array(cloned.bytes)[0];
    new Uint8Array(shared.bytes)[0] = 0xff;
    assert.equal(new Uint8Array(cloned.bytes)[0], 0xff);
    new Uint8Array(shared.bytes)[0] = before ?? 0;
    const back = sharedReports(cloned);
    assert.deepEqual(back, { summaries: reports.summaries, sightings: reports.sightings });
    assert.deepEqual([...back.sightings.keys()], [...reports.sightings.keys()]);
    assert.ok(back.sightings.get("retired.test")?.[0]?.selectors instanceof Map);
  });

  it("are deserialised once per run: the same object for every batch of a run, a new one for another run", async () => {
    const reports = await loaded();
    const shared = shareReports(reports);
    const first = sharedReports(structuredClone(shared));
    assert.equal(sharedReports(structuredClone(shared)), first);
    const other = shareReports({ summaries: new Map(), sightings: new Map() });
    assert.notEqual(other.id, shared.id);
    assert.deepEqual(sharedReports(other), { summaries: new Map(), sightings: new Map() });
    assert.notEqual(sharedReports(structuredClone(shared)), first, "deserialised again after another run's");
    assert.deepEqual(sharedReports(structuredClone(shared)), first);
  });
});
