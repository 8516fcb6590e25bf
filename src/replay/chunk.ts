/** Running one chunk: read its byte range, decode, observe flows; returns the chunk's Partial. Used in workers and in-process. */
import { openSync, closeSync } from 'node:fs';
import { FileSource, BufferSource, type ByteSource } from '../capture/source.js';
import { Problems } from '../capture/problems.js';
import { PcapReader } from '../capture/pcap.js';
import { PcapngReader } from '../capture/pcapng.js';
import { fromSystemError } from '../errors.js';
import { PacketBatch } from '../decode/batch.js';
import { PacketParser } from '../decode/parser.js';
import { CaptureStats } from '../decode/stats.js';
import { decodeAll } from '../decode/scan.js';
import { DuplicateFilter } from '../decode/duplicates.js';
import { FlowTable, ChunkExtras, observeBatch } from '../flow/table.js';
import type { ChunkTask } from './chunker.js';
import { flowColumns, extrasColumns, replayColumns, type Partial } from './partial.js';
import { specFromMessage } from './spec.js';
import { Evaluator, SegmentVerdicts, FragmentVerdicts, countVerdicts } from './verdicts.js';

/** Read, decode and observe the task's range; `batchSink` (in-process only) sees every decoded batch too. */
export async function runChunk(task: ChunkTask, batchSink?: (batch: PacketBatch) => void): Promise<Partial> {
  let source: ByteSource;
  let fd = -1;
  if (task.bytes) source = new BufferSource(task.bytes, task.end - task.start);
  else {
    try {
      fd = openSync(task.file, 'r');
    } catch (e) {
      throw fromSystemError(task.file, e);
    }
    source = new FileSource(fd, task.start, task.end, task.file);
  }
  const problems = new Problems();
  const ctx = task.context;
  const reader = ctx.format === 'pcap' ? new PcapReader(source, task.file, problems, ctx.header, task.start) : new PcapngReader(source, task.file, problems, task.start, ctx.section);
  const batch = new PacketBatch(task.options.batchSize);
  const parser = new PacketParser(batch, problems, task.options.decode);
  const duplicates = task.options.dedupe ? new DuplicateFilter(task.options.dedupe) : null;
  const stats = new CaptureStats();
  // Sized from the chunk's bytes (about one connection per 600 bytes of typical traffic) so it rarely grows.
  const span = Number.isFinite(task.end - task.start) ? task.end - task.start : 1 << 24;
  const table = new FlowTable(Math.min(1 << 20, Math.max(1024, Math.ceil(span / 600))));
  const extras = new ChunkExtras();
  const spec = task.options.replay ? specFromMessage(task.options.replay) : null;
  const flows = task.options.flows || spec !== null;
  const ev = spec ? new Evaluator(spec, batch.capacity) : null;
  const segs = spec ? new SegmentVerdicts(spec.scenarios.length, 1024) : null;
  const frags = spec ? new FragmentVerdicts(spec.scenarios.length) : null;
  const sink = (b: PacketBatch) => {
    if (flows) observeBatch(table, extras, b);
    if (ev) {
      ev.evaluate(b);
      countVerdicts(b, ev, segs!, frags!, table.count);
    }
    if (batchSink) batchSink(b);
  };
  try {
    await decodeAll(reader, parser, batch, stats, sink, duplicates);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  const interfacePackets: [number, number, number][] = [];
  if (reader instanceof PcapngReader) {
    for (const s of reader.sections) s.interfaces.forEach((f, i) => f.packets > 0 && interfacePackets.push([s.offset, i, f.packets]));
  }
  const addrs6 = table.addrs6;
  return {
    chunk: task.chunk,
    stats: stats.toColumns(),
    tunnels: parser.tunnels.toColumns(),
    problemCounts: Array.from(problems.counts),
    problemDetails: problems.details,
    stoppedEarly: reader.stoppedEarly,
    interfacePackets,
    sections: reader instanceof PcapngReader ? reader.sections : [],
    flows: flowColumns(table),
    addrs6: addrs6.keys.slice(0, 4 * addrs6.count),
    ...extrasColumns(extras),
    replay: ev ? replayColumns(ev, segs!, frags!, table.count, extras.fragHeads.count) : null,
  };
}
