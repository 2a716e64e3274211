import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Aggregator, emptySummary, type DomainSummary } from "../../../cli/reports/aggregate";
import { ESPS, recogniseEsp } from "../../../cli/reports/esp";
import { joinStack, recommendationFor } from "../../../cli/reports/join";
import { describePolicy, nextPolicy, type PolicyState } from "../../../cli/reports/policy";
import { percent, THRESHOLDS } from "../../../cli/reports/recommend";
import type { StackView } from "../../../cli/reports/stackView";
import { parsed, type RecordSpec } from "../../support/reports";

function fixtureSummary(): DomainSummary {
  const aggregator = new Aggregator(1000);
  for (const name of ["dmarcbis.xml", "google.xml", "microsoft.xml", "yahoo.xml"]) aggregator.add(parsed(name));
  return aggregator.summaries()[0]!;
}

function view(overrides: Partial<StackView> = {}, dmarc: Partial<NonNullable<StackView["dmarc"]>> = {}): StackView {
  return {
    stack: "example-com",
    domain: "example.com",
    dmarc: {
      policy: "none",
      subdomainPolicy: undefined,
      testing: false,
      percent: undefined,
      alignmentSPF: undefined,
      alignmentDKIM: undefined,
      rua: ["mailto:dmarc@example.com"],
      ...dmarc,
    },
    spf: { include: [], ip4: ["192.0.2.10"], ip6: ["2001:db8::/32"] },
    selectors: [
      { name: "s202611a", status: "active", cname: undefined },
      { name: "s202612b", status: "active", cname: undefined },
    ],
    parked: false,
    ...overrides,
  };
}

/** `days` daily reports of one receiver, each with the same records. */
function daily(days: number, records: readonly RecordSpec[]): DomainSummary {
  const aggregator = new Aggregator(1000);
  for (let day = 0; day < days; day++) {
    const begin = 1790812800 + day * 86400;
    aggregator.add(parsed({ reportId: `d${day}`, begin, records }));
  }
  return aggregator.summaries()[0]!;
}

const state = (
  p: PolicyState["p"],
  sp: PolicyState["sp"] = null,
  testing = false,
  pct: number | null = null,
): PolicyState => ({
  p,
  sp,
  testing,
  pct,
});

describe("join: the policy ladder", () => {
  const cases: [PolicyState, PolicyState | null][] = [
    [state("none"), state("quarantine")],
    [state("none", "none"), state("quarantine", "quarantine")],
    [state("none", "reject"), state("quarantine", "reject")],
    // t=y does nothing to p=none.
    [state("none", null, true), state("quarantine")],
    [state("quarantine", "quarantine", false, 10), state("quarantine", "quarantine")],
    [state("quarantine", null, false, 100), state("reject")],
    [state("quarantine", null, true), state("quarantine")],
    [state("quarantine", "quarantine"), state("reject", "reject")],
    [state("quarantine", "none"), state("reject", "none")],
    [state("reject", null, true), state("reject")],
    [state("reject", "none"), state("reject", "quarantine")],
    [state("reject", "quarantine"), state("reject", "reject")],
    [state("reject", "reject"), null],
    [state("reject"), null],
  ];
  for (const [from, to] of cases) {
    it(`${describePolicy(from)} → ${to === null ? "nothing stronger" : describePolicy(to)}`, () => {
      assert.deepEqual(nextPolicy(from), to);
    });
  }
});

describe("join: the fixtures against a p=none stack", () => {
  const join = joinStack(fixtureSummary(), view());

  it("would quarantine every failing message at p=quarantine (subdomains follow p), by source", () => {
    assert.deepEqual(join.policy, state("none"));
    assert.deepEqual(join.nextStep, {
      policy: state("quarantine"),
      change: "p=quarantine",
      quarantine: 63,
      reject: 0,
      overridden: 2,
      bySource: [
        { ip: "209.85.220.41", action: "quarantine", messages: 40 },
        { ip: "167.89.0.1", action: "quarantine", messages: 12 },
        { ip: "192.0.2.200", action: "quarantine", messages: 6 },
        { ip: "2001:db8::25", action: "quarantine", messages: 3 },
        { ip: "203.0.113.9", action: "quarantine", messages: 2 },
      ],
    });
  });

  it("classifies failing sources: known providers, yours by SPF range, list mail, unknown", () => {
    assert.deepEqual(
      join.failingSources.map((s) => [s.ip, s.messages, s.kind, s.esp]),
      [
        ["209.85.220.41", 40, "esp", "Google Workspace"],
        ["167.89.0.1", 12, "esp", "SendGrid"],
        ["192.0.2.200", 6, "unknown", null],
        ["2001:db8::25", 3, "yours", null],
        ["203.0.113.9", 2, "forwarded", null],
      ],
    );
    assert.deepEqual(join.failingSources[2]!.headerFrom, ["example.com", "news.example.com"]);
    assert.equal(
      join.failingSources[1]!.note,
      "SendGrid: authenticate the domain in SendGrid (CNAMEs for em####, s1._domainkey and s2._domainkey); an include in this domain's SPF record does not help (https://dmarc.wiki/sendgrid)",
    );
    assert.equal(
      join.failingSources[4]!.note,
      "the receiver reported mailing_list: forwarded or list mail, not fixable by the sender",
    );
  });

  it("offers include:_spf.google.com for Google Workspace mail whose own SPF failed; nothing for SendGrid", () => {
    assert.deepEqual(join.spfIncludes, [
      { include: "_spf.google.com", esp: "Google Workspace", sources: ["209.85.220.41"], messages: 40 },
    ]);
    const included = joinStack(fixtureSummary(), view({ spf: { include: ["_spf.google.com"], ip4: [], ip6: [] } }));
    assert.deepEqual(included.spfIncludes, []);
  });

  it("lists active selectors no report shows, and signing selectors the stack does not publish", () => {
    assert.deepEqual(join.selectors, { seenNotPublished: [], activeNotSeen: ["s202612b"] });
    const revoked = joinStack(
      fixtureSummary(),
      view({ selectors: [{ name: "s202611a", status: "revoked", cname: undefined }] }),
    );
    assert.deepEqual(revoked.selectors, {
      seenNotPublished: [{ selector: "s202611a", messages: 225, pass: 220, fail: 5, state: "revoked" }],
      activeNotSeen: [],
    });
    const none = joinStack(fixtureSummary(), view({ selectors: [] }));
    assert.deepEqual(none.selectors.seenNotPublished, [
      { selector: "s202611a", messages: 225, pass: 220, fail: 5, state: "unpublished" },
    ]);
  });

  it("recommends waiting: two days of data", () => {
    assert.deepEqual(join.recommendation, {
      verdict: "insufficient-data",
      step: "p=quarantine",
      summary:
        "78.2 % aligned (2 forwarded or list messages left out) over 2 days (283 messages, 4 reporting organisations); remaining failures from 5 sources: 209.85.220.41 (Google Workspace, 40 messages), 167.89.0.1 (SendGrid, 12 messages), 192.0.2.200 (unknown, 6 messages), and 2 more; not enough data yet for p=quarantine (needs 30 days and 100 messages of reports)",
      evidence: {
        days: 2,
        messages: 283,
        organisations: 4,
        alignedShare: 220 / 281,
        failingSources: 5,
        fixableMessages: 55,
      },
    });
  });
});

describe("join: the seed setup p=quarantine; pct=10; sp=quarantine; aspf=s", () => {
  const seed = view({}, { policy: "quarantine", subdomainPolicy: "quarantine", percent: 10, alignmentSPF: "strict" });

  it("next step is quarantine at full strength, p and sp", () => {
    const join = joinStack(fixtureSummary(), seed);
    assert.equal(join.nextStep!.change, "without pct=10");
    assert.deepEqual(join.nextStep!.policy, state("quarantine", "quarantine"));
    assert.equal(join.nextStep!.quarantine, 63);
  });

  it("a source authenticated under a subdomain that strict alignment refuses is yours", () => {
    const summary = daily(1, [
      {
        ip: "203.0.113.50",
        count: 9,
        spf: "fail",
        dkim: "fail",
        envelopeFrom: "bounce.example.com",
        spfResults: [{ domain: "bounce.example.com", scope: "mfrom", result: "pass" }],
      },
    ]);
    const join = joinStack(summary, seed);
    assert.deepEqual(join.failingSources, [
      {
        ip: "203.0.113.50",
        messages: 9,
        kind: "yours",
        esp: null,
        headerFrom: ["example.com"],
        note: "authenticated as SPF bounce.example.com, which the alignment mode does not accept (strict alignment needs the exact domain): relax aspf/adkim or use example.com itself",
      },
    ]);
  });

  it("a source signing with the stack's selector whose signature fails is yours", () => {
    const summary = daily(1, [
      {
        ip: "203.0.113.51",
        count: 4,
        spf: "fail",
        dkim: "fail",
        dkimResults: [{ domain: "example.com", selector: "s202611a", result: "fail" }],
      },
    ]);
    assert.equal(
      joinStack(summary, seed).failingSources[0]!.note,
      "signs with the stack's selector s202611a but the signature fails: check the key (sender-auth check) and that nothing rewrites the message after signing",
    );
  });

  it("subdomain mail follows sp", () => {
    const summary = daily(1, [
      { ip: "203.0.113.52", count: 5, spf: "fail", dkim: "fail", headerFrom: "news.example.com" },
    ]);
    const join = joinStack(summary, view({}, { policy: "quarantine", subdomainPolicy: "none" }));
    assert.deepEqual(join.nextStep, {
      policy: state("reject", "none"),
      change: "p=reject",
      quarantine: 0,
      reject: 0,
      overridden: 0,
      bySource: [],
    });
  });
});

describe("recommendation", () => {
  const good: RecordSpec = { ip: "192.0.2.10", count: 100 };

  it("ready after 30 days with every source aligned", () => {
    const rec = recommendationFor(daily(30, [good]), view());
    assert.equal(rec.verdict, "ready");
    assert.equal(
      rec.summary,
      "100.0 % aligned over 30 days (3000 messages, 1 reporting organisation); no failing sources; ready for p=quarantine",
    );
  });

  it("not ready with 29 days, nor with 99 messages", () => {
    assert.equal(recommendationFor(daily(29, [good]), view()).verdict, "insufficient-data");
    assert.equal(recommendationFor(daily(33, [{ ...good, count: 3 }]), view()).verdict, "insufficient-data");
    assert.equal(recommendationFor(daily(34, [{ ...good, count: 3 }]), view()).verdict, "ready");
  });

  it("fix-sources when a known provider's failing mail is over 0.1 % of the messages", () => {
    const sendgrid: RecordSpec = {
      ip: "167.89.0.1",
      count: 1,
      spf: "fail",
      dkim: "fail",
      dkimResults: [{ domain: "sendgrid.net", selector: "smtpapi", result: "pass" }],
    };
    // 30 of 3030 messages = 0.99 %.
    const rec = recommendationFor(daily(30, [good, sendgrid]), view());
    assert.equal(rec.verdict, "fix-sources");
    assert.equal(
      rec.summary,
      "99.0 % aligned over 30 days (3030 messages, 1 reporting organisation); remaining failures from 1 source: 167.89.0.1 (SendGrid, 30 messages); not yet ready for p=quarantine: fix the failing sources that are yours or a known provider's first",
    );
    // 30 of 300,030 (0.01 %) is under the bound: not a blocker.
    const rec2 = recommendationFor(daily(30, [{ ...good, count: 10000 }, sendgrid]), view());
    assert.deepEqual([rec2.verdict, rec2.evidence.fixableMessages, rec2.evidence.messages], ["ready", 30, 300030]);
  });

  it("review when unrecognised failures put the share under the threshold of the step", () => {
    const unknown: RecordSpec = { ip: "198.18.0.9", count: 3, spf: "fail", dkim: "fail" };
    // 90 of 3090 unaligned: 97.0 % < 98 %.
    const rec = recommendationFor(daily(30, [good, unknown]), view());
    assert.equal(rec.verdict, "review");
    assert.equal(
      rec.summary,
      "97.0 % aligned over 30 days (3090 messages, 1 reporting organisation); remaining failures from 1 source: 198.18.0.9 (unknown, 90 messages); not yet ready for p=quarantine: below 98.0 % aligned, and the failing sources are not recognised: if they are not yours (spoofing), p=quarantine is what stops them",
    );
    // 30 of 3030: 99.0 %, enough for quarantine (98 %), not for reject (99.5 %).
    const fewer = daily(30, [good, { ...unknown, count: 1 }]);
    assert.equal(recommendationFor(fewer, view()).verdict, "ready");
    assert.equal(recommendationFor(fewer, view({}, { policy: "quarantine" })).verdict, "review");
  });

  it("enforced at p=reject; no-policy without DMARC; no-reports with and without rua", () => {
    assert.deepEqual(
      [recommendationFor(daily(30, [good]), view({}, { policy: "reject" }))].map((r) => [r.verdict, r.step, r.summary]),
      [
        [
          "enforced",
          null,
          "100.0 % aligned over 30 days (3000 messages, 1 reporting organisation); no failing sources; already at the strongest policy",
        ],
      ],
    );
    const noDmarc = recommendationFor(daily(30, [good]), view({ dmarc: undefined }));
    assert.deepEqual(
      [noDmarc.verdict, noDmarc.summary],
      ["no-policy", "stack example-com publishes no DMARC record: add a dmarc section with rua to start"],
    );
    const empty = emptySummary("example.com");
    assert.equal(
      recommendationFor(empty, view()).summary,
      "no reports for example.com were read (rua: mailto:dmarc@example.com)",
    );
    assert.equal(
      recommendationFor(empty, view({}, { rua: [] })).summary,
      "no reports for example.com, and the stack asks for none: add dmarc.rua",
    );
  });

  it("rounds shares down", () => {
    assert.equal(percent(0.99999), "99.9 %");
    assert.equal(percent(1), "100.0 %");
    assert.equal(percent(0.987), "98.7 %");
  });

  it("documents its thresholds", () => {
    assert.deepEqual(THRESHOLDS, {
      minDays: 30,
      minMessages: 100,
      alignedShare: { quarantine: 0.98, reject: 0.995 },
      knownFailingShare: 0.001,
    });
  });
});

describe("ESP recognition", () => {
  for (const [dkim, mailFrom, expected] of [
    [["example-com.20230601.gappssmtp.com"], [], "Google Workspace"],
    [["contoso.onmicrosoft.com"], [], "Microsoft 365"],
    [[], ["us-east-1.amazonses.com"], "Amazon SES"],
    [["sendgrid.net"], [], "SendGrid"],
    [[], ["mail123.mcsv.net"], "Mailchimp"],
    [["pm.mtasv.net"], [], "Postmark"],
    [["notsendgrid.net"], ["example.com"], undefined],
  ] as [string[], string[], string | undefined][]) {
    it(`${[...dkim, ...mailFrom].join(", ")} → ${expected ?? "none"}`, () => {
      assert.equal(recogniseEsp(dkim, mailFrom)?.name, expected);
    });
  }

  it("every provider names its source", () => {
    for (const esp of ESPS) assert.match(esp.source, /^https:\/\//);
  });
});
