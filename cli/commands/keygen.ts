/**
 * `sender-auth keygen <stack>`: generates a DKIM key pair and stores it in the stack's config through
 * the Pulumi CLI: the private key as a secret read from standard input, the public key and metadata in
 * plain text so plan and pull-request diffs work without decrypting anything.
 */
import { Option, type Command } from "commander";
import { DEFAULT_KEY_TYPE, KEY_TYPES, WEAK_KEY_TYPES, type KeyType } from "../../components/sections/dkim/keys";
import { selectorProblem } from "../../components/records/names";
import { ED25519_ONLY_WARNING, publishesEd25519Only } from "../../components/sections/dkim/selectors";
import {
  addedChanges,
  addSelector,
  describeAddedSelector,
  NEW_SELECTOR_STATUSES,
  type NewSelectorStatus,
} from "../addSelector";
import { type CommandContext, EXIT_OK, type Io } from "../io";
import { checkedName } from "../options";
import { loadProject, selectStacks, UsageError } from "../project";
import { keepsSnapshots } from "../nextSteps";
import { type PulumiCli } from "../pulumiCli";
import { editStack } from "../stackEdit";
import {
  checkNewSelector,
  nextSelectorName,
  readStackKeys,
  stackKeysOf,
  usedSelectorNames,
  type StackKeys,
} from "../stackKeys";

export interface KeygenOptions {
  readonly stack: string;
  readonly selector: string | undefined;
  readonly keyType: KeyType;
  readonly status: NewSelectorStatus;
  readonly allowWeak: boolean;
  readonly cwd: string;
  readonly now: Date;
}

function warnings(keys: StackKeys, keyType: KeyType, status: NewSelectorStatus): string[] {
  const out: string[] = [];
  if (status === "active") {
    // The README's own example used to lead into this wall (issue 12).
    out.push(
      "--status active: mail signed with the new key fails DKIM until DNS serves it, so `sender-auth diff` reports a selector added as active as unsafe and its pull request fails the diff gate unless merged with --allow-unsafe; the safe order is the default, --status published, then sender-auth rotate once DNS serves the key",
    );
  }
  if (WEAK_KEY_TYPES.includes(keyType)) {
    out.push(
      `${keyType} is below the 2048 bits RFC 8301 §3.2 says signers SHOULD use; some receivers treat such signatures as failing`,
    );
  }
  // The warning plan gives for the stack as it will be, with the command that resolves it.
  const added = { status, key: { algorithm: keyType === "ed25519" ? "ed25519" : "rsa" } } as const;
  if (publishesEd25519Only([...keys.selectors, added])) {
    out.push(`${ED25519_ONLY_WARNING}: add one with --algorithm rsa-2048`);
  }
  return out;
}

export async function keygen(options: KeygenOptions, io: Io, pulumi?: PulumiCli): Promise<number> {
  const project = loadProject(options.cwd);
  selectStacks(project, [options.stack]);
  const snapshots = keepsSnapshots(project);
  if (WEAK_KEY_TYPES.includes(options.keyType) && !options.allowWeak) {
    throw new UsageError(
      `--algorithm ${options.keyType} needs --allow-weak: RFC 8301 §3.2 says signers SHOULD use at least 2048 bits`,
    );
  }
  // Refuse what can be refused before taking the lock; decided again under it.
  const keys = readStackKeys(project, options.stack);
  if (options.selector !== undefined) checkNewSelector(options.selector, keys);
  const { added, domain } = await editStack(
    { project, stack: options.stack, command: "sender-auth keygen", io, ...(pulumi === undefined ? {} : { pulumi }) },
    async (edit) => {
      const keys = stackKeysOf(edit.config);
      const selector = options.selector ?? nextSelectorName(usedSelectorNames(keys), options.now);
      checkNewSelector(selector, keys);
      for (const warning of warnings(keys, options.keyType, options.status)) io.stderr.write(`warning: ${warning}\n`);
      await edit.pulumi.checkStack(options.stack);
      const result = await addSelector(edit.pulumi, {
        stack: options.stack,
        selector,
        keyType: options.keyType,
        status: options.status,
        now: options.now,
      });
      await edit.verify(addedChanges(result), [selector]);
      return { added: result, domain: keys.domain };
    },
  );
  io.stdout.write(`${describeAddedSelector(options.stack, domain, added, options.status, snapshots)}\n`);
  return EXIT_OK;
}

export function register(program: Command, { io, finish, now }: CommandContext): void {
  program
    .command("keygen")
    .description("generate a DKIM key pair into the stack's config (private key as a Pulumi secret)")
    .argument("<stack>", "stack name (stacks/Pulumi.<stack>.yaml)")
    .addOption(
      new Option("--selector <name>", "selector name (default: derived from the date, e.g. s202611a)").argParser(
        checkedName(selectorProblem),
      ),
    )
    .addOption(new Option("--algorithm <type>", "key type").choices(KEY_TYPES).default(DEFAULT_KEY_TYPE))
    .addOption(new Option("--status <status>", "initial status").choices(NEW_SELECTOR_STATUSES).default("published"))
    .option("--allow-weak", "allow rsa-1024 (RFC 8301: SHOULD be at least 2048 bits)", false)
    .action(
      async (
        stack: string,
        opts: { selector?: string; algorithm: KeyType; status: NewSelectorStatus; allowWeak: boolean },
      ) => {
        finish(
          await keygen(
            {
              stack,
              selector: opts.selector,
              keyType: opts.algorithm,
              status: opts.status,
              allowWeak: opts.allowWeak,
              cwd: process.cwd(),
              now: now(),
            },
            io,
          ),
        );
      },
    );
}
