/** Where a command writes: results to stdout, diagnostics to stderr. Injectable for tests. */
export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Exit codes: 0 ok, 1 failure, 2 usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** What every command module's `register` receives. */
export interface CommandContext {
  readonly io: Io & { readonly stderr: { readonly isTTY?: boolean } };
  readonly finish: (code: number) => void;
  /** "Now" (SENDER_AUTH_NOW pins it). */
  readonly now: () => Date;
}
