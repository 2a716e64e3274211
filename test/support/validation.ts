/** How validation tests read a verdict: the exact error lines, the way `plan` prints them. */
import assert from "node:assert/strict";
import { ConfigError, validateStack } from "../../components/config";

/** The exact error lines validateStack reports for `raw` as stack "test", or [] when it is valid. */
export function problemLines(raw: Record<string, unknown>, now?: Date): string[] {
  try {
    validateStack("test", raw, now);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.stackName, "test");
    return error.message.split("\n");
  }
}
