/**
 * The agent's rule packs, content-addressed in STATE/packs/<sha256>.json (runtime/bundle/rule-packs.ts
 * has the format). Packs are stored once verified against signed metadata and before the bundle that
 * names them is activated, so a stored bundle always finds its packs; a pack is re-hashed when read,
 * so a damaged file is never loaded. Packs that no kept bundle names are pruned.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sha256Hex } from './bundle/canonical.js';
import { rulePackRefs } from './bundle/rule-packs.js';
import { writeFileAtomic } from './write-atomic.js';

const HEX64 = /^[0-9a-f]{64}$/;

/** Stored packs of one state directory. */
export class PackStore {
  constructor(private readonly dir: string) {}

  /** The pack with this digest when it is stored intact. */
  read(sha256: string): Uint8Array | undefined {
    if (!HEX64.test(sha256)) return undefined;
    try {
      const bytes = new Uint8Array(readFileSync(path.join(this.dir, `${sha256}.json`)));
      return sha256Hex(bytes) === sha256 ? bytes : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores packs (digest → verified bytes) that are not stored yet; throws when the disk refuses. */
  write(packs: ReadonlyMap<string, Uint8Array>): void {
    mkdirSync(this.dir, { recursive: true });
    for (const [sha256, bytes] of packs) {
      if (!HEX64.test(sha256) || this.read(sha256)) continue;
      writeFileAtomic(path.join(this.dir, `${sha256}.json`), bytes);
    }
  }

  /** Removes packs that none of `bundles` (bundle documents' bytes) names. */
  prune(bundles: readonly Uint8Array[]): void {
    const keep = new Set<string>();
    for (const bytes of bundles) for (const sha of namedPacks(bytes)) keep.add(`${sha}.json`);
    try {
      for (const name of readdirSync(this.dir)) if (!keep.has(name)) rmSync(path.join(this.dir, name), { force: true });
    } catch {
      // Pruning is housekeeping; a failure leaves extra files, never a missing pack.
    }
  }
}

/** The pack digests a bundle's bytes name ([] when it names none or does not parse). */
function namedPacks(bytes: Uint8Array): string[] {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { content?: Record<string, unknown> };
    const refs = doc.content ? rulePackRefs(doc.content) : [];
    return typeof refs === 'string' ? [] : refs.map((r) => r.sha256);
  } catch {
    return [];
  }
}
