/**
 * plan / work / merge: the merged answer is the single-process answer byte for byte (JSON and JSONL, every
 * command a plan can be made for, 1, 3 and 17 shards, -j 1 and -j 2 alike), also where shards are cut inside
 * records and pcapng blocks and where a shard's planned start is wrong (payload that looks like record headers,
 * an interface defined after the cut); and every broken or foreign input is one clear error with its exit code.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter, PcapngWriter } from '../../src/capture/writer.js';
import { CORPUS_DIR, REPO_ROOT, describeCorpus } from '../helpers/corpus.js';
import { runMain, type MainRun } from '../helpers/main.js';
import { ethernet, ipv4Packet } from '../helpers/packets.js';

process.chdir(REPO_ROOT);
const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-shards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ACLS = ['--acl', 'examples/windows-only-return.yaml', '--acl', 'examples/fixed-return.yaml', '--subnet', '10.0.2.0/24', '--subnet', 'fd00:2::/64'];
let seq = 0;

interface Sharded {
  plan: string;
  parts: string[];
  planRun: MainRun;
}

/** plan + work on every shard; the partial files. */
async function shard(command: string, args: string[], size: string[]): Promise<Sharded> {
  const dir = join(tmp, `p${seq++}`);
  const plan = join(dir, 'plan.json');
  mkdirSync(dir);
  const planRun = await runMain(['plan', '--command', command, ...args, ...size, '-o', plan]);
  expect(planRun.code, planRun.stderr).toBe(0);
  const n = (JSON.parse(readFileSync(plan, 'utf8')) as { shards: unknown[] }).shards.length;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const part = join(dir, `part-${i}.bin`);
    const w = await runMain(['work', plan, '--shard', String(i), '-o', part]);
    expect(w.code, w.stderr).toBe(0);
    parts.push(part);
  }
  return { plan, parts, planRun };
}

function planShards(plan: string): { cut: number; start: number; boundary: { method: string } }[] {
  return (JSON.parse(readFileSync(plan, 'utf8')) as { shards: { cut: number; start: number; boundary: { method: string } }[] }).shards;
}

async function expectSame(command: string, args: string[], formats: string[], sharded: Sharded): Promise<void> {
  for (const f of formats) {
    const single = await runMain([command, ...args, '-F', f, '-j', '1']);
    expect(single.code, single.stderr).toBe(0);
    expect(single.stdout.length).toBeGreaterThan(0);
    const merged = await runMain(['merge', sharded.plan, ...sharded.parts.slice().reverse(), '-F', f]);
    expect(merged.code, merged.stderr).toBe(single.code);
    expect(merged.stdout, `${command} ${args[0]} -F ${f}, ${sharded.parts.length} shards`).toBe(single.stdout);
  }
}

describe('the same answer whatever the path', () => {
  const captures = ['mixed-clients.pcap', 'return-drop.pcap', 'return-drop-udp.pcap', 'ipv6-and-frag.pcap'].map((c) => `captures/${c}`);
  const cases: [string, string[], string[], number[]][] = [
    ['flows', [], ['json', 'jsonl'], [1, 3, 17]],
    ['replay', ACLS, ['json', 'jsonl'], [1, 3, 17]],
    ['diagnose', ACLS, ['json'], [3]],
    ['diagnose', [], ['json'], [3]],
    ['clients', [], ['json'], [3]],
    ['info', [], ['json'], [3]],
  ];
  for (const capture of captures) {
    for (const [command, extra, formats, counts] of cases) {
      it(`${command} ${capture}${extra.length ? ' with candidates' : ''}: ${counts.join(', ')} shards`, { timeout: 120_000 }, async () => {
        const args = [capture, ...extra];
        for (const n of counts) {
          const sharded = await shard(command, args, ['--shards', String(n)]);
          expect(sharded.parts).toHaveLength(n);
          await expectSame(command, args, formats, sharded);
        }
      });
    }
  }

  it('-j 2 with small chunks (workers cut the file at offsets) prints what the merge of 17 shards prints', { timeout: 120_000 }, async () => {
    const args = ['captures/mixed-clients.pcap', ...ACLS];
    const threads = await runMain(['replay', ...args, '-F', 'jsonl', '-j', '2', '--chunk-size', '4096']);
    const sharded = await shard('replay', args, ['--shards', '17']);
    const merged = await runMain(['merge', sharded.plan, ...sharded.parts, '-F', 'jsonl']);
    expect(merged.stdout).toBe(threads.stdout);
  });

  it('the merge takes output options: --html is written, --fail-on decides the exit code as the command does', { timeout: 60_000 }, async () => {
    const args = ['captures/return-drop.pcap', ...ACLS];
    const sharded = await shard('replay', args, ['--shards', '3']);
    const html = join(tmp, 'merged.html');
    const single = await runMain(['replay', ...args, '--fail-on', 'RETURN_PORT_NOT_ALLOWED']);
    const merged = await runMain(['merge', sharded.plan, ...sharded.parts, '--fail-on', 'RETURN_PORT_NOT_ALLOWED', '--html', html]);
    expect(single.code).toBe(3);
    expect(merged.code).toBe(3);
    expect(merged.stdout).toBe(single.stdout);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  });
});

describe('shards cut where the planned start can be wrong', () => {
  /** UDP packets whose payload is itself a pcap record stream: headers a boundary search can take for real ones. */
  function pcapInPcap(records: number): string {
    const inner = new PcapWriter().header();
    for (let i = 0; i < 40; i++) inner.packet(1_700_000_000 + i, i, new Uint8Array(30).fill(i));
    const payload = inner.take().subarray(24);
    const w = new PcapWriter().header();
    for (let i = 0; i < records; i++) {
      const l4 = { proto: 'udp' as const, sport: 40000 + (i % 50), dport: 9, payload: payload.subarray(0, 200 + ((i * 97) % (payload.length - 200))) };
      w.packet(1_700_000_000 + i, i * 1000, ethernet(ipv4Packet('10.0.1.5', '10.0.2.10', l4)));
    }
    const file = join(tmp, 'pcap-in-pcap.pcap');
    writeFileSync(file, w.take());
    return file;
  }

  it('payload full of fake record headers: some planned starts are fooled, those shards are read again at the merge, the answer is the same', { timeout: 120_000 }, async () => {
    const file = pcapInPcap(300);
    let rereads = 0;
    for (const bytes of ['700', '1500']) {
      const sharded = await shard('flows', [file], ['--shard-bytes', bytes]);
      const single = await runMain(['flows', file, '-F', 'json']);
      const merged = await runMain(['merge', sharded.plan, ...sharded.parts, '-F', 'json']);
      expect(merged.stdout).toBe(single.stdout);
      rereads += (merged.stderr.match(/read again here/g) ?? []).length;
    }
    expect(rereads).toBeGreaterThan(0);
  });

  it('pcapng: an interface defined after the first shard, a second section, blocks cut in the middle', { timeout: 120_000 }, async () => {
    const w = new PcapngWriter().section().iface({ linkType: 1, snaplen: 65535 });
    const frame = (i: number, sport: number) => ethernet(ipv4Packet('10.0.1.5', '10.0.2.10', { proto: 'udp', sport, dport: 53, payload: new Uint8Array(20 + (i % 40)) }));
    for (let i = 0; i < 160; i++) {
      if (i === 50) w.iface({ linkType: 1, snaplen: 65535, tsresol: 9 });
      if (i % 10 === 9) w.spb(frame(i, 6000 + i));
      else w.epb(i >= 50 && i % 2 ? 1 : 0, 0, 1_700_000_000 * 1000 + i, frame(i, 5000 + (i % 30)));
      if (i === 110) w.section(false).iface({ linkType: 1, snaplen: 65535 }).iface({ linkType: 1, snaplen: 65535, tsresol: 3 });
    }
    const file = join(tmp, 'mid-file-interface.pcapng');
    writeFileSync(file, w.take());
    for (const bytes of ['333', '2000']) {
      const sharded = await shard('flows', [file], ['--shard-bytes', bytes]);
      const shards = planShards(sharded.plan);
      expect(shards.some((s) => s.start > s.cut)).toBe(true); // cuts inside blocks
      for (const f of ['json', 'jsonl']) {
        const single = await runMain(['flows', file, '-F', f]);
        const merged = await runMain(['merge', sharded.plan, ...sharded.parts, '-F', f]);
        expect(merged.stdout, `${bytes} -F ${f}`).toBe(single.stdout);
      }
      const info = await runMain(['merge', ...(await shard('info', [file], ['--shard-bytes', bytes]).then((s) => [s.plan, ...s.parts])), '-F', 'json']);
      expect(info.stdout).toBe((await runMain(['info', file, '-F', 'json'])).stdout);
    }
  });
});

describe('flow logs in shards: whole files, and a large text file cut on lines', () => {
  const CANDIDATES = ['--acl', 'captures/flowlogs/acls/deployed.json', '--acl', 'captures/flowlogs/acls/candidate.yaml'];
  /** Subnets from the records' subnet-id (v5) through describe-subnets, or given (v2 has no subnet-id). */
  const BY_ID = [...CANDIDATES, '--subnets', 'captures/flowlogs/acls/describe-subnets.json'];
  const GIVEN = [...CANDIDATES, '--subnet', '10.1.2.0/24', '--subnet', 'fd01:2::/64'];
  /** The v5 lab log with lines that are not records in several places and a last line without a newline. */
  function junkLog(): string {
    const lines = readFileSync('captures/flowlogs/v5/lab.log', 'utf8').split('\n');
    const out: string[] = [];
    lines.forEach((l, i) => {
      out.push(l);
      if (i === 20 || i === 90) out.push('this is not a record at all');
      if (i === 60) out.push('5 eni-123 garbage');
    });
    const file = join(tmp, 'junk.log');
    writeFileSync(file, `${out.join('\n')}\nlast line without a newline 1 2 3`);
    return file;
  }
  const inputs: [string, string[], string[]][] = [
    ['v2 text', ['captures/flowlogs/v2/lab.log'], GIVEN],
    ['v5 text with a header', ['captures/flowlogs/v5/lab.log'], BY_ID],
    ['an S3 directory of gzip files', ['captures/flowlogs/s3'], BY_ID],
    ['Parquet and text together', ['captures/flowlogs/parquet', 'captures/flowlogs/v2/lab.log'], GIVEN],
  ];
  for (const [what, traffic, REPLAY] of inputs) {
    it(`${what}: flows, info, replay and diagnose in 1, 3 and 7 shards`, { timeout: 120_000 }, async () => {
      for (const n of [1, 3, 7]) {
        await expectSame('flows', traffic, ['json', 'jsonl', 'tsv'], await shard('flows', traffic, ['--shards', String(n)]));
        await expectSame('info', traffic, ['json'], await shard('info', traffic, ['--shards', String(n)]));
      }
      await expectSame('replay', [...traffic, ...REPLAY], ['json', 'jsonl'], await shard('replay', [...traffic, ...REPLAY], ['--shards', '3']));
      await expectSame('diagnose', [...traffic, ...REPLAY], ['json'], await shard('diagnose', [...traffic, ...REPLAY], ['--shards', '3']));
    });
  }

  it('a text file cut into line ranges: header layout, line numbers of records and problems, the last line', { timeout: 120_000 }, async () => {
    const file = junkLog();
    for (const bytes of ['997', '4096']) {
      const sharded = await shard('info', [file], ['--shard-bytes', bytes]);
      const shards = planShards(sharded.plan);
      expect(shards.length).toBeGreaterThan(5);
      expect(new Set(shards.map((s) => s.boundary.method))).toEqual(new Set(['line']));
      const single = await runMain(['info', file, '-F', 'json']);
      const problems = (JSON.parse(single.stdout) as { problems: { line: number }[] }).problems;
      expect(problems.map((p) => p.line)).toHaveLength(4);
      await expectSame('info', [file], ['json', 'table'], sharded);
      await expectSame('flows', [file], ['json', 'tsv'], await shard('flows', [file], ['--shard-bytes', bytes]));
    }
  });
});

describeCorpus('corpus captures cut at awkward offsets', () => {
  const files = ['zeek+zeek/testing/btest/Traces/wikipedia.pcap', 'zeek+zeek/testing/btest/Traces/krb/kerberos_tso.pcapng'].map((f) => join(CORPUS_DIR, 'pcaps', f));
  for (const file of files) {
    it(`${file.slice(CORPUS_DIR.length + 7)}: a prime shard size puts boundaries inside records and blocks`, { timeout: 120_000 }, async () => {
      const sharded = await shard('flows', [file], ['--shard-bytes', '4099']);
      const shards = planShards(sharded.plan);
      expect(shards.length).toBeGreaterThan(5);
      expect(shards.filter((s) => s.start > s.cut).length).toBeGreaterThan(shards.length / 2);
      expect(new Set(shards.slice(1).map((s) => s.boundary.method))).toEqual(new Set([file.endsWith('.pcapng') ? 'pcapng-block-chain' : 'pcap-record-chain']));
      await expectSame('flows', [file], ['json', 'jsonl'], sharded);
    });
  }
});

describe('merge --reduce-by client', () => {
  const captures = ['captures/mixed-clients.pcap', 'captures/ipv6-and-frag.pcap', 'captures/return-drop.pcap', 'captures/mirror/both-ends.pcap', 'captures/mirror/vxlan-in-geneve.pcap'];
  for (const capture of captures) {
    it(`${capture}: flows and clients in 2, 3 and 7 parts equal the single-process JSON lines`, { timeout: 120_000 }, async () => {
      for (const command of ['flows', 'clients']) {
        const sharded = await shard(command, [capture], ['--shards', '3']);
        const single = await runMain([command, capture, '-F', 'jsonl']);
        for (const k of ['2', '3', '7']) {
          const reduced = await runMain(['merge', sharded.plan, ...sharded.parts, '-F', 'jsonl', '--reduce-by', 'client', '--reducers', k]);
          expect(reduced.code, reduced.stderr).toBe(0);
          expect(reduced.stdout, `${command} K=${k}`).toBe(single.stdout);
          const m = /the largest held (\d+) of the capture's (\d+) connections/.exec(reduced.stderr)!;
          expect(Number(m[2])).toBe(command === 'flows' ? single.stdout.split('\n').length - 1 : Number(m[2]));
          expect(Number(m[1])).toBeLessThanOrEqual(Number(m[2]));
        }
      }
    });
  }

  it('a part holds fewer connections as the parts grow, and only what the plan can print is offered', { timeout: 60_000 }, async () => {
    const flows = await shard('flows', ['captures/mixed-clients.pcap'], ['--shards', '2']);
    const held = async (k: string) => Number(/the largest held (\d+)/.exec((await runMain(['merge', flows.plan, ...flows.parts, '-F', 'jsonl', '--reduce-by', 'client', '--reducers', k])).stderr)![1]);
    expect(await held('16')).toBeLessThan(await held('2'));
    const replay = await shard('replay', ['captures/mixed-clients.pcap', ...ACLS], ['--shards', '2']);
    const r = await runMain(['merge', replay.plan, ...replay.parts, '-F', 'jsonl', '--reduce-by', 'client']);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/--reduce-by client prints per-connection or per-client records \(flows, clients\); the plan is for replay/)]);
    const json = await runMain(['merge', flows.plan, ...flows.parts, '-F', 'json', '--reduce-by', 'client']);
    expect([json.code, json.stderr]).toEqual([2, expect.stringMatching(/give -F jsonl/)]);
  });
});

describe('what the shard commands refuse', () => {
  const capture = 'captures/return-drop.pcap';
  /** One line on stderr, no stack, the exit code. */
  function refused(r: MainRun, code: number, message: RegExp): void {
    expect(r.code, r.stderr).toBe(code);
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }

  it('partials of another plan, missing and duplicated shards', { timeout: 60_000 }, async () => {
    const a = await shard('flows', [capture], ['--shards', '3']);
    const b = await shard('flows', [capture], ['--shards', '3', '--command', 'clients']);
    refused(await runMain(['merge', a.plan, a.parts[0]!, b.parts[1]!, a.parts[2]!]), 65, /part-1\.bin: a partial of another plan/);
    refused(await runMain(['merge', a.plan, a.parts[0]!, a.parts[2]!]), 2, /1 of 3 shards have no partial \(shard 1\): run aclreplay work .* --shard 1/);
    refused(await runMain(['merge', a.plan, ...a.parts, a.parts[1]!]), 2, /shard 1 is given twice/);
    const other = await shard('flows', [capture], ['--shards', '2']);
    refused(await runMain(['merge', a.plan, other.parts[0]!, a.parts[1]!, a.parts[2]!]), 65, /a partial of another plan|shard 0 of 2/);
  });

  it('broken partials: not a partial, truncated, padded, a flipped byte', { timeout: 60_000 }, async () => {
    const a = await shard('flows', [capture], ['--shards', '2']);
    const bytes = readFileSync(a.parts[1]!);
    const bad = (name: string, b: Uint8Array) => {
      const f = join(tmp, `${seq++}-${name}`);
      writeFileSync(f, b);
      return f;
    };
    refused(await runMain(['merge', a.plan, a.parts[0]!, capture]), 65, /return-drop\.pcap: offset 0: not an aclreplay partial/);
    refused(await runMain(['merge', a.plan, a.parts[0]!, bad('cut.bin', bytes.subarray(0, bytes.length - 1))]), 65, /cut\.bin: offset \d+: truncated: the partial body needs \d+ bytes, there are \d+/);
    refused(await runMain(['merge', a.plan, a.parts[0]!, bad('short.bin', bytes.subarray(0, 20))]), 65, /short\.bin: offset 20: truncated: the partial header needs/);
    refused(await runMain(['merge', a.plan, a.parts[0]!, bad('pad.bin', Buffer.concat([bytes, Buffer.from([0])]))]), 65, /pad\.bin: offset \d+: 1 bytes after the partial body/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 100]! ^= 0x40;
    refused(await runMain(['merge', a.plan, a.parts[0]!, bad('flip.bin', flipped)]), 65, /flip\.bin: offset \d+: the partial body does not match its checksum/);
  });

  it('plans: not a plan, edited after it was made, inputs and ACLs changed since', { timeout: 60_000 }, async () => {
    refused(await runMain(['work', capture, '--shard', '0', '-o', join(tmp, 'x.bin')]), 65, /return-drop\.pcap: binary data \(a NUL byte at offset \d+\), not a shard plan/);
    const copy = join(tmp, 'copy.pcap');
    copyFileSync(capture, copy);
    const acl = join(tmp, 'acl.yaml');
    copyFileSync('examples/fixed-return.yaml', acl);
    const a = await shard('replay', [copy, '--acl', acl, '--subnet', '10.0.2.0/24'], ['--shards', '2']);
    const plan = JSON.parse(readFileSync(a.plan, 'utf8'));
    plan.shards[1].start += 1;
    const edited = join(tmp, 'edited.json');
    writeFileSync(edited, JSON.stringify(plan));
    refused(await runMain(['merge', edited, ...a.parts]), 65, /edited\.json: the plan was changed after it was made/);
    writeFileSync(acl, readFileSync(acl, 'utf8').replace('ports: 1024-65535', 'ports: 1025-65535'));
    refused(await runMain(['work', a.plan, '--shard', '0', '-o', join(tmp, 'y.bin')]), 65, /the candidate ACLs compile differently here than when the plan was made/);
    copyFileSync('examples/fixed-return.yaml', acl);
    const grown = Buffer.concat([readFileSync(copy), readFileSync(copy).subarray(24, 200)]);
    writeFileSync(copy, grown);
    refused(await runMain(['work', a.plan, '--shard', '1', '-o', join(tmp, 'z.bin')]), 65, /copy\.pcap changed since the plan was made/);
    refused(await runMain(['merge', a.plan, ...a.parts]), 65, /copy\.pcap changed since the plan was made/);
  });

  it('usage: sizes, output options in a plan, answer options at the merge, a compressed capture, a shard out of range', { timeout: 60_000 }, async () => {
    const out = join(tmp, 'u.json');
    refused(await runMain(['plan', capture, '-o', out]), 2, /plan needs --shards <n> or --shard-bytes <size>/);
    refused(await runMain(['plan', capture, '--shards', '2', '--shard-bytes', '1MiB', '-o', out]), 2, /give --shards or --shard-bytes, not both/);
    refused(await runMain(['plan', capture, '--shard-bytes', '12 parsecs', '-o', out]), 2, /--shard-bytes expects a size such as/);
    refused(await runMain(['plan', capture, '--shards', '0', '-o', out]), 2, /--shards expects an integer from 1 to 65536/);
    refused(await runMain(['plan', capture, '--shards', '2', '-F', 'json', '-o', out]), 2, /-F does not belong in a plan/);
    refused(await runMain(['plan', capture, '--shards', '2', '--acl', 'examples/fixed-return.yaml', '-o', out]), 2, /subnet/);
    const gz = join(tmp, 'x.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(capture)));
    refused(await runMain(['plan', gz, '--shards', '2', '-o', out]), 2, /x\.pcap\.gz is gzip-compressed/);
    const a = await shard('flows', [capture], ['--shards', '2']);
    refused(await runMain(['merge', a.plan, ...a.parts, '--acl', 'x.yaml']), 2, /--acl is not an output option/);
    refused(await runMain(['work', a.plan, '--shard', '2', '-o', join(tmp, 'w.bin')]), 2, /--shard 2: the plan has shards 0 to 1/);
    refused(await runMain(['plan', capture, '--shards', '2', '-o', capture]), 2, /would overwrite the input/);
  });
});
