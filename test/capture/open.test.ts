import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/open.js';
import { Problems } from '../../src/capture/problems.js';
import { PcapngWriter } from '../../src/capture/writer.js';
import { runPass } from '../../src/pass/engine.js';
import { describeCapture } from '../../src/pass/summary.js';
import { CaptureFormatError } from '../../src/errors.js';
import { CLI } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const MIXED = join(REPO_ROOT, 'captures', 'mixed-clients.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-open-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let k = 0;
const file = (bytes: Uint8Array): string => {
  const f = join(tmp, `c${k++}.cap`);
  writeFileSync(f, bytes);
  return f;
};

beforeAll(() => {
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: REPO_ROOT });
}, 120_000);

describe('capture paths that are not regular files are read as streams', () => {
  it('a FIFO path', async () => {
    const fifo = join(tmp, 'cap.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat "${MIXED}" > "${fifo}"`]);
    const exited = new Promise((r) => writer.on('exit', r));
    const s = describeCapture(await runPass(fifo, { jobs: 1 }));
    await exited;
    expect([s.packets, s.problems]).toEqual([1036, []]);
  });

  it('/dev/stdin and <(cat x.pcap) through the CLI, as `-` reads them', () => {
    const viaStdin = spawnSync(process.execPath, [CLI, 'info', '-F', 'json', '/dev/stdin'], { input: readFileSync(MIXED), encoding: 'utf8' });
    expect(viaStdin.status).toBe(0);
    expect(JSON.parse(viaStdin.stdout).packets).toBe(1036);
    const bash = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" info -F json <(cat "${MIXED}")`], { encoding: 'utf8' });
    expect(bash.stderr).toBe('');
    expect(JSON.parse(bash.stdout).packets).toBe(1036);
  });

  it('a character device is sniffed like any stream', async () => {
    const err = await openCapture('/dev/zero', new Problems()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect((err as Error).message).toBe('/dev/zero: offset 0: not a pcap or pcapng file (magic 0x00000000)');
  });
});

describe('truncation is never taken for success', () => {
  const pcap = readFileSync(MIXED);

  it('a pcap file header followed by 1-15 bytes is a truncated record, from a file and from stdin', async () => {
    for (let extra = 1; extra <= 15; extra++) {
      const bytes = pcap.subarray(0, 24 + extra);
      for (const s of [describeCapture(await runPass(file(bytes), { jobs: 1 })), describeCapture(await runPass('-', { jobs: 1, stdin: (await import('node:stream')).Readable.from([Buffer.from(bytes)]) }))]) {
        expect(s.problems, `24 + ${extra}`).toEqual([{ kind: 'truncated-record', offset: 24, message: `record header claims 16 bytes but the input ends after ${extra}` }]);
        expect(s.incomplete).toBe(true);
      }
    }
    expect(describeCapture(await runPass(file(pcap.subarray(0, 24)), { jobs: 1 })).problems).toEqual([]);
  });

  const shb = new PcapngWriter(true).section(true).take();

  it('a pcapng of 4-27 bytes, or whose first section header is cut or has a bad length, is not a capture (exit 65)', async () => {
    const expectFormat = async (bytes: Uint8Array, message: RegExp) => {
      const err = await openCapture(file(bytes), new Problems()).catch((e: unknown) => e);
      expect(err, message.source).toBeInstanceOf(CaptureFormatError);
      expect((err as CaptureFormatError).exitCode).toBe(65);
      expect((err as Error).message).toMatch(message);
    };
    for (const n of [4, 15, 16, 27]) await expectFormat(shb.subarray(0, n), new RegExp(`pcapng section header needs 28 bytes, the file has ${n}$`));
    const zero = Buffer.from(shb);
    zero.writeUInt32LE(0, 4);
    await expectFormat(zero, /pcapng section header block length 0 is below 28$/);
    const odd = Buffer.from(shb);
    odd.writeUInt32LE(30, 4);
    await expectFormat(odd, /not a multiple of 4$/);
    const long = Buffer.from(shb);
    long.writeUInt32LE(4096, 4);
    await expectFormat(long, /pcapng section header block claims 4096 bytes, the input ends after \d+$/);
    // A whole section header and nothing else is a capture of 0 packets and 1 section.
    const s = describeCapture(await runPass(file(shb), { jobs: 1 }));
    expect([s.sections.length, s.packets, s.problems]).toEqual([1, 0, []]);
  });

  it('through the CLI: exit 65 with one line, so --fail-on cannot pass a file without sections', () => {
    const zero = Buffer.from(shb);
    zero.writeUInt32LE(0, 4);
    const r = spawnSync(process.execPath, [CLI, 'info', file(zero)], { encoding: 'utf8' });
    expect(r.status).toBe(65);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
