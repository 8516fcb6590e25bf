/** Everything `aclreplay info` reports about a capture: its format, sections, interfaces, counts and problems. */
import type { ProblemRecord } from '../capture/problems.js';
import { PcapReader } from '../capture/pcap.js';
import { PcapngReader } from '../capture/pcapng.js';
import { interfaceAt } from '../capture/interfaces.js';
import { linkTypeName } from '../capture/linktypes.js';
import type { DecodedCounts } from '../decode/stats.js';
import type { TunnelRecord } from '../decode/tunnels.js';
import type { PacketBatch } from '../decode/batch.js';
import { runPass, type PassOptions, type PassResult } from './engine.js';

export interface InterfaceSummary {
  index: number;
  linkType: number;
  linkTypeName: string;
  snaplen: number;
  tsresol: number;
  tsOffset: number;
  name: string | null;
  packets: number;
}

export interface SectionSummary {
  offset: number;
  byteOrder: 'little-endian' | 'big-endian';
  version: string;
  hardware: string | null;
  os: string | null;
  userApplication: string | null;
  interfaces: InterfaceSummary[];
}

/** The `info -F json` object; field names are part of the CLI contract. */
export interface CaptureSummary {
  file: string;
  format: 'pcap' | 'pcapng';
  compression: 'gzip' | null;
  byteOrder: 'little-endian' | 'big-endian' | 'mixed';
  version: string;
  timestampPrecision: 'us' | 'ns' | 'per-interface';
  snaplen: number | null;
  sections: SectionSummary[];
  linkTypes: { linkType: number; name: string; packets: number }[];
  packets: number;
  bytes: number;
  capturedBytes: number;
  firstTs: number | null;
  lastTs: number | null;
  duration: number;
  outOfOrder: number;
  decoded: DecodedCounts;
  truncatedPackets: number;
  malformedPackets: number;
  fragments: number;
  /** Packets dropped as copies another mirror session delivered (tcp+udp+icmp+other+duplicates = packets). */
  duplicates: number;
  /** Encapsulations the packets came through (VXLAN mirrors, GENEVE from a GWLB, GRE, ...), in order of first appearance. */
  tunnels: TunnelRecord[];
  /** True when a problem stopped reading before the end of the file. */
  incomplete: boolean;
  problems: ProblemRecord[];
  problemTotals: Record<string, number>;
}

/** Read and decode the whole capture; `sink` (single-threaded then) sees every decoded batch. */
export async function summarizeCapture(file: string, opts: PassOptions = {}, sink?: (batch: PacketBatch) => void): Promise<CaptureSummary> {
  const pass = await runPass(file, { flows: false, ...opts, ...(sink ? { batchSink: sink } : {}) });
  return describeCapture(pass);
}

/** The capture-level summary of a finished pass. */
export function describeCapture(pass: PassResult): CaptureSummary {
  const { opened, merge } = pass;
  const reader = opened.reader;
  const stats = merge.stats;
  const linkTypes = [...stats.linkTypeCounts()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([t, n]) => ({ linkType: t, name: linkTypeName(t), packets: n }));
  let byteOrder: CaptureSummary['byteOrder'];
  let version: string;
  let timestampPrecision: CaptureSummary['timestampPrecision'];
  let snaplen: number | null = null;
  const sections: SectionSummary[] = [];
  if (reader instanceof PcapReader) {
    const h = reader.header;
    byteOrder = h.littleEndian ? 'little-endian' : 'big-endian';
    version = `${h.versionMajor}.${h.versionMinor}`;
    timestampPrecision = h.nanos ? 'ns' : 'us';
    snaplen = h.snaplen;
  } else {
    // The chunks' readers saw every section (the main thread's reader only walks when the capture is cut).
    const seen = merge.sections.size > 0 ? [...merge.sections.values()].sort((a, b) => a.offset - b.offset) : (reader as PcapngReader).sections;
    for (const s of seen) {
      sections.push({
        offset: s.offset,
        byteOrder: s.littleEndian ? 'little-endian' : 'big-endian',
        version: `${s.versionMajor}.${s.versionMinor}`,
        hardware: s.hardware,
        os: s.os,
        userApplication: s.userApplication,
        interfaces: Array.from({ length: s.interfaces.count }, (_, index) => {
          const f = interfaceAt(s.interfaces, index);
          return {
            index,
            linkType: f.linkType,
            linkTypeName: linkTypeName(f.linkType),
            snaplen: f.snaplen,
            tsresol: f.tsresol,
            tsOffset: f.tsOffset,
            name: f.name,
            packets: merge.interfacePackets.get(`${s.offset}:${index}`) ?? 0,
          };
        }),
      });
    }
    const orders = new Set(sections.map((s) => s.byteOrder));
    byteOrder = orders.size > 1 ? 'mixed' : (sections[0]?.byteOrder ?? 'little-endian');
    version = sections[0]?.version ?? '1.0';
    timestampPrecision = 'per-interface';
  }
  const hasTime = stats.packets > 0 && Number.isFinite(stats.firstTs);
  return {
    file: opened.file,
    format: reader.format,
    compression: opened.compression,
    byteOrder,
    version,
    timestampPrecision,
    snaplen,
    sections,
    linkTypes,
    packets: stats.packets,
    bytes: stats.bytes,
    capturedBytes: stats.capturedBytes,
    firstTs: hasTime ? stats.firstTs : null,
    lastTs: hasTime ? stats.lastTs : null,
    duration: hasTime ? stats.lastTs - stats.firstTs : 0,
    outOfOrder: stats.outOfOrder,
    decoded: { ...stats.decoded },
    truncatedPackets: stats.truncated,
    malformedPackets: stats.malformed,
    fragments: stats.fragments,
    duplicates: stats.duplicates,
    tunnels: merge.tunnels.records(),
    incomplete: merge.stoppedEarly,
    problems: merge.problems.details.slice(),
    problemTotals: merge.problems.totals(),
  };
}
