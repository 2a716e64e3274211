/**
 * Configs that BIND, Cloudflare or Route53 would refuse, or that would hide something, are refused by
 * validation first with the key named (issue #11): full name lengths with the labels sender-auth adds,
 * Route53's per-request limits, Punycode, value types, reserved key names and plain-text private keys.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeConfigMap } from "../../../components/config";
import { problemLines } from "../../support/validation";
import { fixtureKey } from "../../support/fixtures";

const CF = { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" };
const R53 = { provider: "route53", zoneId: "Z0123456789ABCDEFGHIJ" };
const KEY = fixtureKey("rsa-2048").publicKey;
const base = (): Record<string, unknown> => ({ domain: "example.com", dns: { ...CF } });

const problems = (raw: Record<string, unknown>): string[] => problemLines(raw);

/** The config map as Pulumi hands it to the program: one string per key, structured values as JSON. */
function configMap(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => [
      `sender-auth:${key}`,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

/** A domain of exactly `length` characters: labels of at most 63 `a`s, then `.com`. */
function domainOfLength(length: number): string {
  let name = "com";
  while (name.length < length) {
    const room = length - name.length - 1;
    // A single character left over could not form a label: leave two.
    name = `${"a".repeat(room === 64 ? 62 : Math.min(63, room))}.${name}`;
  }
  assert.equal(name.length, length);
  return name;
}

const DOMAIN_ALLOWED = "allowed: a lower-case domain name in Punycode without trailing dot, e.g. example.com";
const HOST_ALLOWED = "allowed: a lower-case host name, e.g. _spf.google.com";
const RFC1035 = "RFC 1035 §2.3.4 allows at most 253 (255 octets)";
const RESERVED =
  "is a key name JavaScript gives every object, which could reach an object's prototype (prototype pollution); sender-auth refuses __proto__, constructor, prototype as keys anywhere in its config: rename or remove it";

describe("names records are published at, with the labels sender-auth adds (RFC 1035 §2.3.4)", () => {
  const d247 = domainOfLength(247);
  const d241 = domainOfLength(241);
  const d236 = domainOfLength(236);
  const d241b = domainOfLength(241);
  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "a domain that leaves no room for _dmarc",
      { ...base(), domain: d247, dmarc: { policy: "reject" } },
      [
        `stack test: sender-auth:domain: is 247 characters long, which makes the record name of the DMARC record, _dmarc.${d247}, 254 characters (256 octets on the wire); ${RFC1035}; allowed: a domain of at most 246 characters here`,
      ],
    ],
    [
      "a parked domain that leaves no room for the *._domainkey wildcard",
      { domain: d241, dns: { ...CF }, parked: true },
      [
        `stack test: sender-auth:domain: is 241 characters long, which makes the record name of the revoked-key wildcard of a parked domain, *._domainkey.${d241}, 254 characters (256 octets on the wire); ${RFC1035}; allowed: a domain of at most 240 characters here`,
      ],
    ],
    [
      "a selector too long for its domain",
      { ...base(), domain: d236, dkim: { selectors: { s202611ab: { status: "active", publicKey: KEY } } } },
      [
        `stack test: sender-auth:dkim.selectors.s202611ab: makes the key record name s202611ab._domainkey.${d236} 257 characters (259 octets on the wire); ${RFC1035}; allowed: a selector of at most 5 characters with this domain`,
      ],
    ],
    [
      "any selector under a domain with no room for one",
      { ...base(), domain: d241b, dkim: { selectors: { a: { status: "revoked" } } } },
      [
        `stack test: sender-auth:dkim.selectors.a: makes the key record name a._domainkey.${d241b} 254 characters (256 octets on the wire); ${RFC1035}; allowed: none with this domain: with DKIM selectors sender-auth:domain has at most 240 characters`,
      ],
    ],
    [
      "a report-authorisation name under a domain that leaves room for none",
      { ...base(), domain: d236, dmarc: { policy: "none", authorizeReportsFor: ["example.net"] } },
      [
        `stack test: sender-auth:dmarc.authorizeReportsFor[0]: makes the authorisation record name example.net._report._dmarc.${d236} 263 characters (265 octets on the wire); ${RFC1035} (got "example.net"); allowed: none with this domain: sender-auth:domain itself leaves no room for another domain in 253 characters`,
      ],
    ],
    [
      "a report-authorisation name over the limit with room for a shorter one",
      {
        ...base(),
        domain: domainOfLength(220),
        dmarc: { policy: "none", authorizeReportsFor: ["customer-domain.example"] },
      },
      [
        `stack test: sender-auth:dmarc.authorizeReportsFor[0]: makes the authorisation record name customer-domain.example._report._dmarc.${domainOfLength(220)} 259 characters (261 octets on the wire); ${RFC1035} (got "customer-domain.example"); allowed: a domain of at most 17 characters with this domain`,
      ],
    ],
    [
      "an external report destination whose authorisation record cannot exist",
      {
        ...base(),
        domain: d236,
        dmarc: { policy: "none", rua: ["mailto:d@reports.example.net"], ruf: ["mailto:f@" + d236] },
      },
      [
        `stack test: sender-auth:dmarc.rua[0]: can never receive this domain's reports: receivers send them only after finding the authorisation record ${d236}._report._dmarc.reports.example.net (RFC 7489 §7.1), and that name is 271 characters (273 octets on the wire); ${RFC1035} (got "mailto:d@reports.example.net"); allowed: a destination within this domain, or one whose authorisation record name fits in 253 characters`,
      ],
    ],
  ];
  for (const [name, raw, expected] of cases) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(problems(raw), expected);
    });
  }

  it("accepts every name at exactly 253 characters", () => {
    assert.deepEqual(problems({ ...base(), domain: domainOfLength(246), dmarc: { policy: "reject" } }), []);
    assert.deepEqual(problems({ domain: domainOfLength(240), dns: { ...CF }, parked: true }), []);
    const selector = { s1234: { status: "active", publicKey: KEY } };
    assert.deepEqual(problems({ ...base(), domain: domainOfLength(236), dkim: { selectors: selector } }), []);
    const dmarc = { policy: "none", authorizeReportsFor: ["c.example"] };
    assert.deepEqual(problems({ ...base(), domain: domainOfLength(228), dmarc }), []);
  });
});

describe("Punycode (RFC 5890 §2.3.2.1) wherever a name is configured", () => {
  it("rejects invalid A-labels in the domain, SPF targets, CNAME selectors, selectors and DMARC domains", () => {
    assert.deepEqual(
      problems({
        ...base(),
        domain: "xn--zz.com",
        spf: { include: ["_spf.xn--wca.example"] },
        dkim: { selectors: { "xn--zz": { status: "revoked" }, s1: { status: "active", cname: "s1.xn--zz.example" } } },
        dmarc: { policy: "none", rua: ["mailto:d@xn--zz.example"], authorizeReportsFor: ["xn--mi7ccd.example"] },
      }),
      [
        `stack test: sender-auth:domain: has an invalid Punycode label "xn--zz": "zz" does not decode (RFC 3492) (got "xn--zz.com"); ${DOMAIN_ALLOWED}`,
        `stack test: sender-auth:spf.include[0]: has an invalid Punycode label "xn--wca": it decodes to "Ü", which converts back to "xn--tda", not "xn--wca" (RFC 5890 §2.3.2.1: an A-label must round-trip) (got "_spf.xn--wca.example"); ${HOST_ALLOWED}`,
        `stack test: sender-auth:dkim.selectors.s1.cname: has an invalid Punycode label "xn--zz": "zz" does not decode (RFC 3492) (got "s1.xn--zz.example"); ${HOST_ALLOWED}`,
        'stack test: sender-auth:dmarc.rua[0]: has a domain that has an invalid Punycode label "xn--zz": "zz" does not decode (RFC 3492) (got "mailto:d@xn--zz.example"); allowed: a mailto: URI such as mailto:dmarc@example.com',
        `stack test: sender-auth:dmarc.authorizeReportsFor[0]: has an invalid Punycode label "xn--mi7ccd": it decodes to "ａｂｃ", which converts back to "abc", not "xn--mi7ccd" (RFC 5890 §2.3.2.1: an A-label must round-trip) (got "xn--mi7ccd.example"); ${DOMAIN_ALLOWED}`,
        'stack test: sender-auth:dkim.selectors.xn--zz: selector name has an invalid Punycode label "xn--zz": "zz" does not decode (RFC 3492) (got "xn--zz"); allowed: DNS labels of lower-case letters, digits and hyphens, e.g. s202611a',
      ],
    );
  });
  it("accepts valid A-labels", () => {
    assert.deepEqual(
      problems({ ...base(), domain: "xn--bcher-kva.example", spf: { include: ["spf.xn--55qx5d.cn"] } }),
      [],
    );
  });
});

describe("value types as Pulumi passes them (one string per key)", () => {
  it("a list where a domain belongs is a type error, not a label error", () => {
    assert.deepEqual(problems(decodeConfigMap(configMap({ ...base(), domain: ["example.com"] }))), [
      `stack test: sender-auth:domain: must be a string (got ["example.com"]); ${DOMAIN_ALLOWED}`,
    ]);
  });
  it("an object where a boolean belongs is a type error", () => {
    assert.deepEqual(problems(decodeConfigMap(configMap({ ...base(), parked: { value: true } }))), [
      'stack test: sender-auth:parked: must be a boolean (got {"value":true}); allowed: true or false',
    ]);
  });
  it("text that only looks like JSON stays text", () => {
    assert.deepEqual(problems(decodeConfigMap(configMap({ ...base(), domain: "[example.com" }))), [
      `stack test: sender-auth:domain: has an invalid label "[example": use letters, digits and hyphens, not starting or ending with a hyphen (got "[example.com"); ${DOMAIN_ALLOWED}`,
    ]);
  });
});

describe("reserved key names (__proto__, constructor, prototype) anywhere in config", () => {
  it("names each one by its path, at the top level, in sections, as a selector and inside a list", () => {
    const map = configMap({
      ...base(),
      dns: { ...CF },
      dkim: { selectors: { constructor: { status: "revoked" }, s1: { status: "revoked" } } },
      dmarc: { policy: "none", prototype: true },
      spf: { include: ["_spf.example.net"] },
    });
    // JSON.parse keeps __proto__ as an own key, as it arrives from Pulumi; an object literal would not.
    map["sender-auth:dns"] = JSON.stringify(CF).replace(/}$/, ',"__proto__":{"ttl":60}}');
    map["sender-auth:spf"] = '{"include":[{"__proto__":"x"}]}';
    map["sender-auth:__proto__"] = "x";
    assert.deepEqual(problems(decodeConfigMap(map)), [
      `stack test: sender-auth:dns.__proto__: ${RESERVED}`,
      `stack test: sender-auth:dkim.selectors.constructor: ${RESERVED}`,
      `stack test: sender-auth:dmarc.prototype: ${RESERVED}`,
      `stack test: sender-auth:spf.include[0].__proto__: ${RESERVED}`,
      `stack test: sender-auth:__proto__: ${RESERVED}`,
      `stack test: sender-auth:spf.include[0]: must be a string (got {}); ${HOST_ALLOWED}`,
    ]);
  });
  it("never lets a __proto__ value reach an object's prototype", () => {
    const raw = decodeConfigMap({ ...configMap(base()), "sender-auth:dns": '{"__proto__":{"polluted":1}}' });
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.equal(Object.getPrototypeOf(raw["dns"]), Object.prototype);
  });
});

describe("plain-text DKIM private keys", () => {
  it("are refused by path with how to store them, never echoing the key", () => {
    const pem = fixtureKey("rsa-2048").privatePem;
    const lines = problems({
      ...base(),
      dkim: { selectors: { s1: { status: "active", publicKey: KEY, privateKey: pem } } },
    });
    assert.deepEqual(lines, [
      "stack test: sender-auth:dkim.selectors.s1.privateKey: is stored in plain text: anyone who can read the stack file or its git history can sign mail as this domain. Store it as a secret by piping the PEM to `pulumi config set --secret --path 'sender-auth:dkim.selectors.s1.privateKey' < private-key.pem` (the value is read from standard input, never put it on the command line), then remove the plain-text key from the git history (e.g. git filter-repo) and, if the repository was ever shared, rotate to a new selector (sender-auth rotate); allowed: the PEM private key whose public half is publicKey, stored as a secret (sender-auth keygen)",
    ]);
  });
});

describe("Route53: one record set per ChangeResourceRecordSets request, updated with UPSERT", () => {
  const apex = (preserveTxt: string[]): Record<string, unknown> => ({
    domain: "example.org",
    dns: { ...R53, preserveTxt },
    spf: { all: "fail" },
  });
  const tokens = (count: number, length = 10): string[] =>
    Array.from({ length: count }, (_, i) => `t${String(i).padStart(length - 1, "0")}`);

  it("accepts 500 values in the apex set (SPF and 499 preserved)", () => {
    assert.deepEqual(problems(apex(tokens(499))), []);
  });
  it("rejects 501 values", () => {
    assert.deepEqual(problems(apex(tokens(500))), [
      "stack test: sender-auth:dns.preserveTxt: makes the TXT record set at example.org 501 values with 6013 characters of value text; Route53 takes a record set in one ChangeResourceRecordSets request and counts both twice when it updates the set (UPSERT); allowed: at most 500 values and 16000 characters of value text (quotes included) per record set on Route53",
    ]);
  });
  it("rejects over 16,000 characters of value text, counting the quotes the provider adds", () => {
    // Values of 253 characters are 255 each as sent ("…"); "v=spf1 -all" adds 13: 62 of them make 15,823.
    assert.deepEqual(problems(apex(tokens(62, 253))), []);
    assert.deepEqual(problems(apex(tokens(63, 253))), [
      "stack test: sender-auth:dns.preserveTxt: makes the TXT record set at example.org 64 values with 16078 characters of value text; Route53 takes a record set in one ChangeResourceRecordSets request and counts both twice when it updates the set (UPSERT); allowed: at most 500 values and 16000 characters of value text (quotes included) per record set on Route53",
    ]);
  });
  it("rejects 200,000 preserved values with one problem, before any record is built", () => {
    const lines = problems(apex(tokens(200_000)));
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? "",
      /^stack test: sender-auth:dns\.preserveTxt: makes the TXT record set at example\.org 200001 values/,
    );
  });
});

describe("bounded output", () => {
  it("reports at most 10 problems per list, then how many more", () => {
    const preserveTxt = Array.from({ length: 20_000 }, (_, i) => `bad"${i}`);
    const lines = problems({ ...base(), dns: { ...CF, preserveTxt } });
    assert.equal(lines.length, 11);
    assert.equal(
      lines[0],
      'stack test: sender-auth:dns.preserveTxt[0]: contains a double quote at position 4 (got "bad\\"0"); allowed: printable ASCII without double quotes or backslashes, not starting v=spf1',
    );
    assert.equal(
      lines[10],
      "stack test: sender-auth:dns.preserveTxt: has 19990 more problems in its entries, not listed",
    );
  });
  it("never shows a private key written where another value belongs", () => {
    const pem = fixtureKey("ed25519").privatePem;
    assert.deepEqual(problems({ ...base(), dkim: { selectors: { s1: pem } } }), [
      "stack test: sender-auth:dkim.selectors.s1: must be an object (got a PEM private key, not shown); allowed: an object with status, algorithm, publicKey or cname, privateKey, createdAt, retiredAt",
    ]);
  });
});

describe("bounded output per stack", () => {
  it("lists at most 100 problems of a stack, then where the rest start", () => {
    const selectors = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`s${i}`, { status: "lost" }]));
    const lines = problems({ ...base(), dkim: { selectors } });
    assert.equal(lines.length, 100);
    assert.equal(
      lines[0],
      'stack test: sender-auth:dkim.selectors.s0.status: is not an allowed value (got "lost"); allowed: active, published, retired, revoked',
    );
    assert.equal(lines[99], "stack test: sender-auth:dkim: and 4901 more problems from here on, not listed");
  });
});
