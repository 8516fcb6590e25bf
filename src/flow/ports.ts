/**
 * Ephemeral port-range inference per client host. Each profile is a hypothesis "ports are drawn uniformly from this
 * range" (Linux: from its even ports, since connect() prefers them: kernel 4.6+, inet_hash_connect); the observed
 * client ports give each a likelihood, the SYN's initial TTL and option layout a prior, and the posterior of the
 * best profile is the confidence. Few ports leave several profiles plausible, and the confidence says so.
 */
import { PORT_PROFILES, type ProfileName } from '../profiles.js';
import type { Connection } from './connections.js';

export type InferredProfile = ProfileName | 'unknown';

/** What the evidence says about one client host (the `clients` record; field names are the CLI contract). */
export interface ClientProfile {
  host: string;
  family: 4 | 6;
  flows: number;
  /** Distinct ephemeral ports seen. */
  ports: number;
  minPort: number;
  maxPort: number;
  profile: InferredProfile;
  range: [number, number];
  confidence: number;
  alternatives: { profile: InferredProfile; probability: number }[];
  evidence: {
    evenShare: number;
    initialTtl: number | null;
    synOptions: string | null;
    synWindow: number | null;
    failedFlows: number;
  };
  note: string | null;
}

interface Hypothesis {
  profile: InferredProfile;
  lo: number;
  hi: number;
  evenBias: boolean;
  prior: number;
}

/** Prior weights before any port is seen: common server clients first, the catch-all last. */
const BASE_PRIOR: Record<InferredProfile, number> = {
  linux: 0.28,
  windows: 0.2,
  'windows-legacy': 0.04,
  freebsd: 0.04,
  macos: 0.1,
  nat: 0.24,
  unknown: 0.1,
};

/** Initial TTL a host most likely used: the smallest of 32, 64, 128, 255 at or above the observed TTL. */
export function initialTtl(ttl: number): number {
  if (ttl <= 32) return 32;
  if (ttl <= 64) return 64;
  if (ttl <= 128) return 128;
  return 255;
}

const EVEN_SHARE_LINUX = 0.95;

/** Infer the profile of one client host from its connections (those where it is the client). */
export function inferProfile(host: string, family: 4 | 6, conns: Connection[]): ClientProfile {
  let failed = 0;
  const ttls = new Map<number, number>();
  const layouts = new Map<string, number>();
  let window: number | null = null;
  const all = new Uint16Array(conns.length);
  let k = 0;
  for (const c of conns) {
    if (c.clientPort !== null) all[k++] = c.clientPort;
    if (c.attempt !== 'completed') failed++;
    if (c.syn) {
      const t = initialTtl(c.syn.ttl);
      ttls.set(t, (ttls.get(t) ?? 0) + 1);
      layouts.set(c.syn.options, (layouts.get(c.syn.options) ?? 0) + 1);
      window ??= c.syn.window;
    }
  }
  // Distinct ports, ascending (typed-array sort is numeric).
  const sorted = all.subarray(0, k).sort();
  let n = 0;
  let even = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) continue;
    sorted[n++] = sorted[i]!;
    if ((sorted[i]! & 1) === 0) even++;
  }
  const ports = sorted.subarray(0, n);
  const ttl = mostCommon(ttls);
  const layout = mostCommon(layouts);
  // Linux twice: ports from connect() (even-biased) or from bind() before connect (uniform).
  const hyps: Hypothesis[] = PORT_PROFILES.flatMap<Hypothesis>((p) =>
    p.name === 'linux'
      ? [
          { profile: p.name, lo: p.range[0], hi: 61000, evenBias: true, prior: BASE_PRIOR.linux * 0.7 },
          { profile: p.name, lo: p.range[0], hi: 61000, evenBias: false, prior: BASE_PRIOR.linux * 0.3 },
        ]
      : [{ profile: p.name, lo: p.range[0], hi: p.range[1], evenBias: false, prior: BASE_PRIOR[p.name] }],
  );
  hyps.push({ profile: 'unknown', lo: 1, hi: 65535, evenBias: false, prior: BASE_PRIOR.unknown });
  // TTL: Windows starts at 128, the others at 64 (a NAT keeps the inside host's TTL, so it stays open to both).
  for (const h of hyps) {
    if (ttl === null || h.profile === 'nat' || h.profile === 'unknown') continue;
    const windowsLike = h.profile === 'windows' || h.profile === 'windows-legacy';
    if ((ttl === 128) !== windowsLike) h.prior *= 0.05;
  }
  // SYN option layouts (p0f signatures): Linux "MSTNW", Windows Vista+ "MNWNNS", macOS/iOS "MNWNNTS(EE)".
  const family6 = layout === null ? null : layout.startsWith('MSTNW') ? 'linux' : layout.startsWith('MNWNNTS') ? 'macos' : layout === 'MNWNNS' ? 'windows' : null;
  if (family6 !== null) {
    for (const h of hyps) {
      if (h.profile === 'nat' || h.profile === 'unknown') continue;
      const match = h.profile === family6 || (family6 === 'windows' && h.profile === 'windows-legacy') || (family6 === 'macos' && h.profile === 'freebsd');
      if (!match) h.prior *= 0.3;
    }
  }
  const logPost = hyps.map((h) => {
    if (n > 0 && (ports[0]! < h.lo || ports[n - 1]! > h.hi)) return -Infinity;
    const span = h.hi - h.lo + 1;
    let ll: number;
    if (h.evenBias) {
      const half = span / 2;
      ll = even * Math.log(EVEN_SHARE_LINUX / half) + (n - even) * Math.log((1 - EVEN_SHARE_LINUX) / half);
    } else ll = -n * Math.log(span);
    return Math.log(h.prior) + ll;
  });
  const max = Math.max(...logPost);
  const weights = logPost.map((l) => (Number.isFinite(l) ? Math.exp(l - max) : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  const byProfile = new Map<InferredProfile, number>();
  hyps.forEach((h, i) => byProfile.set(h.profile, (byProfile.get(h.profile) ?? 0) + weights[i]! / total));
  const ranked = [...byProfile].map(([profile, p]) => ({ profile, p })).sort((a, b) => b.p - a.p);
  const best = ranked[0]!;
  const profile = n === 0 ? 'unknown' : best.profile;
  const prof = PORT_PROFILES.find((p) => p.name === profile);
  let range: [number, number] = prof ? [prof.range[0], prof.range[1]] : [ports[0] ?? 0, ports[n - 1] ?? 0];
  if (profile === 'linux' && n > 0 && ports[n - 1] === 61000) range = [32768, 61000];
  let note: string | null = null;
  if (n > 0 && n < 5) note = `only ${n} port${n === 1 ? '' : 's'} seen: the profile is a guess`;
  else if (profile === 'nat') note = 'ports spread over 1024-65535: likely a NAT gateway, load balancer or Lambda; the hosts behind it use its port range, not their own';
  else if (profile === 'unknown' && n > 0) note = `ports ${ports[0]}-${ports[n - 1]} fit no known ephemeral range`;
  return {
    host,
    family,
    flows: conns.length,
    ports: n,
    minPort: ports[0] ?? 0,
    maxPort: ports[n - 1] ?? 0,
    profile,
    range,
    confidence: n === 0 ? 0 : round3(best.p),
    alternatives: ranked.slice(1, 4).filter((r) => r.p >= 0.001).map((r) => ({ profile: r.profile, probability: round3(r.p) })),
    evidence: {
      evenShare: n ? round3(even / n) : 0,
      initialTtl: ttl,
      synOptions: layout,
      synWindow: window,
      failedFlows: failed,
    },
    note,
  };
}

function mostCommon<T>(m: Map<T, number>): T | null {
  let best: T | null = null;
  let bestN = 0;
  for (const [k, v] of m) if (v > bestN) [best, bestN] = [k, v];
  return best;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Group connections by client host (TCP and UDP with ports) and infer each host's profile. */
export function inferClients(conns: Connection[]): ClientProfile[] {
  const byHost = new Map<string, Connection[]>();
  for (const c of conns) {
    if (c.clientPort === null) continue;
    const list = byHost.get(c.client);
    if (list) list.push(c);
    else byHost.set(c.client, [c]);
  }
  return [...byHost].map(([host, list]) => inferProfile(host, list[0]!.family, list));
}
