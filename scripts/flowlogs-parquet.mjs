// Write captures/flowlogs/parquet/lab.log.parquet from captures/flowlogs/v5/lab.log: the same records as VPC Flow
// Logs' Parquet files hold them, with AWS's column names (underscores) and Parquet types
// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html, "Parquet data type"), GZIP-compressed
// pages (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html), null where the text has "-".
// Usage: node scripts/flowlogs-parquet.mjs captures/flowlogs   (written by scripts/record-flowlogs.sh)
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteFile } from 'hyparquet-writer';

const dir = process.argv[2] ?? 'captures/flowlogs';
const INT32 = new Set(['version', 'srcport', 'dstport', 'protocol', 'tcp-flags', 'traffic-path']);
const INT64 = new Set(['packets', 'bytes', 'start', 'end']);
const lines = readFileSync(join(dir, 'v5', 'lab.log'), 'utf8').split('\n').filter((l) => l.length > 0);
const fields = lines[0].split(' ');
const rows = lines.slice(1).map((l) => l.split(' '));
const columnData = fields.map((f, i) => {
  const raw = rows.map((r) => r[i]);
  if (INT32.has(f)) return { name: f.replaceAll('-', '_'), type: 'INT32', data: raw.map((v) => (v === '-' ? null : Number(v))) };
  if (INT64.has(f)) return { name: f.replaceAll('-', '_'), type: 'INT64', data: raw.map((v) => (v === '-' ? null : BigInt(v))) };
  return { name: f.replaceAll('-', '_'), type: 'STRING', data: raw.map((v) => (v === '-' ? null : v)) };
});
mkdirSync(join(dir, 'parquet'), { recursive: true });
parquetWriteFile({
  filename: join(dir, 'parquet', 'lab.log.parquet'),
  columnData,
  codec: 'GZIP',
  compressors: { GZIP: (input) => gzipSync(input) },
  // two row groups, so a reader that walks row groups is exercised
  rowGroupSize: Math.max(1, Math.ceil(rows.length / 2)),
});
process.stderr.write(`flowlogs-parquet: ${rows.length} rows, ${fields.length} columns\n`);
