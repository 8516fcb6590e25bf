/**
 * `merge --reduce-by client`: the merge of a capture plan partitioned by client host, for captures whose
 * connections do not fit one merge. Reducer r (of K) merges only the connections with an endpoint host in part r
 * (hostPart), so every connection of a host is whole in its reducer, stitched exactly as in the full merge; a
 * connection is held by the reducers of both its endpoints, about 2/K of the connections each, and owned (printed)
 * by the reducer of its client. The one capture-wide fact orientation needs (which ports some connection was
 * served on, by its own evidence) is a small summary: each reducer's part, ORed, in a first pass. The second pass
 * orients every reducer's connections with it and keeps the owned ones; each client's analysis (ports, profile)
 * sees all of its connections in its reducer. Reducers run one after another here, each holding its part only, and
 * their records meet again in the capture's connection order (where each was first seen), so the output is the
 * single-process output byte for byte.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureMerge, hostPart } from '../pass/merge.js';
import { fromFlowTable, serverPorts, type ServerPorts } from '../flow/connections.js';
import { clientSideOf } from '../flow/orient.js';
import { KeyBit } from '../flow/table.js';
import { inferClients } from '../flow/clients.js';
import { sessionNames } from '../decode/tunnels.js';
import { FlowWriter } from '../report/flows.js';
import { jsonText } from '../text/json.js';
import { IoError, UsageError } from '../errors.js';
import { captureOrigin } from './cut.js';
import { checkInput, mergeShards, setupFor, type ShardDecoding } from './capture.js';
import type { ShardPlan } from './manifest.js';

export interface ReduceOptions {
  reducers: number;
  decoding: ShardDecoding;
  /** Where the reducers' sorted runs are spilled (default: a temporary directory, removed after). */
  tmpDir?: string;
  /** Per reducer: connections held, connections owned. */
  onReducer?: (r: number, held: number, owned: number) => void;
}

/** What a reduced merge prints: the commands whose records are per connection or per client. */
export const REDUCIBLE = ['flows', 'clients'] as const;

/** Buffered appending to a file. */
class Appender {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(1 << 20);
  private fill = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'w');
  }

  put(b: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.fill + n > this.buf.length) this.flush();
    if (n > this.buf.length) writeSync(this.fd, b, from, n);
    else {
      this.buf.set(b.subarray(from, to), this.fill);
      this.fill += n;
    }
  }

  flush(): void {
    if (this.fill > 0) writeSync(this.fd, this.buf, 0, this.fill);
    this.fill = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A reducer's output: record bytes in order, and per record its place in the capture's order and its length. */
class Run {
  private readonly data: Appender;
  private readonly index: Appender;
  private readonly entry = Buffer.alloc(12);
  records = 0;

  constructor(
    readonly dataFile: string,
    readonly indexFile: string,
  ) {
    this.data = new Appender(dataFile);
    this.index = new Appender(indexFile);
  }

  /** Append a record: `bytes[from, to)` placed at `key`. */
  add(key: number, bytes: Uint8Array, from: number, to: number): void {
    this.entry.writeDoubleLE(key, 0);
    this.entry.writeUInt32LE(to - from, 8);
    this.index.put(this.entry, 0, 12);
    this.data.put(bytes, from, to);
    this.records++;
  }

  close(): void {
    this.data.close();
    this.index.close();
  }
}

/** Buffered sequential reading of a run (index entries and their record bytes). */
class RunReader {
  private readonly data: number;
  private readonly index: number;
  private readonly ibuf = Buffer.alloc(12 * 4096);
  private ifill = 0;
  private ipos = 0;
  private readonly dbuf = Buffer.alloc(1 << 20);
  private dfill = 0;
  private dpos = 0;
  key = Infinity;
  length = 0;

  constructor(run: { dataFile: string; indexFile: string }) {
    this.data = openSync(run.dataFile, 'r');
    this.index = openSync(run.indexFile, 'r');
    this.next();
  }

  /** Move to the next record (key Infinity at the end). */
  next(): void {
    if (this.ipos + 12 > this.ifill) {
      const rest = this.ifill - this.ipos;
      this.ibuf.copy(this.ibuf, 0, this.ipos, this.ifill);
      this.ifill = rest + readSync(this.index, this.ibuf, rest, this.ibuf.length - rest, null);
      this.ipos = 0;
      if (this.ifill < 12) {
        this.key = Infinity;
        return;
      }
    }
    this.key = this.ibuf.readDoubleLE(this.ipos);
    this.length = this.ibuf.readUInt32LE(this.ipos + 8);
    this.ipos += 12;
  }

  /** The current record's bytes, read into `into` at `at` (through a read buffer: runs are read in order). */
  read(into: Buffer, at: number): void {
    let need = this.length;
    let to = at;
    while (need > 0) {
      if (this.dpos === this.dfill) {
        this.dfill = readSync(this.data, this.dbuf, 0, this.dbuf.length, null);
        this.dpos = 0;
        if (this.dfill === 0) throw new IoError('reduce', 'a spilled run ended early');
      }
      const k = Math.min(need, this.dfill - this.dpos);
      this.dbuf.copy(into, to, this.dpos, this.dpos + k);
      this.dpos += k;
      to += k;
      need -= k;
    }
  }

  close(): void {
    closeSync(this.data);
    closeSync(this.index);
  }
}

/** What a reducer's thread is given: the plan, where its partials are, its part, and for pass 2 pass 1's facts. */
export interface ReducerTask {
  planText: string;
  planFile: string;
  /** The partial files, in shard order (absolute paths). */
  parts: string[];
  reducer: number;
  reducers: number;
  decoding: ShardDecoding;
  /** Pass 2: the capture's server ports and whether it has mirror sessions; with the run's files. */
  second: { servers: ServerPorts; sessions: boolean; dataFile: string; indexFile: string } | null;
}

/** What a reducer's thread answers: pass 1 its part of the server ports; pass 2 what it held and owned. */
export interface ReducerResult {
  servers: ServerPorts;
  sessions: boolean;
  held: number;
  owned: number;
}

/** One reducer's pass, on the thread that runs it (src/shard/reduce-thread.ts). */
export async function runReducer(plan: ShardPlan, task: ReducerTask): Promise<ReducerResult> {
  const origin = await captureOrigin(plan.inputs[0]!.name);
  const setup = setupFor(plan, null, task.decoding);
  const merge = new CaptureMerge(4096, { reducer: task.reducer, reducers: task.reducers });
  const { openPartialFile } = await import('./partial-file.js');
  await mergeShards(plan, origin, setup, merge, async (k) => openPartialFile(task.parts[k]!).body());
  const t = merge.table;
  if (!task.second) return { servers: serverPorts(t), sessions: t.sessions !== null, held: t.count, owned: 0 };
  const { servers, sessions } = task.second;
  const K = task.reducers;
  const r = task.reducer;
  if (sessions) t.ensureSessions();
  const ct = fromFlowTable(t, sessionNames(merge.tunnels), servers);
  const origins = merge.origin;
  // The connections this reducer owns: its client's host is in part r.
  const owned = new Uint8Array(ct.count);
  let ownedCount = 0;
  const keys = t.keys;
  const a6 = t.addrs6.keys;
  for (let f = 0; f < ct.count; f++) {
    const w = keys[4 * f + clientSideOf(ct.orientation[f]!)]!;
    const v6 = (keys[4 * f + 3]! & KeyBit.IPV6) !== 0;
    const h = v6 ? hostPart(a6[4 * w]!, a6[4 * w + 1]!, a6[4 * w + 2]!, a6[4 * w + 3]!, K) : hostPart(w, 0, 0, 0, K);
    if (h === r) {
      owned[f] = 1;
      ownedCount++;
    }
  }
  const run = new Run(task.second.dataFile, task.second.indexFile);
  if (plan.command === 'flows') {
    const w = new FlowWriter(ct);
    for (let f = 0; f < ct.count; f++) {
      if (!owned[f]) continue;
      const from = w.out.pos;
      w.json(f);
      w.out.byte(10);
      // The record without its `{"id":N` (the row in this part): the merge writes the capture-wide id.
      const bytes = w.out.view();
      let comma = from;
      while (bytes[comma] !== 44) comma++;
      run.add(origins[f]!, bytes, comma, w.out.pos);
      if (w.out.full) w.out.take();
    }
  } else {
    const clients = inferClients(ct);
    const seen = new Uint8Array(clients.count);
    for (let f = 0; f < ct.count; f++) {
      const c = clients.ofConnection(f);
      if (c < 0 || seen[c] || !owned[f]) continue;
      seen[c] = 1;
      const line = Buffer.from(`${jsonText(clients.record(c))}\n`);
      run.add(origins[f]!, line, 0, line.length);
    }
  }
  run.close();
  return { servers: [], sessions, held: ct.count, owned: ownedCount };
}

/** Run one reducer's pass on a thread of its own: its heap is its own and is freed when the pass ends. */
async function onThread(task: ReducerTask): Promise<ReducerResult> {
  const [{ Worker }, { builtModule }, { errorFromFields }] = await Promise.all([import('node:worker_threads'), import('../pass/pool.js'), import('../errors.js')]);
  return new Promise((resolve, reject) => {
    const w = new Worker(builtModule(import.meta.url, 'reduce', 'reduce-thread'), { workerData: task });
    let settled = false;
    w.once('message', (m: { result?: ReducerResult; failure?: import('../errors.js').ErrorFields; error?: string }) => {
      settled = true;
      if (m.result) resolve(m.result);
      else if (m.failure) reject(errorFromFields(m.failure));
      else reject(new Error(m.error ?? 'reducer failed'));
    });
    w.once('error', (e) => {
      settled = true;
      reject(e);
    });
    w.once('exit', (code) => {
      if (!settled) reject(new Error(`reducer ${task.reducer} exited with ${code}`));
    });
  });
}

/**
 * The records of a capture plan's `command` (flows or clients) as JSON lines, merged by client host in
 * `opts.reducers` parts, in chunks of bytes. `parts` are the partial files in shard order.
 */
export async function* reduceByClient(plan: ShardPlan, planFile: string, parts: string[], opts: ReduceOptions): AsyncGenerator<Uint8Array> {
  if (plan.kind !== 'capture') throw new UsageError('--reduce-by client: a flow-log plan is merged whole (its records fold in order); give no --reduce-by');
  if (!(REDUCIBLE as readonly string[]).includes(plan.command)) throw new UsageError(`--reduce-by client prints per-connection or per-client records (${REDUCIBLE.join(', ')}); the plan is for ${plan.command}, whose report needs every connection at once`);
  const K = opts.reducers;
  checkInput(plan, planFile, 0);
  const base = { planText: JSON.stringify(plan), planFile, parts, reducers: K, decoding: opts.decoding };
  // Pass 1: the capture's server ports, and whether any connection came through a mirror session.
  const servers: ServerPorts = new Array(256).fill(null);
  let sessions = false;
  for (let r = 0; r < K; r++) {
    const part = await onThread({ ...base, reducer: r, second: null });
    part.servers.forEach((ports, proto) => {
      if (!ports) return;
      const into = (servers[proto] ??= new Uint8Array(65536));
      for (let p = 0; p < 65536; p++) into[p]! |= ports[p]!;
    });
    sessions ||= part.sessions;
  }
  // Pass 2: each reducer's owned records, spilled in the capture's order.
  const dir = opts.tmpDir ?? mkdtempSync(join(tmpdir(), 'aclreplay-reduce-'));
  const runs: { dataFile: string; indexFile: string }[] = [];
  try {
    for (let r = 0; r < K; r++) {
      const files = { dataFile: join(dir, `run-${r}.data`), indexFile: join(dir, `run-${r}.index`) };
      runs.push(files);
      const part = await onThread({ ...base, reducer: r, second: { servers, sessions, ...files } });
      opts.onReducer?.(r, part.held, part.owned);
    }
    // The runs merged by the capture's order.
    const readers = runs.map((run) => new RunReader(run));
    const out = Buffer.alloc(1 << 20);
    let fill = 0;
    const flows = plan.command === 'flows';
    let id = 0;
    try {
      for (;;) {
        let best = -1;
        for (let r = 0; r < readers.length; r++) if (readers[r]!.key < (best < 0 ? Infinity : readers[best]!.key)) best = r;
        if (best < 0) break;
        const rd = readers[best]!;
        if (flows) {
          // The connection's id in the whole capture: its place in the capture's order.
          if (fill + 32 > out.length) {
            yield Buffer.from(out.subarray(0, fill));
            fill = 0;
          }
          fill += out.write(`{"id":${id++}`, fill, 'latin1');
        }
        if (fill + rd.length > out.length) {
          yield Buffer.from(out.subarray(0, fill));
          fill = 0;
        }
        if (rd.length > out.length) {
          const big = Buffer.alloc(rd.length);
          rd.read(big, 0);
          yield big;
        } else {
          rd.read(out, fill);
          fill += rd.length;
        }
        rd.next();
      }
      if (fill > 0) yield Buffer.from(out.subarray(0, fill));
    } finally {
      for (const rd of readers) rd.close();
    }
  } finally {
    if (!opts.tmpDir) rmSync(dir, { recursive: true, force: true });
  }
}
