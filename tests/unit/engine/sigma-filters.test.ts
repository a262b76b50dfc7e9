import { describe, expect, test } from 'vitest';
import { runRules } from './run-rules.js';

describe('Sigma filters', () => {
  test('a Sigma filter whose condition names an EventID fails, not skips, an event with another id', () => {
    const text = `title: whoami\nid: w\nlogsource: { product: windows, category: process_creation }\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n---\ntitle: only 4688 by admin\nid: f\nlogsource: { product: windows, category: process_creation }\nfilter:\n  rules: [w]\n  sel:\n    EventID: 4688\n    User: admin\n  condition: sel\n`;
    const event = (id: number, user: string) => ({ EventID: id, Image: 'C:\\Windows\\System32\\whoami.exe', User: user });
    const alerts = runRules(text, [event(1, 'bob'), event(4688, 'bob'), event(4688, 'admin')]);
    expect(alerts.map((a) => (a.kind === 'detection' ? a.event : a.kind))).toEqual([2]);
  });
});
