/** DuplicateFilter rules on hand-made rows: copies from another session, genuine repeats, the window, non-IP rows. */
import { describe, it, expect } from 'vitest';
import { PacketBatch, Layer } from '../../src/decode/batch.js';
import { DuplicateFilter, RecordRing, MAX_WARM_BYTES, MAX_WARM_RECORDS } from '../../src/decode/duplicates.js';

/** A batch of TCP rows; each given as [session, ts, seq] (same 5-tuple, IP id, ack, flags, length). */
function rows(spec: [number, number, number][], fam = 4): PacketBatch {
  const b = new PacketBatch(spec.length);
  spec.forEach(([session, ts, seq], i) => {
    b.family[i] = fam;
    b.proto[i] = 6;
    b.layer[i] = Layer.TRANSPORT;
    b.src[4 * i] = 0x0a01010b;
    b.dst[4 * i] = 0x0a01020a;
    b.sport[i] = 40000;
    b.dport[i] = 80;
    b.ipId[i] = fam === 6 ? 0x12345 : 7;
    b.tcpSeq[i] = seq;
    b.tcpAck[i] = 99;
    b.tcpFlags[i] = 0x10;
    b.payloadLen[i] = 0;
    b.ts[i] = ts;
    b.sessionKey[i] = session;
    b.tunnelDepth[i] = 1;
  });
  b.length = spec.length;
  return b;
}

const judge = (b: PacketBatch, f = new DuplicateFilter()) => Array.from({ length: b.length }, (_, i) => f.judge(b, i));

describe('DuplicateFilter', () => {
  it('drops the copy another session delivers within the window, keeps the first', () => {
    expect(judge(rows([[1, 0, 5], [2, 0.0001, 5]]))).toEqual([false, true]);
    // the copy arrives first from the other session: still one kept, one dropped
    expect(judge(rows([[2, 0, 5], [1, 0.0001, 5]]))).toEqual([false, true]);
  });

  it('never drops repeats from the same session, nor copies outside the window', () => {
    expect(judge(rows([[1, 0, 5], [1, 0.0001, 5]]))).toEqual([false, false]);
    expect(judge(rows([[1, 0, 5], [2, 0.01, 5]]))).toEqual([false, false]);
    expect(judge(rows([[1, 0, 5], [2, 0.01, 5]]), new DuplicateFilter({ windowSeconds: 0.02 }))).toEqual([false, true]);
  });

  it('a genuine repeat seen by both sessions counts once per repeat (IPv6 duplicate ACKs share the flow label)', () => {
    // A1 B1 A2 B2: two duplicate ACKs, each mirrored twice
    expect(judge(rows([[1, 0, 5], [2, 0.0001, 5], [1, 0.0002, 5], [2, 0.0003, 5]], 6))).toEqual([false, true, false, true]);
    // A1 A2 B1 B2: the second session's copies come after both originals
    expect(judge(rows([[1, 0, 5], [1, 0.0001, 5], [2, 0.0002, 5], [2, 0.0003, 5]], 6))).toEqual([false, false, true, true]);
  });

  it('three sessions: two copies dropped', () => {
    const f = new DuplicateFilter();
    expect(judge(rows([[1, 0, 5], [2, 0.0001, 5], [3, 0.0002, 5]]), f)).toEqual([false, true, true]);
    expect(f.dropped).toBe(2);
  });

  it('different packets are not copies: another sequence number, or a row that is not IP', () => {
    expect(judge(rows([[1, 0, 5], [2, 0.0001, 6]]))).toEqual([false, false]);
    const b = rows([[1, 0, 5], [2, 0.0001, 5]]);
    b.family[0] = 0;
    b.family[1] = 0;
    expect(judge(b)).toEqual([false, false]);
  });

  it('deferred rows of a lone session judge as remembered ones; settle() keeps only what the window can still reach', () => {
    // A stretch of session 1 alone (seq 1..6, 0.5 ms apart), then session 2 delivers copies of seq 6 and of seq 1.
    const spec: [number, number, number][] = [1, 2, 3, 4, 5, 6].map((s) => [1, s * 0.0005, s]);
    spec.push([2, 0.0031, 6], [2, 0.0032, 1]);
    const eager = judge(rows(spec));
    const f = new DuplicateFilter();
    const b = rows(spec);
    const lazy = Array.from({ length: b.length }, (_, i) => f.judge(b, i, i, true));
    expect(lazy).toEqual(eager);
    expect(lazy).toEqual([false, false, false, false, false, false, true, false]);
    // Deferred to the end of a batch: settle() remembers the last window's rows, which the next batch can match.
    const g = new DuplicateFilter();
    const first = rows(spec.slice(0, 6));
    for (let i = 0; i < first.length; i++) g.judge(first, i, i, true);
    g.settle(first, first.ts[5]!);
    const next = rows([[2, 0.0031, 6]]);
    expect(g.judge(next, 0, 6, true)).toBe(true);
    expect([g.pending, g.pendingRef[0]]).toEqual([1, 5]);
  });

  it('warm() remembers without judging or counting', () => {
    const b = rows([[1, 0, 5], [2, 0.0001, 5]]);
    const f = new DuplicateFilter();
    f.warm(b, 0);
    expect(f.judge(b, 1)).toBe(true);
    expect([f.dropped, f.judged]).toEqual([1, 1]);
    f.reset();
    expect(f.judge(b, 1)).toBe(false);
  });
});

describe('RecordRing: the warm-up rule', () => {
  it('takes the records back from the chunk start while their timestamps are within the window', () => {
    const r = new RecordRing();
    [0.0, 0.5, 0.9985, 0.999, 1.0].forEach((t, k) => r.push(24 + 100 * k, t, 0));
    const k = r.warmStart(524, 1.001, 0.002);
    expect([k, r.offsetOf(k), r.complete]).toEqual([3, 324, true]);
    // Nothing within the window: an empty warm-up.
    expect(r.warmStart(524, 5, 0.002)).toBe(r.pushed);
    // Everything within it: the scan ran out (complete only if nothing came before the oldest record).
    expect([r.warmStart(524, 0.001, 10), r.complete]).toEqual([0, false]);
  });

  it('stops at MAX_WARM_BYTES before the start and at MAX_WARM_RECORDS records', () => {
    const r = new RecordRing();
    for (let k = 0; k < 10; k++) r.push(k * (MAX_WARM_BYTES / 4), 1, 0);
    const start = 10 * (MAX_WARM_BYTES / 4);
    const k = r.warmStart(start, 1, 0.002);
    expect([r.offsetOf(k), r.complete]).toEqual([start - MAX_WARM_BYTES, true]);
    const many = new RecordRing();
    for (let k = 0; k < MAX_WARM_RECORDS + 10; k++) many.push(k, 1, 0);
    expect([many.warmStart(MAX_WARM_RECORDS + 10, 1, 0.002), many.complete]).toEqual([10, true]);
  });
});
