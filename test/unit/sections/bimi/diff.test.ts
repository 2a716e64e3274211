/** What a BIMI change means in `diff`: the selector, logo and certificate, in exact sentences. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PublishedRecord } from "../../../../components/model";
import { bimiDiff } from "../../../../components/sections/bimi/diff";
import type { DiffSide } from "../../../../components/sections/types";

const D = "example.com";
const L1 = "https://example.com/logo.svg";
const L2 = "https://cdn.example.com/logo-2026.svg";
const A1 = "https://example.com/vmc.pem";

const side = (selector: string, value: string | undefined): DiffSide =>
  ({
    config: {},
    records:
      value === undefined
        ? []
        : [
            {
              name: `${selector}._bimi.${D}`,
              type: "TXT",
              ttl: 300,
              value,
              purpose: "bimi",
              selector,
            } satisfies PublishedRecord,
          ],
  }) as unknown as DiffSide;

describe("BIMI diff meanings", () => {
  const cases: [string, DiffSide, DiffSide, string[]][] = [
    ["neither side", side("default", undefined), side("default", undefined), []],
    [
      "added without a certificate",
      side("default", undefined),
      side("default", `v=BIMI1; l=${L1};`),
      [`BIMI record added: receivers may show the logo ${L1} beside mail from ${D}, without a certificate`],
    ],
    [
      "added with a certificate",
      side("default", undefined),
      side("default", `v=BIMI1; l=${L1}; a=${A1}`),
      [`BIMI record added: receivers may show the logo ${L1} beside mail from ${D}, certified by ${A1}`],
    ],
    [
      "removed",
      side("default", `v=BIMI1; l=${L1};`),
      side("default", undefined),
      [`BIMI record removed: receivers show no logo beside mail from ${D}`],
    ],
    ["unchanged", side("default", `v=BIMI1; l=${L1};`), side("default", `v=BIMI1; l=${L1};`), []],
    [
      "a new logo",
      side("default", `v=BIMI1; l=${L1}; a=${A1}`),
      side("default", `v=BIMI1; l=${L2}; a=${A1}`),
      [
        `BIMI l: ${L1} → ${L2}: receivers fetch and show the new logo; with a certificate (a=) it must be the logo the certificate holds, or they show none`,
      ],
    ],
    [
      "a certificate added, then removed",
      side("default", `v=BIMI1; l=${L1};`),
      side("default", `v=BIMI1; l=${L1}; a=${A1}`),
      [`BIMI a: (not set) → ${A1}: receivers verify the logo against this certificate (VMC or CMC) before showing it`],
    ],
    [
      "a certificate removed",
      side("default", `v=BIMI1; l=${L1}; a=${A1}`),
      side("default", `v=BIMI1; l=${L1};`),
      [`BIMI a: ${A1} → (not set): no certificate vouches for the logo any more: Gmail and Apple Mail stop showing it`],
    ],
    [
      "another selector",
      side("default", `v=BIMI1; l=${L1};`),
      side("brand2", `v=BIMI1; l=${L1};`),
      [
        `BIMI selector: default → brand2: the record moves to brand2._bimi.${D}; receivers find it only for messages whose BIMI-Selector header names brand2`,
      ],
    ],
  ];
  for (const [name, base, head, meanings] of cases) {
    it(name, () => {
      const meaning = bimiDiff.meaning({ base, head, domain: D });
      assert.deepEqual(meaning.meanings, meanings);
      assert.deepEqual(meaning.weakening ?? [], []);
    });
  }
});
