import { describe, it, expect } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readAll, tempFile } from './helpers.js';
import { FlowLogFormatError } from '../../src/errors.js';

const lab = (p: string): string => new URL(`../../captures/flowlogs/${p}`, import.meta.url).pathname;

describe('Parquet', () => {
  it('the lab Parquet copy (GZIP pages, two row groups, AWS column names and types) reads as the v5 text', async () => {
    const pq = await readAll([lab('parquet/lab.log.parquet')]);
    const text = await readAll([lab('v5/lab.log')]);
    expect(pq.reader.problems.total()).toBe(0);
    expect(pq.reader.files[0]).toMatchObject({ format: 'parquet', compression: null });
    const strip = (r: { file: string; line: number }) => ({ ...r, file: '', line: 0 });
    expect(pq.rows.map(strip)).toEqual(text.rows.map(strip));
    // a Parquet row's "line" is its 1-based row number; the text's line counts the header
    expect(pq.rows.map((r) => r.line)).toEqual(text.rows.map((r) => r.line - 1));
    expect(pq.reader.gaps.list((i) => pq.reader.interfaces.name(i))).toEqual(text.reader.gaps.list((i) => text.reader.interfaces.name(i)));
  });

  it('a bad value in a row is a counted problem naming the row and column', async () => {
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'srcaddr', type: 'STRING', data: ['10.0.0.1', 'not-an-address', '10.0.0.3'] },
        { name: 'dstaddr', type: 'STRING', data: ['10.0.0.9', '10.0.0.9', '10.0.0.9'] },
        { name: 'protocol', type: 'INT32', data: [6, 6, 17] },
        { name: 'log_status', type: 'STRING', data: ['OK', 'OK', 'OK'] },
        { name: 'unrelated', type: 'STRING', data: ['a', 'b', 'c'] },
      ],
    });
    const file = tempFile(new Uint8Array(buf), 'bad.parquet');
    const { rows, reader } = await readAll([file]);
    expect(rows.map((r) => [r.src, r.proto, r.line])).toEqual([['10.0.0.1', 6, 1], ['10.0.0.3', 17, 3]]);
    expect(reader.problems.totals()).toEqual({ 'bad-parquet-row': 1 });
    expect(reader.problems.details[0]).toMatchObject({ file, line: 2 });
    expect(reader.problems.details[0]!.message).toContain('row 2: column srcaddr: "not-an-address"');
  });

  it('a Parquet file without flow-log columns is a FlowLogFormatError', async () => {
    const buf = parquetWriteBuffer({ columnData: [{ name: 'name', type: 'STRING', data: ['a'] }] });
    await expect(readAll([tempFile(new Uint8Array(buf), 'other.parquet')])).rejects.toThrow(FlowLogFormatError);
  });
});
