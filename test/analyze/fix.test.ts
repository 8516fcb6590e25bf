/**
 * Fixes per gate, protocol and family, and RANGE_PARTIALLY_COVERED per client: built captures replayed against small
 * ACLs. The expected entries are worked out by hand from the ACL and the clients' ranges in each test.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplay, type ReplayResult } from '../../src/analyze/replay.js';
import type { Diagnosis, Fix } from '../../src/analyze/diagnoses/index.js';
import { buildCapture, tcpConnection, SYN, type Spec } from '../helpers/build.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-fix-'));
let files = 0;
function acl(id: string, inbound: string[], outbound: string[]): string {
  const f = join(tmp, `${id}-${files++}.yaml`);
  const list = (rules: string[]) => rules.map((r) => `      - ${r}\n`).join('');
  writeFileSync(f, `acls:\n  - id: ${id}\n    inbound:\n${list(inbound)}    outbound:\n${list(outbound)}`);
  return f;
}
const replay = (cap: string, file: string): Promise<ReplayResult> => runReplay(cap, { acls: [file], subnets: ['10.0.2.0/24'], load: {} }, { jobs: 1 });

/** A UDP request to 10.0.2.10:53 and, when answered, its reply. */
function udp(client: string, cport: number, answered: boolean): Spec[] {
  const q: Spec = [client, '10.0.2.10', { proto: 'udp', sport: cport, dport: 53, payload: new Uint8Array(12) }];
  return answered ? [q, ['10.0.2.10', client, { proto: 'udp', sport: 53, dport: cport, payload: new Uint8Array(28) }]] : [q];
}
/** A TCP attempt to 10.0.2.10:80: complete, or a SYN sent twice and never answered. */
function tcp(client: string, cport: number, works: boolean, isn = 7000): Spec[] {
  if (works) return tcpConnection(client, cport, '10.0.2.10', 80, isn);
  const syn: Spec = [client, '10.0.2.10', { proto: 'tcp', sport: cport, dport: 80, flags: SYN, seq: isn }];
  return [syn, syn];
}

const diagnoses = (r: ReplayResult) => r.report.acls[0]!.diagnoses;
const fixes = (r: ReplayResult): Fix[] => diagnoses(r).flatMap((d) => (d.fix ? [d.fix as Fix] : []));
const fixFor = (r: ReplayResult, protocol: string, family = 4) => fixes(r).find((f) => f.protocol === protocol && f.family === family);

const WEB_IN = ['{ rule: 100, proto: tcp, ports: 80, cidr: 0.0.0.0/0, action: allow }', '{ rule: 110, proto: udp, ports: 53, cidr: 0.0.0.0/0, action: allow }'];

describe('a fix covers every client seen through the gate, not only those that failed', () => {
  // The NAT client's TCP connections all used ports 37000-37022 and worked; only its UDP failed. The Windows XP
  // client's TCP failed. The TCP fix must open the NAT's whole range 1024-65535 too.
  const specs: Spec[] = [];
  for (let k = 0; k < 12; k++) specs.push(...tcp('10.0.1.20', 37000 + 2 * k, true, 100 + k));
  for (let k = 0; k < 12; k++) specs.push(...udp('10.0.1.20', 2000 + 5000 * k, 2000 + 5000 * k >= 32768));
  for (let k = 0; k < 6; k++) specs.push(...tcp('10.0.1.13', 1100 + 700 * k, false, 300 + k));
  const cap = buildCapture(specs);
  const file = acl('classic', WEB_IN, ['{ rule: 100, proto: tcp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }', '{ rule: 110, proto: udp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }']);

  it('widens the TCP return rule to the NAT range, not just to Windows XP ports', async () => {
    const r = await replay(cap, file);
    const t = fixFor(r, 'tcp')!;
    expect(t).toMatchObject({ action: 'replace', verified: true, entry: { ruleNumber: 100, portRange: { from: 1024, to: 65535 } }, clients: 2 });
    expect(t.changes).toHaveLength(1);
    expect(t.command).toBe('aws ec2 replace-network-acl-entry --network-acl-id classic --egress --rule-number 100 --protocol tcp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow');
    expect(fixFor(r, 'udp')).toMatchObject({ action: 'replace', verified: true, entry: { ruleNumber: 110, portRange: { from: 1024, to: 65535 } } });
  });

  it('the NAT client, blocked on UDP, still gets its TCP coverage checked', async () => {
    const r = await replay(cap, file);
    const rpc = diagnoses(r).filter((d) => d.code === 'RANGE_PARTIALLY_COVERED');
    expect(rpc.map((d) => [d.protocol, (d.clients as { host: string }[])[0]!.host])).toEqual([['tcp', '10.0.1.20']]);
    const d = rpc[0]!;
    // 12 even ports of 1024-65535 seen, each 2 above the last: the low end's parity (Linux connect()'s first pass),
    // sequential per destination. 1024-32767 denied: 15872 of the 32256 even ports.
    expect(d).toMatchObject({ severity: 'warning', portModel: 'parity', failurePattern: 'bursty', fix: null, fixId: 'classic:egress:tcp:ipv4' });
    expect(d.failureProbability).toBeCloseTo(15872 / 32256, 3);
    expect(d.message).toMatch(/failures come in runs/);
    // The TCP fix is carried by the RETURN_PORT_NOT_ALLOWED of the Windows XP client.
    const ret = diagnoses(r).find((x) => x.code === 'RETURN_PORT_NOT_ALLOWED' && x.protocol === 'tcp')!;
    expect((ret.fix as Fix).id).toBe('classic:egress:tcp:ipv4');
  });
});

describe('rule numbers, explicit denies and the quota', () => {
  const xp = (): string => {
    const specs: Spec[] = [];
    for (let k = 0; k < 8; k++) specs.push(...tcp('10.0.1.13', 1100 + 480 * k, false, 10 + k), ...udp('10.0.1.13', 1101 + 480 * k, false));
    return buildCapture(specs);
  };

  it('TCP and UDP fixes of one gate never share a rule number', async () => {
    const file = acl('two', WEB_IN, [
      '{ rule: 100, proto: tcp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }',
      '{ rule: 110, proto: udp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }',
      '{ rule: 120, proto: icmp, cidr: 0.0.0.0/0, action: allow }',
    ]);
    const r = await replay(xp(), file);
    // Windows XP's 1025-5000 touches neither return rule: two new entries after the last one, 130 and 140.
    expect(fixFor(r, 'tcp')).toMatchObject({ action: 'create', verified: true, entry: { ruleNumber: 130, portRange: { from: 1025, to: 5000 } } });
    expect(fixFor(r, 'udp')).toMatchObject({ action: 'create', verified: true, entry: { ruleNumber: 140, portRange: { from: 1025, to: 5000 } } });
  });

  it('an explicit deny inside the range stays in force and is named; the new entry goes after it', async () => {
    const file = acl('malicious', WEB_IN, [
      '{ rule: 90, proto: tcp, ports: 4444, cidr: 0.0.0.0/0, action: deny }',
      '{ rule: 100, proto: tcp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }',
      '{ rule: 110, proto: udp, ports: 1024-65535, cidr: 0.0.0.0/0, action: allow }',
    ]);
    const r = await replay(xp(), file);
    const f = fixFor(r, 'tcp')!;
    // 1025-4443 and 4445-5000 are missing; 4444 stays denied by rule 90, so one entry 1025-5000 numbered after 90
    // covers both without opening 4444.
    expect(f).toMatchObject({ action: 'create', verified: true, entry: { ruleNumber: 120, portRange: { from: 1025, to: 5000 } }, deniesInForce: [{ rule: 90, ports: '4444', clients: 1 }], opensUnneeded: 'none' });
    expect(f.note).toMatch(/explicit deny 90 \(4444\) stays in force/);
  });

  it('never widens over an explicit deny numbered after the rule', async () => {
    const file = acl('later-deny', WEB_IN, [
      '{ rule: 100, proto: tcp, ports: 5001-65535, cidr: 0.0.0.0/0, action: allow }',
      '{ rule: 200, proto: tcp, ports: 3000, cidr: 0.0.0.0/0, action: deny }',
      '{ rule: 210, proto: udp, ports: 1024-65535, cidr: 0.0.0.0/0, action: allow }',
    ]);
    const r = await replay(xp(), file);
    // Widening 100 down to 1025 would put an allow of port 3000 in front of deny 200.
    expect(fixFor(r, 'tcp')).toMatchObject({ action: 'create', verified: true, entry: { ruleNumber: 220, portRange: { from: 1025, to: 5000 } }, deniesInForce: [{ rule: 200, ports: '3000' }] });
  });

  it('an explicit deny that refuses the replies: no change, the deny named', async () => {
    const file = acl('deny-all', WEB_IN, ['{ rule: 1, proto: tcp, ports: 1024-65535, cidr: 0.0.0.0/0, action: deny }', '{ rule: 110, proto: udp, ports: 1024-65535, cidr: 0.0.0.0/0, action: allow }']);
    const r = await replay(xp(), file);
    const f = fixFor(r, 'tcp')!;
    expect(f).toMatchObject({ entry: null, command: null, changes: [], verified: false, deniesInForce: [{ rule: 1, ports: '1025-5000', clients: 1 }] });
    expect(f.note).toMatch(/nothing to open: explicit deny 1 \(1025-5000\) refuses these replies/);
  });

  it('over the quota of 20 rules: the runs are merged into the entries that fit, and the fix says so', async () => {
    // Linux (32768-60999) and Windows XP (1025-5000) clients; rule 100 allows 61000-65535. Widening it would shadow
    // deny 200 (port 10000), so new entries are needed: two exact ones would bring egress to 21 rules.
    const specs: Spec[] = [];
    for (let k = 0; k < 10; k++) specs.push(...tcp('10.0.1.11', 33000 + 2700 * k, false, 500 + k));
    for (let k = 0; k < 8; k++) specs.push(...tcp('10.0.1.13', 1100 + 480 * k, false, 600 + k));
    const fillers = Array.from({ length: 17 }, (_, i) => `{ rule: ${300 + i}, proto: tcp, ports: ${20000 + i}, cidr: 192.0.2.0/24, action: allow }`);
    const file = acl('full', WEB_IN, ['{ rule: 100, proto: tcp, ports: 61000-65535, cidr: 0.0.0.0/0, action: allow }', '{ rule: 200, proto: tcp, ports: 10000, cidr: 0.0.0.0/0, action: deny }', ...fillers]);
    const r = await replay(buildCapture(specs), file);
    const f = fixFor(r, 'tcp')!;
    expect(f).toMatchObject({ action: 'create', verified: true, entry: { ruleNumber: 320, portRange: { from: 1025, to: 60999 } }, quota: { limit: 20, rules: 20, wanted: 21 } });
    expect(f.changes).toHaveLength(1);
    expect(f.note).toMatch(/over the quota of 20: merged 1025-5000 and 32768-60999/);
    // Ports between the two ranges that the merge opens (deny 200 keeps 10000 closed).
    expect(f.opensUnneeded).toBe('5001-9999, 10001-32767');
  });
});

describe('RANGE_PARTIALLY_COVERED per client, without a silent cap', () => {
  it('250 clients in the same situation share one diagnosis that says how they were aggregated', async () => {
    const specs: Spec[] = [];
    for (let c = 0; c < 250; c++) for (let k = 0; k < 8; k++) specs.push(...tcp(`10.1.${c >> 8}.${c & 255}`, 50000 + 2 * k, true, 1000 + k));
    const file = acl('part', WEB_IN, ['{ rule: 100, proto: tcp, ports: 40000-65535, cidr: 0.0.0.0/0, action: allow }']);
    const r = await replay(buildCapture(specs), file);
    const rpc = diagnoses(r).filter((d) => d.code === 'RANGE_PARTIALLY_COVERED');
    expect(rpc.reduce((n, d) => n + (d.clientCount as number), 0)).toBe(250);
    for (const d of rpc) expect(d.aggregated).toMatch(/^250 client, protocol and gate findings: clients with the same gate/);
    expect(rpc[0]!).toMatchObject({ profile: 'linux', clientCount: 250 });
    expect((rpc[0]!.clients as unknown[]).length).toBe(20);
    // Linux connect()'s even ports: 32768-39999 holds 3616 of the 14116 even ports of 32768-60999.
    expect(rpc[0]!.failureProbability).toBeCloseTo(3616 / 14116, 3);
    // And one fix covers them all.
    expect(fixFor(r, 'tcp')).toMatchObject({ action: 'replace', verified: true, entry: { ruleNumber: 100, portRange: { from: 32768, to: 65535 } }, clients: 250 });
  });

  it('with ports spread at random, failures are independent and the model uniform', async () => {
    const specs: Spec[] = [];
    const ports = [33101, 58000, 41001, 36666, 52033, 44443, 59998, 34567, 47001, 55555];
    ports.forEach((p, k) => specs.push(...tcp('10.0.1.11', p, true, 40 + k)));
    const file = acl('part', WEB_IN, ['{ rule: 100, proto: tcp, ports: 33000-65535, cidr: 0.0.0.0/0, action: allow }']);
    const r = await replay(buildCapture(specs), file);
    const d = diagnoses(r).find((x) => x.code === 'RANGE_PARTIALLY_COVERED') as Diagnosis;
    expect(d).toMatchObject({ portModel: 'uniform', failurePattern: 'independent', severity: 'warning' });
    expect(d.failureProbability).toBeCloseTo(232 / 28232, 4);
    expect(d.message).toMatch(/each new connection fails independently/);
  });
});
