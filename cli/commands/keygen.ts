/**
 * `sender-auth keygen <stack>`: generates a DKIM key pair and stores it in the stack's config through
 * the Pulumi CLI: the private key as a secret read from standard input, the public key and metadata in
 * plain text so plan and pull-request diffs work without decrypting anything.
 */
import { Option, type Command } from "commander";
import {
  DEFAULT_KEY_TYPE,
  generateDkimKey,
  KEY_TYPES,
  WEAK_KEY_TYPES,
  type GeneratedKey,
  type KeyType,
} from "../../components/dkimKeys";
import { keyPath } from "../../components/config";
import { buildDkimValue, dkimRecordName, inspectDkimPublicKey } from "../../components/records/dkim";
import { type CommandContext, inputErrorCode, reportError, EXIT_FAILURE, EXIT_OK, type Io } from "../io";
import { loadProject, UsageError } from "../project";
import { PulumiCliError, pulumiCli, type PulumiCli } from "../pulumiCli";
import { checkNewSelector, isoDate, nextSelectorName, readStackKeys, selectorPath, type StackKeys } from "../stackKeys";

export const KEYGEN_STATUSES = ["published", "active"] as const;
export type KeygenStatus = (typeof KEYGEN_STATUSES)[number];

export interface AddSelectorRequest {
  readonly stack: string;
  readonly selector: string;
  /**
   * What to remove when the second write fails: the selector, or the `dkim` section or its `selectors`
   * map when the write created them (`pulumi config rm` keeps empty parents).
   * @default the selector's path
   */
  readonly undoPath?: string;
  readonly keyType: KeyType;
  readonly status: KeygenStatus;
  readonly now: Date;
}

export interface AddedSelector {
  readonly selector: string;
  readonly key: GeneratedKey;
  readonly createdAt: string;
}

/**
 * Generates a key and writes it: first the private key (secret, on stdin), then the public values in
 * one `set-all`. A failing second write is undone by removing the selector, so nothing half-written
 * stays behind; if even that fails, the error says exactly what to remove.
 */
export async function addSelector(pulumi: PulumiCli, request: AddSelectorRequest): Promise<AddedSelector> {
  const { stack, selector } = request;
  const key = generateDkimKey(request.keyType);
  const createdAt = isoDate(request.now);
  await pulumi.setSecret(stack, selectorPath(selector, "privateKey"), key.privateKeyPem);
  try {
    await pulumi.setPlain(stack, {
      [selectorPath(selector, "publicKey")]: key.publicKey,
      [selectorPath(selector, "algorithm")]: key.algorithm,
      [selectorPath(selector, "status")]: request.status,
      [selectorPath(selector, "createdAt")]: createdAt,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const undo = request.undoPath ?? selectorPath(selector);
    try {
      await pulumi.remove(stack, undo);
    } catch (undoError) {
      const why = undoError instanceof Error ? undoError.message : String(undoError);
      throw new PulumiCliError(
        `${reason}\nthe private key of ${selector} was stored but the rest was not, and undoing it failed (${why}): remove it with\n  pulumi config rm --path '${undo}' --stack ${stack}`,
      );
    }
    throw new PulumiCliError(
      `${reason}\nnothing was changed: the partly written selector ${selector} was removed again`,
    );
  }
  return { selector, key, createdAt };
}

/** What a new selector means and what to do next, for stdout. */
export function describeAddedSelector(
  stack: string,
  domain: string | undefined,
  added: AddedSelector,
  status: KeygenStatus,
): string {
  const { key, selector } = added;
  const inspection = inspectDkimPublicKey(key.algorithm, key.publicKey);
  const fingerprint = inspection.ok ? inspection.info.fingerprint : "";
  const name = dkimRecordName(selector, domain ?? "<domain>");
  return [
    `added selector ${selector} to stack ${stack}: ${key.algorithm === "rsa" ? `RSA ${key.bits}` : "Ed25519"}, status ${status}, created ${added.createdAt}`,
    `  public key SHA-256 ${fingerprint}`,
    `  record: ${name} TXT "${buildDkimValue(key.algorithm, key.publicKey)}"`,
    "  the private key is stored as a secret in the stack config (never printed)",
    "next:",
    `  1. review: npx sender-auth plan ${stack}`,
    "  2. commit the stack file and open a pull request",
    `  3. after review: pulumi up --stack ${stack}`,
    status === "published"
      ? `  4. once DNS serves ${name} (wait at least the record TTL), make it active: npx sender-auth rotate ${stack}`
      : `  4. give your signer the key: npx sender-auth export ${stack} --selector ${selector} --format pem`,
  ].join("\n");
}

export interface KeygenOptions {
  readonly stack: string;
  readonly selector: string | undefined;
  readonly keyType: KeyType;
  readonly status: KeygenStatus;
  readonly allowWeak: boolean;
  readonly cwd: string;
  readonly now: Date;
}

function warnings(keys: StackKeys, keyType: KeyType): string[] {
  const out: string[] = [];
  if (WEAK_KEY_TYPES.includes(keyType)) {
    out.push(
      `${keyType} is below the 2048 bits RFC 8301 §3.2 says signers SHOULD use; some receivers treat such signatures as failing`,
    );
  }
  const hasRsa = keys.selectors.some(
    (s) => s.algorithm === "rsa" && s.publicKey !== undefined && s.status !== "revoked",
  );
  if (keyType === "ed25519" && !hasRsa) {
    out.push(
      "an Ed25519 selector needs an RSA selector beside it: many receivers verify only RSA (RFC 8463), so sign with both; add one with --algorithm rsa-2048",
    );
  }
  return out;
}

export async function keygen(options: KeygenOptions, io: Io, pulumi?: PulumiCli): Promise<number> {
  let keys: StackKeys;
  let cli: PulumiCli;
  let selector: string;
  try {
    if (WEAK_KEY_TYPES.includes(options.keyType) && !options.allowWeak) {
      throw new UsageError(
        `--algorithm ${options.keyType} needs --allow-weak: RFC 8301 §3.2 says signers SHOULD use at least 2048 bits`,
      );
    }
    const project = loadProject(options.cwd);
    keys = readStackKeys(project, options.stack);
    const taken = keys.selectors.map((s) => s.name);
    selector = options.selector ?? nextSelectorName(taken, options.now);
    checkNewSelector(selector, taken, options.stack);
    cli = pulumi ?? pulumiCli(project.dir);
  } catch (error) {
    return inputErrorCode(io, error);
  }
  for (const warning of warnings(keys, options.keyType)) io.stderr.write(`warning: ${warning}\n`);
  try {
    await cli.checkStack(options.stack);
    const undoPath = keys.hasDkimSection
      ? keys.selectors.length > 0
        ? undefined
        : keyPath(["dkim", "selectors"])
      : keyPath(["dkim"]);
    const added = await addSelector(cli, {
      stack: options.stack,
      selector,
      keyType: options.keyType,
      status: options.status,
      now: options.now,
      ...(undoPath === undefined ? {} : { undoPath }),
    });
    io.stdout.write(`${describeAddedSelector(options.stack, keys.domain, added, options.status)}\n`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof PulumiCliError) return reportError(io, error.message, EXIT_FAILURE);
    throw error;
  }
}

export function register(program: Command, { io, finish, now }: CommandContext): void {
  program
    .command("keygen")
    .description("generate a DKIM key pair into the stack's config (private key as a Pulumi secret)")
    .argument("<stack>", "stack name (stacks/Pulumi.<stack>.yaml)")
    .option("--selector <name>", "selector name (default: derived from the date, e.g. s202611a)")
    .addOption(new Option("--algorithm <type>", "key type").choices(KEY_TYPES).default(DEFAULT_KEY_TYPE))
    .addOption(new Option("--status <status>", "initial status").choices(KEYGEN_STATUSES).default("published"))
    .option("--allow-weak", "allow rsa-1024 (RFC 8301: SHOULD be at least 2048 bits)", false)
    .action(
      async (
        stack: string,
        opts: { selector?: string; algorithm: KeyType; status: KeygenStatus; allowWeak: boolean },
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
