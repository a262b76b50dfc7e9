/**
 * How the receiver turns a request body into events per LogSource: the served LogSources with
 * their compiled formats and field maps, raw bodies parsed per format, HEC envelopes routed by
 * their `source`. The receiver thread uses it to check raw requests before acknowledging them (event
 * bodies are checked by hec-scan.ts); the thread that evaluates events parses the stored body with
 * it (`reviver`).
 */
import type { LogFormat } from '../../schema/generated/log-format.js';
import type { LogSource } from '../../schema/generated/log-source.js';
import { parseDelimited } from './delimited.js';
import { compileFieldMap, type FieldMapper } from './field-map.js';
import { parseEventBody, stringDecoder, type EventDecoder, type HecStatus } from './hec-body.js';
import { parseJsonLines } from './jsonl.js';
import { compileFormat, type CompiledFormat, type SourceEvent } from './log-format.js';
import { problem, type Problem, type ProblemSink } from './problems.js';

/** The events of one LogSource within a request. */
export interface SpoolGroup {
  readonly source: string;
  readonly events: SourceEvent[];
}

/** Turns a stored request body back into its events; `key` is the request's `routeKey`. */
export type Revive = (key: string, body: string) => SpoolGroup[];

/** A LogSource the receiver serves, ready to parse for. */
export interface Served {
  readonly name: string;
  readonly source: LogSource;
  readonly format: CompiledFormat | undefined;
  readonly map: FieldMapper;
  readonly decode: EventDecoder;
}

/** The served LogSources by name, and the default one (the first listed). */
export interface Routing {
  readonly served: ReadonlyMap<string, Served>;
  readonly defaultSource: Served;
}

/** Compiles the LogSources (and their LogFormats) a receiver serves. */
export function buildRouting(sources: readonly { readonly source: LogSource; readonly format?: LogFormat }[]): Routing {
  if (sources.length === 0) throw new Error('an HTTP receiver needs at least one LogSource');
  const served = new Map<string, Served>();
  for (const { source, format } of sources) {
    const compiled = format ? compileFormat(format.spec) : undefined;
    const name = source.metadata.name;
    served.set(name, { name, source, format: compiled, map: compileFieldMap(source.spec.fieldMappings), decode: stringDecoder(compiled, name) });
  }
  return { served, defaultSource: served.get(sources[0]!.source.metadata.name)! };
}

/** Parses a raw body per the source's format: JSON Lines, or delimited rows (bad lines reported, not fatal). */
function parseRaw(text: string, served: Served, problems: Problem[]): SourceEvent[] {
  if (served.format && served.format.type !== 'jsonl' && served.format.type !== 'syslog') {
    const r = parseDelimited(text, served.format, served.name, { line: 0 }, true);
    problems.push(...r.problems);
    return r.rows.map((x) => x.event);
  }
  if (!served.format || served.format.type === 'jsonl') {
    const r = parseJsonLines(text, 1, served.name, served.format);
    problems.push(...r.problems);
    return r.rows.map((x) => x.event);
  }
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((message) => ({ message }));
}

/** The events of a request body by LogSource, and the error that stopped parsing, if any. */
export interface ParsedRequest {
  readonly groups: SpoolGroup[];
  readonly count: number;
  readonly error?: HecStatus;
}

/** Parses a body into events per LogSource: raw lines per the target's format, or HEC envelopes routed by their `source` (unless `?source=` was explicit). */
export function parseRequest(routing: Routing, text: string, target: Served, raw: boolean, explicit: boolean, problems: Problem[]): ParsedRequest {
  if (raw) {
    const events = parseRaw(text, target, problems);
    return { groups: [{ source: target.name, events: events.map(target.map) }], count: events.length };
  }
  const route = (s: string | undefined) => (!explicit && s && routing.served.get(s)) || target;
  const unreadable = (index: number, detail: string) => void problems.push(problem('VS1013', target.name, { index, detail }));
  const parsed = parseEventBody(text, (s) => route(s).decode, (s, e) => void route(s).format?.stamp(e), unreadable);
  const groups: SpoolGroup[] = [];
  parsed.events.forEach((e, i) => {
    const to = route(parsed.sources[i]);
    const last = groups[groups.length - 1];
    if (last?.source === to.name) last.events.push(to.map(e));
    else groups.push({ source: to.name, events: [to.map(e)] });
  });
  return parsed.error ? { groups, count: parsed.events.length, error: parsed.error } : { groups, count: parsed.events.length };
}

/** How a request is routed; stored with its body so it is parsed again the same way. */
export function routeKey(target: Served, raw: boolean, explicit: boolean): string {
  return `${raw ? 'r' : 'e'}|${explicit ? 1 : 0}|${target.name}`;
}

/**
 * Parses a stored body again (with today's mappings); a LogSource no longer served goes to the
 * default one. Problems of event bodies go to `report` (the receiver thread only checked their
 * JSON); those of raw bodies were reported when the receiver thread parsed them before answering.
 */
export function reviver(routing: Routing, report: ProblemSink): Revive {
  // A receiver stores a handful of distinct keys: each is split once.
  const keys = new Map<string, { target: Served; raw: boolean; explicit: boolean }>();
  return (key, body) => {
    let k = keys.get(key);
    if (!k) {
      const [kind, explicit, name] = key.split('|');
      k = { target: routing.served.get(name ?? '') ?? routing.defaultSource, raw: kind === 'r', explicit: explicit === '1' };
      if (keys.size < 1024) keys.set(key, k);
    }
    const problems: Problem[] = [];
    const { groups } = parseRequest(routing, body, k.target, k.raw, k.explicit, problems);
    if (!k.raw) problems.forEach(report);
    return groups;
  };
}
