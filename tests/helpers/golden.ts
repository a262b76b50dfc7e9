import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/** Whether this run may rewrite golden files (`UPDATE_GOLDEN=1 npm test`). */
export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

/**
 * Compares `actual` with the golden file byte for byte. Only UPDATE_GOLDEN=1 writes it;
 * a missing golden file is a failure, never silently created (STYLE.md §12).
 */
export function expectGolden(actual: string, file: string): void {
  if (UPDATE_GOLDEN) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it, then review it`);
  expect(actual, `output differs from ${file} (UPDATE_GOLDEN=1 regenerates it)`).toBe(readFileSync(file, 'utf8'));
}
