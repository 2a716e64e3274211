import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Aggregator,
  compareSources,
  daysCovered,
  isoSeconds,
  type SourceSummary,
} from "../../../cli/reports/aggregate";
import { parsed } from "../../support/reports";

describe("aggregate: the four receiver fixtures", () => {
  const aggregator = new Aggregator(1000);
  for (const name of ["dmarcbis.xml", "google.xml", "microsoft.xml", "yahoo.xml"]) {
    assert.equal(aggregator.add(parsed(name)), "added");
  }
  const [domain, ...others] = aggregator.summaries();

  it("sums reports, messages and DMARC pass/fail for the policy domain", () => {
    assert.equal(others.length, 0);
    assert.equal(domain!.domain, "example.com");
    assert.equal(domain!.reports, 4);
    assert.equal(domain!.messages, 283);
    assert.equal(domain!.dmarcPass, 220);
    assert.equal(domain!.dmarcFail, 63);
  });

  it("lists organisations by messages, the date range and the days covered", () => {
    assert.deepEqual(domain!.organisations, [
      { name: "google.com", reports: 1, messages: 165 },
      { name: "Yahoo", reports: 1, messages: 52 },
      { name: "Enterprise Outlook", reports: 1, messages: 45 },
      { name: "Example Receiver", reports: 1, messages: 21 },
    ]);
    // Microsoft's report ends at the next midnight (1790899200): it still covers one day, not two.
    assert.deepEqual(domain!.dateRange, { begin: "2026-10-01T00:00:00Z", end: "2026-10-02T23:59:59Z", days: 2 });
  });

  it("keeps the policy of the report that ends last (the first of a tie)", () => {
    assert.deepEqual(domain!.policyPublished, {
      domain: "example.com",
      p: "none",
      sp: "none",
      np: "none",
      adkim: "r",
      aspf: "r",
      testing: "n",
      discoveryMethod: "treewalk",
    });
  });

  it("sums sources over reports by IP and outcome, most messages first", () => {
    assert.deepEqual(
      domain!.sources.map((s) => [s.ip, s.count, s.dmarc, s.spfAligned, s.dkimAligned, s.disposition]),
      [
        ["192.0.2.10", 200, "pass", true, true, "none"],
        ["209.85.220.41", 40, "fail", false, false, "none"],
        ["192.0.2.10", 20, "pass", true, true, "pass"],
        ["167.89.0.1", 12, "fail", false, false, "none"],
        ["192.0.2.200", 6, "fail", false, false, "none"],
        ["2001:db8::25", 3, "fail", false, false, "none"],
        ["203.0.113.9", 2, "fail", false, false, "none"],
      ],
    );
    const own = domain!.sources[0]!;
    assert.deepEqual(own.dkimSelectors, ["s202611a"]);
    assert.deepEqual(own.dkimDomains, ["example.com"]);
    assert.deepEqual(own.headerFrom, [{ domain: "example.com", messages: 200 }]);
    assert.deepEqual(own.envelopeFrom, ["example.com"]);
    assert.deepEqual(own.dkim, [{ domain: "example.com", selector: "s202611a", result: "pass", messages: 200 }]);
    assert.deepEqual(own.spf, [
      { domain: "example.com", scope: "", result: "pass", messages: 170 },
      { domain: "example.com", scope: "mfrom", result: "pass", messages: 30 },
    ]);
    assert.equal(own.truncated, false);
    const spoof = domain!.sources[4]!;
    assert.deepEqual(spoof.headerFrom, [
      { domain: "example.com", messages: 5 },
      { domain: "news.example.com", messages: 1 },
    ]);
    assert.deepEqual(domain!.sources[6]!.reasons, [{ type: "mailing_list", messages: 2 }]);
  });
});

describe("aggregate: rules", () => {
  it("counts a report seen twice (same organisation, domain and ID) once", () => {
    const aggregator = new Aggregator(1000);
    const report = parsed({ records: [{ ip: "192.0.2.1", count: 3 }] });
    assert.equal(aggregator.add(report), "added");
    assert.equal(aggregator.add(parsed({ records: [{ ip: "192.0.2.1", count: 3 }] })), "duplicate");
    // The same ID from another organisation, or for another domain, is another report.
    assert.equal(aggregator.add(parsed({ org: "other.example", records: [{ ip: "192.0.2.1", count: 3 }] })), "added");
    assert.equal(aggregator.add(parsed({ domain: "example.org", records: [{ ip: "192.0.2.1", count: 3 }] })), "added");
    assert.equal(aggregator.duplicates, 1);
    assert.equal(aggregator.reports, 3);
    assert.deepEqual(
      aggregator.summaries().map((s) => [s.domain, s.reports, s.messages]),
      [
        ["example.com", 2, 6],
        ["example.org", 1, 3],
      ],
    );
  });

  it("refuses a report that would go over the distinct-source bound, and keeps counting others", () => {
    const aggregator = new Aggregator(2);
    assert.equal(aggregator.add(parsed({ reportId: "a", records: [{ ip: "192.0.2.1", count: 1 }] })), "added");
    assert.deepEqual(
      aggregator.add(
        parsed({
          reportId: "b",
          records: [
            { ip: "192.0.2.2", count: 1 },
            { ip: "192.0.2.3", count: 1 },
          ],
        }),
      ),
      { error: "more than 2 distinct sources in this run: the report is not counted" },
    );
    // A known source does not count again.
    assert.equal(aggregator.add(parsed({ reportId: "c", records: [{ ip: "192.0.2.1", count: 5 }] })), "added");
    assert.deepEqual(
      aggregator.summaries().map((s) => [s.reports, s.messages, s.sources.length]),
      [[2, 6, 1]],
    );
  });

  for (const [spans, days] of [
    [[], 0],
    [[[10, 10]], 1],
    [
      [
        [10, 10],
        [10, 10],
      ],
      1,
    ],
    [
      [
        [10, 12],
        [11, 20],
      ],
      11,
    ],
    [
      [
        [30, 31],
        [10, 10],
      ],
      3,
    ],
  ] as [[number, number][], number][]) {
    it(`daysCovered(${JSON.stringify(spans)}) = ${days}`, () => {
      assert.equal(daysCovered(spans), days);
    });
  }

  it("formats timestamps as ISO 8601 seconds", () => {
    assert.equal(isoSeconds(1790812800), "2026-10-01T00:00:00Z");
  });

  it("orders sources by count, IP, DMARC fail first, unaligned first, disposition", () => {
    const base: SourceSummary = {
      ip: "192.0.2.1",
      count: 1,
      dmarc: "pass",
      spfAligned: true,
      dkimAligned: true,
      disposition: "none",
      dkimSelectors: [],
      dkimDomains: [],
      headerFrom: [],
      envelopeFrom: [],
      dkim: [],
      spf: [],
      reasons: [],
      truncated: false,
    };
    const sources: SourceSummary[] = [
      { ...base, disposition: "pass" },
      { ...base, ip: "192.0.2.2", count: 5 },
      { ...base, spfAligned: false },
      { ...base, dmarc: "fail", spfAligned: false, dkimAligned: false },
      base,
    ];
    assert.deepEqual(
      [...sources].sort(compareSources).map((s) => `${s.ip} ${s.count} ${s.dmarc} ${s.spfAligned} ${s.disposition}`),
      [
        "192.0.2.2 5 pass true none",
        "192.0.2.1 1 fail false none",
        "192.0.2.1 1 pass false none",
        "192.0.2.1 1 pass true none",
        "192.0.2.1 1 pass true pass",
      ],
    );
  });
});
