/** Everything `aclreplay info` reports about a capture: its format, sections, interfaces, counts and problems. */
import { openCapture, type OpenOptions } from '../capture/open.js';
import { Problems, type ProblemRecord } from '../capture/problems.js';
import { PcapReader } from '../capture/pcap.js';
import { PcapngReader } from '../capture/pcapng.js';
import type { RecordReader } from '../capture/reader.js';
import { linkTypeName } from '../capture/linktypes.js';
import { PacketBatch } from './batch.js';
import { PacketParser } from './parser.js';
import { CaptureStats, type DecodedCounts } from './stats.js';
import { decodeAll, type BatchSink } from './scan.js';

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
  /** True when a problem stopped reading before the end of the file. */
  incomplete: boolean;
  problems: ProblemRecord[];
  problemTotals: Record<string, number>;
}

/** Read and decode the whole capture once; `sink` sees every batch (for callers that want more than counts). */
export async function summarizeCapture(file: string, opts: OpenOptions = {}, sink?: BatchSink): Promise<CaptureSummary> {
  const problems = new Problems();
  const opened = await openCapture(file, problems, opts);
  const reader = opened.reader;
  const batch = new PacketBatch();
  const parser = new PacketParser(batch, problems);
  const stats = new CaptureStats();
  try {
    await decodeAll(reader, parser, batch, stats, sink ?? (() => {}));
  } finally {
    reader.close();
  }
  return describe(opened.file, opened.compression, reader, stats, problems);
}

function describe(
  file: string,
  compression: 'gzip' | null,
  reader: RecordReader,
  stats: CaptureStats,
  problems: Problems,
): CaptureSummary {
  const linkTypes = [...stats.linkTypeCounts()].sort((a, b) => b[1] - a[1]).map(([t, n]) => ({ linkType: t, name: linkTypeName(t), packets: n }));
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
    const ng = reader as PcapngReader;
    for (const s of ng.sections) {
      sections.push({
        offset: s.offset,
        byteOrder: s.littleEndian ? 'little-endian' : 'big-endian',
        version: `${s.versionMajor}.${s.versionMinor}`,
        hardware: s.hardware,
        os: s.os,
        userApplication: s.userApplication,
        interfaces: s.interfaces.map((f, index) => ({
          index,
          linkType: f.linkType,
          linkTypeName: linkTypeName(f.linkType),
          snaplen: f.snaplen,
          tsresol: f.tsresol,
          tsOffset: f.tsOffset,
          name: f.name,
          packets: f.packets,
        })),
      });
    }
    const orders = new Set(sections.map((s) => s.byteOrder));
    byteOrder = orders.size > 1 ? 'mixed' : (sections[0]?.byteOrder ?? 'little-endian');
    version = sections[0]?.version ?? '1.0';
    timestampPrecision = 'per-interface';
  }
  const hasTime = stats.packets > 0 && Number.isFinite(stats.firstTs);
  return {
    file,
    format: reader.format,
    compression,
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
    incomplete: reader.stoppedEarly,
    problems: problems.details.slice(),
    problemTotals: problems.totals(),
  };
}
