import { describe, it, expect } from 'vitest';
import * as erspan from '../../src/wire/erspan.js';
import { hex } from '../helpers/packets.js';

// zeek's Traces/tunnels/gre-erspan3-dot1q.pcap, after GRE 0000 22eb (tshark: version 2, VLAN 10, COS 0, session 0,
// timestamp 1884323413, SGT 0, frame type Ethernet, hardware id 0, ingress, granularity 3, O = 1, platform id 3,
// port index 3, upper timestamp 368526056).
const TYPE3 = hex('200a 0000 7050 7e55 0000 0007  0c00 0003 15f7 42e8');
// Type II per draft-foschiano-erspan-03 3.2: version 1, VLAN 100, COS 2, En 0, T 0, session 0x123, index 7.
const TYPE2 = hex('1064 4123 0000 0007');

describe('wire/erspan', () => {
  it('deconstructs type III with its platform subheader', () => {
    expect(erspan.version(TYPE3, 0)).toBe(erspan.ErspanVersion.TYPE3);
    expect(erspan.type3Len(TYPE3, 0)).toBe(20);
    const r = erspan.parse(3, TYPE3, 0, TYPE3.length);
    expect(r).toEqual({
      ok: true,
      value: { version: 2, vlan: 10, cos: 0, encapsulation: 0, truncated: false, sessionId: 0, index: 0, timestamp: 1884323413, sgt: 0, pduFlag: false, frameType: 0, hardwareId: 0, direction: 0, granularity: 3, platform: [0x0c, 0, 0, 3, 0x15, 0xf7, 0x42, 0xe8] },
    });
  });

  it('deconstructs type II', () => {
    expect(erspan.parse(2, TYPE2, 0, 8)).toMatchObject({ ok: true, value: { version: 1, vlan: 100, cos: 2, sessionId: 0x123, index: 7, truncated: false } });
  });

  it('constructs the same bytes', () => {
    for (const [t, h] of [[3, TYPE3], [2, TYPE2]] as const) {
      const r = erspan.parse(t, h, 0, h.length);
      if (!r.ok) throw new Error(r.reason);
      const out = new Uint8Array(h.length);
      expect(erspan.emit(r.value, out, 0)).toBe(h.length);
      expect(Array.from(out)).toEqual(Array.from(h));
    }
  });

  it('refuses impossible lengths and the wrong version', () => {
    expect(erspan.parse(2, TYPE2, 0, 7)).toMatchObject({ ok: false, error: 'truncated' });
    expect(erspan.parse(3, TYPE3, 0, 11)).toMatchObject({ ok: false, error: 'truncated' });
    expect(erspan.parse(3, TYPE3, 0, 15)).toMatchObject({ ok: false, error: 'truncated' }); // O set, subheader cut
    expect(erspan.parse(2, TYPE3, 0, TYPE3.length)).toMatchObject({ ok: false, error: 'malformed' });
    expect(erspan.parse(3, TYPE2, 0, TYPE2.length)).toMatchObject({ ok: false, error: 'truncated' });
    expect(erspan.parse(3, hex('100a 0000 0000 0000 0000 0000'), 0, 12)).toMatchObject({ ok: false, error: 'malformed' });
  });
});
