import { describe, expect, it } from 'vitest';
import { escapeJsonText, jsonText } from '../../src/text/json.js';

describe('jsonText', () => {
  it('is JSON.stringify for ordinary values, indent included', () => {
    const v = { a: [1, 'b', null], 'é': 'Zürich 東京 \\ "q"', n: { x: 1.5 } };
    expect(jsonText(v)).toBe(JSON.stringify(v));
    expect(jsonText(v, 2)).toBe(JSON.stringify(v, null, 2));
  });

  it('writes DEL, C1, U+2028/U+2029 and the bidi controls as \\u escapes; the value round-trips exactly', () => {
    const s = 'a\x7fb\x85c\x9b[2Jd\u2028e\u2029f\u202eg\u2066h\u2069\u202a\x1b\x00\n';
    const text = jsonText({ s });
    expect(text).toBe('{"s":"a\\u007fb\\u0085c\\u009b[2Jd\\u2028e\\u2029f\\u202eg\\u2066h\\u2069\\u202a\\u001b\\u0000\\n"}');
    expect(JSON.parse(text)).toEqual({ s });
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  });

  it('never leaves one raw, whatever the string', () => {
    let all = '';
    for (let c = 0; c < 0x2100; c++) all += String.fromCharCode(c);
    const text = jsonText([all]);
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(text)).toEqual([all]);
    expect(escapeJsonText('plain')).toBe('plain');
  });
});
