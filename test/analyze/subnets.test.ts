/** Subnets from the ACLs' own associations: describe-network-acls + describe-subnets, as AWS returns them. */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runReplay } from '../../src/analyze/replay.js';
import { describeCorpus, CORPUS_DIR, REPO_ROOT } from '../helpers/corpus.js';
import { runCli } from '../helpers/cli.js';
import { buildCapture, tcpConnection, type Spec } from '../helpers/build.js';
import { verdictViews } from '../helpers/tables.js';

const SUBNETS = join(REPO_ROOT, 'test', 'fixtures', 'replay', 'describe-subnets.json');
const NACLS = join(CORPUS_DIR, 'nacl', '01_awscli-example_describe-network-acls.json');
const CAP = join(REPO_ROOT, 'captures', 'mixed-clients.pcap');

describeCorpus('replay placed by associations (--subnets)', () => {
  it('the AWS CLI example ACL lands on its associated subnet and allows everything', async () => {
    const r = await runReplay(CAP, { acls: [`${NACLS}#acl-0ea1f54ca7EXAMPLE`], subnets: [], subnetsFile: SUBNETS, load: {} }, { jobs: 1 });
    const a = r.report.acls[0]!;
    expect(a.subnets).toEqual(['10.0.2.0/24', 'fd00:2::/64']);
    // IPv4 allow-all rules; the example has no IPv6 rules, so IPv6 traffic meets the IPv6 default deny.
    const v6 = verdictViews(r, 0).filter((v) => v.connection.family === 6 && v.outcome !== 'not-applicable');
    const v4 = verdictViews(r, 0).filter((v) => v.connection.family === 4 && v.outcome !== 'not-applicable');
    expect(v4.every((v) => v.outcome === 'ok')).toBe(true);
    expect(v6.length).toBeGreaterThan(0);
    expect(v6.every((v) => v.forward.action === 'deny' && v.forward.rule === '*')).toBe(true);
    // TCP and UDP replies (captured or synthetic) meet the IPv6 default deny too; one-way ICMPv6 messages have none.
    expect(v6.filter((v) => v.connection.proto === 'tcp' || v.connection.proto === 'udp').every((v) => v.outcome === 'both-blocked')).toBe(true);
  });

  it('an ACL without associations is a usage error that suggests a subnet', () => {
    const r = runCli(['replay', CAP, '--acl', `${NACLS}#acl-0e2a78e4e2EXAMPLE`, '--subnets', SUBNETS]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no subnet for ACL acl-0e2a78e4e2EXAMPLE.*--subnet 10\.0\.2\.0\/24/);
  });
});

describe('subnet suggestions', () => {
  it('are networks the connections cross: a client in the server\'s /24 gives a narrower one', () => {
    const conns = (client: string, server: string, n: number): Spec[] => Array.from({ length: n }, (_, i) => tcpConnection(client, 40000 + i, server, 80)).flat();
    const file = buildCapture([...conns('10.0.2.5', '10.0.2.200', 3), ...conns('10.7.0.1', '10.0.9.9', 2), ...conns('10.0.4.3', '10.0.4.4', 1)]);
    const r = runCli(['replay', file, '--acl', join(REPO_ROOT, 'examples', 'classic-return.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/busiest servers in .* are in 10\.0\.2\.192\/28, 10\.0\.9\.0\/24, 10\.0\.4\.4\/32 \(e\.g\. --subnet 10\.0\.2\.192\/28\)/);
  });
});
