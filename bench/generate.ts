/**
 * Generates a large synthetic capture for benchmarks: TCP connections with handshake, data and close, failed
 * connection attempts, UDP DNS exchanges and ICMP echoes, from clients of several OS port-range profiles, with
 * connections interleaved in time. Deterministic (seeded), written as classic pcap in 8 MiB writes.
 */
import { openSync, writeSync, closeSync } from 'node:fs';

export interface GenerateOptions {
  file: string;
  /** Stop after at least this many packets. */
  packets: number;
  /** Or, when given, after at least this many bytes of file. */
  bytes?: number;
  /** Concurrent connections in flight (interleaving depth). */
  concurrency?: number;
  seed?: number;
  /** Bytes of TCP payload in data segments (default small, like request/response headers). */
  payload?: number;
  /** Share of IPv6 connections, 0..1. */
  ipv6Share?: number;
  /** Share of DNS exchanges (2 packets each) instead of the default mix: many connections from few packets. */
  dnsShare?: number;
  /**
   * Wrap every frame as VPC Traffic Mirroring delivers it: Ethernet, IPv4 from the mirror source to the target, UDP
   * to 4789, VXLAN (RFC 7348), then the frame. `sessions` sources (one per client group, VNI 101...) mirror to one
   * target, so consecutive packets come from different sessions as they would from several ENIs.
   */
  vxlan?: { sessions: number };
}

export interface GenerateResult {
  file: string;
  packets: number;
  bytes: number;
  tcpConnections: number;
  udpExchanges: number;
  icmpEchoes: number;
  failedConnections: number;
}

const PROFILES = [
  { name: 'linux', lo: 32768, hi: 60999, ttl: 64, even: true },
  { name: 'windows', lo: 49152, hi: 65535, ttl: 128, even: false },
  { name: 'windows-legacy', lo: 1025, hi: 5000, ttl: 128, even: false },
  { name: 'nat', lo: 1024, hi: 65535, ttl: 64, even: false },
];
const SERVICES = [443, 80, 22, 5432, 8080];

class Rng {
  constructor(private s: number) {}
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

interface Conn {
  kind: 0 | 1 | 2 | 3; // tcp ok, tcp failed (SYN retries), udp dns, icmp echo
  v6: boolean;
  client: number;
  server: number;
  cport: number;
  sport: number;
  ttl: number;
  step: number;
  steps: number;
  seqC: number;
  seqS: number;
}

/** Write the capture; returns what it contains. */
export function generateCapture(o: GenerateOptions): GenerateResult {
  const rng = new Rng(o.seed ?? 0x5eed1234);
  const payload = o.payload ?? 120;
  const concurrency = o.concurrency ?? 512;
  const v6Share = o.ipv6Share ?? 0.05;
  const fd = openSync(o.file, 'w');
  const out = new Uint8Array(8 << 20);
  const dv = new DataView(out.buffer);
  let len = 0;
  let bytes = 0;
  const flush = () => {
    writeSync(fd, out, 0, len);
    bytes += len;
    len = 0;
  };
  // pcap header, little-endian, microseconds, Ethernet
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true);
  dv.setUint32(20, 1, true);
  len = 24;

  const res: GenerateResult = { file: o.file, packets: 0, bytes: 0, tcpConnections: 0, udpExchanges: 0, icmpEchoes: 0, failedConnections: 0 };
  let usec = 0;
  let sec = 1_760_000_000;
  const clientProfile = (c: number) => PROFILES[c % PROFILES.length]!;
  const lastPort = new Int32Array(4096);

  const dnsShare = o.dnsShare ?? -1;
  const newConn = (): Conn => {
    const r = rng.below(100);
    const kind: Conn['kind'] = dnsShare >= 0 ? (r < dnsShare * 100 ? 2 : 0) : r < 80 ? 0 : r < 84 ? 1 : r < 97 ? 2 : 3;
    const client = rng.below(4096);
    const p = clientProfile(client);
    const span = p.hi - p.lo + 1;
    // Sequential-ish allocation per host with jitter, like real stacks under load.
    let port = lastPort[client]! ? lastPort[client]! + 1 + rng.below(7) : p.lo + rng.below(span);
    if (port > p.hi) port = p.lo + (port - p.hi - 1);
    if (p.even) port &= ~1;
    if (port < p.lo) port = p.lo + 1 - (p.lo & 1);
    lastPort[client] = port;
    const v6 = (rng.next() & 0xffff) / 65536 < v6Share;
    const server = rng.below(256);
    if (kind === 0) res.tcpConnections++;
    else if (kind === 1) res.failedConnections++;
    else if (kind === 2) res.udpExchanges++;
    else res.icmpEchoes++;
    const steps = kind === 0 ? 7 + 2 * rng.below(3) : kind === 1 ? 3 : 2;
    return {
      kind,
      v6,
      client,
      server,
      cport: kind === 3 ? rng.below(65536) : port,
      sport: kind === 2 ? 53 : kind === 3 ? 0 : SERVICES[server % SERVICES.length]!,
      ttl: p.ttl,
      step: 0,
      steps,
      seqC: rng.next(),
      seqS: rng.next(),
    };
  };

  const live: Conn[] = [];
  for (let i = 0; i < concurrency; i++) live.push(newConn());

  const sessions = o.vxlan?.sessions ?? 0;
  const encap = sessions > 0 ? 50 : 0;
  let outerId = 0;
  const writePacket = (c: Conn) => {
    const fromClient = c.kind === 1 ? true : c.kind === 0 ? c.step !== 1 && !(c.step >= 4 && c.step % 2 === 0 && c.step < c.steps - 3) && c.step !== c.steps - 2 : c.step === 0;
    const isTcp = c.kind <= 1;
    const dataLen = isTcp ? (c.step >= 3 && c.step < c.steps - 3 ? payload : 0) : c.kind === 2 ? (c.step === 0 ? 32 : 64) : 56;
    const l4len = isTcp ? 20 + (c.step <= 1 ? 12 : 0) : 8;
    const ipHdr = c.v6 ? 40 : 20;
    const innerLen = 14 + ipHdr + l4len + dataLen;
    const frameLen = innerLen + encap;
    if (len + 16 + frameLen > out.length) flush();
    usec += 1 + rng.below(20);
    if (usec >= 1_000_000) {
      sec++;
      usec -= 1_000_000;
    }
    dv.setUint32(len, sec, true);
    dv.setUint32(len + 4, usec, true);
    dv.setUint32(len + 8, frameLen, true);
    dv.setUint32(len + 12, frameLen, true);
    let p = len + 16;
    out.fill(0, p, p + frameLen);
    if (encap) {
      // Ethernet to the target, IPv4 10.200.0.<session> -> 10.200.0.100, UDP (source port from the inner flow, as
      // VXLAN implementations hash it) to 4789, VXLAN with the I flag and the session's VNI.
      const session = c.client % sessions;
      out.set([2, 0, 0, 0, 0, 100, 2, 0, 0, 0, 0, 1 + session], p);
      dv.setUint16(p + 12, 0x0800);
      out[p + 14] = 0x45;
      dv.setUint16(p + 16, 20 + 8 + 8 + innerLen);
      dv.setUint16(p + 18, outerId++ & 0xffff);
      out[p + 22] = 64;
      out[p + 23] = 17;
      dv.setUint32(p + 26, 0x0ac80001 + session);
      dv.setUint32(p + 30, 0x0ac80064);
      dv.setUint16(p + 34, 49152 + ((c.client * 31 + c.cport) & 0x3fff));
      dv.setUint16(p + 36, 4789);
      dv.setUint16(p + 38, 8 + 8 + innerLen);
      out[p + 42] = 0x08;
      dv.setUint32(p + 46, (101 + session) << 8);
      p += encap;
    }
    out[p] = 2;
    out[p + 5] = fromClient ? 1 : 2;
    out[p + 6] = 2;
    out[p + 11] = fromClient ? 2 : 1;
    const proto = isTcp ? 6 : c.kind === 2 ? 17 : c.v6 ? 58 : 1;
    dv.setUint16(p + 12, c.v6 ? 0x86dd : 0x0800);
    p += 14;
    const cAddr = 0x0a010000 | c.client;
    const sAddr = 0x0a020000 | c.server;
    const src = fromClient ? cAddr : sAddr;
    const dst = fromClient ? sAddr : cAddr;
    const ttl = fromClient ? c.ttl - 1 : 63;
    if (c.v6) {
      dv.setUint32(p, 0x60000000);
      dv.setUint16(p + 4, l4len + dataLen);
      out[p + 6] = proto;
      out[p + 7] = ttl;
      dv.setUint32(p + 8, 0x20010db8);
      dv.setUint32(p + 20, src);
      dv.setUint32(p + 24, 0x20010db8);
      dv.setUint32(p + 36, dst);
    } else {
      out[p] = 0x45;
      dv.setUint16(p + 2, 20 + l4len + dataLen);
      dv.setUint16(p + 4, res.packets & 0xffff);
      dv.setUint16(p + 6, 0x4000);
      out[p + 8] = ttl;
      out[p + 9] = proto;
      dv.setUint32(p + 12, src);
      dv.setUint32(p + 16, dst);
    }
    p += ipHdr;
    if (isTcp) {
      dv.setUint16(p, fromClient ? c.cport : c.sport);
      dv.setUint16(p + 2, fromClient ? c.sport : c.cport);
      let flags: number;
      if (c.kind === 1) flags = 0x02;
      else if (c.step === 0) flags = 0x02;
      else if (c.step === 1) flags = 0x12;
      else if (c.step >= c.steps - 3 && c.step < c.steps - 1) flags = 0x11;
      else flags = dataLen > 0 ? 0x18 : 0x10;
      dv.setUint32(p + 4, fromClient ? c.seqC : c.seqS);
      dv.setUint32(p + 8, flags === 0x02 ? 0 : fromClient ? c.seqS : c.seqC);
      out[p + 12] = (l4len >> 2) << 4;
      out[p + 13] = flags;
      dv.setUint16(p + 14, c.ttl === 128 ? 64240 : 64800);
      if (c.step <= 1) {
        // MSS, SACK permitted, timestamps-less layout: M N W N N S
        out.set([2, 4, 5, 0xb4, 1, 3, 3, c.ttl === 128 ? 8 : 7, 1, 1, 4, 2], p + 20);
      }
      if (fromClient) c.seqC = (c.seqC + dataLen + (flags & 0x03 ? 1 : 0)) >>> 0;
      else c.seqS = (c.seqS + dataLen + (flags & 0x03 ? 1 : 0)) >>> 0;
    } else if (c.kind === 2) {
      dv.setUint16(p, fromClient ? c.cport : 53);
      dv.setUint16(p + 2, fromClient ? 53 : c.cport);
      dv.setUint16(p + 4, 8 + dataLen);
      dv.setUint16(p + 8, c.cport);
      dv.setUint16(p + 10, fromClient ? 0x0100 : 0x8180);
    } else {
      out[p] = c.v6 ? (fromClient ? 128 : 129) : fromClient ? 8 : 0;
      dv.setUint16(p + 4, c.cport);
      dv.setUint16(p + 6, 1);
    }
    len += 16 + frameLen;
    res.packets++;
  };

  while (o.bytes !== undefined ? bytes + len < o.bytes : res.packets < o.packets) {
    const k = rng.below(live.length);
    const c = live[k]!;
    writePacket(c);
    c.step++;
    if (c.step >= c.steps) live[k] = newConn();
  }
  flush();
  closeSync(fd);
  res.bytes = bytes;
  return res;
}

// `node dist/bench/generate.js <file> [packets]`
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  const file = process.argv[2] ?? 'bench/out/generated.pcap';
  const packets = Number(process.argv[3] ?? 2_000_000);
  const r = generateCapture({ file, packets });
  process.stdout.write(JSON.stringify(r) + '\n');
}
