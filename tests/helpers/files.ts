import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes `text` to `dir/rel`, creating folders; returns the file's path. */
export function writeFileIn(dir: string, rel: string, text: string): string {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Writes every `relative path -> text` entry under `dir`. */
export function writeFilesIn(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [rel, text] of Object.entries(files)) writeFileIn(dir, rel, text);
}
