/** Flow-log test helpers: temp files, reading everything a reader yields into plain rows. */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { FlowLogReader } from '../../src/flowlogs/reader.js';
import { FlowLogConnections, foldRecords } from '../../src/flowlogs/connections.js';
import type { FlowLogBatch } from '../../src/flowlogs/batch.js';

export const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-flowlogs-'));
let seq = 0;

/** Write `content` to a fresh temp file (or to `name` under the temp dir); returns its path. */
export function tempFile(content: string | Uint8Array, name?: string): string {
  const file = join(tmp, name ?? `f${seq++}.log`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** One record as plain values (for assertions only; the reader itself never builds these). */
export interface Row {
  file: string;
  line: number;
  version: number;
  family: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  proto: number;
  packets: number;
  bytes: number;
  start: number;
  end: number;
  action: number;
  logStatus: number;
  iface: string;
  subnet: string;
  tcpFlags: number;
  flowDirection: number;
  trafficPath: number;
  pktSrc: string;
  pktDst: string;
  present: number;
}

export function addr(words: Uint32Array, i: number, family: number): string {
  const o = 4 * i;
  if (family === 4) {
    const v = words[o]!;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  if (family === 6) {
    const g: string[] = [];
    for (let w = 0; w < 4; w++) g.push((words[o + w]! >>> 16).toString(16), (words[o + w]! & 0xffff).toString(16));
    return g.join(':');
  }
  return '-';
}

export function rowsOf(b: FlowLogBatch, r: FlowLogReader, out: Row[]): void {
  for (let i = 0; i < b.length; i++) {
    const fam = b.family[i]!;
    out.push({
      file: r.files[b.fileIndex[i]!]!.file,
      line: b.line[i]!,
      version: b.version[i]!,
      family: fam,
      src: addr(b.src, i, fam),
      dst: addr(b.dst, i, fam),
      srcPort: b.srcPort[i]!,
      dstPort: b.dstPort[i]!,
      proto: b.proto[i]!,
      packets: b.packets[i]!,
      bytes: b.bytes[i]!,
      start: b.start[i]!,
      end: b.end[i]!,
      action: b.action[i]!,
      logStatus: b.logStatus[i]!,
      iface: r.interfaces.name(b.interfaceId[i]!),
      subnet: r.subnets.name(b.subnetId[i]!),
      tcpFlags: b.tcpFlags[i]!,
      flowDirection: b.flowDirection[i]!,
      trafficPath: b.trafficPath[i]!,
      pktSrc: addr(b.pktSrc, i, fam),
      pktDst: addr(b.pktDst, i, fam),
      present: b.present[i]! & 0x3ff,
    });
  }
}

/** Read inputs with a fresh reader (small batches, to cross batch boundaries); rows and the reader. */
export async function readAll(inputs: string[], batchSize = 7): Promise<{ rows: Row[]; reader: FlowLogReader }> {
  const reader = new FlowLogReader({ batchSize, readBytes: 1000 });
  const rows: Row[] = [];
  await reader.read(inputs, (b) => rowsOf(b, reader, rows));
  return { rows, reader };
}

/** Read and fold. */
export async function foldAll(inputs: string[], intervalSeconds = 600): Promise<{ table: FlowLogConnections; reader: FlowLogReader }> {
  const reader = new FlowLogReader({ batchSize: 16 });
  const table = new FlowLogConnections({ intervalSeconds }, 16);
  await reader.read(inputs, (b) => foldRecords(b, table));
  return { table, reader };
}
