/**
 * The semantic diff of one stack (cli/diff/analyze.ts), in process: which records change, what each
 * change means for mail, which meanings weaken the domain, and the gates that make a change unsafe.
 * The sides are built from configs with the same pure validation `diff` uses (cli/diff/sides.ts);
 * no git, no spawned binary.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStack } from "../../../components/config";
import { publishedRecord, type PublishedRecord } from "../../../components/model";
import { diffStack, recordChanges, type StackDiff } from "../../../cli/diff/analyze";
import type { StackSide } from "../../../cli/diff/sides";
import { fixtureKey } from "../../support/fixtures";

const NOW = new Date("2026-12-01T00:00:00Z");
const ED = fixtureKey("ed25519").publicKey;
const RSA = fixtureKey("rsa-2048").publicKey;

const txt = (name: string, value: string, purpose: PublishedRecord["purpose"] = "spf"): PublishedRecord => ({
  name,
  type: "TXT",
  ttl: 3600,
  value,
  purpose,
});

describe("recordChanges: records added, removed and changed, by owner name and type", () => {
  const spf = txt("example.com", "v=spf1 -all");
  const dmarc = txt("_dmarc.example.com", "v=DMARC1; p=none", "dmarc");
  const cases: readonly [string, PublishedRecord[], PublishedRecord[], ReturnType<typeof recordChanges>][] = [
    ["nothing differs", [spf, dmarc], [dmarc, spf], []],
    [
      "one value at a name becomes another: changed",
      [spf],
      [txt("example.com", "v=spf1 mx -all")],
      [{ change: "changed", name: "example.com", type: "TXT", before: "v=spf1 -all", after: "v=spf1 mx -all" }],
    ],
    [
      "a new name: added; a name gone: removed; sorted by name",
      [spf],
      [dmarc],
      [
        { change: "added", name: "_dmarc.example.com", type: "TXT", after: "v=DMARC1; p=none" },
        { change: "removed", name: "example.com", type: "TXT", before: "v=spf1 -all" },
      ],
    ],
    [
      "several values at one name are compared as a set",
      [spf, txt("example.com", "token=a")],
      [txt("example.com", "token=a"), txt("example.com", "token=b"), txt("example.com", "v=spf1 mx -all")],
      [
        { change: "removed", name: "example.com", type: "TXT", before: "v=spf1 -all" },
        { change: "added", name: "example.com", type: "TXT", after: "token=b" },
        { change: "added", name: "example.com", type: "TXT", after: "v=spf1 mx -all" },
      ],
    ],
    [
      "the same name with another type is another record",
      [spf],
      [spf, { ...spf, type: "MX", value: "0 ." }],
      [{ change: "added", name: "example.com", type: "MX", after: "0 ." }],
    ],
  ];
  for (const [title, base, head, expected] of cases) {
    it(title, () => {
      assert.deepEqual(recordChanges(base, head), expected);
    });
  }
});

const S1 = { algorithm: "rsa", publicKey: RSA, createdAt: "2026-11-02" };
const S2 = { algorithm: "ed25519", publicKey: ED, createdAt: "2026-11-20" };

/** A config of shop (example.com) with `changes` applied to its sections. */
function config(changes: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    domain: "example.com",
    dns: { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353", ttl: 3600 },
    spf: { ip4: ["192.0.2.10"], all: "fail" },
    dkim: { selectors: { s1: { ...S1, status: "active" }, s2: { ...S2, status: "published" } } },
    dmarc: { policy: "quarantine", rua: ["mailto:dmarc@example.com"] },
    ...changes,
  };
}

/** The diff from the config above to one with `changes`. */
const changedBy = (changes: Readonly<Record<string, unknown>>): StackDiff =>
  diffStack("shop", side(config()), side(config(changes)));

/** A side as cli/diff/sides.ts builds it from a valid config. */
function side(raw: Record<string, unknown>): StackSide {
  const validated = validateStack("shop", raw, NOW);
  return { stack: "shop", config: validated.config, records: validated.records.map(publishedRecord), errors: [] };
}

/** The parts of a StackDiff a reviewer reads (records are covered above). */
function verdict(diff: StackDiff): Omit<StackDiff, "records" | "stack" | "domain"> {
  const { status, meanings, weakening, unsafe, errors } = diff;
  return { status, meanings, weakening, unsafe, errors };
}

const SAFE = { weakening: [], unsafe: [], errors: [] };

describe("diffStack: what a change means and whether it is safe", () => {
  it("an unchanged stack", () => {
    const diff = diffStack("shop", side(config()), side(config()));
    assert.deepEqual(diff.records, []);
    assert.deepEqual(verdict(diff), { status: "unchanged", meanings: [], ...SAFE });
  });

  it("SPF: a host removed fails now, a softer all weakens", () => {
    const diff = changedBy({ spf: { ip4: ["198.51.100.7"], all: "softfail" } });
    assert.deepEqual(diff.records, [
      {
        change: "changed",
        name: "example.com",
        type: "TXT",
        before: "v=spf1 ip4:192.0.2.10 -all",
        after: "v=spf1 ip4:198.51.100.7 ~all",
      },
    ]);
    assert.deepEqual(verdict(diff), {
      status: "changed",
      meanings: [
        "ip4:192.0.2.10 removed: mail from that host now softfails SPF",
        "ip4:198.51.100.7 added: mail from that host now passes SPF",
        "SPF all: fail (-all) → softfail (~all)",
      ],
      weakening: ["SPF all: fail (-all) → softfail (~all)"],
      unsafe: [],
      errors: [],
    });
  });

  it("DKIM: an active selector dropped without being revoked is unsafe, and the domain stops signing", () => {
    const diff = changedBy({ dkim: { selectors: { s2: { ...S2, status: "published" } } } });
    assert.deepEqual(verdict(diff), {
      status: "changed",
      meanings: ["DKIM s1 removed (was active)"],
      weakening: [],
      unsafe: [
        "DKIM s1 was active and disappears without having been revoked first: mail signed with it fails DKIM at once; revoke it first (sender-auth rotate)",
        "the domain signed mail (an active selector) and no longer does: its mail goes out unsigned and fails DMARC alignment through DKIM",
      ],
      errors: [],
    });
  });

  it("DKIM: the rotation's activate step (published → active, active → retired) is safe", () => {
    const diff = changedBy({
      dkim: {
        selectors: { s1: { ...S1, status: "retired", retiredAt: "2026-12-01" }, s2: { ...S2, status: "active" } },
      },
    });
    assert.deepEqual(diff.records, []);
    assert.deepEqual(verdict(diff), {
      status: "changed",
      meanings: ["DKIM s1: active → retired", "DKIM s2: published → active"],
      ...SAFE,
    });
  });

  it("DMARC: none straight to reject is unsafe; the TTL change is explained", () => {
    const none = config({ dmarc: { policy: "none", rua: ["mailto:dmarc@example.com"] } });
    const reject = config({
      dns: { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353", ttl: 300 },
      dmarc: { policy: "reject", rua: ["mailto:dmarc@example.com"] },
    });
    const diff = diffStack("shop", side(none), side(reject));
    assert.deepEqual(verdict(diff), {
      status: "changed",
      meanings: [
        "TTL: 3600 → 300 on every record; caches may keep old answers for up to 3600 s",
        "DMARC p: none → reject: mail from example.com and its subdomains (there is no sp) that fails DMARC is now rejected, not delivered as usual (no enforcement, reports only)",
      ],
      weakening: [],
      unsafe: [
        "DMARC p moves from none straight to reject: mail that fails authentication is rejected without a quarantine stage; go through quarantine (or testing: true) first",
      ],
      errors: [],
    });
  });

  it("a new stack: added, and an active selector in it is gated (its key is not served yet)", () => {
    const diff = diffStack("shop", undefined, side(config()));
    assert.equal(diff.records.length, 4);
    assert.deepEqual(verdict(diff), {
      status: "added",
      meanings: [
        "new stack shop (example.com)",
        "SPF record added: unlisted hosts fail SPF",
        "DKIM s1 added (rsa 2048, active)",
        "DKIM s2 added (ed25519 256, published)",
        "DMARC record added: p=quarantine",
      ],
      weakening: [],
      unsafe: [
        "DKIM s1 is added as active: its key is not published yet, so mail signed with it fails DKIM until DNS serves it; add it as published and activate it in a later change (sender-auth rotate)",
      ],
      errors: [],
    });
  });

  it("a removed stack deletes every record: over the 30% gate", () => {
    const diff = diffStack("shop", side(config()), undefined);
    assert.deepEqual(
      diff.records.map((r) => `${r.change} ${r.name}`),
      [
        "removed _dmarc.example.com",
        "removed example.com",
        "removed s1._domainkey.example.com",
        "removed s2._domainkey.example.com",
      ],
    );
    assert.equal(diff.status, "removed");
    assert.deepEqual(diff.unsafe.at(-1), "deletes 4 of 4 records (100%, over 30%)");
    assert.deepEqual(diff.weakening, [
      "SPF record removed: receivers can no longer tell authorised hosts from forgers",
      "DMARC record removed: receivers apply no policy and send no reports",
    ]);
  });

  it("an invalid side is not compared: its problems are the diff's errors, the base's marked", () => {
    const invalid: StackSide = {
      stack: "shop",
      config: undefined,
      records: [],
      errors: ["stack shop: sender-auth:domain: is required"],
    };
    assert.deepEqual(verdict(diffStack("shop", invalid, side(config()))), {
      status: "invalid",
      meanings: [],
      weakening: [],
      unsafe: [],
      errors: ["base: stack shop: sender-auth:domain: is required"],
    });
    assert.deepEqual(diffStack("shop", side(config()), invalid).errors, [
      "stack shop: sender-auth:domain: is required",
    ]);
  });
});
