/**
 * A tuf-js Fetcher that serves an OUT directory from the file system instead of HTTP, so
 * `vigil verify` runs tuf-js's own Updater (every check of the TUF client workflow) offline.
 * It refuses names outside the safe set, never follows symlinks, checks the size before reading
 * (endless-data protection) and remembers exactly which bytes it served, for the tick-off.
 */
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Fetcher } from 'tuf-js';
import { DownloadHTTPError, DownloadLengthMismatchError } from 'tuf-js/dist/error.js';
import { isSafePath } from './layout.js';

/** A name the fetcher would not serve because it could escape OUT. */
export class UnsafeNameError extends Error {
  constructor(readonly unsafeName: string) {
    super(`unsafe name: ${unsafeName}`);
  }
}

/** Serves files of one directory to tuf-js by `file:` URL. */
export class LocalFetcher implements Fetcher {
  /** OUT-relative path → bytes served (and so checked by the Updater or by `TargetFile.verify`). */
  readonly served = new Map<string, Uint8Array>();
  readonly baseUrl: string;
  /** Directories of OUT already found to be directories themselves (not symlinks to one). */
  private readonly realDirectories = new Set<string>();
  private counter = 0;

  constructor(private readonly root: string, private readonly scratch: string) {
    this.baseUrl = pathToFileURL(path.resolve(root)).href.replace(/\/?$/, '/');
  }

  /** The OUT-relative path a URL names; throws for anything outside OUT or outside the safe set. */
  relativePath(url: string): string {
    if (!url.startsWith(this.baseUrl)) throw new UnsafeNameError(url);
    const rel = decodeURIComponent(url.slice(this.baseUrl.length));
    if (!isSafePath(rel)) throw new UnsafeNameError(rel);
    return rel;
  }

  /** Size of a regular file under OUT, or undefined when absent, not a regular file, or reached through a symlink. */
  size(rel: string): number | undefined {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) if (!this.isRealDirectory(parts.slice(0, i).join('/'))) return undefined;
    try {
      const st = lstatSync(path.join(this.root, ...parts));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  }

  private isRealDirectory(rel: string): boolean {
    if (this.realDirectories.has(rel)) return true;
    try {
      if (!lstatSync(path.join(this.root, ...rel.split('/'))).isDirectory()) return false;
    } catch {
      return false;
    }
    this.realDirectories.add(rel);
    return true;
  }

  /** Reads an OUT-relative file (callers check the size first). */
  read(rel: string): Uint8Array {
    return new Uint8Array(readFileSync(path.join(this.root, ...rel.split('/'))));
  }

  async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    const rel = this.relativePath(url);
    const size = this.size(rel);
    if (size === undefined) throw new DownloadHTTPError(`not found: ${rel}`, 404);
    if (size > maxLength) throw new DownloadLengthMismatchError(`${rel} is ${size} bytes, more than ${maxLength}`);
    const bytes = this.read(rel);
    if (bytes.length > maxLength) throw new DownloadLengthMismatchError(`${rel} grew past ${maxLength} bytes`);
    this.served.set(rel, bytes);
    return Buffer.from(bytes);
  }

  async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    const bytes = await this.downloadBytes(url, maxLength);
    // The handler (TargetFile.verify) reads a copy, so the checked bytes are exactly the served ones.
    const file = path.join(this.scratch, `download-${this.counter++}`);
    writeFileSync(file, bytes);
    return handler(file);
  }
}
