/**
 * FlowLogBatch: up to `capacity` flow-log records as typed-array columns, filled in place by the text or Parquet
 * reader and reused for the next batch (like PacketBatch, src/decode/batch.ts): no object per record.
 */

export const DEFAULT_FLOWLOG_BATCH = 4096;

/** Bits of `present`: which optional fields the record set (a `-` or an absent column leaves the bit clear). */
export const Has = {
  ADDRS: 0x01,
  PORTS: 0x02,
  PROTOCOL: 0x04,
  PACKETS: 0x08,
  TCP_FLAGS: 0x10,
  PKT_SRCADDR: 0x20,
  PKT_DSTADDR: 0x40,
  TRAFFIC_PATH: 0x80,
  START: 0x100,
  END: 0x200,
} as const;

/**
 * Validity: every column is written for every row; `family`, addresses, ports and counters are 0 where the record
 * has `-` (NODATA and SKIPDATA records have no 5-tuple), and `present` says which were set. Addresses are 4 words
 * per row (IPv4 in word 0, words 1-3 zero), in network order as 32-bit numbers (10.0.0.1 = 0x0a000001).
 */
export class FlowLogBatch {
  length = 0;
  /** `version` (0 when unset). */
  readonly version: Uint8Array;
  /** 4 or 6 from srcaddr; 0 when unset. */
  readonly family: Uint8Array;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  readonly proto: Uint8Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  /** Unix seconds. */
  readonly start: Float64Array;
  readonly end: Float64Array;
  /** Action.* */
  readonly action: Uint8Array;
  /** LogStatus.* */
  readonly logStatus: Uint8Array;
  /** Interned `interface-id` (StringTable of the reader), -1 when unset. */
  readonly interfaceId: Int32Array;
  /** Interned `subnet-id`, -1 when unset or not in the format. */
  readonly subnetId: Int32Array;
  /** `tcp-flags` as logged (FIN 1, SYN 2, RST 4, SYN-ACK 18; see Has.TCP_FLAGS). */
  readonly tcpFlags: Uint8Array;
  /** FlowDirection.* */
  readonly flowDirection: Uint8Array;
  /** `traffic-path` 1-8 (0 when unset). */
  readonly trafficPath: Uint8Array;
  /** `pkt-srcaddr` / `pkt-dstaddr`, 4 words per row, same family as srcaddr (Has.PKT_SRCADDR / PKT_DSTADDR). */
  readonly pktSrc: Uint32Array;
  readonly pktDst: Uint32Array;
  /** Has.* bits (0x4000 and 0x8000 are the parser's: srcaddr / dstaddr seen; mask with 0x3ff). */
  readonly present: Uint16Array;
  /** Index of the record's file in the reader's `files`, and its 1-based line (Parquet: 1-based row). */
  readonly fileIndex: Int32Array;
  readonly line: Float64Array;

  constructor(readonly capacity = DEFAULT_FLOWLOG_BATCH) {
    const n = capacity;
    this.version = new Uint8Array(n);
    this.family = new Uint8Array(n);
    this.src = new Uint32Array(4 * n);
    this.dst = new Uint32Array(4 * n);
    this.srcPort = new Uint16Array(n);
    this.dstPort = new Uint16Array(n);
    this.proto = new Uint8Array(n);
    this.packets = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.start = new Float64Array(n);
    this.end = new Float64Array(n);
    this.action = new Uint8Array(n);
    this.logStatus = new Uint8Array(n);
    this.interfaceId = new Int32Array(n);
    this.subnetId = new Int32Array(n);
    this.tcpFlags = new Uint8Array(n);
    this.flowDirection = new Uint8Array(n);
    this.trafficPath = new Uint8Array(n);
    this.pktSrc = new Uint32Array(4 * n);
    this.pktDst = new Uint32Array(4 * n);
    this.present = new Uint16Array(n);
    this.fileIndex = new Int32Array(n);
    this.line = new Float64Array(n);
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  clear(): void {
    this.length = 0;
  }

  /** Reset row i to "nothing set" before a parser fills it. */
  resetRow(i: number): void {
    this.version[i] = 0;
    this.family[i] = 0;
    const b = 4 * i;
    for (let w = 0; w < 4; w++) {
      this.src[b + w] = 0;
      this.dst[b + w] = 0;
      this.pktSrc[b + w] = 0;
      this.pktDst[b + w] = 0;
    }
    this.srcPort[i] = 0;
    this.dstPort[i] = 0;
    this.proto[i] = 0;
    this.packets[i] = 0;
    this.bytes[i] = 0;
    this.start[i] = 0;
    this.end[i] = 0;
    this.action[i] = 0;
    this.logStatus[i] = 0;
    this.interfaceId[i] = -1;
    this.subnetId[i] = -1;
    this.tcpFlags[i] = 0;
    this.flowDirection[i] = 0;
    this.trafficPath[i] = 0;
    this.present[i] = 0;
  }
}
