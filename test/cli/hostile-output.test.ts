/**
 * The standing guard's output side (issue 15): hostile strings in an ACL's id, name, tag and rule description, in the
 * ACL file's name and in the capture's file name, through every output form of lint, replay, diagnose and diff. Text
 * output holds no raw control or bidi character (a newline only as our own line end, no tab) and stays aligned;
 * JSON and JSON lines parse back to the exact strings and hold none raw either; TSV rows keep their field count and
 * unescape to the exact id; HTML holds none raw and no markup from the input. VPC flow logs with a hostile file name and
 * interface id go through info, flows, diagnose and replay. Runs main() in this process (-j 1).
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain, type MainRun } from '../helpers/main.js';
import { REPO_ROOT } from '../helpers/corpus.js';

/** ESC + CSI (7-bit and C1), NUL, RLO, LRI, newline, tab, CR, DEL, U+2028, a backslash, markup. */
const H = '\x1b[31m\x9b2J\x00\u202e\u2066\n\t\r\x7f\u2028\\<script>alert(1)</script>';
const ID = `acl-${H}`;
const NAME = `name-${H}`;
const TAG = `tag-${H}`;
const DESC = `desc-${H}`;
/** The id as text output shows it. */
const ID_SHOWN = 'acl-\\x1b[31m\\x9b2J\\x00\\u202e\\u2066\\x0a\\x09\\x0d\\x7f\\u2028\\<script>alert(1)</script>';

/** Raw characters no text output may hold: C0 but the newline (so the tab too), DEL, C1, U+2028/U+2029, bidi. */
const RAW_TEXT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Raw characters no TSV may hold besides its own tab separators and line ends. */
const RAW_TSV = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** What HTML may not hold raw (the newline is whitespace there, and our tooltips use it). */
const RAW_HTML = RAW_TEXT;

const D = mkdtempSync(join(tmpdir(), 'aclreplay-hostile-output-'));
const MIXED = join(REPO_ROOT, 'captures', 'mixed-clients.pcap');
const FIXED = join(REPO_ROOT, 'examples', 'fixed-return.yaml');
/** File names with ESC, RLO, a newline and a tab (a path cannot hold NUL). */
const ACL_FILE = join(D, 'file-\x1b[31m\u202e\n\t.yaml');
const CAPTURE = join(D, 'cap-\x1b]0;x\x07\u2066\n.pcap');
const SUBNET = '10.0.2.0/24';
/** VPC flow logs (version 2) whose file name and second interface id hold controls (the sniffer reads only line 1). */
const FLOW_LOGS = join(D, 'logs-\x1b[32m\u202e\t.log');
const IFACE = 'eni-\x1b[31m\x07\u202e\x9bx';
const IFACE_SHOWN = 'eni-\\x1b[31m\\x07\\u202e\\x9bx';
const flowLogText = () =>
  [
    '2 123456789012 eni-plain 10.0.1.12 10.0.2.10 55000 80 6 5 500 1700000000 1700000060 ACCEPT OK',
    `2 123456789012 ${IFACE} 10.0.1.11 10.0.2.10 55234 80 6 5 500 1700000000 1700000060 ACCEPT OK`,
    `2 123456789012 ${IFACE} 10.0.2.10 10.0.1.11 80 55234 6 5 500 1700000000 1700000060 REJECT OK`,
    '',
  ].join('\n');

/** A YAML double-quoted scalar of `s`, ASCII only: everything else as \uXXXX (YAML 1.2, section 5.7). */
function yamlString(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.charCodeAt(0);
    out += c === '"' || c === '\\' ? `\\${c}` : code >= 0x20 && code < 0x7f ? c : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

function hostileAcl(): string {
  const text = readFileSync(join(REPO_ROOT, 'examples', 'classic-return.yaml'), 'utf8');
  const out = text
    .replace(/id: \S+/, `id: ${yamlString(ID)}`)
    .replace(/name: .*/, `name: ${yamlString(NAME)}\n    tags: { Owner: ${yamlString(TAG)} }`)
    .replace('description: return traffic', `description: ${yamlString(DESC)}`);
  expect(out).toContain('tags:');
  expect(out).toContain('desc-');
  return out;
}

type Run = MainRun;
const run = runMain;

/** Undo the TSV escaping (\xHH, \uHHHH). */
function unTsv(field: string): string {
  return field.replace(/\\x([0-9a-f]{2})|\\u([0-9a-f]{4})/g, (_m, x: string | undefined, u: string | undefined) => String.fromCharCode(parseInt((x ?? u)!, 16)));
}

/** The fields of each record line of a Zeek-style TSV, checked against #fields; also the field list. */
function tsvRows(text: string): { fields: string[]; rows: string[][] } {
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  const fields = lines.find((l) => l.startsWith('#fields\t'))!.split('\t').slice(1);
  const rows = lines.filter((l) => !l.startsWith('#')).map((l) => l.split('\t'));
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) expect(r, r.join('\t')).toHaveLength(fields.length);
  return { fields, rows };
}

/** Every table of a text output (a header line, a line of dashes, rows until a blank line) keeps its columns aligned. */
function expectAligned(text: string): number {
  const lines = text.split('\n');
  let tables = 0;
  for (let i = 1; i < lines.length; i++) {
    if (!/^-+( {2}-+)*$/.test(lines[i]!)) continue;
    tables++;
    const starts = [...lines[i]!.matchAll(/-+/g)].map((m) => m.index);
    for (let k = i + 1; k < lines.length && lines[k] !== '' && !lines[k]!.startsWith(' '); k++) {
      const row = lines[k]!;
      if (/^\S.* would deny:$/.test(row)) break;
      for (const s of starts.slice(1)) if (s < row.length) expect(row.slice(s - 2, s), `column at ${s} of\n${row}`).toBe('  ');
    }
  }
  return tables;
}

const results = new Map<string, Run>();
const html = new Map<string, string>();

const replayArgs = ['--acl', ACL_FILE, '--subnet', SUBNET, '-j', '1'];
const diffArgs = ['--acl', FIXED, '--acl', ACL_FILE, '--subnet', SUBNET, '-j', '1'];
const RUNS: Record<string, string[]> = {
  'lint table': ['lint', ACL_FILE],
  'lint json': ['lint', ACL_FILE, '-F', 'json'],
  'lint html': ['lint', ACL_FILE, '--html', join(D, 'lint.html')],
  'replay table': ['replay', CAPTURE, ...replayArgs, '--fail-on', 'return-blocked'],
  'replay json': ['replay', CAPTURE, ...replayArgs, '-F', 'json'],
  'replay jsonl': ['replay', CAPTURE, ...replayArgs, '-F', 'jsonl'],
  'replay tsv': ['replay', CAPTURE, ...replayArgs, '-F', 'tsv'],
  'replay html': ['replay', CAPTURE, ...replayArgs, '-F', 'json', '--html', join(D, 'replay.html')],
  'diagnose table': ['diagnose', CAPTURE, ...replayArgs],
  'diagnose json': ['diagnose', CAPTURE, ...replayArgs, '-F', 'json'],
  'diagnose jsonl': ['diagnose', CAPTURE, ...replayArgs, '-F', 'jsonl'],
  'diagnose tsv': ['diagnose', CAPTURE, ...replayArgs, '-F', 'tsv'],
  'diagnose html': ['diagnose', CAPTURE, ...replayArgs, '-F', 'json', '--html', join(D, 'diagnose.html')],
  'diff table': ['diff', CAPTURE, ...diffArgs],
  'diff json': ['diff', CAPTURE, ...diffArgs, '-F', 'json'],
  'diff jsonl': ['diff', CAPTURE, ...diffArgs, '-F', 'jsonl'],
  'logs info table': ['info', FLOW_LOGS],
  'logs info json': ['info', FLOW_LOGS, '-F', 'json'],
  'logs flows tsv': ['flows', FLOW_LOGS, '-F', 'tsv'],
  'logs flows jsonl': ['flows', FLOW_LOGS, '-F', 'jsonl'],
  'logs diagnose table': ['diagnose', FLOW_LOGS, ...replayArgs],
  'logs replay tsv': ['replay', FLOW_LOGS, ...replayArgs, '-F', 'tsv'],
};

beforeAll(async () => {
  writeFileSync(ACL_FILE, hostileAcl());
  symlinkSync(MIXED, CAPTURE);
  writeFileSync(FLOW_LOGS, flowLogText());
  for (const [name, args] of Object.entries(RUNS)) results.set(name, await run(args));
  for (const f of ['lint', 'replay', 'diagnose']) html.set(f, readFileSync(join(D, `${f}.html`), 'utf8'));
}, 120_000);

afterAll(() => rmSync(D, { recursive: true, force: true }));

const get = (name: string): Run => {
  const r = results.get(name)!;
  expect(RAW_TEXT.test(r.stderr), r.stderr).toBe(false);
  return r;
};

describe('hostile strings through every output form', () => {
  it('every run ends as documented, with nothing raw on stderr', () => {
    for (const [name, r] of results) {
      expect([name, r.code, r.stderr.split('\n').length <= 2]).toEqual([name, name === 'replay table' ? 3 : 0, true]);
      expect(RAW_TEXT.test(r.stderr), `${name}: ${r.stderr}`).toBe(false);
    }
    expect(get('replay table').stderr).toContain(`aclreplay: --fail-on matched: ${ID_SHOWN}: `);
  });

  for (const cmd of ['lint', 'replay', 'diagnose', 'diff']) {
    it(`${cmd} table: escaped, the id on one line, columns aligned`, () => {
      const { stdout } = get(`${cmd} table`);
      const raw = RAW_TEXT.exec(stdout);
      expect(raw, raw ? JSON.stringify(stdout.slice(Math.max(0, raw.index - 60), raw.index + 20)) : '').toBeNull();
      expect(stdout).toContain(ID_SHOWN);
      // Wherever the id appears, all of it is on one line (a raw newline would cut it in two).
      const starts = stdout.split('acl-\\x1b[31m').length - 1;
      expect(stdout.split(ID_SHOWN).length - 1).toBe(starts);
      const tables = expectAligned(stdout);
      if (cmd !== 'diagnose') expect(tables).toBeGreaterThan(0);
    });
  }

  it('replay and lint tables show the file names escaped on their line', () => {
    expect(get('replay table').stdout.split('\n')[0]).toMatch(/^.*cap-\\x1b\]0;x\\x07\\u2066\\x0a\.pcap: 1,036 packets/);
    expect(get('lint table').stdout.split('\n')[0]).toContain(`${ID_SHOWN} (name-\\x1b[31m`);
    expect(get('lint table').stdout.split('\n')[0]).toContain('file-\\x1b[31m\\u202e\\x0a\\x09.yaml  [yaml]');
  });

  it('replay table: the rules table is aligned on the escaped id', () => {
    const lines = get('replay table').stdout.split('\n');
    const rows = lines.filter((l) => l.startsWith(ID_SHOWN));
    expect(rows.length).toBeGreaterThan(10);
    const header = lines[lines.findIndex((l) => l.startsWith(ID_SHOWN)) - 2]!;
    expect(header.indexOf('dir')).toBe(ID_SHOWN.length + 2);
    for (const r of rows) expect(r.slice(ID_SHOWN.length, ID_SHOWN.length + 2)).toBe('  ');
  });

  for (const cmd of ['lint', 'replay', 'diagnose', 'diff']) {
    it(`${cmd} json: exact strings, nothing raw`, () => {
      const { stdout } = get(`${cmd} json`);
      expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(stdout)).toBe(false);
      const doc = JSON.parse(stdout) as Record<string, unknown>;
      const text = JSON.stringify(doc);
      expect(text).toContain(JSON.stringify(ID).slice(1, -1));
      if (cmd === 'lint') {
        const acl = (doc.acls as { id: string; name: string; file: string }[])[0]!;
        expect([acl.id, acl.name, acl.file]).toEqual([ID, NAME, ACL_FILE]);
      } else if (cmd === 'replay') {
        const acl = (doc.acls as { acl: string; rules: { acl: string; description: string | null; direction: string; number: number }[] }[])[0]!;
        expect(acl.acl).toBe(ID);
        expect(acl.rules.find((r) => r.direction === 'outbound' && r.number === 100)!.description).toBe(DESC);
        expect(doc.file).toBe(CAPTURE);
      } else if (cmd === 'diagnose') {
        const diagnoses = doc.diagnoses as { scenario: string; message: string }[];
        expect(diagnoses.length).toBeGreaterThan(0);
        expect(diagnoses[0]!.scenario).toBe(ID);
        expect(diagnoses[0]!.message).toContain(ID);
        expect(doc.file).toBe(CAPTURE);
      } else {
        expect(doc.new).toBe(ID);
      }
    });

    if (cmd !== 'lint') {
      it(`${cmd} jsonl: every line parses, exact strings, nothing raw`, () => {
        const { stdout } = get(`${cmd} jsonl`);
        expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(stdout)).toBe(false);
        const lines = stdout.split('\n');
        expect(lines.pop()).toBe('');
        const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(records.length).toBeGreaterThan(0);
        if (cmd === 'replay') for (const r of records) expect(r.acl).toBe(ID);
        if (cmd === 'diagnose') expect(records.some((r) => r.scenario === ID)).toBe(true);
        if (cmd === 'diff') expect(records.length).toBeGreaterThan(0);
      });
    }
  }

  it('replay tsv: every row has its fields, the acl field unescapes to the id', () => {
    const { stdout } = get('replay tsv');
    expect(RAW_TSV.test(stdout)).toBe(false);
    const { fields, rows } = tsvRows(stdout);
    const k = fields.indexOf('acl');
    expect(rows).toHaveLength(120);
    for (const r of rows) expect(unTsv(r[k]!)).toBe(ID);
  });

  it('diagnose tsv: every row has its fields, messages unescape to the exact text', () => {
    const { stdout } = get('diagnose tsv');
    expect(RAW_TSV.test(stdout)).toBe(false);
    const { fields, rows } = tsvRows(stdout);
    const m = fields.indexOf('message');
    const json = JSON.parse(get('diagnose json').stdout) as { diagnoses: { message: string }[] };
    const messages = rows.map((r) => unTsv(r[m]!));
    for (const d of json.diagnoses) expect(messages).toContain(d.message);
  });

  it('flow logs: file and interface names escaped in info and diagnose text, exact in JSON, TSV rows intact', () => {
    for (const name of ['logs info table', 'logs diagnose table']) {
      const { stdout } = get(name);
      expect(RAW_TEXT.exec(stdout), stdout).toBeNull();
      expect(stdout).toContain(IFACE_SHOWN);
      expectAligned(stdout);
    }
    expect(get('logs info table').stdout).toContain('logs-\\x1b[32m\\u202e\\x09.log');
    const info = get('logs info json').stdout;
    expect(RAW_TEXT.test(info.replace(/\n/g, ''))).toBe(false);
    const doc = JSON.parse(info) as { inputs: string[]; interfaces: { interface: string }[] };
    expect(doc.inputs).toEqual([FLOW_LOGS]);
    expect(doc.interfaces.map((i) => i.interface)).toContain(IFACE);
    const flows = get('logs flows jsonl').stdout;
    expect(RAW_TEXT.test(flows.replace(/\n/g, ''))).toBe(false);
    const logged = flows.trimEnd().split('\n').map((l) => (JSON.parse(l) as { logged: { interface: string; record: string } }).logged);
    expect(logged.map((l) => l.interface)).toContain(IFACE);
    expect(logged.map((l) => l.record)).toContain(`${FLOW_LOGS}:2`);
    for (const name of ['logs flows tsv', 'logs replay tsv']) {
      const { stdout } = get(name);
      expect(RAW_TSV.test(stdout)).toBe(false);
      const { fields, rows } = tsvRows(stdout);
      const k = fields.indexOf(name === 'logs flows tsv' ? 'interface' : 'acl');
      expect(rows.map((r) => unTsv(r[k]!))).toContain(name === 'logs flows tsv' ? IFACE : ID);
    }
  });

  for (const page of ['lint', 'replay', 'diagnose']) {
    it(`${page} --html: no raw control or bidi character, no markup from the input`, () => {
      const text = html.get(page)!;
      const raw = RAW_HTML.exec(text);
      expect(raw, raw ? JSON.stringify(text.slice(Math.max(0, raw.index - 60), raw.index + 20)) : '').toBeNull();
      expect(text).not.toMatch(/<script/i);
      expect(text).toContain('acl-\\x1b[31m\\x9b2J\\x00\\u202e\\u2066');
      expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      if (page !== 'diagnose') expect(text).toContain('tag-\\x1b[31m');
      if (page === 'replay') expect(text).toContain('desc-\\x1b[31m');
    });
  }
});
