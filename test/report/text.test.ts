/** The shared output helpers where strings from inputs meet the output: tables, key/value lines, TSV, terminal text. */
import { describe, expect, it } from 'vitest';
import { keyValues, table, tableChunks, terminalLine, terminalText, tsv, tsvLine, tsvText, jsonLines } from '../../src/report/text.js';

const HOSTILE = 'a\x1b[31m\u202e\n\tb';
const SHOWN = 'a\\x1b[31m\\u202e\\x0a\\x09b';

describe('tables and key/value lines', () => {
  it('escape cells on one line and align on the escaped text', () => {
    const text = table(['id', 'n'], [[HOSTILE, 1], ['plain', 22]]);
    expect(text).toBe(['id' + ' '.repeat(SHOWN.length - 2) + '   n', '-'.repeat(SHOWN.length) + '  --', `${SHOWN}   1`, `plain${' '.repeat(SHOWN.length - 5)}  22`, ''].join('\n'));
    const streamed = [...tableChunks(['id', 'n'], 2, (i) => (i === 0 ? [HOSTILE, 1] : ['plain', 22]))].join('');
    expect(streamed).toBe(text);
  });

  it('leave ordinary cells exactly as before', () => {
    expect(table(['host', 'flows'], [['10.0.0.1', 3], ['2001:db8::1', null]])).toBe('host         flows\n-----------  -----\n10.0.0.1         3\n2001:db8::1      -\n');
    expect(keyValues([['file', 'x.pcap'], ['packets', '1,036']])).toBe('file     x.pcap\npackets  1,036\n');
  });

  it('key/value values are escaped on one line', () => {
    expect(keyValues([['file', HOSTILE]])).toBe(`file  ${SHOWN}\n`);
  });
});

describe('terminal text', () => {
  it('terminalText keeps newlines and escapes the rest; terminalLine escapes newlines too', () => {
    expect(terminalText(`x ${HOSTILE}\ny\n`)).toBe('x a\\x1b[31m\\u202e\n\\x09b\ny\n');
    expect(terminalLine(HOSTILE)).toBe(SHOWN);
    expect(terminalText('plain\ntext\n')).toBe('plain\ntext\n');
  });
});

describe('TSV fields', () => {
  it('escape the backslash and every control as Zeek does, bidi and U+2028 as \\u, reversibly', () => {
    expect(tsvText('a\\b\tc\nd\re\x1bf\x9bg\x7fh\u202ei\u2028')).toBe('a\\x5cb\\x09c\\x0ad\\x0de\\x1bf\\x9bg\\x7fh\\u202ei\\u2028');
    expect(tsvText('10.0.0.1 Zürich')).toBe('10.0.0.1 Zürich');
  });

  it('a row keeps its field count, lists escape commas inside elements', () => {
    const fields = ['id', 'tags', 'n'];
    const line = tsvLine({ id: HOSTILE, tags: ['x,y', 'z'], n: 3 }, fields);
    expect(line.split('\t')).toEqual([SHOWN.replace('\\u202e', '\\u202e'), 'x\\x2cy,z', '3']);
    const text = tsv('t', fields, ['string', 'vector[string]', 'count'], [{ id: 'a\tb\nc', tags: [], n: null }]);
    expect(text.split('\n').filter((l) => !l.startsWith('#') && l !== '')).toEqual(['a\\x09b\\x0ac\t(empty)\t-']);
  });
});

describe('JSON lines', () => {
  it('one exact object per line, nothing raw', () => {
    const rows = [{ acl: HOSTILE + '\u2028\x85' }, { acl: 'plain' }];
    const text = jsonLines(rows);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(rows);
  });
});
