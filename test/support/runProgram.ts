/**
 * Runs the program once under the SDK mock runtime in this process and prints, as JSON on stdout, the
 * resources it registered and every rejection it raised. Spawned by tests that expect the program to
 * fail asynchronously (node:test would otherwise attribute those rejections to the running test).
 * Input: env RUN_PROGRAM_CONFIG (JSON config map) and RUN_PROGRAM_SECRET_KEYS (JSON array).
 */
import * as pulumi from "@pulumi/pulumi";
import { senderAuthProgram } from "../../components/program";

const rejections: string[] = [];
process.on("unhandledRejection", (reason) => {
  rejections.push(reason instanceof Error ? reason.message : String(reason));
});

void (async () => {
  const registered: { type: string; name: string }[] = [];
  pulumi.runtime.setAllConfig(
    JSON.parse(process.env["RUN_PROGRAM_CONFIG"] ?? "{}") as Record<string, string>,
    JSON.parse(process.env["RUN_PROGRAM_SECRET_KEYS"] ?? "[]") as string[],
  );
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name });
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call(args) {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "sender-auth",
    "prod",
    true,
  );
  let thrown: string | undefined;
  try {
    senderAuthProgram();
  } catch (error) {
    thrown = error instanceof Error ? error.message : String(error);
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.stdout.write(JSON.stringify({ registered, rejections: [...new Set(rejections)], thrown }));
})();
