/**
 * The chunk runner: reads one chunk's byte range, decodes it, observes its connections and judges its packets, and
 * returns the chunk's ChunkPartial. One runner per worker (or per in-process pass) keeps what every chunk of a pass
 * shares (the packet batch, the compiled candidates, the evaluator), so a chunk pays only for its own work.
 */
import { openSync, closeSync, readSync } from 'node:fs';
import { FileSource, BufferSource, type ByteSource } from '../capture/source.js';
import { Problems } from '../capture/problems.js';
import { PcapReader } from '../capture/pcap.js';
import { findPcapBoundary, findPcapngBoundary, pcapShape } from '../capture/resync.js';
import { STANDARD_MAX_PACKET } from '../capture/reader.js';
import { PcapngReader } from '../capture/pcapng.js';
import { copyInterfaces } from '../capture/interfaces.js';
import { snapshot } from './chunker.js';
import { IoError, fromSystemError } from '../errors.js';
import { PacketBatch } from '../decode/batch.js';
import { PacketParser } from '../decode/parser.js';
import { CaptureStats } from '../decode/stats.js';
import { decodeAll } from '../decode/scan.js';
import { FlowTable, ChunkExtras, observeBatch } from '../flow/table.js';
import { specFromMessage } from '../verdict/spec.js';
import { Evaluator } from '../verdict/evaluator.js';
import { SegmentVerdicts, FragmentVerdicts, countVerdicts } from '../verdict/counters.js';
import type { ChunkTask, PassSetup } from './messages.js';
import { flowColumns, extrasColumns, replayColumns, type ChunkPartial } from './columns.js';

/** Window read at a time while looking for a record boundary. */
const RESYNC_WINDOW = 1 << 20;

/**
 * The first record (pcap) or block (pcapng) boundary at or after task.start where a chain of plausible headers
 * starts (before task.stopAt; -1 when none does). Only a claim: the pass checks it against where the previous chunk
 * stopped, in the same reader state.
 */
export function resync(fd: number, task: ChunkTask): number {
  const ctx = task.context;
  const shape = ctx.format === 'pcap' ? pcapShape(ctx.header, task.firstTs) : null;
  const section = ctx.format === 'pcapng' ? ctx.section : null;
  const window = new Uint8Array(RESYNC_WINDOW + 2 * (shape ? shape.maxRecord : STANDARD_MAX_PACKET));
  const limit = Math.min(task.stopAt, task.end);
  for (let from = task.start; from < limit; from += RESYNC_WINDOW) {
    let got: number;
    try {
      got = readSync(fd, window, 0, Math.min(window.length, task.end - from), from);
    } catch (e) {
      throw new IoError(task.file, `read error at offset ${from}: ${(e as Error).message}`);
    }
    const last = Math.min(got, RESYNC_WINDOW, limit - from);
    // pcapng blocks are aligned from the start of the file: search from an aligned window start.
    const p = shape ? findPcapBoundary(window, 0, last, got, shape) : findPcapngBoundary(window, (4 - (from & 3)) & 3, last, got, section?.littleEndian ?? true, section?.interfaces.count ?? 0);
    if (p >= 0) return from + p;
    if (got < window.length) break;
  }
  return -1;
}

export class ChunkRunner {
  private readonly batch: PacketBatch;
  private readonly ev: Evaluator | null;
  private readonly flows: boolean;
  private readonly scenarios: number;

  /** `inProcess`: partials stay in this thread (views, no copies); else they are encoded for another thread. */
  constructor(
    setup: PassSetup,
    private readonly inProcess: boolean,
  ) {
    this.batch = new PacketBatch(setup.options.batchSize);
    const spec = setup.spec ? (inProcess ? setup.spec : specFromMessage(setup.spec)) : null;
    this.ev = spec ? new Evaluator(spec, this.batch.capacity) : null;
    this.scenarios = spec ? spec.scenarios.length : 0;
    this.flows = setup.options.flows || spec !== null;
  }

  /** Read, decode and observe the task's range; `batchSink` (in-process only) sees every decoded batch too. */
  async run(task: ChunkTask, batchSink?: (batch: PacketBatch) => void): Promise<ChunkPartial> {
    let source: ByteSource;
    let fd = -1;
    let start = task.start;
    const ctx = task.context;
    if (task.bytes) source = new BufferSource(task.bytes, task.end - task.start);
    else {
      try {
        fd = openSync(task.file, 'r');
      } catch (e) {
        throw fromSystemError(task.file, e);
      }
      if (task.resync) start = resync(fd, task);
      source = new FileSource(fd, start < 0 ? task.end : start, task.end, task.file);
    }
    const problems = new Problems();
    const from = start < 0 ? task.end : start;
    const reader = ctx.format === 'pcap' ? new PcapReader(source, task.file, problems, ctx.header, from) : new PcapngReader(source, task.file, problems, from, ctx.section);
    if (reader instanceof PcapngReader && ctx.format === 'pcapng') {
      // The timestamp a leading Simple Packet Block takes: the previous packet's, before this chunk.
      reader.lastSec = ctx.lastSec ?? 0;
      reader.lastNsec = ctx.lastNsec ?? 0;
    }
    const batch = this.batch;
    batch.length = 0;
    const parser = new PacketParser(batch, problems);
    const stats = new CaptureStats();
    // Sized from the chunk's bytes (about one connection per 600 bytes of typical traffic) so it rarely grows.
    const range = Math.min(task.end, task.stopAt) - task.start;
    const span = Number.isFinite(range) ? range : 1 << 24;
    const table = new FlowTable(Math.min(1 << 20, Math.max(1024, Math.ceil(span / 600))));
    table.wholeHistory = task.chunk === 0;
    const extras = new ChunkExtras();
    const ev = this.ev;
    ev?.resetCounts();
    const segs = ev ? new SegmentVerdicts(this.scenarios, 1024) : null;
    const frags = ev ? new FragmentVerdicts(this.scenarios) : null;
    const flows = this.flows;
    const sink = (b: PacketBatch) => {
      if (flows) observeBatch(table, extras, b);
      if (ev) {
        ev.evaluate(b);
        countVerdicts(b, ev, segs!, frags!, table.count);
      }
      if (batchSink) batchSink(b);
    };
    try {
      await decodeAll(reader, parser, batch, stats, sink, start < 0 ? -Infinity : task.stopAt);
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    const interfacePackets: [number, number, number][] = [];
    if (reader instanceof PcapngReader) {
      for (const s of reader.sections) for (let i = 0; i < s.interfaces.count; i++) if (s.interfaces.packets[i]! > 0) interfacePackets.push([s.offset, i, s.interfaces.packets[i]!]);
    }
    const copy = !this.inProcess;
    const addrs6 = table.addrs6;
    return {
      chunk: task.chunk,
      stats: stats.toColumns(),
      problemCounts: Array.from(problems.counts),
      problemDetails: problems.details,
      stoppedEarly: reader.stoppedEarly,
      interfacePackets,
      sections: reader instanceof PcapngReader ? reader.sections.map((s) => ({ ...s, interfaces: copyInterfaces(s.interfaces) })) : [],
      flows: flowColumns(table, copy),
      addrs6: copy ? addrs6.keys.slice(0, 4 * addrs6.count) : addrs6.keys.subarray(0, 4 * addrs6.count),
      ...extrasColumns(extras, copy),
      replay: ev ? replayColumns(ev, segs!, frags!, table.count, extras.fragHeads.count, copy) : null,
      decided: table.wholeHistory,
      startOffset: start,
      stopOffset: start < 0 ? -1 : reader.offset,
      endContext: reader instanceof PcapngReader ? snapshot(reader) : ctx,
      inheritedTimestamp: reader instanceof PcapngReader && reader.inheritedTimestamp,
      ...(this.inProcess ? { own: { table, segments: segs } } : {}),
    };
  }
}
