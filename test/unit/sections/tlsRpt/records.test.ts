/** TLS-RPT (RFC 8460): the record as built, each rua destination's check, and config messages (exact text). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStack } from "../../../../components/config";
import { publishedRecord } from "../../../../components/model";
import {
  buildTlsRptValue,
  reportUriProblem,
  ruaOf,
  tlsRptRecordName,
} from "../../../../components/sections/tlsRpt/records";
import { problemLines } from "../../../support/validation";

const base = { domain: "example.com", dns: { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" } };
const RUA_ALLOWED =
  "allowed: a mailto: URI such as mailto:tlsrpt@example.com, or https:// URL on a domain name, e.g. https://example.com/path";

describe("TLS-RPT record", () => {
  it("is _smtp._tls.<domain> TXT v=TLSRPTv1; rua=<comma-separated, in config order> (RFC 8460 §3)", () => {
    assert.equal(tlsRptRecordName("example.com"), "_smtp._tls.example.com");
    assert.equal(buildTlsRptValue({ rua: ["mailto:tls@example.com"] }), "v=TLSRPTv1; rua=mailto:tls@example.com");
    assert.equal(
      buildTlsRptValue({ rua: ["https://reports.example.net/tls", "mailto:tls@example.com"] }),
      "v=TLSRPTv1; rua=https://reports.example.net/tls,mailto:tls@example.com",
    );
  });

  it("is published from sender-auth:tlsRpt with the stack's TTL and its key path", () => {
    const { records } = validateStack("test", { ...base, tlsRpt: { rua: ["mailto:tls@example.com"] } });
    const record = records.find((r) => r.purpose === "tls-rpt");
    assert.deepEqual(record, {
      id: "tls-rpt",
      name: "_smtp._tls.example.com",
      type: "TXT",
      ttl: 3600,
      value: "v=TLSRPTv1; rua=mailto:tls@example.com",
      purpose: "tls-rpt",
      path: ["tlsRpt"],
    });
    assert.deepEqual(publishedRecord(record).name, "_smtp._tls.example.com");
  });

  it("splits a served rua list as senders do (commas, white space around them)", () => {
    assert.deepEqual(ruaOf("v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.com/x;"), [
      "mailto:a@example.com",
      "https://r.example.com/x",
    ]);
    assert.equal(ruaOf("v=TLSRPTv1"), undefined);
  });
});

describe("TLS-RPT rua destinations (RFC 8460 §3)", () => {
  const cases: [string, string | undefined][] = [
    ["mailto:tls@example.com", undefined],
    ["mailto:tls+rpt@reports.example.net", undefined],
    ["https://reports.example.com/v1/tlsrpt", undefined],
    ["https://reports.example.com:8443/tls?domain=example.com", undefined],
    [
      "http://reports.example.com/tls",
      "is neither a mailto: nor an https:// URI, the two schemes RFC 8460 §3 defines for rua",
    ],
    ["tls@example.com", "is neither a mailto: nor an https:// URI, the two schemes RFC 8460 §3 defines for rua"],
    [
      "mailto:tls@example.com!10m",
      'contains "!", which TLS-RPT does not define (DMARC\'s size limit); percent-encode it as %21',
    ],
    ["mailto:tls@example.com?subject=x", "has ?headers, which TLS-RPT reporters do not use; give the address only"],
    ["mailto:example.com", "does not hold an address local@domain (percent-encode , and ! inside it)"],
    ["mailto:a,b@example.com", "does not hold an address local@domain (percent-encode , and ! inside it)"],
    ["mailto:tls@Example.com", 'has a domain that must be lower case; use "example.com"'],
    ["https://r.example.com/a,b", 'contains ",", which ends the value in the record; percent-encode it as %2C'],
    ["https://r.example.com/a;b", 'contains ";", which ends the value in the record; percent-encode it as %3B'],
    [
      "https://r.example.com/a b",
      "contains white space or characters outside printable ASCII; percent-encode them (RFC 3986 §2.1)",
    ],
    ["https://user:pw@r.example.com/", "holds a user name or password, which DNS would publish"],
    ["https://r.example.com/#x", "has a #fragment, which is never sent to the server"],
    ["https://192.0.2.1/tls", "has a host name that must not end in a numeric label (it looks like an IP address)"],
    ["https://[::1", "is not a valid URL (RFC 3986)"],
  ];
  for (const [uri, expected] of cases) {
    it(`${uri}: ${expected ?? "accepted"}`, () => {
      assert.equal(reportUriProblem(uri), expected);
    });
  }
});

describe("sender-auth:tlsRpt validation (stack, key path, value, allowed)", () => {
  const cases: [string, unknown, string[]][] = [
    [
      "no rua",
      {},
      [
        "stack test: sender-auth:tlsRpt.rua: is required: it names where sending servers report the TLS sessions to this domain's MX hosts that failed, and a TLS-RPT record without rua is invalid (RFC 8460 §3); allowed: a list of at least one mailto: or https:// URI",
      ],
    ],
    [
      "an empty rua",
      { rua: [] },
      [
        "stack test: sender-auth:tlsRpt.rua: is empty: it names where sending servers report the TLS sessions to this domain's MX hosts that failed, and a TLS-RPT record without rua is invalid (RFC 8460 §3); allowed: a list of at least one mailto: or https:// URI",
      ],
    ],
    [
      "rua not a list: named once, as not a list",
      { rua: "mailto:t@example.com" },
      [
        'stack test: sender-auth:tlsRpt.rua: must be an array (got "mailto:t@example.com"); allowed: a list of at least one mailto: or https:// URI',
      ],
    ],
    [
      "no rua beside an unknown field: both named",
      { ruf: ["mailto:t@example.com"] },
      [
        "stack test: sender-auth:tlsRpt.ruf: unknown key; allowed: rua",
        "stack test: sender-auth:tlsRpt.rua: is required: it names where sending servers report the TLS sessions to this domain's MX hosts that failed, and a TLS-RPT record without rua is invalid (RFC 8460 §3); allowed: a list of at least one mailto: or https:// URI",
      ],
    ],
    [
      "a bad and a repeated destination, both reported",
      { rua: ["ftp://x.example.com/", "mailto:t@example.com", "mailto:t@example.com"] },
      [
        `stack test: sender-auth:tlsRpt.rua[0]: is neither a mailto: nor an https:// URI, the two schemes RFC 8460 §3 defines for rua (got "ftp://x.example.com/"); ${RUA_ALLOWED}`,
        `stack test: sender-auth:tlsRpt.rua[2]: is listed twice (got "mailto:t@example.com"); ${RUA_ALLOWED}`,
      ],
    ],
    [
      "an unknown field",
      { rua: ["mailto:t@example.com"], ruf: [] },
      ["stack test: sender-auth:tlsRpt.ruf: unknown key; allowed: rua"],
    ],
    ["not an object", "mailto:t@example.com", []],
  ];
  for (const [name, tlsRpt, expected] of cases) {
    it(name, () => {
      const lines = problemLines({ ...base, tlsRpt });
      if (expected.length > 0) assert.deepEqual(lines, expected);
      else assert.match(lines.join("\n"), /^stack test: sender-auth:tlsRpt: .*allowed: an object with rua$/);
    });
  }

  it("is refused on a parked domain, whose null MX means no TLS session is ever made (RFC 7505, RFC 8460)", () => {
    assert.deepEqual(problemLines({ ...base, parked: true, tlsRpt: { rua: ["mailto:t@example.com"] } }), [
      "stack test: sender-auth:tlsRpt: is not allowed together with sender-auth:parked: true (a parked domain sends and receives no mail, so it publishes no TLS-RPT record); remove it or set parked: false",
    ]);
  });

  it("makes the record name too long for a long domain, named at sender-auth:domain", () => {
    const domain = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(50)}.com`;
    const lines = problemLines({ ...base, domain, tlsRpt: { rua: ["mailto:t@example.com"] } });
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? "",
      /^stack test: sender-auth:domain: is 246 characters long, which makes the record name of the TLS-RPT record, _smtp\._tls\./,
    );
  });
});
