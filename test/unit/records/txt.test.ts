import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  parseCharacterStrings,
  quoteCharacterStrings,
  splitCharacterStrings,
  txtValueProblem,
} from "../../../components/records/txt";

describe("splitCharacterStrings", () => {
  const cases: [string, string, number[]][] = [
    ["a short value stays one string", "v=spf1 -all", [11]],
    ["exactly 255 octets stays one string", "a".repeat(255), [255]],
    ["256 octets become 255 + 1", "b".repeat(256), [255, 1]],
    ["a 2048-bit DKIM record (410 octets) becomes 255 + 155", "c".repeat(410), [255, 155]],
    ["a 4096-bit DKIM record (754 octets) becomes 255 + 255 + 244", "d".repeat(754), [255, 255, 244]],
  ];
  for (const [name, value, lengths] of cases) {
    it(name, () => {
      const chunks = splitCharacterStrings(value);
      assert.deepEqual(
        chunks.map((chunk) => chunk.length),
        lengths,
      );
      // RFC 7208 §3.3, RFC 6376 §3.6.2.2: joined with no separator they equal the value.
      assert.equal(chunks.join(""), value);
    });
  }

  it("cuts between terms without moving the space (RFC 7208 §3.3)", () => {
    const value = `v=spf1 ${"ip4:192.0.2.1 ".repeat(20)}-all`;
    const chunks = splitCharacterStrings(value);
    assert.equal(chunks.length, 2);
    assert.equal(chunks[0]?.length, 255);
    assert.equal(chunks.join(""), value);
  });
});

describe("quoteCharacterStrings", () => {
  it("quotes every chunk and separates them with exactly one space (Cloudflare's TXT content form)", () => {
    assert.equal(quoteCharacterStrings(["abc", "def"]), '"abc" "def"');
    assert.equal(quoteCharacterStrings(["v=spf1 -all"]), '"v=spf1 -all"');
  });
});

describe("parseCharacterStrings", () => {
  const cases: [string, string, string[]][] = [
    ["quoted strings separated by a space", '"abc" "def"', ["abc", "def"]],
    ["a bare string", "abc", ["abc"]],
    ["escaped quote and backslash", '"a\\"b\\\\c"', ['a"b\\c']],
    ["decimal escape", '"a\\059b"', ["a;b"]],
    ["tabs between strings", '"a"\t"b"', ["a", "b"]],
    ["an empty string", '""', [""]],
  ];
  for (const [name, text, expected] of cases) {
    it(`parses ${name}`, () => {
      assert.deepEqual(parseCharacterStrings(text), expected);
    });
  }
  const bad: [string, string, string][] = [
    ["an unterminated quote", '"abc', 'unterminated quoted string in "\\"abc"'],
    ["a string over 255 octets", `"${"x".repeat(256)}"`, "character-string of 256 octets exceeds 255"],
    ["a dangling backslash", '"abc\\', 'dangling backslash at the end of "\\"abc\\\\"'],
    ["a bad decimal escape", '"\\999"', "bad \\DDD escape at position 2"],
  ];
  for (const [name, text, message] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => parseCharacterStrings(text),
        (error: Error) => error.message.startsWith(message),
      );
    });
  }
  it("round-trips what quoteCharacterStrings writes (RFC 1035 §5.1)", () => {
    const value = `v=DKIM1; k=rsa; p=${"A".repeat(600)}`;
    assert.equal(parseCharacterStrings(quoteCharacterStrings(splitCharacterStrings(value))).join(""), value);
  });
});

describe("txtValueProblem", () => {
  const cases: [string, string, string | undefined][] = [
    ["printable ASCII", "v=DMARC1; p=none", undefined],
    ["empty", "", "must not be empty"],
    ["a double quote", 'a"b', "contains a double quote at position 2"],
    ["a backslash", "a\\b", "contains a backslash at position 2"],
    ["a control character", "a\tb", "contains a character outside printable ASCII at position 2 (U+0009)"],
    ["non-ASCII", "café", "contains a character outside printable ASCII at position 4 (U+00E9)"],
  ];
  for (const [name, value, expected] of cases) {
    it(`${expected === undefined ? "accepts" : "rejects"} ${name}`, () => {
      assert.equal(txtValueProblem(value), expected);
    });
  }
});
