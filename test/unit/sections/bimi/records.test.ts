/** BIMI: the record as built, the config messages and the DMARC-enforcement cross-check (exact text). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStack } from "../../../../components/config";
import { bimiRecordName, buildBimiValue, dmarcEnforcementGaps } from "../../../../components/sections/bimi/records";
import { problemLines } from "../../../support/validation";

const LOGO = "https://example.com/brand/logo.svg";
const VMC = "https://example.com/brand/vmc.pem";
const withoutDmarc = {
  domain: "example.com",
  dns: { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" },
};
const base = { ...withoutDmarc, dmarc: { policy: "reject" } };
const ENFORCEMENT =
  "allowed: sender-auth:dmarc with policy quarantine or reject, no subdomainPolicy none, no percent below 100, testing false";
const NO_AUTHORITY =
  "sender-auth:bimi.authority: not set: Gmail and Apple Mail show a BIMI logo only with a Verified Mark or Common Mark Certificate (a=); without one, few receivers show it";

describe("BIMI record", () => {
  it("is <selector>._bimi.<domain> TXT v=BIMI1; l=<logo>; and a=<authority> when set", () => {
    assert.equal(bimiRecordName("default", "example.com"), "default._bimi.example.com");
    assert.equal(buildBimiValue({ logo: LOGO, authority: undefined }), `v=BIMI1; l=${LOGO};`);
    assert.equal(buildBimiValue({ logo: LOGO, authority: VMC }), `v=BIMI1; l=${LOGO}; a=${VMC}`);
  });

  it("is published from sender-auth:bimi, selector default by default, with its key path", () => {
    const { records, warnings } = validateStack("test", { ...base, bimi: { logo: LOGO, authority: VMC } });
    assert.deepEqual(
      records.find((r) => r.purpose === "bimi"),
      {
        id: "bimi",
        name: "default._bimi.example.com",
        type: "TXT",
        ttl: 3600,
        value: `v=BIMI1; l=${LOGO}; a=${VMC}`,
        purpose: "bimi",
        selector: "default",
        path: ["bimi"],
      },
    );
    assert.deepEqual(warnings, []);
  });

  it("another selector names the record; no certificate is a warning", () => {
    const { records, warnings } = validateStack("test", { ...base, bimi: { selector: "brand2", logo: LOGO } });
    assert.equal(records.find((r) => r.purpose === "bimi")?.name, "brand2._bimi.example.com");
    assert.deepEqual(warnings, [NO_AUTHORITY]);
  });
});

describe("BIMI requires DMARC enforcement (BIMI draft §7.1), naming both keys", () => {
  const cases: [string, Record<string, unknown> | undefined, string[]][] = [
    ["reject", { policy: "reject" }, []],
    [
      "quarantine with percent 100 and sp reject",
      { policy: "quarantine", percent: 100, subdomainPolicy: "reject" },
      [],
    ],
    [
      "no DMARC at all",
      undefined,
      [
        `stack test: sender-auth:bimi: requires DMARC at enforcement, and sender-auth:dmarc is not set: receivers show a logo only for mail that passes a DMARC policy of quarantine or reject (BIMI draft §7.1); ${ENFORCEMENT}`,
      ],
    ],
    [
      "policy none",
      { policy: "none", rua: ["mailto:d@example.com"] },
      [
        `stack test: sender-auth:bimi: requires DMARC at enforcement, and sender-auth:dmarc.policy is "none", not quarantine or reject; receivers show no logo (BIMI draft §7.1); ${ENFORCEMENT}`,
      ],
    ],
    [
      "every gap at once: sp none, percent 50, testing",
      { policy: "quarantine", subdomainPolicy: "none", percent: 50, testing: true },
      [
        `stack test: sender-auth:bimi: requires DMARC at enforcement, and sender-auth:dmarc.subdomainPolicy is "none"; receivers show no logo (BIMI draft §7.1); ${ENFORCEMENT}`,
        `stack test: sender-auth:bimi: requires DMARC at enforcement, and sender-auth:dmarc.percent is 50: the policy applies to part of the mail only; receivers show no logo (BIMI draft §7.1); ${ENFORCEMENT}`,
        `stack test: sender-auth:bimi: requires DMARC at enforcement, and sender-auth:dmarc.testing is true: receivers do not enforce a policy in testing (t=y); receivers show no logo (BIMI draft §7.1); ${ENFORCEMENT}`,
      ],
    ],
  ];
  for (const [name, dmarc, expected] of cases) {
    it(name, () => {
      const lines = problemLines({
        ...withoutDmarc,
        ...(dmarc === undefined ? {} : { dmarc }),
        bimi: { logo: LOGO, authority: VMC },
      });
      // percent draws its own DMARC warning, never a problem: only BIMI's lines are expected.
      assert.deepEqual(lines, expected);
    });
  }

  it("a policy that is not a string is reported by DMARC's schema and by BIMI's cross-check", () => {
    assert.deepEqual(dmarcEnforcementGaps({ policy: 3 }), [["policy", "is 3, not quarantine or reject"]]);
  });
});

describe("sender-auth:bimi validation (stack, key path, value, allowed)", () => {
  const LOGO_ALLOWED =
    "allowed: an https:// URL on a domain name, e.g. https://example.com/logo.svg serving an SVG Tiny PS logo";
  const cases: [string, unknown, string[]][] = [
    ["no logo", {}, ["stack test: sender-auth:bimi.logo: is required; " + LOGO_ALLOWED]],
    [
      "an http logo",
      { logo: "http://example.com/logo.svg" },
      [
        `stack test: sender-auth:bimi.logo: is not an https:// URL (got "http://example.com/logo.svg"); ${LOGO_ALLOWED}`,
      ],
    ],
    [
      "a logo URL with ; in it",
      { logo: "https://example.com/a;b.svg" },
      [
        `stack test: sender-auth:bimi.logo: contains ";", which ends the value in the record; percent-encode it as %3B (got "https://example.com/a;b.svg"); ${LOGO_ALLOWED}`,
      ],
    ],
    [
      "an authority that is not https, and a bad selector",
      { logo: LOGO, authority: "ftp://example.com/vmc.pem", selector: "Brand_2" },
      [
        'stack test: sender-auth:bimi.selector: must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1) (got "Brand_2"); allowed: a DNS label of lower-case letters, digits and hyphens, e.g. default or brand2',
        'stack test: sender-auth:bimi.authority: is not an https:// URL (got "ftp://example.com/vmc.pem"); allowed: an https:// URL on a domain name, e.g. https://example.com/vmc.pem serving the PEM of a VMC or CMC',
      ],
    ],
    [
      "an unknown field",
      { logo: LOGO, avatar: "x" },
      ["stack test: sender-auth:bimi.avatar: unknown key; allowed: selector, logo, authority"],
    ],
  ];
  for (const [name, bimi, expected] of cases) {
    it(name, () => {
      assert.deepEqual(problemLines({ ...base, bimi }), expected);
    });
  }

  it("is refused on a parked domain (it sends no mail to show a logo beside), without BIMI's DMARC message", () => {
    assert.deepEqual(problemLines({ ...withoutDmarc, parked: true, bimi: { logo: LOGO } }), [
      "stack test: sender-auth:bimi: is not allowed together with sender-auth:parked: true (a parked domain sends and receives no mail, so it publishes no BIMI record); remove it or set parked: false",
    ]);
  });
});
