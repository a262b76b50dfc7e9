import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileRole } from '../../runtime/bundle/layout.js';
import { formatRefusal, refusal } from '../../runtime/refusals.js';
import { verifyRepository, type VerifyResult } from '../../runtime/verify.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';

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
  name: 'verify',
  summary: 'verify a signed repository or one bundle against a pinned trust root',
  help: `Usage: vigil verify OUT|BUNDLE --trust TRUST [--group G] [--state DIR] [--format text|json]

Runs the TUF client workflow (tuf-js) over OUT, checks every target's length and sha256 before
parsing it, each bundle's group, IR version and provenance, and that every file in OUT is covered
by a signature. Exit 0 when valid, 1 when refused (each reason has a VR1xxx code).
  --trust TRUST   the pinned root metadata (from \`vigil trust init\`)
  --group G       refuse any bundle not meant for host group G
  --state DIR     trusted-metadata cache, as an agent keeps it: enables rollback protection
  --format        text (default) or json (one refusal per line)

Examples:
  vigil verify out --trust trust/root.json
  vigil verify out/targets/groups/dc/bundle.json --trust trust/root.json --group dc`,
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
