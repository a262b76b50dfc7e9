import { describe, expect, it } from 'vitest';
import { code, compileTemplate, escapeMarkdown, fence, neutralizeCommands } from '../../../targets/templates.js';
import { exprLines } from '../../../targets/plan/detection-text.js';
import { planOf } from '../../../targets/plan/plan.js';
import { renderMarkdown } from '../../../targets/plan/render-md.js';
import { renderPlanGithub } from '../../../targets/plan/render-github.js';
import { renderPlanJson } from '../../../targets/plan/render-json.js';
import { endsWith, entry, group, rule } from './fixture.js';

const HOSTILE = 'Evil @octocat [x](javascript:alert(1)) <img src=x onerror=1> ** | ```\n::error::pwned';

describe('templates', () => {
  it('escapes every string at the boundary, even in a triple-stash', () => {
    const t = compileTemplate('{{a}} / {{{a}}}', escapeMarkdown);
    const out = t({ a: HOSTILE });
    expect(out).not.toMatch(/<img|\]\(javascript|@octocat|\n/);
    expect(out).toContain('&lt;img');
  });

  it('is strict and knows only its helpers', () => {
    expect(() => compileTemplate('{{missing}}', escapeMarkdown)({})).toThrow();
    expect(() => compileTemplate('{{lookupEvil a}}', escapeMarkdown)({ a: 1 })).toThrow();
  });

  it('code spans and fences cannot be closed by their content', () => {
    expect(code('a`b').text).toBe('``a`b``');
    const f = fence('x\n```\n::error::y').text;
    expect(f.startsWith('````\n')).toBe(true);
    expect(f.endsWith('\n````')).toBe(true);
  });

  it('neutralizes workflow commands at line starts', () => {
    expect(neutralizeCommands('a\n::error::x\n  ::warning::y')).toBe('a\n\u200b::error::x\n  \u200b::warning::y');
  });
});

describe('detection text', () => {
  it('prints short conditions on one line and long ones one value per line', () => {
    expect(exprLines({ op: 'or', args: [endsWith('\\a.exe'), { op: 'field', field: 'OriginalFileName', tests: [{ t: 'str', m: 'eq', v: "o'k.exe" }] }] })).toEqual([
      "Image endswith '\\a.exe' or OriginalFileName = 'o''k.exe'",
    ]);
    const many = Array.from({ length: 12 }, (_, i) => ({ t: 'str' as const, m: 'endswith' as const, v: `\\tool-number-${i}.exe` }));
    const lines = exprLines({ op: 'field', field: 'Image', tests: many });
    expect(lines[0]).toBe('Image endswith one of:');
    expect(lines).toHaveLength(13);
  });

  it('makes control characters visible', () => {
    expect(exprLines(endsWith('a\nb'))).toEqual(["Image endswith 'a\\u000ab'"]);
  });
});

describe('renderers', () => {
  const hostile = rule('r1', endsWith('x'), { title: HOSTILE });
  const plan = planOf([group('ws')], [group('ws', { rules: [entry(hostile, false)], credentials: [{ name: 'hec-token', type: 'hec-token' }] })], { base: 'main', head: 'topic' });

  it('Markdown: a rule title cannot inject Markdown, HTML, mentions or commands', () => {
    const md = renderMarkdown(plan);
    expect(md).toContain('## Vigil plan');
    expect(md).not.toMatch(/<img|\]\(javascript|@octocat|^::/m);
    expect(md).toContain('`hec-token`');
  });

  it('GitHub annotations: user text stays inside its annotation', () => {
    const out = renderPlanGithub(plan);
    for (const line of out.trimEnd().split('\n')) expect(line).toMatch(/^(::(warning|notice) |vigil plan )/);
  });

  it('JSON: deterministic, keys sorted', () => {
    expect(renderPlanJson(plan)).toBe(renderPlanJson(planOf([group('ws')], [group('ws', { rules: [entry(hostile, false)], credentials: [{ name: 'hec-token', type: 'hec-token' }] })], { base: 'main', head: 'topic' })));
    expect(Object.keys(JSON.parse(renderPlanJson(plan)) as object)).toEqual(['base', 'changes', 'groups', 'head', 'risks', 'unchangedGroups']);
  });
});
