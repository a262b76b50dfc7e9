import { describe, expect, it } from 'vitest';
import type { LogFormatSpec } from '../../../schema/generated/log-format.js';
import { parseDelimited } from '../../../runtime/sources/delimited.js';
import { compileFormat } from '../../../runtime/sources/log-format.js';

const csv = (extra: Partial<LogFormatSpec> = {}) =>
  compileFormat({ type: 'csv', columns: [{ name: 'time', type: 'timestamp', format: 'yyyy/MM/dd HH:mm:ss' }, { name: 'src_ip', type: 'ip' }, { name: 'port', type: 'int' }, { name: 'action' }], timestamp: { field: 'time', format: 'yyyy/MM/dd HH:mm:ss' }, ...extra });

describe('parseDelimited', () => {
  it('types columns, reads the timestamp and keeps quoted delimiters and newlines', () => {
    const text = '2024/01/02 03:04:05,10.0.0.1,443,"allow, logged"\n2024/01/02 03:04:06,10.0.0.2,80,"multi\nline"\n';
    const r = parseDelimited(text, csv(), 'fw');
    expect(r.problems).toEqual([]);
    expect(r.rows).toEqual([
      { line: 1, event: { time: '2024-01-02T03:04:05.000Z', src_ip: '10.0.0.1', port: 443, action: 'allow, logged', '@timestamp': '2024-01-02T03:04:05.000Z' } },
      { line: 2, event: { time: '2024-01-02T03:04:06.000Z', src_ip: '10.0.0.2', port: 80, action: 'multi\nline', '@timestamp': '2024-01-02T03:04:06.000Z' } },
    ]);
    expect(r.state.line).toBe(3);
  });

  it('reports ragged rows and broken quotes by line and keeps every good row', () => {
    const text = [
      '2024/01/02 03:04:05,10.0.0.1,443,allow',
      '2024/01/02 03:04:05,10.0.0.1',
      '2024/01/02 03:04:05,"10.0.0.3,22,deny',
      '2024/01/02 03:04:05,10.0.0.4,"2"2,deny',
      '2024/01/02 03:04:05,10.0.0.5,25,allow',
      '"unclosed,10.0.0.6,1,x',
      '2024/01/02 03:04:05,10.0.0.7,26,allow',
    ].join('\n') + '\n';
    const r = parseDelimited(text, csv(), 'fw');
    expect(r.rows.map((x) => [x.line, x.event.src_ip])).toEqual([[1, '10.0.0.1'], [5, '10.0.0.5'], [7, '10.0.0.7']]);
    expect(r.problems.map((p) => [p.code, p.line])).toEqual([['VS1003', 2], ['VS1004', 3], ['VS1004', 4], ['VS1004', 6]]);
  });

  it('keeps a bad typed value as text and reports it', () => {
    const r = parseDelimited('2024/01/02 03:04:05,not-an-ip,http,allow\n', csv(), 'fw');
    expect(r.rows[0]!.event).toMatchObject({ src_ip: 'not-an-ip', port: 'http' });
    expect(r.problems.map((p) => p.code)).toEqual(['VS1005', 'VS1005']);
  });

  it('reads a header line and TSV, and skips comment lines', () => {
    const f = compileFormat({ type: 'tsv', header: true, commentPrefix: '//', columns: [{ name: 'bytes', type: 'int' }] });
    const r = parseDelimited('// exported\nhost\tbytes\nws1\t10\n// again\nws2\t20\nws3\n', f, 'tsv');
    expect(r.rows.map((x) => x.event)).toEqual([{ host: 'ws1', bytes: 10 }, { host: 'ws2', bytes: 20 }]);
    expect(r.problems.map((p) => [p.code, p.line])).toEqual([['VS1003', 6]]);
    expect(r.state.columns?.map((c) => c.name)).toEqual(['host', 'bytes']);
  });

  it('reads W3C extended logs (IIS) with #Fields directives that change mid-file', () => {
    const f = compileFormat({ type: 'w3c', columns: [{ name: 'sc-status', type: 'int' }], timestamp: { field: 'date' } });
    const text = [
      '#Software: Microsoft Internet Information Services 10.0',
      '#Version: 1.0',
      '#Date: 2024-05-01 00:00:00',
      '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query sc-status',
      '2024-05-01 00:00:01 10.1.1.1 GET /index.html - 200',
      '#Fields: date time cs-method sc-status',
      '2024-05-01 00:00:02 POST 500',
    ].join('\r\n') + '\r\n';
    const r = parseDelimited(text, f, 'iis');
    expect(r.problems).toEqual([]);
    expect(r.rows.map((x) => x.event)).toEqual([
      { date: '2024-05-01', time: '00:00:01', 's-ip': '10.1.1.1', 'cs-method': 'GET', 'cs-uri-stem': '/index.html', 'sc-status': 200, '@timestamp': '2024-05-01T00:00:01.000Z' },
      { date: '2024-05-01', time: '00:00:02', 'cs-method': 'POST', 'sc-status': 500, '@timestamp': '2024-05-01T00:00:02.000Z' },
    ]);
  });

  it('reads a Windows DHCP server log after its legend, with extra trailing columns', () => {
    const f = compileFormat({
      type: 'dhcp', skipLines: 3,
      columns: [{ name: 'ID', type: 'int' }, { name: 'Date' }, { name: 'Time' }, { name: 'Description' }, { name: 'IPAddress', type: 'ip' }, { name: 'HostName' }, { name: 'MACAddress' }],
      timestamp: { field: 'Date', format: 'MM/dd/yy', timezone: 'Europe/Amsterdam' },
    });
    const text = [
      '\t\tMicrosoft DHCP Service Activity Log',
      '',
      'Event ID  Meaning',
      '00\tThe log was started.',
      'ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID',
      '10,01/15/24,10:00:00,Assign,192.168.1.20,ws-20.contoso.local,001122334455,,1234',
    ].join('\r\n') + '\r\n';
    const r = parseDelimited(text, f, 'dhcp');
    expect(r.problems).toEqual([]);
    expect(r.rows).toEqual([{ line: 6, event: { ID: 10, Date: '01/15/24', Time: '10:00:00', Description: 'Assign', IPAddress: '192.168.1.20', HostName: 'ws-20.contoso.local', MACAddress: '001122334455', '@timestamp': '2024-01-15T09:00:00.000Z' } }]);
  });

  it('holds back an unfinished quoted record until more data arrives, and resumes from its state', () => {
    const f = csv();
    const first = parseDelimited('2024/01/02 03:04:05,10.0.0.1,1,a\n2024/01/02 03:04:05,10.0.0.2,2,"b\n', f, 'fw', { line: 0 }, false);
    expect(first.rows.map((r) => r.line)).toEqual([1]);
    expect(first.consumed).toBe('2024/01/02 03:04:05,10.0.0.1,1,a\n'.length);
    const rest = '2024/01/02 03:04:05,10.0.0.2,2,"b\nc"\n';
    const second = parseDelimited(rest, f, 'fw', first.state, false);
    expect(second.rows).toEqual([{ line: 2, event: expect.objectContaining({ action: 'b\nc' }) }]);
    expect(second.state.line).toBe(3);
  });

  it('reports a stray quote after a bounded number of lines instead of holding every later line back', () => {
    const f = compileFormat({ type: 'csv', columns: [{ name: 'user' }, { name: 'note' }, { name: 'n' }] });
    const later = Array.from({ length: 600 }, (_, i) => `user${i},note${i},${i}\n`).join('');
    const r = parseDelimited(`alice,ok,1\nbob,"unclosed,2\n${later}`, f, 'app', { line: 0 }, false);
    expect(r.problems.map((p) => [p.code, p.line])).toEqual([['VS1004', 2]]);
    expect(r.rows).toHaveLength(601);
    expect(r.rows[1]).toEqual({ line: 3, event: { user: 'user0', note: 'note0', n: '0' } });
    // A quoted value over a few lines still waits for its end.
    const short = parseDelimited('alice,ok,1\nbob,"two\nlines', f, 'app', { line: 0 }, false);
    expect(short.rows).toHaveLength(1);
    expect(short.problems).toEqual([]);
  });

  it('splits a header csv-parse rejects at each delimiter, and says so (VS1014)', () => {
    const f = compileFormat({ type: 'csv', header: true });
    const r = parseDelimited('user,"note,n\nbob,hi,1\n', f, 'app');
    expect(r.problems.map((p) => [p.code, p.line, p.message])).toEqual([['VS1014', 1, 'line 1, the header, cannot be parsed (quote not closed); its column names were split at each delimiter']]);
    expect(r.rows.map((x) => x.event)).toEqual([{ user: 'bob', '"note': 'hi', n: '1' }]);
  });

  it('reads directives, comments and headers after a byte order mark', () => {
    const w3c = compileFormat({ type: 'w3c' });
    const logged = parseDelimited('\ufeff#Fields: date time c-ip\n2024-05-01 10:00:00 10.0.0.1\n', w3c, 'iis');
    expect(logged.rows.map((x) => x.event)).toEqual([{ date: '2024-05-01', time: '10:00:00', 'c-ip': '10.0.0.1' }]);
    const csvHeader = compileFormat({ type: 'csv', header: true, commentPrefix: '#' });
    const commented = parseDelimited('\ufeff# exported\nuser,host\nbob,h1\n', csvHeader, 'app');
    expect(commented.rows.map((x) => x.event)).toEqual([{ user: 'bob', host: 'h1' }]);
    expect(commented.problems).toEqual([]);
  });
});
