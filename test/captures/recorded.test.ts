/**
 * The captures in captures/ were recorded from real kernels by scripts/record-captures.sh, which also wrote
 * captures/manifest.json from its own independent reading of each capture (tshark) and of what each namespace did.
 * These tests hold our flows, clients and diagnose output to that record, and to golden files in captures/expected/
 * (regenerate with UPDATE_GOLDEN=1 after reviewing the diff).
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCapture, type CaptureAnalysis } from '../../src/analyze/capture.js';
import { inferClients } from '../../src/flow/clients.js';
import { captureFindings } from '../../src/analyze/findings.js';
import { flowRecord } from '../../src/report/flows.js';
import { runReplay } from '../../src/analyze/replay.js';
import { verdictRecord } from '../../src/report/replay.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { flowRecords, clientRecords, type FlowRecord } from '../helpers/tables.js';

interface ManifestFlow {
  client: string;
  client_port: number;
  server: string;
  server_port: number;
  outcome: string;
}
interface ManifestClient {
  name: string;
  seen_by_server: { ipv4?: string; ipv6?: string };
  ip_local_port_range: [number, number];
  ttl: number;
  nat: { port_range: [number, number] } | null;
}
interface ManifestCapture {
  file: string;
  name: string;
  tcp_conversations: number;
  clients: ManifestClient[];
  tcp_flows: ManifestFlow[];
  udp_flows: ManifestFlow[];
  icmp_errors: { type: number; code: number; inner: { src: string; dst: string; proto: number; sport: number; dport: number } }[];
}

const DIR = join(REPO_ROOT, 'captures');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { captures: ManifestCapture[]; return_rule_threshold: number };

/** Our attempt outcome for each outcome the recording script observed. */
const OUTCOME: Record<string, string> = {
  established: 'completed',
  refused: 'rejected',
  no_response: 'unanswered',
  answered: 'completed',
  unanswered: 'unanswered',
  'icmp-port-unreachable': 'rejected',
};
const PROFILE_OF: Record<string, string> = { linux: 'linux', windows: 'windows', 'windows-legacy': 'windows-legacy', nat: 'nat' };

const cache = new Map<string, CaptureAnalysis & { flows: FlowRecord[] }>();
async function analysis(file: string): Promise<CaptureAnalysis & { flows: FlowRecord[] }> {
  if (!cache.has(file)) {
    const a = await analyzeCapture(join(DIR, file), { jobs: 1 });
    cache.set(file, { ...a, flows: flowRecords(a.connections) });
  }
  return cache.get(file)!;
}

function key(client: string, cport: number | null, server: string, sport: number | null): string {
  return `${client}|${cport}|${server}|${sport}`;
}

function golden(name: string, value: unknown): void {
  const dir = join(DIR, 'expected');
  const file = join(dir, name);
  const text = JSON.stringify(value, null, 2) + '\n';
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
  }
  expect(text).toBe(readFileSync(file, 'utf8'));
}

describe('recorded captures against what the recording saw', () => {
  for (const cap of manifest.captures) {
    describe(cap.file, () => {
      it('every TCP and UDP connection, with its outcome', async () => {
        const a = await analysis(cap.file);
        for (const [proto, expected] of [
          ['tcp', cap.tcp_flows],
          ['udp', cap.udp_flows],
        ] as const) {
          const ours = new Map(a.flows.filter((c) => c.proto === proto).map((c) => [key(c.client, c.clientPort, c.server, c.serverPort), c.attempt]));
          const theirs = new Map(expected.map((f) => [key(f.client, f.client_port, f.server, f.server_port), OUTCOME[f.outcome] ?? f.outcome]));
          expect(new Map([...ours].filter(([k]) => theirs.has(k))), `${proto} outcomes`).toEqual(theirs);
          // We may see more UDP flows than the script planned (e.g. neighbour discovery is not UDP, but mDNS could be); TCP must match exactly.
          if (proto === 'tcp') expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
        }
        expect(a.flows.filter((c) => c.proto === 'tcp').length).toBe(cap.tcp_conversations);
      });

      it('each client host gets the profile of the range it was given', async () => {
        const a = await analysis(cap.file);
        const clients = clientRecords(inferClients(a.connections));
        for (const c of cap.clients) {
          const host = c.seen_by_server.ipv4;
          if (!host) continue;
          const got = clients.find((x) => x.host === host);
          if (!got) continue; // a client that made no TCP/UDP connection in this capture
          expect(got.profile, `${cap.file} ${c.name} (${host})`).toBe(PROFILE_OF[c.name]);
          const range = c.nat ? c.nat.port_range : c.ip_local_port_range;
          expect(got.minPort).toBeGreaterThanOrEqual(range[0]);
          expect(got.maxPort).toBeLessThanOrEqual(range[1]);
          if (got.ports >= 8) expect(got.confidence, `${c.name} confidence`).toBeGreaterThan(0.6);
        }
      });

      it('ICMP errors are attributed to the connection they quote', async () => {
        const a = await analysis(cap.file);
        for (const e of cap.icmp_errors) {
          const c = a.flows.find((x) => x.protoNumber === e.inner.proto && x.client === e.inner.src && x.clientPort === e.inner.sport && x.serverPort === e.inner.dport);
          expect(c, `connection quoted by ICMP ${e.type}/${e.code}`).toBeDefined();
          expect(c!.icmpErrors).toBeGreaterThan(0);
        }
      });

      it('matches its golden flows, clients and findings', async () => {
        const a = await analysis(cap.file);
        golden(`${cap.name}.flows.json`, Array.from({ length: a.connections.count }, (_, i) => flowRecord(a.connections, i)));
        golden(`${cap.name}.clients.json`, clientRecords(inferClients(a.connections)));
        golden(`${cap.name}.diagnose.json`, captureFindings(a.connections));
      });
    });
  }
});

describe('capture-only diagnosis of the recorded return drop', () => {
  it('return-drop.pcap: failures are exactly the connections from client ports below 49152', async () => {
    const a = await analysis('return-drop.pcap');
    const web = a.flows.filter((c) => c.proto === 'tcp' && c.serverPort === 80);
    expect(web.length).toBeGreaterThan(20);
    for (const c of web) expect(c.attempt, `${c.client}:${c.clientPort}`).toBe(c.clientPort! < manifest.return_rule_threshold ? 'unanswered' : 'completed');
    const findings = captureFindings(a.connections);
    const f = findings.find((x) => x.code === 'RETURN_DROP_SUSPECTED' && x.server === '10.0.2.10' && x.serverPort === 80);
    expect(f).toMatchObject({ proto: 'tcp', threshold: { side: 'below', port: 49152 }, exceptions: 0 });
    const closed = findings.find((x) => x.code === 'SERVICE_UNREACHABLE' && x.serverPort === 8081);
    expect(closed).toBeDefined();
  });

  it('return-drop-udp.pcap: UDP requests unanswered exactly below 49152', async () => {
    const a = await analysis('return-drop-udp.pcap');
    const findings = captureFindings(a.connections);
    const dns = findings.filter((x) => x.code === 'RETURN_DROP_SUSPECTED' && x.proto === 'udp');
    expect(dns.length).toBeGreaterThan(0);
    for (const f of dns) expect(f).toMatchObject({ threshold: { side: 'below' }, exceptions: 0 });
  });

  it('mixed-clients.pcap: nothing but the closed port fails', async () => {
    const a = await analysis('mixed-clients.pcap');
    const findings = captureFindings(a.connections);
    expect(findings.every((f) => f.code === 'SERVICE_UNREACHABLE')).toBe(true);
    expect(findings.map((f) => `${f.proto}/${f.serverPort}`).sort()).toEqual(['tcp/8081', 'udp/9999']);
  });
});

describe('replay goldens on the recorded captures', () => {
  const EX = (f: string) => join(REPO_ROOT, 'examples', f);
  const SERVER = ['10.0.2.0/24', 'fd00:2::/64'];
  const cases: [string, string, string[]][] = [
    ['mixed-clients', 'mixed-clients.pcap', [EX('classic-return.yaml'), EX('fixed-return.yaml')]],
    ['return-drop', 'return-drop.pcap', [EX('windows-only-return.yaml'), EX('fixed-return.yaml')]],
    ['return-drop-udp', 'return-drop-udp.pcap', [EX('classic-return.yaml')]],
  ];
  for (const [name, file, acls] of cases) {
    it(`${name}: the replay report and every connection's verdicts`, async () => {
      const r = await runReplay(join(DIR, file), { acls, subnets: SERVER, load: {} }, { jobs: 1 });
      const report = { ...r.report, file };
      golden(`${name}.replay.json`, report);
      golden(`${name}.replay-connections.json`, r.report.acls.flatMap((_, s) => Array.from({ length: r.connections.count }, (_, i) => verdictRecord(r, s, i))));
    });
  }
});
