/**
 * `sender-auth check --format json` output, parsed and checked key by key against the types
 * cli/commands/check.ts writes: counts agree with the findings, and every failing finding ends with
 * a hint (issue #12). Also the hints tests expect, spelled out.
 */
import assert from "node:assert/strict";
import type { Finding } from "../../cli/check/checks";
import type { StackReport } from "../../cli/commands/check";
import { isRecord } from "../../components/model";

const FINDING_KEYS = new Set(["code", "result", "subject", "message", "expected", "served", "ttl", "server", "hint"]);

function parseFinding(value: unknown, where: string): Finding {
  assert.ok(isRecord(value), `${where} is an object`);
  for (const key of Object.keys(value)) assert.ok(FINDING_KEYS.has(key), `${where}: unexpected key ${key}`);
  const { code, result, subject, message, expected, served, ttl, server, hint } = value;
  assert.ok(typeof code === "string" && /^[a-z0-9-]+$/.test(code), `${where}.code`);
  assert.ok(result === "ok" || result === "warn" || result === "fail", `${where}.result`);
  assert.ok(typeof subject === "string" && typeof message === "string", `${where}.subject/message`);
  assert.ok(expected === undefined || typeof expected === "string", `${where}.expected`);
  assert.ok(
    served === undefined || (Array.isArray(served) && served.every((s) => typeof s === "string")),
    `${where}.served`,
  );
  assert.ok(ttl === undefined || (typeof ttl === "number" && Number.isInteger(ttl)), `${where}.ttl`);
  assert.ok(server === undefined || typeof server === "string", `${where}.server`);
  assert.ok(hint === undefined || (typeof hint === "string" && hint !== ""), `${where}.hint`);
  assert.ok(result !== "fail" || hint !== undefined, `${where}: a failing finding without a hint: ${message}`);
  return value as unknown as Finding;
}

/** `check --format json` output: an array of stack reports whose counts agree with their findings. */
export function parseReports(stdout: string): StackReport[] {
  const doc: unknown = JSON.parse(stdout);
  assert.ok(Array.isArray(doc), "check --format json prints an array");
  return doc.map((entry: unknown, index): StackReport => {
    const where = `report[${index}]`;
    assert.ok(isRecord(entry), `${where} is an object`);
    assert.deepEqual(
      Object.keys(entry).sort(),
      ["counts", "domain", "findings", "ok", "planned", "stack"],
      `${where} keys`,
    );
    const { stack, domain, planned, ok, counts, findings } = entry;
    assert.ok(
      typeof stack === "string" && typeof domain === "string" && typeof ok === "boolean",
      `${where} stack/domain/ok`,
    );
    assert.ok(typeof planned === "boolean", `${where}.planned`);
    assert.ok(Array.isArray(findings), `${where}.findings`);
    const parsed = findings.map((f: unknown, i) => parseFinding(f, `${where}.findings[${i}]`));
    const count = (result: Finding["result"]): number => parsed.filter((f) => f.result === result).length;
    assert.deepEqual(counts, { ok: count("ok"), warn: count("warn"), fail: count("fail") }, `${where}.counts`);
    assert.equal(ok, count("fail") === 0, `${where}.ok`);
    return {
      stack,
      domain,
      planned,
      ok,
      counts: { ok: count("ok"), warn: count("warn"), fail: count("fail") },
      findings: parsed,
    };
  });
}

/** The findings that are not ok. */
export const failures = (report: StackReport): Finding[] => report.findings.filter((f) => f.result !== "ok");

/** `code result subject` of every finding, in order. */
export const outline = (report: StackReport): string[] =>
  report.findings.map((f) => `${f.code} ${f.result} ${f.subject}`);

/** The hint of a record DNS serves with another value, through a resolver (`wait`: e.g. `TTL 120 s (until 10:02 UTC)`). */
export const deployHint = (stack: string, wait: string): string =>
  `run \`pulumi up --stack ${stack}\`; if it just ran, wait for ${wait}; edited by hand outside sender-auth? \`pulumi up --refresh --stack ${stack}\` puts the declared value back`;

/** The hint of a record DNS does not serve, through a resolver. */
export const missingHint = (stack: string, wait: string): string =>
  `run \`pulumi up --stack ${stack}\`; if it just ran, wait for ${wait}; deleted by hand outside sender-auth? \`pulumi up --refresh --stack ${stack}\` creates it again`;

/** The hint of an SPF record past 10 DNS lookups. */
export const SPF_CUT_HINT =
  "cut DNS-querying terms from sender-auth:spf (include, a, mx, exists, redirect): replace an include by the ip4/ip6 ranges it lists, or drop senders no longer used";
