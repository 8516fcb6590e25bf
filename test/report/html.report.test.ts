/** The HTML reports rendered from real replays, checked as text (the browser test checks the DOM and the pictures). */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReplayHtml, renderLintHtml, renderDiagnoseHtml } from '../../src/report/html.js';
import { replayView, lintView } from '../../src/analyze/views.js';
import { flowRecords, verdictViews } from '../helpers/tables.js';
import { escapeHtml } from '../../src/report/html/escape.js';
import { CSP } from '../../src/report/html/page.js';
import { runReplay, type ReplayResult } from '../../src/analyze/replay.js';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { inferClients } from '../../src/flow/clients.js';
import { captureFindings } from '../../src/analyze/findings.js';
import { diffScenarios } from '../../src/analyze/diff.js';
import { loadAcls } from '../../src/acl/load.js';
import { lintAcl } from '../../src/analyze/lint.js';
import { OUTCOMES } from '../../src/verdict/outcomes.js';
import type { Fix } from '../../src/analyze/diagnoses/index.js';
import { main } from '../../src/cli/main.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { HOSTILE, HOSTILE_IDS, hostileFiles } from '../fixtures/html/hostile.js';

const CAPTURES = join(REPO_ROOT, 'captures');
const CANDIDATES = ['classic-return.yaml', 'fixed-return.yaml'].map((f) => join(REPO_ROOT, 'examples', f));
const SUBNETS = ['10.0.2.0/24', 'fd00:2::/64'];

/** Tags a report may contain: anything else would have come from an input. */
const TAG = /<([a-zA-Z][a-zA-Z0-9]*)[\s>/]/g;
const ALLOWED_TAGS = new Set('html head meta title style body svg defs pattern rect circle g text tspan line main header footer h1 h2 h3 h4 p b dl dt dd div span nav ol ul li a section table thead tbody tr th td caption figure figcaption pre code br'.split(' '));

function tagsOf(doc: string): Set<string> {
  const style = doc.indexOf('</style>');
  return new Set([...doc.slice(style).matchAll(TAG)].map((m) => m[1]!.toLowerCase()));
}

describe('replay --html on mixed-clients.pcap with two candidates', () => {
  let r: ReplayResult;
  let doc: string;
  beforeAll(async () => {
    r = await runReplay(join(CAPTURES, 'mixed-clients.pcap'), { acls: CANDIDATES, subnets: SUBNETS, load: {} }, { jobs: 1 });
    doc = renderReplayHtml(replayView(r));
  });

  it('is one self-contained document: no script, no external reference, a CSP that forbids fetching', () => {
    expect(doc.startsWith('<!doctype html>')).toBe(true);
    expect(doc).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i);
    expect(doc).not.toMatch(/\b(src|href)="(?!#)/);
    expect(CSP).toMatch(/^default-src 'none'; style-src 'unsafe-inline';/);
    expect(doc).toContain(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`);
    expect([...tagsOf(doc)].filter((t) => !ALLOWED_TAGS.has(t))).toEqual([]);
  });

  it('has one port strip per candidate and direction, each with the four profile bands', () => {
    for (const a of r.report.acls) {
      for (const d of ['inbound', 'outbound']) {
        const m = new RegExp(`<svg class="port-strip"[^>]*data-acl="${a.acl}" data-direction="${d}"`).exec(doc);
        expect(m, `${a.acl} ${d}`).not.toBeNull();
      }
    }
    expect(doc.match(/<svg class="port-strip"/g)).toHaveLength(4);
    for (const p of ['linux', 'windows', 'windows-legacy', 'nat']) expect(doc.match(new RegExp(`<g class="band" data-profile="${p}"`, 'g'))).toHaveLength(4);
  });

  it('shows the return rule as the allowed egress range of each candidate', () => {
    expect(doc).toMatch(/<g class="seg allow" data-lo="32768" data-hi="65535" data-rule="100">/);
    expect(doc).toMatch(/<g class="seg allow" data-lo="1024" data-hi="65535" data-rule="100">/);
    expect(doc).toMatch(/<g class="seg deny" data-lo="0" data-hi="32767" data-rule="\*">/);
  });

  it('prints the outcome counts of each candidate and every rule hit count', () => {
    for (const a of r.report.acls) {
      for (const o of OUTCOMES) {
        if (a.outcomes[o] > 0) expect(doc).toContain(`data-outcome="${o}" data-count="${a.outcomes[o]}"`);
      }
      for (const rule of a.rules) expect(doc).toMatch(new RegExp(`data-rule="${rule.number === '*' ? '\\*' : rule.number}" data-family="${rule.family}" data-hits="${rule.hits}"`));
    }
  });

  it('gives every fix as the AWS entry and the exact aws command, saying when a replay verified it', () => {
    const fixes = r.report.acls.flatMap((a) => a.diagnoses.map((d) => d.fix as Fix | undefined)).filter((f): f is Fix => f !== undefined);
    expect(fixes.length).toBeGreaterThan(0);
    for (const f of fixes) {
      expect(f.entry, 'the mixed capture always leaves a free rule number').not.toBeNull();
      expect(doc).toContain(`<pre class="cmd"><code>${escapeHtml(f.command!)}</code></pre>`);
      expect(doc).toContain(`<dt>PortRange</dt><dd>From=${f.entry!.portRange.from}, To=${f.entry!.portRange.to}</dd>`);
    }
    expect(doc.match(/✓ verified by replaying/g)).toHaveLength(fixes.filter((f) => f.verified).length);
  });

  it('includes the diff of the first candidate against the second', () => {
    const d = diffScenarios(r, 0, 1);
    expect(doc).toContain(`data-old="classic-return" data-new="fixed-return" data-changed="${d.changed}" data-fixed="${d.fixed}" data-broken="${d.broken}"`);
    expect(d.fixed).toBeGreaterThan(0);
  });
});

describe('replay --html with a topology', () => {
  it('draws each subnet\'s ACL by itself: the servers\' ingress allows port 80 although the clients\' egress denies the requests first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aclreplay-html-topo-'));
    const topology = join(dir, 'two-tier.yaml');
    writeFileSync(
      topology,
      `name: two-tier\nsubnets:\n  - { name: servers, cidrs: [10.0.2.0/24], acl: ${CANDIDATES[0]} }\n  - { name: clients, cidrs: [10.0.1.0/24], acl: ${CANDIDATES[1]} }\n`,
    );
    const r = await runReplay(join(CAPTURES, 'mixed-clients.pcap'), { acls: [], subnets: [], topology, load: {} }, { jobs: 1 });
    expect(r.plan.scenarios[0]!.placements).toHaveLength(2);
    // fixed-return's egress allows only 1024-65535, so requests from the clients' subnet to port 80 never arrive.
    const requestsTo80 = verdictViews(r, 0).filter((v) => v.connection.server === '10.0.2.10' && v.connection.serverPort === 80 && v.connection.client.startsWith('10.0.1.'));
    expect(requestsTo80.length).toBeGreaterThan(0);
    expect(requestsTo80.every((v) => v.forward.action === 'deny' && v.forward.acl === 'fixed-return')).toBe(true);
    const doc = renderReplayHtml(replayView(r));
    const strip = (acl: string, d: string) => {
      const start = doc.search(new RegExp(`<svg class="port-strip"[^>]*data-acl="${acl}" data-direction="${d}"`));
      return doc.slice(start, doc.indexOf('</svg>', start));
    };
    expect(strip('classic-return', 'inbound')).toMatch(/<g class="seg allow" data-lo="80" data-hi="80" data-rule="100">/);
    expect(strip('fixed-return', 'outbound')).toMatch(/<g class="seg deny" data-lo="0" data-hi="1023" data-rule="\*">/);
    expect(strip('fixed-return', 'outbound')).toMatch(/<g class="lane" data-tone="(forward|both)-blocked"/);
  });
});

describe('hostile values from ACL files and file names', () => {
  let doc: string;
  let r: ReplayResult;
  beforeAll(async () => {
    const files = hostileFiles(join(CAPTURES, 'mixed-clients.pcap'));
    r = await runReplay(files.capture, { acls: [files.acl], subnets: SUBNETS, load: {} }, { jobs: 1 });
    doc = renderReplayHtml(replayView(r));
  });

  it('the replay really carries the hostile ids, names and file names', () => {
    expect(r.report.acls.map((a) => a.acl)).toEqual(HOSTILE_IDS);
    expect(r.report.file).toContain(HOSTILE.img);
    expect(r.report.acls[0]!.diagnoses.some((d) => (d.fix as Fix | undefined)?.command?.includes(HOSTILE.script))).toBe(true);
  });

  it('no tag or attribute from an input survives; the text is there, escaped', () => {
    expect([...tagsOf(doc)].filter((t) => !ALLOWED_TAGS.has(t))).toEqual([]);
    // Attribute names in real tags (text and attribute values have every < and " escaped, so these are all tags).
    const attributeNames = [...doc.matchAll(/<[a-zA-Z][^>]*>/g)].flatMap((m) => [...m[0].replace(/"[^"]*"/g, '""').matchAll(/\s([a-zA-Z-:]+)=/g)].map((a) => a[1]!.toLowerCase()));
    expect(attributeNames.length).toBeGreaterThan(1000);
    expect(attributeNames.filter((a) => a.startsWith('on') || a === 'src')).toEqual([]);
    expect([...doc.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]).filter((h) => !/^#[a-z0-9-]+$/.test(h!))).toEqual([]);
    expect(doc).not.toContain('javascript:alert(5)></iframe>');
    for (const h of Object.values(HOSTILE)) {
      expect(doc).not.toContain(h);
      expect(doc).toContain(escapeHtml(h));
    }
  });
});

describe('lint --html and diagnose --html', () => {
  it('lint: shadowed rules are marked in the rule table, coverage strips per direction', () => {
    const acls = loadAcls(join(REPO_ROOT, 'test', 'fixtures', 'acl', 'lint-cases.yaml'), {});
    const reports = acls.map((a) => lintAcl(a));
    const doc = renderLintHtml(lintView(acls, reports));
    const shadowed = reports[0]!.findings.filter((f) => f.code === 'SHADOWED_RULE').map((f) => String(f.rule));
    expect(shadowed).toEqual(['120', '130']);
    for (const n of shadowed) expect(doc).toMatch(new RegExp(`<tr class="shadowed" data-rule="${n}" data-family="4">\\s*<td class="mono">${n}</td>.*?data-mark="shadowed"`, 's'));
    expect(doc).toMatch(/<svg class="port-strip"[^>]*data-acl="cases" data-direction="outbound"/);
    expect(doc).toMatch(/<g class="seg allow" data-lo="32768" data-hi="61000" data-rule="100">/);
    expect(doc).not.toMatch(/<script/i);
  });

  it('diagnose: the suspected return drop is drawn with its threshold and the failed client ports', async () => {
    const a = await analyzeCapture(join(CAPTURES, 'return-drop.pcap'), { jobs: 1 });
    const findings = captureFindings(a.connections);
    const drop = findings.find((f) => f.code === 'RETURN_DROP_SUSPECTED' && f.server === '10.0.2.10');
    expect(drop).toBeDefined();
    const doc = renderDiagnoseHtml({ summary: a.summary, connections: a.connections, clients: inferClients(a.connections), findings });
    expect(doc).toContain(`<g class="marker" data-port="${drop!.code === 'RETURN_DROP_SUSPECTED' ? drop!.threshold.port : -1}">`);
    const failed = flowRecords(a.connections).filter((c) => c.proto === 'tcp' && c.server === '10.0.2.10' && c.serverPort === 80 && (c.attempt === 'unanswered' || c.attempt === 'synack-unacked')).length;
    expect(doc).toContain(`<g class="lane" data-tone="failed" data-count="${failed}">`);
  });
});

describe('the CLI writes the HTML files', () => {
  const out = mkdtempSync(join(tmpdir(), 'aclreplay-html-cli-'));
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const quiet = () =>
    vi.spyOn(process.stdout, 'write').mockImplementation(((_chunk: unknown, a?: unknown, b?: unknown) => {
      const cb = typeof a === 'function' ? a : b;
      if (typeof cb === 'function') (cb as () => void)();
      return true;
    }) as typeof process.stdout.write);

  it('replay, lint and diagnose accept --html <file>', async () => {
    quiet();
    const replayHtml = join(out, 'replay.html');
    const lintHtml = join(out, 'lint.html');
    const diagHtml = join(out, 'diagnose.html');
    const run = (args: string[]) => main(['node', 'aclreplay', ...args]);
    expect(await run(['replay', join(CAPTURES, 'mixed-clients.pcap'), '--acl', CANDIDATES[0]!, '--subnet', '10.0.2.0/24', '-j', '1', '-F', 'json', '--html', replayHtml])).toBe(0);
    expect(await run(['lint', CANDIDATES[0]!, '--html', lintHtml])).toBe(0);
    expect(await run(['diagnose', join(CAPTURES, 'return-drop.pcap'), '-j', '1', '--html', diagHtml])).toBe(0);
    for (const f of [replayHtml, lintHtml, diagHtml]) expect(existsSync(f), f).toBe(true);
    expect(readFileSync(replayHtml, 'utf8')).toContain('<h1>ACL replay report</h1>');
    expect(readFileSync(lintHtml, 'utf8')).toContain('<h1>ACL lint report</h1>');
    expect(readFileSync(diagHtml, 'utf8')).toContain('<h1>Capture diagnosis</h1>');
  });
});
