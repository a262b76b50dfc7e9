import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';

/** A real git repository in a temporary directory, with scripted commits. */
export interface GitRepo {
  readonly dir: string;
  readonly git: SimpleGit;
  /** Writes files (path → content) into the working tree, creating folders. */
  write(files: Readonly<Record<string, string>>): void;
  /** Writes files, stages everything and commits; returns the commit id. */
  commit(message: string, files?: Readonly<Record<string, string>>): Promise<string>;
  remove(): void;
}

/** Creates an empty repository with a fixed identity and no signing, so tests run anywhere. */
export async function createGitRepo(prefix = 'vigil-git-'): Promise<GitRepo> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const git = simpleGit(dir);
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.name', 'Vigil Test');
  await git.addConfig('user.email', 'test@vigil.invalid');
  await git.addConfig('commit.gpgsign', 'false');
  const write = (files: Readonly<Record<string, string>>): void => {
    for (const [rel, content] of Object.entries(files)) {
      const abs = path.join(dir, rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, content);
    }
  };
  return {
    dir,
    git,
    write,
    async commit(message, files = {}) {
      write(files);
      await git.add(['-A']);
      await git.commit(message, undefined, { '--allow-empty': null });
      return (await git.revparse(['HEAD'])).trim();
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
