import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplay, type ReplayResult } from '../../src/analyze/replay.js';
import type { PlanInput } from '../../src/verdict/plan.js';
import { verdictViews } from '../helpers/tables.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { buildCapture, tcpConnection, type Spec } from '../helpers/build.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-replay-'));
const CAP = (f: string) => join(REPO_ROOT, 'captures', f);
const EX = (f: string) => join(REPO_ROOT, 'examples', f);
const SERVER_NETS = ['10.0.2.0/24', 'fd00:2::/64'];

function yaml(name: string, text: string): string {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
}

async function replay(capture: string, input: Partial<PlanInput>, jobs = 1, chunkBytes?: number): Promise<ReplayResult> {
  return runReplay(capture, { acls: [], subnets: [], load: {}, ...input }, { jobs, chunkBytes });
}

const windowsOnly = EX('windows-only-return.yaml');

describe('replay on the recorded return drop', () => {
  it('a candidate with the recording firewall\'s rule blocks exactly the connections that failed', async () => {
    const r = await replay(CAP('return-drop.pcap'), { acls: [windowsOnly], subnets: SERVER_NETS });
    const web = verdictViews(r, 0).filter((v) => v.connection.proto === 'tcp' && v.connection.serverPort === 80);
    expect(web.length).toBeGreaterThan(20);
    for (const v of web) {
      const low = v.connection.clientPort! < 49152;
      expect(v.outcome, `${v.connection.client}:${v.connection.clientPort}`).toBe(low ? 'return-blocked' : 'ok');
      if (low) {
        // The capture holds no SYN-ACK for these: the return direction is judged on a synthetic one.
        expect(v.return).toMatchObject({ synthetic: true, action: 'deny', rule: '*', direction: 'outbound', acl: 'windows-only-return' });
      }
    }
    const match = r.report.acls[0]!.diagnoses.find((d) => d.code === 'FAILURES_MATCH_RULE')!;
    expect(match).toMatchObject({ failedInCapture: 24, matched: 24 });
    const ret = r.report.acls[0]!.diagnoses.filter((d) => d.code === 'RETURN_PORT_NOT_ALLOWED' && d.protocol === 'tcp');
    expect(ret.length).toBeGreaterThan(0);
    // Each gate, protocol and family has one fix, carried by its first diagnosis and named by the others.
    const carried = new Map(r.report.acls[0]!.diagnoses.flatMap((d) => (d.fix ? [[(d.fix as { id: string }).id, d.fix as { verified: boolean }] as const] : [])));
    for (const d of ret) expect(carried.get(d.fixId as string)?.verified, String(d.fixId)).toBe(true);
  });
});

describe('RANGE_PARTIALLY_COVERED on the recorded return drop', () => {
  it('the IPv6 address of the Windows client, seen once, is a guess (nat 0.38 against windows 0.37): info, not a warning', async () => {
    const r = await replay(CAP('return-drop.pcap'), { acls: [windowsOnly], subnets: SERVER_NETS });
    const rpc = r.report.acls[0]!.diagnoses.filter((d) => d.code === 'RANGE_PARTIALLY_COVERED');
    expect(rpc.map((d) => [(d.clients as { host: string }[])[0]!.host, d.severity])).toEqual([['fd00:1::12', 'info']]);
    expect(rpc[0]!.message).toMatch(/the profile is a guess from 1 port \(confidence 0\.38; alternatives windows 0\.37/);
  });
});

describe('replay of the classic return rule on the mixed clients', () => {
  it('breaks Windows XP and NAT clients below 32768, keeps Linux and Windows, and proposes a verified fix', async () => {
    const r = await replay(CAP('mixed-clients.pcap'), { acls: [EX('classic-return.yaml'), EX('fixed-return.yaml')], subnets: SERVER_NETS });
    const [classic, fixed] = [verdictViews(r, 0), verdictViews(r, 1)];
    for (const v of classic.filter((x) => x.connection.serverPort === 80)) {
      expect(v.outcome, `${v.connection.client}:${v.connection.clientPort}`).toBe(v.connection.clientPort! < 32768 ? 'return-blocked' : 'ok');
    }
    expect(fixed.filter((v) => v.outcome === 'return-blocked')).toHaveLength(0);
    const d = r.report.acls[0]!.diagnoses.find((x) => x.code === 'RETURN_PORT_NOT_ALLOWED' && x.protocol === 'tcp')!;
    expect(d).toMatchObject({ acl: 'classic-return', direction: 'outbound', rule: '*' });
    expect(d.fix).toMatchObject({ action: 'replace', verified: true, entry: { ruleNumber: 100, protocol: '6', ruleAction: 'allow', egress: true, cidrBlock: '0.0.0.0/0', portRange: { from: 1024, to: 65535 } } });
    expect((d.fix as { command: string }).command).toBe('aws ec2 replace-network-acl-entry --network-acl-id classic-return --egress --rule-number 100 --protocol tcp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow');
    const clients = (d.clients as { host: string; profile: string }[]).map((c) => [c.host, c.profile]).sort();
    expect(clients).toEqual([
      ['10.0.1.13', 'windows-legacy'],
      ['10.0.1.20', 'nat'],
    ]);
    // Per-rule hits: every TCP reply to a Linux or Windows client meets rule 100; packets to the closed port meet *.
    const a = r.report.acls[0]!;
    const out100 = a.rules.find((x) => x.direction === 'outbound' && x.number === 100 && x.family === 4)!;
    expect(out100.hits).toBeGreaterThan(200);
    expect(a.packets.outbound.deny).toBe(a.rules.filter((x) => x.direction === 'outbound' && x.action === 'deny').reduce((n, x) => n + x.hits, 0));
    expect(a.unusedRules.some((u) => u.direction === 'inbound' && u.number === '*')).toBe(true);
  });

  it('the answer is the same for any worker count and chunk size', async () => {
    const input = { acls: [EX('classic-return.yaml'), EX('fixed-return.yaml')], subnets: SERVER_NETS };
    const base = (await replay(CAP('mixed-clients.pcap'), input)).report;
    for (const [j, c] of [
      [2, 3000],
      [3, 20000],
      [4, 1000],
    ] as const) {
      expect((await replay(CAP('mixed-clients.pcap'), input, j, c)).report).toEqual(base);
    }
  });
});

describe('topology: one ACL per subnet, judged together', () => {
  it('a packet from the app subnet to the db subnet meets app outbound then db inbound; the deciding ACL is named', async () => {
    const app = yaml(
      'app.yaml',
      `acls:
  - id: app-nacl
    inbound:
      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }
    outbound:
      - { rule: 100, proto: tcp, ports: 5432, cidr: 10.0.2.0/24, action: allow }
`,
    );
    const db = yaml(
      'db.yaml',
      `acls:
  - id: db-nacl
    inbound:
      - { rule: 100, proto: tcp, ports: 5432, cidr: 10.0.1.0/24, action: allow }
    outbound:
      - { rule: 100, proto: tcp, ports: 32768-60999, cidr: 10.0.1.0/24, action: allow }
`,
    );
    const topo = yaml('topo.yaml', `name: two-tier\nsubnets:\n  - { name: app, cidrs: [10.0.1.0/24], acl: app.yaml }\n  - { name: db, cidrs: [10.0.2.0/24], acl: db.yaml }\n`);
    const cap = buildCapture([
      ...tcpConnection('10.0.1.5', 40000, '10.0.2.7', 5432), // allowed both ways
      ...tcpConnection('10.0.1.5', 40002, '10.0.2.7', 22), // app outbound denies (only 5432 allowed)
      ...tcpConnection('10.0.1.5', 61500, '10.0.2.7', 5432), // db outbound denies the return (61500 > 60999)
    ]);
    void app;
    void db;
    const r = await replay(cap, { topology: topo });
    const [ok, fwd, ret] = verdictViews(r, 0);
    expect(ok!.outcome).toBe('ok');
    expect(ok!.forward).toMatchObject({ acl: 'db-nacl', direction: 'inbound', rule: 100, action: 'allow' });
    expect(fwd!.outcome).toMatch(/forward-blocked|both-blocked/);
    expect(fwd!.forward).toMatchObject({ acl: 'app-nacl', direction: 'outbound', rule: '*', action: 'deny' });
    expect(ret!.outcome).toBe('return-blocked');
    expect(ret!.return).toMatchObject({ acl: 'db-nacl', direction: 'outbound', rule: '*', action: 'deny' });
    expect(r.report.acls[0]!.placements.map((p) => p.acl)).toEqual(['app-nacl', 'db-nacl']);
  });
});

describe('packet counts', () => {
  it('packets that no rule matches (an ACL without a default rule) are counted as denied', async () => {
    // A ClassBench filter set is an inbound list only: every outbound packet matches nothing and is dropped.
    const rules = join(tmp, 'web.rules');
    writeFileSync(rules, '@0.0.0.0/0\t10.0.2.0/24\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t\n');
    const r = await replay(buildCapture(tcpConnection('10.0.1.5', 40000, '10.0.2.7', 80)), { acls: [rules], subnets: ['10.0.2.0/24'] });
    const a = r.report.acls[0]!;
    expect(a.packets).toMatchObject({ inbound: { allow: 5, deny: 0 }, outbound: { allow: 0, deny: 3 }, notApplicable: 0 });
    expect(verdictViews(r, 0)[0]!.return).toMatchObject({ rule: null, action: 'deny', denied: 3 });
  });
});

describe('one ACL associated with several subnets', () => {
  it('traffic between two of its subnets leaves one (outbound rules) and enters the other (inbound rules)', async () => {
    const shared = yaml(
      'shared.yaml',
      `acls:
  - id: shared-nacl
    inbound:
      - { rule: 100, proto: tcp, ports: 5432, cidr: 10.0.1.0/24, action: allow }
      - { rule: 110, proto: tcp, ports: 32768-60999, cidr: 10.0.2.0/24, action: allow }
    outbound:
      - { rule: 100, proto: tcp, ports: 5432, cidr: 10.0.2.0/24, action: allow }
      - { rule: 110, proto: tcp, ports: 32768-60999, cidr: 10.0.1.0/24, action: allow }
`,
    );
    const cap = buildCapture([
      ...tcpConnection('10.0.1.5', 40000, '10.0.2.7', 5432), // out 100, in 100; reply out 110, in 110
      ...tcpConnection('10.0.1.5', 40002, '10.0.2.7', 22), // leaving 10.0.1.0/24: outbound * denies
      ...tcpConnection('10.0.1.5', 40004, '10.0.1.9', 5432), // within one subnet: not judged
    ]);
    const r = await replay(cap, { acls: [shared], subnets: ['10.0.1.0/24', '10.0.2.0/24'] });
    const [ok, fwd, inside] = verdictViews(r, 0);
    expect(ok!.outcome).toBe('ok');
    expect(ok!.forward).toMatchObject({ acl: 'shared-nacl', direction: 'inbound', rule: 100, action: 'allow' });
    expect(ok!.return).toMatchObject({ acl: 'shared-nacl', direction: 'inbound', rule: 110, action: 'allow' });
    expect(fwd!.outcome).toMatch(/forward-blocked|both-blocked/);
    expect(fwd!.forward).toMatchObject({ acl: 'shared-nacl', direction: 'outbound', rule: '*', action: 'deny' });
    expect(inside!.outcome).toBe('not-applicable');
  });
});

describe('fragments and ICMP', () => {
  const acl = (action: 'allow' | 'deny') =>
    yaml(
      `frag-${action}.yaml`,
      `acls:
  - id: udp7-${action}
    inbound:
      - { rule: 100, proto: udp, ports: 7, cidr: 0.0.0.0/0, action: ${action} }
      - { rule: 200, proto: all, cidr: 0.0.0.0/0, action: ${action === 'allow' ? 'deny' : 'allow'} }
    outbound:
      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }
`,
    );
  const first: Spec = ['10.0.1.5', '10.0.2.7', { proto: 'udp', sport: 5000, dport: 7, payload: new Uint8Array(16) }, { moreFragments: true, dontFragment: false, ident: 42 }];
  const later: Spec = ['10.0.1.5', '10.0.2.7', { proto: 17, payload: new Uint8Array(16) }, { fragOffset: 24, dontFragment: false, ident: 42 }];

  it('later fragments take their datagram\'s verdict; rule hits count the first fragment', async () => {
    const cap = buildCapture([first, later, later]);
    for (const action of ['allow', 'deny'] as const) {
      const r = await replay(cap, { acls: [acl(action)], subnets: ['10.0.2.0/24'] });
      const [v] = verdictViews(r, 0);
      expect(v!.forward).toMatchObject({ packets: 3, [action === 'allow' ? 'allowed' : 'denied']: 3, rule: 100, action });
      expect(r.report.acls[0]!.rules.find((x) => x.number === 100 && x.direction === 'inbound')!.hits).toBe(1);
    }
  });

  it('a first fragment too short for its ports (2 bytes) does not hand its verdict to another datagram', async () => {
    // Row 0 of the second 4096-packet batch is a first fragment without a usable header; the same row of the first
    // batch held datagram 42's first fragment, whose later fragment follows.
    const fill: Spec = ['192.168.0.1', '192.168.0.2', { proto: 'udp', sport: 1, dport: 2, payload: new Uint8Array(4) }];
    const broken: Spec = ['10.0.1.6', '10.0.2.7', { proto: 17, payload: new Uint8Array(2) }, { moreFragments: true, dontFragment: false, ident: 43 }];
    const cap = buildCapture([first, ...Array<Spec>(4095).fill(fill), broken, later]);
    const r = await replay(cap, { acls: [acl('allow')], subnets: ['10.0.2.0/24'] });
    const v = verdictViews(r, 0).find((x) => x.connection.clientPort === 5000)!;
    expect(v.forward).toMatchObject({ packets: 2, allowed: 2, rule: 100, action: 'allow' });
  });

  it('ICMP fragmentation-needed denied: ICMP_NEEDED', async () => {
    const noIcmp = yaml('no-icmp.yaml', `acls:\n  - id: no-icmp\n    inbound:\n      - { rule: 100, proto: udp, ports: 1024-65535, cidr: 0.0.0.0/0, action: allow }\n    outbound:\n      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }\n`);
    const r = await replay(CAP('ipv6-and-frag.pcap'), { acls: [noIcmp], subnets: ['10.0.1.11/32'] });
    const d = r.report.acls[0]!.diagnoses.find((x) => x.code === 'ICMP_NEEDED');
    expect(d).toMatchObject({ acl: 'no-icmp', direction: 'inbound', rule: '*' });
  });
});

describe('the proposed fix', () => {
  const fixOf = (r: ReplayResult) => {
    const d = r.report.acls[0]!.diagnoses.find((x) => x.code === 'RETURN_PORT_NOT_ALLOWED');
    expect(d, 'a RETURN_PORT_NOT_ALLOWED diagnosis').toBeDefined();
    return d!.fix as { action: string; entry: { ruleNumber: number; cidrBlock?: string; portRange: { from: number; to: number } } | null; command: string | null; verified: boolean; note: string };
  };
  // One client (port 3000: a single port says "anything from 1024 up", the NAT profile) of a web server in 10.0.2.0/24.
  const xpClient = () => buildCapture(tcpConnection('10.0.3.5', 3000, '10.0.2.10', 80));
  const serverAcl = (name: string, extraOutbound: string) =>
    yaml(
      name,
      `acls:
  - id: ${name.replace('.yaml', '')}
    inbound:
      - { rule: 100, proto: tcp, ports: 80, cidr: 0.0.0.0/0, action: allow }
    outbound:
${extraOutbound}`,
    );

  it('widens the return rule when nothing else is in the way', async () => {
    const acl = serverAcl('widen.yaml', '      - { rule: 100, proto: tcp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }\n');
    const fix = fixOf(await replay(xpClient(), { acls: [acl], subnets: ['10.0.2.0/24'] }));
    expect(fix).toMatchObject({ action: 'replace', verified: true, entry: { ruleNumber: 100, portRange: { from: 1024, to: 65535 } } });
  });

  it('does not widen over a later explicit deny: adds a narrow rule after it instead', async () => {
    const acl = serverAcl(
      'shadow.yaml',
      '      - { rule: 100, proto: tcp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }\n      - { rule: 150, proto: tcp, ports: 2500-3500, cidr: 10.0.1.0/24, action: deny }\n',
    );
    const fix = fixOf(await replay(xpClient(), { acls: [acl], subnets: ['10.0.2.0/24'] }));
    // Widening 100 to 1024-65535 would let 10.0.2.0/24 answer 10.0.1.0/24 on 2500-3500, which rule 150 denies on
    // purpose: the new rule goes after 150 and covers only what is missing.
    expect(fix).toMatchObject({ action: 'create', verified: true, entry: { ruleNumber: 160, cidrBlock: '0.0.0.0/0', portRange: { from: 1024, to: 32767 } } });
  });

  it('an ingress fix on the client subnet matches the servers as source', async () => {
    const acl = yaml(
      'client-side.yaml',
      `acls:
  - id: client-side
    inbound:
      - { rule: 100, proto: tcp, ports: 32768-65535, cidr: 10.0.2.0/24, action: allow }
    outbound:
      - { rule: 100, proto: tcp, ports: 80, cidr: 0.0.0.0/0, action: allow }
`,
    );
    const fix = fixOf(await replay(xpClient(), { acls: [acl], subnets: ['10.0.3.0/24'] }));
    expect(fix).toMatchObject({ action: 'replace', verified: true, entry: { ruleNumber: 100, cidrBlock: '10.0.2.0/24', portRange: { from: 1024, to: 65535 } } });
  });

  it('no free rule number after the explicit deny a new entry must follow: no entry, no command, a note saying so', async () => {
    const acl = serverAcl('full.yaml', '      - { rule: 100, proto: tcp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }\n      - { rule: 32766, proto: tcp, ports: 2000, cidr: 0.0.0.0/0, action: deny }\n');
    const fix = fixOf(await replay(xpClient(), { acls: [acl], subnets: ['10.0.2.0/24'] }));
    expect(fix).toMatchObject({ entry: null, command: null, verified: false });
    expect(fix.note).toMatch(/no free rule number after rule 32766 on egress of full: renumber the ACL, then allow tcp 1024-32767/);
  });

  it('an earlier explicit deny inside the range stays in force: the rest is opened, and verified, and the deny named', async () => {
    // 40 connections from ports 1200-4900: the client is inferred as Windows XP/2003 (1025-5000). Rule 50 keeps
    // 1025-1100 denied on purpose: the new rule 110 opens the rest of the range and leaves it in force.
    const specs: Spec[] = [];
    for (let i = 0; i < 40; i++) specs.push(...tcpConnection('10.0.3.5', 1200 + i * 92, '10.0.2.10', 80, 5000 + i));
    const acl = serverAcl(
      'earlier-deny.yaml',
      '      - { rule: 50, proto: tcp, ports: 1025-1100, cidr: 0.0.0.0/0, action: deny }\n      - { rule: 100, proto: tcp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }\n',
    );
    const r = await replay(buildCapture(specs), { acls: [acl], subnets: ['10.0.2.0/24'] });
    const client = (r.report.acls[0]!.diagnoses.find((x) => x.code === 'RETURN_PORT_NOT_ALLOWED')!.clients as { profile: string; range: number[] }[])[0]!;
    expect(client).toMatchObject({ profile: 'windows-legacy', range: [1025, 5000] });
    const fix = fixOf(r) as ReturnType<typeof fixOf> & { deniesInForce: unknown[] };
    expect(fix).toMatchObject({ action: 'create', verified: true, entry: { ruleNumber: 110, portRange: { from: 1101, to: 5000 } }, deniesInForce: [{ rule: 50, ports: '1025-1100', clients: 1 }] });
    expect(fix.note).toMatch(/explicit deny 50 \(1025-1100\) stays in force/);
  });
});
