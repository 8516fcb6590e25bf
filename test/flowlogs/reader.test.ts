import { describe, it, expect } from 'vitest';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { readAll, tempFile, tmp } from './helpers.js';
import { listFlowLogFiles } from '../../src/flowlogs/reader.js';
import { NoSuchFileError } from '../../src/errors.js';

const rec = (port: number): string => `2 123456789010 eni-1 10.0.0.1 10.0.0.2 ${port} 443 6 1 60 100 160 ACCEPT OK\n`;

describe('files and directories', () => {
  it('walks an S3 layout in path order whatever the order the files were written in, nested days included', async () => {
    const base = 'walk/AWSLogs/123456789010/vpcflowlogs/us-east-1';
    // written out of order on purpose
    tempFile(gzipSync(rec(4)), `${base}/2026/12/02/123456789010_vpcflowlogs_us-east-1_fl-1_20261202T0000Z_aa.log.gz`);
    tempFile(gzipSync(rec(2)), `${base}/2026/12/01/123456789010_vpcflowlogs_us-east-1_fl-1_20261201T0005Z_aa.log.gz`);
    tempFile(gzipSync(rec(1)), `${base}/2026/12/01/123456789010_vpcflowlogs_us-east-1_fl-1_20261201T0000Z_bb.log.gz`);
    tempFile(gzipSync(rec(3)), `${base}/2026/12/01/123456789010_vpcflowlogs_us-east-1_fl-1_20261201T0005Z_ab.log.gz`);
    tempFile('not a flow log\n', `${base}/2026/12/01/README.txt`);
    tempFile(rec(99), `${base}/2026/12/01/.hidden.log`);
    const root = join(tmp, 'walk');
    const files = listFlowLogFiles([root]);
    expect(files.map((f) => f.slice(root.length))).toEqual([
      '/AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/12/01/123456789010_vpcflowlogs_us-east-1_fl-1_20261201T0000Z_bb.log.gz',
      '/AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/12/01/123456789010_vpcflowlogs_us-east-1_fl-1_20261201T0005Z_aa.log.gz',
      '/AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/12/01/123456789010_vpcflowlogs_us-east-1_fl-1_20261201T0005Z_ab.log.gz',
      '/AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/12/01/README.txt',
      '/AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/12/02/123456789010_vpcflowlogs_us-east-1_fl-1_20261202T0000Z_aa.log.gz',
    ]);
    const { rows, reader } = await readAll([root]);
    expect(rows.map((r) => r.srcPort)).toEqual([1, 2, 3, 4]);
    // a non-flow-log file found in a directory is skipped and listed, not fatal
    expect(reader.skipped).toHaveLength(1);
    expect(reader.skipped[0]!.file).toMatch(/README\.txt$/);
    // inputs keep the order given: a file named before the directory comes first
    const single = tempFile(rec(0));
    const both = await readAll([single, root]);
    expect(both.rows.map((r) => r.srcPort)).toEqual([0, 1, 2, 3, 4]);
    expect(both.rows.map((r) => r.file)).toEqual([single, ...files.filter((f) => !f.endsWith('.txt'))]);
  });

  it('a missing input is NoSuchFileError', async () => {
    await expect(readAll([join(tmp, 'nope.log')])).rejects.toThrow(NoSuchFileError);
  });

  it('the lab S3 directory reads as the same records, in the same order, as the plain v5 file', async () => {
    const s3 = await readAll([new URL('../../captures/flowlogs/s3', import.meta.url).pathname]);
    const v5 = await readAll([new URL('../../captures/flowlogs/v5/lab.log', import.meta.url).pathname]);
    expect(s3.reader.files.map((f) => f.compression)).toEqual(['gzip', 'gzip']);
    const strip = (r: { file: string; line: number }) => ({ ...r, file: '', line: 0 });
    expect(s3.rows.map(strip)).toEqual(v5.rows.map(strip));
    expect(s3.rows.length).toBeGreaterThan(100);
  });
});
