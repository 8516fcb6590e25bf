/** Option values at their real bounds, usage errors as one line, reports that would overwrite an input refused. */
import { describe, it, expect } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { table } from '../../src/report/text.js';

const CAP = join(REPO_ROOT, 'captures', 'mixed-clients.pcap');
const ACL = join(REPO_ROOT, 'examples', 'classic-return.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-options-'));

/** One stderr line, prefixed, no stack. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^aclreplay: /);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('numeric options', () => {
  for (const [args, what] of [
    [['flows', '-j', '1000', CAP], /--jobs expects an integer from 1 to 256, got '1000'/],
    [['flows', '-j', '1e9', CAP], /--jobs expects an integer from 1 to 256/],
    [['flows', '-j', '0', CAP], /--jobs/],
    [['replay', '-j', '-3', CAP, '--acl', ACL, '--subnet', '10.0.2.0/24'], /--jobs/],
    [['flows', '--chunk-size', '100000000000000000000', CAP], /--chunk-size expects an integer from 1 to 1073741824/],
    [['flows', '--chunk-size', '12abc', CAP], /--chunk-size/],
  ] as const) {
    it(`${args.slice(1, 3).join(' ')} is a usage error`, () => {
      const r = runCli([...args]);
      expect(r.status).toBe(2);
      expect(oneLine(r.stderr)).toMatch(what);
    });
  }

  it('more workers than 4 per core are capped with a note, and the answer is the same', () => {
    const base = runCli(['flows', '-F', 'jsonl', CAP]);
    const many = runCli(['flows', '-F', 'jsonl', '-j', '200', '--chunk-size', '5000', CAP]);
    expect(many.status).toBe(0);
    expect(oneLine(many.stderr)).toMatch(/-j 200: using \d+ worker threads \(4 per core/);
    expect(many.stdout).toBe(base.stdout);
  });
});

describe('usage errors are one line', () => {
  for (const args of [['flows', '--bogus', CAP], ['flows'], ['nosuch-command'], ['flows', '-F', 'xml', CAP]]) {
    it(args.join(' '), () => {
      const r = runCli(args);
      expect(r.status).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/\(run with --help for usage\)$/);
    });
  }
});

describe('--html never overwrites an input', () => {
  it('the capture, an ACL file (also given as file#id) or a linted file: a usage error, the file untouched', () => {
    const cap = join(tmp, 'copy.pcap');
    const acl = join(tmp, 'acl.yaml');
    copyFileSync(CAP, cap);
    copyFileSync(ACL, acl);
    const before = [readFileSync(cap), readFileSync(acl)];
    for (const args of [
      ['replay', cap, '--acl', acl, '--subnet', '10.0.2.0/24', '--html', cap],
      ['replay', cap, '--acl', `${acl}#classic-return`, '--subnet', '10.0.2.0/24', '--html', acl],
      ['diagnose', cap, '--html', join(tmp, '.', 'copy.pcap')],
      ['lint', acl, '--html', acl],
    ]) {
      const r = runCli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/would overwrite the input/);
    }
    expect([readFileSync(cap), readFileSync(acl)]).toEqual(before);
  });
});

describe('tables', () => {
  it('a table of 300 000 rows renders (no spread of a column into one call)', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, i]);
    const text = table(['host', 'n'], rows);
    expect(text.split('\n')).toHaveLength(300_003);
  });
});
