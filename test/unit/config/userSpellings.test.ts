/**
 * What users coming from hand-written records write (issue 12): DMARC tag names as keys, SPF qualifiers
 * as `spf.all`, a whole DKIM record as `publicKey`. Table-driven over components/userSpellings.ts, then
 * the exact messages validation prints with them (the error format: stack, key path, bad value, allowed).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shortKey, unknownKeyHint, valueHint } from "../../../components/userSpellings";
import { fixtureKey } from "../../support/fixtures";
import { problemLines } from "../../support/validation";

const RSA = fixtureKey("rsa-2048").publicKey;
const ED = fixtureKey("ed25519").publicKey;
const RSA_SHORT = `${RSA.slice(0, 12)}…${RSA.slice(-6)} (392 characters)`;

describe("unknownKeyHint: DMARC tag names under sender-auth:dmarc", () => {
  const cases: [string, unknown, string | undefined][] = [
    ["p", "quarantine", "p is the DMARC tag p=; write policy: quarantine instead"],
    ["p", "Reject", "p is the DMARC tag p=; write policy: reject instead"],
    ["p", "rejct", "p is the DMARC tag p=; write policy instead (none, quarantine, reject)"],
    ["p", undefined, "p is the DMARC tag p=; write policy instead (none, quarantine, reject)"],
    ["sp", "quarantine", "sp is the DMARC tag sp=; write subdomainPolicy: quarantine instead"],
    ["np", "reject", "np is the DMARC tag np=; write nonexistentSubdomainPolicy: reject instead"],
    ["pct", 10, "pct is the DMARC tag pct=; write percent: 10 instead"],
    ["pct", "010", "pct is the DMARC tag pct=; write percent: 10 instead"],
    ["pct", 101, "pct is the DMARC tag pct=; write percent instead (a whole number from 0 to 100)"],
    ["pct", 1.5, "pct is the DMARC tag pct=; write percent instead (a whole number from 0 to 100)"],
    ["adkim", "r", "adkim is the DMARC tag adkim=; write alignmentDKIM: relaxed instead"],
    ["aspf", "s", "aspf is the DMARC tag aspf=; write alignmentSPF: strict instead"],
    ["aspf", "x", "aspf is the DMARC tag aspf=; write alignmentSPF instead (r → relaxed, s → strict)"],
    ["fo", 1, 'fo is the DMARC tag fo=; write failureOptions: ["1"] instead'],
    ["fo", "0:1:d", 'fo is the DMARC tag fo=; write failureOptions: ["0", "1", "d"] instead'],
    ["fo", "2", "fo is the DMARC tag fo=; write failureOptions instead (a list of 0, 1, d, s)"],
    [
      "fo",
      Array(1000).fill("1").join(":"),
      "fo is the DMARC tag fo=; write failureOptions instead (a list of 0, 1, d, s)",
    ],
    ["t", "y", "t is the DMARC tag t=; write testing: true instead"],
    ["t", "n", "t is the DMARC tag t=; write testing: false instead"],
    ["t", true, "t is the DMARC tag t=; write testing: true instead"],
    ["t", "yes", "t is the DMARC tag t=; write testing instead (y → true, n → false)"],
    ["P", "none", "p is the DMARC tag p=; write policy: none instead"],
    ["v", "DMARC1", "v is the DMARC tag v=, which sender-auth always writes first (v=DMARC1): leave it out"],
    [
      "ri",
      86400,
      "ri is the DMARC tag ri= (report interval), which RFC 9989 removed and receivers ignore (reports come daily); sender-auth does not write it: leave it out",
    ],
    ["colour", "red", undefined],
    ["toString", "x", undefined],
    ["__proto__", "x", undefined],
  ];
  for (const [key, value, expected] of cases) {
    it(`dmarc.${key}: ${JSON.stringify(value)}`, () => {
      assert.equal(unknownKeyHint(["dmarc", key], value), expected);
    });
  }

  it("only under sender-auth:dmarc: p elsewhere is just an unknown key", () => {
    assert.equal(unknownKeyHint(["spf", "p"], "quarantine"), undefined);
    assert.equal(unknownKeyHint(["p"], "quarantine"), undefined);
    assert.equal(unknownKeyHint(["dmarc", "x", "p"], "quarantine"), undefined);
  });
});

describe("valueHint", () => {
  const cases: [string, readonly PropertyKey[], unknown, string | undefined][] = [
    ["~all", ["spf", "all"], "~all", "~all is SPF's spelling of softfail: write all: softfail"],
    ["-all", ["spf", "all"], "-all", "-all is SPF's spelling of fail: write all: fail"],
    ["?all", ["spf", "all"], "?all", "?all is SPF's spelling of neutral: write all: neutral"],
    ["~ALL, spaced", ["spf", "all"], " ~ALL ", "~all is SPF's spelling of softfail: write all: softfail"],
    ["the qualifier alone", ["spf", "all"], "~", "~all is SPF's spelling of softfail: write all: softfail"],
    [
      "+all",
      ["spf", "all"],
      "+all",
      "+all lets every host on the Internet pass SPF as this domain, so sender-auth does not offer it: list your senders (ip4, ip6, include) and end with all: softfail or all: fail",
    ],
    [
      "all (the default qualifier is +)",
      ["spf", "all"],
      "all",
      "all lets every host on the Internet pass SPF as this domain, so sender-auth does not offer it: list your senders (ip4, ip6, include) and end with all: softfail or all: fail",
    ],
    ["another word", ["spf", "all"], "soft", undefined],
    ["an empty string", ["spf", "all"], "", undefined],
    ["not a string", ["spf", "all"], 1, undefined],
    ["a qualifier elsewhere", ["spf", "redirect"], "~all", undefined],
    [
      "a whole DKIM record",
      ["dkim", "selectors", "email", "publicKey"],
      `v=DKIM1; k=rsa; p=${RSA}`,
      `this is a whole DKIM record; give only its p= value: publicKey: ${RSA_SHORT}`,
    ],
    [
      "a DKIM record as a zone file holds it: parentheses, quoted strings, a line break",
      ["dkim", "selectors", "email", "publicKey"],
      `( "v=DKIM1; k=rsa; "\n  "p=${RSA.slice(0, 200)}"\n  "${RSA.slice(200)}" )`,
      `this is a whole DKIM record; give only its p= value: publicKey: ${RSA_SHORT}`,
    ],
    [
      "a record without v= whose p= holds spaces",
      ["dkim", "selectors", "s1", "publicKey"],
      `k=rsa; p=${RSA.slice(0, 100)} ${RSA.slice(100)}`,
      `this is a whole DKIM record; give only its p= value: publicKey: ${RSA_SHORT}`,
    ],
    [
      "an Ed25519 record",
      ["dkim", "selectors", "s1", "publicKey"],
      `v=DKIM1; k=ed25519; p=${ED}`,
      `this is a whole DKIM record; give only its p= value: publicKey: ${ED.slice(0, 12)}…${ED.slice(-6)} (44 characters), with algorithm: ed25519`,
    ],
    [
      "a revoked record",
      ["dkim", "selectors", "s1", "publicKey"],
      "v=DKIM1; p=",
      "this is a revoked DKIM record (empty p=): set status: revoked and leave publicKey out",
    ],
    [
      "a record without p=",
      ["dkim", "selectors", "s1", "publicKey"],
      "v=DKIM1; k=rsa",
      "this is a DKIM record without a p= tag: publicKey is the base64 key of its p= tag alone",
    ],
    ["broken base64, no record", ["dkim", "selectors", "s1", "publicKey"], "MIIB IjAN", undefined],
    ["a record under another key", ["dkim", "selectors", "s1", "cname"], `v=DKIM1; p=${RSA}`, undefined],
    [
      "rua as the record writes it",
      ["dmarc", "rua"],
      "mailto:dmarcmail@test.com",
      'write a list: rua: ["mailto:dmarcmail@test.com"]',
    ],
    [
      "ruf with two destinations, comma-separated",
      ["dmarc", "ruf"],
      "mailto:a@example.com, mailto:b@example.com",
      'write a list: ruf: ["mailto:a@example.com", "mailto:b@example.com"]',
    ],
    ["alignmentSPF: s", ["dmarc", "alignmentSPF"], "s", "aspf=s is written alignmentSPF: strict here"],
    [
      "alignmentSPF: s padded with a megabyte of spaces: shown trimmed",
      ["dmarc", "alignmentSPF"],
      `s${" ".repeat(1 << 20)}`,
      "aspf=s is written alignmentSPF: strict here",
    ],
    [
      "rua: a string too long to repeat",
      ["dmarc", "rua"],
      `mailto:${"a".repeat(300)}@example.com`,
      'write a list: rua: ["mailto:…", "mailto:…"]',
    ],
    ["alignmentDKIM: r", ["dmarc", "alignmentDKIM"], "r", "adkim=r is written alignmentDKIM: relaxed here"],
    ["testing: y", ["dmarc", "testing"], "y", "t=y is written testing: true here"],
    ["alignmentSPF: x", ["dmarc", "alignmentSPF"], "x", undefined],
    ["policy: rejct", ["dmarc", "policy"], "rejct", undefined],
  ];
  for (const [name, path, value, expected] of cases) {
    it(name, () => {
      assert.equal(valueHint(path, value), expected);
    });
  }
});

describe("shortKey", () => {
  it("keeps a short key whole and shortens a long one to its ends and length", () => {
    assert.equal(shortKey("abc"), "abc");
    assert.equal(shortKey(RSA), RSA_SHORT);
  });
});

describe("validation messages carry the hints (the seed guide's spellings)", () => {
  const base = { domain: "testtest.com", dns: { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" } };
  const DMARC_KEYS =
    "policy, subdomainPolicy, nonexistentSubdomainPolicy, testing, percent, rua, ruf, alignmentSPF, alignmentDKIM, failureOptions, authorizeReportsFor";

  it("the guide's DMARC tags, SPF ~all and a pasted DKIM record: every problem at once, each naming what to write", () => {
    assert.deepEqual(
      problemLines({
        ...base,
        spf: { ip4: ["1.2.3.4", "23.21.22.1"], all: "~all" },
        dkim: { selectors: { email: { status: "active", publicKey: `v=DKIM1; k=rsa; p=${RSA}` } } },
        dmarc: { p: "quarantine", pct: 10, rua: "mailto:dmarcmail@test.com", sp: "quarantine", aspf: "s" },
      }),
      [
        `stack test: sender-auth:spf.all: is not an allowed value (got "~all"): ~all is SPF's spelling of softfail: write all: softfail; allowed: fail, softfail, neutral`,
        "stack test: sender-auth:dmarc.policy: is required; allowed: none, quarantine, reject",
        'stack test: sender-auth:dmarc.rua: must be an array (got "mailto:dmarcmail@test.com"): write a list: rua: ["mailto:dmarcmail@test.com"]; allowed: a list of mailto: URIs',
        `stack test: sender-auth:dmarc.p: unknown key: p is the DMARC tag p=; write policy: quarantine instead; allowed: ${DMARC_KEYS}`,
        `stack test: sender-auth:dmarc.pct: unknown key: pct is the DMARC tag pct=; write percent: 10 instead; allowed: ${DMARC_KEYS}`,
        `stack test: sender-auth:dmarc.sp: unknown key: sp is the DMARC tag sp=; write subdomainPolicy: quarantine instead; allowed: ${DMARC_KEYS}`,
        `stack test: sender-auth:dmarc.aspf: unknown key: aspf is the DMARC tag aspf=; write alignmentSPF: strict instead; allowed: ${DMARC_KEYS}`,
        `stack test: sender-auth:dkim.selectors.email.publicKey: is not canonical base64 (no spaces or line breaks inside) (got "v=DKIM1; k=rsa; p=${RSA.slice(0, 42)}..."): this is a whole DKIM record; give only its p= value: publicKey: ${RSA_SHORT}; allowed: base64 of the RSA SubjectPublicKeyInfo DER (for 2048 bits, 392 characters starting MIIBIjANBgkq)`,
      ],
    );
  });

  it("the same config written as the hints say is valid", () => {
    assert.deepEqual(
      problemLines({
        ...base,
        spf: { ip4: ["1.2.3.4", "23.21.22.1"], all: "softfail" },
        dkim: { selectors: { email: { status: "active", publicKey: RSA } } },
        dmarc: {
          policy: "quarantine",
          percent: 10,
          rua: ["mailto:dmarcmail@test.com"],
          subdomainPolicy: "quarantine",
          alignmentSPF: "strict",
        },
      }),
      [],
    );
  });

  it("an unknown key that is no DMARC tag keeps the plain message", () => {
    assert.deepEqual(problemLines({ ...base, dmarc: { policy: "none", rua: [], colour: "red" } }), [
      `stack test: sender-auth:dmarc.colour: unknown key; allowed: ${DMARC_KEYS}`,
    ]);
  });
});
