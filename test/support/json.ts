/** Reading parsed JSON/YAML in tests: a nested value by keys, failing with what was there instead. */
import assert from "node:assert/strict";
import { isRecord } from "../../components/model";

export function field(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    assert.ok(isRecord(current), `expected an object holding ${key}, got ${JSON.stringify(current)}`);
    current = current[key];
  }
  return current;
}
