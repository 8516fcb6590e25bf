/**
 * The tunnels a capture holds, collected while decoding: one row per distinct encapsulation level (kind, the outer
 * IP endpoints that carried it, VNI / key / session id, GWLB endpoint and attachment ids, the enclosing level), with
 * its packet count. Rows live in typed-array columns; a chunk's summary merges into the capture's in file order, and
 * a plain-object view feeds `info`'s `tunnels` section.
 */
import { grown } from '../typed.js';
import { formatAddress as formatIpv4 } from '../wire/ipv4.js';
import { formatAddress as formatIpv6 } from '../wire/ipv6.js';

/** Kinds of encapsulation the decoder opens (batch column `tunnelKind`, summary rows). */
export const TunnelKind = {
  NONE: 0,
  VXLAN: 1,
  GENEVE: 2,
  GRE: 3,
  ERSPAN1: 4,
  ERSPAN2: 5,
  ERSPAN3: 6,
  /** IP protocol 4: IPv4 in IPv4 (RFC 2003) or in IPv6 (RFC 2473). */
  IPV4_IN_IP: 7,
  /** IP protocol 41: IPv6 in IPv4 (6in4, RFC 4213) or in IPv6 (RFC 2473). */
  IPV6_IN_IP: 8,
} as const;

/** Names of the kinds, as `info` prints them; index = kind. */
export const TUNNEL_KIND_NAMES = ['none', 'vxlan', 'geneve', 'gre', 'erspan1', 'erspan2', 'erspan3', 'ip-in-ip', 'ipv6-in-ip'] as const;
export type TunnelKindName = (typeof TUNNEL_KIND_NAMES)[number];

/** Bits of a row's `flags`: which of its ids the encapsulation carried. */
export const TunnelFlag = { HAS_ID: 1, HAS_ENDPOINT: 2, HAS_ATTACHMENT: 4 } as const;

/** Key words per row: kind|level<<8|family<<16, parent+1, src x4, dst x4, id, flags, endpoint x2, attachment x2. */
const KEY_WORDS = 16;
/** Rows kept at most; later distinct tunnels are counted in `overflowPackets` only (a fuzzed capture stays bounded). */
export const MAX_TUNNEL_ROWS = 1 << 16;

/** A summary as plain columns (msgpackr-friendly), cut to its rows. */
export interface TunnelColumns {
  count: number;
  keys: Uint32Array;
  packets: Float64Array;
  endpoints: Uint32Array;
  overflowPackets: number;
}

/** One row as `info -F json` shows it. */
export interface TunnelRecord {
  kind: TunnelKindName;
  /** 1 for the outermost encapsulation, 2 for one inside it, ... */
  depth: number;
  /** Index in the list of the encapsulation this one is inside, null for the outermost. */
  inside: number | null;
  outerSrc: string;
  outerDst: string;
  /** VXLAN/GENEVE VNI. */
  vni: number | null;
  /** GRE key (PPTP: the call id). */
  key: number | null;
  /** ERSPAN session id. */
  session: number | null;
  /** AWS GENEVE options (GWLB): endpoint and attachment id, 16 hex digits. */
  gwlbEndpoint: string | null;
  gwlbAttachment: string | null;
  packets: number;
}

/** Seed of the session hash at the outermost level. */
export const SESSION_SEED = 0x811c9dc5;

/**
 * One level of the mirror-session hash (batch column `sessionKey`): the enclosing level's value (SESSION_SEED for the
 * outermost), this level's kind, outer source address, id and GWLB endpoint. A pure function of the packet's bytes,
 * so every chunk computes the same value.
 */
export function sessionStep(prev: number, kind: number, family: number, s0: number, s1: number, s2: number, s3: number, id: number, ep0: number, ep1: number): number {
  let k = Math.imul(prev ^ kind, 0x01000193);
  k = Math.imul(k ^ s0, 0x01000193);
  if (family === 6) {
    k = Math.imul(k ^ s1, 0x01000193);
    k = Math.imul(k ^ s2, 0x01000193);
    k = Math.imul(k ^ s3, 0x01000193);
  }
  k = Math.imul(k ^ id, 0x01000193);
  k = Math.imul(k ^ ep0, 0x01000193);
  k = Math.imul(k ^ ep1, 0x01000193);
  return (k ^ (k >>> 16)) >>> 0;
}

/** Slot in TunnelSummary.recent (64 entries): addresses and id hashed apart (sessions often number both in step). */
function recentSlot(s0: number, d0: number, id: number, parent: number, ep1: number): number {
  return (Math.imul(s0 ^ (d0 >>> 11), 0x9e3779b1) + Math.imul(id ^ (parent << 24) ^ ep1, 0x85ebca6b)) >>> 26;
}

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Distinct encapsulation levels seen by one parser (one chunk), or by the merge of several. */
export class TunnelSummary {
  count = 0;
  keys: Uint32Array;
  packets: Float64Array;
  /** Per row: sessionStep() of its chain of levels (what the batch's `sessionKey` is for packets through it). */
  sessions: Uint32Array;
  /** Interned GWLB endpoint ids, two words each; batch column `tunnelEndpoint` holds index + 1. */
  endpoints: Uint32Array;
  endpointCount = 0;
  overflowPackets = 0;
  private slots: Int32Array;
  private mask: number;
  /**
   * Recently used rows, direct-mapped by a cheap hash of the key: a mirror target sees a few sessions interleaved.
   * Measured on the 4-session VXLAN bench capture: 0.263 -> 0.236 s CPU against a one-entry last-row cache.
   */
  private readonly recent = new Int32Array(64).fill(-1);
  private lastEndpoint = -1;
  /**
   * observeVxlan()'s cache of outermost VXLAN sessions, direct-mapped: source, destination, VNI, row (VNI -1: empty),
   * and its scratch address words. Measured on the 4-session VXLAN bench capture: the session lookup 29 -> 15 ms per
   * 2 M packets against observe4()'s recent table.
   */
  private readonly vxCache = new Int32Array(64).fill(-1);
  private readonly vxSrc = new Uint32Array(1);
  private readonly vxDst = new Uint32Array(1);

  constructor(initialRows = 16) {
    let cap = 16;
    while (cap < initialRows) cap <<= 1;
    this.keys = new Uint32Array(KEY_WORDS * cap);
    this.packets = new Float64Array(cap);
    this.sessions = new Uint32Array(cap);
    this.slots = new Int32Array(2 * cap).fill(-1);
    this.mask = 2 * cap - 1;
    this.endpoints = new Uint32Array(16);
  }

  /**
   * Count one packet through an encapsulation level and return its row (-1 past MAX_TUNNEL_ROWS). `src`/`dst` hold
   * the carrier's addresses at `base` (word 0 only for IPv4). No allocation unless the table grows.
   */
  observe(kind: number, level: number, parent: number, family: number, src: Uint32Array, dst: Uint32Array, base: number, id: number, flags: number, ep0: number, ep1: number, at0: number, at1: number): number {
    // The hot case, small enough to inline: an IPv4 carrier whose row is in `recent`.
    if (family === 4) {
      const s0 = src[base]!;
      const d0 = dst[base]!;
      const r = this.recent[recentSlot(s0, d0, id, parent, ep1)]!;
      if (r >= 0) {
        const k = KEY_WORDS * r;
        const keys = this.keys;
        if (
          keys[k + 2] === s0 && keys[k + 6] === d0 && keys[k + 10] === (flags & 1 ? id : 0) && keys[k] === (kind | (level << 8) | 0x40000) &&
          keys[k + 1] === parent + 1 && keys[k + 11] === flags && keys[k + 12] === (flags & 2 ? ep0 : 0) && keys[k + 13] === (flags & 2 ? ep1 : 0) &&
          keys[k + 14] === (flags & 4 ? at0 : 0) && keys[k + 15] === (flags & 4 ? at1 : 0)
        ) {
          this.packets[r]!++;
          return r;
        }
      }
    }
    return this.observeSlow(kind, level, parent, family, src, dst, base, id, flags, ep0, ep1, at0, at1);
  }

  /**
   * observe() for the common case, with few arguments so it inlines: an IPv4 carrier, no GWLB endpoint or attachment
   * (flags then say the row's other key words are zero).
   */
  observe4(kind: number, level: number, parent: number, src: Uint32Array, dst: Uint32Array, base: number, id: number, flags: number): number {
    const s0 = src[base]!;
    const d0 = dst[base]!;
    const r = this.recent[recentSlot(s0, d0, id, parent, 0)]!;
    if (r >= 0) {
      const k = KEY_WORDS * r;
      const keys = this.keys;
      if (keys[k + 2] === s0 && keys[k + 6] === d0 && keys[k + 10] === (flags & 1 ? id : 0) && keys[k] === (kind | (level << 8) | 0x40000) && keys[k + 1] === parent + 1 && keys[k + 11] === flags) {
        this.packets[r]!++;
        return r;
      }
    }
    return this.observeSlow(kind, level, parent, 4, src, dst, base, id, flags, 0, 0, 0, 0);
  }

  /**
   * observe4() for an outermost VXLAN level (the common mirror), from numbers: the row of the previous call when the
   * packet comes from the same session, else the `recent` table, else the hash.
   */
  observeVxlan(s0: number, d0: number, vni: number): number {
    const c = this.vxCache;
    const k = ((s0 ^ (s0 >>> 7) ^ vni) & 15) << 2;
    if (c[k] === (s0 | 0) && c[k + 1] === (d0 | 0) && c[k + 2] === vni) {
      const r = c[k + 3]!;
      this.packets[r]!++;
      return r;
    }
    this.vxSrc[0] = s0;
    this.vxDst[0] = d0;
    const r = this.observe4(TunnelKind.VXLAN, 1, -1, this.vxSrc, this.vxDst, 0, vni, TunnelFlag.HAS_ID);
    if (r >= 0) {
      c[k] = s0;
      c[k + 1] = d0;
      c[k + 2] = vni;
      c[k + 3] = r;
    }
    return r;
  }

  private observeSlow(kind: number, level: number, parent: number, family: number, src: Uint32Array, dst: Uint32Array, base: number, id: number, flags: number, ep0: number, ep1: number, at0: number, at1: number): number {
    const v6 = family === 6;
    const w0 = kind | (level << 8) | (family << 16);
    const s0 = src[base]!;
    const s1 = v6 ? src[base + 1]! : 0;
    const s2 = v6 ? src[base + 2]! : 0;
    const s3 = v6 ? src[base + 3]! : 0;
    const d0 = dst[base]!;
    const d1 = v6 ? dst[base + 1]! : 0;
    const d2 = v6 ? dst[base + 2]! : 0;
    const d3 = v6 ? dst[base + 3]! : 0;
    const hint = recentSlot(s0, d0, id, parent, ep1);
    if (!(flags & 1)) id = 0;
    if (!(flags & 2)) ep0 = ep1 = 0;
    if (!(flags & 4)) at0 = at1 = 0;
    const p1 = (parent + 1) >>> 0;
    const keys = this.keys;
    const mask = this.mask;
    let r: number;
    for (let s = mix(mix(mix(mix(mix(0x2545f491, w0), p1), s0 ^ s1 ^ s2 ^ s3), d0 ^ d1 ^ d2 ^ d3), id ^ ep0 ^ ep1 ^ at0 ^ at1) & mask; ; s = (s + 1) & mask) {
      r = this.slots[s]!;
      if (r < 0) {
        if (this.count >= MAX_TUNNEL_ROWS) {
          this.overflowPackets++;
          return -1;
        }
        r = this.insert(s, w0, p1, s0, s1, s2, s3, d0, d1, d2, d3, id, flags, ep0, ep1, at0, at1);
        this.sessions[r] = sessionStep(parent >= 0 ? this.sessions[parent]! : SESSION_SEED, kind, family, s0, s1, s2, s3, id, ep0, ep1);
        break;
      }
      const k = KEY_WORDS * r;
      if (
        keys[k] === w0 && keys[k + 1] === p1 && keys[k + 2] === s0 && keys[k + 6] === d0 && keys[k + 10] === id && keys[k + 11] === flags &&
        keys[k + 3] === s1 && keys[k + 4] === s2 && keys[k + 5] === s3 && keys[k + 7] === d1 && keys[k + 8] === d2 && keys[k + 9] === d3 &&
        keys[k + 12] === ep0 && keys[k + 13] === ep1 && keys[k + 14] === at0 && keys[k + 15] === at1
      ) break;
    }
    this.recent[hint] = r;
    this.packets[r]!++;
    return r;
  }

  private insert(slot: number, w0: number, p1: number, s0: number, s1: number, s2: number, s3: number, d0: number, d1: number, d2: number, d3: number, id: number, flags: number, ep0: number, ep1: number, at0: number, at1: number): number {
    if (this.count === this.packets.length) {
      this.growRows();
      // the slot array was rebuilt: find a free slot again
      slot = this.freeSlot(w0, p1, s0 ^ s1 ^ s2 ^ s3, d0 ^ d1 ^ d2 ^ d3, id ^ ep0 ^ ep1 ^ at0 ^ at1);
    }
    const r = this.count++;
    const k = KEY_WORDS * r;
    const keys = this.keys;
    keys[k] = w0;
    keys[k + 1] = p1;
    keys[k + 2] = s0;
    keys[k + 3] = s1;
    keys[k + 4] = s2;
    keys[k + 5] = s3;
    keys[k + 6] = d0;
    keys[k + 7] = d1;
    keys[k + 8] = d2;
    keys[k + 9] = d3;
    keys[k + 10] = id;
    keys[k + 11] = flags;
    keys[k + 12] = ep0;
    keys[k + 13] = ep1;
    keys[k + 14] = at0;
    keys[k + 15] = at1;
    this.packets[r] = 0;
    this.slots[slot] = r;
    return r;
  }

  private freeSlot(w0: number, p1: number, s: number, d: number, x: number): number {
    const mask = this.mask;
    let slot = mix(mix(mix(mix(mix(0x2545f491, w0), p1), s), d), x) & mask;
    while (this.slots[slot]! >= 0) slot = (slot + 1) & mask;
    return slot;
  }

  private slotOf(r: number): number {
    const k = KEY_WORDS * r;
    const keys = this.keys;
    return this.freeSlot(
      keys[k]!,
      keys[k + 1]!,
      keys[k + 2]! ^ keys[k + 3]! ^ keys[k + 4]! ^ keys[k + 5]!,
      keys[k + 6]! ^ keys[k + 7]! ^ keys[k + 8]! ^ keys[k + 9]!,
      keys[k + 10]! ^ keys[k + 12]! ^ keys[k + 13]! ^ keys[k + 14]! ^ keys[k + 15]!,
    );
  }

  private growRows(): void {
    const cap = this.packets.length * 2;
    this.keys = grown(this.keys, KEY_WORDS * cap);
    this.packets = grown(this.packets, cap);
    this.sessions = grown(this.sessions, cap);
    this.slots = new Int32Array(2 * cap).fill(-1);
    this.mask = 2 * cap - 1;
    for (let r = 0; r < this.count; r++) this.slots[this.slotOf(r)] = r;
  }

  /** Count a packet through a level that is not kept; returns -1 (its row). */
  overflow(): number {
    this.overflowPackets++;
    return -1;
  }

  /** Interned id (1-based) of a GWLB endpoint id, for the batch column. */
  endpointId(hi: number, lo: number): number {
    const e = this.endpoints;
    const l = this.lastEndpoint;
    if (l >= 0 && e[2 * l] === hi && e[2 * l + 1] === lo) return l + 1;
    for (let k = 0; k < this.endpointCount; k++) {
      if (e[2 * k] === hi && e[2 * k + 1] === lo) {
        this.lastEndpoint = k;
        return k + 1;
      }
    }
    if (this.endpointCount >= MAX_TUNNEL_ROWS) return 0;
    if (2 * this.endpointCount + 2 > e.length) this.endpoints = grown(e, 2 * e.length);
    const k = this.endpointCount++;
    this.endpoints[2 * k] = hi;
    this.endpoints[2 * k + 1] = lo;
    this.lastEndpoint = k;
    return k + 1;
  }

  /** Packets counted over all rows of a level (1 = outermost): the tunnelled packets. */
  packetsAtLevel(level: number): number {
    let n = 0;
    for (let r = 0; r < this.count; r++) if (((this.keys[KEY_WORDS * r]! >>> 8) & 0xff) === level) n += this.packets[r]!;
    return n;
  }

  /** The rows as plain columns (copies, cut to the used length). */
  toColumns(): TunnelColumns {
    return {
      count: this.count,
      keys: this.keys.slice(0, KEY_WORDS * this.count),
      packets: this.packets.slice(0, this.count),
      endpoints: this.endpoints.slice(0, 2 * this.endpointCount),
      overflowPackets: this.overflowPackets,
    };
  }

  /**
   * Fold a later summary (the next chunk in file order) into this one; returns, per row of `o`, its row here (-1 for
   * a row that overflowed), so the caller can renumber the chunk's `tunnelId`s. Rows new here keep `o`'s order.
   */
  merge(o: TunnelColumns): Int32Array {
    const remap = new Int32Array(o.count);
    const k = o.keys;
    for (let r = 0; r < o.count; r++) {
      const q = KEY_WORDS * r;
      const w0 = k[q]!;
      const parent = k[q + 1]! - 1;
      const mapped = parent < 0 ? -1 : remap[parent]!;
      const src = k.subarray(q + 2, q + 6);
      const dst = k.subarray(q + 6, q + 10);
      const row = this.observe(w0 & 0xff, (w0 >>> 8) & 0xff, mapped, (w0 >>> 16) & 0xff, src, dst, 0, k[q + 10]!, k[q + 11]!, k[q + 12]!, k[q + 13]!, k[q + 14]!, k[q + 15]!);
      remap[r] = row;
      if (row >= 0) this.packets[row]! += o.packets[r]! - 1;
      else this.overflowPackets += o.packets[r]! - 1;
    }
    this.overflowPackets += o.overflowPackets;
    for (let e = 0; e < o.endpoints.length; e += 2) this.endpointId(o.endpoints[e]!, o.endpoints[e + 1]!);
    return remap;
  }

  /** The rows in order of first appearance, as `info` reports them. */
  records(): TunnelRecord[] {
    return tunnelRecords(this.toColumns());
  }
}

function hex64(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** The plain-object view of summary columns, rows in order of first appearance. */
export function tunnelRecords(c: TunnelColumns): TunnelRecord[] {
  const out: TunnelRecord[] = [];
  for (let r = 0; r < c.count; r++) {
    const q = KEY_WORDS * r;
    const k = c.keys;
    const w0 = k[q]!;
    const kind = w0 & 0xff;
    const family = (w0 >>> 16) & 0xff;
    const flags = k[q + 11]!;
    const id = flags & TunnelFlag.HAS_ID ? k[q + 10]! : null;
    const addr = (o: number) => (family === 6 ? formatIpv6(k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!) : formatIpv4(k[o]!));
    const vniKind = kind === TunnelKind.VXLAN || kind === TunnelKind.GENEVE;
    const erspan = kind === TunnelKind.ERSPAN1 || kind === TunnelKind.ERSPAN2 || kind === TunnelKind.ERSPAN3;
    out.push({
      kind: TUNNEL_KIND_NAMES[kind] ?? 'none',
      depth: (w0 >>> 8) & 0xff,
      inside: k[q + 1]! === 0 ? null : k[q + 1]! - 1,
      outerSrc: addr(q + 2),
      outerDst: addr(q + 6),
      vni: vniKind ? id : null,
      key: kind === TunnelKind.GRE ? id : null,
      session: erspan ? id : null,
      gwlbEndpoint: flags & TunnelFlag.HAS_ENDPOINT ? hex64(k[q + 12]!, k[q + 13]!) : null,
      gwlbAttachment: flags & TunnelFlag.HAS_ATTACHMENT ? hex64(k[q + 14]!, k[q + 15]!) : null,
      packets: c.packets[r]!,
    });
  }
  return out;
}

/**
 * The mirror sessions of a summary by their key (the batch's `sessionKey`), named as `flows` and replay records show
 * them: every level from the outermost, `kind:id@outer source` (`vxlan:101@10.0.1.5`; a GENEVE level with a GWLB
 * endpoint id is `gwlb:<endpoint>@...`), joined by `/`. AWS Traffic Mirroring sends from the source ENI's address
 * with the session's VNI. Rows that differ only in what the key leaves out (outer destination, GWLB attachment) are
 * one session, named after the first.
 */
export function sessionNames(summary: TunnelSummary): Map<number, string> {
  const records = summary.records();
  const names: string[] = [];
  const byKey = new Map<number, string>();
  records.forEach((t, r) => {
    const id = t.gwlbEndpoint ?? t.vni ?? t.key ?? t.session;
    const level = `${t.gwlbEndpoint !== null ? 'gwlb' : t.kind}${id === null ? '' : `:${id}`}@${t.outerSrc}`;
    names[r] = t.inside === null ? level : `${names[t.inside]}/${level}`;
    if (!byKey.has(summary.sessions[r]!)) byKey.set(summary.sessions[r]!, names[r]!);
  });
  return byKey;
}
