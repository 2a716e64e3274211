import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DmarcConfig } from "../../../../components/sections/dmarc";
import {
  buildDmarcValue,
  dmarcRecordName,
  PARKED_DMARC,
  reportAuthName,
} from "../../../../components/sections/dmarc/records";
import { inspectMailto } from "../../../../components/sections/dmarc/reportUri";

const minimal: DmarcConfig = {
  policy: "none",
  subdomainPolicy: undefined,
  nonexistentSubdomainPolicy: undefined,
  testing: false,
  percent: undefined,
  rua: [],
  ruf: [],
  alignmentSPF: undefined,
  alignmentDKIM: undefined,
  failureOptions: [],
  authorizeReportsFor: [],
};

describe("buildDmarcValue", () => {
  const cases: [string, Partial<DmarcConfig>, string][] = [
    ["only the policy", {}, "v=DMARC1; p=none"],
    [
      "every tag, v first and p second (RFC 7489 §6.3, §6.4)",
      {
        policy: "quarantine",
        subdomainPolicy: "reject",
        nonexistentSubdomainPolicy: "reject",
        testing: true,
        percent: 10,
        alignmentDKIM: "relaxed",
        alignmentSPF: "strict",
        failureOptions: ["1", "d"],
        rua: ["mailto:a@example.com", "mailto:b@example.com"],
        ruf: ["mailto:f@example.com"],
      },
      "v=DMARC1; p=quarantine; sp=reject; np=reject; t=y; pct=10; adkim=r; aspf=s; fo=1:d; rua=mailto:a@example.com,mailto:b@example.com; ruf=mailto:f@example.com",
    ],
    ["testing false emits no t= tag", { policy: "reject", testing: false }, "v=DMARC1; p=reject"],
    ["percent 0 is emitted", { policy: "reject", percent: 0 }, "v=DMARC1; p=reject; pct=0"],
  ];
  for (const [name, overrides, expected] of cases) {
    it(name, () => {
      assert.equal(buildDmarcValue({ ...minimal, ...overrides }), expected);
    });
  }
  it("publishes the parked policy with reject everywhere", () => {
    assert.equal(PARKED_DMARC, "v=DMARC1; p=reject; sp=reject; np=reject");
  });
  it("names the policy and report-authorisation records (RFC 7489 §6.1, §7.1)", () => {
    assert.equal(dmarcRecordName("example.com"), "_dmarc.example.com");
    assert.equal(reportAuthName("example.net", "example.com"), "example.net._report._dmarc.example.com");
  });
});

describe("inspectMailto", () => {
  const accepted: [string, string, string | undefined][] = [
    ["mailto:dmarc@example.com", "example.com", undefined],
    ["mailto:first.last+dmarc@reports.example.net", "reports.example.net", undefined],
    ["mailto:dmarc@example.com!10m", "example.com", "10m"],
    ["mailto:dmarc@example.com!500", "example.com", "500"],
  ];
  for (const [uri, host, size] of accepted) {
    it(`accepts ${uri}`, () => {
      assert.deepEqual(inspectMailto(uri), { ok: true, host, sizeLimit: size });
    });
  }
  const rejected: [string, string][] = [
    ["https://example.com/dmarc", "is not a mailto: URI (DMARC receivers are only required to support mailto:)"],
    ["MAILTO:dmarc@example.com", "is not a mailto: URI (DMARC receivers are only required to support mailto:)"],
    ["dmarc@example.com", "is not a mailto: URI (DMARC receivers are only required to support mailto:)"],
    ["mailto:example.com", "does not hold an address local@domain (percent-encode , and ! inside it)"],
    ["mailto:a,b@example.com", "does not hold an address local@domain (percent-encode , and ! inside it)"],
    [
      "mailto:dmarc@example.com!10x",
      "has a malformed size limit; it must be !<digits> optionally followed by k, m, g or t",
    ],
    [
      "mailto:dmarc@example.com!1!2",
      "has a malformed size limit; it must be !<digits> optionally followed by k, m, g or t",
    ],
    ["mailto:dmarc@Example.com", 'has a domain that must be lower case; use "example.com"'],
    ["mailto:dmarc@localhost", "has a domain that needs at least two labels, such as example.com"],
  ];
  for (const [uri, problem] of rejected) {
    it(`rejects ${uri}`, () => {
      assert.deepEqual(inspectMailto(uri), { ok: false, problem });
    });
  }
});
