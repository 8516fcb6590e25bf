/** The pure parts of the HTML report: escaping, the port-strip geometry and layout helpers, rule segments. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { escapeHtml, html, joinParts, num, trusted, Html } from '../../src/report/html/escape.js';
import { AXIS_PORTS, LOW_ZOOM, MIN_MARK, STRIP, laneBins, placeAlong, portX, rangeRects, renderPortStrip, stackLabels, tickX, type PortStripModel } from '../../src/report/html/portstrip.js';
import { decidingRules, hostOf, ruleSegments, profileBands } from '../../src/analyze/strips.js';
import { barSegments } from '../../src/report/html/charts.js';
import { captureFindingsList } from '../../src/report/html/cards.js';
import type { CaptureFinding } from '../../src/analyze/findings.js';
import { alignRules, ruleDiffTable } from '../../src/report/html/diff.js';
import { loadAcls } from '../../src/acl/load.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const HOSTILE = ['<img src=x onerror=alert(1)>', '</script><script>alert(1)</script>', `"'><svg onload=alert(1)>`, '&amp; `x`'];

describe('escaping', () => {
  it('escapes the five HTML specials and the backtick', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
  });

  it('html templates escape every interpolated string, in text and in attributes', () => {
    for (const h of HOSTILE) {
      const out = html`<p title="${h}">${h}</p>`.text;
      // Only the template's own markup remains: one tag pair, one attribute, its two quotes.
      expect(out.match(/</g)).toHaveLength(2);
      expect(out.match(/>/g)).toHaveLength(2);
      expect(out.match(/"/g)).toHaveLength(2);
      expect(out).not.toContain("'");
    }
  });

  it('passes Html through, joins arrays, drops null/undefined/booleans, prints finite numbers only', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`${inner}${[html`<br>`, 'a<b']}${null}${undefined}${false}${true}${3}${NaN}${Infinity}`.text).toBe('<b>&lt;i&gt;</b><br>a&lt;b3');
    expect(joinParts(['<x>', trusted('<hr>')], ' | ').text).toBe('&lt;x&gt; | <hr>');
    expect(inner).toBeInstanceOf(Html);
  });

  it('formats coordinates with one decimal and no negative zero', () => {
    expect(num(1.26)).toBe('1.3');
    expect(num(-0.01)).toBe('0');
    expect(num(100)).toBe('100');
  });
});

describe('port-strip geometry', () => {
  const xb0 = STRIP.x0 + STRIP.lowWidth + STRIP.gap;

  it('maps 0-1023 onto the enlarged panel and 1024-65535 onto the rest, monotonically', () => {
    expect(portX(0)).toBe(STRIP.x0);
    expect(portX(512)).toBeCloseTo(STRIP.x0 + STRIP.lowWidth / 2, 9);
    expect(portX(1024)).toBe(xb0);
    expect(portX(65536)).toBeCloseTo(STRIP.x1, 9);
    expect(portX(1024 + 64512 / 2)).toBeCloseTo((xb0 + STRIP.x1) / 2, 9);
    let last = -Infinity;
    for (let p = 0; p <= 65536; p += 97) {
      expect(portX(p)).toBeGreaterThan(last);
      last = portX(p);
    }
    expect(LOW_ZOOM).toBeGreaterThan(5);
  });

  it('an allowed range becomes a rect from its first port to the end of its last', () => {
    const [r] = rangeRects(32768, 65535);
    expect(r!.x).toBeCloseTo(xb0 + ((32768 - 1024) * (STRIP.x1 - xb0)) / 64512, 9);
    expect(r!.x + r!.w).toBeCloseTo(STRIP.x1, 9);
    const nat = rangeRects(1024, 65535);
    expect(nat).toHaveLength(1);
    expect(nat[0]!.x).toBe(xb0);
  });

  it('a range across 1023/1024 is split into one rect per panel; the full range covers both panels exactly', () => {
    const all = rangeRects(0, 65535);
    expect(all).toHaveLength(2);
    expect(all[0]).toEqual({ x: STRIP.x0, w: STRIP.lowWidth });
    expect(all[1]!.x).toBe(xb0);
    expect(all[1]!.x + all[1]!.w).toBeCloseTo(STRIP.x1, 9);
    const across = rangeRects(1000, 2000);
    expect(across).toHaveLength(2);
    expect(across[0]!.x + across[0]!.w).toBeCloseTo(STRIP.x0 + STRIP.lowWidth, 9);
    expect(across[1]!.x).toBe(xb0);
  });

  it('a single port stays visible (MIN_MARK wide) and centred on its position, inside its panel', () => {
    const [r80] = rangeRects(80, 80);
    expect(r80!.w).toBe(MIN_MARK);
    expect(r80!.x + r80!.w / 2).toBeCloseTo(portX(80.5), 9);
    const [r0] = rangeRects(0, 0);
    expect(r0!.x).toBe(STRIP.x0);
    const [rTop] = rangeRects(65535, 65535);
    expect(rTop!.x + rTop!.w).toBeCloseTo(STRIP.x1, 9);
  });

  it('axis ticks: the ports issue 6 asks for, the last one at the right end', () => {
    expect([...AXIS_PORTS]).toEqual([0, 1024, 5000, 10000, 32768, 49152, 60999, 65535]);
    expect(tickX(65535)).toBe(STRIP.x1);
    expect(tickX(1024)).toBe(xb0);
  });

  it('stackLabels puts overlapping labels on another row and reuses rows when there is room', () => {
    expect(stackLabels([{ x: 10, width: 20 }, { x: 15, width: 20 }, { x: 60, width: 20 }, { x: 64, width: 20 }])).toEqual([0, 1, 0, 1]);
    const ticks = AXIS_PORTS.map((p) => ({ x: tickX(p), width: 30 }));
    expect(Math.max(...stackLabels(ticks))).toBe(0); // the default axis fits on one row
  });

  it('placeAlong pushes labels right past each other and gives up at the edge', () => {
    expect(placeAlong([{ x: 10, width: 10 }, { x: 12, width: 10 }, { x: 40, width: 10 }], 0, 100, 2)).toEqual([5, 17, 35]);
    expect(placeAlong([{ x: 90, width: 10 }, { x: 91, width: 10 }], 0, 100, 2)).toEqual([85, null]);
  });

  it('laneBins counts ports sharing a bar and keeps their exact range', () => {
    const bins = laneBins([33000, 33001, 33002, 60000, 80], ['ok', 'ok', 'return-blocked', 'ok', 'ok']);
    expect(bins.map((b) => b.count).reduce((a, b) => a + b, 0)).toBe(5);
    const b = bins.find((x) => x.lo === 33000)!;
    expect(b).toMatchObject({ count: 3, lo: 33000, hi: 33002 });
    expect([...b.detail]).toEqual([
      ['ok', 2],
      ['return-blocked', 1],
    ]);
    expect(bins.map((x) => x.x)).toEqual([...bins.map((x) => x.x)].sort((p, q) => p - q));
  });
});

describe('renderPortStrip', () => {
  const model: PortStripModel = {
    label: 'test strip',
    data: [['acl', HOSTILE[0]!]],
    bands: [{ key: 'linux', label: 'Linux', range: [32768, 60999], note: '2 clients', title: 'linux band' }],
    rows: [
      {
        label: 'TCP · IPv4',
        segments: [
          { lo: 0, hi: 32767, allowed: false, rule: '*', title: 'denied' },
          { lo: 32768, hi: 65535, allowed: true, rule: '100', title: 'allowed' },
        ],
        lanes: [{ tone: 'return-blocked', label: 'return-blocked', ports: [1500, 2000, 2001], noun: 'connections', what: 'client ports of replies' }],
      },
    ],
  };
  const svg = renderPortStrip(model).text;

  it('draws each segment at the geometry of its range, with its rule in data attributes', () => {
    const allow = /<g class="seg allow" data-lo="32768" data-hi="65535" data-rule="100">.*?<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/s.exec(svg);
    expect(allow).not.toBeNull();
    expect(Number(allow![1])).toBeCloseTo(portX(32768), 1);
    expect(Number(allow![1]) + Number(allow![2])).toBeCloseTo(STRIP.x1, 0);
    const deny = /<g class="seg deny" data-lo="0" data-hi="32767" data-rule="\*">(.*?)<\/g>/s.exec(svg);
    expect(deny![1]!.match(/<rect /g)).toHaveLength(2); // both panels
    expect(svg).toContain('allow · rule 100');
  });

  it('draws profile bands, axis labels for every axis port, and lane bars with exact numbers in titles', () => {
    expect(svg).toMatch(/<g class="band" data-profile="linux" data-lo="32768" data-hi="60999">/);
    for (const p of AXIS_PORTS) expect(svg).toContain(`text-anchor="middle">${p}</text>`);
    expect(svg).toMatch(/<g class="lane" data-tone="return-blocked" data-count="3">/);
    expect(svg).toContain('return-blocked: 2 connections, client ports of replies 2000–2001');
    expect(svg).toContain('return-blocked: 1 connection, client ports of replies 1500');
  });

  it('escapes data attribute values and refuses attribute names not made here', () => {
    expect(svg).toContain('data-acl="&lt;img src=x onerror=alert(1)&gt;"');
    expect(() => renderPortStrip({ ...model, data: [['x" onload="alert(1)', 'v']] })).toThrow(/bad data attribute/);
  });
});

describe('rule segments', () => {
  const [acl] = loadAcls(join(REPO_ROOT, 'examples', 'classic-return.yaml'), {});
  const server = hostOf('10.0.2.10')!;
  const client = hostOf('10.0.1.13')!;
  const probe = { family: 4 as const, src: server, dst: client, sport: 80, tcpFlags: 0x12 };

  it('decidingRules finds the rule for every run of ports (egress, TCP): * below 32768, rule 100 above', () => {
    const runs = decidingRules(acl!.outbound, probe, 6);
    expect(runs.map((r) => [r.lo, r.hi, acl!.outbound[r.index]!.ruleNumber])).toEqual([
      [0, 32767, '*'],
      [32768, 65535, 100],
    ]);
    const udp = decidingRules(acl!.outbound, probe, 17);
    expect(udp.map((r) => acl!.outbound[r.index]!.ruleNumber)).toEqual(['*', 110]);
  });

  it('ruleSegments follows the allowed ports and says when another ACL on the path decided', () => {
    const runs = decidingRules(acl!.outbound, probe, 6);
    const allowed = new Uint8Array(65536).fill(1, 32768);
    const segs = ruleSegments(acl!.outbound, runs, allowed, 'TCP:');
    expect(segs.map((s) => [s.lo, s.hi, s.allowed, s.rule])).toEqual([
      [0, 32767, false, '*'],
      [32768, 65535, true, '100'],
    ]);
    expect(segs[1]!.title).toContain('ports 32768–65535 (32,768 ports) allowed: rule 100 allow');
    // In a topology another ACL may deny what this one allows: the segment follows the verdict and says why.
    const other = new Uint8Array(65536).fill(1, 40000);
    const split = ruleSegments(acl!.outbound, runs, other, 'TCP:');
    expect(split.map((s) => [s.lo, s.hi, s.allowed])).toEqual([
      [0, 32767, false],
      [32768, 39999, false],
      [40000, 65535, true],
    ]);
    expect(split[1]!.title).toContain('denied by another ACL on the path');
  });

  it('profile bands carry each row\'s coverage of the profile in their tooltip', () => {
    const allowed = new Uint8Array(65536).fill(1, 32768);
    const bands = profileBands(null, [{ label: 'TCP · IPv4', allowed }]);
    expect(bands.map((b) => b.key)).toEqual(['linux', 'windows', 'windows-legacy', 'nat']);
    expect(bands.find((b) => b.key === 'linux')!.title).toContain('TCP · IPv4: 100% allowed');
    expect(bands.find((b) => b.key === 'windows-legacy')!.title).toContain('TCP · IPv4: 0% allowed');
    expect(bands.find((b) => b.key === 'nat')!.title).toContain('TCP · IPv4: 51% allowed (1024-32767 not)');
  });
});

describe('charts and the rule diff', () => {
  it('outcome bar segments are proportional and skip empty outcomes', () => {
    const segs = barSegments({ ok: 75, 'forward-blocked': 0, 'return-blocked': 25, 'both-blocked': 0, 'not-applicable': 0 }, 100, 500);
    expect(segs).toEqual([
      { outcome: 'ok', n: 75, x: 100, w: 300 },
      { outcome: 'return-blocked', n: 25, x: 400, w: 100 },
    ]);
  });

  it('aligns two ACLs by direction, family and rule number and marks the changed fields', () => {
    const [a] = loadAcls(join(REPO_ROOT, 'examples', 'classic-return.yaml'), {});
    const [b] = loadAcls(join(REPO_ROOT, 'examples', 'fixed-return.yaml'), {});
    const rows = alignRules(a!, b!, null, null);
    expect(rows).toHaveLength(a!.inbound.length + a!.outbound.length);
    const table = ruleDiffTable(rows, a!.id, b!.id).text;
    const changed = [...table.matchAll(/<tr class="changed" data-status="changed" data-rule="(\d+)">/g)].map((m) => m[1]);
    expect(changed).toEqual(['100', '101', '110', '111']);
    expect(table).toContain('<td class="a mono chg">32768-65535</td>');
    expect(table).toContain('<td class="b mono chg">1024-65535</td>');
  });
});

describe('capture findings list', () => {
  const finding = (i: number, failed: number): CaptureFinding => ({
    code: 'SERVICE_UNREACHABLE',
    server: `10.0.0.${i}`,
    serverPort: 8000 + i,
    proto: 'tcp',
    failed,
    reason: 'unanswered',
    clients: 1,
    clientPorts: null,
    message: `service ${i} unreachable`,
    examples: [],
  });

  it('cards for the most failed attempts, a table for the next 60, a note for the rest', () => {
    const findings = Array.from({ length: 70 }, (_, i) => finding(i, (i * 37) % 71));
    const out = captureFindingsList(findings, 2).text;
    const cards = [...out.matchAll(/<span class="where">tcp\/(\d+) on/g)].map((m) => Number(m[1]) - 8000);
    const byFailed = findings.map((f, i) => ({ i, failed: f.failed })).sort((a, b) => b.failed - a.failed);
    expect(cards).toEqual(byFailed.slice(0, 2).map((x) => x.i));
    expect(out.match(/<tr data-code="SERVICE_UNREACHABLE">/g)).toHaveLength(60);
    expect(out).toContain('<h3>68 more findings</h3>');
    expect(out).toContain('8 findings with fewer failures not shown');
  });

  it('no table when every finding gets a card', () => {
    const out = captureFindingsList([finding(1, 3), finding(2, 5)], 6).text;
    expect(out.match(/class="card capture-finding/g)).toHaveLength(2);
    expect(out).not.toContain('more finding');
  });
});
