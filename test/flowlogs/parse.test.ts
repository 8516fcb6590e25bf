import { describe, it, expect } from 'vitest';
import { readAll, tempFile } from './helpers.js';
import { Action, LogStatus, FlowDirection } from '../../src/flowlogs/fields.js';
import { Has } from '../../src/flowlogs/batch.js';
import { parseAddress } from '../../src/flowlogs/parse.js';
import { FlowLogFormatError } from '../../src/errors.js';

// Lines in the formats of https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-examples.html
const V2_ACCEPT = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const V2_REJECT = '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK';
const V2_NODATA = '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA';
const V2_SKIPDATA = '2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA';

describe('default version 2 format (no header)', () => {
  it('reads every field of ACCEPT, REJECT, NODATA and SKIPDATA records', async () => {
    const f = tempFile([V2_ACCEPT, V2_REJECT, V2_NODATA, V2_SKIPDATA].join('\n') + '\n');
    const { rows, reader } = await readAll([f]);
    expect(reader.problems.total()).toBe(0);
    expect(rows).toHaveLength(4);
    const [a, r, n, s] = rows;
    expect(a).toMatchObject({ line: 1, version: 2, family: 4, src: '172.31.16.139', dst: '172.31.16.21', srcPort: 20641, dstPort: 22, proto: 6, packets: 20, bytes: 4249, start: 1418530010, end: 1418530070, action: Action.ACCEPT, logStatus: LogStatus.OK, iface: 'eni-1235b8ca123456789' });
    expect(r).toMatchObject({ line: 2, src: '172.31.9.69', dstPort: 3389, action: Action.REJECT });
    expect(n).toMatchObject({ line: 3, family: 0, logStatus: LogStatus.NODATA, action: Action.UNSET, start: 1431280876, end: 1431280934 });
    expect(n!.present & Has.ADDRS).toBe(0);
    expect(s).toMatchObject({ logStatus: LogStatus.SKIPDATA, iface: 'eni-11111111aaaaaaaaa' });
    expect(reader.files[0]).toMatchObject({ format: 'text-v2', compression: null, lines: 4, records: 4, headers: 0 });
  });

  it('takes a last line without newline, CRLF line ends, tabs and runs of spaces between fields', async () => {
    const f = tempFile(V2_ACCEPT.replaceAll(' ', '  ').replace(' 22 ', '\t22\t') + '\r\n' + V2_REJECT);
    const { rows, reader } = await readAll([f]);
    expect(reader.problems.total()).toBe(0);
    expect(rows.map((x) => x.dstPort)).toEqual([22, 3389]);
  });
});

describe('custom formats with a header line', () => {
  it('reads fields in any order, skips unknown and later-version fields by name, and `-` leaves a field unset', async () => {
    const header = 'interface-id ecs-task-id srcport dstport some-future-field tcp-flags flow-direction srcaddr dstaddr pkt-srcaddr pkt-dstaddr protocol action log-status version traffic-path subnet-id start end packets bytes';
    const l1 = 'eni-0a 1234 443 50000 whatever 18 egress 10.0.0.5 10.0.1.9 203.0.113.7 10.0.1.9 6 ACCEPT OK 5 2 subnet-aa 100 160 3 180';
    const l2 = 'eni-0b - - - - - ingress 10.0.1.9 10.0.0.5 - - 1 REJECT OK 5 - - 100 100 1 84';
    const f = tempFile(`${header}\n${l1}\n${l2}\n`);
    const { rows, reader } = await readAll([f]);
    expect(reader.problems.details).toEqual([]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ line: 2, iface: 'eni-0a', srcPort: 443, dstPort: 50000, tcpFlags: 18, flowDirection: FlowDirection.EGRESS, src: '10.0.0.5', dst: '10.0.1.9', pktSrc: '203.0.113.7', pktDst: '10.0.1.9', proto: 6, action: Action.ACCEPT, version: 5, trafficPath: 2, subnet: 'subnet-aa', start: 100, end: 160, packets: 3, bytes: 180 });
    expect(rows[0]!.present & (Has.TCP_FLAGS | Has.PKT_SRCADDR | Has.TRAFFIC_PATH | Has.PORTS)).toBe(Has.TCP_FLAGS | Has.PKT_SRCADDR | Has.TRAFFIC_PATH | Has.PORTS);
    expect(rows[1]).toMatchObject({ iface: 'eni-0b', proto: 1, srcPort: 0, dstPort: 0, flowDirection: FlowDirection.INGRESS, action: Action.REJECT, subnet: '-', trafficPath: 0 });
    expect(rows[1]!.present & (Has.TCP_FLAGS | Has.PKT_SRCADDR | Has.PKT_DSTADDR | Has.PORTS | Has.TRAFFIC_PATH)).toBe(0);
    expect(reader.files[0]).toMatchObject({ format: 'text-header', headers: 1, lines: 3, records: 2 });
  });

  it('takes a new header in the middle of a file (files concatenated) and reads the next lines in its order', async () => {
    const f = tempFile(['version srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status', '3 10.0.0.1 10.0.0.2 1 2 17 1 40 5 6 ACCEPT OK', 'log-status action end start bytes packets protocol dstport srcport dstaddr srcaddr version', 'OK REJECT 6 5 40 1 17 2 1 10.0.0.2 10.0.0.1 3'].join('\n'));
    const { rows, reader } = await readAll([f]);
    expect(reader.problems.total()).toBe(0);
    expect(rows.map((r) => [r.src, r.dst, r.action])).toEqual([['10.0.0.1', '10.0.0.2', Action.ACCEPT], ['10.0.0.1', '10.0.0.2', Action.REJECT]]);
    expect(reader.files[0]!.headers).toBe(2);
  });

  it('a named file that is no flow log is a one-line FlowLogFormatError', async () => {
    const f = tempFile('hello world, this is not a flow log\n');
    await expect(readAll([f])).rejects.toThrow(FlowLogFormatError);
    await expect(readAll([f])).rejects.toThrow(/^[^\n]*not a VPC flow-log file[^\n]*$/);
  });
});

describe('IPv6 addresses', () => {
  const words = new Uint32Array(4);
  const parse = (s: string): number[] | number => {
    const b = Buffer.from(s, 'latin1');
    const f = parseAddress(b, 0, b.length, words, 0);
    return f === 6 ? Array.from(words) : f;
  };
  it('parses the RFC 4291 2.2 text forms', () => {
    expect(parse('2001:db8::1')).toEqual([0x20010db8, 0, 0, 1]);
    expect(parse('::')).toEqual([0, 0, 0, 0]);
    expect(parse('::1')).toEqual([0, 0, 0, 1]);
    expect(parse('fe80::')).toEqual([0xfe800000, 0, 0, 0]);
    expect(parse('2001:DB8:0:0:8:800:200C:417A')).toEqual([0x20010db8, 0, 0x80800, 0x200c417a]);
    expect(parse('::ffff:192.0.2.128')).toEqual([0, 0, 0xffff, 0xc0000280]);
    expect(parse('2600:1f18:abcd:ef01:1234:5678:9abc:def0')).toEqual([0x26001f18, 0xabcdef01, 0x12345678, 0x9abcdef0]);
  });
  it('rejects what is not an address', () => {
    for (const bad of ['1::2::3', '12345::', ':1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '1:', '::1.2.3', '10.0.0.256', '10.0.0', '1.2.3.4.5', '']) expect(parse(bad), bad).toBe(-1);
  });
  it('reads IPv6 records', async () => {
    const f = tempFile('2 123456789010 eni-1 2600:1f18::10 2600:1f18:0:1::20 49152 443 6 10 840 1 61 ACCEPT OK\n');
    const { rows } = await readAll([f]);
    expect(rows[0]).toMatchObject({ family: 6, src: '2600:1f18:0:0:0:0:0:10', dst: '2600:1f18:0:1:0:0:0:20', dstPort: 443 });
  });
});

describe('malformed lines', () => {
  it('are counted problems naming file and line; the good lines around them are records', async () => {
    const lines = [
      V2_ACCEPT,
      '2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT', // 13 fields
      V2_ACCEPT.replace(' 20641 ', ' 70000 '), // port out of range
      V2_ACCEPT.replace('172.31.16.139', '172.31.16.300'), // bad address
      V2_ACCEPT.replace(' 6 20 ', ' 6 2x '), // bad number
      V2_ACCEPT.replace('ACCEPT', 'ALLOW'), // unknown action
      V2_ACCEPT.replace('172.31.16.21', '2001:db8::1'), // mixed families
      V2_ACCEPT + ' extra', // too many fields
      '2 123456789010 eni-1 - - - - 6 1 40 1 2 ACCEPT OK', // OK without addresses
      V2_REJECT,
    ];
    const f = tempFile(lines.join('\n') + '\n');
    const { rows, reader } = await readAll([f]);
    expect(rows.map((r) => r.line)).toEqual([1, 10]);
    expect(reader.problems.totals()).toEqual({ 'bad-flow-log-line': 8 });
    const d = reader.problems.details;
    expect(d.map((x) => x.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(d.every((x) => x.file === f && x.message.startsWith(`${f}:${x.line}: `))).toBe(true);
    expect(d[0]!.message).toMatch(/13 fields, the format has 14/);
    expect(d[1]!.message).toMatch(/field 6 \(srcport\) is out of range: "70000"/);
    expect(d[2]!.message).toMatch(/field 4 \(srcaddr\) is not an IPv4 or IPv6 address: "172.31.16.300"/);
    expect(d[3]!.message).toMatch(/field 9 \(packets\) is not a number: "2x"/);
    expect(d[4]!.message).toMatch(/field 13 \(action\) has an unknown value: "ALLOW"/);
    expect(d[5]!.message).toMatch(/address family/);
    expect(d[6]!.message).toMatch(/more than the format's 14 fields/);
    expect(d[7]!.message).toMatch(/log-status OK needs srcaddr/);
    // the offset is the line's byte offset in the (decompressed) stream
    expect(d[0]!.offset).toBe(V2_ACCEPT.length + 1);
    expect(reader.files[0]!.malformed).toBe(8);
  });
});

describe('coverage gaps', () => {
  it('NODATA and SKIPDATA records become merged ranges per interface and status', async () => {
    const g = (eni: string, s: number, e: number, st: string): string => `2 1 ${eni} - - - - - - - ${s} ${e} - ${st}`;
    const f = tempFile([g('eni-b', 200, 260, 'SKIPDATA'), g('eni-a', 100, 160, 'NODATA'), g('eni-a', 160, 220, 'NODATA'), g('eni-a', 221, 280, 'NODATA'), g('eni-a', 400, 460, 'NODATA'), g('eni-b', 100, 160, 'SKIPDATA'), g('eni-a', 150, 170, 'SKIPDATA'), V2_ACCEPT].join('\n'));
    const { reader } = await readAll([f]);
    const gaps = reader.gaps.list((id) => reader.interfaces.name(id));
    expect(gaps.map((x) => [x.interface, x.status, x.start, x.end, x.records])).toEqual([
      ['eni-b', 'SKIPDATA', 100, 160, 1],
      ['eni-b', 'SKIPDATA', 200, 260, 1],
      ['eni-a', 'NODATA', 100, 280, 3],
      ['eni-a', 'NODATA', 400, 460, 1],
      ['eni-a', 'SKIPDATA', 150, 170, 1],
    ]);
  });
});
