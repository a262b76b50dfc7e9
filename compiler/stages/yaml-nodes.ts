import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

/** A path into a document: mapping keys and sequence indexes. */
export type NodePath = readonly (string | number)[];

/** How far a path resolved: the deepest node reached and the key node that leads to it. */
export interface Located {
  readonly node: Node | undefined;
  /** The key node of the pair whose value is `node` (undefined at the root or in sequences). */
  readonly key: Node | undefined;
  /** Number of path segments resolved; equals the path length when the whole path exists. */
  readonly depth: number;
}

/** Follows a path from the document root as far as it exists, through aliases. */
export function locate(doc: Document.Parsed, path: NodePath): Located {
  let node: Node | undefined = (doc.contents ?? undefined) as Node | undefined;
  let key: Node | undefined;
  let depth = 0;
  for (const seg of path) {
    const current: unknown = isAlias(node) ? node.resolve(doc) : node;
    let next: Node | undefined;
    let nextKey: Node | undefined;
    if (isMap(current)) {
      for (const pair of current.items) {
        const k = pair.key;
        const name = isScalar(k) ? String(k.value) : String(k);
        if (name === String(seg)) {
          next = (pair.value ?? undefined) as Node | undefined;
          nextKey = k as Node;
          break;
        }
      }
      if (nextKey === undefined) break;
    } else if (isSeq(current)) {
      const i = typeof seg === 'number' ? seg : Number(seg);
      if (!Number.isInteger(i) || i < 0 || i >= current.items.length) break;
      next = current.items[i] as Node | undefined;
      nextKey = undefined;
    } else {
      break;
    }
    depth++;
    key = nextKey;
    // A key with no value (`name:`) still locates: point at the key.
    node = next ?? nextKey;
  }
  return { node, key, depth };
}

/** The value node at a path, or undefined when the path does not fully exist. */
export function valueNode(doc: Document.Parsed, path: NodePath): Node | undefined {
  const found = locate(doc, path);
  return found.depth === path.length ? found.node : undefined;
}

/** The key node of the last segment of a path, or undefined. */
export function keyNode(doc: Document.Parsed, path: NodePath): Node | undefined {
  const found = locate(doc, path);
  return found.depth === path.length ? found.key : undefined;
}

/** The node at a path, or the nearest ancestor that exists (never loses the location). */
export function nearestNode(doc: Document.Parsed, path: NodePath): Node | undefined {
  return locate(doc, path).node;
}

/** Splits an RFC 6901 JSON pointer (as ajv's instancePath) into path segments. */
export function pointerToPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A path written for people: `spec.steps[2].rule`. */
export function pathLabel(path: NodePath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number' || /^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}
