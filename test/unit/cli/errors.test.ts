/**
 * cli/errors.ts and cli/main.ts: every expected failure a command throws becomes one exit code and
 * one `error: ` line per line of its message, in one place; anything else is a bug and is not
 * swallowed. main() runs in process here, with an injected Io, so no binary is spawned.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../../components/config";
import { CommandError, commandErrorOf, problemLines, ProjectError, UsageError } from "../../../cli/errors";
import { main } from "../../../cli/main";
import { StackFileError } from "../../../cli/project";
import { PulumiCliError } from "../../../cli/pulumiCli";
import { StackEditError } from "../../../cli/stackEdit";
import { StackLockedError } from "../../../cli/stackLock";

const CONFIG_ERROR = new ConfigError("shop", [
  { path: "sender-auth:dmarc.policy", message: 'is "maybe"; allowed: none, quarantine, reject' },
  { path: "sender-auth:spf.all", message: "is required\nwith a second line" },
]);

describe("commandErrorOf: the one mapping from errors to exit codes", () => {
  const cases: readonly [string, unknown, { message: string; exitCode: number } | undefined][] = [
    ["a usage error exits 2", new UsageError("--x is wrong"), { message: "--x is wrong", exitCode: 2 }],
    ["an unreadable project exits 1", new ProjectError("Pulumi.yaml: no"), { message: "Pulumi.yaml: no", exitCode: 1 }],
    [
      "a stack file the Pulumi CLI would read differently exits 1, one line per problem",
      new StackFileError(
        { stack: "shop", file: "f", config: {}, secretKeys: [], secretPaths: [] },
        CONFIG_ERROR.problems,
      ),
      { message: CONFIG_ERROR.message, exitCode: 1 },
    ],
    ["a held lock exits 1", new StackLockedError("held"), { message: "held", exitCode: 1 }],
    [
      "an edit stopped by SIGINT exits 130",
      new StackEditError("interrupted", 130),
      { message: "interrupted", exitCode: 130 },
    ],
    [
      "a failed pulumi call exits 1",
      new PulumiCliError("pulumi config get failed"),
      { message: "pulumi config get failed", exitCode: 1 },
    ],
    [
      "an invalid stack config exits 1, from its problems",
      CONFIG_ERROR,
      {
        message:
          'stack shop: sender-auth:dmarc.policy: is "maybe"; allowed: none, quarantine, reject\nstack shop: sender-auth:spf.all: is required\nwith a second line',
        exitCode: 1,
      },
    ],
    ["a TypeError is a bug", new TypeError("x is undefined"), undefined],
    ["a file-system error nobody named is a bug", Object.assign(new Error("EIO"), { code: "EIO" }), undefined],
    ["a thrown string is a bug", "boom", undefined],
  ];
  for (const [title, error, expected] of cases) {
    it(title, () => {
      const found = commandErrorOf(error);
      assert.deepEqual(
        found === undefined ? undefined : { message: found.message, exitCode: found.exitCode },
        expected,
      );
      if (error instanceof CommandError) assert.equal(found, error);
    });
  }

  it("problemLines: one entry per problem, from .problems, not from splitting the message", () => {
    assert.deepEqual(problemLines(CONFIG_ERROR), [
      'stack shop: sender-auth:dmarc.policy: is "maybe"; allowed: none, quarantine, reject',
      "stack shop: sender-auth:spf.all: is required\nwith a second line",
    ]);
  });
});

/** An Io that records what a command writes. */
function recorder(): {
  io: { stdout: { write(t: string): boolean }; stderr: { write(t: string): boolean } };
  out: string[];
  err: string[];
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (text: string) => out.push(text) > 0 },
      stderr: { write: (text: string) => err.push(text) > 0 },
    },
    out,
    err,
  };
}

describe("main reports a command's error once", () => {
  it("a usage error a command throws: exit 2, one `error: ` line, nothing on stdout", async () => {
    const { io, out, err } = recorder();
    const code = await main(["export", "s", "--selector", "a", "--format", "pem"], { ...io });
    // Run from the repository, which has no stack `s`.
    assert.equal(code, 2);
    assert.deepEqual(out, []);
    assert.deepEqual(err, ['error: no stack file for "s" (stacks/Pulumi.s.yaml); stacks: example-com, example-org\n']);
  });

  it("an option value commander's parser refuses: exit 2, the value escaped so it cannot drive the terminal", async () => {
    const { io, out, err } = recorder();
    const code = await main(["rotate", "s", "--resolver", "\u001b[2J\nerror: forged"], io);
    assert.equal(code, 2);
    assert.deepEqual(out, []);
    assert.equal(
      err.join(""),
      "error: option '--resolver <host[:port]>' argument '\\x1b[2J\\nerror: forged' is invalid. It must be an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53.\n(run with --help for usage)\n",
    );
  });

  it("commander's suggestion stays on its own line below the escaped message", async () => {
    const { io, out, err } = recorder();
    const code = await main(["plan", "--formt", "json"], io);
    assert.equal(code, 2);
    assert.deepEqual(out, []);
    assert.equal(
      err.join(""),
      "error: unknown option '--formt'\n(Did you mean --format?)\n(run with --help for usage)\n",
    );
  });
});
