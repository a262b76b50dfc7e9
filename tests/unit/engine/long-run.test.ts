import { describe, expect, onTestFinished, test } from 'vitest';
import { createEngine } from '../../../runtime/engine/engine.js';
import { makeKeyReader } from '../../../runtime/engine/event-keys.js';
import { toEpochMs } from '../../../runtime/engine/field-access.js';
import { compileText } from '../sigma/compile-helper.js';

/** Behaviour that only shows after a long run, or on another host: counters that wrap, time zones, key fields. */
describe('engine over a long run and across hosts', () => {
  test('still matches once its per-event counters come round after 2^32 events', () => {
    const { rules } = compileText('title: w\nid: w\nlogsource: { product: windows }\ndetection:\n  sel:\n    Image|endswith: \'\\whoami.exe\'\n  condition: sel\n');
    const engine = createEngine(rules);
    const event = { Image: 'C:\\Windows\\System32\\whoami.exe' };
    // Fast-forwarded rather than fed 4,294,967,294 events: the counters are private.
    const ruleSet = engine.ruleSet as unknown as { epoch: number; view: { epoch: number } };
    ruleSet.epoch = -2;
    ruleSet.view.epoch = -2;
    for (let i = 0; i < 3; i++) {
      const ids: string[] = [];
      engine.process(event, i, (a) => ids.push(a.kind === 'detection' ? a.rule.id : a.kind));
      expect(ids, `event ${i} after the fast-forward`).toEqual(['w']);
    }
  });

  test('reads a date and time without a zone as UTC, with a T or a space, whatever the host\'s zone', () => {
    // Node applies a change of TZ at once: the host is put in New York for this test.
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    onTestFinished(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });
    expect(new Date(Date.UTC(2026, 0, 1)).getHours()).toBe(19);
    const utc = Date.UTC(2026, 0, 1, 10);
    expect(toEpochMs('2026-01-01T10:00:00')).toBe(utc);
    expect(toEpochMs('2026-01-01 10:00:00')).toBe(utc);
    expect(toEpochMs('2026-01-01T10:00:00+01:00')).toBe(utc - 3_600_000);
    expect(toEpochMs('2026-01-01T10:00:00Z')).toBe(utc);
  });

  test('keys `user` on the logon target before the subject, as documented', () => {
    const user = makeKeyReader('user');
    expect(user({ SubjectUserName: 'WS1$', TargetDomainName: 'CONTOSO', TargetUserName: 'alice' })).toBe('CONTOSO\\alice');
    expect(user({ SubjectUserName: 'WS1$', TargetUserName: '-' })).toBe('WS1$');
    expect(user({ User: 'CONTOSO\\bob', TargetUserName: 'alice' })).toBe('CONTOSO\\bob');
  });

  test('folds Greek sigma the same way wherever it stands, in rules and in events, prefiltered or not', () => {
    const rule = (id: string, selection: string) => `title: ${id}\nid: ${id}\nlogsource: { product: windows }\ndetection:\n  sel:\n    ${selection}\n  condition: sel\n`;
    const { rules, diags } = compileText([rule('contains', "Image|contains: 'ΑΣ'"), rule('glob', "Image: 'ΑΣ*Υ'"), rule('cased', "Image|contains|cased: 'ΟΔΟΣ'")].join('---\n'));
    expect(diags.items).toEqual([]);
    const engine = createEngine(rules);
    const matches = (event: Record<string, unknown>) => {
      const ids: string[] = [];
      engine.process(event, 0, (a) => ids.push(a.kind === 'detection' ? a.rule.id : a.kind));
      return ids.sort();
    };
    // Lowercased alone, `ΑΣ` ends in a final sigma (ας); inside `ΑΣΤΥ` it is σ.
    expect(matches({ Image: 'ΑΣΤΥ' })).toEqual(['contains', 'glob']);
    expect(matches({ Image: 'αςτυ' })).toEqual(['contains', 'glob']);
    expect(matches({ Image: 'C:\\ΟΔΟΣΤ\\a.exe' })).toEqual(['cased']);
    expect(matches({ Image: 'οδοστ' })).toEqual([]);
  });

  test('a non-ASCII keyword folds as field values do (İ lowercases to two characters)', () => {
    const { rules } = compileText("title: k\nid: k\nlogsource: { product: windows }\ndetection:\n  keywords:\n    - 'İstanbul'\n  condition: keywords\n");
    const engine = createEngine(rules);
    const ids: string[] = [];
    engine.process({ CommandLine: 'İstanbul x' }, 0, (a) => ids.push(a.kind === 'detection' ? a.rule.id : a.kind));
    expect(ids).toEqual(['k']);
  });
});
