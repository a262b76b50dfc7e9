import { describe, expect, it } from 'vitest';
import { bundleTargetPath, fileRole, groupOfTargetPath, isSafePath, isSafeSegment } from '../../../runtime/bundle/layout.js';

describe('layout names', () => {
  it('accepts safe names and paths', () => {
    for (const ok of ['g1', 'domain-controllers', 'ring.0', 'A_b']) expect(isSafeSegment(ok)).toBe(true);
    expect(isSafePath('groups/g1/bundle.json')).toBe(true);
  });

  it('refuses traversal, absolute paths, backslashes, empty parts and odd characters', () => {
    for (const bad of ['..', '.', '.hidden', 'a..b', 'a/b', 'a\\b', '', 'a b', 'é', 'x'.repeat(65), '-x']) expect(isSafeSegment(bad), bad).toBe(false);
    for (const bad of ['../etc/passwd', '/etc/passwd', 'groups//g1', 'groups/g1/', 'C:\\x', 'groups/../g1', 'a/%2e%2e/b']) expect(isSafePath(bad), bad).toBe(false);
  });

  it('classifies OUT files and maps groups to target paths', () => {
    expect(fileRole('3.root.json')).toEqual({ kind: 'root', version: 3 });
    expect(fileRole('timestamp.json')).toEqual({ kind: 'timestamp' });
    expect(fileRole('targets/groups/g1/bundle.json')).toEqual({ kind: 'target', targetPath: 'groups/g1/bundle.json' });
    expect(fileRole('0.root.json')).toEqual({ kind: 'unknown' });
    expect(groupOfTargetPath(bundleTargetPath('dc'))).toBe('dc');
    expect(groupOfTargetPath('groups/dc/other.json')).toBeUndefined();
  });
});
