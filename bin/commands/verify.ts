import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileRole } from '../../runtime/bundle/layout.js';
import { formatRefusal, refusal } from '../../runtime/refusals.js';
import { verifyRepository, type VerifyResult } from '../../runtime/verify.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';
import { verifySpec } from './verify-spec.js';

/** Finds the OUT directory above a bundle file: the nearest ancestor holding timestamp.json. */
async function repositoryOf(file: string): Promise<string | undefined> {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      await stat(path.join(dir, 'timestamp.json'));
      return dir;
    } catch {
      if (path.dirname(dir) === dir) return undefined;
    }
  }
}

/** Prints the verdict as text (stderr for refusals) or JSON lines (stdout). */
function report(result: VerifyResult, format: string, io: Parameters<Command['run']>[1], label: string): number {
  if (format === 'json') {
    for (const r of result.refusals) writeLine(io.stdout, JSON.stringify(r));
    if (result.ok) writeLine(io.stdout, JSON.stringify({ ok: true, bundles: result.bundles.map((b) => ({ path: b.path, group: b.group, sha256: b.sha256 })) }));
  } else if (result.ok) {
    writeLine(io.stdout, `verified ${label}: ${result.bundles.length} bundle(s)${result.bundles.map((b) => `\n  ${b.group}  sha256:${b.sha256}`).join('')}`);
  } else {
    for (const r of result.refusals) writeLine(io.stderr, formatRefusal(r));
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}

/** `vigil verify`: everything an agent checks, plus every file in OUT. */
export const verifyCommand: Command = {
  ...verifySpec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { trust: { type: 'string' }, group: { type: 'string' }, state: { type: 'string' }, format: { type: 'string', default: 'text' } });
    if (positionals.length !== 1) throw new UsageError('give exactly one OUT directory or BUNDLE file');
    if (!values.trust) throw new UsageError('--trust TRUST is required');
    if (values.format !== 'text' && values.format !== 'json') throw new UsageError('--format must be text or json');
    const target = path.resolve(io.cwd, positionals[0] as string);
    const label = positionals[0] as string;
    let trust: Uint8Array;
    try {
      trust = new Uint8Array(await readFile(path.resolve(io.cwd, values.trust)));
    } catch {
      return report({ ok: false, refusals: [refusal('VR1015', values.trust, { detail: 'it cannot be read' })], bundles: [] }, values.format, io, label);
    }
    const common = { trust, trustName: values.trust, ...(values.group ? { group: values.group } : {}), ...(values.state ? { stateDir: path.resolve(io.cwd, values.state) } : {}) };
    const info = await stat(target).catch(() => undefined);
    if (!info) return report({ ok: false, refusals: [refusal('VR1014', label)] , bundles: [] }, values.format, io, label);
    if (info.isDirectory()) return report(await verifyRepository({ out: target, ...common }), values.format, io, label);
    const out = await repositoryOf(target);
    const rel = out ? path.relative(out, target).split(path.sep).join('/') : '';
    const role = fileRole(rel);
    if (!out || role.kind !== 'target') {
      return report({ ok: false, refusals: [refusal('VR1013', label)], bundles: [] }, values.format, io, label);
    }
    return report(await verifyRepository({ out, bundle: role.targetPath, ...common }), values.format, io, label);
  },
};
