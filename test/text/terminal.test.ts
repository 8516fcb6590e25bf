import { describe, expect, it } from 'vitest';
import { escapeForTerminal } from '../../src/text/terminal.js';

describe('escapeForTerminal', () => {
  it('writes C0, DEL, C1 and bidi controls as visible escapes', () => {
    expect(escapeForTerminal('\x1b[2J\x1b]0;OWNED\x07')).toBe('\\x1b[2J\\x1b]0;OWNED\\x07');
    expect(escapeForTerminal('a\x00b\x7fc\x9bd\x85')).toBe('a\\x00b\\x7fc\\x9bd\\x85');
    expect(escapeForTerminal('ok\u202eevil\u2066x\u2069\u202a')).toBe('ok\\u202eevil\\u2066x\\u2069\\u202a');
    expect(escapeForTerminal('tab\there\rcr')).toBe('tab\\x09here\\x0dcr');
  });

  it('escapes newlines in one-line text, keeps them only when asked', () => {
    expect(escapeForTerminal('a\nb')).toBe('a\\x0ab');
    expect(escapeForTerminal('a\nb\x1b', { keepNewlines: true })).toBe('a\nb\\x1b');
  });

  it('passes printable text, other Unicode and backslashes unchanged', () => {
    const s = 'acl-01 “Zürich” 東京 \\x1b \u00a0\u200f\u2067x';
    expect(escapeForTerminal(s)).toBe(s.replace('\u2067', '\\u2067'));
    expect(escapeForTerminal('')).toBe('');
  });

  it('never leaves a raw control character, whatever the input', () => {
    let all = '';
    for (let c = 0; c < 0x2100; c++) all += String.fromCharCode(c);
    const out = escapeForTerminal(all);
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });
});
