/**
 * Which one step `rotate` takes (planRotation, cli/rotationPlan.ts), in process: the selectors of
 * the rotated algorithm decide it, oldest first, and every refusal says why. The spawned rotate tests
 * (rotate.test.ts) cover the writes and the output; these cover the decision, each branch, and the
 * DNS check before activation (servedKeyProblem) through a DnsClient that answers from a table.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DnsFailure, type DnsClient, type DnsResponse } from "../../../cli/check/dnsClient";
import { servedKeyProblem } from "../../../cli/commands/rotate";
import { planRotation, type RotationStep } from "../../../cli/rotationPlan";
import type { SelectorState, StackKeys } from "../../../cli/stackKeys";
import type { DkimAlgorithm, DkimStatus } from "../../../components/model";

const NOW = new Date("2026-12-01T12:00:00Z");

/** A selector with a key of `bits` (RSA unless the algorithm says otherwise). */
function selector(
  name: string,
  status: DkimStatus,
  fields: { algorithm?: DkimAlgorithm; bits?: number; createdAt?: string; retiredAt?: string; cname?: string } = {},
): SelectorState {
  const algorithm = fields.algorithm ?? "rsa";
  const bits = fields.bits ?? (algorithm === "rsa" ? 2048 : 256);
  const hasKey = fields.cname === undefined;
  return {
    name,
    status,
    algorithm,
    publicKey: hasKey ? `key-of-${name}` : undefined,
    key: hasKey ? { algorithm, bits, fingerprint: "00" } : undefined,
    cname: fields.cname,
    hasPrivateKey: hasKey,
    createdAt: fields.createdAt,
    retiredAt: fields.retiredAt,
  };
}

function keys(...selectors: SelectorState[]): StackKeys {
  return { stack: "shop", domain: "example.com", hasDkimSection: true, selectors, removedSelectors: new Map() };
}

/** The step in short: its kind and the selectors it names (or the refusal's reason). */
function summary(step: RotationStep): string {
  switch (step.kind) {
    case "generate":
      return `generate ${step.keyType} beside ${step.current.name}`;
    case "activate":
      return `activate ${step.next.name}, retire ${step.current?.name ?? "nothing"}`;
    case "revoke":
      return `revoke ${step.retired.name}`;
    case "remove":
      return `remove ${step.revoked.name}`;
    case "refuse":
      return `refuse: ${step.reason}`;
  }
}

describe("planRotation", () => {
  const cases: readonly [string, StackKeys, string, DkimAlgorithm?][] = [
    [
      "step 1: one active key and nothing newer → a new key of the same size",
      keys(selector("s1", "active", { bits: 3072 })),
      "generate rsa-3072 beside s1",
    ],
    [
      "step 1: a 1024-bit key is replaced by a 2048-bit one (RFC 8301 §3.2)",
      keys(selector("s1", "active", { bits: 1024 })),
      "generate rsa-2048 beside s1",
    ],
    [
      "step 1: a key size that is no key type → rsa-2048",
      keys(selector("s1", "active", { bits: 2050 })),
      "generate rsa-2048 beside s1",
    ],
    [
      "step 1 of the Ed25519 line",
      keys(selector("s1", "active"), selector("e1", "active", { algorithm: "ed25519" })),
      "generate ed25519 beside e1",
      "ed25519",
    ],
    [
      "step 2: the newest published key becomes active, the active one retired",
      keys(
        selector("s1", "active", { createdAt: "2026-10-01" }),
        selector("s2", "published", { createdAt: "2026-11-01" }),
        selector("s3", "published", { createdAt: "2026-11-15" }),
      ),
      "activate s3, retire s1",
    ],
    [
      "step 2 without an active key (a domain's first key)",
      keys(selector("s1", "published", { createdAt: "2026-11-01" })),
      "activate s1, retire nothing",
    ],
    [
      "without dates, selector names give the age",
      keys(selector("s202611a", "active"), selector("s202611b", "published")),
      "activate s202611b, retire s202611a",
    ],
    [
      "step 3: the oldest retired key past the overlap is revoked",
      keys(
        selector("s1", "retired", { retiredAt: "2026-11-20" }),
        selector("s0", "retired", { retiredAt: "2026-11-01" }),
        selector("s2", "active"),
      ),
      "revoke s0",
    ],
    [
      "step 3 exactly at the end of the overlap",
      keys(selector("s1", "retired", { retiredAt: "2026-11-24" }), selector("s2", "active")),
      "revoke s1",
    ],
    [
      "step 4: a revoked key is removed before anything else happens",
      keys(selector("s0", "revoked"), selector("s1", "retired", { retiredAt: "2026-11-01" }), selector("s2", "active")),
      "remove s0",
    ],
    [
      "a retired key still in its overlap is not revoked yet",
      keys(selector("s1", "retired", { retiredAt: "2026-11-25" }), selector("s2", "active")),
      "refuse: s1 was retired on 2026-11-25; mail signed with it may still be in flight, so it can be revoked from 2026-12-02 (--overlap-days 7)",
    ],
    [
      "a retired key without retiredAt",
      keys(selector("s1", "retired"), selector("s2", "active")),
      "refuse: s1 is retired but has no retiredAt date, so its overlap cannot be checked; set it with\n  pulumi config set --path 'sender-auth:dkim.selectors.s1.retiredAt' <YYYY-MM-DD> --stack shop",
    ],
    [
      "a retired key whose retiredAt is no date",
      keys(selector("s1", "retired", { retiredAt: "last week" }), selector("s2", "active")),
      "refuse: s1 is retired but has no retiredAt date, so its overlap cannot be checked; set it with\n  pulumi config set --path 'sender-auth:dkim.selectors.s1.retiredAt' <YYYY-MM-DD> --stack shop",
    ],
    [
      "two active keys of the line",
      keys(selector("s1", "active"), selector("s2", "active")),
      "refuse: s1 and s2 are all active rsa selectors; retire all but one by hand before rotating",
    ],
    [
      "a published key older than the active one would roll back",
      keys(
        selector("s1", "published", { createdAt: "2026-10-01" }),
        selector("s2", "active", { createdAt: "2026-11-01" }),
      ),
      "refuse: s1 is published but older than the active s2; activating it would roll back: revoke or remove it by hand",
    ],
    [
      "no active key of the line",
      keys(selector("e1", "active", { algorithm: "ed25519" })),
      "refuse: stack shop has no active rsa key to rotate: create one with npx sender-auth keygen shop",
    ],
    [
      "CNAME selectors (an email provider's keys) are never rotated",
      keys(selector("s1", "active", { cname: "s1.dkim.esp.example" })),
      "refuse: stack shop has no active rsa key to rotate: create one with npx sender-auth keygen shop",
    ],
  ];
  for (const [title, stackKeys, expected, algorithm] of cases) {
    it(title, () => {
      assert.equal(summary(planRotation(stackKeys, algorithm ?? "rsa", 7, NOW)), expected);
    });
  }

  it("the overlap is the caller's: 0 days revokes a key retired today", () => {
    const stackKeys = keys(selector("s1", "retired", { retiredAt: "2026-12-01" }), selector("s2", "active"));
    assert.equal(summary(planRotation(stackKeys, "rsa", 0, NOW)), "revoke s1");
    assert.equal(
      summary(planRotation(stackKeys, "rsa", 1, NOW)),
      "refuse: s1 was retired on 2026-12-01; mail signed with it may still be in flight, so it can be revoked from 2026-12-02 (--overlap-days 1)",
    );
  });
});

describe("servedKeyProblem (through the DnsClient seam)", () => {
  const SERVER = { host: "192.0.2.53", port: 53 };
  const NAME = "s2._domainkey.example.com";
  const next = selector("s2", "published");
  const txt = (...values: string[][]): DnsResponse => {
    const records = values.map((data) => ({ name: NAME, type: "TXT", ttl: 300, data }));
    return { rcode: "NOERROR", answers: records, records, octets: 100 };
  };
  /** A client that answers every question with `answer` (or fails with it), recording what was asked. */
  function client(answer: DnsResponse | DnsFailure, asked: string[] = []): DnsClient {
    return {
      query: (server, name, type, options) => {
        asked.push(
          `${server.host}:${server.port} ${name} ${type} ${options?.timeoutMs ?? "-"}ms×${options?.attempts ?? "-"}`,
        );
        return answer instanceof DnsFailure ? Promise.reject(answer) : Promise.resolve(answer);
      },
    };
  }

  it("asks the given server for the selector's TXT record, bounded (3 s, two tries); undefined when it serves the key", async () => {
    const asked: string[] = [];
    const served = txt(["v=DKIM1; k=rsa; ", "p=key-of-s2"]);
    assert.equal(await servedKeyProblem(client(served, asked), SERVER, "example.com", next), undefined);
    assert.deepEqual(asked, [`192.0.2.53:53 ${NAME} TXT 3000ms×2`]);
  });

  const cases: readonly [string, DnsResponse | DnsFailure, string][] = [
    ["NXDOMAIN", { rcode: "NXDOMAIN", answers: [], records: [], octets: 50 }, `${NAME}: no such name (NXDOMAIN)`],
    ["SERVFAIL", { rcode: "SERVFAIL", answers: [], records: [], octets: 50 }, `${NAME}: lookup failed (SERVFAIL)`],
    ["NODATA", txt(), `${NAME}: no TXT record`],
    [
      "no answer at all",
      new DnsFailure("TIMEOUT", "no answer from 192.0.2.53:53 within 3000 ms"),
      `${NAME}: lookup failed: no answer from 192.0.2.53:53 within 3000 ms`,
    ],
    [
      "two records",
      txt(["v=DKIM1; p=key-of-s2"], ["v=DKIM1; p=old"]),
      `${NAME}: 2 TXT records (a selector needs exactly one, RFC 6376 §3.6.2.2): "v=DKIM1; p=key-of-s2", "v=DKIM1; p=old"`,
    ],
    ["another key", txt(["v=DKIM1; p=old"]), `${NAME}: serves "v=DKIM1; p=old", not the configured rsa key`],
    ["the revoked placeholder", txt(["v=DKIM1; p="]), `${NAME}: serves "v=DKIM1; p=", not the configured rsa key`],
    [
      "the key under another algorithm",
      txt(["v=DKIM1; k=ed25519; p=key-of-s2"]),
      `${NAME}: serves "v=DKIM1; k=ed25519; p=key-of-s2", not the configured rsa key`,
    ],
  ];
  for (const [title, answer, expected] of cases) {
    it(`${title}: ${expected}`, async () => {
      assert.equal(await servedKeyProblem(client(answer), SERVER, "example.com", next), expected);
    });
  }

  it("a bug in the client is not a DNS problem: it is thrown, not reported as a lookup failure", async () => {
    const broken: DnsClient = { query: () => Promise.reject(new TypeError("bug")) };
    await assert.rejects(servedKeyProblem(broken, SERVER, "example.com", next), new TypeError("bug"));
  });
});
