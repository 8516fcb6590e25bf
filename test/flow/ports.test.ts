import { describe, it, expect } from 'vitest';
import { inferProfile, initialTtl } from '../../src/flow/ports.js';
import type { Connection } from '../../src/flow/connections.js';

/** Deterministic pseudo-random ports in [lo, hi]. */
function ports(n: number, lo: number, hi: number, seed: number, parity?: 'even'): number[] {
  let s = seed;
  const out: number[] = [];
  while (out.length < n) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    let p = lo + (s % (hi - lo + 1));
    if (parity === 'even') p &= ~1;
    if (p >= lo && !out.includes(p)) out.push(p);
  }
  return out;
}

function conns(list: number[], ttl: number | null, options = 'MSTNW'): Connection[] {
  return list.map((p, i) => ({
    id: i,
    family: 4,
    proto: 'tcp',
    protoNumber: 6,
    client: '10.0.0.1',
    clientPort: p,
    server: '10.0.0.2',
    serverPort: 443,
    orientation: 'syn',
    portEvidence: null,
    state: 'SF',
    packets: 8,
    bytes: 800,
    firstTs: 0,
    lastTs: 1,
    clientPackets: 5,
    serverPackets: 3,
    clientBytes: 400,
    serverBytes: 400,
    synRetransmits: 0,
    synAckRetransmits: 0,
    attempt: 'completed',
    icmpType: null,
    icmpCode: null,
    icmpErrors: 0,
    lastIcmpError: null,
    syn: ttl === null ? null : { ttl, window: 64240, mss: 1460, wscale: 7, options },
    clientSide: 0,
    clientHost: { family: 4, words: [0x0a000001, 0, 0, 0] },
    serverHost: { family: 4, words: [0x0a000002, 0, 0, 0] },
  }));
}

describe('port-range inference', () => {
  it('initial TTL rounds up to 32/64/128/255', () => {
    expect([initialTtl(30), initialTtl(63), initialTtl(64), initialTtl(120), initialTtl(200)]).toEqual([32, 64, 64, 128, 255]);
  });

  it('Linux: even ports in 32768-60999 with TTL 64', () => {
    const r = inferProfile('h', 4, conns(ports(30, 32768, 60999, 1, 'even'), 63));
    expect(r.profile).toBe('linux');
    expect(r.range).toEqual([32768, 60999]);
    expect(r.confidence).toBeGreaterThan(0.95);
    expect(r.evidence.evenShare).toBe(1);
  });

  it('Linux with bound (odd and even) ports still beats FreeBSD', () => {
    const r = inferProfile('h', 4, conns(ports(30, 32768, 60999, 2), 63));
    expect(r.profile).toBe('linux');
  });

  it('Windows: 49152-65535 with TTL 128 and the Windows option layout', () => {
    const r = inferProfile('h', 4, conns(ports(25, 49152, 65535, 3), 127, 'MNWNNS'));
    expect(r.profile).toBe('windows');
    expect(r.confidence).toBeGreaterThan(0.9);
  });

  it('macOS: the same range with TTL 64 and the macOS layout', () => {
    const r = inferProfile('h', 4, conns(ports(25, 49152, 65535, 4), 64, 'MNWNNTSEE'));
    expect(r.profile).toBe('macos');
  });

  it('Windows XP/2003: 1025-5000', () => {
    const r = inferProfile('h', 4, conns(ports(12, 1025, 5000, 5), 128, 'MNWNNS'));
    expect(r).toMatchObject({ profile: 'windows-legacy', range: [1025, 5000] });
  });

  it('NAT: ports spread over 1024-65535, and says the hosts behind it are hidden', () => {
    const r = inferProfile('h', 4, conns(ports(40, 1024, 65535, 6), 64));
    expect(r.profile).toBe('nat');
    expect(r.note).toMatch(/NAT/);
  });

  it('is honest with one port: low confidence and alternatives', () => {
    const r = inferProfile('h', 4, conns([50001], 64));
    expect(r.confidence).toBeLessThan(0.6);
    expect(r.alternatives.length).toBeGreaterThan(0);
    expect(r.note).toMatch(/only 1 port|NAT/);
  });

  it('confidence grows with the number of ports', () => {
    const few = inferProfile('h', 4, conns(ports(3, 49152, 65535, 7), 128, 'MNWNNS'));
    const many = inferProfile('h', 4, conns(ports(40, 49152, 65535, 7), 128, 'MNWNNS'));
    expect(many.confidence).toBeGreaterThan(few.confidence);
  });

  it('unknown when client ports are below every ephemeral range', () => {
    const r = inferProfile('h', 4, conns([22, 80, 443, 600, 700], 64));
    expect(r.profile).toBe('unknown');
  });
});
