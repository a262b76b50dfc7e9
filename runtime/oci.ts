/**
 * An OCI registry as a distribution point (OCI distribution spec v1.1,
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md): the repository OUT is
 * pushed as one image manifest whose layers are OUT's files (each titled by its relative path),
 * and an agent pulls it back through a tuf-js fetcher over those layers. The registry is only a
 * carrier: blobs are checked against their digests, and TUF verifies everything as over HTTP.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DownloadHTTPError, DownloadLengthMismatchError } from 'tuf-js/dist/error.js';
import { isSafePath } from './bundle/layout.js';
import { listFiles } from './bundle/repo-files.js';
import type { Origin } from './agent.js';
import { httpRequest, type Limits, type TransportError } from './http-request.js';
import { recordServed, TransportFailure, withScratchFile, type RecordingFetcher } from './pull.js';

/** A parsed `HOST:PORT/REPO:TAG` reference. */
export interface OciRef {
  /** `host:port`. */
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
}

export const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const ARTIFACT_TYPE = 'application/vnd.vigil.repository.v1';
export const CONFIG_TYPE = 'application/vnd.vigil.repository.config.v1+json';
export const FILE_TYPE = 'application/vnd.vigil.file.v1+json';
const TITLE = 'org.opencontainers.image.title';
const MAX_MANIFEST_BYTES = 4 << 20;

/** Parses `HOST:PORT/REPO:TAG` (repository components as the distribution spec allows). */
export function parseOciRef(text: string): OciRef | string {
  const m = /^([A-Za-z0-9.-]+(?::[0-9]{1,5})?)\/([a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*):([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/.exec(text);
  if (!m) return `\`${text}\` is not an OCI reference HOST:PORT/REPO:TAG (lower-case repository, tag of letters, digits, \`.\`, \`_\`, \`-\`)`;
  return { registry: m[1] as string, repository: m[2] as string, tag: m[3] as string };
}

/** The registry's base URL for a reference (plain HTTP: registries on 127.0.0.1 or behind a TLS proxy use `https` via `scheme`). */
function api(ref: OciRef, scheme: 'http' | 'https'): string {
  return `${scheme}://${ref.registry}/v2/${ref.repository}`;
}

const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** One layer of the manifest. */
interface Layer {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Uploads one blob (monolithic upload) unless the registry already has it. */
async function pushBlob(ref: OciRef, scheme: 'http' | 'https', bytes: Uint8Array, limits: Partial<Limits>): Promise<string | undefined> {
  const digest = digestOf(bytes);
  const head = await httpRequest(`${api(ref, scheme)}/blobs/${digest}`, { method: 'HEAD', limits });
  if (head.ok && head.status === 200) return undefined;
  const start = await httpRequest(`${api(ref, scheme)}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' }, limits });
  if (!start.ok) return start.error.message;
  const location = start.headers.location;
  if (start.status !== 202 || typeof location !== 'string') return `starting an upload answered HTTP ${start.status}`;
  const registry = new URL(`${scheme}://${ref.registry}/`);
  const url = new URL(location, registry);
  // Compared as origins: `LOCALHOST:5000` and `localhost:5000`, `host:80` and `host` are one.
  if (url.origin !== registry.origin) return `the registry sent the upload to another host (${url.host}); refused`;
  url.searchParams.set('digest', digest);
  const put = await httpRequest(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes, limits });
  if (!put.ok) return put.error.message;
  return put.status === 201 ? undefined : `uploading ${digest} answered HTTP ${put.status}`;
}

/** Pushes every file of OUT as a layer of one manifest tagged `ref.tag`; returns the manifest digest or a problem. */
export async function pushRepository(out: string, ref: OciRef, opts: { scheme?: 'http' | 'https'; limits?: Partial<Limits> } = {}): Promise<{ digest: string; files: number } | { problem: string }> {
  const scheme = opts.scheme ?? 'http';
  const limits = { timeoutMs: 60_000, ...opts.limits };
  const files = (await listFiles(out, true)).filter(isSafePath);
  if (!files.includes('timestamp.json')) return { problem: `\`${out}\` holds no repository (timestamp.json is missing)` };
  const layers: Layer[] = [];
  for (const rel of files) {
    const bytes = new Uint8Array(await readFile(path.join(out, ...rel.split('/'))));
    const problem = await pushBlob(ref, scheme, bytes, limits);
    if (problem) return { problem: `pushing \`${rel}\`: ${problem}` };
    layers.push({ mediaType: FILE_TYPE, digest: digestOf(bytes), size: bytes.length, annotations: { [TITLE]: rel } });
  }
  const config = new TextEncoder().encode('{}');
  const problem = await pushBlob(ref, scheme, config, limits);
  if (problem) return { problem: `pushing the config blob: ${problem}` };
  const manifest = {
    schemaVersion: 2, mediaType: MANIFEST_TYPE, artifactType: ARTIFACT_TYPE,
    config: { mediaType: CONFIG_TYPE, digest: digestOf(config), size: config.length },
    layers,
    annotations: { 'org.opencontainers.image.description': 'Vigil policy repository (TUF); verify with vigil agent or vigil verify' },
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const put = await httpRequest(`${api(ref, scheme)}/manifests/${ref.tag}`, { method: 'PUT', headers: { 'content-type': MANIFEST_TYPE }, body: bytes, limits });
  if (!put.ok) return { problem: put.error.message };
  if (put.status !== 201) return { problem: `pushing the manifest answered HTTP ${put.status}: ${Buffer.from(put.bytes).toString('utf8').slice(0, 300)}` };
  return { digest: digestOf(bytes), files: layers.length };
}

/** Reads the layer table of a manifest: title → layer; a problem text when it is not ours. */
export function layerTable(bytes: Uint8Array): Map<string, Layer> | string {
  let manifest: { mediaType?: unknown; layers?: unknown };
  try {
    manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof manifest;
  } catch {
    return 'the manifest is not JSON';
  }
  if (!Array.isArray(manifest.layers)) return 'the manifest has no layers';
  const table = new Map<string, Layer>();
  for (const l of manifest.layers as Partial<Layer>[]) {
    const title = l?.annotations?.[TITLE];
    if (typeof title !== 'string' || !isSafePath(title) || typeof l.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(l.digest) || !Number.isInteger(l.size)) continue;
    table.set(title, l as Layer);
  }
  return table;
}

/** A tuf-js fetcher over the layers of one manifest: each file is a blob, checked against its digest. */
export class OciFetcher implements RecordingFetcher {
  readonly baseUrl: string;
  readonly targetBaseUrl: string;
  lastTransportFailure: TransportError | undefined;
  readonly served = new Map<string, Uint8Array>();

  constructor(private readonly ref: OciRef, private readonly layers: ReadonlyMap<string, Layer>, private readonly limits: Partial<Limits> = {}, private readonly scheme: 'http' | 'https' = 'http') {
    this.baseUrl = new URL(`oci://${ref.registry}/${ref.repository}/${ref.tag}/`).href;
    this.targetBaseUrl = `${this.baseUrl}targets/`;
  }

  async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    const rel = url.startsWith(this.baseUrl) ? decodeURIComponent(url.slice(this.baseUrl.length)) : undefined;
    const layer = rel === undefined ? undefined : this.layers.get(rel);
    if (!layer || rel === undefined) throw new DownloadHTTPError(`not in the manifest: ${rel ?? url}`, 404);
    if (layer.size > maxLength) throw new DownloadLengthMismatchError(`${rel} is ${layer.size} bytes, more than ${maxLength}`);
    const r = await httpRequest(`${api(this.ref, this.scheme)}/blobs/${layer.digest}`, { limits: { ...this.limits, maxBytes: Math.min(maxLength, layer.size) } });
    if (!r.ok) {
      if (r.error.kind === 'too-large') throw new DownloadLengthMismatchError(r.error.message);
      this.lastTransportFailure = r.error;
      throw new TransportFailure(r.error);
    }
    if (r.status !== 200) {
      if (r.status >= 500) this.lastTransportFailure = { kind: 'http', message: `blob ${layer.digest}: HTTP ${r.status}`, status: r.status };
      throw new DownloadHTTPError(`${rel}: HTTP ${r.status}`, r.status === 404 ? 500 : r.status);
    }
    // A blob that is not what its digest says is served anyway: TUF then refuses it by name.
    recordServed(this, url, r.bytes);
    return Buffer.from(r.bytes);
  }

  async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    return withScratchFile(await this.downloadBytes(url, maxLength), handler);
  }
}

/** An agent origin on an OCI registry: polls the tag's manifest and notices when its digest changes. */
export function ociOrigin(ref: OciRef, opts: { limits?: Partial<Limits>; scheme?: 'http' | 'https' } = {}): Origin {
  const scheme = opts.scheme ?? 'http';
  let seen: string | undefined;
  return {
    async poll() {
      const url = `${api(ref, scheme)}/manifests/${ref.tag}`;
      const r = await httpRequest(url, { headers: { accept: MANIFEST_TYPE }, limits: { ...opts.limits, maxBytes: MAX_MANIFEST_BYTES } });
      if (!r.ok) return { kind: 'unreachable', error: r.error };
      if (r.status !== 200) return { kind: 'unreachable', error: { kind: 'http', message: `${url}: HTTP ${r.status}`, status: r.status } };
      const digest = digestOf(r.bytes);
      if (digest === seen) return { kind: 'unchanged' };
      const table = layerTable(r.bytes);
      if (typeof table === 'string') return { kind: 'unreachable', error: { kind: 'http', message: `${url}: ${table}` } };
      return { kind: 'changed', fetcher: new OciFetcher(ref, table, opts.limits, scheme), commit: () => (seen = digest) };
    },
  };
}
