import { describe, expect, test } from 'vitest';
import { diag } from '../../../compiler/diagnostics/diagnostic.js';
import type { Source } from '../../../compiler/source.js';
import { renderPretty } from '../../../targets/diagnostics/pretty.js';
import { escapeData, escapeProperty, renderGithub } from '../../../targets/diagnostics/github.js';
import { renderJson } from '../../../targets/diagnostics/json.js';
import { renderSarif } from '../../../targets/diagnostics/sarif.js';
import type { RenderInput } from '../../../targets/diagnostics/locate.js';

const text = 'spec:\n  key: host\n  windw: 5m\n  threshold: 80\n';
const source: Source = { path: 'scores/recon.yaml', text, origin: { kind: 'worktree', root: '.' }, digest: '' };
const at = text.indexOf('windw');
const d = diag('VG2001', { file: source.path, start: at, end: at + 5 }, { field: 'windw', where: 'ThreatScore `spec`' }, { hint: 'did you mean `window`?', label: 'not allowed here' });
const input: RenderInput = { diagnostics: [d], sources: new Map([[source.path, source]]) };

describe('pretty', () => {
  test('prints a rustc-shaped code frame with a line of context either side', () => {
    expect(renderPretty(input)).toBe(
      [
        'error[VG2001]: unknown field `windw` in ThreatScore `spec`',
        ' --> scores/recon.yaml:3:3',
        '  |',
        '2 |   key: host',
        '3 |   windw: 5m',
        '  |   ^^^^^ not allowed here',
        '4 |   threshold: 80',
        '  |',
        '  = hint: did you mean `window`?',
        '',
      ].join('\n'),
    );
  });

  test('colours only when asked; never lets control characters through; redacts secret spans', () => {
    expect(renderPretty(input, { color: true })).toContain('\u001b[1;31merror[VG2001]');
    const evil: Source = { ...source, text: 'a: "\u001b[31mred\u0007"\n' };
    const out = renderPretty({ diagnostics: [diag('VG1001', { file: source.path, start: 3, end: 4 }, { detail: 'x' })], sources: new Map([[source.path, evil]]) });
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\u0007');
    const hidden = renderPretty({ ...input, redact: [{ file: source.path, start: at, end: at + 5 }] });
    expect(hidden).toContain('3 |   *****: 5m');
  });

  test('cuts long lines around the caret and expands tabs', () => {
    const long = `k: ${'x'.repeat(200)}BAD${'y'.repeat(200)}\n`;
    const s: Source = { ...source, text: long };
    const start = long.indexOf('BAD');
    const out = renderPretty({ diagnostics: [diag('VG1001', { file: source.path, start, end: start + 3 }, { detail: 'x' })], sources: new Map([[source.path, s]]) });
    const [, , , line, mark] = out.split('\n');
    expect(line!.length).toBeLessThan(130);
    expect(line!.indexOf('BAD')).toBe(mark!.indexOf('^^^'));
    const tabbed: Source = { ...source, text: '\tk: v\n' };
    const t = renderPretty({ diagnostics: [diag('VG1001', { file: source.path, start: 1, end: 2 }, { detail: 'x' })], sources: new Map([[source.path, tabbed]]) });
    expect(t).toContain('1 |     k: v\n  |     ^');
  });
});

describe('json, github, sarif', () => {
  test('json has 1-based lines and exclusive end columns', () => {
    expect(JSON.parse(renderJson(input))).toMatchObject({ file: 'scores/recon.yaml', line: 3, column: 3, endLine: 3, endColumn: 8 });
  });

  test('github escapes data and properties', () => {
    expect(escapeData('50%\r\nx')).toBe('50%25%0D%0Ax');
    expect(escapeProperty('a:b,c')).toBe('a%3Ab%2Cc');
    expect(renderGithub(input)).toBe('::error file=scores/recon.yaml,line=3,col=3,endLine=3,endColumn=8,title=VG2001::unknown field `windw` in ThreatScore `spec`%0Ahint: did you mean `window`?\n');
  });

  test('sarif has the driver rules and a located result', () => {
    const log = JSON.parse(renderSarif(input, { version: '1.2.3' }));
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].tool.driver.version).toBe('1.2.3');
    expect(log.runs[0].results[0].locations[0].physicalLocation.region).toEqual({ startLine: 3, startColumn: 3, endLine: 3, endColumn: 8 });
  });
});
