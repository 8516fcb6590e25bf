import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, closeSync, ftruncateSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_INPUT_BYTES, readInputText } from '../../src/acl/input.js';
import { loadAcls, loadSubnets, loadTrace } from '../../src/acl/load.js';
import { AclReplayError, ExitCode } from '../../src/errors.js';
import { FIXTURES } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'aclreplay-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(fn: () => unknown): AclReplayError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AclReplayError);
    return e as AclReplayError;
  }
  throw new Error('expected an error');
}

describe('the bounded reader of non-capture inputs', () => {
  it('refuses a regular file over the limit from its size, before reading it', () => {
    const big = join(dir, 'big.json');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 3 * 1024 ** 3); // sparse: 3 GiB without writing them
    closeSync(fd);
    const t0 = performance.now();
    const e = failure(() => loadAcls(big));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e.exitCode).toBe(ExitCode.DATA);
    expect(e.message).toBe(`${big}: 3 GiB, larger than the 64 MiB limit for ACL files`);
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(64 << 20);
  });

  it('honours maxInputBytes', () => {
    const f = join(dir, 'small.yaml');
    writeFileSync(f, 'x'.repeat(2000));
    expect(failure(() => readInputText(f, { what: 'an ACL file', maxBytes: 1024 })).message).toContain('small.yaml: 2 KiB, larger than the 1 KiB limit for ACL files');
    expect(readInputText(f, { what: 'an ACL file', maxBytes: 2000 })).toHaveLength(2000);
  });

  it('stops reading a device as soon as it is binary or past the limit', () => {
    const zero = failure(() => loadAcls('/dev/zero'));
    expect(zero.message).toBe('/dev/zero: binary data (a NUL byte at offset 0), not an ACL file');
    expect(zero.exitCode).toBe(ExitCode.DATA);
    expect(failure(() => loadTrace('/dev/urandom')).message).toMatch(/^\/dev\/urandom: binary data \(a NUL byte at offset \d+\), not a ClassBench trace file$/);
  });

  it('stops reading endless text from a FIFO at the limit', async () => {
    const fifo = join(dir, 'endless.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `yes "acls: []" > "${fifo}"`], { stdio: 'ignore' });
    const exited = new Promise((r) => writer.on('exit', r));
    const before = process.memoryUsage().rss;
    const e = failure(() => readInputText(fifo, { what: 'a topology file', maxBytes: 4 << 20 }));
    writer.kill();
    await exited;
    expect(e.message).toBe(`${fifo}: larger than the 4 MiB limit for topology files (stopped reading there)`);
    expect(e.exitCode).toBe(ExitCode.DATA);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 << 20);
  });

  it('reads a FIFO that holds a small ACL, and says a directory is one', async () => {
    const fifo = join(dir, 'acl.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat "${join(FIXTURES, 'native.yaml')}" > "${fifo}"`]);
    const exited = new Promise((r) => writer.on('exit', r));
    const acls = loadAcls(fifo);
    await exited;
    expect(acls[0]!.format).toBe('yaml');
    const d = join(dir, 'adir');
    mkdirSync(d);
    const e = failure(() => loadAcls(d));
    expect(e.message).toBe(`${d}: is a directory, not an ACL file`);
    expect(failure(() => loadSubnets(d)).message).toBe(`${d}: is a directory, not a describe-subnets file`);
  });

  it('reads UTF-16 text with a byte-order mark (PowerShell redirection)', () => {
    const f = join(dir, 'utf16.json');
    const json = '{"NetworkAcls": []}';
    writeFileSync(f, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]));
    expect(readInputText(f, { what: 'an ACL file' })).toBe(json);
    const be = join(dir, 'utf16be.json');
    writeFileSync(be, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(json, 'utf16le').swap16()]));
    expect(readInputText(be, { what: 'an ACL file' })).toBe(json);
  });
});
