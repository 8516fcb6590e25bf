/**
 * The chunk runner: reads one chunk's byte range, decodes it, observes its connections and judges its packets, and
 * returns the chunk's ChunkPartial. One runner per worker (or per in-process pass) keeps what every chunk of a pass
 * shares (the packet batch, the compiled candidates, the evaluator), so a chunk pays only for its own work.
 */
import { openSync, closeSync } from 'node:fs';
import { FileSource, BufferSource, type ByteSource } from '../capture/source.js';
import { Problems } from '../capture/problems.js';
import { PcapReader } from '../capture/pcap.js';
import { HARD_MAX_RECORD } from '../capture/reader.js';
import { PcapngReader } from '../capture/pcapng.js';
import { copyInterfaces } from '../capture/interfaces.js';
import { snapshot } from './chunker.js';
import { fromSystemError } from '../errors.js';
import { PacketBatch } from '../decode/batch.js';
import { PacketParser } from '../decode/parser.js';
import { CaptureStats } from '../decode/stats.js';
import { decodeAll } from '../decode/scan.js';
import { DuplicateFilter, MAX_WARM_BYTES } from '../decode/duplicates.js';
import { FlowTable, ChunkExtras, observeBatch } from '../flow/table.js';
import { specFromMessage } from '../verdict/spec.js';
import { Evaluator } from '../verdict/evaluator.js';
import { SegmentVerdicts, FragmentVerdicts, countVerdicts } from '../verdict/counters.js';
import type { ChunkTask, PassSetup } from './messages.js';
import { flowColumns, extrasColumns, replayColumns, type ChunkPartial } from './columns.js';
import { LookBack, claimBoundary } from './lookback.js';

/** Kept rows whose connection a dropped copy may still name (a window's worth, see MAX_WARM_RECORDS). */
const KEPT_RING = 1 << 17;

export class ChunkRunner {
  private readonly batch: PacketBatch;
  private readonly ev: Evaluator | null;
  private readonly flows: boolean;
  private readonly scenarios: number;
  private readonly decode: PassSetup['options']['decode'];
  /** Kept across chunks: the filter's table is allocated once, at the first mirrored row. */
  private readonly duplicates: DuplicateFilter | null;
  private readonly lookBack: LookBack | null;
  /** By kept-row ordinal (mod KEPT_RING): the row's connection in the chunk's table, and the ordinal it belongs to. */
  private keptFlow: Int32Array | null = null;
  private keptOrdinal: Float64Array | null = null;

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
    this.decode = setup.options.decode ?? {};
    this.duplicates = setup.options.dedupe ? new DuplicateFilter(setup.options.dedupe) : null;
    this.lookBack = this.duplicates ? new LookBack(this.decode) : null;
  }

  /**
   * After `b` (kept rows `base`...) joined the table: remember each row's connection, then add the session of every
   * copy dropped so far to the connection of the row it copies.
   */
  private namePendingSessions(table: FlowTable, b: PacketBatch | null, base: number, filter: DuplicateFilter): void {
    const flows = (this.keptFlow ??= new Int32Array(KEPT_RING));
    const ordinals = (this.keptOrdinal ??= new Float64Array(KEPT_RING).fill(-1));
    if (b) {
      for (let i = 0; i < b.length; i++) {
        const slot = (base + i) % KEPT_RING;
        flows[slot] = b.flowIndex[i]!;
        ordinals[slot] = base + i;
      }
    }
    for (let k = 0; k < filter.pending; k++) {
      const ref = filter.pendingRef[k]!;
      const slot = ref % KEPT_RING;
      if (ordinals[slot] === ref && flows[slot]! >= 0) table.addSession(flows[slot]!, filter.pendingSession, k);
    }
    filter.pending = 0;
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
      if (task.resync) start = claimBoundary(fd, task);
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
    const parser = new PacketParser(batch, problems, this.decode);
    const duplicates = this.duplicates;
    duplicates?.reset();
    // The warm-up runs before the chunk's first mirrored row, if it has one (src/pass/lookback.ts).
    let warmAnchor: ChunkPartial['warmAnchor'] = null;
    const plan = task.warm;
    const warmUp = duplicates && plan ? (firstTs: number) => void (warmAnchor = this.lookBack!.warm(task, plan, fd, start, firstTs, duplicates)) : null;
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
    let rows = 0;
    const sink = (b: PacketBatch) => {
      if (flows) {
        observeBatch(table, extras, b);
        if (duplicates?.active) this.namePendingSessions(table, b, rows, duplicates);
      }
      rows += b.length;
      if (ev) {
        ev.evaluate(b);
        countVerdicts(b, ev, segs!, frags!, table.count);
      }
      if (batchSink) batchSink(b);
    };
    try {
      const lastTs = await decodeAll(reader, parser, batch, stats, sink, start < 0 ? -Infinity : task.stopAt, duplicates, warmUp);
      // Copies of this chunk's rows that the next chunk drops still name their session here: the look ahead.
      if (duplicates?.active && flows && !reader.stoppedEarly && lastTs === lastTs) {
        const from = reader.offset;
        const ahead = task.bytes ? (task.aheadBytes ? new BufferSource(task.aheadBytes) : null) : new FileSource(fd, from, from + MAX_WARM_BYTES + HARD_MAX_RECORD, task.file);
        if (ahead) {
          this.lookBack!.lookAhead(reader instanceof PcapngReader ? snapshot(reader) : ctx, ahead, task.file, from, lastTs, duplicates);
          this.namePendingSessions(table, null, rows, duplicates);
        }
      }
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
      tunnels: parser.tunnels.toColumns(),
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
      warmAnchor,
      ...(this.inProcess ? { own: { table, segments: segs } } : {}),
    };
  }
}
