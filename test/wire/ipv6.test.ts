import { describe, it, expect } from 'vitest';
import * as ip6 from '../../src/wire/ipv6.js';
import { hex } from '../helpers/packets.js';

// fe80::1 -> ff02::1, hop-by-hop (router alert) then ICMPv6 (58).
const PACKET = hex(`
  6000 0000 0020 0001 fe80 0000 0000 0000 0000 0000 0000 0001
  ff02 0000 0000 0000 0000 0000 0000 0001
  3a00 0502 0000 0100
  8200 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000`);

describe('wire/ipv6', () => {
  it('deconstructs the header and walks the extension chain', () => {
    const r = ip6.parse(PACKET, 0, PACKET.length);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.nextHeader).toBe(0);
    expect(r.value.upperProtocol).toBe(58);
    expect(r.value.upperOffset).toBe(48);
    expect(r.value.hopLimit).toBe(1);
    expect(r.value.extensions).toEqual([{ type: 0, len: 8 }]);
    expect(ip6.formatAddress(...r.value.src)).toBe('fe80::1');
    expect(ip6.formatAddress(...r.value.dst)).toBe('ff02::1');
  });

  it('constructs the fixed header', () => {
    const r = ip6.parse(PACKET, 0, PACKET.length);
    if (!r.ok) throw new Error(r.reason);
    const out = new Uint8Array(40);
    ip6.emit(r.value, out, 0);
    expect(Array.from(out)).toEqual(Array.from(PACKET.subarray(0, 40)));
  });

  it('reads the fragment header and stops at a later fragment', () => {
    const b = hex(`6000 0000 0010 2c40 ${'20010db8000000000000000000000001'} ${'20010db8000000000000000000000002'}
      1100 0b29 dead beef  0035 0035 0010 0000`);
    const r = ip6.parse(b, 0, b.length);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.fragment).toEqual({ offset: 0x0b28, more: true, ident: 0xdeadbeef });
    expect(r.value.upperProtocol).toBe(17);
  });

  it('walks AH with its 4-octet length unit', () => {
    // AH payload length 4 -> (4 + 2) * 4 = 24 bytes.
    const ah = '06 04 0000 00000001 00000001 0000000000000000 00000000';
    const b = hex(`6000 0000 0020 3340 ${'0'.repeat(32)} ${'0'.repeat(31)}1 ${ah} 0050 0050 00000000 00000000 5002 0000 0000 0000`);
    const r = ip6.parse(b, 0, b.length);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.extensions).toEqual([{ type: 51, len: 24 }]);
    expect(r.value.upperProtocol).toBe(6);
  });

  it('refuses impossible lengths', () => {
    expect(ip6.parse(PACKET, 0, 39)).toMatchObject({ ok: false, error: 'truncated' });
    expect(ip6.parse(PACKET, 0, 44)).toMatchObject({ ok: false, error: 'truncated' });
    const v4 = PACKET.slice();
    v4[0] = 0x45;
    expect(ip6.parse(v4, 0, v4.length)).toMatchObject({ ok: false, error: 'malformed' });
  });

  it('round-trips RFC 5952 text', () => {
    for (const s of ['::', '::1', '2001:db8::1', 'fe80::1:2:3:4', '2001:db8:0:1:1:1:1:1', '::ffff:192.0.2.1', '1::']) {
      const w = ip6.parseAddress(s);
      expect(w, s).not.toBeNull();
      expect(ip6.formatAddress(...w!)).toBe(s);
    }
    expect(ip6.parseAddress('2001:db8::1::2')).toBeNull();
    expect(ip6.parseAddress('12345::')).toBeNull();
    expect(ip6.parseAddress('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(ip6.parseAddress('::ffff:1.2.3.256')).toBeNull();
    expect(ip6.parseAddress('2001:DB8::A')).toEqual([0x20010db8, 0, 0, 0xa]);
  });
});
