"use strict";
// Floor of the start-up benchmark: import @pulumi/pulumi and the one provider SDK a stack uses, and
// register one record of that provider under the SDK's mock monitor; print a line at registration.
const pulumi = require("@pulumi/pulumi");

const provider = process.argv[2];

(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.custom) {
          process.stdout.write(`${JSON.stringify({ sdks: [] })}\n`);
          process.exit(0);
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call() {
        throw new Error("no calls");
      },
    },
    "sender-auth",
    "bench",
    true,
  );
  if (provider === "cloudflare") {
    const { DnsRecord } = require("@pulumi/cloudflare");
    new DnsRecord("spf", {
      zoneId: "023e105f4ecef8ad9ca31a8372d0c353",
      name: "example.com",
      type: "TXT",
      ttl: 3600,
      content: '"v=spf1 -all"',
    });
  } else {
    const { Record } = require("@pulumi/aws/route53");
    new Record("spf", {
      zoneId: "Z0123456789ABCDEFGHIJ",
      name: "example.com",
      type: "TXT",
      ttl: 3600,
      records: ["v=spf1 -all"],
    });
  }
})();
