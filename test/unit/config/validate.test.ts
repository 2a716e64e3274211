import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeConfigMap, validateStack } from "../../../components/config";
import { keyPath } from "../../../components/keyPath";
import { problemLines } from "../../support/validation";
import { fixtureKey, oversizedRsaPublicKey } from "../../support/fixtures";

const CF_ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const cloudflare = { provider: "cloudflare", zoneId: CF_ZONE };
const base = (): Record<string, unknown> => ({ domain: "example.com", dns: { ...cloudflare } });

const problems = (raw: Record<string, unknown>): string[] => problemLines(raw);

function warnings(raw: Record<string, unknown>): readonly string[] {
  return validateStack("test", raw).warnings;
}

const DOMAIN_ALLOWED = "allowed: a lower-case domain name in Punycode without trailing dot, e.g. example.com";
const HOST_ALLOWED = "allowed: a lower-case host name, e.g. _spf.google.com";

describe("validateStack rejections (each names stack, key path, bad value and what is allowed)", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "an empty stack",
      {},
      [
        `stack test: sender-auth:domain: is required; ${DOMAIN_ALLOWED}`,
        "stack test: sender-auth:dns: is required; allowed: an object with provider, zoneId, ttl, preserveTxt",
      ],
    ],
    [
      "an unknown top-level key",
      { ...base(), colour: "blue" },
      [
        "stack test: sender-auth:colour: unknown key; allowed: domain, dns, spf, dkim, dmarc, mtaSts, tlsRpt, bimi, parked",
      ],
    ],
    [
      "a domain with a trailing dot",
      { ...base(), domain: "example.com." },
      [
        `stack test: sender-auth:domain: must not end with a dot; use "example.com" (got "example.com."); ${DOMAIN_ALLOWED}`,
      ],
    ],
    [
      "an upper-case domain",
      { ...base(), domain: "Example.com" },
      [`stack test: sender-auth:domain: must be lower case; use "example.com" (got "Example.com"); ${DOMAIN_ALLOWED}`],
    ],
    [
      "a Unicode domain",
      { ...base(), domain: "bücher.example" },
      [
        `stack test: sender-auth:domain: must be in Punycode; use "xn--bcher-kva.example" (got "bücher.example"); ${DOMAIN_ALLOWED}`,
      ],
    ],
    [
      "a domain with an underscore",
      { ...base(), domain: "_dmarc.example.com" },
      [
        `stack test: sender-auth:domain: has an invalid label "_dmarc": use letters, digits and hyphens, not starting or ending with a hyphen (got "_dmarc.example.com"); ${DOMAIN_ALLOWED}`,
      ],
    ],
    [
      "a domain that is not a string",
      { ...base(), domain: 42 },
      [`stack test: sender-auth:domain: must be a string (got 42); ${DOMAIN_ALLOWED}`],
    ],
    [
      "dns problems together",
      { ...base(), dns: { provider: "gcp", zoneId: 5, colour: 1 } },
      [
        'stack test: sender-auth:dns.provider: is not an allowed value (got "gcp"); allowed: cloudflare, route53',
        "stack test: sender-auth:dns.zoneId: must be a string (got 5); allowed: the zone's ID: 32 hex characters (Cloudflare) or the hosted zone ID such as Z0123456789ABCDEFGHIJ (Route53)",
        "stack test: sender-auth:dns.colour: unknown key; allowed: provider, zoneId, ttl, preserveTxt",
      ],
    ],
    [
      "a missing provider and zone",
      { ...base(), dns: {} },
      [
        "stack test: sender-auth:dns.provider: is required; allowed: cloudflare, route53",
        "stack test: sender-auth:dns.zoneId: is required; allowed: the zone's ID: 32 hex characters (Cloudflare) or the hosted zone ID such as Z0123456789ABCDEFGHIJ (Route53)",
      ],
    ],
    [
      "a Cloudflare zone ID of the wrong form and a TTL Cloudflare refuses",
      { ...base(), dns: { provider: "cloudflare", zoneId: "Z0123456789ABCDEFGHIJ", ttl: 90000 } },
      [
        "stack test: sender-auth:dns.zoneId: is not a Cloudflare zone ID (32 lower-case hex characters, shown on the zone's Overview page) (got \"Z0123456789ABCDEFGHIJ\"); allowed: the zone's ID: 32 hex characters (Cloudflare) or the hosted zone ID such as Z0123456789ABCDEFGHIJ (Route53)",
        "stack test: sender-auth:dns.ttl: is outside what Cloudflare accepts (got 90000); allowed: a whole number of seconds: 1 (automatic) or 60–86400 on Cloudflare, 0–2147483647 on Route53",
      ],
    ],
    [
      "a Route53 zone given as a path, and a negative TTL",
      { ...base(), dns: { provider: "route53", zoneId: "/hostedzone/Z123", ttl: -5 } },
      [
        'stack test: sender-auth:dns.zoneId: must be the bare hosted zone ID; use "Z123" (got "/hostedzone/Z123"); allowed: the zone\'s ID: 32 hex characters (Cloudflare) or the hosted zone ID such as Z0123456789ABCDEFGHIJ (Route53)',
        "stack test: sender-auth:dns.ttl: is outside what Route53 accepts (got -5); allowed: a whole number of seconds: 1 (automatic) or 60–86400 on Cloudflare, 0–2147483647 on Route53",
      ],
    ],
    [
      "a Route53 zone ID of the wrong form",
      { ...base(), dns: { provider: "route53", zoneId: CF_ZONE } },
      [
        'stack test: sender-auth:dns.zoneId: is not a Route53 hosted zone ID (upper-case letters and digits, e.g. Z0123456789ABCDEFGHIJ) (got "023e105f4ecef8ad9ca31a8372d0c353"); allowed: the zone\'s ID: 32 hex characters (Cloudflare) or the hosted zone ID such as Z0123456789ABCDEFGHIJ (Route53)',
      ],
    ],
    [
      "a fractional TTL",
      { ...base(), dns: { ...cloudflare, ttl: 59.5 } },
      [
        "stack test: sender-auth:dns.ttl: must be a whole number (got 59.5); allowed: a whole number of seconds: 1 (automatic) or 60–86400 on Cloudflare, 0–2147483647 on Route53",
      ],
    ],
    [
      "preserveTxt values that would break the apex",
      {
        ...base(),
        dns: { ...cloudflare, preserveTxt: ["v=spf1 include:other.example -all", 'a"b', "", "MS=1", "MS=1", 7] },
      },
      [
        "stack test: sender-auth:dns.preserveTxt[5]: must be a string (got 7); allowed: printable ASCII without double quotes or backslashes, not starting v=spf1",
      ],
    ],
    [
      "preserveTxt values that would break the apex (strings)",
      { ...base(), dns: { ...cloudflare, preserveTxt: ["V=SPF1 -all", 'a"b', "", "MS=1", "MS=1", "caf\u00e9"] } },
      [
        'stack test: sender-auth:dns.preserveTxt[0]: is an SPF record; a second v=spf1 record makes SPF fail with permerror (RFC 7208 §3.2): put its mechanisms into sender-auth:spf instead (got "V=SPF1 -all"); allowed: printable ASCII without double quotes or backslashes, not starting v=spf1',
        'stack test: sender-auth:dns.preserveTxt[1]: contains a double quote at position 2 (got "a\\"b"); allowed: printable ASCII without double quotes or backslashes, not starting v=spf1',
        'stack test: sender-auth:dns.preserveTxt[2]: must not be empty (got ""); allowed: printable ASCII without double quotes or backslashes, not starting v=spf1',
        'stack test: sender-auth:dns.preserveTxt[4]: is listed twice (got "MS=1"); allowed: printable ASCII without double quotes or backslashes, not starting v=spf1',
        'stack test: sender-auth:dns.preserveTxt[5]: contains a character outside printable ASCII at position 4 (U+00E9) (got "café"); allowed: printable ASCII without double quotes or backslashes, not starting v=spf1',
      ],
    ],
    [
      "every kind of SPF mistake at once",
      {
        ...base(),
        spf: {
          ip4: ["1.2.3.400", "1.2.3.4", "1.2.3.4", "10.0.0.0/33"],
          ip6: ["2001:DB8::/32", "::1/200"],
          include: ["%{i}.x.example.com", "Spf.Example.net"],
          exists: ["bad..example"],
          a: "yes",
          all: "pass",
          ptr: true,
        },
      },
      [
        'stack test: sender-auth:spf.ip4[0]: not an IPv4 address or CIDR range (got "1.2.3.400"); allowed: an IPv4 address or CIDR range such as 192.0.2.1 or 192.0.2.0/24',
        'stack test: sender-auth:spf.ip4[2]: is listed twice (got "1.2.3.4"); allowed: an IPv4 address or CIDR range such as 192.0.2.1 or 192.0.2.0/24',
        'stack test: sender-auth:spf.ip4[3]: prefix length must be 0–32 (got "10.0.0.0/33"); allowed: an IPv4 address or CIDR range such as 192.0.2.1 or 192.0.2.0/24',
        'stack test: sender-auth:spf.ip6[0]: must be lower case; use "2001:db8::/32" (got "2001:DB8::/32"); allowed: a lower-case IPv6 address or CIDR range such as 2001:db8::/32',
        'stack test: sender-auth:spf.ip6[1]: prefix length must be 0–128 (got "::1/200"); allowed: a lower-case IPv6 address or CIDR range such as 2001:db8::/32',
        'stack test: sender-auth:spf.a: must be a boolean (got "yes"); allowed: true or false',
        `stack test: sender-auth:spf.include[0]: uses an SPF macro, which sender-auth does not support (got "%{i}.x.example.com"); ${HOST_ALLOWED}`,
        `stack test: sender-auth:spf.include[1]: must be lower case; use "spf.example.net" (got "Spf.Example.net"); ${HOST_ALLOWED}`,
        `stack test: sender-auth:spf.exists[0]: has an empty label (two dots in a row) (got "bad..example"); ${HOST_ALLOWED}`,
        'stack test: sender-auth:spf.all: is not an allowed value (got "pass"); allowed: fail, softfail, neutral',
        "stack test: sender-auth:spf.ptr: unknown key; allowed: ip4, ip6, a, mx, include, exists, all, redirect",
      ],
    ],
    [
      "all together with redirect",
      { ...base(), spf: { all: "fail", redirect: "_spf.example.net" } },
      [
        "stack test: sender-auth:spf.redirect: and sender-auth:spf.all are mutually exclusive, and cannot both be set: all ends evaluation, so a redirect beside it is ignored (RFC 7208 §6.1)",
      ],
    ],
    [
      "more than 10 lookups",
      {
        ...base(),
        spf: {
          a: true,
          mx: true,
          include: Array.from({ length: 8 }, (_, i) => `i${i}.example.net`),
          redirect: "r.example.net",
        },
      },
      [
        "stack test: sender-auth:spf: needs 11 DNS lookups before counting those inside its includes; RFC 7208 §4.6.4 allows at most 10, beyond which SPF fails with permerror; allowed: at most 10 of a, mx, include, exists and redirect together",
      ],
    ],
    [
      "selector problems",
      {
        ...base(),
        dkim: {
          selectors: {
            Bad_sel: { status: "actve" },
            s1: { status: "active", cname: "s1.dkim.esp.example.net", publicKey: fixtureKey("rsa-2048").publicKey },
            s2: { status: "active" },
            s3: { status: "published", algorithm: "dsa", publicKey: "x" },
            s4: { status: "active", publicKey: fixtureKey("rsa-512").publicKey, createdAt: "last week", color: "red" },
          },
        },
      },
      [
        'stack test: sender-auth:dkim.selectors.Bad_sel.status: is not an allowed value (got "actve"); allowed: active, published, retired, revoked',
        'stack test: sender-auth:dkim.selectors.s3.algorithm: is not an allowed value (got "dsa"); allowed: rsa, ed25519',
        'stack test: sender-auth:dkim.selectors.s4.createdAt: is not an ISO 8601 date (got "last week"); allowed: an ISO 8601 date such as 2026-11-28',
        "stack test: sender-auth:dkim.selectors.s4.color: unknown key; allowed: status, algorithm, publicKey, cname, createdAt, retiredAt",
        'stack test: sender-auth:dkim.selectors.Bad_sel: selector name must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1) (got "Bad_sel"); allowed: DNS labels of lower-case letters, digits and hyphens, e.g. s202611a',
        "stack test: sender-auth:dkim.selectors.s1.cname: and publicKey are mutually exclusive, and cannot both be set: a CNAME selector's key is published by the provider it points at",
        "stack test: sender-auth:dkim.selectors.s2: has status active but neither publicKey nor cname; allowed: publicKey (the key to publish) or cname (a provider-hosted key); only a revoked selector may have neither",
        `stack test: sender-auth:dkim.selectors.s4.publicKey: is a 512-bit RSA key; RFC 8301 §3.2 requires at least 1024 bits (2048 recommended) (got "${fixtureKey("rsa-512").publicKey.slice(0, 60)}..."); allowed: base64 of the RSA SubjectPublicKeyInfo DER (for 2048 bits, 392 characters starting MIIBIjANBgkq), 1024–4096 bits`,
      ],
    ],
    [
      "a key that does not parse and one over 4096 bits",
      {
        ...base(),
        dkim: {
          selectors: {
            a: { status: "active", publicKey: "bm90IGEga2V5" },
            b: { status: "active", publicKey: oversizedRsaPublicKey() },
          },
        },
      },
      [
        'stack test: sender-auth:dkim.selectors.a.publicKey: is not a DER SubjectPublicKeyInfo (got "bm90IGEga2V5"); allowed: base64 of the RSA SubjectPublicKeyInfo DER (for 2048 bits, 392 characters starting MIIBIjANBgkq)',
        `stack test: sender-auth:dkim.selectors.b.publicKey: is a 4160-bit RSA key; RFC 8301 §3.2 only obliges verifiers to handle up to 4096 bits (got "${oversizedRsaPublicKey().slice(0, 60)}..."); allowed: base64 of the RSA SubjectPublicKeyInfo DER (for 2048 bits, 392 characters starting MIIBIjANBgkq), 1024–4096 bits`,
      ],
    ],
    [
      "a dotted selector name is quoted in the key path",
      {
        ...base(),
        dkim: {
          selectors: { "eu.mail": { status: "revoked", algorithm: "ed25519", publicKey: fixtureKey("ed25519").spki } },
        },
      },
      [
        `stack test: sender-auth:dkim.selectors["eu.mail"].publicKey: is an SPKI-wrapped Ed25519 key; RFC 8463 §4.2 publishes the raw key: use "${fixtureKey("ed25519").publicKey}" (got "${fixtureKey("ed25519").spki}"); allowed: base64 of the raw 32-byte Ed25519 public key (44 characters)`,
      ],
    ],
    [
      "dkim without selectors",
      { ...base(), dkim: {} },
      [
        "stack test: sender-auth:dkim.selectors: is required; allowed: a map from selector name to { status, algorithm, publicKey | cname, privateKey, createdAt, retiredAt }",
      ],
    ],
    [
      "dkim that is not an object",
      { ...base(), dkim: "abc" },
      [
        'stack test: sender-auth:dkim: must be an object (got "abc"); allowed: an object with selectors, maxKeyAgeDays, removedSelectors',
      ],
    ],
    [
      "every kind of DMARC mistake at once",
      {
        ...base(),
        dmarc: {
          policy: "rejct",
          subdomainPolicy: "none!",
          percent: 101,
          testing: "no",
          rua: ["https://reports.example.com", "dmarc@example.com", "mailto:a@example.com", "mailto:a@example.com"],
          ruf: ["mailto:x@example.com!10q"],
          alignmentSPF: "s",
          failureOptions: ["2"],
          authorizeReportsFor: ["example.com", "Example.NET"],
          rf: "afrf",
        },
      },
      [
        'stack test: sender-auth:dmarc.policy: is not an allowed value (got "rejct"); allowed: none, quarantine, reject',
        'stack test: sender-auth:dmarc.subdomainPolicy: is not an allowed value (got "none!"); allowed: none, quarantine, reject',
        'stack test: sender-auth:dmarc.testing: must be a boolean (got "no"); allowed: true or false',
        "stack test: sender-auth:dmarc.percent: is out of range (got 101); allowed: a whole number from 0 to 100",
        'stack test: sender-auth:dmarc.rua[0]: is not a mailto: URI (DMARC receivers are only required to support mailto:) (got "https://reports.example.com"); allowed: a mailto: URI such as mailto:dmarc@example.com',
        'stack test: sender-auth:dmarc.rua[1]: is not a mailto: URI (DMARC receivers are only required to support mailto:) (got "dmarc@example.com"); allowed: a mailto: URI such as mailto:dmarc@example.com',
        'stack test: sender-auth:dmarc.rua[3]: is listed twice (got "mailto:a@example.com"); allowed: a mailto: URI such as mailto:dmarc@example.com',
        'stack test: sender-auth:dmarc.ruf[0]: has a malformed size limit; it must be !<digits> optionally followed by k, m, g or t (got "mailto:x@example.com!10q"); allowed: a mailto: URI such as mailto:dmarc@example.com',
        'stack test: sender-auth:dmarc.alignmentSPF: is not an allowed value (got "s"): aspf=s is written alignmentSPF: strict here; allowed: relaxed, strict',
        'stack test: sender-auth:dmarc.failureOptions[0]: is not an allowed value (got "2"); allowed: 0, 1, d, s',
        `stack test: sender-auth:dmarc.authorizeReportsFor[1]: must be lower case; use "example.net" (got "Example.NET"); ${DOMAIN_ALLOWED}`,
        "stack test: sender-auth:dmarc.rf: unknown key: rf is the DMARC tag rf= (failure report format), which RFC 9989 removed; sender-auth does not write it: leave it out; allowed: policy, subdomainPolicy, nonexistentSubdomainPolicy, testing, percent, rua, ruf, alignmentSPF, alignmentDKIM, failureOptions, authorizeReportsFor",
        'stack test: sender-auth:dmarc.authorizeReportsFor[0]: is this stack\'s own domain; reports from example.com to example.com need no authorisation (got "example.com"); allowed: other domains whose reports this domain receives',
      ],
    ],
    [
      "dmarc without a policy",
      { ...base(), dmarc: { rua: ["mailto:d@example.com"] } },
      ["stack test: sender-auth:dmarc.policy: is required; allowed: none, quarantine, reject"],
    ],
    [
      "a negative percent",
      { ...base(), dmarc: { policy: "reject", percent: -1 } },
      ["stack test: sender-auth:dmarc.percent: is out of range (got -1); allowed: a whole number from 0 to 100"],
    ],
    [
      "parked with other sections",
      { ...base(), parked: true, spf: {}, dkim: { selectors: {} }, dmarc: { policy: "none" } },
      [
        "stack test: sender-auth:spf: is not allowed together with sender-auth:parked: true (a parked domain publishes its own SPF, DKIM and DMARC records); remove it or set parked: false",
        "stack test: sender-auth:dkim: is not allowed together with sender-auth:parked: true (a parked domain publishes its own SPF, DKIM and DMARC records); remove it or set parked: false",
        "stack test: sender-auth:dmarc: is not allowed together with sender-auth:parked: true (a parked domain publishes its own SPF, DKIM and DMARC records); remove it or set parked: false",
      ],
    ],
    [
      "parked that is not a boolean",
      { ...base(), parked: "yes" },
      ['stack test: sender-auth:parked: must be a boolean (got "yes"); allowed: true or false'],
    ],
  ];
  for (const [name, raw, expected] of cases) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(problems(raw), expected);
    });
  }

  it("rejects a DKIM record Cloudflare cannot store (over 2,048 characters of content)", () => {
    // Every check on the config passes; only the provider's limit on the built record fails.
    const raw = {
      ...base(),
      dmarc: {
        policy: "none",
        rua: Array.from({ length: 60 }, (_, i) => `mailto:dmarc-reports-mailbox-${i}@example.com`),
      },
    };
    const lines = problems(raw);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? "",
      /^stack test: sender-auth:dmarc: makes a TXT record at _dmarc\.example\.com of 2683 characters of content; allowed: at most 2048 characters per TXT record on Cloudflare$/,
    );
  });
});

describe("validateStack acceptance", () => {
  it("applies defaults: ttl 3600, no preserveTxt, softfail, rsa, not parked", () => {
    const { config } = validateStack("test", {
      ...base(),
      spf: {},
      dkim: { selectors: { s1: { status: "active", publicKey: fixtureKey("rsa-2048").publicKey } } },
    });
    assert.equal(config.dns.ttl, 3600);
    assert.deepEqual(config.dns.preserveTxt, []);
    assert.ok(config.spf && config.dkim);
    assert.equal(config.spf.all, "softfail");
    assert.equal(config.spf.redirect, undefined);
    const selector = config.dkim.selectors[0];
    assert.ok(selector?.key);
    assert.equal(selector.algorithm, "rsa");
    assert.equal(selector.key.bits, 2048);
    assert.equal(config.parked, false);
    assert.equal(config.dmarc, undefined);
  });

  it("sorts selectors by name whatever the YAML order", () => {
    const key = fixtureKey("rsa-2048").publicKey;
    const { config } = validateStack("test", {
      ...base(),
      dkim: {
        selectors: {
          zeta: { status: "active", publicKey: key },
          alpha: { status: "revoked" },
          mid: { status: "published", publicKey: key },
        },
      },
    });
    assert.deepEqual(
      config.dkim?.selectors.map((s) => s.name),
      ["alpha", "mid", "zeta"],
    );
  });

  it("accepts fo=1 written as a YAML number", () => {
    const { config } = validateStack("test", {
      ...base(),
      dmarc: { policy: "reject", ruf: ["mailto:f@example.com"], failureOptions: [1, "d", 0] },
    });
    assert.deepEqual(config.dmarc?.failureOptions, ["1", "d", "0"]);
  });

  it("accepts a stack with only domain and dns, publishing nothing", () => {
    assert.deepEqual(validateStack("test", base()).records, []);
  });
});

describe("validateStack warnings (valid but risky)", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "includes, whose own lookups only live DNS can count",
      { ...base(), spf: { mx: true, include: ["_spf.google.com"] } },
      [
        "sender-auth:spf.include: 2 of 10 DNS lookups are counted from config, but each include adds the lookups of its own record (RFC 7208 §4.6.4); `sender-auth check` counts the real total",
      ],
    ],
    [
      "an RSA key under 2048 bits",
      {
        ...base(),
        dkim: {
          selectors: {
            old: { status: "active", publicKey: fixtureKey("rsa-1024").publicKey },
            rev: { status: "revoked", publicKey: fixtureKey("rsa-1024").publicKey },
          },
        },
      },
      [
        "sender-auth:dkim.selectors.old.publicKey: 1024-bit RSA key; RFC 8301 §3.2 says signers SHOULD use at least 2048 bits: rotate to a new selector with a 2048-bit key",
      ],
    ],
    [
      "Ed25519 without RSA",
      {
        ...base(),
        dkim: {
          selectors: { ed: { status: "active", algorithm: "ed25519", publicKey: fixtureKey("ed25519").publicKey } },
        },
      },
      [
        "sender-auth:dkim.selectors: Ed25519 keys are published but no RSA key; many receivers cannot verify Ed25519 (RFC 8463), so sign with an RSA selector too",
      ],
    ],
    [
      "pct, t=y with p=none, no rua, fo without ruf",
      { ...base(), dmarc: { policy: "none", percent: 50, testing: true, failureOptions: ["1"] } },
      [
        "sender-auth:dmarc.percent: pct= comes from RFC 7489 and was removed by RFC 9989, whose receivers ignore it; to stage enforcement use testing: true (t=y) instead",
        "sender-auth:dmarc.testing: t=y has no effect with policy none; it only softens quarantine and reject",
        "sender-auth:dmarc.rua: policy none with no rua: monitoring mode without aggregate reports tells nobody anything",
        "sender-auth:dmarc.failureOptions: fo= only applies to failure reports, and no ruf is set",
      ],
    ],
    [
      "report destinations outside the domain, and a size limit",
      {
        ...base(),
        dmarc: {
          policy: "reject",
          rua: ["mailto:d@reports.example.com", "mailto:d@dmarc.vendor.example!10m"],
          ruf: ["mailto:f@example.net"],
        },
      },
      [
        "sender-auth:dmarc.rua[1]: the !10m size limit is obsolete under RFC 9989 and ignored by its receivers",
        'sender-auth:dmarc.rua[1]: mailto:d@dmarc.vendor.example!10m is outside example.com: receivers send reports there only if dmarc.vendor.example publishes TXT "v=DMARC1" at example.com._report._dmarc.dmarc.vendor.example (RFC 7489 §7.1)',
        'sender-auth:dmarc.ruf[0]: mailto:f@example.net is outside example.com: receivers send reports there only if example.net publishes TXT "v=DMARC1" at example.com._report._dmarc.example.net (RFC 7489 §7.1)',
      ],
    ],
    [
      "preserveTxt on Route53 without SPF",
      { ...base(), dns: { provider: "route53", zoneId: "Z0123456789ABCDEFGHIJ", preserveTxt: ["MS=1"] } },
      [
        "sender-auth:dns.preserveTxt: has no effect without sender-auth:spf: sender-auth manages no TXT record at the apex",
      ],
    ],
    [
      "a TTL only Cloudflare Enterprise accepts",
      { ...base(), dns: { ...cloudflare, ttl: 30 } },
      ["sender-auth:dns.ttl: 30 seconds is only accepted on Cloudflare Enterprise zones; others need 60 or more"],
    ],
    [
      "an apex TXT answer over 450 octets",
      {
        ...base(),
        spf: { ip4: Array.from({ length: 12 }, (_, i) => `198.51.100.${i}`) },
        dns: { ...cloudflare, preserveTxt: [`google-site-verification=${"x".repeat(200)}`] },
      },
      [
        "sender-auth:spf: the TXT answer at example.com is 453 octets (owner name, SPF record and preserveTxt values); over 450 it may not fit a UDP response and some receivers fail SPF (RFC 7208 §3.4)",
      ],
    ],
  ];
  for (const [name, raw, expected] of cases) {
    it(`warns about ${name}`, () => {
      assert.deepEqual(warnings(raw), expected);
    });
  }

  it("draws no warnings for a careful configuration", () => {
    const raw = {
      ...base(),
      spf: { ip4: ["192.0.2.1"], all: "fail" },
      dkim: { selectors: { s1: { status: "active", publicKey: fixtureKey("rsa-2048").publicKey } } },
      dmarc: { policy: "reject", rua: ["mailto:dmarc@example.com"] },
    };
    assert.deepEqual(warnings(raw), []);
  });
});

describe("decodeConfigMap", () => {
  it("decodes structured values, booleans and strings the way Pulumi passes them", () => {
    const raw = decodeConfigMap({
      "sender-auth:domain": "example.com",
      "sender-auth:dns": '{"provider":"cloudflare","zoneId":"x"}',
      "sender-auth:parked": "false",
      "sender-auth:spf": "not json",
      "aws:region": "eu-west-1",
    });
    assert.deepEqual(raw, {
      domain: "example.com",
      dns: { provider: "cloudflare", zoneId: "x" },
      parked: false,
      spf: "not json",
    });
  });
  it("keeps a malformed JSON value as its text, so the schema reports it with the key path", () => {
    assert.deepEqual(decodeConfigMap({ "sender-auth:dmarc": "{policy: reject" }), { dmarc: "{policy: reject" });
  });
});

describe("keyPath", () => {
  it("renders paths in `pulumi config --path` syntax", () => {
    assert.equal(keyPath(["domain"]), "sender-auth:domain");
    assert.equal(keyPath(["spf", "ip4", 2]), "sender-auth:spf.ip4[2]");
    assert.equal(keyPath(["dkim", "selectors", "a.b", "status"]), 'sender-auth:dkim.selectors["a.b"].status');
  });
});
