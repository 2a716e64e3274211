import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { domainNameProblem, isWithinDomain, selectorProblem } from "../../../components/records/names";

describe("domainNameProblem", () => {
  const plain = { underscores: false };
  const service = { underscores: true };
  const cases: [string, string, { underscores: boolean }, string | undefined][] = [
    ["a plain domain", "example.com", plain, undefined],
    ["a deep subdomain", "mail.eu.example.co.uk", plain, undefined],
    ["a Punycode label", "xn--bcher-kva.example", plain, undefined],
    ["a service label where allowed", "_spf.google.com", service, undefined],
    ["a service label where not allowed", "_spf.example.com", plain, 'has an invalid label "_spf": use letters, digits and hyphens, not starting or ending with a hyphen'],
    ["upper case", "Example.COM", plain, 'must be lower case; use "example.com"'],
    ["upper case with an invalid label", "Ex_ample.com", plain, 'has an invalid label "ex_ample": use letters, digits and hyphens, not starting or ending with a hyphen'],
    ["a trailing dot", "example.com.", plain, 'must not end with a dot; use "example.com"'],
    ["Unicode", "bücher.example", plain, 'must be in Punycode; use "xn--bcher-kva.example"'],
    ["a single label", "localhost", plain, "needs at least two labels, such as example.com"],
    ["an empty label", "example..com", plain, "has an empty label (two dots in a row)"],
    ["a leading hyphen", "-bad.example.com", plain, 'has an invalid label "-bad": use letters, digits and hyphens, not starting or ending with a hyphen'],
    ["a 64-character label", `${"a".repeat(64)}.com`, plain, "has a label of 64 characters; at most 63 are allowed"],
    ["254 characters", `${"a.".repeat(126)}co`, plain, "is 254 characters long; a domain name has at most 253"],
    ["an IP address", "192.0.2.1", plain, "must not end in a numeric label (it looks like an IP address)"],
    ["empty", "", plain, "must not be empty"],
    ["a space", "exa mple.com", plain, 'has an invalid label "exa mple": use letters, digits and hyphens, not starting or ending with a hyphen'],
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
    ["Bad_Sel", "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)"],
    ["s_1", "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)"],
    ["-s1", "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)"],
    ["a..b", "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)"],
    ["x".repeat(64), "has a label of 64 characters; at most 63 are allowed"],
  ];
  for (const [selector, expected] of cases) {
    it(`${expected === undefined ? "accepts" : "rejects"} ${JSON.stringify(selector)}`, () => {
      assert.equal(selectorProblem(selector), expected);
    });
  }
});

describe("isWithinDomain", () => {
  it("matches the domain and its subdomains only", () => {
    assert.equal(isWithinDomain("example.com", "example.com"), true);
    assert.equal(isWithinDomain("reports.example.com", "example.com"), true);
    assert.equal(isWithinDomain("badexample.com", "example.com"), false);
    assert.equal(isWithinDomain("example.net", "example.com"), false);
  });
});
