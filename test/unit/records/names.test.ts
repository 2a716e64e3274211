import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  aLabelProblem,
  domainNameProblem,
  isWithinDomain,
  nameLengthProblem,
  selectorProblem,
} from "../../../components/records/names";

describe("domainNameProblem", () => {
  const plain = { underscores: false };
  const service = { underscores: true };
  const cases: [string, string, { underscores: boolean }, string | undefined][] = [
    ["a plain domain", "example.com", plain, undefined],
    ["a deep subdomain", "mail.eu.example.co.uk", plain, undefined],
    ["a Punycode label", "xn--bcher-kva.example", plain, undefined],
    ["a service label where allowed", "_spf.google.com", service, undefined],
    [
      "a service label where not allowed",
      "_spf.example.com",
      plain,
      'has an invalid label "_spf": use letters, digits and hyphens, not starting or ending with a hyphen',
    ],
    ["upper case", "Example.COM", plain, 'must be lower case; use "example.com"'],
    [
      "upper case with an invalid label",
      "Ex_ample.com",
      plain,
      'has an invalid label "ex_ample": use letters, digits and hyphens, not starting or ending with a hyphen',
    ],
    ["a trailing dot", "example.com.", plain, 'must not end with a dot; use "example.com"'],
    ["Unicode", "bücher.example", plain, 'must be in Punycode; use "xn--bcher-kva.example"'],
    ["a single label", "localhost", plain, "needs at least two labels, such as example.com"],
    ["an empty label", "example..com", plain, "has an empty label (two dots in a row)"],
    [
      "a leading hyphen",
      "-bad.example.com",
      plain,
      'has an invalid label "-bad": use letters, digits and hyphens, not starting or ending with a hyphen',
    ],
    ["a 64-character label", `${"a".repeat(64)}.com`, plain, "has a label of 64 characters; at most 63 are allowed"],
    [
      "254 characters",
      `${"a.".repeat(126)}co`,
      plain,
      "is 254 characters long; a domain name has at most 253 (RFC 1035 §2.3.4)",
    ],
    ["an IP address", "192.0.2.1", plain, "must not end in a numeric label (it looks like an IP address)"],
    ["empty", "", plain, "must not be empty"],
    [
      "a space",
      "exa mple.com",
      plain,
      'has an invalid label "exa mple": use letters, digits and hyphens, not starting or ending with a hyphen',
    ],
    ["253 characters", `${"a.".repeat(125)}com`, plain, undefined],
    [
      "Punycode that does not decode",
      "xn--zz.com",
      plain,
      'has an invalid Punycode label "xn--zz": "zz" does not decode (RFC 3492)',
    ],
    [
      "Punycode below the apex",
      "mail.xn--zz.example",
      service,
      'has an invalid Punycode label "xn--zz": "zz" does not decode (RFC 3492)',
    ],
    [
      "Punycode of an upper-case letter",
      "xn--wca.com",
      plain,
      'has an invalid Punycode label "xn--wca": it decodes to "Ü", which converts back to "xn--tda", not "xn--wca" (RFC 5890 §2.3.2.1: an A-label must round-trip)',
    ],
    [
      "Punycode of full-width letters",
      "xn--mi7ccd.com",
      plain,
      'has an invalid Punycode label "xn--mi7ccd": it decodes to "ａｂｃ", which converts back to "abc", not "xn--mi7ccd" (RFC 5890 §2.3.2.1: an A-label must round-trip)',
    ],
    [
      "Punycode of an invisible character",
      "xn--1ug.com",
      plain,
      'has an invalid Punycode label "xn--1ug": it decodes to "\\u{200D}", which IDNA does not allow in a domain name (RFC 5891 §5.4)',
    ],
    ["Punycode of a Chinese TLD", "example.xn--55qx5d", plain, undefined],
  ];
  for (const [name, value, rules, expected] of cases) {
    it(`${expected === undefined ? "accepts" : "rejects"} ${name}`, () => {
      assert.equal(domainNameProblem(value, rules), expected);
    });
  }
});

describe("selectorProblem", () => {
  const cases: [string, string | undefined][] = [
    ["s202611a", undefined],
    ["selector1", undefined],
    ["mail.eu", undefined],
    ["", "must not be empty"],
    ["S1", 'must be lower case; use "s1"'],
    [
      "Bad_Sel",
      "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)",
    ],
    [
      "s_1",
      "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)",
    ],
    [
      "-s1",
      "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)",
    ],
    [
      "a..b",
      "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)",
    ],
    ["x".repeat(64), "has a label of 64 characters; at most 63 are allowed"],
    ["xn--zz", 'has an invalid Punycode label "xn--zz": "zz" does not decode (RFC 3492)'],
    ["xn--bcher-kva.s1", undefined],
  ];
  for (const [selector, expected] of cases) {
    it(`${expected === undefined ? "accepts" : "rejects"} ${JSON.stringify(selector)}`, () => {
      assert.equal(selectorProblem(selector), expected);
    });
  }
});

describe("aLabelProblem (RFC 5890 §2.3.2.1)", () => {
  it("ignores labels that do not start xn--", () => {
    assert.equal(aLabelProblem("bcher-kva"), undefined);
    assert.equal(aLabelProblem("_xn--zz"), undefined);
  });
  it("accepts an A-label that round-trips", () => {
    assert.equal(aLabelProblem("xn--bcher-kva"), undefined);
  });
  it("says what a label that does not round-trip decodes to, control characters as code points", () => {
    assert.equal(
      aLabelProblem("xn--ab-5da"),
      'has an invalid Punycode label "xn--ab-5da": it decodes to "a\\u{AD}b", which converts back to "ab", not "xn--ab-5da" (RFC 5890 §2.3.2.1: an A-label must round-trip)',
    );
  });
});

describe("nameLengthProblem (RFC 1035 §2.3.4)", () => {
  it("accepts 253 characters (255 octets on the wire)", () => {
    assert.equal(nameLengthProblem("a".repeat(253)), undefined);
  });
  it("refuses 254 characters, counting wire octets", () => {
    assert.equal(
      nameLengthProblem("a".repeat(254)),
      "254 characters (256 octets on the wire); RFC 1035 §2.3.4 allows at most 253 (255 octets)",
    );
  });
});

describe("isWithinDomain", () => {
  it("matches the domain and its subdomains only", () => {
    assert.equal(isWithinDomain("example.com", "example.com"), true);
    assert.equal(isWithinDomain("reports.example.com", "example.com"), true);
    assert.equal(isWithinDomain("badexample.com", "example.com"), false);
    assert.equal(isWithinDomain("example.net", "example.com"), false);
  });
});
