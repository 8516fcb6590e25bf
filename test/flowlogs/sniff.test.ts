import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { isFlowLog, sniffFlowLog, notTrafficError } from '../../src/flowlogs/sniff.js';
import { CaptureFormatError } from '../../src/errors.js';

const V2 = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n';
const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n';
const lab = (p: string): Buffer => readFileSync(new URL(`../../captures/flowlogs/${p}`, import.meta.url));

describe('isFlowLog / sniffFlowLog', () => {
  it('recognises text with a header, default v2 text, gzip of both and Parquet', () => {
    expect(sniffFlowLog(Buffer.from(HEADER + V2))).toEqual({ format: 'text-header', compression: null });
    expect(sniffFlowLog(Buffer.from(V2))).toEqual({ format: 'text-v2', compression: null });
    expect(sniffFlowLog(gzipSync(HEADER + V2))).toEqual({ format: 'text-header', compression: 'gzip' });
    expect(sniffFlowLog(gzipSync(V2))).toEqual({ format: 'text-v2', compression: 'gzip' });
    expect(sniffFlowLog(lab('parquet/lab.log.parquet'))).toEqual({ format: 'parquet', compression: null });
    expect(isFlowLog(lab('v5/lab.log'))).toBe(true);
    expect(isFlowLog(lab('v2/lab.log'))).toBe(true);
    // a whole one-line file without newline, only when the caller says the head is the whole file
    expect(sniffFlowLog(Buffer.from(V2.trim()), true)?.format).toBe('text-v2');
    expect(sniffFlowLog(Buffer.from(V2.trim()), false)).toBeNull();
  });

  it('never misfires on the project pcaps, the lab pcaps (pcap, NFLOG pcap), their gzip, or pcapng', () => {
    const caps = [new URL('../../captures/', import.meta.url), new URL('../../captures/flowlogs/', import.meta.url)];
    let n = 0;
    for (const dir of caps) {
      for (const name of readdirSync(dir).filter((x) => x.endsWith('.pcap'))) {
        const bytes = readFileSync(new URL(name, dir));
        expect(isFlowLog(bytes), name).toBe(false);
        expect(isFlowLog(gzipSync(bytes)), `${name}.gz`).toBe(false);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(7);
    // pcapng section header block: 0x0a0d0d0a, byte-order magic, version 1.0 (RFC draft-ietf-opsawg-pcapng 4.1)
    const shb = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex');
    expect(isFlowLog(shb)).toBe(false);
    expect(isFlowLog(gzipSync(shb))).toBe(false);
  });

  it('rejects other text and binary', () => {
    for (const s of ['', '\n', 'hello world\n', '{"version": 2}\n', 'version\n', '2 3 4\n', '# comment\n' + V2, 'GET / HTTP/1.1\r\n']) expect(isFlowLog(Buffer.from(s)), JSON.stringify(s)).toBe(false);
    expect(isFlowLog(Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]))).toBe(false);
  });

  it('notTrafficError is one line naming the file and what it starts with', () => {
    const e = notTrafficError('x.bin', Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 1]));
    expect(e).toBeInstanceOf(CaptureFormatError);
    expect(e.exitCode).toBe(65);
    expect(e.message).toBe('x.bin: offset 0: not a pcap, pcapng or VPC flow-log file (magic 0xdeadbeef)');
    expect(notTrafficError('y.txt', Buffer.from('hello\nworld')).message).toBe('y.txt: offset 0: not a pcap, pcapng or VPC flow-log file (starts with "hello")');
  });
});
