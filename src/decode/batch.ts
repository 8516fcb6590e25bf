/**
 * PacketBatch: the decoded headers of up to `capacity` packets as columns of typed arrays. Filled in place by the
 * parser, read by the flow table and the classifiers, reused for the next batch; never an object per packet.
 */

/** How far decoding got. */
export const Layer = { NONE: 0, LINK: 1, NETWORK: 2, TRANSPORT: 3 } as const;
/** Why decoding stopped early (0 = it did not). Truncated (capture cut) is not malformed (impossible header). */
export const Anomaly = { NONE: 0, TRUNCATED: 1, MALFORMED: 2 } as const;
/** IPv4/IPv6 fragment position. */
export const Frag = { NONE: 0, FIRST: 1, LATER: 2 } as const;
/** Application hints read cheaply from the first payload bytes. */
export const AppFlag = { DNS_QUERY: 1, DNS_RESPONSE: 2 } as const;

export const DEFAULT_BATCH_SIZE = 4096;

/**
 * Validity: `family`, `proto`, `layer`, `anomaly`, `frag`, `appFlags`, `quoteProto` are written for every packet.
 * Address, TTL, port, TCP-flag and payload columns are meaningful only when `family` is 4 or 6 (then they are always
 * written, zeros where the header is absent); ICMP type/code only when proto is 1/58; TCP sequence, window and
 * options only for TCP at layer TRANSPORT (options on SYNs); `fragId` only for fragments; quote columns only when
 * `quoteProto` is non-zero. `tunnelDepth` is written for every packet; the other tunnel columns only when it is
 * non-zero (the row then describes the innermost packet of its encapsulations). `flowIndex`/`flowDir` are written by
 * the flow table.
 */
export class PacketBatch {
  /** Packets in the batch. */
  length = 0;
  /** Capture timestamp, seconds since the epoch. */
  readonly ts: Float64Array;
  /** File offset of the packet's record (pcap record header, pcapng block). */
  readonly recordOffset: Float64Array;
  /** Original (wire) length. */
  readonly wireLen: Uint32Array;
  /** Transport payload length on the wire (TCP segment data, UDP payload), from the IP lengths. */
  readonly payloadLen: Uint32Array;
  readonly layer: Uint8Array;
  readonly anomaly: Uint8Array;
  /** 4 or 6 when an IP header was decoded, else 0. */
  readonly family: Uint8Array;
  /** IP protocol / IPv6 upper-layer protocol after the extension chain. */
  readonly proto: Uint8Array;
  /** IPv4 TTL / IPv6 hop limit. */
  readonly ttl: Uint8Array;
  /** Source and destination addresses, 4 words per packet; IPv4 uses word 0 only. */
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  /** Ports for TCP/UDP/SCTP/DCCP/UDP-Lite; for ICMP echo both hold the echo identifier; else 0. */
  readonly sport: Uint16Array;
  readonly dport: Uint16Array;
  /** TCP flags (9 bits: FIN..CWR, AE at 0x100). */
  readonly tcpFlags: Uint16Array;
  readonly tcpWindow: Uint16Array;
  readonly tcpSeq: Uint32Array;
  readonly tcpAck: Uint32Array;
  /** On SYN and SYN-ACK only: option layout signature (4-bit codes), MSS (0 = absent), window scale (255 = absent). */
  readonly tcpOptLayout: Uint32Array;
  readonly tcpOptCount: Uint8Array;
  readonly tcpMss: Uint16Array;
  readonly tcpWscale: Uint8Array;
  readonly icmpType: Uint8Array;
  readonly icmpCode: Uint8Array;
  readonly frag: Uint8Array;
  /** IPv4 identification or IPv6 fragment identification, for fragments. */
  readonly fragId: Uint32Array;
  readonly appFlags: Uint8Array;
  /** For ICMP errors: the quoted packet's protocol (0 = none), addresses and ports. */
  readonly quoteProto: Uint8Array;
  readonly quoteSrc: Uint32Array;
  readonly quoteDst: Uint32Array;
  readonly quoteSport: Uint16Array;
  readonly quoteDport: Uint16Array;
  /** IPv4 identification / IPv6 flow label (when `family` is 4 or 6): with TCP seq/ack, what tells copies apart. */
  readonly ipId: Uint32Array;
  /** Encapsulations opened to reach this row's packet (0: none, the packet is what the capture holds). */
  readonly tunnelDepth: Uint8Array;
  /** TunnelKind of the outermost encapsulation. */
  readonly tunnelKind: Uint8Array;
  /** VNI (VXLAN, GENEVE), GRE key or ERSPAN session id of the outermost encapsulation (0 when it has none). */
  readonly tunnelVni: Uint32Array;
  /** GWLB endpoint id of the packet's GENEVE encapsulation, interned (index + 1 in the parser's TunnelSummary), 0 = none. */
  readonly tunnelEndpoint: Uint32Array;
  /** Row of the innermost encapsulation in the parser's TunnelSummary (its `inside` chain leads out), -1 = not kept. */
  readonly tunnelId: Int32Array;
  /**
   * Hash of every level's outer source address, id and GWLB endpoint: the mirror session that delivered the packet,
   * the same in every chunk (0 for a packet without encapsulation). The duplicate filter compares it.
   */
  readonly sessionKey: Uint32Array;
  /** Written by the flow table: index of the connection the packet belongs to, -1 for none. */
  readonly flowIndex: Int32Array;
  /** Written by the flow table: 0 when the packet goes from the key's lower endpoint to the higher, 1 otherwise. */
  readonly flowDir: Uint8Array;
  /** Written by the flow table for fragments: the chunk's id of the datagram's first fragment, -1 when unknown. */
  readonly fragHead: Int32Array;

  constructor(readonly capacity = DEFAULT_BATCH_SIZE) {
    const n = capacity;
    this.ts = new Float64Array(n);
    this.recordOffset = new Float64Array(n);
    this.wireLen = new Uint32Array(n);
    this.payloadLen = new Uint32Array(n);
    this.layer = new Uint8Array(n);
    this.anomaly = new Uint8Array(n);
    this.family = new Uint8Array(n);
    this.proto = new Uint8Array(n);
    this.ttl = new Uint8Array(n);
    this.src = new Uint32Array(4 * n);
    this.dst = new Uint32Array(4 * n);
    this.sport = new Uint16Array(n);
    this.dport = new Uint16Array(n);
    this.tcpFlags = new Uint16Array(n);
    this.tcpWindow = new Uint16Array(n);
    this.tcpSeq = new Uint32Array(n);
    this.tcpAck = new Uint32Array(n);
    this.tcpOptLayout = new Uint32Array(n);
    this.tcpOptCount = new Uint8Array(n);
    this.tcpMss = new Uint16Array(n);
    this.tcpWscale = new Uint8Array(n);
    this.icmpType = new Uint8Array(n);
    this.icmpCode = new Uint8Array(n);
    this.frag = new Uint8Array(n);
    this.fragId = new Uint32Array(n);
    this.appFlags = new Uint8Array(n);
    this.quoteProto = new Uint8Array(n);
    this.quoteSrc = new Uint32Array(4 * n);
    this.quoteDst = new Uint32Array(4 * n);
    this.quoteSport = new Uint16Array(n);
    this.quoteDport = new Uint16Array(n);
    this.ipId = new Uint32Array(n);
    this.tunnelDepth = new Uint8Array(n);
    this.tunnelKind = new Uint8Array(n);
    this.tunnelVni = new Uint32Array(n);
    this.tunnelEndpoint = new Uint32Array(n);
    this.tunnelId = new Int32Array(n);
    this.sessionKey = new Uint32Array(n);
    this.flowIndex = new Int32Array(n);
    this.flowDir = new Uint8Array(n);
    this.fragHead = new Int32Array(n);
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  clear(): void {
    this.length = 0;
  }
}

/** True for IP protocols whose first four transport bytes are source and destination ports (defined in wire/). */
export { hasPorts } from '../wire/ipproto.js';
