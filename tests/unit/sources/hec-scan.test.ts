import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEventBody, stringDecoder } from '../../../runtime/sources/hec-body.js';
import { scanEventBody } from '../../../runtime/sources/hec-scan.js';

/**
 * The receiver thread answers from the scanner and the evaluating thread parses the stored prefix
 * with parseEventBody: they must agree, or an acknowledged event could be lost (the scanner
 * accepting what the parser refuses) or a good one refused.
 */

const decode = () => stringDecoder(undefined, 'test');
const noStamp = () => undefined;
const parse = (text: string) => parseEventBody(text, decode, noStamp);

/** Scans `body` and checks the stored prefix parses to exactly the envelopes the scanner counted. */
function scanAndCheck(body: Buffer | string) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const scanned = scanEventBody(bytes);
  if (scanned.count > 0) {
    const kept = parse(bytes.subarray(0, scanned.end).toString('utf8'));
    expect(kept.error).toBeUndefined();
    expect(kept.events).toHaveLength(scanned.count);
  }
  return scanned;
}

const json = fc.jsonValue({ maxDepth: 3 });
const eventValue = fc.oneof(json, fc.string({ unit: 'grapheme' }), fc.dictionary(fc.string(), json, { maxKeys: 4 }));
const gap = fc.constantFrom('', ' ', '\n', '\r\n', '\t\n ');
const envelopes = fc.array(fc.tuple(fc.record({ event: eventValue, host: fc.string(), time: fc.integer() }, { requiredKeys: [] }), gap), { minLength: 1, maxLength: 8 });

describe('scanEventBody', () => {
  it('agrees with parseEventBody on count and HEC error for envelopes of any JSON', () => {
    fc.assert(
      fc.property(envelopes, (items) => {
        const body = items.map(([e, g]) => JSON.stringify(e) + g).join('');
        const scanned = scanAndCheck(body);
        const parsed = parse(body);
        expect(scanned.error).toEqual(parsed.error);
        expect(scanned.count).toBe(parsed.events.length);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps only whole good envelopes of a damaged body, and agrees on the error (bytes cut, changed or inserted)', () => {
    const damage = fc.tuple(fc.nat(), fc.constantFrom('cut', 'set', 'insert'), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(envelopes, damage, (items, [at, how, byte]) => {
        const good = Buffer.from(items.map(([e, g]) => JSON.stringify(e) + g).join(''));
        const i = at % good.length;
        const body = how === 'cut' ? good.subarray(0, i) : how === 'set' ? Buffer.concat([good.subarray(0, i), Buffer.from([byte]), good.subarray(i + 1)]) : Buffer.concat([good.subarray(0, i), Buffer.from([byte]), good.subarray(i)]);
        const scanned = scanAndCheck(body);
        // Bytes JSON.parse and String.trim see differently (other Unicode spaces, invalid UTF-8
        // outside strings) may make the old line splitter more lenient; elsewhere they agree exactly.
        const text = body.toString('utf8');
        if (!/[\u000b\u000c\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\ufffd]/.test(text)) {
          const parsed = parse(text);
          expect(scanned.error).toEqual(parsed.error);
          expect(scanned.count).toBe(parsed.events.length);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('follows JSON to the letter: numbers, escapes, control characters, literals', () => {
    const ok = ['{"event":-0}', '{"event":1.5e+3}', '{"event":"a\\u00e9\\n\\/"}', '{"event":[true,false,null]}', '{"event":{"a":{}}}', '{"event":"\u00e9\ud83d\ude00"}', '{ "event" : 1 , "x" : [ ] }'];
    for (const body of ok) expect([body, scanAndCheck(body)]).toEqual([body, { count: 1, end: Buffer.byteLength(body) }]);
    const bad = ['{"event":01}', '{"event":1.}', '{"event":.5}', '{"event":1e}', '{"event":"\\x"}', '{"event":"\\u12"}', '{"event":"a\tb"}', '{"event":tru}', '{"event":1,}', '{"event":[1,]}', "{'event':1}", '{"event":1}}', '\ufeff{"event":1}', '[{"event":1}]'];
    for (const body of bad) expect([body, scanAndCheck(body).error?.body.code]).toEqual([body, 6]);
  });

  it('reads the event key as JSON.parse does: escaped spellings, and the last of duplicate keys', () => {
    expect(scanAndCheck('{"\\u0065vent":{"a":1}}')).toEqual({ count: 1, end: 22 });
    expect(scanAndCheck('{"\\u0065vent":null}').error?.body.code).toBe(12);
    expect(scanAndCheck('{"event":{"a":1},"event":null}').error?.body).toEqual({ text: 'Event field is required', code: 12, 'invalid-event-number': 0 });
    expect(scanAndCheck('{"event":null,"event":"x"}').count).toBe(1);
    expect(scanAndCheck('{"event":{ \n }}').error?.body.code).toBe(13);
    expect(scanAndCheck('{"event":""}').error?.body.code).toBe(13);
    expect(scanAndCheck('{"events":1}').error?.body.code).toBe(12);
  });

  it('takes bytes that are not UTF-8 inside strings, as JSON.parse takes their replacement characters', () => {
    const body = Buffer.concat([Buffer.from('{"event":"a'), Buffer.from([0xff, 0xc3]), Buffer.from('b"}')]);
    expect(scanAndCheck(body)).toEqual({ count: 1, end: body.length });
    expect(scanAndCheck(Buffer.concat([Buffer.from('{"event":1'), Buffer.from([0xc3, 0xa9]), Buffer.from('}')])).error?.body.code).toBe(6);
  });

  it('handles deep nesting without a stack overflow', () => {
    const deep = `{"event":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expect(scanEventBody(Buffer.from(deep))).toEqual({ count: 1, end: deep.length });
    expect(scanEventBody(Buffer.from(`{"event":${'['.repeat(200_000)}}`)).error?.body.code).toBe(6);
  });
});
