import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CODES, type CodeId } from '../../../compiler/diagnostics/codes.js';
import { BROKEN_DIR, DOC_FILE, EXAMPLE_ELSEWHERE, exampleDir, renderDiagnosticsDoc } from '../../../scripts/gen-diagnostics-doc.js';

const IDS = Object.keys(CODES) as CodeId[];

describe('diagnostics catalog', () => {
  test('docs/diagnostics.md is generated from the current catalog and examples', () => {
    const fresh = renderDiagnosticsDoc();
    const current = existsSync(DOC_FILE) ? readFileSync(DOC_FILE, 'utf8') : '';
    expect(current === fresh, 'docs/diagnostics.md is stale: run `node --import tsx scripts/gen-diagnostics-doc.ts`').toBe(true);
  });

  test('every code is documented in docs/diagnostics.md', () => {
    const doc = readFileSync(DOC_FILE, 'utf8');
    const missing = IDS.filter((id) => !doc.includes(`## ${id} ${CODES[id].slug}`));
    expect(missing).toEqual([]);
  });

  test('every active code has an example in examples/broken (or a stated reason why not)', () => {
    const missing = IDS.filter((id) => !CODES[id].retired && exampleDir(id) === undefined && EXAMPLE_ELSEWHERE[id] === undefined);
    expect(missing, `codes without examples/broken/<CODE>-<slug>/: ${missing.join(', ')}`).toEqual([]);
  });

  test('every example folder names a real code with its slug and has golden output', () => {
    const bad: string[] = [];
    for (const name of readdirSync(BROKEN_DIR)) {
      const [code] = name.split('-', 1);
      const info = CODES[code as CodeId];
      if (info === undefined || name !== `${code}-${info.slug}`) bad.push(`${name}: expected <CODE>-<slug> of a catalog code`);
      for (const f of ['expected.pretty.txt', 'expected.json']) if (!existsSync(path.join(BROKEN_DIR, name, f))) bad.push(`${name}: missing ${f}`);
    }
    expect(bad).toEqual([]);
  });

  test('messages follow the style: lowercase start, no final period; slugs are kebab-case', () => {
    const bad = IDS.filter((id) => {
      const { message, slug } = CODES[id];
      return /^[A-Z]/.test(message) || message.endsWith('.') || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug);
    });
    expect(bad).toEqual([]);
  });
});
