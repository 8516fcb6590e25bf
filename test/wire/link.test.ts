import { describe, it, expect } from 'vitest';
import * as eth from '../../src/wire/ethernet.js';
import * as vlan from '../../src/wire/vlan.js';
import * as sll from '../../src/wire/sll.js';
import { familyEitherOrder, familyNetworkOrder } from '../../src/wire/loopback.js';
import { hex } from '../helpers/packets.js';

describe('wire/ethernet and vlan', () => {
  const frame = hex('ffffffffffff 020000000001 8100 2064 0800');
  it('deconstructs and constructs', () => {
    const r = eth.parse(frame, 0, frame.length);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.etherType).toBe(eth.EtherType.VLAN);
    const out = new Uint8Array(14);
    eth.emit(r.value, out, 0);
    expect(Array.from(out)).toEqual(Array.from(frame.subarray(0, 14)));
    const t = vlan.parse(frame, 14, frame.length);
    if (!t.ok) throw new Error(t.reason);
    expect(t.value).toEqual({ pcp: 1, dei: false, vid: 100, etherType: 0x0800 });
    const tag = new Uint8Array(4);
    vlan.emit(t.value, tag, 0);
    expect(Array.from(tag)).toEqual(Array.from(frame.subarray(14, 18)));
    expect(eth.parse(frame, 0, 13)).toMatchObject({ ok: false, error: 'truncated' });
    expect(vlan.parse(frame, 16, frame.length)).toMatchObject({ ok: false, error: 'truncated' });
  });
});

describe('wire/sll', () => {
  it('reads SLL and SLL2 and round-trips them', () => {
    const v1 = hex('0000 0001 0006 020000000001 0000 0800');
    const r1 = sll.parse(1, v1, 0, v1.length);
    if (!r1.ok) throw new Error(r1.reason);
    expect(r1.value).toMatchObject({ packetType: 0, arphrd: 1, protocol: 0x0800, address: [2, 0, 0, 0, 0, 1] });
    const o1 = new Uint8Array(16);
    sll.emit(r1.value, o1, 0);
    expect(Array.from(o1)).toEqual(Array.from(v1));
    const v2 = hex('86dd 0000 00000003 0001 04 06 020000000001 0000');
    const r2 = sll.parse(2, v2, 0, v2.length);
    if (!r2.ok) throw new Error(r2.reason);
    expect(r2.value).toMatchObject({ protocol: 0x86dd, ifIndex: 3, arphrd: 1, packetType: 4 });
    const o2 = new Uint8Array(20);
    sll.emit(r2.value, o2, 0);
    expect(Array.from(o2)).toEqual(Array.from(v2));
    expect(sll.parse(2, v2, 0, 19)).toMatchObject({ ok: false, error: 'truncated' });
  });
});

describe('wire/loopback', () => {
  it('reads the NULL family in either byte order and LOOP in network order', () => {
    expect(familyEitherOrder(hex('02000000'), 0)).toBe(2);
    expect(familyEitherOrder(hex('00000002'), 0)).toBe(2);
    expect(familyEitherOrder(hex('1e000000'), 0)).toBe(30);
    expect(familyNetworkOrder(hex('00000018'), 0)).toBe(24);
  });
});
