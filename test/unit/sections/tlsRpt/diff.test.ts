/** What a TLS-RPT change means in `diff` (RFC 8460): exact sentences, and which ones weaken. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PublishedRecord } from "../../../../components/model";
import type { DiffSide } from "../../../../components/sections/types";
import { tlsRptDiff } from "../../../../components/sections/tlsRpt/diff";

const D = "example.com";
const side = (value: string | undefined): DiffSide =>
  ({
    config: {},
    records:
      value === undefined
        ? []
        : [{ name: `_smtp._tls.${D}`, type: "TXT", ttl: 300, value, purpose: "tls-rpt" } satisfies PublishedRecord],
  }) as unknown as DiffSide;

const A = "mailto:a@example.com";
const B = "https://r.example.net/tls";

describe("TLS-RPT diff meanings", () => {
  const cases: [string, string | undefined, string | undefined, string[], string[]][] = [
    ["no record on either side", undefined, undefined, [], []],
    [
      "added",
      undefined,
      `v=TLSRPTv1; rua=${A},${B}`,
      [`TLS-RPT record added: sending servers report failed TLS sessions to ${D}'s MX hosts to ${A}, ${B}`],
      [],
    ],
    [
      "removed",
      `v=TLSRPTv1; rua=${A}`,
      undefined,
      ["TLS-RPT record removed: nobody hears of failed TLS sessions (MTA-STS or certificate failures) any more"],
      ["TLS-RPT record removed: nobody hears of failed TLS sessions (MTA-STS or certificate failures) any more"],
    ],
    ["unchanged", `v=TLSRPTv1; rua=${A}`, `v=TLSRPTv1; rua=${A}`, [], []],
    [
      "a destination added",
      `v=TLSRPTv1; rua=${A}`,
      `v=TLSRPTv1; rua=${A},${B}`,
      [`TLS-RPT rua: ${A} → ${A},${B}: TLS reports now also go to ${B}`],
      [],
    ],
    [
      "a destination replaced",
      `v=TLSRPTv1; rua=${A}`,
      `v=TLSRPTv1; rua=${B}`,
      [`TLS-RPT rua: ${A} → ${B}: TLS reports no longer go to ${A}; TLS reports now also go to ${B}`],
      [`TLS-RPT rua: ${A} → ${B}: TLS reports no longer go to ${A}; TLS reports now also go to ${B}`],
    ],
    [
      "reordered",
      `v=TLSRPTv1; rua=${A},${B}`,
      `v=TLSRPTv1; rua=${B},${A}`,
      [`TLS-RPT rua: ${A},${B} → ${B},${A}: the same destinations, in another order`],
      [],
    ],
  ];
  for (const [name, before, after, meanings, weakening] of cases) {
    it(name, () => {
      const meaning = tlsRptDiff.meaning({ base: side(before), head: side(after), domain: D });
      assert.deepEqual(meaning.meanings, meanings);
      assert.deepEqual(meaning.weakening ?? [], weakening);
      assert.deepEqual(meaning.unsafe ?? [], []);
    });
  }
});
