import { describe, it, expect } from 'vitest';
import * as vxlan from '../../src/wire/vxlan.js';
import { hex } from '../helpers/packets.js';

// tcpdump's tests/vxlan.pcap, frame 1, UDP payload (tcpdump -X: "VXLAN, flags [I] (0x08), vni 100"):
//   0x0018:  0800 0000 0000 6400  then the inner Ethernet frame 0030 8801 0002 ...
const HEADER = hex('0800 0000 0000 6400');

describe('wire/vxlan', () => {
  it('deconstructs the header (RFC 7348 section 5)', () => {
    expect(vxlan.flags(HEADER, 0)).toBe(vxlan.FLAG_I);
    expect(vxlan.vni(HEADER, 0)).toBe(100);
    expect(vxlan.isStrict(HEADER, 0)).toBe(true);
    expect(vxlan.parse(HEADER, 0, 8)).toEqual({ ok: true, value: { vni: 100 } });
  });

  it('constructs the same bytes', () => {
    const out = new Uint8Array(8).fill(0xee);
    expect(vxlan.emit({ vni: 100 }, out, 0)).toBe(vxlan.HEADER_LEN);
    expect(Array.from(out)).toEqual(Array.from(HEADER));
    const max = new Uint8Array(8);
    vxlan.emit({ vni: 0xffffff }, max, 0);
    expect(Array.from(max)).toEqual(Array.from(hex('0800 0000 ffff ff00')));
  });

  it('refuses what is not VXLAN as RFC 7348 sends it, and impossible lengths', () => {
    expect(vxlan.parse(HEADER, 0, 7)).toMatchObject({ ok: false, error: 'truncated' });
    // I flag clear
    expect(vxlan.parse(hex('0000 0000 0000 6400'), 0, 8)).toMatchObject({ ok: false, error: 'malformed', reason: expect.stringMatching(/I flag/) });
    // group-policy style G bit, a reserved byte, the last reserved byte, text ("hello po")
    for (const h of ['8800 0000 0000 6400', '0800 0100 0000 6400', '0800 0000 0000 6401', '6865 6c6c 6f20 706f']) {
      expect(vxlan.isStrict(hex(h), 0), h).toBe(false);
      expect(vxlan.parse(hex(h), 0, 8), h).toMatchObject({ ok: false });
    }
  });
});
