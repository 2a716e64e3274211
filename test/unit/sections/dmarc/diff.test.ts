/**
 * What each DMARC tag change means (cli/diff/dmarc.ts, issue #12): exact sentences and the weakening
 * flag, for every tag, in both directions and where an absent tag falls back to another.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseTagList } from "../../../../components/records/tagList";
import { dmarcTagMeaning } from "../../../../components/sections/dmarc/tagMeanings";

const D = "example.com";

interface Row {
  readonly tag: string;
  readonly before: string;
  readonly after: string;
  readonly text: string | undefined;
  readonly weakens?: boolean;
}

const SUSPICIOUS = "treated as suspicious (spam folder or quarantine)";
const AS_USUAL = "delivered as usual (no enforcement, reports only)";

const ROWS: readonly Row[] = [
  {
    tag: "p",
    before: "v=DMARC1; p=quarantine; sp=none",
    after: "v=DMARC1; p=none; sp=none",
    text: `mail from ${D} that fails DMARC is now ${AS_USUAL}, not ${SUSPICIOUS}`,
    weakens: true,
  },
  {
    tag: "p",
    before: "v=DMARC1; p=quarantine",
    after: "v=DMARC1; p=reject",
    text: `mail from ${D} and its subdomains (there is no sp) that fails DMARC is now rejected, not ${SUSPICIOUS}`,
    weakens: false,
  },
  {
    tag: "sp",
    before: "v=DMARC1; p=reject",
    after: "v=DMARC1; p=reject; sp=none",
    text: `mail from subdomains of ${D} that fails DMARC is now ${AS_USUAL}, not rejected`,
    weakens: true,
  },
  {
    tag: "sp",
    before: "v=DMARC1; p=reject; sp=reject",
    after: "v=DMARC1; p=reject",
    text: `no change in effect: mail from subdomains of ${D} stays at reject (an absent sp means p)`,
    weakens: false,
  },
  {
    // Without np, non-existent subdomains follow sp.
    tag: "np",
    before: "v=DMARC1; p=reject; sp=quarantine; np=reject",
    after: "v=DMARC1; p=reject; sp=quarantine",
    text: `mail from non-existent subdomains of ${D} that fails DMARC is now ${SUSPICIOUS}, not rejected`,
    weakens: true,
  },
  {
    tag: "np",
    before: "v=DMARC1; p=none",
    after: "v=DMARC1; p=none; np=none",
    text: `no change in effect: mail from non-existent subdomains of ${D} stays at none (an absent np means sp, or else p)`,
    weakens: false,
  },
  {
    tag: "pct",
    before: "v=DMARC1; p=reject; pct=20",
    after: "v=DMARC1; p=reject",
    text: "the policy now applies to 100% of the mail that fails DMARC (was 20%); the rest gets the next weaker policy (RFC 7489 §6.6.4), and receivers following RFC 9989, which removed pct, ignore it",
    weakens: false,
  },
  {
    tag: "pct",
    before: "v=DMARC1; p=reject",
    after: "v=DMARC1; p=reject; pct=10",
    text: "the policy now applies to 10% of the mail that fails DMARC (was 100%); the rest gets the next weaker policy (RFC 7489 §6.6.4), and receivers following RFC 9989, which removed pct, ignore it",
    weakens: true,
  },
  {
    tag: "t",
    before: "v=DMARC1; p=reject",
    after: "v=DMARC1; p=reject; t=y",
    text: "testing mode on: receivers apply one level less than the policy (reject as quarantine, quarantine as none; RFC 9989)",
    weakens: true,
  },
  {
    tag: "t",
    before: "v=DMARC1; p=reject; t=y",
    after: "v=DMARC1; p=reject",
    text: "testing mode off: receivers apply the policy as published (RFC 9989)",
    weakens: false,
  },
  {
    tag: "t",
    before: "v=DMARC1; p=reject; t=n",
    after: "v=DMARC1; p=reject",
    text: "no change in effect: testing mode stays off",
    weakens: false,
  },
  {
    tag: "adkim",
    before: "v=DMARC1; p=reject; adkim=s",
    after: "v=DMARC1; p=reject",
    text: `relaxed DKIM alignment: a DKIM signature's d= domain now aligns when it shares ${D}'s organizational domain, not only when it is exactly ${D}`,
    weakens: true,
  },
  {
    tag: "aspf",
    before: "v=DMARC1; p=reject; aspf=r",
    after: "v=DMARC1; p=reject; aspf=s",
    text: `strict SPF alignment: the envelope sender (MAIL FROM) domain must be exactly ${D}; mail where it is a subdomain or parent now fails this check`,
    weakens: false,
  },
  {
    tag: "rua",
    before: "v=DMARC1; p=reject; rua=mailto:a@example.com",
    after: "v=DMARC1; p=reject; rua=mailto:b@example.com",
    text: "aggregate reports no longer go to mailto:a@example.com; aggregate reports now also go to mailto:b@example.com",
    weakens: true,
  },
  {
    tag: "rua",
    before: "v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@example.com",
    after: "v=DMARC1; p=reject; rua=mailto:b@example.com, mailto:a@example.com",
    text: "the same destinations for aggregate reports, in another order or form",
    weakens: false,
  },
  {
    tag: "ruf",
    before: "v=DMARC1; p=reject",
    after: "v=DMARC1; p=reject; ruf=mailto:f@example.com",
    text: "failure reports now also go to mailto:f@example.com",
    weakens: false,
  },
  {
    tag: "rua",
    before: "v=DMARC1; p=reject; rua=mailto:a@example.com",
    after: "v=DMARC1; p=reject",
    text: "no aggregate reports any more: failures and forgeries of the domain go unseen",
    weakens: true,
  },
  {
    tag: "fo",
    before: "v=DMARC1; p=reject",
    after: "v=DMARC1; p=reject; fo=1",
    text: "failure reports are now asked for when either SPF or DKIM fails to produce an aligned pass (was: when SPF and DKIM both fail to produce an aligned pass)",
    weakens: false,
  },
  // Tags sender-auth does not write have no explanation; the diff shows the bare change.
  { tag: "ri", before: "v=DMARC1; p=reject; ri=86400", after: "v=DMARC1; p=reject; ri=3600", text: undefined },
];

describe("dmarcTagMeaning", () => {
  for (const row of ROWS) {
    it(`${row.tag}: ${row.before} → ${row.after}`, () => {
      const meaning = dmarcTagMeaning(row.tag, parseTagList(row.before), parseTagList(row.after), D);
      if (row.text === undefined) assert.equal(meaning, undefined);
      else assert.deepEqual(meaning, { text: row.text, weakens: row.weakens });
    });
  }
});
