import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogFormat } from '../../../schema/generated/log-format.js';
import type { LogSource } from '../../../schema/generated/log-source.js';
import type { SourcedEvent } from '../../../runtime/sources/event-sink.js';
import { createFileSource } from '../../../runtime/sources/file-source.js';
import { readJsonlStream } from '../../../runtime/sources/jsonl.js';
import { MAX_LINE_BYTES } from '../../../runtime/sources/line-stream.js';
import type { Problem } from '../../../runtime/sources/problems.js';
import { openStore, type Store } from '../../../runtime/state/store.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-files-'));
  const stores: Store[] = [];
  cleanups.push(() => {
    stores.forEach((s) => s.close());
    rmSync(dir, { recursive: true, force: true });
  });
  const open = () => {
    const s = openStore(path.join(dir, 'state'));
    stores.push(s);
    return s;
  };
  return { dir, open };
}

const jsonlSource = (paths: string[], extra: Partial<LogSource['spec']> = {}): LogSource => ({ apiVersion: 'vigil/v1', kind: 'LogSource', metadata: { name: 'app' }, spec: { type: 'jsonl', paths, ...extra } });

function collector() {
  const events: SourcedEvent[] = [];
  const problems: Problem[] = [];
  return { events, problems, sink: (b: readonly SourcedEvent[]) => void events.push(...b), report: (p: Problem) => void problems.push(p) };
}

describe('JSON Lines file source', () => {
  it('reports and skips a malformed line, maps fields, and resumes from the persisted offset after a restart', async () => {
    const { dir, open } = setup();
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, '{"a":1,"srcip":"10.0.0.1"}\n{broken\n[1,2]\n{"a":2}\n');
    const c = collector();
    const src = createFileSource(jsonlSource([file], { fieldMappings: { srcip: 'src_ip' }, logsource: { category: 'firewall' } }), undefined, { store: open(), sink: c.sink, report: c.report });
    expect(await src.poll()).toBe(2);
    expect(c.events).toEqual([
      { source: 'app', event: { a: 1, src_ip: '10.0.0.1' }, file, line: 1, logsource: { category: 'firewall' } },
      { source: 'app', event: { a: 2 }, file, line: 4, logsource: { category: 'firewall' } },
    ]);
    expect(c.problems.map((p) => [p.code, p.line, p.file])).toEqual([['VS1001', 2, file], ['VS1002', 3, file]]);
    await src.close();

    appendFileSync(file, '{"a":3}\n');
    const again = collector();
    const restarted = createFileSource(jsonlSource([file]), undefined, { store: open(), sink: again.sink, report: again.report });
    expect(await restarted.poll()).toBe(1);
    expect(again.events.map((e) => [e.event.a, e.line])).toEqual([[3, 5]]);
    await restarted.close();
  });

  it('in follow mode waits for the end of a partial last line', async () => {
    const { dir, open } = setup();
    const file = path.join(dir, 'e.jsonl');
    writeFileSync(file, '{"a":1}\n{"a":');
    const c = collector();
    const src = createFileSource(jsonlSource([file]), undefined, { store: open(), sink: c.sink, report: c.report }, { follow: true });
    await src.poll();
    appendFileSync(file, '2}\n');
    await src.poll();
    await src.close();
    expect(c.events.map((e) => e.event.a)).toEqual([1, 2]);
    expect(c.problems).toEqual([]);
  });

  it('reads a truncated file again from the start', async () => {
    const { dir, open } = setup();
    const file = path.join(dir, 'e.jsonl');
    writeFileSync(file, '{"a":1}\n{"a":2}\n');
    const c = collector();
    const src = createFileSource(jsonlSource([file]), undefined, { store: open(), sink: c.sink, report: c.report }, { follow: true });
    await src.poll();
    writeFileSync(file, '{"b":1}\n');
    await src.poll();
    await src.close();
    expect(c.events.map((e) => e.event)).toEqual([{ a: 1 }, { a: 2 }, { b: 1 }]);
    expect(c.problems.map((p) => p.code)).toEqual(['VS1008']);
  });

  it('drains a rotated file through its open handle, then reads the new file; a renamed file that still matches is not read twice', async () => {
    const { dir, open } = setup();
    const file = path.join(dir, 'app.log');
    writeFileSync(file, '{"n":1}\n');
    const c = collector();
    const src = createFileSource(jsonlSource([path.join(dir, 'app.log')]), undefined, { store: open(), sink: c.sink, report: c.report }, { follow: true });
    await src.poll();
    appendFileSync(file, '{"n":2}\n');
    renameSync(file, path.join(dir, 'app.log.1'));
    writeFileSync(file, '{"n":3}\n');
    await src.poll();
    await src.close();
    expect(c.events.map((e) => e.event.n)).toEqual([1, 2, 3]);

    const globbed = collector();
    const src2 = createFileSource({ ...jsonlSource([path.join(dir, 'app.log*')]), metadata: { name: 'glob' } }, undefined, { store: open(), sink: globbed.sink }, { follow: true });
    await src2.poll();
    renameSync(file, path.join(dir, 'app.log.2'));
    writeFileSync(file, '{"n":4}\n');
    await src2.poll();
    await src2.close();
    expect(globbed.events.map((e) => e.event.n).sort()).toEqual([1, 2, 3, 4]);
  });

  it('skips a line longer than a chunk, reported, and keeps the lines after it', async () => {
    const { dir, open } = setup();
    const file = path.join(dir, 'e.jsonl');
    writeFileSync(file, `{"a":1}\n{"long":"${'x'.repeat(300)}"}\n{"a":2}\n`);
    const c = collector();
    const src = createFileSource(jsonlSource([file]), undefined, { store: open(), sink: c.sink, report: c.report }, { follow: true, chunkBytes: 64 });
    await src.poll();
    await src.close();
    expect(c.events.map((e) => [e.event.a, e.line])).toEqual([[1, 1], [2, 3]]);
    expect(c.problems.map((p) => [p.code, p.line])).toEqual([['VS1006', 2]]);
  });

  it('ends the poll when the file is truncated while a long line is being skipped (no busy loop)', async () => {
    const { dir, open } = setup();
    const file = path.join(dir, 'e.jsonl');
    writeFileSync(file, `{"long":"${'x'.repeat(2000)}"}\n{"a":1}\n`);
    const c = collector();
    // copytruncate at the worst moment: right after the follower decided to skip the long line.
    const report = (p: Problem) => {
      c.report(p);
      if (p.code === 'VS1006') truncateSync(file, 0);
    };
    const src = createFileSource(jsonlSource([file]), undefined, { store: open(), sink: c.sink, report }, { follow: true, chunkBytes: 64 });
    await src.poll();
    writeFileSync(file, '{"a":2}\n');
    await src.poll();
    await src.close();
    expect(c.problems.map((p) => p.code)).toEqual(['VS1006', 'VS1008']);
    expect(c.events.map((e) => e.event)).toEqual([{ a: 2 }]);
  });

  it('does not advance the offset when the sink fails, so the batch is read again', async () => {
    const { dir, open } = setup();
    const file = path.join(dir, 'e.jsonl');
    writeFileSync(file, '{"a":1}\n');
    const store = open();
    const failing = createFileSource(jsonlSource([file]), undefined, { store, sink: () => Promise.reject(new Error('down')) });
    await expect(failing.poll()).rejects.toThrow('down');
    const c = collector();
    await createFileSource(jsonlSource([file]), undefined, { store, sink: c.sink }).poll();
    expect(c.events.map((e) => e.event)).toEqual([{ a: 1 }]);
  });
});

describe('delimited file source', () => {
  it('keeps header columns across restarts and stamps the time', async () => {
    const { dir, open } = setup();
    const file = path.join(dir, 'fw.csv');
    writeFileSync(file, 'time,src,action\n2024-01-01 10:00:00,10.0.0.1,allow\n');
    const format: LogFormat = { apiVersion: 'vigil/v1', kind: 'LogFormat', metadata: { name: 'fw' }, spec: { type: 'csv', header: true, timestamp: { field: 'time', format: 'yyyy-MM-dd HH:mm:ss' } } };
    const source: LogSource = { apiVersion: 'vigil/v1', kind: 'LogSource', metadata: { name: 'fw' }, spec: { type: 'file', paths: [file], format: 'fw' } };
    const c = collector();
    await createFileSource(source, format, { store: open(), sink: c.sink, report: c.report }).poll();
    appendFileSync(file, '2024-01-01 10:00:01,10.0.0.2,deny\n');
    await createFileSource(source, format, { store: open(), sink: c.sink, report: c.report }).poll();
    expect(c.events.map((e) => [e.line, e.event])).toEqual([
      [2, { time: '2024-01-01 10:00:00', src: '10.0.0.1', action: 'allow', '@timestamp': '2024-01-01T10:00:00.000Z' }],
      [3, { time: '2024-01-01 10:00:01', src: '10.0.0.2', action: 'deny', '@timestamp': '2024-01-01T10:00:01.000Z' }],
    ]);
    expect(c.problems).toEqual([]);
  });

  it('resumes at the right byte after a line with bytes that are not UTF-8', async () => {
    const { dir, open } = setup();
    const file = path.join(dir, 'a.csv');
    // A Latin-1 `é` (one byte, decoded as U+FFFD), then a quoted value not finished yet.
    writeFileSync(file, Buffer.concat([Buffer.from('alice,caf'), Buffer.from([0xe9]), Buffer.from(',1\nbob,"line one\n')]));
    const format: LogFormat = { apiVersion: 'vigil/v1', kind: 'LogFormat', metadata: { name: 'c' }, spec: { type: 'csv', columns: [{ name: 'user' }, { name: 'note' }, { name: 'n' }] } };
    const source: LogSource = { apiVersion: 'vigil/v1', kind: 'LogSource', metadata: { name: 'app' }, spec: { type: 'file', paths: [file], format: 'c' } };
    const c = collector();
    const src = createFileSource(source, format, { store: open(), sink: c.sink, report: c.report }, { follow: true });
    await src.poll();
    appendFileSync(file, 'line two",2\ncarol,x,3\n');
    await src.poll();
    await src.close();
    expect(c.events.map((e) => [e.line, e.event.user, e.event.note])).toEqual([[1, 'alice', 'caf\ufffd'], [2, 'bob', 'line one\nline two'], [4, 'carol', 'x']]);
    expect(c.problems).toEqual([]);
  });
});

describe('readJsonlStream (stdin)', () => {
  it('reads lines in batches and reports malformed ones', async () => {
    const batches: number[] = [];
    const problems: Problem[] = [];
    const total = await readJsonlStream(Readable.from(['{"a":1}\n{"a":2}\nnope\n', '{"a":3}\n']), 'stdin', (rows) => void batches.push(rows.length), (p) => void problems.push(p), { batchSize: 2 });
    expect(total).toBe(3);
    expect(batches).toEqual([2, 1]);
    expect(problems.map((p) => [p.code, p.line])).toEqual([['VS1001', 3]]);
  });

  it('skips a line longer than the bound, reported, without holding it in memory', async () => {
    const rows: unknown[] = [];
    const problems: Problem[] = [];
    const long = Buffer.alloc(MAX_LINE_BYTES + 10, 0x78);
    const total = await readJsonlStream(Readable.from([Buffer.from('{"a":1}\r\n'), long, Buffer.from('x\n{"a":2}')]), 'stdin', (b) => void rows.push(...b.map((r) => [r.line, r.event])), (p) => void problems.push(p));
    expect(total).toBe(2);
    expect(rows).toEqual([[1, { a: 1 }], [3, { a: 2 }]]);
    expect(problems.map((p) => [p.code, p.line])).toEqual([['VS1006', 2]]);
  });
});
