"use strict";
// Start-up benchmark stand-in for Pulumi's run script (@pulumi/pulumi/cmd/run): loaded the way the
// Pulumi Node.js host loads a program (`node <Pulumi.yaml nodeargs> <run script> <program>`, config
// in PULUMI_CONFIG), but with the SDK's mock monitor instead of an engine. On the first provider
// resource registered it prints one JSON line, { sdks: provider SDKs loaded so far }, and exits.
const pulumi = require("@pulumi/pulumi");

const [program, project, stack] = process.argv.slice(2);

function report() {
  const files = Object.keys(require.cache);
  const sdks = ["@pulumi/cloudflare", "@pulumi/aws"].filter((sdk) =>
    files.some((file) => file.includes(`/node_modules/${sdk}/`)),
  );
  process.stdout.write(`${JSON.stringify({ sdks })}\n`);
  process.exit(0);
}

(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.custom) report();
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call() {
        throw new Error("no calls");
      },
    },
    project,
    stack,
    true,
  );
  require(program);
})();
