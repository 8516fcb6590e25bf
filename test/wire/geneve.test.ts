import { describe, it, expect } from 'vitest';
import * as geneve from '../../src/wire/geneve.js';
import { hex } from '../helpers/packets.js';

// tcpdump's tests/geneve.pcap, frame 1 (tcpdump -X: "Geneve, Flags [C], vni 0xa, options [8 bytes]"): options length
// 2 words, C set, protocol 0x6558, VNI 10, one option: class 0x0000, type 0x80 (critical), length 1, data 0000000c.
const HEADER = hex('0240 6558 0000 0a00  0000 8001 0000 000c');

// An AWS GWLB header (AWS "Gateway Load Balancer" docs, GENEVE option class 0x0108): IPv4 payload, VNI 0, options
// type 1 endpoint id (8 bytes), type 2 attachment id (8 bytes), type 3 flow cookie (4 bytes): 3 + 3 + 2 words.
const GWLB = hex(`
  0800 0800 0000 0000
  0108 0102 0123 4567 89ab cdef
  0108 0202 0000 0a0b 0c0d 0e0f
  0108 0301 dead beef`);

describe('wire/geneve', () => {
  it('deconstructs a header and its options (RFC 8926 3.4, 3.5)', () => {
    expect(geneve.version(HEADER, 0)).toBe(0);
    expect(geneve.optionsLen(HEADER, 0)).toBe(8);
    expect(geneve.flags(HEADER, 0)).toBe(geneve.FLAG_CRITICAL);
    expect(geneve.protocolType(HEADER, 0)).toBe(0x6558);
    expect(geneve.vni(HEADER, 0)).toBe(10);
    const r = geneve.parse(HEADER, 0, HEADER.length);
    expect(r).toEqual({ ok: true, value: { oam: false, critical: true, protocolType: 0x6558, vni: 10, options: [{ optionClass: 0, type: 0x80, reserved: 0, data: [0, 0, 0, 0x0c] }] } });
  });

  it('reads the AWS options into its scratch, skipping others by length', () => {
    const o = geneve.awsOptions();
    expect(geneve.readAwsOptions(GWLB, 8, GWLB.length, o)).toBe(true);
    expect(o).toMatchObject({ hasEndpoint: true, endpointHi: 0x01234567, endpointLo: 0x89abcdef, hasAttachment: true, attachmentHi: 0x00000a0b, attachmentLo: 0x0c0d0e0f, hasFlowCookie: true, flowCookie: 0xdeadbeef, count: 3 });
    expect(geneve.readAwsOptions(HEADER, 8, HEADER.length, o)).toBe(true);
    expect(o).toMatchObject({ hasEndpoint: false, hasAttachment: false, hasFlowCookie: false, count: 1 });
  });

  it('constructs the same bytes', () => {
    for (const h of [HEADER, GWLB]) {
      const r = geneve.parse(h, 0, h.length);
      if (!r.ok) throw new Error(r.reason);
      const out = new Uint8Array(h.length);
      expect(geneve.emit(r.value, out, 0)).toBe(h.length);
      expect(Array.from(out)).toEqual(Array.from(h));
    }
  });

  it('refuses impossible lengths and versions', () => {
    expect(geneve.parse(HEADER, 0, 7)).toMatchObject({ ok: false, error: 'truncated' });
    expect(geneve.parse(HEADER, 0, 12)).toMatchObject({ ok: false, error: 'truncated' }); // options cut
    const v1 = HEADER.slice();
    v1[0] = 0x42;
    expect(geneve.parse(v1, 0, v1.length)).toMatchObject({ ok: false, error: 'malformed' });
    expect(geneve.isPlausible(v1, 0)).toBe(false);
    const reserved = HEADER.slice();
    reserved[1] = 0x41;
    expect(geneve.isPlausible(reserved, 0)).toBe(false);
    // the option claims 2 words of data but the options hold 1
    const long = HEADER.slice();
    long[11] = 0x02;
    expect(geneve.parse(long, 0, long.length)).toMatchObject({ ok: false, error: 'malformed', reason: expect.stringMatching(/runs past/) });
    expect(geneve.readAwsOptions(long, 8, long.length, geneve.awsOptions())).toBe(false);
    // an option header that does not fit: options length 1 word, 4-byte option header only half there is fine; 3 bytes is not
    expect(geneve.readAwsOptions(hex('0108 01'), 0, 3, geneve.awsOptions())).toBe(false);
  });
});
