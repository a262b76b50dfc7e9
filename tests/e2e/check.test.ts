import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createGitRepo } from '../helpers/git-repo.js';
import { SCHEMAS } from '../../schema/generated/kinds.js';

/** `vigil check` through the real CLI: exit codes, every output format, --ref, secrets. */
const TMP = mkdtempSync(path.join(os.tmpdir(), 'vigil-check-e2e-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const HOST = (name: string, extra = '') => `apiVersion: vigil/v1\nkind: Host\nmetadata:\n  name: ${name}\nspec:\n  hostname: ${name}.contoso.local\n${extra}`;
const BROKEN = 'examples/broken/VG2001-unknown-field';

function repo(name: string, files: Record<string, string>): string {
  const dir = path.join(TMP, name);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

describe('exit codes', () => {
  test('0 for a clean repository, with the summary', async () => {
    const r = await runCli(['check', 'examples/msp']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^checked \d+ files, \d+ valid documents$/m);
    expect(r.stdout).toMatch(/^host groups:$/m);
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^0 errors, \d+ warnings?$/);
  });

  test.each(['examples/msp', 'examples/minimal', 'policies'])('every shipped policy directory passes: %s', async (dir) => {
    const r = await runCli(['check', dir, '--format', 'json']);
    const errors = r.stdout.split('\n').filter((l) => l.includes('"severity":"error"'));
    expect(errors).toEqual([]);
    expect(r.code).toBe(0);
  });

  test('0 when there are only warnings', async () => {
    const r = await runCli(['check', 'examples/broken/VG3005-empty-host-group']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning[VG3005]');
  });

  test('1 when there are errors', async () => {
    const r = await runCli(['check', BROKEN]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`error[VG2001]: unknown field \`cooldwn\` in ThreatScore \`spec\`\n  --> ${BROKEN}/threat-scores/recon.yaml:9:3\n`);
    expect(r.stdout.trimEnd().endsWith('1 error, 0 warnings')).toBe(true);
  });

  test.each([
    [['check', '--format', 'xml'], 'unknown format'],
    [['check', 'a', 'b'], 'at most one directory'],
    [['check', '--bogus'], 'bogus'],
    [['check', 'no/such/dir'], 'VG1012'],
  ])('2 for usage errors: %j', async (args, text) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(text);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('--help documents flags, formats and exit codes', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['--ref', '--format', 'sarif', 'github', 'Exit codes']) expect(r.stdout).toContain(word);
  });
});

describe('output formats', () => {
  test('json: one diagnostic per line, valid against schema/diagnostic.schema.json', async () => {
    const r = await runCli(['check', 'examples/broken/VG4001-duplicate-id', '--format', 'json']);
    expect(r.code).toBe(1);
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(SCHEMAS['https://vigil.dev/schema/v1/diagnostic.schema.json']!);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const d = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(validate(d), JSON.stringify(validate.errors)).toBe(true);
    expect(d).toMatchObject({ code: 'VG4001', file: 'examples/broken/VG4001-duplicate-id/rules/whoami_copy.yml', line: 2, column: 5, endLine: 2, endColumn: 41 });
  });

  test('sarif: a SARIF 2.1.0 log with rules from the catalog and located results', async () => {
    const r = await runCli(['check', BROKEN, '--format', 'sarif']);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as { version: string; $schema: string; runs: { tool: { driver: { name: string; rules: { id: string; shortDescription: { text: string } }[] } }; results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }[] }[] }[] };
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    const run = log.runs[0]!;
    expect(run.tool.driver.name).toBe('vigil');
    const ids = run.tool.driver.rules.map((x) => x.id);
    expect(ids).toContain('VG2001');
    expect(ids).toContain('VG4006');
    expect(run.results).toHaveLength(1);
    const result = run.results[0]!;
    expect(result).toMatchObject({ ruleId: 'VG2001', level: 'error' });
    expect(ids[result.ruleIndex]).toBe('VG2001');
    expect(result.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: `${BROKEN}/threat-scores/recon.yaml` },
      region: { startLine: 9, startColumn: 3, endLine: 9, endColumn: 10 },
    });
  });

  test('github: workflow annotations with %-escaping', async () => {
    const dir = repo('gh', { 'a,b:c%.yaml': HOST('ws-001', '  locaton: x\n') });
    const rel = path.relative(process.cwd(), dir).split(path.sep).join('/');
    const r = await runCli(['check', dir, '--format', 'github']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`::error file=${rel.replace(/:/g, '%3A').replace(/,/g, '%2C')}/a%2Cb%3Ac%25.yaml,line=7,col=3,endLine=7,endColumn=10,title=VG2001::unknown field \`locaton\` in Host \`spec\`%0Ahint: did you mean \`location\`?`);
    expect(lines[1]).toBe('1 error, 0 warnings in 1 file');
  });

  test('pretty is colourless without a TTY', async () => {
    const r = await runCli(['check', BROKEN]);
    expect(r.stdout).not.toContain('\u001b[');
  });
});

describe('--ref', () => {
  test('checks committed content, not uncommitted working-tree edits; paths relative to DIR', async () => {
    const git = await createGitRepo();
    try {
      await git.commit('clean policies', { 'policies/hosts/ws-001.yaml': HOST('ws-001'), 'README.md': 'x\n' });
      git.write({ 'policies/hosts/ws-001.yaml': HOST('ws-001', '  locaton: x\n') });
      const dir = path.join(git.dir, 'policies');
      const head = await runCli(['check', '.', '--ref', 'HEAD', '--format', 'json'], { cwd: dir });
      expect([head.code, head.stdout]).toEqual([0, '']);
      const tree = await runCli(['check', '.', '--format', 'json'], { cwd: dir });
      expect(tree.code).toBe(1);
      expect(JSON.parse(tree.stdout.trim())).toMatchObject({ code: 'VG2001', file: 'hosts/ws-001.yaml', line: 7 });
      // A second commit with the error: now the ref sees it, at the same place.
      await git.commit('add a typo');
      const head2 = await runCli(['check', '.', '--ref', 'main', '--format', 'json'], { cwd: dir });
      expect(head2.code).toBe(1);
      expect(JSON.parse(head2.stdout.trim())).toMatchObject({ code: 'VG2001', file: 'hosts/ws-001.yaml', line: 7, column: 3 });
      const old = await runCli(['check', '.', '--ref', 'HEAD~1'], { cwd: dir });
      expect(old.code).toBe(0);
      expect(old.stdout).toContain('checked 1 file');
    } finally {
      git.remove();
    }
  });

  test('package rule tests read their events file from the ref, not from the working tree', async () => {
    const git = await createGitRepo();
    const rule = [
      'title: Whoami',
      'id: 0b3f1d2e-7c4a-4a57-9a31-2f6f0d3c9e11',
      'logsource: {product: windows, category: process_creation}',
      'detection:',
      "  selection: {Image|endswith: '\\whoami.exe'}",
      '  condition: selection',
      '',
    ].join('\n');
    const pkg = [
      'apiVersion: vigil/v1',
      'kind: Package',
      'metadata: {name: recon}',
      'spec:',
      '  version: 1.0.0',
      '  rules: {paths: [rules/whoami.yml]}',
      '  tests:',
      '    - {name: whoami is seen, rule: 0b3f1d2e-7c4a-4a57-9a31-2f6f0d3c9e11, eventsFile: events/sample.jsonl, expectMatches: 1}',
      '',
    ].join('\n');
    const hit = JSON.stringify({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\Windows\\System32\\whoami.exe' }) + '\n';
    try {
      await git.commit('recon package', { 'rules/whoami.yml': rule, 'packages/recon.yaml': pkg, 'events/sample.jsonl': hit });
      // The working tree loses the matching event: only the committed file may be used with --ref.
      git.write({ 'events/sample.jsonl': '{"EventID": 4624}\n' });
      const atRef = await runCli(['check', '.', '--ref', 'HEAD', '--format', 'json'], { cwd: git.dir });
      expect([atRef.code, atRef.stdout]).toEqual([0, '']);
      const tree = await runCli(['check', '.', '--format', 'json'], { cwd: git.dir });
      expect(tree.code).toBe(1);
      expect(JSON.parse(tree.stdout.trim().split('\n')[0]!)).toMatchObject({ code: 'VG6020', file: 'packages/recon.yaml' });
    } finally {
      git.remove();
    }
  });

  test('an unknown ref is a usage error (exit 2)', async () => {
    const git = await createGitRepo();
    try {
      await git.commit('one', { 'h.yaml': HOST('ws-001') });
      const r = await runCli(['check', git.dir, '--ref', 'no-such-branch']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('VG1012');
    } finally {
      git.remove();
    }
  });
});

describe('secrets', () => {
  const SECRETS = ['AKIAIOSFODNN7EXAMPLE', 'ghp_R2d2C3poBb8Ee1Ll9Kk0Jj7Hh6Gg5Ff4Dd3Xx', 'Winter2026!Pa55', 'xoxb-1234567890-abcdefghijklmnop'];
  test.each(['pretty', 'json', 'sarif', 'github'])('the plaintext never appears in --format %s', async (format) => {
    const dir = repo(`secret-${format}`, {
      'credentials/smtp.yaml': 'apiVersion: vigil/v1\nkind: Credential\nmetadata:\n  name: smtp\nspec:\n  type: smtp\n  smtp:\n    username: alerts@contoso.example\n    password: Winter2026!Pa55\n',
      'actions/a.yaml': `apiVersion: vigil/v1\nkind: Action\nmetadata:\n  name: a\n  description: "key ${SECRETS[0]} token ${SECRETS[1]}"\n  labels:\n    slack: ${SECRETS[3]}\nspec:\n  type: alert\n`,
    });
    const r = await runCli(['check', dir, '--format', format]);
    expect(r.code).toBe(1);
    expect((r.stdout.match(/VG4006/g) ?? []).length).toBeGreaterThanOrEqual(3);
    for (const s of SECRETS) {
      expect(r.stdout).not.toContain(s);
      expect(r.stderr).not.toContain(s);
    }
    if (format === 'pretty') expect(r.stdout).toContain('vigil secret seal');
  });
});
