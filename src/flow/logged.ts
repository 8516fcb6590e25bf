/**
 * The connection table's columns for logged traffic (VPC flow logs, src/flowlogs/): where each connection was
 * logged (interface, subnet, the first record's file and line per side), what the log said about each side (records,
 * ACCEPT / REJECT counts, tcp-flags, flow-direction) and which addresses the connection uses when the records'
 * packet-level addresses (pkt-srcaddr / pkt-dstaddr) differ from the interface-level ones (srcaddr / dstaddr).
 *
 * Sides are the connection's: index 2 * row + 0 is what the client sent, 2 * row + 1 what the server sent. One
 * string per distinct interface, subnet and file; none per connection.
 */

/** Per-connection bits of LoggedColumns.bits. */
export const LoggedBit = {
  /** Some record had tcp-flags (a v3+ custom format). */
  TCP_FLAGS_KNOWN: 0x01,
  /** Some record had flow-direction (v5). */
  FLOW_DIRECTION_KNOWN: 0x02,
  /** Records of one side disagreed on pkt-srcaddr / pkt-dstaddr; the first record's are used. */
  PKT_ADDRS_VARY: 0x04,
  /** The client's / server's address is the packet-level one (pkt-*), not the srcaddr / dstaddr logged. */
  CLIENT_TRANSLATED: 0x08,
  SERVER_TRANSLATED: 0x10,
} as const;

/** What a side's records said, over all of them. */
export const SideAction = { NONE: 0, ACCEPT: 1, REJECT: 2, MIXED: 3 } as const;
/** SideAction names, as records print them. */
export const SIDE_ACTIONS = ['none', 'ACCEPT', 'REJECT', 'mixed'] as const;

/** Bits of LoggedColumns.flowDirs (a side's records' flow-direction values). */
export const FlowDirSeen = { INGRESS: 1, EGRESS: 2 } as const;

/** Logged-traffic columns of a connection table with `count` rows. */
export class LoggedColumns {
  /** Interface of each connection (index into interfaces). */
  readonly iface: Int32Array;
  /** Subnet of the first record with a subnet-id (index into subnets), -1 when none had one. */
  readonly subnet: Int32Array;
  /** LoggedBit bits. */
  readonly bits: Uint8Array;
  /** Per side: records folded in, and how many of them (and their packets and bytes) were REJECT. */
  readonly records: Uint32Array;
  readonly rejectRecords: Uint32Array;
  readonly rejectPackets: Float64Array;
  readonly rejectBytes: Float64Array;
  /** Per side: the side's first record, file (index into files; -1 when the side has none) and 1-based line. */
  readonly firstFile: Int32Array;
  readonly firstLine: Uint32Array;
  /** Per side: tcp-flags as logged (FIN 1, SYN 2, RST 4, SYN-ACK 18), OR-ed over the side's records. */
  readonly tcpFlags: Uint8Array;
  /** Per side: FlowDirSeen bits. */
  readonly flowDirs: Uint8Array;
  /** Per connection: address id (the table's) of the srcaddr / dstaddr the records named for the client and the
   * server, where the table uses the packet-level address instead (LoggedBit.*_TRANSLATED); -1 otherwise. */
  readonly loggedClient: Int32Array;
  readonly loggedServer: Int32Array;

  constructor(
    readonly count: number,
    /** Interface ids (interface-id), files (as named or found), subnet ids: one string each. */
    readonly interfaces: readonly string[],
    readonly files: readonly string[],
    readonly subnets: readonly string[],
  ) {
    const n = count;
    this.iface = new Int32Array(n);
    this.subnet = new Int32Array(n).fill(-1);
    this.bits = new Uint8Array(n);
    this.records = new Uint32Array(2 * n);
    this.rejectRecords = new Uint32Array(2 * n);
    this.rejectPackets = new Float64Array(2 * n);
    this.rejectBytes = new Float64Array(2 * n);
    this.firstFile = new Int32Array(2 * n).fill(-1);
    this.firstLine = new Uint32Array(2 * n);
    this.tcpFlags = new Uint8Array(2 * n);
    this.flowDirs = new Uint8Array(2 * n);
    this.loggedClient = new Int32Array(n).fill(-1);
    this.loggedServer = new Int32Array(n).fill(-1);
  }

  /** SideAction of a side (2 * row + side). */
  action(k: number): number {
    const all = this.records[k]!;
    const rejected = this.rejectRecords[k]!;
    return all === 0 ? SideAction.NONE : rejected === 0 ? SideAction.ACCEPT : rejected === all ? SideAction.REJECT : SideAction.MIXED;
  }

  /** The side's first record as `file:line`, or null when the side has no record. */
  where(k: number): string | null {
    const f = this.firstFile[k]!;
    return f < 0 ? null : `${this.files[f]}:${this.firstLine[k]}`;
  }

  /** The connection's first record (of either side): side index k, or -1. */
  firstSide(row: number): number {
    const a = this.firstFile[2 * row]!;
    const b = this.firstFile[2 * row + 1]!;
    if (a < 0) return b < 0 ? -1 : 2 * row + 1;
    if (b < 0) return 2 * row;
    if (a !== b) return a < b ? 2 * row : 2 * row + 1;
    return this.firstLine[2 * row]! <= this.firstLine[2 * row + 1]! ? 2 * row : 2 * row + 1;
  }

  byteSize(): number {
    let n = 0;
    for (const v of Object.values(this)) if (ArrayBuffer.isView(v)) n += v.byteLength;
    return n;
  }
}
