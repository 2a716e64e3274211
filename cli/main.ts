/**
 * The `sender-auth` command line: one module per command under cli/commands. Only the module of the
 * command being run is loaded (each pulls in different heavy dependencies: the Pulumi SDK for plan,
 * mailauth for check), so start-up stays short; help loads them all.
 */
import { Command, CommanderError } from "commander";
import { currentTime } from "../components/clock";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandContext, type TerminalIo } from "./io";

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
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
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
      // Help asked for (`--help`, `help plan`) and `--version` exit 0; help shown for a missing command, 2.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    throw error;
  } finally {
    process.off("beforeExit", drained);
  }
  return code;
}
