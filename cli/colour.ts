/**
 * Colour for terminal output (issue #12), decided per stream:
 *
 * 1. `NO_COLOR` set to anything but the empty string: no colour (https://no-color.org). It wins.
 * 2. `FORCE_COLOR=0` or `FORCE_COLOR=false`: no colour.
 * 3. `FORCE_COLOR` set to anything else (`1`, `2`, `3`, `true`, empty): colour, even when not a terminal.
 * 4. Otherwise colour only when the stream is a terminal and `TERM` is not `dumb`.
 */

/** A stream as far as the decision needs it. */
export interface MaybeTerminal {
  readonly isTTY?: boolean;
}

export function colourEnabled(stream: MaybeTerminal, env: NodeJS.ProcessEnv = process.env): boolean {
  const noColor = env["NO_COLOR"];
  if (noColor !== undefined && noColor !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  return stream.isTTY === true && env["TERM"] !== "dumb";
}

/** SGR styles used by the CLI. */
export interface Paint {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const sgr =
  (open: number, close: number) =>
  (text: string): string =>
    text === "" ? text : `\u001b[${open}m${text}\u001b[${close}m`;

const COLOURED: Paint = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
};

const identity = (text: string): string => text;
const PLAIN: Paint = {
  bold: identity,
  dim: identity,
  red: identity,
  green: identity,
  yellow: identity,
  cyan: identity,
};

/** The styles for `stream`: real ones when colour is enabled for it, the identity otherwise. */
export function paintFor(stream: MaybeTerminal, env: NodeJS.ProcessEnv = process.env): Paint {
  return colourEnabled(stream, env) ? COLOURED : PLAIN;
}
