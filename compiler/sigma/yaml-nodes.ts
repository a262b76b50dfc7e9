import { isMap, isPair, isScalar, type Document, type Node, type Pair, type YAMLMap } from 'yaml';

/** Small readers over yaml's node tree, so callers keep nodes (for spans) and values together. */

/** The pair of a map with the given scalar key, if any. */
export function pairOf(map: unknown, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(map)) return undefined;
  for (const item of (map as YAMLMap).items) {
    if (isPair(item) && isScalar(item.key) && item.key.value === key) return item as Pair<Node, Node | null>;
  }
  return undefined;
}

/** The root map of a document, if it is one. */
export function rootMap(doc: Document.Parsed): YAMLMap | undefined {
  return isMap(doc.contents) ? (doc.contents as YAMLMap) : undefined;
}

/** The plain JS value of a node (toJSON of yaml), or undefined. */
export function jsOf(node: Node | null | undefined): unknown {
  if (node === null) return null;
  if (!node) return undefined;
  return (node as { toJSON(): unknown }).toJSON();
}
