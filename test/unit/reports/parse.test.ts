import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { tallyKeys, type ParsedReport, type SourceRow } from "../../../cli/reports/model";
import { canonicalIp, MAX_FIELD_CHARS, parseReportBytes, reportDomain, ReportParser } from "../../../cli/reports/parse";
import { reportXml } from "../../support/reports";

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "reports");
const fixture = (name: string): Buffer => readFileSync(path.join(FIXTURES, name));
const OPTIONS = { maxDepth: 32 };

function parse(xml: string | Buffer, options: { maxDepth: number; since?: number } = OPTIONS): ParsedReport {
  const result = parseReportBytes(typeof xml === "string" ? Buffer.from(xml) : xml, options);
  assert.notEqual(result, "before-since");
  return result as ParsedReport;
}

/** A row as plain data: tallies as sorted [key, count] pairs. */
function plain(row: SourceRow) {
  const t = (tally: SourceRow["dkim"]) => tallyKeys(tally).map((k) => [k.replaceAll("\0", "|"), tally.counts.get(k)]);
  return {
    ip: row.ip,
    disposition: row.disposition,
    spfAligned: row.spfAligned,
    dkimAligned: row.dkimAligned,
    count: row.count,
    headerFrom: t(row.headerFrom),
    envelopeFrom: t(row.envelopeFrom),
    dkim: t(row.dkim),
    spf: t(row.spf),
    reasons: t(row.reasons),
  };
}

describe("parse: hand-written receiver fixtures", () => {
  it("Google-like: no namespace, no version (draft format), selector after result", () => {
    const report = parse(fixture("google.xml"));
    assert.equal(report.format, "draft");
    assert.equal(report.org, "google.com");
    assert.equal(report.reportId, "12690541358237700165");
    assert.equal(report.begin, 1790812800);
    assert.equal(report.end, 1790899199);
    assert.deepEqual(report.policy, {
      domain: "example.com",
      p: "none",
      sp: "none",
      np: "none",
      adkim: "r",
      aspf: "r",
      pct: 100,
    });
    assert.equal(report.messages, 165);
    assert.deepEqual(report.rows.map(plain), [
      {
        ip: "192.0.2.10",
        disposition: "none",
        spfAligned: true,
        dkimAligned: true,
        count: 120,
        headerFrom: [["example.com", 120]],
        envelopeFrom: [],
        dkim: [["example.com|s202611a|pass", 120]],
        spf: [["example.com||pass", 120]],
        reasons: [],
      },
      {
        ip: "209.85.220.41",
        disposition: "none",
        spfAligned: false,
        dkimAligned: false,
        count: 40,
        headerFrom: [["example.com", 40]],
        envelopeFrom: [],
        dkim: [["example-com.20230601.gappssmtp.com|20230601|pass", 40]],
        spf: [["example.com||softfail", 40]],
        reasons: [],
      },
      {
        ip: "192.0.2.200",
        disposition: "none",
        spfAligned: false,
        dkimAligned: false,
        count: 5,
        headerFrom: [["example.com", 5]],
        envelopeFrom: [],
        dkim: [],
        spf: [["example.com||fail", 5]],
        reasons: [],
      },
    ]);
  });

  it("Microsoft-like: xsd/xsi namespace declarations on the root, version 1.0, envelope_to, SPF scope", () => {
    const report = parse(fixture("microsoft.xml"));
    assert.equal(report.format, "rfc7489");
    assert.equal(report.org, "Enterprise Outlook");
    assert.deepEqual(report.policy, {
      domain: "example.com",
      p: "none",
      sp: "none",
      adkim: "r",
      aspf: "r",
      pct: 100,
      fo: "0",
    });
    assert.equal(report.messages, 45);
    assert.deepEqual(
      report.rows.map((r) => [r.ip, r.count, r.spfAligned, r.dkimAligned]),
      [
        ["192.0.2.10", 30, true, true],
        ["167.89.0.1", 12, false, false],
        ["2001:db8::25", 3, false, false],
      ],
    );
    assert.deepEqual(plain(report.rows[1]!).spf, [["bounces.sendgrid.net|mfrom|pass", 12]]);
    assert.deepEqual(plain(report.rows[1]!).envelopeFrom, [["bounces.sendgrid.net", 12]]);
  });

  it("Yahoo-like: no sp, a mailing_list override reason", () => {
    const report = parse(fixture("yahoo.xml"));
    assert.equal(report.format, "rfc7489");
    assert.equal(report.org, "Yahoo");
    assert.deepEqual(report.policy, { domain: "example.com", p: "none", adkim: "r", aspf: "r", pct: 100 });
    assert.equal(report.messages, 52);
    assert.deepEqual(plain(report.rows[1]!).reasons, [["mailing_list", 2]]);
  });

  it("RFC 9990: namespace, version, generator, np, testing, discovery_method, disposition pass; extensions skipped", () => {
    const report = parse(fixture("dmarcbis.xml"));
    assert.equal(report.format, "rfc9990");
    assert.equal(report.org, "Example Receiver");
    assert.equal(report.generator, "Example DMARC Reporter 2.3");
    assert.deepEqual(report.policy, {
      domain: "example.com",
      p: "none",
      sp: "none",
      np: "none",
      adkim: "r",
      aspf: "r",
      testing: "n",
      discoveryMethod: "treewalk",
    });
    assert.equal(report.messages, 21);
    // The <ext:row> inside <ext:arc-results> is another namespace's element, not a second <row>.
    assert.deepEqual(
      report.rows.map((r) => [r.ip, r.disposition, r.count, plain(r).headerFrom]),
      [
        ["192.0.2.10", "pass", 20, [["example.com", 20]]],
        ["192.0.2.200", "none", 1, [["news.example.com", 1]]],
      ],
    );
  });
});

describe("parse: values", () => {
  it("merges records with the same IP and outcome, sums counts, keeps header From per domain", () => {
    const report = parse(
      reportXml({
        records: [
          { ip: "192.0.2.1", count: 2, headerFrom: "example.com" },
          { ip: "192.0.2.1", count: 3, headerFrom: "news.example.com" },
          { ip: "192.0.2.1", count: 4, dkim: "fail" },
        ],
      }),
    );
    assert.equal(report.messages, 9);
    assert.deepEqual(
      report.rows.map((r) => [r.ip, r.count, r.dkimAligned, plain(r).headerFrom]),
      [
        [
          "192.0.2.1",
          5,
          true,
          [
            ["example.com", 2],
            ["news.example.com", 3],
          ],
        ],
        ["192.0.2.1", 4, false, [["example.com", 4]]],
      ],
    );
  });

  for (const [given, expected] of [
    ["192.0.2.1", "192.0.2.1"],
    ["2001:DB8:0:0::1", "2001:db8::1"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["fe80::1%eth0", undefined],
    ["192.0.2.01", undefined],
    ["example.com", undefined],
  ] as const) {
    it(`canonicalIp(${JSON.stringify(given)}) = ${String(expected)}`, () => {
      assert.equal(canonicalIp(given), expected);
    });
  }

  for (const [given, expected] of [
    ["Example.COM.", "example.com"],
    ["bücher.example", "bücher.example"],
    ["a b.example", undefined],
    ["evil\u009b.example", undefined],
    ["", undefined],
  ] as const) {
    it(`reportDomain(${JSON.stringify(given)}) = ${String(expected)}`, () => {
      assert.equal(reportDomain(given), expected);
    });
  }

  it("maps RFC 7489's unknown/error to temperror/permerror and lower-cases results", () => {
    const report = parse(
      reportXml({
        records: [
          {
            ip: "192.0.2.1",
            count: 1,
            dkim: "FAIL",
            spf: "softfail",
            dkimResults: [{ domain: "example.com", selector: "S1", result: "Unknown" }],
            spfResults: [{ domain: "example.com", scope: "mfrom", result: "error" }],
          },
        ],
      }),
    );
    const row = plain(report.rows[0]!);
    assert.equal(report.rows[0]!.dkimAligned, false);
    assert.equal(report.rows[0]!.spfAligned, false);
    assert.deepEqual(row.dkim, [["example.com|s1|temperror", 1]]);
    assert.deepEqual(row.spf, [["example.com|mfrom|permerror", 1]]);
  });

  it("decodes windows-1252 and UTF-16 documents as declared", () => {
    const latin = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="windows-1252"?>'),
      Buffer.from(
        reportXml({ org: "Soci\u00e9t\u00e9", records: [{ ip: "192.0.2.1", count: 1 }] }).replace(/^<\?xml[^>]*>/, ""),
        "latin1",
      ),
    ]);
    assert.equal(parse(latin).org, "Soci\u00e9t\u00e9");
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(
        reportXml({ org: "\u00c5s", records: [{ ip: "192.0.2.1", count: 1 }] }).replace(/^<\?xml[^>]*>/, ""),
        "utf16le",
      ),
    ]);
    assert.equal(parse(utf16).org, "\u00c5s");
  });

  it("keeps C1 controls written as character references (escaped only when printed)", () => {
    assert.equal(
      parse(
        reportXml({ org: "evil&#x9b;31m", records: [{ ip: "192.0.2.1", count: 1 }] }).replace("&amp;#x9b;", "&#x9b;"),
      ).org,
      "evil\u009b31m",
    );
  });

  it("parses across arbitrary chunk boundaries, a multi-byte character split between chunks", () => {
    const bytes = Buffer.from(reportXml({ org: "\u00c5sa \u2603", records: [{ ip: "192.0.2.1", count: 7 }] }));
    for (const size of [1, 3, 7, 64]) {
      const parser = new ReportParser(OPTIONS);
      for (let i = 0; i < bytes.length; i += size) parser.write(bytes.subarray(i, i + size));
      const report = parser.end();
      assert.notEqual(report, "before-since");
      assert.equal((report as ParsedReport).org, "\u00c5sa \u2603");
      assert.equal((report as ParsedReport).messages, 7);
    }
  });

  it("stops at the metadata of a report that ends before since; a report ending at since is read", () => {
    const xml = reportXml({ begin: 1790812800, end: 1790899199, records: [{ ip: "192.0.2.1", count: 1 }] });
    assert.equal(parseReportBytes(Buffer.from(xml), { maxDepth: 32, since: 1790899200 }), "before-since");
    const parser = new ReportParser({ maxDepth: 32, since: 1790899200 });
    parser.write(Buffer.from(xml.slice(0, xml.indexOf("</report_metadata>") + 18)));
    assert.equal(parser.done, true);
    assert.equal(parse(xml, { maxDepth: 32, since: 1790899199 }).messages, 1);
  });
});

describe("parse: refused documents", () => {
  const ok = { ip: "192.0.2.1", count: 1 };
  const good = reportXml({ records: [ok] });
  const cases: [string, string | Buffer, string][] = [
    [
      "entity expansion (billion laughs)",
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><feedback>&lol3;</feedback>`,
      "the document has a DOCTYPE: DMARC reports have none, and DTDs and entities are never processed here",
    ],
    [
      "external entity (XXE)",
      `<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><feedback><report_metadata><org_name>&xxe;</org_name></report_metadata></feedback>`,
      "the document has a DOCTYPE: DMARC reports have none, and DTDs and entities are never processed here",
    ],
    [
      "an undeclared entity",
      `<feedback><report_metadata><org_name>&xxe;</org_name></report_metadata></feedback>`,
      "not well-formed XML: line 1, column 42: undefined entity",
    ],
    ["a non-report XML document", `<html><body/></html>`, "not a DMARC aggregate report: the root element is <html>"],
    [
      "feedback without report_metadata",
      `<feedback><policy_published><domain>example.com</domain><p>none</p></policy_published></feedback>`,
      "not a DMARC aggregate report: report_metadata: <org_name> is missing",
    ],
    [
      "a negative count",
      reportXml({ records: [{ ip: "192.0.2.1", count: -5 }] }),
      'record 1: count "-5" is not a whole number from 0 to 4294967295',
    ],
    [
      "a huge count",
      reportXml({ records: [ok, { ip: "192.0.2.1", count: "99999999999" }] }),
      'record 2: count "99999999999" is not a whole number from 0 to 4294967295',
    ],
    [
      "a count in exponent notation",
      reportXml({ records: [{ ip: "192.0.2.1", count: "1e3" }] }),
      'record 1: count "1e3" is not a whole number from 0 to 4294967295',
    ],
    [
      "an address that is not one",
      reportXml({ records: [{ ip: "300.1.1.1", count: 1 }] }),
      'record 1: source_ip "300.1.1.1" is not an IPv4 or IPv6 address',
    ],
    [
      "an unknown disposition",
      reportXml({ records: [{ ...ok, disposition: "maybe" }] }),
      'record 1: disposition "maybe" is not one of none, pass, quarantine, reject',
    ],
    [
      "an aligned result that is not a result",
      reportXml({ records: [{ ...ok, dkim: "weird" }] }),
      'record 1: policy_evaluated dkim "weird" is not pass or fail',
    ],
    [
      "a DKIM result that is not an RFC 8601 result",
      reportXml({ records: [{ ...ok, dkimResults: [{ domain: "example.com", selector: "s", result: "maybe" }] }] }),
      'record 1: dkim result "maybe" is not an RFC 8601 result',
    ],
    [
      "a date range ending before it begins",
      reportXml({ begin: 1790812800, end: 1790812799, records: [ok] }),
      "report_metadata: date_range ends (1790812799) before it begins (1790812800)",
    ],
    [
      "a date after 2100",
      reportXml({ begin: 1790812800, end: 9990812799, records: [ok] }),
      'report_metadata: date_range end "9990812799" is not a whole number from 0 to 4102444800',
    ],
    [
      "a date range without begin",
      good.replace(/<begin>.*?<\/begin>/, ""),
      "report_metadata: <date_range> needs <begin> and <end>",
    ],
    [
      "pct over 100",
      reportXml({ pct: 150, records: [ok] }),
      'policy_published: pct "150" is not a whole number from 0 to 100',
    ],
    [
      "an unknown p",
      reportXml({ p: "block", records: [ok] }),
      'policy_published: p "block" is not one of none, quarantine, reject',
    ],
    [
      "a policy domain that is not one",
      reportXml({ domain: "a b", records: [{ ...ok, headerFrom: "example.com" }] }),
      'policy_published: domain "a b" is not a domain',
    ],
    [
      "a header From that is not a domain",
      reportXml({ records: [{ ...ok, headerFrom: "a b" }] }),
      'record 1: header_from "a b" is not a domain',
    ],
    [
      "a record without header_from",
      good.replace(/<header_from>.*?<\/header_from>/, ""),
      "record 1: <header_from> is missing",
    ],
    [
      "a second org_name",
      good.replace("<email>", "<org_name>other</org_name><email>"),
      "report_metadata: <org_name> appears twice",
    ],
    ["a truncated document", good.slice(0, 300), "not well-formed XML: line 4, column 44: unclosed tag: domain"],
    [
      "elements nested 40 deep",
      good.replace("</feedback>", `${"<a>".repeat(40)}${"</a>".repeat(40)}</feedback>`),
      "elements are nested more than 32 deep",
    ],
    [
      "an org_name longer than the field limit",
      reportXml({ org: "x".repeat(MAX_FIELD_CHARS + 1), records: [ok] }),
      "<report_metadata/org_name> is longer than 1024 characters",
    ],
    [
      "an unsupported encoding",
      `<?xml version="1.0" encoding="x-klingon"?><feedback/>`,
      'the XML declares the encoding "x-klingon", which is not supported',
    ],
    [
      "bytes that are not UTF-8",
      Buffer.concat([
        Buffer.from("<feedback><report_metadata><org_name>"),
        Buffer.from([0xc3, 0x28]),
        Buffer.from("</org_name>"),
      ]),
      "the document is not valid utf-8",
    ],
    [
      "a raw escape character (ESC is not an XML character)",
      reportXml({ org: "evil\x1b[31m", records: [ok] }),
      "not well-formed XML: line 3, column 32: disallowed character",
    ],
    ["an empty document", "", "not well-formed XML: line 1, column 0: document must contain a root element"],
  ];
  for (const [name, xml, message] of cases) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseReportBytes(typeof xml === "string" ? Buffer.from(xml) : xml, OPTIONS),
        (error: Error) => error.name === "ReportError" && error.message === message,
        `expected: ${message}`,
      );
    });
  }
});
