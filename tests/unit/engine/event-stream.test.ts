import { describe, expect, test } from 'vitest';
import { splitEvents } from '../../../runtime/engine/event-stream.js';

const summary = (text: string) => [...splitEvents(text)].map((r) => ('error' in r ? `!${r.index}@${r.line}` : `${r.index}:${JSON.stringify(r.event)}`));

describe('event input', () => {
  test('JSON Lines, with blank lines and CRLF', () => {
    expect(summary('{"a":1}\r\n\r\n{"a":2}\n')).toEqual(['0:{"a":1}', '1:{"a":2}']);
  });
  test('a JSON array', () => {
    expect(summary(' [ {"a":1}, {"a":2} ] ')).toEqual(['0:{"a":1}', '1:{"a":2}']);
  });
  test('pretty-printed objects one after another', () => {
    expect(summary('{\n  "a": {\n    "b": "}"\n  }\n}\n{\n  "a": 2\n}\n')).toEqual(['0:{"a":{"b":"}"}}', '1:{"a":2}']);
  });
  test('malformed records are reported by index and the rest still read', () => {
    expect(summary('{"a":1}\nnot json\n{"a":\n{"a":3}\n[1]\n')).toEqual(['0:{"a":1}', '!1@2', '!2@3', '3:{"a":3}', '!4@5']);
  });
});
