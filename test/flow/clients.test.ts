import { describe, it, expect } from 'vitest';
import { inferClients, initialTtl, type ClientProfile } from '../../src/flow/clients.js';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { buildCapture, SYN, type Spec } from '../helpers/build.js';

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

/** TCP option bytes for a p0f-style layout (M = MSS, S = SACK permitted, T = timestamps, N = NOP, W = window scale, E = EOL). */
function optionBytes(layout: string): number[] {
  const bytes: Record<string, number[]> = { M: [2, 4, 5, 0xb4], S: [4, 2], T: [8, 10, 0, 0, 0, 1, 0, 0, 0, 0], N: [1], W: [3, 3, 7], E: [0] };
  const out = [...layout].flatMap((c) => bytes[c]!);
  while (out.length % 4) out.push(0);
  return out;
}

/** The profile inferred for one client host that sent a SYN from each port (TTL `ttl`, option layout `options`), through the whole pipeline. */
async function profileOf(list: number[], ttl: number, options = 'MSTNW'): Promise<ClientProfile> {
  const file = buildCapture(list.map((p): Spec => ['10.0.0.1', '10.0.0.2', { proto: 'tcp', sport: p, dport: 443, flags: SYN, options: optionBytes(options) }, { ttl }]));
  const t = inferClients((await analyzeCapture(file, { jobs: 1 })).connections);
  expect(t.count).toBe(1);
  return t.record(0);
}

describe('port-range inference', () => {
  it('initial TTL rounds up to 32/64/128/255', async () => {
    expect([initialTtl(30), initialTtl(63), initialTtl(64), initialTtl(120), initialTtl(200)]).toEqual([32, 64, 64, 128, 255]);
  });

  it('Linux: even ports in 32768-60999 with TTL 64', async () => {
    const r = await profileOf(ports(30, 32768, 60999, 1, 'even'), 63);
    expect(r.profile).toBe('linux');
    expect(r.range).toEqual([32768, 60999]);
    expect(r.confidence).toBeGreaterThan(0.95);
    expect(r.evidence.evenShare).toBe(1);
  });

  it('Linux with bound (odd and even) ports still beats FreeBSD', async () => {
    const r = await profileOf(ports(30, 32768, 60999, 2), 63);
    expect(r.profile).toBe('linux');
  });

  it('Windows: 49152-65535 with TTL 128 and the Windows option layout', async () => {
    const r = await profileOf(ports(25, 49152, 65535, 3), 127, 'MNWNNS');
    expect(r.profile).toBe('windows');
    expect(r.confidence).toBeGreaterThan(0.9);
  });

  it('macOS: the same range with TTL 64 and the macOS layout', async () => {
    const r = await profileOf(ports(25, 49152, 65535, 4), 64, 'MNWNNTSEE');
    expect(r.profile).toBe('macos');
  });

  it('Windows XP/2003: 1025-5000', async () => {
    const r = await profileOf(ports(12, 1025, 5000, 5), 128, 'MNWNNS');
    expect(r).toMatchObject({ profile: 'windows-legacy', range: [1025, 5000] });
  });

  it('NAT: ports spread over 1024-65535, and says the hosts behind it are hidden', async () => {
    const r = await profileOf(ports(40, 1024, 65535, 6), 64);
    expect(r.profile).toBe('nat');
    expect(r.note).toMatch(/NAT/);
  });

  it('is honest with one port: low confidence and alternatives', async () => {
    const r = await profileOf([50001], 64);
    expect(r.confidence).toBeLessThan(0.6);
    expect(r.alternatives.length).toBeGreaterThan(0);
    expect(r.note).toMatch(/only 1 port|NAT/);
  });

  it('confidence grows with the number of ports', async () => {
    const few = await profileOf(ports(3, 49152, 65535, 7), 128, 'MNWNNS');
    const many = await profileOf(ports(40, 49152, 65535, 7), 128, 'MNWNNS');
    expect(many.confidence).toBeGreaterThan(few.confidence);
  });

  it('unknown when client ports are below every ephemeral range', async () => {
    const r = await profileOf([22, 80, 443, 600, 700], 64);
    expect(r.profile).toBe('unknown');
  });
});
