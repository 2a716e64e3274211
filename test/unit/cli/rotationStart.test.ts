/**
 * Whether rotate's step 1 starts a new rotation (rotationStart, cli/rotationPlan.ts), in process:
 * right after a finished rotation only when the active key is due (older than maxKeyAgeDays) or with
 * --force (issue 12). The spawned rotate tests (rotate.test.ts) cover the output around it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rotationStart, type RotationStart } from "../../../cli/rotationPlan";
import type { SelectorState, StackKeys } from "../../../cli/stackKeys";

const NOW = new Date("2026-12-01T12:00:00Z");

function active(createdAt: string | undefined): SelectorState {
  return {
    name: "s202611b",
    status: "active",
    algorithm: "rsa",
    publicKey: "key",
    key: { algorithm: "rsa", bits: 2048, fingerprint: "00" },
    cname: undefined,
    hasPrivateKey: true,
    createdAt,
    retiredAt: undefined,
  };
}

function keys(removed: Record<string, string>): StackKeys {
  return {
    stack: "shop",
    domain: "example.com",
    hasDkimSection: true,
    selectors: [],
    removedSelectors: new Map(Object.entries(removed)),
  };
}

const refusedText = (removedOn: string, removed: string, due: string): string =>
  `a rotation of stack shop just finished on ${removedOn}: ${removed} was removed and s202611b is the active key; ${due}. Not starting a new rotation: npx sender-auth rotate shop --force starts one now anyway (step 1: a new selector, status published, beside s202611b)`;

describe("rotationStart", () => {
  const cases: [string, Record<string, string>, string | undefined, number, boolean, RotationStart][] = [
    [
      "nothing removed: a key's first rotation starts when asked",
      {},
      "2026-11-20",
      180,
      false,
      { start: true, why: "s202611b is active and nothing newer exists" },
    ],
    [
      "a selector removed before the active key was made: no rotation of it finished",
      { s202610a: "2026-11-19" },
      "2026-11-20",
      180,
      false,
      { start: true, why: "s202611b is active and nothing newer exists" },
    ],
    [
      "removed the day the active key was made: refused",
      { s202610a: "2026-11-20" },
      "2026-11-20",
      180,
      false,
      {
        start: false,
        reason: refusedText(
          "2026-11-20",
          "s202610a",
          "it is 11 days old and due for rotation from 2027-05-20 (over sender-auth:dkim.maxKeyAgeDays (180))",
        ),
      },
    ],
    [
      "the latest of several removals is named",
      { s202609a: "2026-11-25", s202610a: "2026-11-30", s202610b: "2026-11-30" },
      "2026-11-20",
      180,
      false,
      {
        start: false,
        reason: refusedText(
          "2026-11-30",
          "s202610b",
          "it is 11 days old and due for rotation from 2027-05-20 (over sender-auth:dkim.maxKeyAgeDays (180))",
        ),
      },
    ],
    [
      "--force starts it, saying so",
      { s202610a: "2026-11-30" },
      "2026-11-20",
      180,
      true,
      {
        start: true,
        why: "a rotation finished on 2026-11-30 (s202610a removed); --force starts a new one although s202611b is not due: it is 11 days old and due for rotation from 2027-05-20 (over sender-auth:dkim.maxKeyAgeDays (180))",
      },
    ],
    [
      "exactly maxKeyAgeDays old is not yet due",
      { s202610a: "2026-11-30" },
      "2026-11-20",
      11,
      false,
      {
        start: false,
        reason: refusedText(
          "2026-11-30",
          "s202610a",
          "it is 11 days old and due for rotation from 2026-12-02 (over sender-auth:dkim.maxKeyAgeDays (11))",
        ),
      },
    ],
    [
      "one day over maxKeyAgeDays is due: it starts, saying why",
      { s202610a: "2026-11-30" },
      "2026-11-20",
      10,
      false,
      { start: true, why: "s202611b is 11 days old, over sender-auth:dkim.maxKeyAgeDays (10): a new rotation starts" },
    ],
    [
      "a key of unknown age after a removal is never due: refused",
      { s202610a: "2026-11-30" },
      undefined,
      180,
      false,
      {
        start: false,
        reason: refusedText(
          "2026-11-30",
          "s202610a",
          "its age is unknown (no createdAt), so it is never due by sender-auth:dkim.maxKeyAgeDays (180)",
        ),
      },
    ],
  ];
  for (const [name, removed, createdAt, maxAge, force, expected] of cases) {
    it(name, () => {
      assert.deepEqual(rotationStart(keys(removed), active(createdAt), maxAge, force, NOW), expected);
    });
  }
});
