import { describe, it, expect } from 'vitest';
import { gzipSync } from 'node:zlib';
import { readAll, tempFile } from './helpers.js';

const header = 'version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
function records(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`5 eni-${i % 7} 10.0.${(i >> 8) & 255}.${i & 255} 10.1.0.1 ${1024 + i} 443 6 ${1 + (i % 9)} ${60 * (1 + (i % 9))} ${1_700_000_000 + i} ${1_700_000_060 + i} ACCEPT OK`);
  return out;
}

describe('gzip', () => {
  it('reads a gzip file of many members (concatenated .gz files) like the plain text', async () => {
    const lines = records(3000);
    const text = [header, ...lines].join('\n') + '\n';
    const cut = text.indexOf('\n', text.length >> 1) + 1;
    const gz = Buffer.concat([gzipSync(text.slice(0, cut)), gzipSync(text.slice(cut))]);
    const { rows, reader } = await readAll([tempFile(gz, 'multi.log.gz')], 512);
    const plain = await readAll([tempFile(text)], 512);
    expect(reader.problems.total()).toBe(0);
    expect(rows.length).toBe(3000);
    expect(rows.map((r) => [r.line, r.src, r.srcPort, r.packets])).toEqual(plain.rows.map((r) => [r.line, r.src, r.srcPort, r.packets]));
    expect(reader.files[0]).toMatchObject({ format: 'text-header', compression: 'gzip', records: 3000 });
  });

  it('garbage appended after a member: every record before it is kept, and an I/O problem gives the offset', async () => {
    const lines = records(2000);
    const gz = gzipSync([header, ...lines].join('\n') + '\n');
    const bad = Buffer.concat([gz, Buffer.from('this is not gzip at all')]);
    const file = tempFile(bad, 'garbage.log.gz');
    const { rows, reader } = await readAll([file], 256);
    expect(rows.length).toBe(2000);
    expect(rows[1999]!.srcPort).toBe(1024 + 1999);
    expect(reader.problems.totals()).toEqual({ 'bad-compressed-stream': 1 });
    const p = reader.problems.details[0]!;
    expect(p.offset).toBe(gz.length);
    expect(p.file).toBe(file);
    expect(p.message).toContain(`${bad.length - gz.length} bytes after gzip member 1 at offset ${gz.length} are not a gzip member`);
  });

  it('a truncated gzip keeps the complete lines it inflated to and says where the stream was cut', async () => {
    const lines = records(4000);
    const gz = gzipSync([header, ...lines].join('\n') + '\n');
    const cutAt = Math.floor(gz.length * 0.6);
    const file = tempFile(gz.subarray(0, cutAt), 'cut.log.gz');
    const { rows, reader } = await readAll([file], 256);
    expect(reader.problems.totals()).toEqual({ 'bad-compressed-stream': 1 });
    const p = reader.problems.details[0]!;
    expect(p.offset).toBe(cutAt);
    expect(p.message).toMatch(/gzip stream cut short at offset \d+ \(file size\)/);
    // most of the records before the cut are there, in order, each one whole
    expect(rows.length).toBeGreaterThan(1500);
    expect(rows.length).toBeLessThan(4000);
    rows.forEach((r, k) => expect(r.srcPort).toBe(1024 + k));
    // the unfinished line after the last complete one is dropped and named
    expect(p.line).toBe(rows.length + 2);
  });

  it('a corrupt trailer (CRC-32) is a problem at the trailer offset, the records stay', async () => {
    const gz = Buffer.from(gzipSync([header, ...records(50)].join('\n') + '\n'));
    gz[gz.length - 8]! ^= 0xff;
    const { rows, reader } = await readAll([tempFile(gz, 'crc.log.gz')]);
    expect(rows.length).toBe(50);
    expect(reader.problems.details[0]).toMatchObject({ kind: 'bad-compressed-stream', offset: gz.length - 8 });
  });
});
