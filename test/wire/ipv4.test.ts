import { describe, it, expect } from 'vitest';
import * as ip4 from '../../src/wire/ipv4.js';
import { inetChecksum } from '../../src/wire/bytes.js';
import { hex } from '../helpers/packets.js';

// RFC 1071-style worked example: UDP datagram header from 192.168.0.1 to 192.168.0.199, checksum 0xb861.
const HEADER = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');

describe('wire/ipv4', () => {
  it('deconstructs a header', () => {
    const r = ip4.parse(HEADER, 0, HEADER.length);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ headerLen: 20, totalLen: 0x73, ttl: 64, protocol: 17, dontFragment: true, moreFragments: false, fragOffset: 0 });
    expect(ip4.formatAddress(r.value.src)).toBe('192.168.0.1');
    expect(ip4.formatAddress(r.value.dst)).toBe('192.168.0.199');
    expect(inetChecksum(HEADER, 0, 20)).toBe(0);
  });

  it('constructs the same bytes, checksum included', () => {
    const r = ip4.parse(HEADER, 0, 20);
    if (!r.ok) throw new Error('parse failed');
    const out = new Uint8Array(20);
    expect(ip4.emit(r.value, out, 0)).toBe(20);
    expect(Array.from(out)).toEqual(Array.from(HEADER));
  });

  it('reads fragments and options', () => {
    const b = hex('4600 0020 abcd 2001 4006 0000 0a00 0001 0a00 0002 0101 0100 0000 0000');
    const r = ip4.parse(b, 0, b.length);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.headerLen).toBe(24);
    expect(r.value.moreFragments).toBe(true);
    expect(r.value.fragOffset).toBe(8);
    expect(r.value.ident).toBe(0xabcd);
    expect(r.value.options).toEqual([1, 1, 1, 0]);
  });

  it('refuses impossible lengths', () => {
    expect(ip4.parse(HEADER, 0, 19)).toMatchObject({ ok: false, error: 'truncated' });
    const badIhl = HEADER.slice();
    badIhl[0] = 0x44;
    expect(ip4.parse(badIhl, 0, 20)).toMatchObject({ ok: false, error: 'malformed' });
    const badTotal = HEADER.slice();
    badTotal[2] = 0;
    badTotal[3] = 10;
    expect(ip4.parse(badTotal, 0, 20)).toMatchObject({ ok: false, error: 'malformed' });
    const v6 = HEADER.slice();
    v6[0] = 0x65;
    expect(ip4.parse(v6, 0, 20)).toMatchObject({ ok: false, error: 'malformed' });
  });

  it('parses and formats dotted quads strictly', () => {
    expect(ip4.parseAddress('10.0.0.255')).toBe(0x0a0000ff);
    expect(ip4.parseAddress('255.255.255.255')).toBe(0xffffffff);
    expect(ip4.parseAddress('256.0.0.1')).toBe(-1);
    expect(ip4.parseAddress('01.2.3.4')).toBe(-1);
    expect(ip4.parseAddress('1.2.3')).toBe(-1);
    expect(ip4.formatAddress(0xc0a80001)).toBe('192.168.0.1');
  });
});
