/**
 * Text from outside (DNS answers, above all) shown on a terminal as data (issue #11): control
 * characters are written as escapes so that they can neither move the cursor, recolour or clear the
 * screen (ESC, CSI), return to the line start (CR) nor begin a new, forged line (LF), and invisible or
 * reordering characters cannot make one value look like another.
 */

/**
 * C0 controls, DEL, C1 controls (which TXT data decoded as Latin-1 can carry: U+009B is a CSI), the
 * backslash (so an escape stays unambiguous), and the invisible or bidirectional formatting
 * characters: zero-width ones, LRM/RLM, the line and paragraph separators, the embedding, override
 * and isolate controls (CVE-2021-42574), and the BOM.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\\\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\" };

/** `text` with every unprintable character written as `\n`, `\r`, `\t`, `\\`, `\xHH` or `\uHHHH`. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    const named = NAMED[char];
    if (named !== undefined) return named;
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
