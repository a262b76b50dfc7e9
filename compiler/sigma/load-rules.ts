import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseAllDocuments, isMap, type Document } from 'yaml';
import type { Source } from '../source.js';
import type { Reporter } from '../reporter.js';
import { fileStart, span, spanOfNode } from '../span.js';
import { diag } from '../diagnostics/diagnostic.js';
import type { Rule } from '../../runtime/engine/ir.js';
import { compileSigmaDoc, type SigmaOptions } from './compile-sigma.js';
import { linkSigma, type Linkable } from './link.js';
import { pairOf } from './yaml-nodes.js';

/**
 * Reads Sigma rules from files and directories for `vigil eval` and rule tests: a small local
 * loader (the repository loader in compiler/stages serves `vigil check`). Documents with an
 * `apiVersion` (Vigil policy kinds) and rule-tests documents are skipped, not compiled.
 */

/** What loading produced: compiled IR rules and the sources read (for code frames). */
export interface LoadedRules {
  readonly rules: Rule[];
  readonly sources: ReadonlyMap<string, Source>;
  /** Paths that could not be read. */
  readonly unreadable: readonly string[];
}

/** Every .yml/.yaml file under the given files and directories, sorted within each directory. */
export function ruleFiles(paths: readonly string[]): { files: string[]; unreadable: string[] } {
  const files: string[] = [];
  const unreadable: string[] = [];
  const walk = (p: string, top: boolean) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      if (top) unreadable.push(p);
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (!name.startsWith('.')) walk(path.join(p, name), false);
    } else if (top || /\.ya?ml$/i.test(p)) files.push(p);
  };
  for (const p of paths) walk(p, true);
  return { files, unreadable };
}

/** Whether a document is a Vigil policy document or a rule-tests document rather than Sigma. */
export function isNonSigmaDoc(doc: Document.Parsed, file: string): boolean {
  if (/\.tests\.ya?ml$/i.test(file)) return true;
  const root = doc.contents;
  if (!isMap(root)) return false;
  if (pairOf(root, 'apiVersion')) return true;
  return pairOf(root, 'tests') !== undefined && pairOf(root, 'detection') === undefined;
}

/** Reads one file into a Source whose path is as given (relative paths stay relative). */
export function readSource(file: string, cwd: string): Source {
  const bytes = readFileSync(path.resolve(cwd, file));
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { path: file.split(path.sep).join('/'), text, origin: { kind: 'worktree', root: cwd }, digest: createHash('sha256').update(bytes).digest('hex') };
}

/** Loads and compiles every Sigma document under the paths, then checks cross-document references. */
export function loadSigmaRules(paths: readonly string[], cwd: string, reporter: Reporter, options: SigmaOptions = {}): LoadedRules {
  const { files, unreadable } = ruleFiles(paths.map((p) => path.resolve(cwd, p)));
  const sources = new Map<string, Source>();
  const linkable: Linkable[] = [];
  for (const abs of files) {
    const rel = path.relative(cwd, abs) || abs;
    let source: Source;
    try {
      source = readSource(rel.startsWith('..') ? abs : rel, cwd);
    } catch {
      unreadable.push(abs);
      continue;
    }
    sources.set(source.path, source);
    const docs = parseAllDocuments(source.text);
    if (!Array.isArray(docs)) continue;
    docs.forEach((doc, index) => {
      if (doc.errors.length > 0) {
        for (const e of doc.errors) reporter.report(diag('VG1001', span(source.path, e.pos[0], e.pos[1]), { detail: e.message.split('\n')[0]! }));
        return;
      }
      if (doc.contents === null || isNonSigmaDoc(doc, source.path)) return;
      const compiled = compileSigmaDoc({ source, doc, index }, reporter, options);
      if (!compiled) return;
      const root = doc.contents;
      const section = pairOf(root, 'correlation')?.value ?? pairOf(root, 'filter')?.value;
      const refs = section ? pairOf(section, 'rules') : undefined;
      linkable.push({ ir: compiled.ir, refsSpan: refs ? spanOfNode(source.path, refs.value as never) : fileStart(source.path) });
    });
  }
  linkSigma(linkable, reporter);
  return { rules: linkable.map((l) => l.ir), sources, unreadable };
}
