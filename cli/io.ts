/** Where a command writes: results to stdout, diagnostics to stderr. Injectable for tests. */
export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Exit codes: 0 ok, 1 failure, 2 usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Io whose streams may be terminals (`process`): progress lines and colour depend on it. */
export type TerminalIo = Io & {
  readonly stdout: { readonly isTTY?: boolean };
  readonly stderr: { readonly isTTY?: boolean };
};

/** What every command module's `register` receives. */
export interface CommandContext {
  readonly io: TerminalIo;
  readonly finish: (code: number) => void;
  /** "Now" (SENDER_AUTH_NOW pins it). */
  readonly now: () => Date;
}

/** Writes `error: ` before every line of `message` (multi-line messages stay attributable); returns `code`. */
export function reportError(io: Io, message: string, code: number): number {
  for (const line of message.split("\n")) if (line.trim() !== "") io.stderr.write(`error: ${line}\n`);
  return code;
}
