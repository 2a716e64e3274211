/**
 * `sender-auth export <stack> --selector <name> --format ...`: hands a selector's signing key to a
 * mail server in the form it needs. The private key is read with `pulumi config get` (the stack's
 * secrets provider decrypts it) and written to stdout only; a passphrase comes from an environment
 * variable, never from argv.
 */
import { Option, type Command } from "commander";
import { encryptPrivateKey, keyPairProblem, publicKeyOf } from "../../components/sections/dkim/keys";
import { dkimRecordName, buildDkimValue, inspectDkimPublicKey } from "../../components/sections/dkim/records";
import { CommandError } from "../errors";
import { type CommandContext, EXIT_FAILURE, EXIT_OK, type Io } from "../io";
import { loadProject, ProjectError, selectStacks, UsageError } from "../project";
import { pulumiCli, type PulumiCli } from "../pulumiCli";
import { readStackKeys, selectorPath, type SelectorState, type StackKeys } from "../stackKeys";

export const EXPORT_FORMATS = ["pem", "pkcs8-encrypted", "opendkim", "phpmailer", "json"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  readonly stack: string;
  readonly selector: string;
  readonly format: ExportFormat;
  /** Name of the environment variable holding the passphrase. */
  readonly passphraseEnv: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Where OpenDKIM's KeyTable points for this selector, by the usual Debian layout. */
export function opendkimKeyFile(domain: string, selector: string): string {
  return `/etc/opendkim/keys/${domain}/${selector}.private`;
}

function opendkim(stack: string, domain: string, selector: string): string {
  const record = dkimRecordName(selector, domain);
  const file = opendkimKeyFile(domain, selector);
  return [
    `# OpenDKIM for ${domain}, selector ${selector} (stack ${stack})`,
    `# write the key:  npx sender-auth export ${stack} --selector ${selector} --format pem > ${file}`,
    `#                 chown opendkim:opendkim ${file} && chmod 600 ${file}`,
    "# KeyTable:",
    `${record} ${domain}:${selector}:${file}`,
    "# SigningTable (refile:):",
    `*@${domain} ${record}`,
  ].join("\n");
}

function phpmailer(stack: string, domain: string, selector: string, passphraseEnv: string | undefined): string {
  const php = (text: string): string => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const file = `/path/to/${selector}.${domain}.pem`;
  return [
    `// PHPMailer DKIM for ${domain}, selector ${selector} (stack ${stack})`,
    passphraseEnv === undefined
      ? `// write the key:  npx sender-auth export ${stack} --selector ${selector} --format pkcs8-encrypted --passphrase-env DKIM_PASSPHRASE > ${file}`
      : `// write the key:  npx sender-auth export ${stack} --selector ${selector} --format pkcs8-encrypted --passphrase-env ${passphraseEnv} > ${file}`,
    `$mail->DKIM_domain = ${php(domain)};`,
    `$mail->DKIM_selector = ${php(selector)};`,
    `$mail->DKIM_private = ${php(file)};`,
    `$mail->DKIM_passphrase = getenv(${php(passphraseEnv ?? "DKIM_PASSPHRASE")});`,
    "$mail->DKIM_identity = $mail->From;",
  ].join("\n");
}

/** The selector to export: one whose key pair this stack holds and publishes, fit for the format. */
function exportableSelector(options: ExportOptions, keys: StackKeys): { selector: SelectorState; domain: string } {
  const found = keys.selectors.find((s) => s.name === options.selector);
  if (found === undefined) {
    throw new UsageError(
      `stack ${options.stack} has no selector ${options.selector}; selectors: ${keys.selectors.map((s) => s.name).join(", ") || "(none)"}`,
    );
  }
  if (found.cname !== undefined) {
    throw new UsageError(
      `selector ${found.name} is a cname selector: its key is held by the provider ${found.cname} points at, not by this stack`,
    );
  }
  if (!found.hasPrivateKey) {
    throw new UsageError(
      `selector ${found.name} has no private key in stack ${options.stack} (it was generated elsewhere, or removed); there is nothing to export`,
    );
  }
  if (found.publicKey === undefined) {
    // An orphan: no DNS record publishes this key (e.g. a keygen stopped between its two writes), so
    // mail signed with it would fail DKIM; it is never handed out (issue #11).
    throw new ProjectError(
      `selector ${found.name} of stack ${options.stack} has a private key but no publicKey, ` +
        `so no DNS record publishes it and mail signed with it fails DKIM; refusing to export it. ` +
        `Remove the half-written selector with\n` +
        `  pulumi config rm --path '${selectorPath(found.name)}' --stack ${options.stack}\n` +
        `and generate a new key with npx sender-auth keygen ${options.stack}`,
    );
  }
  if (keys.domain === undefined) throw new ProjectError(`stack ${options.stack} has no sender-auth:domain`);
  if (options.format === "phpmailer" && found.algorithm !== "rsa") {
    throw new UsageError(
      `selector ${found.name} is ${found.algorithm}: PHPMailer signs with RSA only (its DKIM_Sign uses sha256WithRSAEncryption); export an RSA selector`,
    );
  }
  if (options.format === "pkcs8-encrypted") {
    if (options.passphraseEnv === undefined) {
      throw new UsageError(
        "--format pkcs8-encrypted needs --passphrase-env VAR naming the environment variable that holds the passphrase",
      );
    }
    const passphrase = options.env[options.passphraseEnv];
    if (passphrase === undefined || passphrase === "") {
      throw new UsageError(`the environment variable ${options.passphraseEnv} (--passphrase-env) is not set or empty`);
    }
  }
  return { selector: found, domain: keys.domain };
}

export async function exportKey(options: ExportOptions, io: Io, pulumi?: PulumiCli): Promise<number> {
  const project = loadProject(options.cwd);
  selectStacks(project, [options.stack]);
  const { selector, domain } = exportableSelector(options, readStackKeys(project, options.stack));
  const cli = pulumi ?? pulumiCli(project.dir);

  if (options.format === "opendkim") {
    io.stdout.write(`${opendkim(options.stack, domain, selector.name)}\n`);
    return EXIT_OK;
  }
  if (options.format === "phpmailer") {
    io.stdout.write(`${phpmailer(options.stack, domain, selector.name, options.passphraseEnv)}\n`);
    return EXIT_OK;
  }

  const pem = await cli.get(options.stack, selectorPath(selector.name, "privateKey"));
  if (pem === undefined) {
    throw new CommandError(`selector ${selector.name} has no private key in stack ${options.stack}`, EXIT_FAILURE);
  }
  let derived: ReturnType<typeof publicKeyOf>;
  try {
    derived = publicKeyOf(pem);
  } catch (error) {
    throw new CommandError(
      `${selectorPath(selector.name, "privateKey")} ${error instanceof Error ? error.message : "is not a private key"}`,
      EXIT_FAILURE,
    );
  }
  // Never hand out a key that does not sign for the published record (the program's own check).
  const mismatch = keyPairProblem(derived, selector);
  if (mismatch !== undefined) {
    throw new CommandError(
      `${selectorPath(selector.name, "privateKey")} ${mismatch}; refusing to export a key that would fail DKIM`,
      EXIT_FAILURE,
    );
  }

  switch (options.format) {
    case "pem":
      io.stdout.write(pem.endsWith("\n") ? pem : `${pem}\n`);
      return EXIT_OK;
    case "pkcs8-encrypted":
      io.stdout.write(encryptPrivateKey(pem, options.env[options.passphraseEnv ?? ""] ?? ""));
      return EXIT_OK;
    case "json": {
      const inspection = inspectDkimPublicKey(derived.algorithm, derived.publicKey);
      const record = {
        name: dkimRecordName(selector.name, domain),
        type: "TXT",
        value: buildDkimValue(derived.algorithm, derived.publicKey),
      };
      const out = {
        stack: options.stack,
        domain,
        selector: selector.name,
        status: selector.status,
        algorithm: derived.algorithm,
        bits: derived.bits,
        fingerprint: inspection.ok ? inspection.info.fingerprint : undefined,
        publicKey: derived.publicKey,
        privateKeyPem: pem.endsWith("\n") ? pem : `${pem}\n`,
        record,
      };
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return EXIT_OK;
    }
  }
}

export function register(program: Command, { io, finish }: CommandContext): void {
  program
    .command("export")
    .description("print a selector's signing key for a mail server (pem, encrypted PKCS#8, OpenDKIM, PHPMailer, JSON)")
    .argument("<stack>", "stack name")
    .requiredOption("--selector <name>", "the selector whose key to export")
    .addOption(new Option("--format <format>", "output format").choices(EXPORT_FORMATS).makeOptionMandatory())
    .option(
      "--passphrase-env <VAR>",
      "environment variable holding the passphrase (pkcs8-encrypted; also named in the phpmailer snippet)",
    )
    .action(async (stack: string, opts: { selector: string; format: ExportFormat; passphraseEnv?: string }) => {
      finish(
        await exportKey(
          {
            stack,
            selector: opts.selector,
            format: opts.format,
            passphraseEnv: opts.passphraseEnv,
            env: process.env,
            cwd: process.cwd(),
          },
          io,
        ),
      );
    });
}
