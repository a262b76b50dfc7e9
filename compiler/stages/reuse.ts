import type { Document } from 'yaml';
import type { CachedDoc, CacheStats, FileCache } from '../cache.js';
import type { CompileContext } from '../context.js';
import type { SigmaCompiled } from '../sigma/compile-sigma.js';
import { SourceChangedError, type Source } from '../source.js';
import { isSigmaKind, type Doc } from './classify.js';
import { parseDocuments } from './parse.js';

/**
 * How the compile cache (compiler/cache.ts) plugs into the stages: cached files skip parse,
 * classify, validate and the Sigma compiler, and come back as documents whose YAML is parsed
 * only if a later stage asks for it (a cross-file diagnostic needs a span in the file).
 */

/** Documents restored from the cache, and what the Sigma compiler had produced for them. */
export interface Reused {
  readonly docs: ReadonlySet<Doc>;
  readonly sigma: ReadonlyMap<Doc, SigmaCompiled>;
}

/** No cache: every file is fresh. */
export const NOTHING_REUSED: Reused = { docs: new Set(), sigma: new Map() };

const parsedTexts = new WeakMap<Source, Document.Parsed[]>();

/** A cached document as a Doc; its YAML document is parsed on first access (once per file). */
function lazyDoc(source: Source, cached: CachedDoc, stats: CacheStats): Doc {
  let parsed: Document.Parsed | undefined;
  return {
    source,
    index: cached.index,
    data: cached.data,
    kind: cached.kind,
    name: cached.name,
    nameSpan: { file: source.path, start: cached.nameSpan.start, end: cached.nameSpan.end },
    get doc(): Document.Parsed {
      if (parsed) return parsed;
      let list = parsedTexts.get(source);
      if (!list) {
        list = parseDocuments(source.text);
        parsedTexts.set(source, list);
        stats.reparsed++;
      }
      const doc = list[cached.index];
      // A text with the digest the entry was keyed by has the document; else the file was saved
      // during the build (its read noted that, and compile() turns this into VG1014).
      if (!doc) throw new SourceChangedError(source.path);
      return (parsed = doc);
    },
  };
}

/** Splits the sources into those to compile and those the cache already holds (as documents). */
export function recall(sources: readonly Source[], cache: FileCache | undefined): { fresh: Source[]; reused: Reused } {
  if (!cache) return { fresh: [...sources], reused: NOTHING_REUSED };
  const fresh: Source[] = [];
  const docs = new Set<Doc>();
  const sigma = new Map<Doc, SigmaCompiled>();
  for (const source of sources) {
    const entry = cache.get(source);
    if (!entry) {
      fresh.push(source);
      continue;
    }
    for (const cached of entry) {
      const doc = lazyDoc(source, cached, cache.stats);
      docs.add(doc);
      if (cached.sigma) sigma.set(doc, cached.sigma);
    }
  }
  return { fresh, reused: { docs, sigma } };
}

/** Fresh documents and reused ones in the order the stages would have produced them: by file path, then position. */
export function withReused(fresh: readonly Doc[], reused: Reused): Doc[] {
  if (reused.docs.size === 0) return [...fresh];
  // Both lists usually come in that order already (sources are read sorted): merge, else sort.
  const a = fresh;
  const b = [...reused.docs];
  if (!isSorted(a) || !isSorted(b)) return [...a, ...b].sort(compareDocs);
  const out = new Array<Doc>(a.length + b.length);
  let i = 0;
  let j = 0;
  for (let k = 0; k < out.length; k++) out[k] = j >= b.length || (i < a.length && compareDocs(a[i]!, b[j]!) <= 0) ? a[i++]! : b[j++]!;
  return out;
}

function compareDocs(a: Doc, b: Doc): number {
  return a.source.path < b.source.path ? -1 : a.source.path > b.source.path ? 1 : a.index - b.index;
}

function isSorted(docs: readonly Doc[]): boolean {
  for (let i = 1; i < docs.length; i++) if (compareDocs(docs[i - 1]!, docs[i]!) > 0) return false;
  return true;
}

/**
 * Stores every fresh file that went through the stages without a single diagnostic (so all its
 * documents were valid, and every Sigma document compiled), then saves the cache. Files with any
 * diagnostic are never cached: they are read again next time and report again.
 */
export function remember(cache: FileCache | undefined, fresh: readonly Source[], classified: readonly Doc[], valid: readonly Doc[], sigma: ReadonlyMap<Doc, SigmaCompiled>, ctx: CompileContext): void {
  if (!cache) return;
  const validSet = new Set(valid);
  const bySource = new Map<Source, Doc[]>();
  for (const doc of classified) {
    const list = bySource.get(doc.source);
    if (list) list.push(doc);
    else bySource.set(doc.source, [doc]);
  }
  for (const source of fresh) {
    const docs = bySource.get(source);
    if (!docs || ctx.hasDiagnosticIn(source.path)) continue;
    if (!docs.every((d) => validSet.has(d) && (!isSigmaKind(d.kind) || sigma.has(d)))) continue;
    cache.put(source, docs.map((d) => {
      const compiled = sigma.get(d);
      return { index: d.index, kind: d.kind, name: d.name, nameSpan: { start: d.nameSpan.start, end: d.nameSpan.end }, data: d.data, ...(compiled ? { sigma: compiled } : {}) };
    }));
  }
  cache.save();
}
