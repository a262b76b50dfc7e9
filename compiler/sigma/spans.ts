import { isScalar, Scalar, type Node } from 'yaml';
import { span, spanOfNode, type Span } from '../span.js';
import type { Source } from '../source.js';

/**
 * Spans inside YAML scalars (STYLE.md §9). For a plain or single-line quoted scalar without
 * escapes, offset `i` of the value is `range[0] + quoteWidth + i`; for any other scalar the
 * mapping is not exact, so callers get the whole scalar instead.
 */

/** Maps offsets in a scalar's value to file offsets, or returns undefined when that is not exact. */
export function scalarOffsets(source: Source, node: Node | null | undefined): ((i: number) => number) | undefined {
  if (!node || !isScalar(node) || !node.range || typeof node.value !== 'string') return undefined;
  const [start, end] = node.range;
  const raw = source.text.slice(start, end);
  const value = node.value;
  if (node.type === Scalar.PLAIN && raw === value) return (i) => start + i;
  if ((node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.QUOTE_DOUBLE) && raw.slice(1, -1) === value && !raw.includes('\n')) {
    return (i) => start + 1 + i;
  }
  return undefined;
}

/** The span of `[from, to)` inside a scalar's value, or the whole scalar when offsets are not exact. */
export function spanInScalar(source: Source, node: Node | null | undefined, from: number, to: number): Span {
  const map = scalarOffsets(source, node);
  if (!map) return spanOfNode(source.path, node as never);
  return span(source.path, map(from), map(to));
}

/** Whether `spanInScalar` is exact for this node (otherwise messages should give the inner offset). */
export function exactInside(source: Source, node: Node | null | undefined): boolean {
  return scalarOffsets(source, node) !== undefined;
}
