import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeArtifacts } from '../../../runtime/bundle/repo-files.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (text: string) => new TextEncoder().encode(text);
/** The inode of a file: a rewrite (temp file + rename) gives it a new one. */
const inode = (rel: string) => statSync(path.join(dir, rel)).ino;

describe('writing OUT', () => {
  it('leaves files that already hold the bytes alone and replaces every kind of difference', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-repo-files-'));
    const long = 'x'.repeat(2000);
    const first = [
      { path: 'targets/same.json', bytes: bytes(`${long}same`) },
      { path: 'targets/tail.json', bytes: bytes(`${long}AAAA`) },
      { path: 'targets/head.json', bytes: bytes(`A${long}`) },
      { path: 'targets/size.json', bytes: bytes('short') },
    ];
    await writeArtifacts(dir, first);
    const before = Object.fromEntries(first.map((a) => [a.path, inode(a.path)]));
    await writeArtifacts(dir, [
      { path: 'targets/same.json', bytes: bytes(`${long}same`) },
      // Same size: one differs at its end (caught by the tail), one only at its start (by the whole compare).
      { path: 'targets/tail.json', bytes: bytes(`${long}BBBB`) },
      { path: 'targets/head.json', bytes: bytes(`B${long}`) },
      { path: 'targets/size.json', bytes: bytes('longer text') },
    ]);
    expect(inode('targets/same.json')).toBe(before['targets/same.json']);
    for (const [rel, text] of [['targets/tail.json', `${long}BBBB`], ['targets/head.json', `B${long}`], ['targets/size.json', 'longer text']] as const) {
      expect(readFileSync(path.join(dir, rel), 'utf8')).toBe(text);
      expect(inode(rel)).not.toBe(before[rel]);
    }
  });
});
