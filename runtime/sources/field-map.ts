/**
 * LogSource `fieldMappings`: renames event fields (event field -> rule field) so a firewall's
 * `srcip` meets the `src_ip` rules use. A dotted source name reaches into nested objects when the
 * event has no field with that literal name.
 */
import type { SourceEvent } from './log-format.js';

/** Renames the mapped fields of an event in place and returns it. */
export type FieldMapper = (event: SourceEvent) => SourceEvent;

function take(event: SourceEvent, from: string): { found: boolean; value: unknown } {
  if (Object.prototype.hasOwnProperty.call(event, from)) {
    const value = event[from];
    delete event[from];
    return { found: true, value };
  }
  const parts = from.split('.');
  if (parts.length < 2) return { found: false, value: undefined };
  let node: unknown = event;
  for (const p of parts.slice(0, -1)) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, p)) return { found: false, value: undefined };
    node = (node as Record<string, unknown>)[p];
  }
  const last = parts[parts.length - 1]!;
  if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, last)) return { found: false, value: undefined };
  const value = (node as Record<string, unknown>)[last];
  delete (node as Record<string, unknown>)[last];
  return { found: true, value };
}

/** Builds the mapper for a LogSource's `fieldMappings` (identity when there are none). */
export function compileFieldMap(mappings: Readonly<Record<string, string | undefined>> | undefined): FieldMapper {
  const pairs = Object.entries(mappings ?? {}).filter((p): p is [string, string] => typeof p[1] === 'string' && p[0] !== p[1]);
  if (pairs.length === 0) return (event) => event;
  return (event) => {
    // Take every source value first, so swapped names (a->b, b->a) do not overwrite each other.
    const moved: [string, unknown][] = [];
    for (const [from, to] of pairs) {
      const { found, value } = take(event, from);
      if (found) moved.push([to, value]);
    }
    for (const [to, value] of moved) event[to] = value;
    return event;
  };
}
