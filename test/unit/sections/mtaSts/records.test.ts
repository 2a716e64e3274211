/**
 * The MTA-STS section (RFC 8461): the policy text and its id (exact strings; the id checked against
 * sha256sum of the same bytes), the TXT record, mx patterns, and every schema, cross-field and
 * warning message exactly as `plan` prints them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStack } from "../../../../components/config";
import {
  buildMtaStsPolicy,
  buildMtaStsRecord,
  mtaStsIdOf,
  mtaStsPolicyId,
  mtaStsPolicyOf,
  mxPatternProblem,
} from "../../../../components/sections/mtaSts/records";
import { problemLines } from "../../../support/validation";

const DNS = { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef" };
const stack = (mtaSts: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  domain: "example.com",
  dns: DNS,
  mtaSts,
  ...extra,
});

const ENFORCE =
  "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n";
// `printf '<the policy>' | sha256sum`, first 32 hex digits.
const ENFORCE_ID = "b72bbb081b3c130d387462c91a2be1cb";

describe("buildMtaStsPolicy and its id", () => {
  const cases: [string, { mode: string; mx: string[]; maxAge: number }, string, string][] = [
    [
      "enforce with a host and a wildcard, in config order",
      { mode: "enforce", mx: ["mail.example.com", "*.mx.example.net"], maxAge: 604800 },
      ENFORCE,
      ENFORCE_ID,
    ],
    [
      "none without mx",
      { mode: "none", mx: [], maxAge: 86400 },
      "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n",
      "94815eb6141fb6e5526888bf66f98f76",
    ],
    [
      "testing",
      { mode: "testing", mx: ["mail.example.com"], maxAge: 604800 },
      "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 604800\r\n",
      "c0a762642c8ff96deabc4e74c1e5d657",
    ],
  ];
  for (const [name, policy, text, id] of cases) {
    it(name, () => {
      assert.equal(buildMtaStsPolicy(policy), text);
      assert.equal(mtaStsPolicyId(text), id);
      assert.deepEqual(mtaStsPolicyOf(policy), { text, id });
      assert.match(id, /^[A-Za-z0-9]{1,32}$/);
    });
  }

  it("changes exactly when the policy text does", () => {
    const base = { mode: "enforce", mx: ["mail.example.com"], maxAge: 604800 };
    const ids = [
      base,
      { ...base, mode: "testing" },
      { ...base, maxAge: 604801 },
      { ...base, mx: ["mail.example.com", "mx2.example.com"] },
      { ...base, mx: ["mx2.example.com"] },
    ].map((policy) => mtaStsPolicyOf(policy).id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(mtaStsPolicyOf({ ...base }).id, ids[0]);
  });

  it("is what mailauth reads back (RFC 8461 §3.2 syntax)", async () => {
    const { parsePolicy } = await import("mailauth/lib/mta-sts");
    assert.deepEqual(parsePolicy(ENFORCE, { strict: true }), {
      mode: "enforce",
      version: "STSv1",
      mx: ["mail.example.com", "*.mx.example.net"],
      maxAge: 604800,
    });
  });
});

describe("the _mta-sts TXT record", () => {
  it("is v=STSv1; id=<id>, and its id reads back", () => {
    assert.equal(buildMtaStsRecord(ENFORCE_ID), `v=STSv1; id=${ENFORCE_ID}`);
    assert.equal(mtaStsIdOf(buildMtaStsRecord(ENFORCE_ID)), ENFORCE_ID);
  });

  const ids: [string, string | undefined][] = [
    ["v=STSv1; id=20260101T000000", "20260101T000000"],
    ["v=STSv1; id=abc123", "abc123"],
    ["v=STSv1;id=abc123;", "abc123"],
    ["v=STSv1; ext=1; id=abc", "abc"],
    ["v=STSv1 ; id=abc", "abc"],
    ["v=STSv2; id=abc", undefined],
    ["v=stsv1; id=abc", undefined],
    ["v=STSv1; id=", undefined],
    [`v=STSv1; id=${"a".repeat(33)}`, undefined],
    ["v=STSv1", undefined],
  ];
  for (const [value, id] of ids) {
    it(`reads ${JSON.stringify(value)} as ${String(id)}`, () => {
      assert.equal(mtaStsIdOf(value), id);
    });
  }

  it("is built at _mta-sts.<domain> with the stack's TTL and key path", () => {
    const { records } = validateStack("test", stack({ mode: "enforce", mx: ["mail.example.com", "*.mx.example.net"] }));
    assert.deepEqual(records, [
      {
        id: "mta-sts",
        name: "_mta-sts.example.com",
        type: "TXT",
        ttl: 3600,
        value: `v=STSv1; id=${ENFORCE_ID}`,
        purpose: "mta-sts",
        path: ["mtaSts"],
      },
    ]);
  });
});

describe("mxPatternProblem", () => {
  const cases: [string, string | undefined][] = [
    ["mail.example.com", undefined],
    ["*.example.com", undefined],
    ["*.mx.example.net", undefined],
    ["xn--bcher-kva.example", undefined],
    ["Mail.example.com", 'must be lower case; use "mail.example.com"'],
    ["*.Example.com", 'after *.: must be lower case; use "*.example.com"'],
    ["mail.example.com.", 'must not end with a dot; use "mail.example.com"'],
    [
      "*",
      "has a wildcard that is not the whole left-most label; RFC 8461 §3.2 allows only *.suffix, e.g. *.mail.example.com",
    ],
    [
      "mx*.example.com",
      "has a wildcard that is not the whole left-most label; RFC 8461 §3.2 allows only *.suffix, e.g. *.mail.example.com",
    ],
    [
      "*.*.example.com",
      "has a wildcard that is not the whole left-most label; RFC 8461 §3.2 allows only *.suffix, e.g. *.mail.example.com",
    ],
    [
      "*.com",
      "covers every host one label below a top-level domain; name the suffix of your own MX hosts, e.g. *.example.com",
    ],
    ["192.0.2.1", "must not end in a numeric label (it looks like an IP address)"],
    [
      "_mx.example.com",
      'has an invalid label "_mx": use letters, digits and hyphens, not starting or ending with a hyphen',
    ],
    ["", "must not be empty"],
  ];
  for (const [value, problem] of cases) {
    it(`${JSON.stringify(value)}: ${String(problem)}`, () => {
      assert.equal(mxPatternProblem(value), problem);
    });
  }
});

describe("sender-auth:mtaSts validation", () => {
  const MX_ALLOWED = "a list of MX host names or *.suffix patterns";
  const cases: [string, unknown, Record<string, unknown>, string[]][] = [
    ["enforce with mx", { mode: "enforce", mx: ["mail.example.com"] }, {}, []],
    ["none without mx", { mode: "none" }, {}, []],
    [
      "enforce without mx",
      { mode: "enforce" },
      {},
      [
        "stack test: sender-auth:mtaSts.mx: is required with mode enforce: senders deliver only to MX hosts that match one of its patterns (RFC 8461 §3.2, §4.1), and a policy without mx is invalid; " +
          `allowed: ${MX_ALLOWED}`,
      ],
    ],
    [
      "testing with an empty mx",
      { mode: "testing", mx: [] },
      {},
      [
        "stack test: sender-auth:mtaSts.mx: is required with mode testing: senders report as valid only to MX hosts that match one of its patterns (RFC 8461 §3.2, §4.1), and a policy without mx is invalid; " +
          `allowed: ${MX_ALLOWED}`,
      ],
    ],
    [
      "no mode, a bad pattern, a duplicate, maxAge out of range",
      { mx: ["mail.example.com", "mx*.example.com", "mail.example.com"], maxAge: 3600 },
      {},
      [
        "stack test: sender-auth:mtaSts.mode: is required; allowed: enforce, testing, none",
        'stack test: sender-auth:mtaSts.mx[1]: has a wildcard that is not the whole left-most label; RFC 8461 §3.2 allows only *.suffix, e.g. *.mail.example.com (got "mx*.example.com"); ' +
          "allowed: a lower-case MX host name such as mail.example.com, or *.example.com for any host one label below it",
        'stack test: sender-auth:mtaSts.mx[2]: is listed twice (got "mail.example.com"); allowed: a lower-case MX host name such as mail.example.com, or *.example.com for any host one label below it',
        "stack test: sender-auth:mtaSts.maxAge: is out of range (got 3600); allowed: whole seconds from 86400 (a day) to 31557600 (a year)",
      ],
    ],
    [
      "a mode that is not one, maxAge over a year, an unknown key",
      { mode: "strict", mx: ["mail.example.com"], maxAge: 31557601, policy: "x" },
      {},
      [
        'stack test: sender-auth:mtaSts.mode: is not an allowed value (got "strict"); allowed: enforce, testing, none',
        "stack test: sender-auth:mtaSts.maxAge: is out of range (got 31557601); allowed: whole seconds from 86400 (a day) to 31557600 (a year)",
        "stack test: sender-auth:mtaSts.policy: unknown key; allowed: mode, mx, maxAge",
      ],
    ],
    [
      "not an object",
      "enforce",
      {},
      ['stack test: sender-auth:mtaSts: must be an object (got "enforce"); allowed: an object with mode, mx, maxAge'],
    ],
    [
      "on a parked domain",
      { mode: "enforce", mx: ["mail.example.com"] },
      { parked: true },
      [
        "stack test: sender-auth:mtaSts: is not allowed together with sender-auth:parked: true (a parked domain sends and receives no mail, so it publishes no MTA-STS record); remove it or set parked: false",
      ],
    ],
    [
      "a domain that makes _mta-sts.<domain> too long",
      { mode: "none" },
      { domain: `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(59)}.com` },
      [
        "stack test: sender-auth:domain: is 246 characters long, which makes the record name of the MTA-STS record, " +
          `_mta-sts.${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(59)}.com, 255 characters (257 octets on the wire); RFC 1035 §2.3.4 allows at most 253 (255 octets); ` +
          "allowed: a domain of at most 244 characters here",
      ],
    ],
  ];
  for (const [name, mtaSts, extra, lines] of cases) {
    it(name, () => {
      assert.deepEqual(problemLines(stack(mtaSts, extra)), lines);
    });
  }

  it("defaults maxAge to a week", () => {
    const { config } = validateStack("test", stack({ mode: "enforce", mx: ["mail.example.com"] }));
    assert.deepEqual(config.mtaSts, { mode: "enforce", mx: ["mail.example.com"], maxAge: 604800 });
  });

  it("publishes nothing and outputs nothing without the key", () => {
    const { config, records } = validateStack("test", { domain: "example.com", dns: DNS });
    assert.equal(config.mtaSts, undefined);
    assert.deepEqual(records, []);
  });
});

describe("sender-auth:mtaSts warnings", () => {
  const cases: [string, unknown, string[]][] = [
    ["enforce for a week", { mode: "enforce", mx: ["mail.example.com"] }, []],
    [
      "none",
      { mode: "none", maxAge: 86400 },
      [
        "sender-auth:mtaSts.mode: none withdraws MTA-STS (RFC 8461 §8.3): keep it published and served at https://mta-sts.example.com/.well-known/mta-sts.txt for max_age (86400 s) after senders last fetched the earlier policy, then remove sender-auth:mtaSts",
      ],
    ],
    [
      "testing for a day",
      { mode: "testing", mx: ["mail.example.com"], maxAge: 86400 },
      [
        "sender-auth:mtaSts.maxAge: 86400 s is under a week; RFC 8461 §3.2 expects max_age to be weeks or more, since an attacker can strip TLS whenever a sender's cached policy has expired",
      ],
    ],
  ];
  for (const [name, mtaSts, warnings] of cases) {
    it(name, () => {
      assert.deepEqual(validateStack("test", stack(mtaSts)).warnings, warnings);
    });
  }
});
