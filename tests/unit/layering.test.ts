import path from 'node:path';
import { Project } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * Enforces the one-way import rules of STYLE.md §8.1: pure leaves at the bottom, the
 * compiler, targets and the agent beside each other, the CLI on top.
 */

type Layer = 0 | 1 | 2 | 3;

/** The layer of a repository-relative file path, or undefined for files outside the layering. */
function layerOf(rel: string): Layer | undefined {
  if (rel.startsWith('schema/generated/')) return 0;
  if (rel.startsWith('runtime/bundle/') || rel.startsWith('runtime/engine/') || rel === 'runtime/refusals.ts') return 1;
  if (/^compiler\/(source|span|reporter|ir)\.ts$/.test(rel) || rel.startsWith('compiler/diagnostics/')) return 1;
  if (rel.startsWith('compiler/') || rel.startsWith('targets/') || rel.startsWith('runtime/')) return 2;
  if (rel.startsWith('bin/') || rel.startsWith('bench/')) return 3;
  return undefined;
}

/** The top folder that names a layer-2 area (compiler, targets, runtime). */
function area(rel: string): string {
  return rel.split('/')[0] ?? '';
}

interface Edge {
  readonly from: string;
  readonly to: string;
}

/** Every relative import and re-export between project files. */
function importEdges(): Edge[] {
  const project = new Project({ skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true });
  project.addSourceFilesAtPaths(['schema/generated/**/*.ts', 'compiler/**/*.ts', 'runtime/**/*.ts', 'targets/**/*.ts', 'bin/**/*.ts', 'bench/**/*.ts'].map((g) => path.join(REPO_ROOT, g)));
  const edges: Edge[] = [];
  for (const file of project.getSourceFiles()) {
    const from = path.relative(REPO_ROOT, file.getFilePath()).split(path.sep).join('/');
    const specifiers = [
      ...file.getImportDeclarations().map((d) => d.getModuleSpecifierValue()),
      ...file.getExportDeclarations().map((d) => d.getModuleSpecifierValue()).filter((s): s is string => s !== undefined),
    ];
    for (const spec of specifiers) {
      if (!spec.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)).replace(/\.js$/, '.ts');
      edges.push({ from, to: target });
    }
  }
  return edges;
}

/** Why an import breaks the layering, or undefined when it is allowed. */
function violation(edge: Edge): string | undefined {
  const a = layerOf(edge.from);
  const b = layerOf(edge.to);
  if (a === undefined) return undefined;
  if (edge.to.startsWith('tests/')) return 'source files never import tests';
  if (b === undefined) return `imports a file outside the layered folders`;
  if (b > a) return `layer ${a} imports layer ${b}`;
  if (a === 2 && b === 2 && area(edge.from) !== area(edge.to)) return `${area(edge.from)}/ imports ${area(edge.to)}/ sideways`;
  if (a === 2 && area(edge.from) === 'runtime' && (edge.to.startsWith('compiler/') || edge.to.startsWith('targets/'))) {
    return 'the agent runtime never imports the compiler or targets';
  }
  return undefined;
}

describe('layering', () => {
  it('every import goes down or within its layer (STYLE.md §8.1)', () => {
    const edges = importEdges();
    expect(edges.length).toBeGreaterThan(0);
    const offenders = edges.flatMap((e) => {
      const why = violation(e);
      return why ? [`${e.from} -> ${e.to}: ${why}`] : [];
    });
    expect(offenders).toEqual([]);
  });

  it('flags an upward import', () => {
    expect(violation({ from: 'runtime/engine/evaluate.ts', to: 'compiler/stages/parse.ts' })).toMatch(/layer 1 imports layer 2/);
    expect(violation({ from: 'runtime/agent.ts', to: 'compiler/span.ts' })).toMatch(/never imports the compiler/);
    expect(violation({ from: 'targets/diagnostics/pretty.ts', to: 'compiler/source.ts' })).toBeUndefined();
  });
});
