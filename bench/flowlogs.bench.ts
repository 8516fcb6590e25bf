/**
 * Flow-log parsing: our byte-level reader (src/flowlogs/reader.ts) beside a plain split-and-parseInt parser on the
 * same generated text of default-format (version 2) records, both in this run, both filling the same typed-array
 * columns from the same chunked file reads; then the fold of the records into connections.
 */
import { openSync, readSync, closeSync, existsSync, statSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { FlowLogReader } from '../src/flowlogs/reader.js';
import { FlowLogConnections, foldRecords } from '../src/flowlogs/connections.js';
import { FlowLogBatch } from '../src/flowlogs/batch.js';
import { readTraffic } from '../src/analyze/traffic.js';
import { type BenchSuite, type BenchContext, timeBest, ensureOutDir } from './harness.js';

/** Deterministic generator of realistic v2 records: many ENIs, 5-tuples repeating over aggregation intervals. */
export async function generate(file: string, records: number, flows = 40_000): Promise<void> {
  let seed = 0x1234567;
  const rnd = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const enis = Array.from({ length: 200 }, (_, i) => `eni-0${(0x1a2b3c4d5e6f0000n + BigInt(i)).toString(16)}`);
  const tuples = Array.from({ length: flows }, () => {
    const client = `10.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
    const server = `10.8.${Math.floor(rnd() * 16)}.${1 + Math.floor(rnd() * 254)}`;
    const svc = [443, 80, 53, 5432, 6379, 22][Math.floor(rnd() * 6)]!;
    const proto = svc === 53 ? 17 : 6;
    return { eni: enis[Math.floor(rnd() * enis.length)]!, client, server, cport: 32768 + Math.floor(rnd() * 28232), svc, proto, reject: rnd() < 0.04 };
  });
  const out = createWriteStream(file);
  let t = 1_767_225_600;
  let buf = '';
  for (let n = 0; n < records; n++) {
    if (n % 20_000 === 0) t += 60;
    if (n % 5000 === 4999) {
      buf += `2 123456789012 ${enis[n % enis.length]} - - - - - - - ${t} ${t + 60} - ${n % 10000 === 9999 ? 'SKIPDATA' : 'NODATA'}\n`;
      continue;
    }
    const f = tuples[Math.floor(rnd() * flows)]!;
    const back = rnd() < 0.5;
    const packets = 1 + Math.floor(rnd() * 40);
    const bytes = packets * (40 + Math.floor(rnd() * 1400));
    const s = t + Math.floor(rnd() * 30);
    buf += back
      ? `2 123456789012 ${f.eni} ${f.server} ${f.client} ${f.svc} ${f.cport} ${f.proto} ${packets} ${bytes} ${s} ${s + 29} ${f.reject ? 'REJECT' : 'ACCEPT'} OK\n`
      : `2 123456789012 ${f.eni} ${f.client} ${f.server} ${f.cport} ${f.svc} ${f.proto} ${packets} ${bytes} ${s} ${s + 29} ${f.reject ? 'REJECT' : 'ACCEPT'} OK\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise<void>((r) => out.end(() => r()));
}

const ACTIONS: Record<string, number> = { ACCEPT: 1, REJECT: 2 };
const STATUS: Record<string, number> = { OK: 1, NODATA: 2, SKIPDATA: 3 };

/** The baseline: lines by String.split, fields by split(' '), numbers by parseInt, addresses by split('.'). */
export function baseline(file: string, batch: FlowLogBatch, onBatch: (b: FlowLogBatch) => void): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let carry = '';
  let records = 0;
  const ifaces = new Map<string, number>();
  const addr = (s: string, out: Uint32Array, o: number): void => {
    const p = s.split('.');
    out[o] = ((parseInt(p[0]!, 10) << 24) | (parseInt(p[1]!, 10) << 16) | (parseInt(p[2]!, 10) << 8) | parseInt(p[3]!, 10)) >>> 0;
  };
  let pos = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    pos += n;
    const lines = (carry + buf.toString('latin1', 0, n)).split('\n');
    carry = lines.pop()!;
    for (const line of lines) {
      const f = line.split(' ');
      if (f.length !== 14) continue;
      const i = batch.length;
      batch.version[i] = parseInt(f[0]!, 10);
      let id = ifaces.get(f[2]!);
      if (id === undefined) ifaces.set(f[2]!, (id = ifaces.size));
      batch.interfaceId[i] = id;
      if (f[3] !== '-') {
        batch.family[i] = 4;
        addr(f[3]!, batch.src, 4 * i);
        addr(f[4]!, batch.dst, 4 * i);
        batch.srcPort[i] = parseInt(f[5]!, 10);
        batch.dstPort[i] = parseInt(f[6]!, 10);
        batch.proto[i] = parseInt(f[7]!, 10);
        batch.packets[i] = parseInt(f[8]!, 10);
        batch.bytes[i] = parseInt(f[9]!, 10);
      } else {
        batch.family[i] = 0;
        batch.srcPort[i] = batch.dstPort[i] = batch.proto[i] = 0;
        batch.src[4 * i] = batch.dst[4 * i] = 0;
        batch.packets[i] = batch.bytes[i] = 0;
      }
      batch.start[i] = parseInt(f[10]!, 10);
      batch.end[i] = parseInt(f[11]!, 10);
      batch.action[i] = ACTIONS[f[12]!] ?? 0;
      batch.logStatus[i] = STATUS[f[13]!] ?? 0;
      batch.length = i + 1;
      records++;
      if (batch.length === batch.capacity) {
        onBatch(batch);
        batch.clear();
      }
    }
  }
  if (batch.length) onBatch(batch);
  batch.clear();
  closeSync(fd);
  return records;
}

export const suite: BenchSuite = {
  name: 'flowlogs',
  async run(ctx: BenchContext) {
    const records = ctx.quick ? 200_000 : 2_000_000;
    const file = join(ensureOutDir(), `flowlogs-v2-${records}.log`);
    if (!existsSync(file)) await generate(file, records);
    const mib = statSync(file).size / 2 ** 20;
    let sumOurs = 0;
    let countOurs = 0;
    const ours = await timeBest(3, async () => {
      const r = new FlowLogReader();
      sumOurs = 0;
      await r.read([file], (b) => {
        for (let i = 0; i < b.length; i++) sumOurs += b.packets[i]!;
      });
      countOurs = r.records;
      if (r.problems.total() !== 0) throw new Error(`flowlogs bench: ${r.problems.total()} problems`);
    });
    let sumBase = 0;
    let countBase = 0;
    const base = await timeBest(3, () => {
      sumBase = 0;
      countBase = baseline(file, new FlowLogBatch(), (b) => {
        for (let i = 0; i < b.length; i++) sumBase += b.packets[i]!;
      });
    });
    if (countOurs !== records || countBase !== records || sumOurs !== sumBase) throw new Error(`flowlogs bench: ours ${countOurs} records (${sumOurs} packets), baseline ${countBase} (${sumBase})`);
    const rate = records / ours / 1e6;
    const baseRate = records / base / 1e6;
    ctx.record({
      suite: 'flowlogs',
      name: 'parse v2 text records, one thread (file read included)',
      value: rate,
      unit: 'M records/s',
      peer: 'split + parseInt into the same columns',
      peerValue: baseRate,
      ratio: rate / baseRate,
      goal: '>= 1 M records/s',
      met: rate >= 1,
      note: `${records} records, ${mib.toFixed(0)} MiB: ours ${ours.toFixed(3)} s (${(mib / ours).toFixed(0)} MiB/s), baseline ${base.toFixed(3)} s`,
    });
    let conns = 0;
    let bytes = 0;
    const fold = await timeBest(2, async () => {
      const r = new FlowLogReader();
      const t = new FlowLogConnections({ intervalSeconds: 600 });
      await r.read([file], (b) => foldRecords(b, t));
      conns = t.count;
      bytes = t.byteSize();
    });
    ctx.record({
      suite: 'flowlogs',
      name: 'parse + fold into connections, one thread',
      value: records / fold / 1e6,
      unit: 'M records/s',
      note: `${conns} connections from ${records} records (${(bytes / 2 ** 20).toFixed(1)} MiB of table, ${(bytes / conns).toFixed(0)} B/connection)`,
    });
    // The whole source as every command reads it (src/analyze/traffic.ts): read, fold, connection table with its
    // logged columns; on the same file, and on one where 5-tuples rarely repeat (memory per connection).
    const wide = join(ensureOutDir(), `flowlogs-v2-${records}-wide.log`);
    if (!existsSync(wide)) await generate(wide, records, Math.floor(records / 5));
    for (const [f, what] of [
      [file, '40 000 5-tuples'],
      [wide, `${Math.floor(records / 5)} 5-tuples`],
    ] as const) {
      let n = 0;
      let tableBytes = 0;
      const t = await timeBest(2, async () => {
        const a = await readTraffic([f]);
        n = a.connections.count;
        tableBytes = a.connections.byteSize();
      });
      ctx.record({
        suite: 'flowlogs',
        name: `read into the connection table (readTraffic), one thread, ${what}`,
        value: records / t / 1e6,
        unit: 'M records/s',
        note: `${n} connections; the connection table ${(tableBytes / n).toFixed(0)} B/connection (of which logged columns 85), plus the fold's ${FOLD_NOTE} while it is built`,
      });
    }
  },
};

/** What the fold costs per connection beside the table, measured on the wide file (bench note). */
const FOLD_NOTE = '~300 B/connection';
