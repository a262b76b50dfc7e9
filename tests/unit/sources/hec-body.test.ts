import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEventBody, stringDecoder } from '../../../runtime/sources/hec-body.js';
import { compileFormat } from '../../../runtime/sources/log-format.js';

const decode = () => stringDecoder(undefined, 'test');
const noStamp = () => undefined;
const event = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { minKeys: 1, maxKeys: 4 });
const gap = fc.constantFrom('', ' ', '\n', '\r\n', '\t\n ');

describe('parseEventBody', () => {
  it('gives back every envelope, however they are run together', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(event, gap), { minLength: 1, maxLength: 12 }), (items) => {
        const body = items.map(([e, g]) => JSON.stringify({ event: e }) + g).join('');
        const parsed = parseEventBody(body, decode, noStamp);
        expect(parsed.error).toBeUndefined();
        expect(parsed.events).toEqual(items.map(([e]) => e));
      }),
    );
  });

  it('keeps the events before a corrupt one and names its index', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 8 }), fc.nat(), fc.constantFrom('{"event": {"a": 1}', '{"event": nope}', 'x', '[1]', '{"event":{"a":1}}}'), (events, at, bad) => {
        const k = at % (events.length + 1);
        const parts = events.map((e) => JSON.stringify({ event: e }));
        parts.splice(k, 0, bad);
        const parsed = parseEventBody(parts.join('\n'), decode, noStamp);
        const bracket = bad === '{"event":{"a":1}}}';
        // A stray closing brace after a good object leaves that object valid: the bad part is the next "event".
        const expectedIndex = bracket ? k + 1 : k;
        expect(parsed.error?.body).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': expectedIndex });
        expect(parsed.events).toEqual(bracket ? [...events.slice(0, k), { a: 1 }] : events.slice(0, k));
      }),
    );
  });

  it('merges `fields` and `host` without overwriting, and decodes string events', () => {
    const parsed = parseEventBody('{"event":"plain text","host":"fw1","fields":{"zone":"dmz"}}{"event":"{\\"a\\":1}","host":"fw2"}{"event":{"host":"own"},"host":"fw3"}', decode, noStamp);
    expect(parsed.events).toEqual([{ message: 'plain text', zone: 'dmz', host: 'fw1' }, { a: 1, host: 'fw2' }, { host: 'own' }]);
    // Names every object inherits are fields like any other.
    const inherited = parseEventBody('{"event":{"a":1},"fields":{"constructor":"c","toString":"t","a":2}}', decode, noStamp);
    expect(inherited.events).toEqual([{ a: 1, constructor: 'c', toString: 't' }]);
  });

  it('stamps `time` as @timestamp, and keeps an event whose time no date can hold, without one', () => {
    const parsed = parseEventBody('{"event":{"a":1},"time":1700000000.5}{"event":{"a":2},"time":-1e279}{"event":{"a":3},"time":"9e15"}{"event":{"a":4},"time":"soon"}', decode, noStamp);
    expect(parsed.error).toBeUndefined();
    expect(parsed.events).toEqual([{ a: 1, '@timestamp': '2023-11-14T22:13:20.500Z' }, { a: 2 }, { a: 3 }, { a: 4 }]);
  });

  it('takes only a number, or a string holding one, as `time` (null, "", false and [] are not 1970)', () => {
    const parsed = parseEventBody('{"event":{"a":1},"time":null}{"event":{"a":2},"time":""}{"event":{"a":3},"time":false}{"event":{"a":4},"time":[]}{"event":{"a":5},"time":" 1700000000 "}', decode, noStamp);
    expect(parsed.events).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }, { a: 5, '@timestamp': '2023-11-14T22:13:20.000Z' }]);
  });

  it('keeps an event that cannot be decoded as its envelope text, with the ones around it, and says which', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const unreadable: [number, string][] = [];
    const throwing = () => () => {
      throw new RangeError('a parser gave up');
    };
    for (const layout of ['\n', '']) {
      unreadable.length = 0;
      const body = [`{"event":"before"}`, `{"event":${deep},"host":"fw"}`, `{"event":{"a":1}}`].join(layout);
      const parsed = parseEventBody(body, decode, noStamp, (index, detail) => void unreadable.push([index, detail]));
      expect(parsed.error).toBeUndefined();
      expect(parsed.events).toEqual([{ message: 'before' }, { message: `{"event":${deep},"host":"fw"}` }, { a: 1 }]);
      expect(unreadable).toEqual([[1, 'RangeError']]);
    }
    unreadable.length = 0;
    const parsed = parseEventBody('{"event":"a,b"}\n{"event":{"b":2}}', throwing, noStamp, (index, detail) => void unreadable.push([index, detail]));
    expect(parsed.events).toEqual([{ message: '{"event":"a,b"}' }, { b: 2 }]);
    expect(unreadable).toEqual([[0, 'RangeError']]);
  });

  it('reads a string event as one row of its LogFormat, even one whose files start with a header', () => {
    const withColumns = stringDecoder(compileFormat({ type: 'csv', header: true, columns: [{ name: 'user' }, { name: 'port', type: 'int' }] }), 'fw');
    expect(withColumns('bob,443')).toEqual({ user: 'bob', port: 443 });
    const bare = stringDecoder(compileFormat({ type: 'csv', header: true, skipLines: 2 }), 'fw');
    expect(bare('bob,443')).toEqual({ field1: 'bob', field2: '443' });
  });
});
