/**
 * The `sender-auth` command line: one module per command under cli/commands. Only the module of the
 * command being run is loaded (each pulls in different heavy dependencies: the Pulumi SDK for plan,
 * mailauth for check), so start-up stays short; help loads them all.
 */
import { Command, CommanderError } from "commander";
import { currentTime } from "../components/clock";
import { commandErrorOf } from "./errors";
import { printable } from "./render/printable";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, reportError, type CommandContext, type TerminalIo } from "./io";

const VERSION = "0.1.0";

type CommandModule = { register(program: Command, context: CommandContext): void };

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
const COMMANDS: Readonly<Record<string, () => CommandModule>> = {
  plan: () => require("./commands/plan") as CommandModule,
  keygen: () => require("./commands/keygen") as CommandModule,
  rotate: () => require("./commands/rotate") as CommandModule,
  export: () => require("./commands/export") as CommandModule,
  diff: () => require("./commands/diff") as CommandModule,
  check: () => require("./commands/check") as CommandModule,
  reports: () => require("./commands/reports") as CommandModule,
  status: () => require("./commands/status") as CommandModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export async function main(argv: readonly string[], io: TerminalIo = process): Promise<number> {
  let code = EXIT_OK;
  const context: CommandContext = {
    io,
    finish: (result) => {
      code = result;
    },
    now: currentTime,
  };
  const program = new Command("sender-auth")
    .description("Email authentication DNS as code: SPF, DKIM and DMARC with Pulumi on Cloudflare or Route53")
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    // Usage errors exit 2 rather than commander's 1 (brief: 0 ok, 1 failure, 2 usage).
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // commander quotes a bad value as given: escaped, so that it can neither drive the terminal nor
      // begin a line of its own. Its messages are one line, but for a suggestion on a line below.
      outputError: (text, write) => {
        const lines = text.replace(/\n$/, "").split(/\n(?=\(Did you mean )/);
        write(`${lines.map(printable).join("\n")}\n`);
      },
    });
  const requested = argv.find((arg) => !arg.startsWith("-"));
  const load = requested !== undefined && requested in COMMANDS ? [requested] : Object.keys(COMMANDS);
  for (const name of load) COMMANDS[name]?.().register(program, context);
  // Every command ends with output and a meaningful exit code (issue #11): should the event loop drain
  // while the command still waits (for an event that never comes), Node would exit 0 with nothing
  // said. Say so, and fail.
  const drained = (): void => {
    io.stderr.write(
      "sender-auth: internal error: the command stopped before it finished (it waited for an event that never came)\n",
    );
    process.exitCode = EXIT_FAILURE;
  };
  process.once("beforeExit", drained);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help asked for (`--help`, `help plan`) and `--version` exit 0; a usage error commander found
      // (unknown option, missing argument, an option value its parser refused), 2.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    // Every command ends here when it cannot do what was asked (cli/errors.ts). Anything else is a
    // bug: bin/sender-auth.js reports it as an internal error with its stack, exit 1.
    const failure = commandErrorOf(error);
    if (failure === undefined) throw error;
    return reportError(io, failure.message, failure.exitCode);
  } finally {
    process.off("beforeExit", drained);
  }
  return code;
}
