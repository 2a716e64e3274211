/** The `sender-auth` command line: one module per command under cli/commands. */
import { Command, CommanderError } from "commander";
import { currentTime } from "../components/clock";
import { registerCheck } from "./commands/check";
import { registerDiff } from "./commands/diff";
import { registerExport } from "./commands/export";
import { registerKeygen } from "./commands/keygen";
import { registerPlan } from "./commands/plan";
import { registerRotate } from "./commands/rotate";
import { EXIT_OK, EXIT_USAGE, type Io } from "./io";

const VERSION = "0.1.0";

export async function main(argv: readonly string[], io: Io = process): Promise<number> {
  let code = EXIT_OK;
  const finish = (result: number): void => {
    code = result;
  };
  const program = new Command("sender-auth")
    .description("Email authentication DNS as code: SPF, DKIM and DMARC with Pulumi on Cloudflare or Route53")
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    // Usage errors exit 2 rather than commander's 1 (brief: 0 ok, 1 failure, 2 usage).
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  registerPlan(program, io, finish);
  registerKeygen(program, io, finish, currentTime);
  registerExport(program, io, finish);
  registerRotate(program, io, finish, currentTime);
  registerDiff(program, io, finish, currentTime);
  registerCheck(program, io, finish);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? EXIT_OK : EXIT_USAGE;
    }
    throw error;
  }
  return code;
}
