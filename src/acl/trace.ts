/** Packets for classifier runs that do not come from a capture: ClassBench traces, probes, benchmarks. */
import type { PacketColumns } from './linear.js';

/** Decoded trace: packet columns plus one label per packet (meaning depends on the trace's source). */
export interface TracePackets {
  file: string;
  count: number;
  packets: PacketColumns;
  labels: Int32Array;
  /** True when the trace had a TCP-flags column. */
  hasFlags: boolean;
}

/** Zeroed columns for n packets. */
export function packetColumns(n: number): PacketColumns {
  return {
    family: new Uint8Array(n),
    proto: new Uint8Array(n),
    src: new Uint32Array(4 * n),
    dst: new Uint32Array(4 * n),
    sport: new Uint16Array(n),
    dport: new Uint16Array(n),
    icmpType: new Uint8Array(n),
    icmpCode: new Uint8Array(n),
    tcpFlags: new Uint16Array(n),
  };
}
