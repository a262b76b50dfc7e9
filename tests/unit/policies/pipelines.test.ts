import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { REPO_ROOT } from '../../helpers/cli.js';
import { CORPUS, SIGMAHQ, assertCorpus, corpusTest, parseConcatenatedJson, sigmaRuleFiles } from '../../conformance/corpus.js';
import { PIPELINES_DIR, inEntry, readPipeline, selectEntry, type PipelineFile } from '../../conformance/windows-pipeline.js';

const pipelineFiles = fs.readdirSync(PIPELINES_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const windows = readPipeline('windows');

/** Windows logsources with no event log channel: they stay unconstrained on purpose. */
const UNMAPPED = new Set(['category=file_access', 'category=file_rename', '']);

function loadValidator(): ReturnType<Ajv2020['compile']> {
  const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schema/common.schema.json'), 'utf8')) as object);
  return ajv.compile(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schema/pipeline.schema.json'), 'utf8')) as object);
}

function logsourceKey(ls: Record<string, unknown>): string {
  return ['product', 'category', 'service']
    .filter((k) => ls[k] !== undefined && !(k === 'product' && ls[k] === 'windows'))
    .map((k) => `${k}=${String(ls[k])}`)
    .join(',');
}

describe('policies/pipelines', () => {
  test('every pipeline file validates against schema/pipeline.schema.json', () => {
    const validate = loadValidator();
    const offenders: string[] = [];
    for (const file of pipelineFiles) {
      const doc = parseDocument(fs.readFileSync(path.join(PIPELINES_DIR, file), 'utf8'));
      if (doc.errors.length > 0) offenders.push(`${file}: ${doc.errors[0]!.message}`);
      else if (!validate(doc.toJS())) offenders.push(`${file}: ${JSON.stringify(validate.errors)}`);
    }
    expect(pipelineFiles).toContain('windows.yml');
    expect(offenders).toEqual([]);
  });

  test('each pipeline is named after its file', () => {
    for (const file of pipelineFiles) {
      const doc = parse(fs.readFileSync(path.join(PIPELINES_DIR, file), 'utf8')) as PipelineFile;
      expect(doc.metadata.name, file).toBe(file.replace(/\.ya?ml$/, ''));
    }
  });

  test('no two entries of the windows pipeline select the same logsource', () => {
    const seen = new Map<string, number>();
    for (const entry of windows.spec.logsources) {
      const key = JSON.stringify(Object.entries(entry.logsource).sort());
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
  });

  test('process_creation covers Sysmon 1 and Security 4688 with Sysmon field names', () => {
    const entry = selectEntry(windows, { product: 'windows', category: 'process_creation' })!;
    expect(inEntry(entry, { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1 })).toBe(true);
    expect(inEntry(entry, { Channel: 'security', EventID: 4688 })).toBe(true);
    expect(inEntry(entry, { Event: { System: { Channel: 'Security', EventID: { '#text': '4688' } } } })).toBe(true);
    expect(inEntry(entry, { Channel: 'Security', EventID: 4689 })).toBe(false);
    const security = entry.variants.find((v) => v.channel === 'Security')!;
    expect(security.fieldMap).toMatchObject({ Image: 'NewProcessName', ParentImage: 'ParentProcessName' });
  });

  test('the most specific entry wins: a Sysmon category is narrower than the sysmon service', () => {
    const entry = selectEntry(windows, { product: 'windows', service: 'sysmon', category: 'dns_query' })!;
    expect(entry.logsource).toEqual({ product: 'windows', category: 'dns_query' });
    expect(selectEntry(windows, { product: 'linux', category: 'process_creation' })).toBeUndefined();
  });

  corpusTest('every category and service of SigmaHQ Windows rules has an entry', () => {
    assertCorpus();
    const missing = new Map<string, string>();
    for (const file of sigmaRuleFiles()) {
      const rule = parse(fs.readFileSync(file, 'utf8')) as { logsource?: Record<string, unknown> };
      const ls = rule.logsource ?? {};
      const windowsRule = ls.product === 'windows' || (ls.product === undefined && ls.category === 'antivirus');
      if (!windowsRule) continue;
      const key = logsourceKey(ls);
      const entry = selectEntry(windows, ls);
      const hasOwn = entry && Object.keys(entry.logsource).some((k) => k !== 'product');
      if (!hasOwn && !UNMAPPED.has(key)) missing.set(key, path.relative(SIGMAHQ, file));
    }
    expect([...missing].map(([k, f]) => `${k} (e.g. ${f})`)).toEqual([]);
  });

  corpusTest("every regression event belongs to its rule's logsource", () => {
    assertCorpus();
    const offenders: string[] = [];
    let checked = 0;
    for (const file of sigmaRuleFiles()) {
      const rule = parse(fs.readFileSync(file, 'utf8')) as { id: string; logsource: Record<string, unknown>; regression_tests_path?: string };
      if (!rule.regression_tests_path) continue;
      const entry = selectEntry(windows, rule.logsource);
      if (!entry) continue;
      const events = parseConcatenatedJson(
        fs.readFileSync(path.join(SIGMAHQ, path.dirname(rule.regression_tests_path), `${rule.id}.json`), 'utf8'),
      );
      for (const event of events) {
        checked++;
        if (!inEntry(entry, event as Record<string, any>)) offenders.push(path.relative(SIGMAHQ, file));
      }
    }
    expect(checked).toBeGreaterThanOrEqual(200);
    expect(offenders).toEqual([]);
  });

  corpusTest('every OTRF event channel is named by the windows pipeline', () => {
    assertCorpus();
    const channels = new Set(
      windows.spec.logsources.flatMap((e) => e.variants.flatMap((v) => (Array.isArray(v.channel) ? v.channel : [v.channel]))).map((c) => c.toLowerCase()),
    );
    const dir = path.join(CORPUS, 'events');
    const unknown = new Set<string>();
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.name.endsWith('.jsonl')) {
          for (const line of fs.readFileSync(full, 'utf8').split('\n')) {
            if (!line.trim()) continue;
            const channel = String((JSON.parse(line) as { Channel?: string }).Channel ?? '');
            if (!channels.has(channel.toLowerCase())) unknown.add(channel);
          }
        }
      }
    };
    walk(dir);
    expect([...unknown]).toEqual([]);
  });
});
