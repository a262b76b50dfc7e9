/**
 * Reading fields out of events. Events arrive flat (`{"EventID": 1, "Image": ...}`, NXLog and
 * Winlogbeat style) or in the nested layout EVTX exporters write
 * (`{"Event": {"System": {...}, "EventData": {...}}}` with XML attributes under `#attributes`),
 * so every getter tries the flat name, then the dotted path, then the EVTX sections. Getters are
 * built once per field name when a rule set loads; nothing here allocates per call.
 */

/** Reads one field's raw value from an event (undefined when absent). */
export type Getter = (event: unknown) => unknown;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** XML text nodes come as `{"#text": v, "#attributes": {...}}`; the text is the value rules mean. */
function unwrap(v: unknown): unknown {
  if (isObj(v) && '#text' in v) return v['#text'];
  return v;
}

function walk(event: unknown, parts: readonly string[]): unknown {
  let cur: unknown = event;
  for (let i = 0; i < parts.length; i++) {
    if (!isObj(cur)) return undefined;
    cur = cur[parts[i]!];
  }
  return cur;
}

/** EventData written as a list of `{"#attributes": {"Name": n}, "#text": v}` (some EVTX exporters). */
function fromDataList(data: unknown, name: string): unknown {
  if (!Array.isArray(data)) return undefined;
  for (const item of data) {
    if (isObj(item) && isObj(item['#attributes']) && item['#attributes']['Name'] === name) return item['#text'] ?? null;
  }
  return undefined;
}

/** Looks a field up in the EVTX sections: EventData, System, System attributes, then UserData's single child. */
function fromEvtx(event: unknown, name: string): unknown {
  if (!isObj(event)) return undefined;
  const ev = event['Event'];
  if (!isObj(ev)) return undefined;
  const data = ev['EventData'];
  if (isObj(data)) {
    if (name in data) return data[name];
    const listed = fromDataList(data['Data'], name);
    if (listed !== undefined) return listed;
    // Some providers (Defender) name EventData fields with spaces (`Threat Name`); rules write `ThreatName`.
    for (const key in data) {
      if (key.includes(' ') && key.replace(/ /g, '') === name) return data[key];
    }
  }
  const system = ev['System'];
  if (isObj(system)) {
    if (name in system) return system[name];
    // Provider_Name and similar: `<Provider Name="...">` is `System.Provider.#attributes.Name`.
    const us = name.indexOf('_');
    if (us > 0) {
      const el = system[name.slice(0, us)];
      if (isObj(el) && isObj(el['#attributes'])) {
        const attr = el['#attributes'][name.slice(us + 1)];
        if (attr !== undefined) return attr;
      }
    }
  }
  const user = ev['UserData'];
  if (isObj(user)) {
    for (const key in user) {
      const inner = user[key];
      if (isObj(inner) && name in inner) return inner[name];
    }
  }
  return undefined;
}

/** Builds the getter for a field name as rules write it (dotted names address nested objects). */
export function makeGetter(field: string): Getter {
  const parts = field.includes('.') ? field.split('.') : undefined;
  return (event: unknown) => {
    if (!isObj(event)) return undefined;
    let v = event[field];
    if (v === undefined && parts) v = walk(event, parts);
    if (v === undefined) v = fromEvtx(event, field);
    return unwrap(v);
  };
}

/** Whether the field is present at all (null counts as present), for `|exists`. */
export function makePresence(field: string): (event: unknown) => boolean {
  const get = makeGetter(field);
  return (event) => get(event) !== undefined;
}

/** The string form rules compare against: strings as they are, numbers and booleans as JSON writes them. */
export function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

const getChannel = makeGetter('Channel');
const getEventId = makeGetter('EventID');

/** The event's channel (`Channel` or `Event.System.Channel`), as written. */
export function eventChannel(event: unknown): string | undefined {
  const v = getChannel(event);
  return typeof v === 'string' ? v : undefined;
}

/** The event's numeric id (`EventID` or `Event.System.EventID`; numbers or numeric strings), or -1. */
export function eventId(event: unknown): number {
  const v = getEventId(event);
  if (typeof v === 'number') return Number.isInteger(v) ? v : -1;
  if (typeof v === 'string' && v.length > 0 && v.length < 12) {
    const n = Number(v);
    return Number.isInteger(n) ? n : -1;
  }
  return -1;
}

/** Fields tried, in order, for an event's time when none is configured. */
export const DEFAULT_TIME_FIELDS: readonly string[] = [
  '@timestamp',
  'timestamp',
  'Event.System.TimeCreated.#attributes.SystemTime',
  'Event.System.TimeCreated.SystemTime',
  'TimeCreated',
  'UtcTime',
  'EventTime',
  'time',
];

/** Builds a reader of event time in epoch milliseconds (NaN when no field parses). */
export function makeTimeReader(fields: readonly string[] = DEFAULT_TIME_FIELDS): (event: unknown) => number {
  const getters = fields.map((f) => {
    const parts = f.split('.');
    return (e: unknown) => (isObj(e) && f in e ? e[f] : walk(e, parts));
  });
  return (event) => {
    for (const get of getters) {
      const v = unwrap(get(event));
      const t = toEpochMs(v);
      if (!Number.isNaN(t)) return t;
    }
    return NaN;
  };
}

/** The largest time a Date holds, in milliseconds either side of the epoch (ECMA-262 §21.4.1.1). */
export const MAX_DATE_MS = 8.64e15;

/** Parses an event time: epoch seconds or milliseconds as numbers, ISO-8601 or RFC 2822 text. */
export function toEpochMs(v: unknown): number {
  if (typeof v === 'number') {
    const ms = v > 1e11 ? v : v * 1000;
    // Beyond MAX_DATE_MS no Date holds the time: not a time (Date.parse gives NaN there too).
    return Math.abs(ms) <= MAX_DATE_MS ? ms : NaN;
  }
  if (typeof v !== 'string' || v.length === 0) return NaN;
  // A date and time without a zone (`2020-10-21 23:28:14.123`, Sysmon's UtcTime, or with a `T`)
  // is UTC: Date.parse would read the `T` form in the host's own zone, so results would depend on it.
  if (/^\d{4}-\d{2}-\d{2}[T ]\d/.test(v)) {
    const iso = v.replace(' ', 'T');
    return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  }
  return Date.parse(v);
}
