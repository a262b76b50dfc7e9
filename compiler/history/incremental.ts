import { parseAllDocuments } from 'yaml';
import { simpleGit } from 'simple-git';
import type { Rule } from '../../runtime/engine/ir.js';
import { compile } from '../index.js';
import { DiagnosticList } from '../reporter.js';
import { compileSigmaDoc } from '../sigma/compile-sigma.js';
import type { Source } from '../source.js';
import { isSigmaKind } from '../stages/classify.js';
import { readBlobs, repoPlace } from './git-log.js';
import { snapshotOf, type PolicySnapshot } from './snapshot.js';

/**
 * The fast path of `vigil plan` for the common pull request: when the only files that differ
 * between two commits are Sigma rule files edited in place, and each edited rule keeps its id,
 * name, tags and file (the only things package selectors and references read), then every group
 * selects the same rules on both sides and only those rules' IR differs. So the head is compiled
 * in full and the base is the head with the old versions of those few rules compiled alone.
 * Anything else (a renamed, added or deleted file, a Package, a rule-tests file, a rule that does
 * not compile) returns undefined and the caller compiles both sides in full.
 */

/** Most changed files the fast path takes; beyond that a full compilation is as quick. */
const MAX_FILES = 50;

/** Both snapshots, or undefined when the change is not a local rule edit. */
export async function incrementalPair(dir: string, base: string, head: string, options: { readonly pipeline?: string; readonly cacheDir?: string } = {}): Promise<[PolicySnapshot, PolicySnapshot] | undefined> {
  const place = await repoPlace(dir);
  if (!place || base.startsWith('-') || head.startsWith('-')) return undefined;
  const git = simpleGit(place.top);
  let baseCommit: string;
  let headCommit: string;
  try {
    baseCommit = (await git.revparse(['--verify', '--quiet', '--end-of-options', `${base}^{commit}`])).trim();
    headCommit = (await git.revparse(['--verify', '--quiet', '--end-of-options', `${head}^{commit}`])).trim();
  } catch {
    return undefined;
  }
  const raw = await git.raw(['diff', '--raw', '-z', '--no-abbrev', '--no-renames', baseCommit, headCommit, '--', place.prefix === '' ? '.' : place.prefix]);
  const tokens = raw.split('\0').filter((t) => t !== '');
  const edits: { path: string; oldBlob: string }[] = [];
  for (let i = 0; i < tokens.length; i += 2) {
    const [, , oldBlob, , status] = (tokens[i] ?? '').split(' ');
    const full = tokens[i + 1] ?? '';
    const rel = full.slice(place.prefix.length);
    if (status !== 'M' || oldBlob === undefined) return undefined;
    if (rel.split('/').some((p) => p.startsWith('.') || p === 'node_modules')) continue;
    if (!/\.ya?ml$/i.test(rel)) continue;
    if (/\.tests\.ya?ml$/i.test(rel)) return undefined;
    edits.push({ path: rel, oldBlob });
  }
  if (edits.length > MAX_FILES) return undefined;
  const sigma = options.pipeline === undefined ? {} : { pipeline: options.pipeline };
  const result = await compile({ dir, ref: headCommit }, { sigma, ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }) });
  if (!result.ok) return undefined;
  const headSnapshot = snapshotOf(result.model, result.sigma, result.sources, result.bundles);
  if (edits.length === 0) return [headSnapshot, headSnapshot];
  const blobs = await readBlobs(place.top, edits.map((e) => e.oldBlob));
  const replaced = new Map<string, Rule>();
  for (const edit of edits) {
    const docs = result.model.docs.filter((d) => d.source.path === edit.path);
    if (docs.length === 0 || !docs.every((d) => isSigmaKind(d.kind))) return undefined;
    const headRules = docs.map((d) => result.sigma.get(d)?.ir);
    const text = blobs.get(edit.oldBlob);
    if (text === undefined) return undefined;
    const source: Source = { path: edit.path, text, origin: { kind: 'git', root: dir, ref: base, commit: baseCommit }, digest: '' };
    const parsed = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
    if (!Array.isArray(parsed) || parsed.length !== docs.length) return undefined;
    for (let i = 0; i < parsed.length; i++) {
      const doc = parsed[i]!;
      if (doc.errors.length > 0) return undefined;
      const reporter = new DiagnosticList();
      const compiled = compileSigmaDoc({ source, doc, index: i }, reporter, sigma);
      const now = headRules[i];
      if (!compiled || reporter.hasErrors || !now || !sameSelectors(compiled.ir, now)) return undefined;
      replaced.set(now.id, compiled.ir);
    }
  }
  return [withRules(headSnapshot, replaced), headSnapshot];
}

/**
 * Whether two versions of a rule are selected and referenced the same way: id, name, tags,
 * file and type, and for correlations and filters the rules they name (which decide the
 * groups a filter or correlation travels with).
 */
function sameSelectors(a: Rule, b: Rule): boolean {
  const tags = (r: Rule) => JSON.stringify([...(('tags' in r ? r.tags : undefined) ?? [])].sort());
  const refs = (r: Rule) => JSON.stringify(r.type === 'detection' ? null : r.rules);
  const source = (r: Rule) => ('attribution' in r ? r.attribution?.source : undefined);
  return a.id === b.id && a.name === b.name && a.type === b.type && tags(a) === tags(b) && refs(a) === refs(b) && source(a) === source(b);
}

/** The snapshot with some rules' IR swapped for other versions. */
function withRules(snapshot: PolicySnapshot, replaced: ReadonlyMap<string, Rule>): PolicySnapshot {
  return {
    groups: snapshot.groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => {
        const ir = replaced.get(r.ir.id);
        return ir ? { ...r, ir } : r;
      }),
    })),
  };
}
