/**
 * Property-based tests over generated stack configs, valid and mutated (issue #11): validation only
 * ever throws ConfigError (or, for a stack file, StackFileError), every problem names a config key, and
 * whatever it accepts fits DNS (RFC 1035 §2.3.4) and the provider's limits. Fast and pure: the BIND and
 * `plan` properties are in test/integration/properties.test.ts. A failure prints its seed and path;
 * FC_SEED=<seed> FC_PATH=<path> replays it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError, decodeConfigMap, validateStack, type Problem } from "../../../components/config";
import { cloudflareContent, CLOUDFLARE_MAX_TXT_CONTENT } from "../../../components/providers/cloudflare";
import {
  route53RecordSets,
  ROUTE53_MAX_SET_CHARACTERS,
  ROUTE53_MAX_SET_VALUES,
  ROUTE53_MAX_TXT_VALUE,
} from "../../../components/providers/route53";
import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from "../../../components/records/names";
import { parseStackConfig, ProjectError, StackFileError } from "../../../cli/project";
import {
  anyStack,
  configMapOf,
  fileChanges,
  mutatedStack,
  runParameters,
  stackFileText,
  validStack,
} from "../../support/stackConfigs";

const NOW = new Date("2026-11-28T12:00:00Z");
const KEY_PATH = /^[a-z0-9-]+:[A-Za-z_[]/;

/** Every problem names a `<namespace>:` key path and says something. */
function assertNamesKeys(problems: readonly Problem[], namespace = "sender-auth"): void {
  assert.ok(problems.length > 0, "a rejection without a problem");
  for (const p of problems) {
    assert.match(p.path, KEY_PATH);
    if (namespace === "sender-auth") assert.ok(p.path.startsWith("sender-auth:"), p.path);
    assert.ok(p.message.trim().length > 0, `empty message at ${p.path}`);
  }
}

/** Validates like the program does (config map → decode → validate); returns the result or the problems. */
function validate(map: Readonly<Record<string, string>>): ReturnType<typeof validateStack> | readonly Problem[] {
  try {
    return validateStack("prop", decodeConfigMap(map), NOW);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** What an accepted config publishes fits DNS and its provider. */
function assertPublishable(validated: ReturnType<typeof validateStack>): void {
  const { config, records } = validated;
  for (const record of records) {
    assert.ok(record.name.length <= MAX_NAME_LENGTH, `${record.name}: ${record.name.length} characters`);
    for (const part of record.name.split(".")) assert.ok(part.length > 0 && part.length <= MAX_LABEL_LENGTH);
    if (record.type === "TXT") assert.match(record.value, /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  }
  if (config.dns.provider === "cloudflare") {
    for (const record of records.filter((r) => r.type === "TXT")) {
      assert.ok(cloudflareContent(record).length <= CLOUDFLARE_MAX_TXT_CONTENT);
    }
  } else {
    for (const set of route53RecordSets(config.domain, records, config.dns.preserveTxt)) {
      assert.ok(set.records.length <= ROUTE53_MAX_SET_VALUES, `${set.name}: ${set.records.length} values`);
      const sent = set.records.reduce((sum, element) => sum + element.length + (set.type === "TXT" ? 2 : 0), 0);
      assert.ok(sent <= ROUTE53_MAX_SET_CHARACTERS, `${set.name}: ${sent} characters`);
      // Each character-string goes out quoted: the element's inner "" plus the outer pair.
      if (set.type === "TXT") {
        for (const element of set.records) assert.ok(element.length + 2 <= ROUTE53_MAX_TXT_VALUE, element);
      }
    }
  }
}

describe("validation properties (fast-check)", () => {
  it("generated valid configs are mostly accepted (the generator keeps the other properties meaningful)", () => {
    const samples = fc.sample(validStack, { numRuns: 200, seed: 11 });
    const accepted = samples.filter((raw) => !Array.isArray(validate(configMapOf(raw)))).length;
    assert.ok(accepted >= 100, `only ${accepted} of 200 generated valid configs were accepted`);
  });

  it("any config, valid or mutated: accepted configs fit DNS and the provider, rejected ones name a key for every problem, nothing else is thrown", () => {
    fc.assert(
      fc.property(anyStack, (raw) => {
        const result = validate(configMapOf(raw));
        if (Array.isArray(result)) assertNamesKeys(result as readonly Problem[]);
        else assertPublishable(result as ReturnType<typeof validateStack>);
      }),
      runParameters(400),
    );
  });

  it("mutated configs passed straight to validateStack (values JSON cannot carry included) only ever raise ConfigError", () => {
    fc.assert(
      fc.property(mutatedStack, (raw) => {
        try {
          assertPublishable(validateStack("prop", raw, NOW));
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          assertNamesKeys(error.problems);
          for (const line of error.message.split("\n")) assert.match(line, /^stack prop: sender-auth:/);
        }
      }),
      runParameters(300),
    );
  });

  it("stack files, valid or mutated, with keys spelled twice: parseStackConfig and validation report only key-named problems", () => {
    fc.assert(
      fc.property(anyStack, fileChanges, (raw, changes) => {
        let map: Readonly<Record<string, string>>;
        let fileProblems: readonly Problem[] = [];
        try {
          map = parseStackConfig(
            { name: "sender-auth", defaults: {} },
            "prop",
            "f",
            stackFileText(raw, changes),
          ).config;
        } catch (error) {
          if (!(error instanceof StackFileError)) {
            // Any other ProjectError would be a file sender-auth cannot read at all, which these are not.
            assert.ok(!(error instanceof ProjectError), String(error));
            throw error;
          }
          fileProblems = error.problems;
          assertNamesKeys(fileProblems);
          map = error.stackConfig.config;
        }
        if (changes.bareDuplicate !== undefined && Object.hasOwn(raw, changes.bareDuplicate)) {
          assert.ok(fileProblems.some((p) => p.path === `sender-auth:${changes.bareDuplicate ?? ""}`));
        }
        const result = validate(map);
        if (Array.isArray(result)) assertNamesKeys(result as readonly Problem[]);
        else if (fileProblems.length === 0) assertPublishable(result as ReturnType<typeof validateStack>);
      }),
      runParameters(200),
    );
  });
});
