import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compile, type CompileResult } from '../../../compiler/index.js';
import type { StageName } from '../../../compiler/pipeline.js';

/** Writes files into a fresh temporary directory and returns its path. */
export function tempRepo(files: Readonly<Record<string, string | Buffer>>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-unit-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** Compiles a repository made of the given files, up to a stage. */
export async function compileFiles(files: Readonly<Record<string, string | Buffer>>, until: StageName = 'check'): Promise<CompileResult> {
  return compile({ dir: tempRepo(files) }, { until });
}

/** `CODE file:start-end` for each diagnostic, for compact assertions on codes and spans. */
export function codesOf(result: CompileResult): string[] {
  return result.report.diagnostics.map((d) => `${d.code} ${d.span.file}`);
}

/** The text a diagnostic's span covers. */
export function spanText(result: CompileResult, index = 0): string {
  const d = result.report.diagnostics[index]!;
  return result.sources.get(d.span.file)!.text.slice(d.span.start, d.span.end);
}

/** A valid Host document. */
export const HOST = (name: string, labels = '') => `apiVersion: vigil/v1\nkind: Host\nmetadata:\n  name: ${name}\n${labels}spec:\n  hostname: ${name}.contoso.local\n`;

/** A valid Sigma rule with the given id and tag. */
export const RULE = (id: string, tag = 'attack.discovery') => `title: T\nid: ${id}\nstatus: test\ntags: [${tag}]\nlogsource: {category: process_creation, product: windows}\ndetection:\n  sel:\n    Image|endswith: '\\\\whoami.exe'\n  condition: sel\nlevel: low\n`;
