/**
 * One reusable packet parser per thread: link layer -> IPv4/IPv6 -> TCP/UDP/ICMP, written into a PacketBatch row,
 * opening tunnels and mirrors on the way (VXLAN, GENEVE, GRE with ERSPAN and PPP, IP-in-IP) unless told not to: the
 * row then describes the innermost packet. No allocation per packet: header fields are read through the wire/
 * accessors straight into the columns.
 */
import { u16, u32 } from '../wire/bytes.js';
import * as ip4 from '../wire/ipv4.js';
import * as ip6 from '../wire/ipv6.js';
import * as tcp from '../wire/tcp.js';
import * as icmp from '../wire/icmp.js';
import * as dns from '../wire/dns.js';
import * as mpls from '../wire/mpls.js';
import * as ppp from '../wire/ppp.js';
import * as vxlan from '../wire/vxlan.js';
import * as geneve from '../wire/geneve.js';
import * as gre from '../wire/gre.js';
import * as erspan from '../wire/erspan.js';
import * as cmd from '../wire/cmd.js';
import { EtherType } from '../wire/ethernet.js';
import { IpProtocol, hasPorts } from '../wire/ipproto.js';
import { LinkType } from '../wire/linktype.js';
import { SLL_LEN, SLL2_LEN } from '../wire/sll.js';
import { AF_INET, isInet6, familyEitherOrder, familyNetworkOrder } from '../wire/loopback.js';
import { Problems, Problem } from '../capture/problems.js';
import { PacketBatch, Layer, Anomaly, Frag, AppFlag } from './batch.js';
import { decodeOptions, type DecodeOptions, type DecodeOptionsInput } from './options.js';
import { TunnelSummary, TunnelKind, TunnelFlag, SESSION_SEED, sessionStep } from './tunnels.js';

const MAX_TAGS = 8;
const MAX_MPLS = 16;
const MAX_V6_EXT = 16;
/**
 * Encapsulations opened in one packet at most; one more is a `too-many-encapsulations` problem and the packet is
 * judged as the tunnel packet reached. Mirroring through a load balancer takes 2-3 (VXLAN in GENEVE, maybe in GRE).
 */
export const MAX_ENCAP_DEPTH = 8;

/**
 * The vocabulary the fast path compares with, as module constants: V8 folds an immutable binding like a literal,
 * where a property of the vocabulary objects is a load (measured: 0.130 -> 0.127 s CPU for 2 M packets).
 */
const LINK_ETHERNET = LinkType.ETHERNET;
const ETHER_IPV4 = EtherType.IPV4;
const ETHER_IPV6 = EtherType.IPV6;
const PROTO_TCP = IpProtocol.TCP;
const PROTO_UDP = IpProtocol.UDP;

/** Bits of the per-port class table: UDP ports that leave the fast path. */
const PORT_DNS = 1;
const PORT_VXLAN = 2;
const PORT_GENEVE = 4;

/** Problem messages, formatted only for the first few problems kept in detail. */
type Message = (a: number, b: number) => string;
const msgRawVersion: Message = (v) => `IP version ${v} in a raw-IP packet`;
const msgNot4: Message = (v) => `IP version ${v} where IPv4 was announced`;
const msgNot6: Message = (v) => `IP version ${v} where IPv6 was announced`;
const msgIhl: Message = (hl) => `IPv4 header length ${hl} is below 20`;
const msgTotalBelowHeader: Message = (tl, hl) => `IPv4 total length ${tl} is below its header length ${hl}`;
const msgTotalBeyondWire: Message = (tl, w) => `IPv4 total length ${tl} exceeds the ${w} bytes on the wire`;
const msgPayloadBeyondWire: Message = (pl, w) => `IPv6 payload length ${pl} exceeds the ${w} bytes on the wire`;
const msgTooManyExt: Message = (n) => `more than ${n} IPv6 extension headers`;
const msgExtPastPayload: Message = (nh) => `IPv6 extension header ${nh} runs past the payload`;
const msgTcpOffset: Message = (d) => `TCP data offset ${d} is below 5`;
const msgTcpLonger: Message = (hl, seg) => `TCP header of ${hl} bytes is longer than the ${seg}-byte segment`;
const msgTcpOptions: Message = () => 'TCP option list runs past the header';
const msgUdpLen: Message = (l) => `UDP length ${l} is below 8`;
const msgGeneveOptions: Message = (n, w) => `GENEVE options (${n} bytes) run past the ${w}-byte datagram`;
const msgGeneveOption: Message = () => 'GENEVE option length runs past the options';
const msgGreFlags: Message = (fv) => `GRE flags and version 0x${fv.toString(16).padStart(4, '0')} are not RFC 2784/2890/2637 GRE`;
const msgGreShort: Message = (n, w) => `GRE header of ${n} bytes is longer than the ${w}-byte datagram`;
const msgErspanVersion: Message = (v, t) => `ERSPAN version ${v} where type ${t === 2 ? 'II' : 'III'} was announced`;
const msgTooDeep: Message = (n) => `more than ${n} encapsulations in one packet`;

/** Off only in the test that compares the fast path with the general one. */
let FAST_PATH = true;
export function setFastPath(on: boolean): void {
  FAST_PATH = on;
}

/** Reused scratch for TCP option walks and GENEVE option walks. */
const synOptions: tcp.TcpSynOptions = { mss: -1, wscale: -1, sackPermitted: false, timestamps: false, layout: 0, count: 0 };
const awsOptions: geneve.AwsOptions = geneve.awsOptions();

export class PacketParser {
  private b: Uint8Array = new Uint8Array(0);
  private batch: PacketBatch;
  private i = 0;
  /** File offset of b[0] for problem reports (data offset minus buffer offset). */
  private fileBase = 0;
  /** The tunnels met so far (rows for `info`, ids for the batch's tunnelId column). */
  readonly tunnels = new TunnelSummary();
  readonly options: DecodeOptions;
  private readonly decap: boolean;
  /** Per UDP port: PORT_DNS (either port), PORT_VXLAN / PORT_GENEVE (destination port). */
  private readonly portClass = new Uint8Array(65536);
  /** Encapsulations opened in the current packet, the start of the innermost one's payload, its summary row. */
  private depth = 0;
  private frameStart = 0;
  private tunnelRow = -1;
  /** Warm-up: decode without counting problems or tunnels (they were counted where these records were judged). */
  private muted = false;

  constructor(
    batch: PacketBatch,
    private problems: Problems,
    options: DecodeOptionsInput = {},
  ) {
    this.batch = batch;
    this.options = decodeOptions(options);
    this.decap = this.options.decap === 'auto';
    for (const p of dns.DNS_PORTS) this.portClass[p] = PORT_DNS;
    if (this.decap) {
      this.portClass[geneve.UDP_PORT]! |= PORT_GENEVE;
      for (const p of this.options.vxlanPorts) this.portClass[p]! |= PORT_VXLAN;
    }
  }

  /**
   * Warm-up mode on or off: rows are decoded as always, but problems and tunnel packets are not counted, and
   * `tunnelId` is -1 (records decoded only to fill a DuplicateFilter's memory, already counted by another chunk).
   */
  setWarmup(on: boolean): void {
    this.muted = on;
  }

  /** Point the parser at another batch (same columns layout). */
  setBatch(batch: PacketBatch): void {
    this.batch = batch;
  }

  /**
   * Decode the packet b[off, off+caplen) of `linkType` into row `i` of the batch. `origlen` is the wire length,
   * `fcsLen` trailing frame check bytes, `dataFileOffset` the file offset of b[off] (for problem reports).
   */
  decode(b: Uint8Array, off: number, caplen: number, origlen: number, linkType: number, fcsLen: number, dataFileOffset: number, i: number): void {
    const batch = this.batch;
    this.b = b;
    this.i = i;
    this.fileBase = dataFileOffset - off;
    // Only the columns that say how far decoding got are reset here; once `family` is set, every path writes
    // proto, ttl, ports, TCP flags and payload length (zeros where absent). Measured: resetting all 16 columns
    // instead costs 10 ns per packet (0.209 s vs 0.188 s for 2 M packets).
    batch.wireLen[i] = origlen;
    batch.layer[i] = Layer.NONE;
    batch.anomaly[i] = Anomaly.NONE;
    batch.family[i] = 0;
    batch.proto[i] = 0;
    batch.frag[i] = Frag.NONE;
    batch.appFlags[i] = 0;
    batch.quoteProto[i] = 0;
    batch.tunnelDepth[i] = 0;
    this.depth = 0;
    // A frame check sequence is present only when the frame was captured whole.
    let end = off + caplen;
    let wireEnd = off + origlen;
    if (fcsLen > 0 && caplen === origlen && caplen >= fcsLen) {
      end -= fcsLen;
      wireEnd -= fcsLen;
    }
    if (linkType === LINK_ETHERNET && end - off >= 14) {
      const type = u16(b, off + 12);
      batch.layer[i] = Layer.LINK;
      if (type === ETHER_IPV4) {
        if (this.fastIpv4(off + 14, end, wireEnd)) return;
        return this.ipv4(off + 14, end, wireEnd);
      }
      if (type === ETHER_IPV6) return this.ipv6(off + 14, end, wireEnd);
      return this.etherPayload(type, off + 14, end, wireEnd);
    }
    this.otherLink(linkType, off, end, wireEnd);
  }

  /**
   * The common case in one method, with no call on its way: an unfragmented IPv4 datagram with sane lengths whose
   * TCP or UDP header is captured whole. Anything else returns false before writing a column, and the general path
   * (ipv4(), transport()) decodes it; test/decode/fastpath.test.ts checks both paths give the same rows.
   * Measured on 2 M generated packets, warm, from memory: read+decode 200 -> 165 ms (10 -> 12 Mpps).
   * Also the path of an Ethernet frame inside a tunnel whose IPv4 packet arrived whole.
   */
  private fastIpv4(p: number, end: number, wireEnd: number): boolean {
    const b = this.b;
    if (!FAST_PATH || end - p < 20) return false;
    const vihl = b[p]!;
    const hl = (vihl & 0x0f) << 2;
    if (vihl >>> 4 !== 4 || hl < 20 || end - p < hl) return false;
    const tl = (b[p + 2]! << 8) | b[p + 3]!;
    if (tl < hl || tl > wireEnd - p) return false;
    if (((b[p + 6]! << 8) | b[p + 7]!) & 0x3fff) return false; // MF or a fragment offset
    const proto = b[p + 9]!;
    const t = p + hl;
    const dataEnd = p + tl;
    const capEnd = end < dataEnd ? end : dataEnd;
    const batch = this.batch;
    const i = this.i;
    if (proto === PROTO_TCP) {
      if (capEnd - t < 20) return false;
      const thl = (b[t + 12]! >>> 4) << 2;
      if (thl < 20 || dataEnd - t < thl || ((b[t + 13]! & 0x02) !== 0 && capEnd - t < thl)) return false;
      const fl = ((b[t + 12]! & 1) << 8) | b[t + 13]!;
      batch.sport[i] = (b[t]! << 8) | b[t + 1]!;
      batch.dport[i] = (b[t + 2]! << 8) | b[t + 3]!;
      batch.tcpFlags[i] = fl;
      batch.tcpSeq[i] = ((b[t + 4]! << 24) | (b[t + 5]! << 16) | (b[t + 6]! << 8) | b[t + 7]!) >>> 0;
      batch.tcpAck[i] = ((b[t + 8]! << 24) | (b[t + 9]! << 16) | (b[t + 10]! << 8) | b[t + 11]!) >>> 0;
      batch.tcpWindow[i] = (b[t + 14]! << 8) | b[t + 15]!;
      batch.payloadLen[i] = dataEnd - t - thl;
      if ((fl & 0x02) !== 0) this.synOptions(t, thl, capEnd - t);
    } else if (proto === PROTO_UDP) {
      if (capEnd - t < 8) return false;
      const ulen = (b[t + 4]! << 8) | b[t + 5]!;
      if (ulen !== 0 && ulen < 8) return false;
      const sp = (b[t]! << 8) | b[t + 1]!;
      const dp = (b[t + 2]! << 8) | b[t + 3]!;
      const pc = this.portClass;
      const cls = (pc[sp]! & PORT_DNS) | pc[dp]!;
      if (cls !== 0) {
        if ((cls & PORT_DNS) !== 0 || this.depth !== 0) return false; // DNS hint, or a tunnel inside the fast VXLAN path: general path
        if (cls === PORT_VXLAN && this.fastVxlan(p, t, ulen, capEnd, dataEnd)) return true;
        return this.fastTunnel(p, t, ulen, sp, dp, cls, capEnd, dataEnd);
      }
      batch.sport[i] = sp;
      batch.dport[i] = dp;
      batch.tcpFlags[i] = 0;
      batch.payloadLen[i] = dataEnd - t - 8;
    } else return false;
    const base = 4 * i;
    batch.family[i] = 4;
    batch.layer[i] = Layer.TRANSPORT;
    batch.ttl[i] = b[p + 8]!;
    batch.proto[i] = proto;
    batch.ipId[i] = (b[p + 4]! << 8) | b[p + 5]!;
    batch.src[base] = ((b[p + 12]! << 24) | (b[p + 13]! << 16) | (b[p + 14]! << 8) | b[p + 15]!) >>> 0;
    batch.dst[base] = ((b[p + 16]! << 24) | (b[p + 17]! << 16) | (b[p + 18]! << 8) | b[p + 19]!) >>> 0;
    return true;
  }

  /**
   * The commonest mirror shape in one step: VXLAN over IPv4 carrying Ethernet and an IPv4 packet the fast path takes
   * whole. The inner packet is decoded first (with depth 1, so that a tunnel inside it leaves the fast path), and only
   * then is the session looked up and the tunnel columns written, as enter() writes them; anything else returns
   * false having written nothing fastTunnel() does not write again. The lookup skips the summary's hash when the
   * packet comes from a session seen lately (TunnelSummary.observeVxlan). Measured on the 2 M-packet VXLAN bench
   * capture (bench/decode-rate.ts, CPU, best of 5): read+decode 0.236 -> 0.222 s with the session cache.
   */
  private fastVxlan(p: number, t: number, ulen: number, capEnd: number, dataEnd: number): boolean {
    const b = this.b;
    const udpEnd = ulen >= 8 && ulen <= dataEnd - t ? t + ulen : dataEnd;
    const cut = capEnd < udpEnd ? capEnd : udpEnd;
    const q = t + 8;
    const e = q + vxlan.HEADER_LEN;
    if (this.muted || cut - e < 34 || b[e + 12] !== 0x08 || b[e + 13] !== 0x00 || !vxlan.isStrict(b, q)) return false;
    this.depth = 1;
    const whole = this.fastIpv4(e + 14, cut, udpEnd);
    this.depth = 0;
    if (!whole) return false;
    const batch = this.batch;
    const i = this.i;
    const vni = ((b[q + 4]! << 16) | (b[q + 5]! << 8) | b[q + 6]!) >>> 0;
    const s0 = ((b[p + 12]! << 24) | (b[p + 13]! << 16) | (b[p + 14]! << 8) | b[p + 15]!) >>> 0;
    const d0 = ((b[p + 16]! << 24) | (b[p + 17]! << 16) | (b[p + 18]! << 8) | b[p + 19]!) >>> 0;
    const row = this.tunnels.observeVxlan(s0, d0, vni);
    batch.tunnelDepth[i] = 1;
    batch.tunnelKind[i] = TunnelKind.VXLAN;
    batch.tunnelVni[i] = vni;
    batch.tunnelEndpoint[i] = 0;
    batch.tunnelId[i] = row;
    batch.sessionKey[i] = row >= 0 ? this.tunnels.sessions[row]! : sessionStep(SESSION_SEED, TunnelKind.VXLAN, 4, s0, 0, 0, 0, vni, 0, 0);
    batch.wireLen[i] = udpEnd - e;
    return true;
  }

  /**
   * The fast path's datagram to a tunnel port: the carrier's IPv4 and UDP columns as ipv4() and udp() write them,
   * then the tunnel opened from here, so the outer headers are read once. Measured on the 2 M-packet VXLAN bench
   * capture (CPU time, best of 7): read+decode 0.27 s through the general path, 0.23 s here.
   */
  private fastTunnel(p: number, t: number, ulen: number, sp: number, dp: number, cls: number, capEnd: number, dataEnd: number): boolean {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    const base = 4 * i;
    // enter() reads the carrier's family and addresses from the row; the rest of the carrier is overwritten when the
    // tunnel opens, so it is written only when it does not.
    batch.family[i] = 4;
    batch.src[base] = ((b[p + 12]! << 24) | (b[p + 13]! << 16) | (b[p + 14]! << 8) | b[p + 15]!) >>> 0;
    batch.dst[base] = ((b[p + 16]! << 24) | (b[p + 17]! << 16) | (b[p + 18]! << 8) | b[p + 19]!) >>> 0;
    const udpEnd = ulen >= 8 && ulen <= dataEnd - t ? t + ulen : dataEnd;
    const cut = capEnd < udpEnd ? capEnd : udpEnd;
    const q = t + 8;
    const strictVxlan = (cls & PORT_VXLAN) !== 0 && cut - q >= vxlan.HEADER_LEN && vxlan.isStrict(b, q);
    if (strictVxlan) {
      if (this.enter(TunnelKind.VXLAN, vxlan.vni(b, q), TunnelFlag.HAS_ID, q + vxlan.HEADER_LEN, udpEnd)) {
        this.innerEthernet(q + vxlan.HEADER_LEN, cut, udpEnd);
        return true;
      }
    }
    batch.ttl[i] = b[p + 8]!;
    batch.proto[i] = IpProtocol.UDP;
    batch.ipId[i] = (b[p + 4]! << 8) | b[p + 5]!;
    batch.sport[i] = sp;
    batch.dport[i] = dp;
    batch.tcpFlags[i] = 0;
    batch.layer[i] = Layer.TRANSPORT;
    batch.payloadLen[i] = dataEnd - t - 8;
    // Not VXLAN as checked above (or one level too deep, counted by enter()): the general checks decide, and count
    // a cut header.
    if (!strictVxlan) {
      if (cls & PORT_VXLAN) this.vxlan(q, cut, udpEnd);
      else this.geneve(q, cut, udpEnd);
    }
    return true;
  }

  /** Link types other than a whole Ethernet header. */
  private otherLink(linkType: number, off: number, end: number, wireEnd: number): void {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    switch (linkType) {
      case LinkType.ETHERNET:
        if (end - off < 14) return this.truncated(off, 'Ethernet header');
        this.etherPayload(u16(b, off + 12), off + 14, end, wireEnd);
        return;
      case LinkType.LINUX_SLL:
        if (end - off < SLL_LEN) return this.truncated(off, 'Linux SLL header');
        this.etherPayload(u16(b, off + 14), off + SLL_LEN, end, wireEnd);
        return;
      case LinkType.LINUX_SLL2:
        if (end - off < SLL2_LEN) return this.truncated(off, 'Linux SLL2 header');
        this.etherPayload(u16(b, off), off + SLL2_LEN, end, wireEnd);
        return;
      case LinkType.RAW:
      case LinkType.RAW_DLT12:
      case LinkType.RAW_DLT14:
        this.rawIp(off, end, wireEnd);
        return;
      case LinkType.IPV4:
        batch.layer[i] = Layer.LINK;
        this.ipv4(off, end, wireEnd);
        return;
      case LinkType.IPV6:
        batch.layer[i] = Layer.LINK;
        this.ipv6(off, end, wireEnd);
        return;
      case LinkType.NULL:
      case LinkType.LOOP: {
        if (end - off < 4) return this.truncated(off, 'loopback header');
        const af = linkType === LinkType.NULL ? familyEitherOrder(b, off) : familyNetworkOrder(b, off);
        batch.layer[i] = Layer.LINK;
        if (af === AF_INET) this.ipv4(off + 4, end, wireEnd);
        else if (isInet6(af)) this.ipv6(off + 4, end, wireEnd);
        return;
      }
      case LinkType.PPP:
      case LinkType.PPP_HDLC: {
        // Cisco HDLC framing (address 0x0f unicast / 0x8f multicast) is found in files labelled PPP; tcpdump and
        // Wireshark both accept it there.
        if (end - off >= 4 && (b[off] === 0x0f || b[off] === 0x8f) && b[off + 1] === 0) {
          this.etherPayload(ppp.chdlcProtocol(b, off), off + 4, end, wireEnd);
          return;
        }
        const p = ppp.skipAddressControl(b, off, end);
        if (end - p < 2) return this.truncated(off, 'PPP header');
        this.pppPayload(p, end, wireEnd);
        return;
      }
      case LinkType.PPP_ETHER:
        if (end - off < 8) return this.truncated(off, 'PPPoE header');
        this.pppPayload(off + ppp.PPPOE_HEADER_LEN, end, wireEnd);
        return;
      case LinkType.FDDI:
        // FDDI: frame control, destination, source (13 bytes), then IEEE 802.2 LLC/SNAP.
        if (end - off < 13) return this.truncated(off, 'FDDI header');
        this.etherPayload(0, off + 13, end, wireEnd);
        return;
      case LinkType.C_HDLC:
        if (end - off < 4) return this.truncated(off, 'Cisco HDLC header');
        this.etherPayload(ppp.chdlcProtocol(b, off), off + 4, end, wireEnd);
        return;
      default:
        return; // counted by link type, not a problem
    }
  }

  /** Dispatch on an EtherType, through VLAN tags, MPLS labels, PPPoE and LLC/SNAP. */
  private etherPayload(type: number, p: number, end: number, wireEnd: number): void {
    const b = this.b;
    this.batch.layer[this.i] = Layer.LINK;
    for (let tags = 0; tags <= MAX_TAGS; tags++) {
      if (type === EtherType.IPV4) return this.ipv4(p, end, wireEnd);
      if (type === EtherType.IPV6) return this.ipv6(p, end, wireEnd);
      if (type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_LEGACY || type === EtherType.QINQ_LEGACY2) {
        if (end - p < 4) return this.truncated(p, '802.1Q tag');
        type = u16(b, p + 2);
        p += 4;
        continue;
      }
      if (type === EtherType.MPLS || type === EtherType.MPLS_MULTICAST) {
        let n = 0;
        for (;;) {
          if (end - p < 4) return this.truncated(p, 'MPLS label');
          const bottom = mpls.bottomOfStack(b, p);
          p += 4;
          if (bottom) break;
          if (++n >= MAX_MPLS) return;
        }
        if (end - p < 1) return this.truncated(p, 'MPLS payload');
        const v = b[p]! >>> 4;
        if (v === 4) return this.ipv4(p, end, wireEnd);
        if (v === 6) return this.ipv6(p, end, wireEnd);
        return;
      }
      if (type === EtherType.PPPOE_SESSION) {
        if (end - p < 8) return this.truncated(p, 'PPPoE header');
        return this.pppPayload(p + ppp.PPPOE_HEADER_LEN, end, wireEnd);
      }
      if (type <= 1500) {
        // IEEE 802.3 length: LLC; SNAP (AA AA 03, OUI 0) carries an EtherType.
        if (end - p >= 8 && b[p] === 0xaa && b[p + 1] === 0xaa && b[p + 2] === 0x03 && b[p + 3] === 0 && b[p + 4] === 0 && b[p + 5] === 0) {
          type = u16(b, p + 6);
          p += 8;
          continue;
        }
        return;
      }
      return; // ARP, LLDP, ... : not IP, not a problem
    }
  }

  private pppPayload(p: number, end: number, wireEnd: number): void {
    const b = this.b;
    this.batch.layer[this.i] = Layer.LINK;
    const proto = ppp.protocol(b, p);
    const q = p + ppp.protocolLen(b, p);
    if (proto === ppp.PppProtocol.IPV4) this.ipv4(q, end, wireEnd);
    else if (proto === ppp.PppProtocol.IPV6) this.ipv6(q, end, wireEnd);
  }

  private rawIp(p: number, end: number, wireEnd: number): void {
    this.batch.layer[this.i] = Layer.LINK;
    if (end - p < 1) return this.truncated(p, 'IP header');
    const v = this.b[p]! >>> 4;
    if (v === 4) this.ipv4(p, end, wireEnd);
    else if (v === 6) this.ipv6(p, end, wireEnd);
    else this.malformed(Problem['bad-ip-header'], p, msgRawVersion, v);
  }

  private ipv4(p: number, end: number, wireEnd: number): void {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    if (end - p < 20) return this.truncated(p, 'IPv4 header');
    if (b[p]! >>> 4 !== 4) return this.malformed(Problem['bad-ip-header'], p, msgNot4, b[p]! >>> 4);
    const hl = ip4.headerLen(b, p);
    if (hl < 20) return this.malformed(Problem['bad-ip-header'], p, msgIhl, hl);
    if (end - p < hl) return this.truncated(p, 'IPv4 options');
    let tl = ip4.totalLen(b, p);
    const onWire = wireEnd - p;
    if (tl === 0) {
      tl = onWire; // TSO/GSO and big TCP captures leave the length 0 (RFC 791 has no meaning for it)
    } else if (tl < hl) {
      return this.malformed(Problem['bad-ip-header'], p, msgTotalBelowHeader, tl, hl);
    } else if (tl > onWire && this.depth === 0) {
      this.malformed(Problem['bad-ip-header'], p, msgTotalBeyondWire, tl, onWire);
      batch.anomaly[i] = Anomaly.MALFORMED;
      tl = onWire;
    }
    // Inside a tunnel a total length beyond what the tunnel carries is a mirror's cut (AWS PacketLength, a target's
    // MTU): the packet's own length counts, and whatever headers were carried are read.
    if (this.depth > 0) this.innerLength(p, tl);
    const base = 4 * i;
    batch.family[i] = 4;
    batch.layer[i] = Layer.NETWORK;
    batch.ttl[i] = b[p + 8]!;
    const proto = b[p + 9]!;
    batch.proto[i] = proto;
    batch.ipId[i] = u16(b, p + 4);
    batch.src[base] = u32(b, p + 12);
    batch.dst[base] = u32(b, p + 16);
    const ff = u16(b, p + 6);
    const fragOffset = (ff & 0x1fff) << 3;
    const more = (ff & 0x2000) !== 0;
    if (fragOffset !== 0 || more) {
      batch.frag[i] = fragOffset === 0 ? Frag.FIRST : Frag.LATER;
      batch.fragId[i] = u16(b, p + 4);
      if (fragOffset !== 0) return this.noTransport(); // later fragments carry no transport header
    }
    const dataEnd = p + tl;
    this.transport(proto, p + hl, end < dataEnd ? end : dataEnd, dataEnd);
  }

  private ipv6(p: number, end: number, wireEnd: number): void {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    if (end - p < 40) return this.truncated(p, 'IPv6 header');
    if (b[p]! >>> 4 !== 6) return this.malformed(Problem['bad-ip-header'], p, msgNot6, b[p]! >>> 4);
    const base = 4 * i;
    batch.family[i] = 6;
    batch.layer[i] = Layer.NETWORK;
    batch.ttl[i] = b[p + 7]!;
    for (let w = 0; w < 4; w++) {
      batch.src[base + w] = u32(b, p + 8 + 4 * w);
      batch.dst[base + w] = u32(b, p + 24 + 4 * w);
    }
    batch.ipId[i] = u32(b, p) & 0xfffff;
    let plen = ip6.payloadLen(b, p);
    const onWire = wireEnd - p - 40;
    if (plen === 0) plen = onWire; // jumbogram (RFC 2675) or big TCP
    else if (plen > onWire && this.depth === 0) {
      this.malformed(Problem['bad-ip-header'], p, msgPayloadBeyondWire, plen, onWire);
      batch.anomaly[i] = Anomaly.MALFORMED;
      plen = onWire;
    }
    if (this.depth > 0) this.innerLength(p, 40 + plen);
    const dataEnd = p + 40 + plen;
    const capEnd = end < dataEnd ? end : dataEnd;
    let nh = b[p + 6]!;
    let q = p + 40;
    for (let n = 0; ip6.isExtension(nh); n++) {
      if (n >= MAX_V6_EXT) {
        this.noTransport();
        return this.malformed(Problem['bad-ipv6-extension'], q, msgTooManyExt, MAX_V6_EXT);
      }
      if (capEnd - q < 8) {
        batch.proto[i] = nh;
        this.noTransport();
        return this.truncated(q, 'IPv6 extension header');
      }
      const len = ip6.extensionLen(nh, b, q);
      const next = b[q]!;
      if (nh === ip6.ExtHeader.FRAGMENT) {
        const fo = ip6.fragOffset(b, q);
        batch.frag[i] = fo === 0 ? (ip6.fragMore(b, q) ? Frag.FIRST : Frag.NONE) : Frag.LATER;
        batch.fragId[i] = ip6.fragIdent(b, q);
        if (fo !== 0) {
          batch.proto[i] = next;
          return this.noTransport();
        }
      }
      q += len;
      if (q > dataEnd) {
        this.noTransport();
        return this.malformed(Problem['bad-ipv6-extension'], q - len, msgExtPastPayload, nh);
      }
      nh = next;
    }
    batch.proto[i] = nh;
    this.transport(nh, q, capEnd, dataEnd);
  }

  /** TCP/UDP/ICMP/ICMPv6 and port-carrying protocols at p; `end` is the captured end, `dataEnd` the wire end. */
  private transport(proto: number, p: number, end: number, dataEnd: number): void {
    if (proto === IpProtocol.TCP) this.tcp(p, end, dataEnd);
    else if (proto === IpProtocol.UDP || proto === IpProtocol.UDPLITE) this.udp(proto, p, end, dataEnd);
    else if (proto === IpProtocol.ICMP || proto === IpProtocol.ICMPV6) this.icmp(proto, p, end, dataEnd);
    else this.otherTransport(proto, p, end, dataEnd);
  }

  private tcp(p: number, end: number, dataEnd: number): void {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    const avail = end - p;
    if (avail < 20) {
      this.noTransport();
      if (this.tinyFirstFragment(p, end, dataEnd)) return;
      return this.truncated(p, 'TCP header');
    }
    const hl = tcp.headerLen(b, p);
    if (hl < 20) {
      this.noTransport();
      return this.malformed(Problem['bad-tcp-header'], p, msgTcpOffset, hl >> 2);
    }
    batch.sport[i] = u16(b, p);
    batch.dport[i] = u16(b, p + 2);
    const fl = tcp.flags(b, p);
    batch.tcpFlags[i] = fl;
    batch.tcpSeq[i] = u32(b, p + 4);
    batch.tcpAck[i] = u32(b, p + 8);
    batch.tcpWindow[i] = u16(b, p + 14);
    batch.layer[i] = Layer.TRANSPORT;
    const payload = dataEnd - p - hl;
    batch.payloadLen[i] = payload > 0 ? payload : 0;
    if (payload < 0) this.malformed(Problem['bad-tcp-header'], p, msgTcpLonger, hl, dataEnd - p);
    if ((fl & 0x02) !== 0) this.synOptions(p, hl, avail);
  }

  /** Options of a SYN or SYN-ACK, kept as OS evidence. */
  private synOptions(p: number, hl: number, avail: number): void {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    batch.tcpOptCount[i] = 0;
    batch.tcpOptLayout[i] = 0;
    batch.tcpMss[i] = 0;
    batch.tcpWscale[i] = 255;
    if (avail < hl) {
      batch.anomaly[i] = Anomaly.TRUNCATED;
      return;
    }
    if (tcp.readOptions(b, p + 20, p + hl, synOptions)) {
      batch.tcpOptLayout[i] = synOptions.layout;
      batch.tcpOptCount[i] = synOptions.count > 255 ? 255 : synOptions.count;
      batch.tcpMss[i] = synOptions.mss < 0 ? 0 : synOptions.mss;
      batch.tcpWscale[i] = synOptions.wscale < 0 ? 255 : synOptions.wscale;
    } else this.malformed(Problem['bad-tcp-header'], p + 20, msgTcpOptions);
  }

  private udp(proto: number, p: number, end: number, dataEnd: number): void {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    const avail = end - p;
    if (avail < 8) {
      this.noTransport();
      if (this.tinyFirstFragment(p, end, dataEnd)) return;
      return this.truncated(p, 'UDP header');
    }
    const sp = u16(b, p);
    const dp = u16(b, p + 2);
    batch.sport[i] = sp;
    batch.dport[i] = dp;
    batch.tcpFlags[i] = 0;
    batch.layer[i] = Layer.TRANSPORT;
    const ulen = u16(b, p + 4);
    if (proto === IpProtocol.UDP && ulen !== 0 && ulen < 8) this.malformed(Problem['bad-udp-header'], p, msgUdpLen, ulen);
    const payload = dataEnd - p - 8;
    batch.payloadLen[i] = payload > 0 ? payload : 0;
    const pc = this.portClass;
    const tunnel = pc[dp]! & (PORT_VXLAN | PORT_GENEVE);
    if (tunnel !== 0 && proto === IpProtocol.UDP && batch.frag[i] === Frag.NONE) {
      // The datagram ends at the UDP length when that is sane (the IP lengths may include trailing bytes).
      const udpEnd = ulen >= 8 && ulen <= dataEnd - p ? p + ulen : dataEnd;
      const cut = end < udpEnd ? end : udpEnd;
      if (tunnel & PORT_VXLAN ? this.vxlan(p + 8, cut, udpEnd) : this.geneve(p + 8, cut, udpEnd)) return;
    }
    if (((pc[sp]! | pc[dp]!) & PORT_DNS) !== 0 && avail >= 8 + dns.HEADER_LEN) {
      batch.appFlags[i] = dns.isResponse(b, p + 8) ? AppFlag.DNS_RESPONSE : AppFlag.DNS_QUERY;
    }
  }

  private icmp(proto: number, p: number, end: number, dataEnd: number): void {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    const avail = end - p;
    this.noTransport();
    if (avail < 4) {
      batch.icmpType[i] = 0;
      batch.icmpCode[i] = 0;
      return this.truncated(p, 'ICMP header');
    }
    const t = b[p]!;
    batch.icmpType[i] = t;
    batch.icmpCode[i] = b[p + 1]!;
    batch.layer[i] = Layer.TRANSPORT;
    batch.payloadLen[i] = dataEnd - p > 8 ? dataEnd - p - 8 : 0;
    if (avail < 8) return;
    if (icmp.isQuery(proto, t)) {
      const id = u16(b, p + 4);
      batch.sport[i] = id;
      batch.dport[i] = id;
    } else if (icmp.isError(proto, t)) {
      this.quoted(proto === IpProtocol.ICMP, p + 8, end);
    }
  }

  /** Protocols without TCP/UDP/ICMP headers: SCTP and DCCP still carry ports first; GRE and IP-in-IP are tunnels. */
  private otherTransport(proto: number, p: number, end: number, dataEnd: number): void {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    this.noTransport();
    if ((proto === IpProtocol.GRE || proto === IpProtocol.IPIP || proto === IpProtocol.IPV6) && this.decap && batch.frag[i] === Frag.NONE) {
      if (proto === IpProtocol.GRE) return this.gre(p, end, dataEnd);
      if (!this.enter(proto === IpProtocol.IPIP ? TunnelKind.IPV4_IN_IP : TunnelKind.IPV6_IN_IP, 0, 0, p, dataEnd)) return;
      if (proto === IpProtocol.IPIP) return this.ipv4(p, end, dataEnd);
      return this.ipv6(p, end, dataEnd);
    }
    if (proto === IpProtocol.SCTP || proto === IpProtocol.DCCP) {
      if (end - p < 4) return this.truncated(p, 'transport ports');
      batch.sport[i] = u16(b, p);
      batch.dport[i] = u16(b, p + 2);
      batch.layer[i] = Layer.TRANSPORT;
    }
  }

  /**
   * A first fragment that ends inside the transport header (RFC 1858 "tiny fragment"): the rest of the header is
   * in the next fragment, but the ports are here, and they are what an ACL matches. False when the capture, not
   * the fragmentation, cut the header.
   */
  private tinyFirstFragment(p: number, end: number, dataEnd: number): boolean {
    const batch = this.batch;
    const i = this.i;
    if (batch.frag[i] !== Frag.FIRST || end < dataEnd || dataEnd - p < 4) return false;
    batch.sport[i] = u16(this.b, p);
    batch.dport[i] = u16(this.b, p + 2);
    batch.layer[i] = Layer.TRANSPORT;
    return true;
  }

  /** Zero the transport columns of a packet whose transport header is absent or unreadable. */
  private noTransport(): void {
    const batch = this.batch;
    const i = this.i;
    batch.sport[i] = 0;
    batch.dport[i] = 0;
    batch.tcpFlags[i] = 0;
    batch.payloadLen[i] = 0;
  }

  /** The invoking packet an ICMP error quotes (RFC 792: IP header + 8 bytes; RFC 4443: as much as fits). */
  private quoted(v4: boolean, p: number, end: number): void {
    const b = this.b;
    const batch = this.batch;
    const i = this.i;
    const base = 4 * i;
    let proto: number;
    let q: number;
    if (v4) {
      if (end - p < 20 || b[p]! >>> 4 !== 4) return;
      const hl = ip4.headerLen(b, p);
      if (hl < 20) return;
      proto = b[p + 9]!;
      batch.quoteSrc[base] = u32(b, p + 12);
      batch.quoteDst[base] = u32(b, p + 16);
      if ((u16(b, p + 6) & 0x1fff) !== 0) {
        batch.quoteProto[i] = proto;
        batch.quoteSport[i] = 0;
        batch.quoteDport[i] = 0;
        return;
      }
      q = p + hl;
    } else {
      if (end - p < 40 || b[p]! >>> 4 !== 6) return;
      for (let w = 0; w < 4; w++) {
        batch.quoteSrc[base + w] = u32(b, p + 8 + 4 * w);
        batch.quoteDst[base + w] = u32(b, p + 24 + 4 * w);
      }
      proto = b[p + 6]!;
      q = p + 40;
      for (let n = 0; ip6.isExtension(proto) && n < MAX_V6_EXT; n++) {
        if (end - q < 8) break;
        const next = b[q]!;
        q += ip6.extensionLen(proto, b, q);
        proto = next;
      }
    }
    batch.quoteProto[i] = proto;
    if (hasPorts(proto) && end - q >= 4) {
      batch.quoteSport[i] = u16(b, q);
      batch.quoteDport[i] = u16(b, q + 2);
    } else if ((proto === IpProtocol.ICMP || proto === IpProtocol.ICMPV6) && end - q >= 8) {
      const id = u16(b, q + 4);
      batch.quoteSport[i] = id;
      batch.quoteDport[i] = id;
    } else {
      batch.quoteSport[i] = 0;
      batch.quoteDport[i] = 0;
    }
  }

  private truncated(p: number, what: string): void {
    this.batch.anomaly[this.i] = Anomaly.TRUNCATED;
    if (this.muted) return;
    const problems = this.problems;
    const why = this.depth > 0 ? ' cut off (capture length, or the mirror session\'s packet length)' : ' cut off by the capture length';
    problems.add(Problem['truncated-packet'], this.fileBase + p, problems.wantsDetail() ? what + why : null);
  }

  /** Count a malformed header; the message is formatted only when it will be kept. */
  private malformed(kind: number, p: number, message: Message, a = 0, c = 0): void {
    this.batch.anomaly[this.i] = Anomaly.MALFORMED;
    if (this.muted) return;
    const problems = this.problems;
    problems.add(kind, this.fileBase + p, problems.wantsDetail() ? message(a, c) : null);
  }

  // ---------------------------------------------------------------- tunnels

  /**
   * Open one more encapsulation whose payload is b[inner, innerEnd) (innerEnd from the carrier's lengths): record it
   * in the row's tunnel columns and the summary, then reset the row to describe the payload. The carrier's IP
   * header is still in the row (its addresses are the tunnel's outer endpoints). False, with a counted problem,
   * past MAX_ENCAP_DEPTH: the row then stays the tunnel packet.
   */
  private enter(kind: number, id: number, flags: number, inner: number, innerEnd: number): boolean {
    if (this.depth >= MAX_ENCAP_DEPTH) {
      this.malformed(Problem['too-many-encapsulations'], inner, msgTooDeep, MAX_ENCAP_DEPTH);
      return false;
    }
    const batch = this.batch;
    const i = this.i;
    const level = ++this.depth;
    if (level === 1) {
      batch.tunnelKind[i] = kind;
      batch.tunnelVni[i] = flags & TunnelFlag.HAS_ID ? id : 0;
      batch.tunnelEndpoint[i] = 0;
      this.tunnelRow = -1;
    }
    batch.tunnelDepth[i] = level;
    if (this.muted || (flags & (TunnelFlag.HAS_ENDPOINT | TunnelFlag.HAS_ATTACHMENT)) !== 0 || batch.family[i] !== 4 || (level > 1 && this.tunnelRow < 0)) {
      this.enterLevel(kind, level, id, flags);
    } else {
      // The common case, kept small so the summary lookup inlines: an IPv4 carrier without GWLB ids.
      const row = this.tunnels.observe4(kind, level, this.tunnelRow, batch.src, batch.dst, 4 * i, id, flags);
      this.tunnelRow = row;
      batch.tunnelId[i] = row;
      batch.sessionKey[i] = this.tunnels.sessions[row]!;
    }
    // What the tunnel carried is the packet now: as many bytes as the carrier's lengths say, until its own IP
    // header says more (innerLength).
    this.frameStart = inner;
    batch.wireLen[i] = innerEnd > inner ? innerEnd - inner : 0;
    batch.family[i] = 0;
    batch.proto[i] = 0;
    batch.layer[i] = Layer.LINK;
    batch.appFlags[i] = 0;
    return true;
  }

  /**
   * The row's summary row and session for one level, in general: any carrier family, GWLB ids, warm-up (no summary),
   * a level inside one the summary had no room for (not kept either: its row would have no parent).
   */
  private enterLevel(kind: number, level: number, id: number, flags: number): void {
    const batch = this.batch;
    const i = this.i;
    const base = 4 * i;
    const fam = batch.family[i]!;
    const ep0 = flags & TunnelFlag.HAS_ENDPOINT ? awsOptions.endpointHi : 0;
    const ep1 = flags & TunnelFlag.HAS_ENDPOINT ? awsOptions.endpointLo : 0;
    let row = -1;
    if (!this.muted) {
      const at0 = flags & TunnelFlag.HAS_ATTACHMENT ? awsOptions.attachmentHi : 0;
      const at1 = flags & TunnelFlag.HAS_ATTACHMENT ? awsOptions.attachmentLo : 0;
      row = level > 1 && this.tunnelRow < 0 ? this.tunnels.overflow() : this.tunnels.observe(kind, level, this.tunnelRow, fam, batch.src, batch.dst, base, id, flags, ep0, ep1, at0, at1);
      this.tunnelRow = row;
      if (flags & TunnelFlag.HAS_ENDPOINT && batch.tunnelEndpoint[i] === 0) batch.tunnelEndpoint[i] = this.tunnels.endpointId(ep0, ep1);
    }
    batch.tunnelId[i] = row;
    if (row >= 0) {
      batch.sessionKey[i] = this.tunnels.sessions[row]!;
      return;
    }
    // The session (every level's outer source, id and GWLB endpoint: AWS mirrors' source ENI and VNI), as the
    // summary row would give it.
    const prev = level === 1 ? SESSION_SEED : batch.sessionKey[i]!;
    const v6 = fam === 6;
    batch.sessionKey[i] = sessionStep(prev, kind, fam, batch.src[base]!, v6 ? batch.src[base + 1]! : 0, v6 ? batch.src[base + 2]! : 0, v6 ? batch.src[base + 3]! : 0, flags & TunnelFlag.HAS_ID ? id : 0, ep0, ep1);
  }

  /** An inner IP packet of `len` bytes at p: the row's length is its link header plus that, or what was carried. */
  private innerLength(p: number, len: number): void {
    const full = p - this.frameStart + len;
    if (full > this.batch.wireLen[this.i]!) this.batch.wireLen[this.i] = full;
  }

  /** An Ethernet frame carried by a tunnel (VXLAN, GENEVE 0x6558, GRE transparent bridging, ERSPAN). */
  private innerEthernet(p: number, end: number, wireEnd: number): void {
    if (end - p < 14) return this.truncated(p, 'inner Ethernet header');
    const type = u16(this.b, p + 12);
    if (type === ETHER_IPV4) {
      if (this.fastIpv4(p + 14, end, wireEnd)) return;
      return this.ipv4(p + 14, end, wireEnd);
    }
    if (type === ETHER_IPV6) return this.ipv6(p + 14, end, wireEnd);
    this.etherPayload(type, p + 14, end, wireEnd);
  }

  /** VXLAN at q (RFC 7348): true when opened (or counted as cut), false to judge the datagram as UDP. */
  private vxlan(q: number, end: number, dataEnd: number): boolean {
    if (end - q < vxlan.HEADER_LEN) {
      if (dataEnd - q < vxlan.HEADER_LEN) return false;
      this.truncated(q, 'VXLAN header');
      return false;
    }
    if (!vxlan.isStrict(this.b, q)) return false;
    if (!this.enter(TunnelKind.VXLAN, vxlan.vni(this.b, q), TunnelFlag.HAS_ID, q + vxlan.HEADER_LEN, dataEnd)) return true;
    this.innerEthernet(q + vxlan.HEADER_LEN, end, dataEnd);
    return true;
  }

  /** GENEVE at q (RFC 8926), with AWS's options: true when opened (or counted), false to judge it as UDP. */
  private geneve(q: number, end: number, dataEnd: number): boolean {
    const b = this.b;
    if (end - q < geneve.HEADER_LEN) {
      if (dataEnd - q < geneve.HEADER_LEN) return false;
      this.truncated(q, 'GENEVE header');
      return false;
    }
    if (!geneve.isPlausible(b, q)) return false;
    const type = geneve.protocolType(b, q);
    if (type !== EtherType.TEB && type !== EtherType.IPV4 && type !== EtherType.IPV6) return false;
    const inner = q + geneve.HEADER_LEN + geneve.optionsLen(b, q);
    if (inner > dataEnd) {
      this.malformed(Problem['bad-tunnel-header'], q, msgGeneveOptions, inner - q - geneve.HEADER_LEN, dataEnd - q);
      return false;
    }
    if (inner > end) {
      this.truncated(q, 'GENEVE options');
      return false;
    }
    let flags = TunnelFlag.HAS_ID;
    if (geneve.readAwsOptions(b, q + geneve.HEADER_LEN, inner, awsOptions)) {
      if (awsOptions.hasEndpoint) flags |= TunnelFlag.HAS_ENDPOINT;
      if (awsOptions.hasAttachment) flags |= TunnelFlag.HAS_ATTACHMENT;
    } else {
      // The options length still says where the payload starts: count the bad option, open the payload.
      this.malformed(Problem['bad-tunnel-header'], q + geneve.HEADER_LEN, msgGeneveOption);
    }
    if (!this.enter(TunnelKind.GENEVE, geneve.vni(b, q), flags, inner, dataEnd)) return true;
    if (type === EtherType.TEB) this.innerEthernet(inner, end, dataEnd);
    else if (type === EtherType.IPV4) this.ipv4(inner, end, dataEnd);
    else this.ipv6(inner, end, dataEnd);
    return true;
  }

  /**
   * GRE at p (RFC 2784/2890, PPTP's version 1): IPv4/IPv6, transparent Ethernet bridging, ERSPAN I/II/III, PPP,
   * MPLS, and Cisco MetaData or WCCP in front of those. Other payload types leave the row the GRE packet it is.
   */
  private gre(p: number, end: number, dataEnd: number): void {
    const b = this.b;
    if (end - p < gre.BASE_LEN) {
      if (dataEnd - p < gre.BASE_LEN) return this.malformed(Problem['bad-tunnel-header'], p, msgGreShort, gre.BASE_LEN, dataEnd - p);
      return this.truncated(p, 'GRE header');
    }
    const fv = gre.flagsVersion(b, p);
    const hl = gre.headerLen(b, p);
    if (hl < 0) return this.malformed(Problem['bad-tunnel-header'], p, msgGreFlags, fv);
    if (dataEnd - p < hl) return this.malformed(Problem['bad-tunnel-header'], p, msgGreShort, hl, dataEnd - p);
    if (end - p < hl) return this.truncated(p, 'GRE header');
    let type = gre.protocolType(b, p);
    let q = p + hl;
    let id = 0;
    let flags = 0;
    if (fv & gre.GreFlag.KEY) {
      id = gre.version(b, p) === 1 ? gre.key(b, p) & 0xffff : gre.key(b, p); // PPTP: the call id
      flags = TunnelFlag.HAS_ID;
    }
    if (type === EtherType.CISCO_METADATA) {
      if (end - q < cmd.GRE_HEADER_LEN) return this.truncated(q, 'Cisco MetaData header');
      type = cmd.etherType(b, q);
      q += cmd.GRE_HEADER_LEN;
    } else if (type === EtherType.WCCP) {
      // WCCP v2 redirection puts a 4-byte redirect header before the IPv4 packet, unless the packet starts at once.
      if (end - q < 1) return this.truncated(q, 'WCCP redirect header');
      if (b[q]! >>> 4 !== 4) q += 4;
      type = EtherType.IPV4;
    }
    switch (type) {
      case EtherType.IPV4:
        if (this.enter(TunnelKind.GRE, id, flags, q, dataEnd)) this.ipv4(q, end, dataEnd);
        return;
      case EtherType.IPV6:
        if (this.enter(TunnelKind.GRE, id, flags, q, dataEnd)) this.ipv6(q, end, dataEnd);
        return;
      case EtherType.TEB:
        if (this.enter(TunnelKind.GRE, id, flags, q, dataEnd)) this.innerEthernet(q, end, dataEnd);
        return;
      case EtherType.ERSPAN_II:
        if ((fv & gre.GreFlag.SEQUENCE) === 0) {
          // Type I: no ERSPAN header (the GRE header carries no sequence number either).
          if (this.enter(TunnelKind.ERSPAN1, 0, 0, q, dataEnd)) this.innerEthernet(q, end, dataEnd);
          return;
        }
        if (end - q < erspan.TYPE2_LEN) return this.truncated(q, 'ERSPAN type II header');
        if (erspan.version(b, q) !== erspan.ErspanVersion.TYPE2) return this.malformed(Problem['bad-tunnel-header'], q, msgErspanVersion, erspan.version(b, q), 2);
        if (this.enter(TunnelKind.ERSPAN2, erspan.sessionId(b, q), TunnelFlag.HAS_ID, q + erspan.TYPE2_LEN, dataEnd)) this.innerEthernet(q + erspan.TYPE2_LEN, end, dataEnd);
        return;
      case EtherType.ERSPAN_III: {
        if (end - q < erspan.TYPE3_LEN) return this.truncated(q, 'ERSPAN type III header');
        if (erspan.version(b, q) !== erspan.ErspanVersion.TYPE3) return this.malformed(Problem['bad-tunnel-header'], q, msgErspanVersion, erspan.version(b, q), 3);
        const len = erspan.type3Len(b, q);
        if (end - q < len) return this.truncated(q, 'ERSPAN type III platform subheader');
        const ft = erspan.frameType(b, q);
        if (ft !== erspan.FrameType.ETHERNET && ft !== erspan.FrameType.IP) return;
        if (!this.enter(TunnelKind.ERSPAN3, erspan.sessionId(b, q), TunnelFlag.HAS_ID, q + len, dataEnd)) return;
        if (ft === erspan.FrameType.ETHERNET) return this.innerEthernet(q + len, end, dataEnd);
        return this.rawIp(q + len, end, dataEnd);
      }
      case EtherType.PPP: {
        if (!this.enter(TunnelKind.GRE, id, flags, q, dataEnd)) return;
        const r = ppp.skipAddressControl(b, q, end);
        if (end - r < 1 || (end - r < 2 && (b[r]! & 1) === 0)) return this.truncated(r, 'PPP header');
        return this.pppPayload(r, end, dataEnd);
      }
      case EtherType.MPLS:
      case EtherType.MPLS_MULTICAST:
        if (this.enter(TunnelKind.GRE, id, flags, q, dataEnd)) this.etherPayload(type, q, end, dataEnd);
        return;
      default:
        return;
    }
  }
}
