import { describe, it, expect } from 'vitest';
import * as gre from '../../src/wire/gre.js';
import * as cmd from '../../src/wire/cmd.js';
import { hex } from '../helpers/packets.js';

// arkime's tests/pcap/6-4-gre-ppp-udp-4-dns.pcap (tcpdump -X: "GREv1, call 6016, seq 430001, ack 539254, length
// 119"): K, S and A set, version 1 (PPTP, RFC 2637 4.1), PPP, payload length 0x67, call id 0x1780, then PPP ff03 0021.
const PPTP = hex('3081 880b 0067 1780 0006 8fb1 0008 3a76');
// tcpdump's tests/various_gre.pcap: key 40, protocol Cisco MetaData, whose 8 bytes start with the payload's EtherType.
const KEYED = hex('2000 8909 0000 0028  0800 0101 0001 0000');
// RFC 2784 + RFC 2890: checksum, key and sequence number present, IPv6 payload.
const FULL = hex('b000 86dd abcd 0000 0102 0304 0000 0007');

describe('wire/gre', () => {
  it('deconstructs version 0 and version 1 headers', () => {
    expect(gre.headerLen(KEYED, 0)).toBe(8);
    expect(gre.protocolType(KEYED, 0)).toBe(0x8909);
    expect(gre.key(KEYED, 0)).toBe(40);
    expect(cmd.etherType(KEYED, 8)).toBe(0x0800);
    expect(cmd.sgt(KEYED, 8)).toBe(0);
    expect(gre.headerLen(PPTP, 0)).toBe(16);
    expect(gre.version(PPTP, 0)).toBe(1);
    expect(gre.key(PPTP, 0) & 0xffff).toBe(6016);
    expect(gre.sequence(PPTP, 0)).toBe(430001);
    expect(gre.parse(PPTP, 0, PPTP.length)).toEqual({ ok: true, value: { version: 1, protocolType: 0x880b, checksum: null, key: 0x00671780, sequence: 430001, ack: 539254, otherFlags: 0 } });
    expect(gre.parse(FULL, 0, FULL.length)).toEqual({ ok: true, value: { version: 0, protocolType: 0x86dd, checksum: 0xabcd, key: 0x01020304, sequence: 7, ack: null, otherFlags: 0 } });
    expect(gre.sequence(FULL, 0)).toBe(7);
  });

  it('constructs the same bytes', () => {
    for (const h of [PPTP, KEYED.subarray(0, 8), FULL]) {
      const r = gre.parse(h, 0, h.length);
      if (!r.ok) throw new Error(r.reason);
      const out = new Uint8Array(h.length);
      expect(gre.emit(r.value, out, 0)).toBe(h.length);
      expect(Array.from(out)).toEqual(Array.from(h));
    }
    // strict-route and recursion bits round-trip
    const odd = hex('0f00 0800');
    const r = gre.parse(odd, 0, 4);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.otherFlags).toBe(0x0f00);
    const out = new Uint8Array(4);
    gre.emit(r.value, out, 0);
    expect(Array.from(out)).toEqual(Array.from(odd));
  });

  it('refuses what it does not read and impossible lengths', () => {
    expect(gre.parse(KEYED, 0, 3)).toMatchObject({ ok: false, error: 'truncated' });
    expect(gre.parse(FULL, 0, 12)).toMatchObject({ ok: false, error: 'truncated' });
    for (const h of ['4000 0800', '0002 0800', '0001 880b', '8001 880b', '2007 0800']) {
      expect(gre.headerLen(hex(h), 0), h).toBe(-1);
      expect(gre.parse(hex(h), 0, 4), h).toMatchObject({ ok: false, error: 'malformed' });
    }
  });
});
