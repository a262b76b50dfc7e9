import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DiagnosticList } from '../../../compiler/reporter.js';
import { loadSigmaRules } from '../../../compiler/sigma/load-rules.js';
import { generateSigningKey, type SigningKey } from '../../../runtime/bundle/keys.js';
import { readRepositoryState, writeArtifacts } from '../../../runtime/bundle/repo-files.js';
import { createRoot } from '../../../runtime/bundle/trust.js';
import type { Rule } from '../../../runtime/engine/ir.js';
import { buildRepository } from '../../../targets/bundle.js';
import { REPO_ROOT } from '../../helpers/cli.js';

/**
 * Test repositories for the agent: real Sigma rules from examples/msp compiled to the IR, small
 * bundle documents with self-test vectors, signed and written by the same builder `vigil compile` uses.
 */

/** The MSP example's recon rules, compiled (once per process). */
let cached: readonly Rule[] | undefined;
export function reconRules(): readonly Rule[] {
  if (cached) return cached;
  const reporter = new DiagnosticList();
  const loaded = loadSigmaRules([path.join(REPO_ROOT, 'examples/msp/rules')], REPO_ROOT, reporter, { pipeline: 'windows' });
  if (loaded.rules.length === 0) throw new Error('no rules compiled from examples/msp/rules');
  cached = loaded.rules;
  return loaded.rules;
}

export const WHOAMI_ID = '37616311-889e-4039-b6b8-6db75eae7fff';

/** A Sysmon process-creation event for an image. */
export function processEvent(image: string, host = 'AMS-WS-002'): Record<string, unknown> {
  return { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Hostname: host, Image: `C:\\Windows\\System32\\${image}`, OriginalFileName: image, CommandLine: image };
}

/** A self-test vector: whoami must match, ipconfig must not. */
export const GOOD_VECTORS = [
  { name: 'whoami alerts', rule: WHOAMI_ID, events: [processEvent('whoami.exe')], match: true },
  { name: 'chrome does not', rule: WHOAMI_ID, events: [processEvent('chrome.exe')], match: false },
];

/** A bundle document for a group. */
export function bundleDocument(group: string, opts: { rules?: readonly Rule[]; selfTest?: readonly object[]; marker?: string; padding?: number } = {}): object {
  const content: Record<string, unknown> = { rules: opts.rules ?? reconRules(), selfTests: opts.selfTest ?? GOOD_VECTORS };
  if (opts.marker) content.marker = opts.marker;
  if (opts.padding) content.padding = 'x'.repeat(opts.padding);
  return { irVersion: 1, features: [], group, content };
}

/** Keys, a trust root file and a repository directory in a fresh temp directory. */
export interface Fixture {
  readonly dir: string;
  readonly key: SigningKey;
  readonly trust: Uint8Array;
  readonly trustFile: string;
  readonly out: string;
  /** Publishes (or re-publishes, with version bumps) the given bundles to `out` (or to `opts.out`). */
  publish(bundles: readonly { group: string; document: object; ring?: string }[], opts?: { commitTime?: Date; out?: string }): Promise<void>;
}

/** Creates a fixture with one signing key holding every role. */
export async function fixture(prefix = 'vigil-agent-'): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const { key } = generateSigningKey();
  const all = { keys: [key], threshold: 1 };
  const trust = createRoot({ root: all, targets: all, snapshot: all, timestamp: all, expires: '2099-01-01T00:00:00Z' }, [key]);
  const trustFile = path.join(dir, 'root.json');
  await writeFile(trustFile, trust);
  const out = path.join(dir, 'out');
  let tick = 0;
  return {
    dir, key, trust, trustFile, out,
    async publish(bundles, opts = {}) {
      const target = opts.out ?? out;
      const previous = await readRepositoryState(target);
      // Each publish gets a later commit time, so every role changes and versions go up.
      const time = opts.commitTime ?? new Date(Date.now() - 3_600_000 + 1000 * ++tick);
      const result = await buildRepository({
        bundles, roots: [trust], keys: [key], previous,
        provenance: { commit: '1'.repeat(40), tree: '2'.repeat(40), author: 'Ada <ada@example.org>', commitTime: time.toISOString(), compilerVersion: '0.1.0', inputs: [] },
      });
      if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('; '));
      await writeArtifacts(target, result.artifacts, { prune: true });
    },
  };
}
