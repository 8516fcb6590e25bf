/**
 * Ephemeral port-range inference per client host. Each profile is a hypothesis "ports are drawn uniformly from this
 * range" (Linux: from its even ports, since connect() prefers them: kernel 4.6+, inet_hash_connect); the observed
 * client ports give each a likelihood, the SYN's initial TTL and option layout a prior, and the posterior of the
 * best profile is the confidence. Few ports leave several profiles plausible, and the confidence says so.
 *
 * The result is a client table: one row per client host in typed-array columns, read by diagnoses and reports.
 */
import { PORT_PROFILES, type ProfileName } from '../profiles.js';
import { layoutText } from '../wire/tcp.js';
import { grown, groupRows } from '../typed.js';
import { ConnectionTable, ConnBit, Attempt } from './connections.js';

export type InferredProfile = ProfileName | 'unknown';
/** Profiles by code (a client table column). */
export const PROFILE_CODES: readonly InferredProfile[] = [...PORT_PROFILES.map((p) => p.name), 'unknown'];
const UNKNOWN = PROFILE_CODES.length - 1;
const codeOf = new Map<InferredProfile, number>(PROFILE_CODES.map((p, i) => [p, i]));

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

/** The evidence of one client host, gathered from its connections. */
export interface ClientEvidence {
  /** Distinct client ports, ascending. */
  ports: Uint16Array;
  /** Connections where the host is the client (with ports). */
  flows: number;
  failedFlows: number;
  /** Most common initial TTL of its SYNs, or null. */
  initialTtl: number | null;
  /** Most common SYN option layout (p0f-style letters), or null. */
  synOptions: string | null;
  /** Window of its first SYN, or null. */
  synWindow: number | null;
}

/** The inference for one host (everything but the host's name). */
export interface Inference {
  profile: number;
  range: [number, number];
  confidence: number;
  /** Up to three runner-up profiles with probability >= 0.001. */
  alternatives: { profile: number; probability: number }[];
  evenShare: number;
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

interface Hypothesis {
  profile: InferredProfile;
  lo: number;
  hi: number;
  evenBias: boolean;
  prior: number;
}

// Linux twice: ports from connect() (even-biased) or from bind() before connect (uniform).
const HYPOTHESES: readonly Hypothesis[] = [
  ...PORT_PROFILES.flatMap<Hypothesis>((p) =>
    p.name === 'linux'
      ? [
          { profile: p.name, lo: p.range[0], hi: 61000, evenBias: true, prior: BASE_PRIOR.linux * 0.7 },
          { profile: p.name, lo: p.range[0], hi: 61000, evenBias: false, prior: BASE_PRIOR.linux * 0.3 },
        ]
      : [{ profile: p.name, lo: p.range[0], hi: p.range[1], evenBias: false, prior: BASE_PRIOR[p.name] }],
  ),
  { profile: 'unknown', lo: 1, hi: 65535, evenBias: false, prior: BASE_PRIOR.unknown },
];
const logPost = new Float64Array(HYPOTHESES.length);
const byProfile = new Float64Array(PROFILE_CODES.length);

/** Infer the profile of one client host from its evidence. */
export function inferProfile(e: ClientEvidence): Inference {
  const ports = e.ports;
  const n = ports.length;
  let even = 0;
  for (let i = 0; i < n; i++) if ((ports[i]! & 1) === 0) even++;
  const ttl = e.initialTtl;
  const layout = e.synOptions;
  // SYN option layouts (p0f signatures): Linux "MSTNW", Windows Vista+ "MNWNNS", macOS/iOS "MNWNNTS(EE)".
  const family6 = layout === null ? null : layout.startsWith('MSTNW') ? 'linux' : layout.startsWith('MNWNNTS') ? 'macos' : layout === 'MNWNNS' ? 'windows' : null;
  let max = -Infinity;
  for (let h = 0; h < HYPOTHESES.length; h++) {
    const hyp = HYPOTHESES[h]!;
    let prior = hyp.prior;
    const special = hyp.profile === 'nat' || hyp.profile === 'unknown';
    // TTL: Windows starts at 128, the others at 64 (a NAT keeps the inside host's TTL, so it stays open to both).
    if (ttl !== null && !special) {
      const windowsLike = hyp.profile === 'windows' || hyp.profile === 'windows-legacy';
      if ((ttl === 128) !== windowsLike) prior *= 0.05;
    }
    if (family6 !== null && !special) {
      const match = hyp.profile === family6 || (family6 === 'windows' && hyp.profile === 'windows-legacy') || (family6 === 'macos' && hyp.profile === 'freebsd');
      if (!match) prior *= 0.3;
    }
    let l: number;
    if (n > 0 && (ports[0]! < hyp.lo || ports[n - 1]! > hyp.hi)) l = -Infinity;
    else {
      const span = hyp.hi - hyp.lo + 1;
      let ll: number;
      if (hyp.evenBias) {
        const half = span / 2;
        ll = even * Math.log(EVEN_SHARE_LINUX / half) + (n - even) * Math.log((1 - EVEN_SHARE_LINUX) / half);
      } else ll = -n * Math.log(span);
      l = Math.log(prior) + ll;
    }
    logPost[h] = l;
    if (l > max) max = l;
  }
  let total = 0;
  for (let h = 0; h < HYPOTHESES.length; h++) {
    const l = logPost[h]!;
    const w = Number.isFinite(l) ? Math.exp(l - max) : 0;
    logPost[h] = w;
    total += w;
  }
  byProfile.fill(0);
  // Profiles in first-hypothesis order (linux first, holding both of its hypotheses), as the ranking breaks ties.
  const order: number[] = [];
  for (let h = 0; h < HYPOTHESES.length; h++) {
    const c = codeOf.get(HYPOTHESES[h]!.profile)!;
    if (!order.includes(c)) order.push(c);
    byProfile[c]! += logPost[h]! / total;
  }
  const ranked = order.map((c) => ({ c, p: byProfile[c]! })).sort((a, b) => b.p - a.p);
  const best = ranked[0]!;
  const profile = n === 0 ? UNKNOWN : best.c;
  const prof = PORT_PROFILES[profile];
  let range: [number, number] = prof ? [prof.range[0], prof.range[1]] : [ports[0] ?? 0, ports[n - 1] ?? 0];
  if (PROFILE_CODES[profile] === 'linux' && n > 0 && ports[n - 1] === 61000) range = [32768, 61000];
  return {
    profile,
    range,
    confidence: n === 0 ? 0 : round3(best.p),
    alternatives: ranked
      .slice(1, 4)
      .filter((r) => r.p >= 0.001)
      .map((r) => ({ profile: r.c, probability: round3(r.p) })),
    evenShare: n ? round3(even / n) : 0,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Client hosts in typed-array columns, in order of their first connection as a client. */
export class ClientTable {
  /** Address id (into the connection table's addresses) of each client. */
  readonly address: Uint32Array;
  readonly flows: Uint32Array;
  /** Distinct ephemeral ports seen. */
  readonly ports: Uint32Array;
  readonly minPort: Uint16Array;
  readonly maxPort: Uint16Array;
  /** Index into PROFILE_CODES. */
  readonly profile: Uint8Array;
  readonly rangeLo: Uint16Array;
  readonly rangeHi: Uint16Array;
  readonly confidence: Float64Array;
  /** Up to three alternatives per client: profile code (255 = none) and probability. */
  readonly altProfile: Uint8Array;
  readonly altProbability: Float64Array;
  readonly evenShare: Float64Array;
  /** 0 = no SYN seen. */
  readonly initialTtl: Uint8Array;
  /** -1 = no SYN seen. */
  readonly synWindow: Int32Array;
  readonly failedFlows: Uint32Array;
  /** Most common SYN option layout per client (null = none); one string per client, not per connection. */
  readonly synOptions: (string | null)[];
  /** Client index of each address id, -1 for addresses that are never a client. */
  readonly byAddress: Int32Array;

  constructor(
    readonly connections: ConnectionTable,
    readonly count: number,
  ) {
    const n = count;
    this.address = new Uint32Array(n);
    this.flows = new Uint32Array(n);
    this.ports = new Uint32Array(n);
    this.minPort = new Uint16Array(n);
    this.maxPort = new Uint16Array(n);
    this.profile = new Uint8Array(n);
    this.rangeLo = new Uint16Array(n);
    this.rangeHi = new Uint16Array(n);
    this.confidence = new Float64Array(n);
    this.altProfile = new Uint8Array(3 * n).fill(255);
    this.altProbability = new Float64Array(3 * n);
    this.evenShare = new Float64Array(n);
    this.initialTtl = new Uint8Array(n);
    this.synWindow = new Int32Array(n).fill(-1);
    this.failedFlows = new Uint32Array(n);
    this.synOptions = new Array(n).fill(null);
    this.byAddress = new Int32Array(connections.addresses.count).fill(-1);
  }

  /** The client's address as text. */
  host(i: number): string {
    return this.connections.addresses.text(this.address[i]!);
  }

  profileName(i: number): InferredProfile {
    return PROFILE_CODES[this.profile[i]!]!;
  }

  /** Client index of a connection's client, -1 when the connection has no ports. */
  ofConnection(row: number): number {
    return this.byAddress[this.connections.client[row]!]!;
  }

  /** The row as the `clients` record (an object only while it is rendered). */
  record(i: number): ClientProfile {
    const alternatives: ClientProfile['alternatives'] = [];
    for (let k = 0; k < 3; k++) {
      const p = this.altProfile[3 * i + k]!;
      if (p !== 255) alternatives.push({ profile: PROFILE_CODES[p]!, probability: this.altProbability[3 * i + k]! });
    }
    const n = this.ports[i]!;
    const profile = this.profileName(i);
    let note: string | null = null;
    if (n > 0 && n < 5) note = `only ${n} port${n === 1 ? '' : 's'} seen: the profile is a guess`;
    else if (profile === 'nat') note = 'ports spread over 1024-65535: likely a NAT gateway, load balancer or Lambda; the hosts behind it use its port range, not their own';
    else if (profile === 'unknown' && n > 0) note = `ports ${this.minPort[i]}-${this.maxPort[i]} fit no known ephemeral range`;
    const ttl = this.initialTtl[i]!;
    const win = this.synWindow[i]!;
    // Flow logs carry no TTL and no SYN options: without them inferProfile weighs the ports against the base priors
    // alone, so profiles sharing a range (windows and macos, 49152-65535) stay apart only by those priors.
    if (this.connections.logs && ttl === 0 && n > 0) note = `${note ? `${note}; ` : ''}flow logs carry no TTL or SYN options: the profile rests on the client ports alone${profile === 'windows' || profile === 'macos' ? ' (windows and macos share 49152-65535)' : ''}`;
    return {
      host: this.host(i),
      family: this.connections.addresses.family[this.address[i]!] as 4 | 6,
      flows: this.flows[i]!,
      ports: n,
      minPort: this.minPort[i]!,
      maxPort: this.maxPort[i]!,
      profile,
      range: [this.rangeLo[i]!, this.rangeHi[i]!],
      confidence: this.confidence[i]!,
      alternatives,
      evidence: {
        evenShare: this.evenShare[i]!,
        initialTtl: ttl === 0 ? null : ttl,
        synOptions: this.synOptions[i]!,
        synWindow: win < 0 ? null : win,
        failedFlows: this.failedFlows[i]!,
      },
      note,
    };
  }
}

/**
 * Group the table's connections with ports by client host and infer each host's profile. Connections are grouped
 * with one counting sort over client indices; per host, the ports are sorted in place in one shared array.
 */
export function inferClients(ct: ConnectionTable): ClientTable {
  const n = ct.count;
  const byAddress = new Int32Array(ct.addresses.count).fill(-1);
  const clientOf = new Int32Array(n).fill(-1);
  let clients = 0;
  for (let i = 0; i < n; i++) {
    if (!ct.ported(i)) continue;
    const a = ct.client[i]!;
    let c = byAddress[a]!;
    if (c < 0) byAddress[a] = c = clients++;
    clientOf[i] = c;
  }
  const { start, rows } = groupRows(clientOf, clients);
  const table = new ClientTable(ct, clients);
  table.byAddress.set(byAddress);
  const ports = new Uint16Array(rows.length);
  // Per host, the initial TTLs and SYN option layouts seen, with counts, in order of first sight (most common wins,
  // the first seen breaks ties): a handful of distinct values, so a linear search beats a Map.
  const ttls = new Tally();
  const layouts = new Tally();
  for (let c = 0; c < clients; c++) {
    const s = start[c]!;
    const e = start[c + 1]!;
    let failed = 0;
    let window: number | null = null;
    ttls.clear();
    layouts.clear();
    for (let k = s; k < e; k++) {
      const i = rows[k]!;
      ports[k] = ct.clientPort[i]!;
      if (ct.attempt[i] !== Attempt.COMPLETED) failed++;
      if (ct.bits[i]! & ConnBit.SYN_SEEN) {
        ttls.add(initialTtl(ct.synTtl[i]!), 0);
        // The layout text is a function of the first min(8, count) option codes: key on exactly that.
        const count = Math.min(8, ct.synOptInfo[i]! & 0xff);
        layouts.add(count === 8 ? ct.synOptLayout[i]! : (ct.synOptLayout[i]! & ((1 << (4 * count)) - 1)) >>> 0, count);
        window ??= ct.synWindow[i]!;
      }
    }
    // Distinct ports, ascending (typed-array sort is numeric).
    const all = ports.subarray(s, e).sort();
    let d = 0;
    for (let k = 0; k < all.length; k++) {
      if (k > 0 && all[k] === all[k - 1]) continue;
      all[d++] = all[k]!;
    }
    const distinct = all.subarray(0, d);
    const ttlAt = ttls.mostCommon();
    const ttl = ttlAt < 0 ? null : ttls.a[ttlAt]!;
    const layoutAt = layouts.mostCommon();
    const synOptions = layoutAt < 0 ? null : layoutText(layouts.a[layoutAt]!, layouts.b[layoutAt]!);
    const inf = inferProfile({ ports: distinct, flows: e - s, failedFlows: failed, initialTtl: ttl, synOptions, synWindow: window });
    table.address[c] = ct.client[rows[s]!]!;
    table.flows[c] = e - s;
    table.ports[c] = d;
    table.minPort[c] = distinct[0] ?? 0;
    table.maxPort[c] = distinct[d - 1] ?? 0;
    table.profile[c] = inf.profile;
    table.rangeLo[c] = inf.range[0];
    table.rangeHi[c] = inf.range[1];
    table.confidence[c] = inf.confidence;
    inf.alternatives.forEach((a, k) => {
      table.altProfile[3 * c + k] = a.profile;
      table.altProbability[3 * c + k] = a.probability;
    });
    table.evenShare[c] = inf.evenShare;
    table.initialTtl[c] = ttl ?? 0;
    table.synWindow[c] = window ?? -1;
    table.failedFlows[c] = failed;
    table.synOptions[c] = synOptions;
  }
  return table;
}

/** Counts of a few distinct (a, b) pairs of 32-bit values, in order of first sight (a linear search: few pairs). */
class Tally {
  a = new Uint32Array(8);
  b = new Uint32Array(8);
  private counts = new Uint32Array(8);
  private n = 0;

  clear(): void {
    this.n = 0;
  }

  add(a: number, b: number): void {
    for (let k = 0; k < this.n; k++) {
      if (this.a[k] === a && this.b[k] === b) {
        this.counts[k]!++;
        return;
      }
    }
    if (this.n === this.a.length) {
      this.a = grown(this.a, 2 * this.n);
      this.b = grown(this.b, 2 * this.n);
      this.counts = grown(this.counts, 2 * this.n);
    }
    this.a[this.n] = a;
    this.b[this.n] = b;
    this.counts[this.n++] = 1;
  }

  /** Index of the most frequent pair (the first seen among equals), or -1 when none was added. */
  mostCommon(): number {
    let best = -1;
    let bestN = 0;
    for (let k = 0; k < this.n; k++) {
      if (this.counts[k]! > bestN) {
        best = k;
        bestN = this.counts[k]!;
      }
    }
    return best;
  }
}
