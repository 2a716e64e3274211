"use strict";
// Floor of the plan benchmark: the least a program can do to register the same resources under the
// Pulumi SDK's mock runtime. Reads [{ stack, domain, resources: [{ type, name, inputs }] }] (what
// `plan --format json` registered) from the file in argv[2]; per stack one mock-runtime session with
// one component and the same custom resources as children, with the same inputs; no config, no
// validation, no record building; prints the registered resources as JSON. Plain JavaScript: no
// TypeScript loader either.
const { readFileSync } = require("node:fs");
const pulumi = require("@pulumi/pulumi");

// As plan does (cli/mockRun.ts): no stack trace is captured for each promise the SDK makes, and the
// stack the SDK captures for each resource's source position (which the mock monitor drops unread) is
// formatted without frames.
Error.stackTraceLimit = 0;
const prepareStackTrace = Error.prepareStackTrace;
if (prepareStackTrace !== undefined) {
  Error.prepareStackTrace = (error, frames) =>
    prepareStackTrace(error, Error.stackTraceLimit === Number.POSITIVE_INFINITY ? [] : frames);
}

const stacks = JSON.parse(readFileSync(process.argv[2], "utf8"));
const types = new Set(stacks.flatMap((s) => s.resources.map((r) => r.type)));
const classes = {};
if ([...types].some((t) => t.startsWith("cloudflare:")))
  classes["cloudflare:index/dnsRecord:DnsRecord"] = require("@pulumi/cloudflare").DnsRecord;
if ([...types].some((t) => t.startsWith("aws:")))
  classes["aws:route53/record:Record"] = require("@pulumi/aws/route53").Record;

const mocks = (registered) => ({
  newResource(args) {
    if (args.custom) registered.push({ type: args.type, name: args.name, inputs: args.inputs });
    return { id: `${args.name}-id`, state: args.inputs };
  },
  call() {
    throw new Error("no calls");
  },
});

(async () => {
  const registered = [];
  // One mock-runtime session per stack, as a stack is one `pulumi up`: a single session for all
  // stacks grows without bound (1.3 GB and superlinear time at 1000 stacks).
  for (const stack of stacks) {
    await pulumi.runtime.setMocks(mocks(registered), "sender-auth", stack.stack, true);
    const parent = new pulumi.ComponentResource("sender-auth:index:MailDomain", stack.domain, {}, {});
    for (const resource of stack.resources) {
      const Class = classes[resource.type];
      if (Class === undefined) throw new Error(`floor: unknown type ${resource.type}`);
      new Class(resource.name, resource.inputs, { parent });
    }
    parent.registerOutputs({});
    await pulumi.runtime.disconnect();
  }
  process.stdout.write(`${JSON.stringify(registered, null, 2)}\n`);
})();
