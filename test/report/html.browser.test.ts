/// <reference lib="dom" />
/**
 * The HTML reports in a real browser: Debian's Chromium driven by playwright-core (no browser download). Checks the
 * DOM against the JSON report, that nothing is fetched and nothing runs, that hostile input stays text, and the
 * layout (no label outside its picture, no overlapping axis labels); writes screenshots and a PDF to test/out/html/
 * for people to look at (DEVELOPERS.md). Skips with a message when /usr/bin/chromium is absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { renderReplayHtml, renderLintHtml, renderDiagnoseHtml } from '../../src/report/html.js';
import { replayView, lintView } from '../../src/analyze/views.js';
import { verdictViews } from '../helpers/tables.js';
import { portX } from '../../src/report/html/portstrip.js';
import { CSP } from '../../src/report/html/page.js';
import { escapeHtml } from '../../src/report/html/escape.js';
import { runReplay, type ReplayResult } from '../../src/analyze/replay.js';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { captureFindings } from '../../src/analyze/findings.js';
import { inferClients } from '../../src/flow/clients.js';
import { diffScenarios } from '../../src/analyze/diff.js';
import { OUTCOMES } from '../../src/verdict/outcomes.js';
import type { Fix } from '../../src/analyze/diagnoses/index.js';
import { loadAcls } from '../../src/acl/load.js';
import { lintAcl } from '../../src/analyze/lint.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { hasTool } from '../helpers/tools.js';
import { HOSTILE, HOSTILE_IDS, hostileFiles } from '../fixtures/html/hostile.js';

export const CHROMIUM = '/usr/bin/chromium';
/** The flags DEVELOPERS.md documents: headless, no sandbox (containers), nothing that phones home. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

const OUT = join(REPO_ROOT, 'test', 'out', 'html');
const CAPTURES = join(REPO_ROOT, 'captures');
const CANDIDATES = ['classic-return.yaml', 'fixed-return.yaml'].map((f) => join(REPO_ROOT, 'examples', f));
const SUBNETS = ['10.0.2.0/24', 'fd00:2::/64'];
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) process.stderr.write(`SKIP HTML report browser tests: ${CHROMIUM} not installed (apt-get install -y chromium; see DEVELOPERS.md)\n`);

/** Elements a report is made of; anything else came from an input. */
const ALLOWED = new Set('html head meta title style body svg defs pattern rect circle g text tspan line main header footer h1 h2 h3 h4 p b dl dt dd div span nav ol ul li a section table thead tbody tr th td caption figure figcaption pre code br'.split(' '));

interface Opened {
  page: Page;
  context: BrowserContext;
  /** Every request the page made (the document itself included). */
  requests: string[];
  /** Requests other than the document, aborted by the route. */
  blocked: string[];
  dialogs: string[];
  errors: string[];
}

let browser: Browser;

/** Open a report file with every network request blocked (and recorded); CSP bypassed so the HTML alone is tested. */
async function open(file: string, width = 1200): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true, javaScriptEnabled: true });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const o: Opened = { page, context, requests: [], blocked: [], dialogs: [], errors: [] };
  page.on('request', (r) => o.requests.push(r.url()));
  page.on('dialog', (d) => {
    o.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => o.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') o.errors.push(m.text());
  });
  await context.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    o.blocked.push(route.request().url());
    return route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return o;
}

function write(name: string, text: string): string {
  const file = join(OUT, name);
  writeFileSync(file, text);
  return file;
}

/** Text of every SVG <text> that leaves its picture's viewBox horizontally, and overlapping axis labels. */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const svg of Array.from(document.querySelectorAll('svg[viewBox]'))) {
      const vb = (svg as SVGSVGElement).viewBox.baseVal;
      if (vb.width === 0) continue;
      for (const t of Array.from(svg.querySelectorAll('text'))) {
        const b = (t as SVGTextElement).getBBox();
        if (b.x < vb.x - 1 || b.x + b.width > vb.x + vb.width + 1) out.push(`outside: "${t.textContent}" ${b.x.toFixed(0)}+${b.width.toFixed(0)} of ${vb.width}`);
      }
      const labels = Array.from(svg.querySelectorAll('text.tick-label')).map((t) => ({ t: t.textContent, b: (t as SVGTextElement).getBBox() }));
      for (let i = 0; i < labels.length; i++)
        for (let j = i + 1; j < labels.length; j++) {
          const p = labels[i]!.b;
          const q = labels[j]!.b;
          if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height) out.push(`overlap: ${labels[i]!.t} / ${labels[j]!.t}`);
        }
    }
    return out;
  });
}

/** Tag names outside the allowed set, attributes named on*, src, or non-fragment hrefs, anywhere in the DOM. */
async function foreignMarkup(page: Page, allowed: string[]): Promise<string[]> {
  return page.evaluate((allowedTags) => {
    const ok = new Set(allowedTags);
    const out: string[] = [];
    for (const el of Array.from(document.getElementsByTagName('*'))) {
      const tag = el.tagName.toLowerCase();
      if (!ok.has(tag)) out.push(`element <${tag}>`);
      for (const a of Array.from(el.attributes)) {
        if (a.name.startsWith('on') || a.name === 'src' || a.name === 'srcdoc' || a.name === 'xlink:href') out.push(`attribute ${a.name} on <${tag}>`);
        if (a.name === 'href' && !/^#[a-z0-9-]+$/.test(a.value)) out.push(`href ${a.value}`);
      }
    }
    return out;
  }, allowed);
}

async function pdfToPng(pdf: string, prefix: string): Promise<string[]> {
  if (!hasTool('pdftoppm')) {
    process.stderr.write('SKIP PDF page images: pdftoppm not installed (apt-get install -y poppler-utils)\n');
    return [];
  }
  const r = spawnSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '4', pdf, prefix], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return ['1', '2', '3', '4'].map((n) => `${prefix}-${n}.png`).filter(existsSync);
}

describe.skipIf(!HAVE_CHROMIUM)('HTML reports in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('replay report: mixed-clients.pcap against classic-return and fixed-return', () => {
    let r: ReplayResult;
    let o: Opened;
    beforeAll(async () => {
      r = await runReplay(join(CAPTURES, 'mixed-clients.pcap'), { acls: CANDIDATES, subnets: SUBNETS, load: {} }, { jobs: 1 });
      o = await open(write('replay-mixed.html', renderReplayHtml(replayView(r))));
    });
    afterAll(async () => {
      await o?.context.close();
    });

    it('loads without fetching anything, running anything or logging errors', () => {
      expect(o.blocked).toEqual([]);
      expect(o.requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      expect(o.requests).toHaveLength(1);
      expect(o.dialogs).toEqual([]);
      expect(o.errors).toEqual([]);
    });

    it('the outcome chart and table show each candidate\'s counts from the JSON report', async () => {
      const dom = await o.page.evaluate(() =>
        Array.from(document.querySelectorAll('#outcomes svg.outcome-chart g.outcome-bar')).map((g) => ({
          candidate: g.getAttribute('data-candidate'),
          total: Number(g.getAttribute('data-total')),
          segs: Object.fromEntries(Array.from(g.querySelectorAll('g.outcome-seg')).map((s) => [s.getAttribute('data-outcome')!, { n: Number(s.getAttribute('data-count')), width: s.querySelector('rect')!.getBoundingClientRect().width, title: s.querySelector('title')!.textContent ?? '' }])) as Record<string, { n: number; width: number; title: string }>,
        })),
      );
      expect(dom.map((d) => d.candidate)).toEqual(['classic-return', 'fixed-return']);
      r.report.acls.forEach((a, s) => {
        const d = dom[s]!;
        expect(d.total).toBe(r.report.connections);
        for (const oc of OUTCOMES) {
          if (a.outcomes[oc] === 0) expect(d.segs[oc]).toBeUndefined();
          else {
            expect(d.segs[oc]!.n).toBe(a.outcomes[oc]);
            expect(d.segs[oc]!.title).toContain(`${a.outcomes[oc]} of ${r.report.connections} connections`);
            expect(d.segs[oc]!.width).toBeGreaterThan(0);
          }
        }
        // Widths on screen are proportional to the counts.
        const ok = d.segs.ok!;
        const other = Object.values(d.segs).filter((x) => x !== ok)[0]!;
        expect(ok.width / other.width).toBeCloseTo(ok.n / other.n, 1);
      });
      const cells = await o.page.evaluate(() => Array.from(document.querySelectorAll('table.outcomes-table tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td[data-outcome]')).map((td) => td.textContent)));
      expect(cells).toEqual(r.report.acls.map((a) => OUTCOMES.map((oc) => String(a.outcomes[oc]))));
    });

    it('has a port strip per candidate and direction: four profile bands where the profiles are, rows covering 0-65535', async () => {
      const strips = await o.page.evaluate(() =>
        Array.from(document.querySelectorAll('svg.port-strip')).map((svg) => {
          const tick = (port: string) => Array.from(svg.querySelectorAll('.axis text.tick-label')).find((t) => t.textContent === port);
          return {
            acl: svg.getAttribute('data-acl'),
            direction: svg.getAttribute('data-direction'),
            width: svg.getBoundingClientRect().width,
            bands: Array.from(svg.querySelectorAll('g.band')).map((b) => ({
              profile: b.getAttribute('data-profile'),
              lo: Number(b.getAttribute('data-lo')),
              hi: Number(b.getAttribute('data-hi')),
              x: Number(b.querySelector('rect')!.getAttribute('x')),
              left: b.querySelector('rect')!.getBoundingClientRect().left,
              title: b.querySelector('title')!.textContent,
            })),
            tick32768: tick('32768')!.getBoundingClientRect(),
            rows: Array.from(svg.querySelectorAll('g.strip-row')).map((row) => ({
              label: row.getAttribute('data-row'),
              segs: Array.from(row.querySelectorAll('g.seg')).map((g) => ({ lo: Number(g.getAttribute('data-lo')), hi: Number(g.getAttribute('data-hi')), allow: g.classList.contains('allow'), rule: g.getAttribute('data-rule') })),
            })),
          };
        }),
      );
      expect(strips.map((s) => `${s.acl} ${s.direction}`)).toEqual(['classic-return inbound', 'classic-return outbound', 'fixed-return inbound', 'fixed-return outbound']);
      for (const s of strips) {
        expect(s.width).toBeGreaterThan(800);
        expect(s.bands.map((b) => [b.profile, b.lo, b.hi])).toEqual([
          ['linux', 32768, 60999],
          ['windows', 49152, 65535],
          ['windows-legacy', 1025, 5000],
          ['nat', 1024, 65535],
        ]);
        for (const b of s.bands) expect(b.x).toBeCloseTo(portX(b.lo), 0);
        // On screen, the Linux band starts exactly under the 32768 axis label.
        const linux = s.bands[0]!;
        expect(Math.abs(linux.left - (s.tick32768.left + s.tick32768.width / 2))).toBeLessThan(1.5);
        expect(s.rows.map((row) => row.label)).toEqual(['TCP · IPv4', 'UDP · IPv4', 'TCP · IPv6', 'UDP · IPv6']);
        for (const row of s.rows) {
          expect(row.segs[0]!.lo).toBe(0);
          expect(row.segs[row.segs.length - 1]!.hi).toBe(65535);
          row.segs.slice(1).forEach((g, i) => expect(g.lo).toBe(row.segs[i]!.hi + 1));
        }
      }
      const egress = (acl: string, row: string) => strips.find((s) => s.acl === acl && s.direction === 'outbound')!.rows.find((x) => x.label === row)!.segs;
      expect(egress('classic-return', 'TCP · IPv4').filter((g) => g.allow)).toEqual([{ lo: 32768, hi: 65535, allow: true, rule: '100' }]);
      expect(egress('fixed-return', 'TCP · IPv4').filter((g) => g.allow)).toEqual([{ lo: 1024, hi: 65535, allow: true, rule: '100' }]);
      expect(egress('fixed-return', 'UDP · IPv6').filter((g) => g.allow)).toEqual([{ lo: 1024, hi: 65535, allow: true, rule: '111' }]);
      const ingress = strips.find((s) => s.acl === 'classic-return' && s.direction === 'inbound')!.rows[0]!.segs;
      expect(ingress.filter((g) => g.allow)).toEqual([{ lo: 80, hi: 80, allow: true, rule: '100' }]);
      // The Windows XP band's tooltip says how much of it classic-return's egress allows: none.
      expect(strips[1]!.bands[2]!.title).toContain('TCP · IPv4: 0% allowed');
    });

    it('overlays the client ports of the capture: the return-blocked lanes of classic-return\'s egress hold exactly its return-blocked connections', async () => {
      const lanes = await o.page.evaluate(() =>
        Array.from(document.querySelectorAll('svg.port-strip')).map((svg) => ({
          key: `${svg.getAttribute('data-acl')} ${svg.getAttribute('data-direction')}`,
          lanes: Array.from(svg.querySelectorAll('g.lane')).map((l) => ({ tone: l.getAttribute('data-tone'), count: Number(l.getAttribute('data-count')), ticks: Array.from(l.querySelectorAll('rect.tick')).reduce((n, t) => n + Number(t.getAttribute('data-count')), 0) })),
        })),
      );
      const sum = (key: string, tone: string) => lanes.find((s) => s.key === key)!.lanes.filter((l) => l.tone === tone).reduce((n, l) => n + l.count, 0);
      const returnBlocked = verdictViews(r, 0).filter((v) => v.outcome === 'return-blocked' && v.connection.clientPort !== null).length;
      expect(returnBlocked).toBe(r.report.acls[0]!.outcomes['return-blocked']);
      expect(sum('classic-return outbound', 'return-blocked')).toBe(returnBlocked);
      expect(sum('fixed-return outbound', 'return-blocked')).toBe(0);
      // The requests denied on ingress are the forward-blocked ones, the same under both candidates.
      expect(sum('classic-return inbound', 'forward-blocked')).toBe(r.report.acls[0]!.outcomes['forward-blocked']);
      expect(sum('fixed-return inbound', 'forward-blocked')).toBe(r.report.acls[1]!.outcomes['forward-blocked']);
      for (const s of lanes) for (const l of s.lanes) expect(l.ticks).toBe(l.count);
    });

    it('lists every rule with its hit count and bar; never-hit rules are marked', async () => {
      const rows = await o.page.evaluate(() =>
        Array.from(document.querySelectorAll('section.candidate table.rules')).flatMap((t) =>
          Array.from(t.querySelectorAll('tbody tr')).map((tr) => ({
            acl: t.getAttribute('data-acl'),
            direction: t.getAttribute('data-direction'),
            rule: tr.getAttribute('data-rule'),
            family: Number(tr.getAttribute('data-family')),
            hits: tr.querySelector('td.hits .n')!.textContent,
            bar: tr.querySelector('svg.hit-bar title')!.textContent,
            unused: tr.querySelector('[data-mark="unused"]') !== null,
          })),
        ),
      );
      const expected = r.report.acls.flatMap((a) => a.rules);
      expect(rows).toHaveLength(expected.length);
      for (const rule of expected) {
        const row = rows.find((x) => x.acl === rule.acl && x.direction === rule.direction && x.rule === String(rule.number) && x.family === rule.family)!;
        expect(row.hits).toBe(rule.hits.toLocaleString('en-US'));
        expect(row.bar).toContain(`${rule.hits.toLocaleString('en-US')} packet`);
        expect(row.unused).toBe(rule.hits === 0);
      }
      expect(rows.filter((x) => x.unused).length).toBe(r.report.acls.reduce((n, a) => n + a.unusedRules.length, 0));
    });

    it('shows each diagnosis as a card, the fix with the exact aws command and "verified by replaying"', async () => {
      const cards = await o.page.evaluate(() =>
        Array.from(document.querySelectorAll('section.candidate')).map((sec) =>
          Array.from(sec.querySelectorAll('.card.diagnosis')).map((c) => ({
            code: c.getAttribute('data-code'),
            message: c.querySelector('.message')!.textContent,
            command: c.querySelector('.fix pre.cmd code')?.textContent ?? null,
            verified: c.querySelector('.fix .verified')?.textContent ?? null,
          })),
        ),
      );
      r.report.acls.forEach((a, s) => {
        expect(cards[s]!.map((c) => c.code)).toEqual(a.diagnoses.map((d) => d.code));
        a.diagnoses.forEach((d, i) => {
          expect(cards[s]![i]!.message).toBe(d.message);
          const fix = d.fix as Fix | undefined;
          expect(cards[s]![i]!.command).toBe(fix ? fix.command : null);
          expect(cards[s]![i]!.verified).toBe(fix?.verified ? '✓ verified by replaying' : null);
        });
      });
      expect(cards[0]!.filter((c) => c.command).length).toBeGreaterThan(0);
    });

    it('shows the diff side by side with the numbers diffScenarios gives', async () => {
      const d = diffScenarios(r, 0, 1);
      const dom = await o.page.evaluate(() => {
        const b = document.querySelector('section.diff-block')!;
        return {
          changed: Number(b.getAttribute('data-changed')),
          fixed: Number(b.getAttribute('data-fixed')),
          summary: b.querySelector('.summary-line')!.textContent,
          changes: Array.from(b.querySelectorAll('tr.change')).map((tr) => [tr.getAttribute('data-from'), tr.getAttribute('data-to'), Number(tr.getAttribute('data-connections'))]),
          changedRules: Array.from(b.querySelectorAll('table.diff tr[data-status="changed"]')).map((tr) => [tr.getAttribute('data-rule'), Array.from(tr.querySelectorAll('td.chg')).map((td) => td.textContent)]),
        };
      });
      expect(dom.changed).toBe(d.changed);
      expect(dom.fixed).toBe(d.fixed);
      expect(dom.summary).toContain(`${d.changed} of ${d.connections} connections change outcome: ✓ ${d.fixed} fixed, ${d.broken} broken`);
      expect(dom.changes).toEqual(d.changes.map((c) => [c.from, c.to, c.connections]));
      expect(dom.changedRules).toEqual([
        ['100', ['32768-65535', '1024-65535']],
        ['101', ['32768-65535', '1024-65535']],
        ['110', ['32768-65535', '1024-65535']],
        ['111', ['32768-65535', '1024-65535']],
      ]);
    });

    it('keeps every label inside its picture and axis labels apart', async () => {
      expect(await layoutProblems(o.page)).toEqual([]);
    });

    it('prints: white page, a page break before each candidate, no navigation box; writes screenshots and a PDF', async () => {
      await o.page.screenshot({ path: join(OUT, 'replay-mixed.png'), fullPage: true });
      const strips = o.page.locator('figure.strip');
      expect(await strips.count()).toBe(4);
      await strips.nth(1).screenshot({ path: join(OUT, 'replay-mixed-strip-classic-egress.png') });
      await strips.nth(3).screenshot({ path: join(OUT, 'replay-mixed-strip-fixed-egress.png') });
      await o.page.locator('#outcomes').screenshot({ path: join(OUT, 'replay-mixed-outcomes.png') });
      await o.page.emulateMedia({ media: 'print' });
      const print = await o.page.evaluate(() => ({
        body: getComputedStyle(document.body).backgroundColor,
        breaks: Array.from(document.querySelectorAll('section.candidate')).map((s) => getComputedStyle(s).breakBefore),
        nav: getComputedStyle(document.querySelector('nav.toc')!).display,
        dark: Array.from(document.querySelectorAll('main, section, div, pre, table, th, td, figure')).filter((e) => {
          const m = /rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)/.exec(getComputedStyle(e).backgroundColor);
          return m && (m[4] === undefined || Number(m[4]) > 0) && (Number(m[1]) + Number(m[2]) + Number(m[3])) / 3 < 200;
        }).length,
      }));
      expect(print).toEqual({ body: 'rgb(255, 255, 255)', breaks: ['page', 'page'], nav: 'none', dark: 0 });
      const pdf = join(OUT, 'replay-mixed.pdf');
      await o.page.pdf({ path: pdf, format: 'A4', printBackground: true });
      await o.page.emulateMedia({ media: 'screen' });
      const pages = await pdfToPng(pdf, join(OUT, 'replay-mixed-pdf'));
      if (hasTool('pdftoppm')) expect(pages.length).toBeGreaterThanOrEqual(3);
    });
  });

  describe('hostile ACL ids, names, descriptions, tags and file names', () => {
    let r: ReplayResult;
    let doc: string;
    beforeAll(async () => {
      const files = hostileFiles(join(CAPTURES, 'mixed-clients.pcap'));
      r = await runReplay(files.capture, { acls: [files.acl], subnets: SUBNETS, load: {} }, { jobs: 1 });
      doc = renderReplayHtml(replayView(r));
      expect(r.report.acls.map((a) => a.acl)).toEqual(HOSTILE_IDS);
    });

    for (const variant of ['as written', 'with its Content-Security-Policy removed'] as const) {
      it(`stays inert ${variant}: only the report's own elements, no handlers, the hostile text shown literally`, async () => {
        const cspMeta = `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`;
        expect(doc).toContain(cspMeta);
        const text = variant === 'as written' ? doc : doc.replace(cspMeta, '');
        const o = await open(write(variant === 'as written' ? 'replay-hostile.html' : 'replay-hostile-nocsp.html', text));
        try {
          expect(await foreignMarkup(o.page, [...ALLOWED])).toEqual([]);
          expect(o.dialogs).toEqual([]);
          expect(o.blocked).toEqual([]);
          expect(o.requests).toHaveLength(1);
          const dom = await o.page.evaluate(() => ({
            title: document.title,
            text: document.body.textContent ?? '',
            capture: document.querySelector('[data-field="capture-file"]')!.textContent,
            stripAcls: Array.from(document.querySelectorAll('svg.port-strip')).map((s) => s.getAttribute('data-acl')),
            commands: Array.from(document.querySelectorAll('pre.cmd code')).map((c) => c.textContent),
            tags: document.querySelector('dd.tags')!.textContent,
            descs: Array.from(document.querySelectorAll('table.rules td.desc')).map((td) => td.textContent),
            images: document.images.length,
            scripts: document.scripts.length,
          }));
          expect(dom.images).toBe(0);
          expect(dom.scripts).toBe(0);
          expect(dom.title).toContain(HOSTILE.script);
          expect(dom.capture).toBe(r.report.file);
          expect(dom.capture).toContain(HOSTILE.img);
          expect(dom.capture).toContain(HOSTILE.svg);
          expect([...new Set(dom.stripAcls)]).toEqual(HOSTILE_IDS);
          for (const h of Object.values(HOSTILE)) expect(dom.text).toContain(h);
          expect(dom.tags).toBe('<b onclick=alert(2)>Owner</b>=</style><img src=x onerror=alert(3)>');
          expect(dom.descs).toEqual(expect.arrayContaining(['<img src=x onerror=alert(1)>', '</script><script>alert(1)</script>', '<a href=javascript:alert(7)>x</a>', '<style>body{display:none}</style>', '<!-- --><script>alert(8)</script>']));
          const commands = r.report.acls.flatMap((a) => a.diagnoses.map((d) => (d.fix as Fix | undefined)?.command)).filter((c): c is string => c !== undefined);
          expect(commands.some((c) => c.includes(HOSTILE.script))).toBe(true);
          expect(dom.commands).toEqual(commands);
          // The hostile <style> in a description did not hide the page.
          expect(await o.page.locator('main').isVisible()).toBe(true);
          if (variant === 'as written') await o.page.screenshot({ path: join(OUT, 'replay-hostile.png'), fullPage: true });
        } finally {
          await o.context.close();
        }
      });
    }

    it('marks the shadowed rule whose description is hostile', async () => {
      const o = await open(write('replay-hostile.html', doc));
      try {
        const row = await o.page.evaluate(() => {
          const tr = document.querySelector('table.rules[data-direction="inbound"] tr[data-rule="120"]')!;
          return { cls: tr.className, mark: tr.querySelector('[data-mark="shadowed"]')?.textContent, desc: tr.querySelector('td.desc')!.textContent };
        });
        expect(row).toEqual({ cls: 'shadowed unused', mark: '⚠ shadowed by 100', desc: '<a href=javascript:alert(7)>x</a>' });
      } finally {
        await o.context.close();
      }
    });
  });

  describe('lint and diagnose pages', () => {
    it('lint: shadowed rules marked, coverage strips drawn, nothing fetched', async () => {
      const acls = loadAcls(join(REPO_ROOT, 'test', 'fixtures', 'acl', 'lint-cases.yaml'), {}).concat(loadAcls(CANDIDATES[0]!, {}));
      const o = await open(write('lint.html', renderLintHtml(lintView(acls, acls.map((a) => lintAcl(a))))));
      try {
        expect(o.requests).toHaveLength(1);
        const dom = await o.page.evaluate(() => ({
          shadowed: Array.from(document.querySelectorAll('tr.shadowed')).map((tr) => [tr.closest('table')!.getAttribute('data-acl'), tr.getAttribute('data-rule'), tr.querySelector('[data-mark="shadowed"]')!.textContent]),
          strips: Array.from(document.querySelectorAll('svg.port-strip')).map((s) => `${s.getAttribute('data-acl')} ${s.getAttribute('data-direction')}`),
        }));
        expect(dom.shadowed).toEqual([
          ['cases', '120', '⚠ shadowed by 100, 110'],
          ['cases', '130', '⚠ shadowed by 100'],
        ]);
        expect(dom.strips).toEqual(['cases inbound', 'cases outbound', 'classic-return inbound', 'classic-return outbound']);
        expect(await layoutProblems(o.page)).toEqual([]);
        await o.page.screenshot({ path: join(OUT, 'lint.png'), fullPage: true });
      } finally {
        await o.context.close();
      }
    });

    it('diagnose: the return drop of return-drop.pcap is drawn with its threshold', async () => {
      const a = await analyzeCapture(join(CAPTURES, 'return-drop.pcap'), { jobs: 1 });
      const findings = captureFindings(a.connections);
      const o = await open(write('diagnose.html', renderDiagnoseHtml({ summary: a.summary, connections: a.connections, clients: inferClients(a.connections), findings })));
      try {
        expect(o.requests).toHaveLength(1);
        const dom = await o.page.evaluate(() =>
          Array.from(document.querySelectorAll('.card.capture-finding')).map((c) => ({
            index: Number(c.querySelector('figure[data-finding]')!.getAttribute('data-finding')),
            code: c.getAttribute('data-code'),
            marker: c.querySelector('g.marker')?.getAttribute('data-port') ?? null,
            failed: Array.from(c.querySelectorAll('g.lane[data-tone="failed"]')).reduce((n, l) => n + Number(l.getAttribute('data-count')), 0),
          })),
        );
        // Cards come in order of failed attempts, each with the strip of its finding.
        expect(dom.map((d) => findings[d.index]!.failed)).toEqual(findings.map((f) => f.failed).sort((a, b) => b - a));
        expect(dom.map((d) => d.index).sort()).toEqual(findings.map((_, i) => i));
        for (const d of dom) {
          const f = findings[d.index]!;
          expect(d.code).toBe(f.code);
          if (f.code === 'RETURN_DROP_SUSPECTED') {
            expect(d.marker).toBe(String(f.threshold.port));
            expect(d.failed).toBe(f.failed);
          }
        }
        expect(dom.some((d) => d.marker !== null)).toBe(true);
        expect(await layoutProblems(o.page)).toEqual([]);
        await o.page.screenshot({ path: join(OUT, 'diagnose.png'), fullPage: true });
      } finally {
        await o.context.close();
      }
    });
  });
});
