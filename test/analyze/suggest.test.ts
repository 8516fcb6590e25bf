/**
 * suggest on the recorded captures: every output form re-imports (through our importers) to the same entries, the
 * aws ec2 commands applied EC2's way give the same ACL, what worked keeps working when the emitted ACL is replayed
 * from its file, the quota holds, and every line has a reason.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suggestAcl, type SuggestReport } from '../../src/analyze/suggest.js';
import { runReplay } from '../../src/analyze/replay.js';
import { parseCidr, type Acl } from '../../src/acl/model.js';
import { parseAclText, loadAcls } from '../../src/acl/load.js';
import { emitAcls, aclEntries, entryCommands, type EmitFormat } from '../../src/acl/emit/index.js';
import { ATTEMPTS } from '../../src/flow/connections.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { applyCommand, applyCommands, describeDocument, type DescribeEntry } from '../helpers/aws-commands.js';

const CAP = (f: string) => join(REPO_ROOT, 'captures', f);
const SUBNETS = ['10.0.2.0/24', 'fd00:2::/64'];
const cidrs = SUBNETS.map((t) => {
  const r = parseCidr(t);
  if (!r.ok) throw new Error(t);
  return r.cidr;
});
const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-suggest-'));
const FILE: Record<EmitFormat, string> = { aws: 'acl.json', yaml: 'acl.yaml', terraform: 'acl.tf', cloudformation: 'acl.cfn.yaml' };

const cache = new Map<string, Promise<SuggestReport>>();
function suggest(capture: string, current: Acl | null = null, maxRules = 20): Promise<SuggestReport> {
  const key = `${capture}|${current?.id ?? ''}|${maxRules}`;
  if (!cache.has(key)) cache.set(key, suggestAcl(CAP(capture), { subnets: cidrs, current, maxRules, pass: { jobs: 1 } }));
  return cache.get(key)!;
}

/** The ACL's entries as describe-network-acls entries (what EC2 would hold). */
function entriesOf(acl: Acl): unknown {
  const { ingress, egress } = aclEntries(acl);
  return { ingress, egress };
}

describe('suggest a new ACL', () => {
  for (const capture of ['mixed-clients.pcap', 'return-drop.pcap', 'return-drop-udp.pcap']) {
    it(`${capture}: each form re-imports to the same entries`, async () => {
      const r = await suggest(capture);
      for (const form of Object.keys(FILE) as EmitFormat[]) {
        const text = emitAcls(form, [r.acl]);
        const back = parseAclText(text, FILE[form], {});
        expect(back, form).toHaveLength(1);
        expect(entriesOf(back[0]!), form).toEqual(entriesOf(r.acl));
      }
    });
  }

  it('the create commands, applied the way EC2 does to an empty ACL, give the same entries', async () => {
    const r = await suggest('mixed-clients.pcap');
    const { ingress, egress } = aclEntries(r.acl);
    const acls = new Map<string, DescribeEntry[]>([[r.acl.id, []]]);
    for (const line of entryCommands(r.acl.id, [...egress, ...ingress].map((entry) => ({ action: 'create' as const, entry })))) applyCommand(acls, line);
    const back = parseAclText(describeDocument(r.acl.id, acls.get(r.acl.id)!), 'applied.json');
    expect(entriesOf(back[0]!)).toEqual(entriesOf(r.acl));
  });

  it('mixed-clients: services, the clients\' whole ranges and the ICMP seen; nothing else', async () => {
    const r = await suggest('mixed-clients.pcap');
    const { ingress, egress } = aclEntries(r.acl);
    const v4 = (l: typeof ingress) => l.filter((e) => e.cidrBlock).map((e) => `${e.protocol} ${e.portRange ? `${e.portRange.from}-${e.portRange.to}` : `icmp ${e.icmpTypeCode!.type}`}`);
    // The recording's services: tcp/80, udp/7 (echo), udp/53; the closed tcp/8081 and udp/9999 never worked.
    expect(v4(ingress)).toEqual(['6 80-80', '17 7-7', '17 53-53', '1 icmp 8']);
    // Replies: linux 32768-60999, windows 49152-65535, windows-legacy 1025-5000 and the NAT's 1024-65535: 1024-65535;
    // echo replies, and the port unreachable the server sent for udp/9999.
    expect(v4(egress)).toEqual(['6 1024-65535', '17 1024-65535', '1 icmp 0', '1 icmp 3']);
    expect(r.rules).toHaveLength(ingress.length + egress.length);
    for (const x of r.rules) expect(x.reason, `${x.direction} ${x.ruleNumber}`).toMatch(/service|replies|seen/);
  });

  it('replayed from its emitted file, every connection that completed still works; the closed ports are denied', async () => {
    const r = await suggest('mixed-clients.pcap');
    const file = join(tmp, 'mixed.json');
    writeFileSync(file, emitAcls('aws', [r.acl]));
    const rep = await runReplay(CAP('mixed-clients.pcap'), { acls: [file], subnets: SUBNETS, load: {} }, { jobs: 1 });
    const ct = rep.connections;
    let completed = 0;
    for (let i = 0; i < ct.count; i++) {
      const outcome = rep.verdicts.outcomeOf(0, i);
      if (ATTEMPTS[ct.attempt[i]!] === 'completed') {
        completed++;
        expect(outcome, `${ct.addresses.text(ct.client[i]!)}:${ct.clientPort[i]} -> ${ct.serverPort[i]}`).toMatch(/^(ok|not-applicable)$/);
      }
      if (ct.proto[i] === 6 && ct.serverPort[i] === 8081) expect(outcome).toBe('forward-blocked');
    }
    expect(completed).toBeGreaterThan(100);
    expect(r.stillWork).toBe(r.worked);
  });

  it('fits --max-rules by merging, and says what each merge opens', async () => {
    const r = await suggest('mixed-clients.pcap', null, 3);
    const { ingress, egress } = aclEntries(r.acl);
    for (const l of [ingress, egress]) for (const f of ['cidrBlock', 'ipv6CidrBlock'] as const) expect(l.filter((e) => e[f] !== undefined).length).toBeLessThanOrEqual(3);
    expect(r.merges).toContain('ingress IPv4, to fit 3 rules: merged udp 7 and 53 into 7-53, which also allows 8-52 (never used by a connection that worked)');
    expect(r.stillWork).toBe(r.worked);
  });

  it('too few rules for the protocols used is a usage error', async () => {
    await expect(suggestAcl(CAP('mixed-clients.pcap'), { subnets: cidrs, current: null, maxRules: 2, pass: { jobs: 1 } })).rejects.toThrow(/--max-rules 2 is too few: ingress IPv4 needs at least 3 rules/);
  });
});

describe('suggest a tightening of the current ACL', () => {
  const allowAll = parseAclText(
    `acls:
  - id: acl-0123
    inbound:
      - { rule: 50, proto: tcp, ports: 4444, cidr: 0.0.0.0/0, action: deny }
      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }
      - { rule: 101, proto: all, cidr: "::/0", action: allow }
    outbound:
      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }
      - { rule: 101, proto: all, cidr: "::/0", action: allow }
`,
    'allow-all.yaml',
  )[0]!;

  it('the commands applied to the current ACL the way EC2 does give the tightened ACL, which re-imports in every form', async () => {
    const r = await suggest('mixed-clients.pcap', allowAll);
    const back = applyCommands(allowAll, r.changes.map((c) => c.command));
    expect(entriesOf(back)).toEqual(entriesOf(r.acl));
    for (const form of Object.keys(FILE) as EmitFormat[]) expect(entriesOf(parseAclText(emitAcls(form, [r.acl]), FILE[form])[0]!), form).toEqual(entriesOf(r.acl));
  });

  it('splits the allow-all rules by protocol in their own place, keeps the deny, and gives every change a reason', async () => {
    const r = await suggest('mixed-clients.pcap', allowAll);
    const inbound = aclEntries(r.acl).ingress.map((e) => `${e.ruleNumber} ${e.ruleAction} ${e.protocol} ${e.portRange ? `${e.portRange.from}-${e.portRange.to}` : (e.icmpTypeCode?.type ?? '')}`);
    expect(inbound).toEqual(['50 deny 6 4444-4444', '100 allow 6 80-80', '101 allow 6 80-80', '102 allow 17 7-7', '103 allow 17 53-53', '104 allow 1 8', '105 allow 17 53-53', '106 allow 58 128']);
    expect(r.changes.map((c) => c.change.action)).toEqual([...Array(r.changes.filter((c) => c.change.action === 'create').length).fill('create'), 'replace', 'replace', 'replace', 'replace']);
    for (const c of r.changes) expect(c.reason).toMatch(/^(add|narrow|delete) (ingress|egress) rule \d+/);
    // The closed ports never worked: they stop being allowed, and nothing else changes outcome.
    expect(r.diff.changes.map((c) => `${c.from} -> ${c.to}`)).toEqual(['ok -> forward-blocked']);
    expect(r.diff.changes[0]!.examples.every((e) => e.serverPort === 8081 || e.serverPort === 9999)).toBe(true);
  });

  it('classic-return on return-drop: the tcp return rule is already what the clients need; unused rules go', async () => {
    const classic = loadAcls(join(REPO_ROOT, 'examples', 'classic-return.yaml'))[0]!;
    const r = await suggest('return-drop.pcap', classic);
    // tcp returns 32768-65535 are what the linux and windows clients use; only unused rules and ICMP narrow.
    expect(r.changes.some((c) => c.change.action === 'replace' && c.change.entry.ruleNumber === 100 && c.change.entry.egress)).toBe(false);
    expect(r.changes.filter((c) => c.change.action === 'delete').map((c) => c.command)).toContain('aws ec2 delete-network-acl-entry --network-acl-id classic-return --ingress --rule-number 120');
  });
});
