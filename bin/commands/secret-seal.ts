import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listOption } from '../../runtime/bundle/key-files.js';
import { isRecipient, openSecret, parseIdentity, parseRecipient, SealError, sealSecret } from '../../runtime/bundle/seal.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';
import { secretSealSpec, secretOpenSpec } from './secret-seal-spec.js';

/** Reads all of stdin (the default place secrets come from, so they never appear in argv). */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves `--to` values: a recipient string (age1…) or a PREFIX.pub file holding one. */
async function recipients(values: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const v of values) {
    if (isRecipient(v)) out.push(v);
    else {
      let text: string;
      try {
        text = await readFile(path.resolve(cwd, v), 'utf8');
      } catch {
        throw new SealError(`cannot read recipient file \`${v}\``);
      }
      out.push(parseRecipient(text));
    }
  }
  return out;
}

/** `vigil secret seal`: encrypts a secret to agent or group keys in the age format. */
export const secretSealCommand: Command = {
  ...secretSealSpec,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseCommandArgs(argv, { to: { type: 'string', multiple: true }, in: { type: 'string' }, out: { type: 'string' } });
    } catch {
      // parseArgs quotes the offending argument, which may be a mistyped secret: never echo it.
      throw new UsageError('invalid arguments; options are --to, --in and --out');
    }
    const { values, positionals } = parsed;
    if (positionals.length > 0) throw new UsageError('the secret is read from stdin or --in, never from arguments');
    const to = listOption(values.to);
    if (to.length === 0) throw new UsageError('--to RECIPIENT is required');
    try {
      const secret = values.in ? await readFile(path.resolve(io.cwd, values.in)) : await readStdin();
      const sealed = await sealSecret(new Uint8Array(secret), await recipients(to, io.cwd));
      if (values.out) await writeFile(path.resolve(io.cwd, values.out), sealed);
      else io.stdout.write(sealed);
      return EXIT.ok;
    } catch (error) {
      writeLine(io.stderr, `error: ${error instanceof SealError ? error.message : 'the secret could not be sealed'}`);
      return EXIT.failed;
    }
  },
};

/** `vigil secret open`: decrypts a sealed secret with an agent identity (for agents and tests). */
export const secretOpenCommand: Command = {
  ...secretOpenSpec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { key: { type: 'string' }, in: { type: 'string' } }, false);
    if (positionals.length > 0) throw new UsageError('unexpected arguments');
    if (!values.key) throw new UsageError('--key AGENT.key is required');
    try {
      let keyText: string;
      try {
        keyText = await readFile(path.resolve(io.cwd, values.key), 'utf8');
      } catch {
        throw new SealError(`cannot read key file \`${values.key}\``);
      }
      const sealed = values.in ? await readFile(path.resolve(io.cwd, values.in), 'utf8') : (await readStdin()).toString('utf8');
      io.stdout.write(Buffer.from(await openSecret(sealed, parseIdentity(keyText))));
      return EXIT.ok;
    } catch (error) {
      writeLine(io.stderr, `error: ${error instanceof SealError ? error.message : 'the secret could not be opened'}`);
      return EXIT.failed;
    }
  },
};
