/**
 * The layout of a Vigil OUT directory, a TUF repository (https://theupdateframework.github.io/specification/latest/):
 *
 *   N.root.json                                 the root chain, one file per root version (1.root.json, 2.root.json …)
 *   timestamp.json  snapshot.json  targets.json top-level metadata (consistent_snapshot is false)
 *   targets/groups/<group>/bundle.json          one bundle per host group (a TUF target)
 *   targets/groups/<group>/provenance.json      its in-toto statement in a DSSE envelope (also a TUF target)
 *   targets/provenance/inputs.json              the build's input manifest, which every statement names by digest
 *   targets/packs/<sha256>                      a rule pack shared by the bundles that pin it
 *
 * Every name that reaches the file system passes `isSafeSegment`, so no name can climb out of OUT.
 */

/** One path segment: starts with a letter or digit, then letters, digits, `.`, `_` or `-`; at most 64 characters. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The directory under OUT that holds target files (TUF's targetBaseUrl). */
export const TARGETS_DIR = 'targets';

/** Top-level metadata names as served from OUT. */
export const METADATA_FILES = { timestamp: 'timestamp.json', snapshot: 'snapshot.json', targets: 'targets.json' } as const;

/** True when a single name is safe on every file system: no `..`, separators, control or odd characters. */
export function isSafeSegment(name: string): boolean {
  return SAFE_SEGMENT.test(name) && !name.includes('..');
}

/** True when a `/`-separated relative path is made only of safe segments (no absolute paths, `\`, `..` or empty parts). */
export function isSafePath(path: string): boolean {
  if (path.length === 0 || path.length > 255) return false;
  return path.split('/').every(isSafeSegment);
}

/** The TUF target path of a group's bundle. */
export function bundleTargetPath(group: string): string {
  return `groups/${group}/bundle.json`;
}

/** The TUF target path of the build's input manifest (every input file's digest; provenance names it). */
export const INPUTS_TARGET_PATH = 'provenance/inputs.json';

/** The TUF target path of a group's provenance envelope. */
export function provenanceTargetPath(group: string): string {
  return `groups/${group}/provenance.json`;
}

/** The OUT-relative file path of a TUF target path. */
export function targetFilePath(targetPath: string): string {
  return `${TARGETS_DIR}/${targetPath}`;
}

/** The OUT-relative file name of root metadata version `version`. */
export function rootFileName(version: number): string {
  return `${version}.root.json`;
}

/** What an OUT-relative file is, judged by its name alone. */
export type FileRole =
  | { readonly kind: 'root'; readonly version: number }
  | { readonly kind: 'timestamp' | 'snapshot' | 'targets' }
  | { readonly kind: 'target'; readonly targetPath: string }
  | { readonly kind: 'unknown' };

/** Classifies an OUT-relative path (with `/` separators) by the layout above. */
export function fileRole(relPath: string): FileRole {
  const root = /^([1-9][0-9]{0,8})\.root\.json$/.exec(relPath);
  if (root) return { kind: 'root', version: Number(root[1]) };
  if (relPath === METADATA_FILES.timestamp) return { kind: 'timestamp' };
  if (relPath === METADATA_FILES.snapshot) return { kind: 'snapshot' };
  if (relPath === METADATA_FILES.targets) return { kind: 'targets' };
  if (relPath.startsWith(`${TARGETS_DIR}/`)) return { kind: 'target', targetPath: relPath.slice(TARGETS_DIR.length + 1) };
  return { kind: 'unknown' };
}

/** The group a bundle or provenance target path belongs to, if it follows the layout. */
export function groupOfTargetPath(targetPath: string): string | undefined {
  const m = /^groups\/([^/]+)\/(bundle|provenance)\.json$/.exec(targetPath);
  return m ? m[1] : undefined;
}

/** One file of OUT: its OUT-relative path and exact bytes (the builder does no I/O). */
export interface Artifact {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** Sorts artifacts by path, so every listing and write order is stable. */
export function sortArtifacts(artifacts: readonly Artifact[]): Artifact[] {
  return [...artifacts].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
