import { describe, it, expect } from 'vitest';
import * as tcp from '../../src/wire/tcp.js';
import * as udp from '../../src/wire/udp.js';
import * as icmp from '../../src/wire/icmp.js';
import * as dns from '../../src/wire/dns.js';
import { hex } from '../helpers/packets.js';

// A Linux SYN: 50000 -> 80, MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
const SYN = hex('c350 0050 0000 03e8 0000 0000 a002 faf0 0000 0000 0204 05b4 0402 080a 0001 e240 0000 0000 0103 0307');

describe('wire/tcp', () => {
  it('deconstructs a SYN and its options', () => {
    const r = tcp.parse(SYN, 0, SYN.length);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toMatchObject({ srcPort: 50000, dstPort: 80, seq: 1000, ack: 0, headerLen: 40, flags: tcp.TcpFlag.SYN, window: 64240 });
    const o: tcp.TcpSynOptions = { mss: 0, wscale: 0, sackPermitted: false, timestamps: false, layout: 0, count: 0 };
    expect(tcp.readOptions(SYN, 20, 40, o)).toBe(true);
    expect(o).toMatchObject({ mss: 1460, wscale: 7, sackPermitted: true, timestamps: true, count: 5 });
    expect(tcp.layoutText(o.layout, o.count)).toBe('MSTNW');
  });

  it('constructs the same bytes', () => {
    const r = tcp.parse(SYN, 0, SYN.length);
    if (!r.ok) throw new Error(r.reason);
    const out = new Uint8Array(40);
    expect(tcp.emit(r.value, out, 0)).toBe(40);
    expect(Array.from(out)).toEqual(Array.from(SYN));
  });

  it('reads the AE (ex-NS) flag as bit 8', () => {
    const b = SYN.slice(0, 20);
    b[12] = 0x51;
    b[13] = 0x12;
    expect(tcp.flags(b, 0)).toBe(0x112);
  });

  it('refuses impossible lengths and option lists', () => {
    expect(tcp.parse(SYN, 0, 19)).toMatchObject({ ok: false, error: 'truncated' });
    expect(tcp.parse(SYN, 0, 30)).toMatchObject({ ok: false, error: 'truncated' });
    const bad = SYN.slice();
    bad[12] = 0x40;
    expect(tcp.parse(bad, 0, bad.length)).toMatchObject({ ok: false, error: 'malformed' });
    const o: tcp.TcpSynOptions = { mss: 0, wscale: 0, sackPermitted: false, timestamps: false, layout: 0, count: 0 };
    expect(tcp.readOptions(hex('0208 05b4'), 0, 4, o)).toBe(false); // MSS claims 8 bytes
    expect(tcp.readOptions(hex('0200'), 0, 2, o)).toBe(false); // length below 2
  });
});

describe('wire/udp, dns, icmp', () => {
  it('reads a DNS response header over UDP', () => {
    const b = hex('0035 d431 0020 0000  1234 8180 0001 0001 0000 0000');
    const r = udp.parse(b, 0, b.length);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toEqual({ srcPort: 53, dstPort: 54321, length: 32 });
    expect(dns.isResponse(b, 8)).toBe(true);
    expect(dns.id(b, 8)).toBe(0x1234);
    const out = new Uint8Array(8);
    udp.emit(r.value, out, 0);
    expect(Array.from(out.subarray(0, 6))).toEqual(Array.from(b.subarray(0, 6)));
    expect(udp.parse(hex('0035 0035 0004 0000'), 0, 8)).toMatchObject({ ok: false, error: 'malformed' });
    expect(udp.parse(b, 0, 7)).toMatchObject({ ok: false, error: 'truncated' });
  });

  it('reads ICMP echo and classifies error types', () => {
    const b = hex('0800 f7ff 0042 0001');
    const r = icmp.parse(b, 0, b.length);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toEqual({ type: 8, code: 0, ident: 0x42, sequence: 1 });
    expect(icmp.isError4(3) && icmp.isError4(11) && !icmp.isError4(8)).toBe(true);
    expect(icmp.isError6(2) && !icmp.isError6(128)).toBe(true);
    expect(icmp.parse(b, 0, 3)).toMatchObject({ ok: false, error: 'truncated' });
  });
});
