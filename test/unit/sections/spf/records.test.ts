import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SpfConfig } from "../../../../components/sections/spf";
import { buildSpfValue, countSpfLookups, ip4Problem, ip6Problem } from "../../../../components/sections/spf/records";

const empty: SpfConfig = {
  ip4: [],
  ip6: [],
  a: false,
  mx: false,
  include: [],
  exists: [],
  all: "fail",
  redirect: undefined,
};

describe("buildSpfValue", () => {
  const cases: [string, Partial<SpfConfig>, string][] = [
    ["nothing but all", {}, "v=spf1 -all"],
    ["softfail", { all: "softfail" }, "v=spf1 ~all"],
    ["neutral", { all: "neutral" }, "v=spf1 ?all"],
    [
      "every mechanism, address mechanisms first",
      {
        include: ["_spf.google.com"],
        mx: true,
        a: true,
        ip6: ["2001:db8::/32"],
        ip4: ["192.0.2.1", "198.51.100.0/24"],
        exists: ["%{i}._spf.example.com".replace("%{i}.", "x.")],
      },
      "v=spf1 ip4:192.0.2.1 ip4:198.51.100.0/24 ip6:2001:db8::/32 a mx include:_spf.google.com exists:x._spf.example.com -all",
    ],
    ["redirect instead of all", { all: undefined, redirect: "_spf.example.net" }, "v=spf1 redirect=_spf.example.net"],
  ];
  for (const [name, overrides, expected] of cases) {
    it(name, () => {
      assert.equal(buildSpfValue({ ...empty, ...overrides }), expected);
    });
  }
});

describe("countSpfLookups", () => {
  it("counts a, mx, include, exists and redirect, not ip4/ip6/all (RFC 7208 §4.6.4)", () => {
    const cases: [SpfConfig, number][] = [
      [{ ...empty, ip4: ["192.0.2.1"], ip6: ["2001:db8::1"] }, 0],
      [{ ...empty, a: true, mx: true, include: ["a.example", "b.example"], exists: ["c.example"] }, 5],
      [{ ...empty, all: undefined, redirect: "d.example" }, 1],
    ];
    for (const [spf, lookups] of cases) assert.equal(countSpfLookups(spf), lookups);
  });
});

describe("ip4Problem", () => {
  const cases: [string, string | undefined][] = [
    ["192.0.2.1", undefined],
    ["192.0.2.0/24", undefined],
    ["0.0.0.0/0", undefined],
    ["192.0.2.1/32", undefined],
    ["192.0.2.1/33", "prefix length must be 0–32"],
    ["192.0.2.1/", "prefix length must be 0–32"],
    ["192.0.2.1/24/8", "not an IPv4 address or CIDR range"],
    ["192.0.2.256", "not an IPv4 address or CIDR range"],
    ["2001:db8::1", "not an IPv4 address or CIDR range"],
    ["example.com", "not an IPv4 address or CIDR range"],
  ];
  for (const [value, expected] of cases) {
    it(`${expected === undefined ? "accepts" : "rejects"} ${value}`, () => {
      assert.equal(ip4Problem(value), expected);
    });
  }
});

describe("ip6Problem", () => {
  const cases: [string, string | undefined][] = [
    ["2001:db8::1", undefined],
    ["2001:db8::/32", undefined],
    ["::/0", undefined],
    ["2001:db8::/129", "prefix length must be 0–128"],
    ["2001:DB8::/32", 'must be lower case; use "2001:db8::/32"'],
    ["fe80::1%eth0", "not an IPv6 address or CIDR range"],
    ["192.0.2.1", "not an IPv6 address or CIDR range"],
    ["2001:db8:::1", "not an IPv6 address or CIDR range"],
  ];
  for (const [value, expected] of cases) {
    it(`${expected === undefined ? "accepts" : "rejects"} ${value}`, () => {
      assert.equal(ip6Problem(value), expected);
    });
  }
});
