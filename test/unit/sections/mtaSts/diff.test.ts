/**
 * What a change of `sender-auth:mtaSts` means (components/sections/mtaSts/diff.ts): exact sentences,
 * what weakens and what is unsafe, for adding, removing and changing each field; and that `diff`
 * analysis (diffStack) shows them beside the record change.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffStack } from "../../../../cli/diff/analyze";
import { validateStack } from "../../../../components/config";
import { publishedRecord } from "../../../../components/model";
import { mtaStsDiff } from "../../../../components/sections/mtaSts/diff";
import type { DiffSide } from "../../../../components/sections/types";

const D = "example.com";
const URL = `https://mta-sts.${D}/.well-known/mta-sts.txt`;

function side(mtaSts: unknown, parked = false): DiffSide {
  const { config, records } = validateStack("test", {
    domain: D,
    dns: { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef" },
    ...(mtaSts === undefined ? {} : { mtaSts }),
    ...(parked ? { parked: true } : {}),
  });
  return { config, records: records.map(publishedRecord) };
}

const ENFORCE = { mode: "enforce", mx: ["mail.example.com"] };
const TESTING = { mode: "testing", mx: ["mail.example.com"] };
// Policy ids: `printf '<policy text>' | sha256sum`, first 32 hex digits.
const ID = {
  enforce: "a5963b31a082635c6ec668171482b14f",
  testing: "c0a762642c8ff96deabc4e74c1e5d657",
};
const SERVE_FIRST =
  `serve the new policy (stack output mtaStsPolicy) at ${URL} before \`pulumi up\` publishes its id: ` +
  "a sender that sees a new id fetches the policy once and keeps what it got (RFC 8461 §8.1)";
const STAGE_FIRST =
  "senders that cannot authenticate TLS to a listed MX host defer the mail instead of delivering it; run mode " +
  "testing first and read the TLS-RPT reports (RFC 8461 §5, RFC 8460)";
const ENFORCING =
  "senders deliver only over TLS they can authenticate, to MX hosts that match, and defer the mail otherwise";

interface Row {
  readonly name: string;
  readonly base: DiffSide | undefined;
  readonly head: DiffSide | undefined;
  readonly meanings: readonly string[];
  readonly weakening?: readonly string[];
  readonly unsafe?: readonly string[];
}

const ROWS: readonly Row[] = [
  { name: "neither side has MTA-STS", base: side(undefined), head: side(undefined), meanings: [] },
  { name: "unchanged", base: side(ENFORCE), head: side({ ...ENFORCE, maxAge: 604800 }), meanings: [] },
  {
    name: "added in testing",
    base: side(undefined),
    head: side(TESTING),
    meanings: [
      "MTA-STS added (mode testing, max_age 604800 s): senders deliver as before and only report TLS failures " +
        `(to the domain's TLS-RPT address, RFC 8460); ${SERVE_FIRST}`,
    ],
  },
  {
    name: "added in enforce: unsafe",
    base: side(undefined),
    head: side(ENFORCE),
    meanings: [`MTA-STS added (mode enforce, max_age 604800 s): ${ENFORCING}; ${SERVE_FIRST}`],
    unsafe: [`MTA-STS starts in mode enforce: ${STAGE_FIRST}`],
  },
  {
    name: "testing → enforce",
    base: side(TESTING),
    head: side(ENFORCE),
    meanings: [
      `MTA-STS mode: testing → enforce: ${ENFORCING}`,
      `MTA-STS policy id ${ID.testing} → ${ID.enforce}: ${SERVE_FIRST}`,
    ],
  },
  {
    name: "enforce → testing: weakens",
    base: side(ENFORCE),
    head: side(TESTING),
    meanings: [
      "MTA-STS mode: enforce → testing: senders deliver as before and only report TLS failures (to the domain's TLS-RPT address, RFC 8460)",
      `MTA-STS policy id ${ID.enforce} → ${ID.testing}: ${SERVE_FIRST}`,
    ],
    weakening: [
      "MTA-STS mode: enforce → testing: senders deliver as before and only report TLS failures (to the domain's TLS-RPT address, RFC 8460)",
    ],
  },
  {
    name: "none → enforce: unsafe",
    base: side({ mode: "none", mx: ["mail.example.com"] }),
    head: side(ENFORCE),
    meanings: [
      `MTA-STS mode: none → enforce: ${ENFORCING}`,
      `MTA-STS policy id 7f6024b3b59c544a2c283bce06dcf9cc → ${ID.enforce}: ${SERVE_FIRST}`,
    ],
    unsafe: [`MTA-STS mode moves from none straight to enforce: ${STAGE_FIRST}`],
  },
  {
    name: "an mx pattern replaced, max_age raised",
    base: side(ENFORCE),
    head: side({ mode: "enforce", mx: ["*.mx.example.net"], maxAge: 1209600 }),
    meanings: [
      "MTA-STS mx mail.example.com removed: senders no longer deliver to MX hosts only it matched",
      "MTA-STS mx *.mx.example.net added: MX hosts it matches are valid delivery targets",
      "MTA-STS max_age: 604800 → 1209600 s: senders keep a fetched policy for up to 1209600 s",
      `MTA-STS policy id ${ID.enforce} → 772654b21ed11adc4154edbaeb6f5274: ${SERVE_FIRST}`,
    ],
  },
  {
    name: "an mx pattern removed in testing",
    base: side({ mode: "testing", mx: ["mail.example.com", "mx2.example.com"] }),
    head: side(TESTING),
    meanings: [
      "MTA-STS mx mx2.example.com removed: MX hosts only it matched no longer count as valid",
      `MTA-STS policy id 78f2f700083a73b2d6691b09329f4699 → ${ID.testing}: ${SERVE_FIRST}`,
    ],
  },
  {
    name: "removed while enforcing: weakens, unsafe",
    base: side(ENFORCE),
    head: side(undefined),
    meanings: [
      `MTA-STS removed: _mta-sts.${D} goes, and senders keep the policy they cached (mode enforce) for up to its max_age, 604800 s, without learning of later changes`,
    ],
    weakening: [
      `MTA-STS removed: _mta-sts.${D} goes, and senders keep the policy they cached (mode enforce) for up to its max_age, 604800 s, without learning of later changes`,
    ],
    unsafe: [
      "MTA-STS removed while its mode is enforce: withdraw it first with mode none, keep that served for max_age, then remove it (RFC 8461 §8.3)",
    ],
  },
  {
    name: "removed after mode none: the withdrawal's last step",
    base: side({ mode: "none" }),
    head: side(undefined),
    meanings: [
      `MTA-STS removed: _mta-sts.${D} goes, and senders keep the policy they cached (mode none) for up to its max_age, 604800 s, without learning of later changes`,
    ],
  },
  {
    name: "the domain parked: removed",
    base: side(TESTING),
    head: side(undefined, true),
    meanings: [
      `MTA-STS removed: _mta-sts.${D} goes, and senders keep the policy they cached (mode testing) for up to its max_age, 604800 s, without learning of later changes`,
    ],
    weakening: [
      `MTA-STS removed: _mta-sts.${D} goes, and senders keep the policy they cached (mode testing) for up to its max_age, 604800 s, without learning of later changes`,
    ],
    unsafe: [
      "MTA-STS removed while its mode is testing: withdraw it first with mode none, keep that served for max_age, then remove it (RFC 8461 §8.3)",
    ],
  },
  { name: "a new stack without MTA-STS", base: undefined, head: side(undefined), meanings: [] },
];

describe("mtaStsDiff", () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const meaning = mtaStsDiff.meaning({ base: row.base, head: row.head, domain: D });
      assert.deepEqual(meaning.meanings, row.meanings);
      assert.deepEqual(meaning.weakening ?? [], row.weakening ?? []);
      assert.deepEqual(meaning.unsafe ?? [], row.unsafe ?? []);
    });
  }
});

describe("diff analysis shows the MTA-STS meaning beside the record change", () => {
  it("testing → enforce: the TXT record's id changes, with the meanings", () => {
    const stackSide = (s: DiffSide) => ({ stack: "test", config: s.config, records: s.records, errors: [] });
    const diff = diffStack("test", stackSide(side(TESTING)), stackSide(side(ENFORCE)));
    assert.deepEqual(diff.records, [
      {
        change: "changed",
        name: `_mta-sts.${D}`,
        type: "TXT",
        before: `v=STSv1; id=${ID.testing}`,
        after: `v=STSv1; id=${ID.enforce}`,
      },
    ]);
    assert.deepEqual(diff.meanings, [
      `MTA-STS mode: testing → enforce: ${ENFORCING}`,
      `MTA-STS policy id ${ID.testing} → ${ID.enforce}: ${SERVE_FIRST}`,
    ]);
    assert.deepEqual(diff.unsafe, []);
  });
});
