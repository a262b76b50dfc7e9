import { parseAllDocuments, visit, type Document, type Node, type Scalar } from 'yaml';
import { diag } from '../diagnostics/diagnostic.js';
import { fileStart, span, spanOfNode } from '../span.js';
import type { Source } from '../source.js';
import type { CompileContext } from '../context.js';

/** One parsed YAML document of a source, with its plain-data value computed once. */
export interface YamlDoc {
  readonly source: Source;
  /** The yaml package's document: nodes keep their source ranges for spans. */
  readonly doc: Document.Parsed;
  /** Position of the document in its file (0-based). */
  readonly index: number;
  /** `doc.toJS()`, computed exactly once here. */
  readonly data: unknown;
}

/** Alias expansions allowed per document; real policy never comes close (billion-laughs guard). */
export const MAX_ALIAS_COUNT = 100;

/**
 * Parses every source into YAML documents. A document with a syntax error, a duplicate
 * key or an alias bomb is reported and dropped; the other documents and files go on.
 */
export function parse(sources: readonly Source[], ctx: CompileContext): YamlDoc[] {
  const out: YamlDoc[] = [];
  sources.forEach((source, i) => {
    parseSource(source, ctx, out);
    if (i % 200 === 0) ctx.progress('parse', i, sources.length);
  });
  ctx.progress('parse', sources.length, sources.length);
  return out;
}

/** The YAML documents of a text, parsed exactly as the parse stage does (positions kept). */
export function parseDocuments(text: string): Document.Parsed[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  return Array.isArray(docs) ? docs : [];
}

function parseSource(source: Source, ctx: CompileContext, out: YamlDoc[]): void {
  const list = parseDocuments(source.text);
  let seen = 0;
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) return reportErrors(source, doc, ctx);
    if (doc.contents === null) return;
    seen++;
    const data = toData(source, doc, ctx);
    if (data !== undefined) out.push({ source, doc, index, data: data.value });
  });
  if (seen === 0 && !list.some((d) => d.errors.length > 0)) ctx.report(diag('VG1009', fileStart(source.path)));
}

/** Maps the yaml package's errors to diagnostics; resource exhaustion is reported once. */
function reportErrors(source: Source, doc: Document.Parsed, ctx: CompileContext): void {
  const file = source.path;
  const exhausted = doc.errors.find((e) => e.code === 'RESOURCE_EXHAUSTION');
  if (exhausted) {
    ctx.report(diag('VG1005', span(file, exhausted.pos[0], exhausted.pos[1])));
    return;
  }
  if (doc.errors.some((e) => e.code === 'DUPLICATE_KEY')) reportDuplicateKeys(file, doc, ctx);
  for (const error of doc.errors) {
    if (error.code === 'DUPLICATE_KEY') continue;
    ctx.report(diag('VG1001', span(file, error.pos[0], error.pos[1]), { detail: yamlMessage(error.message) }));
  }
}

/** yaml's first message line, lowercased like every other message, quoted input shortened. */
function yamlMessage(message: string): string {
  const first = (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  // Quoted source text is cut short so a secret on a malformed line is never echoed whole.
  const safe = first.replace(/"([^"]{12})[^"]*"/g, '"$1…"');
  return safe.charAt(0).toLowerCase() + safe.slice(1);
}

/** Finds each repeated key itself, so the diagnostic can also point at the first one. */
function reportDuplicateKeys(file: string, doc: Document.Parsed, ctx: CompileContext): void {
  visit(doc, {
    Map(_key, map) {
      const first = new Map<string, Node>();
      for (const pair of map.items) {
        const key = pair.key as Scalar | null;
        if (key === null || typeof key !== 'object' || !('value' in key)) continue;
        const name = String(key.value);
        const earlier = first.get(name);
        if (earlier === undefined) first.set(name, key);
        else ctx.report(diag('VG1002', spanOfNode(file, key), { key: shortKey(name) }, { label: 'repeated here', related: [{ span: spanOfNode(file, earlier), message: 'first defined here' }] }));
      }
    },
  });
}

function shortKey(name: string): string {
  return name.length > 60 ? `${name.slice(0, 57)}…` : name;
}

/** Converts a document to plain data once; alias bombs and unresolved aliases are reported. */
function toData(source: Source, doc: Document.Parsed, ctx: CompileContext): { value: unknown } | undefined {
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const file = source.path;
    if (/alias count/i.test(message)) {
      ctx.report(diag('VG1003', spanOfNode(file, firstAlias(doc) ?? doc.contents), { limit: MAX_ALIAS_COUNT }));
    } else if (/unresolved alias/i.test(message)) {
      const name = /: (.*)$/.exec(message)?.[1] ?? '';
      ctx.report(diag('VG1004', spanOfNode(file, firstAlias(doc, name) ?? doc.contents), { alias: name }));
    } else if (error instanceof RangeError) {
      ctx.report(diag('VG1005', spanOfNode(file, doc.contents)));
    } else {
      ctx.report(diag('VG9000', spanOfNode(file, doc.contents), { detail: message }));
    }
    return undefined;
  }
}

/** The first alias node in the document (optionally with a given anchor name). */
function firstAlias(doc: Document.Parsed, name?: string): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (name !== undefined && node.source !== name) return undefined;
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}
