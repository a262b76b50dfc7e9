import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { main } from '../../bin/main.js';
import { memoryIo } from '../helpers/memory-io.js';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * Sigma conformance cases written from the specification, as data (tests/golden/eval/*.yaml).
 * Each case is run through `vigil eval` in-process, with its rules and events written to real files.
 */

type Json = Record<string, unknown>;

interface SpecCase {
  readonly name: string;
  /** Section of the Sigma specification the expectation comes from. */
  readonly spec: string;
  /** One YAML string (may hold several documents), or a list of rule objects. */
  readonly rules: string | Json[];
  readonly events: Json[];
  /** Expected output lines; only the listed keys are compared. */
  readonly want?: Json[];
  /** Expected diagnostic code prefix (e.g. `VG6`), with a non-zero exit. */
  readonly error?: string;
  /** Logsource pipeline to pass as `--pipeline`. */
  readonly pipeline?: string;
  /** Further `vigil eval` arguments, e.g. `--placeholder NAME=VALUE` for `|expand`. */
  readonly args?: readonly string[];
}

const CASES_DIR = path.join(REPO_ROOT, 'tests/golden/eval');
const caseFiles = fs.readdirSync(CASES_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-spec-cases-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

/** Rule objects get a title and a logsource when the case leaves them out, to keep cases short. */
function rulesText(c: SpecCase): string {
  if (typeof c.rules === 'string') return c.rules;
  return c.rules
    .map((r) => {
      const isRule = 'detection' in r;
      const full = isRule ? { title: c.name, logsource: { product: 'test' }, ...r } : { title: c.name, ...r };
      return stringify(full, { lineWidth: 0 });
    })
    .join('---\n');
}

/** Key that identifies an output line for the set comparison: rule and event, or rule alone. */
function pairKey(rule: unknown, event: unknown): string {
  return event === undefined ? `${String(rule)} (any event)` : `${String(rule)} @ event ${String(event)}`;
}

async function runCase(file: string, index: number, c: SpecCase): Promise<void> {
  const dir = path.join(tmpRoot, `${path.basename(file, path.extname(file))}-${index}`);
  fs.mkdirSync(dir, { recursive: true });
  const rulesFile = path.join(dir, 'rules.yml');
  const eventsFile = path.join(dir, 'events.jsonl');
  fs.writeFileSync(rulesFile, rulesText(c));
  fs.writeFileSync(eventsFile, c.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const args = ['eval', '--rules', rulesFile, '--events', eventsFile, ...(c.pipeline ? ['--pipeline', c.pipeline] : []), ...(c.args ?? [])];
  const io = memoryIo(dir);
  const code = await main(args, io);

  if (c.error !== undefined) {
    expect(code, `expected a failing exit; stdout: ${io.stdout.text}`).not.toBe(0);
    const codes = [...io.stderr.text.matchAll(/\b(V[GR]\d{4})\b/g)].map((m) => m[1]!);
    expect(codes.some((k) => k.startsWith(c.error!)), `expected a ${c.error} diagnostic, stderr: ${io.stderr.text}`).toBe(true);
    return;
  }

  expect(code, `vigil eval exit code; stderr: ${io.stderr.text}`).toBe(0);
  const out = io.stdout.text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Json);
  const want = c.want ?? [];
  // Correlation alerts are wanted by rule alone; detections by rule and event.
  const byRuleOnly = new Set(want.filter((w) => !('event' in w)).map((w) => String(w.rule)));
  const keyOf = (o: Json): string => pairKey(o.rule, byRuleOnly.has(String(o.rule)) ? undefined : o.event);
  const got = [...new Set(out.map(keyOf))].sort();
  const expected = [...new Set(want.map(keyOf))].sort();
  expect(got, `matches printed by vigil eval (stderr: ${io.stderr.text})`).toEqual(expected);
  for (const w of want) {
    const line = out.find((o) => keyOf(o) === keyOf(w));
    expect(line).toMatchObject(w);
  }
}

const allCases: Array<{ file: string; index: number; c: SpecCase }> = [];
const unreadable: Array<{ file: string; message: string }> = [];
for (const file of caseFiles) {
  try {
    const doc = parse(fs.readFileSync(path.join(CASES_DIR, file), 'utf8')) as { cases: SpecCase[] };
    doc.cases.forEach((c, index) => allCases.push({ file, index, c }));
  } catch (error) {
    unreadable.push({ file, message: error instanceof Error ? error.message : String(error) });
  }
}

describe('Sigma specification cases', () => {
  test('the case files are well formed and there are at least 100 cases', () => {
    const problems: string[] = [];
    const names = new Set<string>();
    for (const { file, c } of allCases) {
      const id = `${file}: ${c.name}`;
      if (names.has(id)) problems.push(`${id}: duplicate case name`);
      names.add(id);
      if (!c.spec) problems.push(`${id}: no spec reference`);
      if ((c.want === undefined) === (c.error === undefined)) problems.push(`${id}: needs exactly one of want and error`);
      if (!Array.isArray(c.events)) problems.push(`${id}: events must be a list`);
    }
    expect(unreadable).toEqual([]);
    expect(problems).toEqual([]);
    expect(allCases.length).toBeGreaterThanOrEqual(100);
  });

  for (const { file, index, c } of allCases) {
    test(`${file}: ${c.name}`, () => runCase(file, index, c));
  }
});
