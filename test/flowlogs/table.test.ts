/** Flow-log records into the connection table, on literal lines: orientation, attempts, logged columns, addresses, memory. */
import { describe, it, expect } from 'vitest';
import { tempFile } from './helpers.js';
import { readTraffic } from '../../src/analyze/traffic.js';
import { flowRecords } from '../helpers/tables.js';
import { flowRecord, FlowWriter } from '../../src/report/flows.js';
import { FlowLogConnections, foldRecords } from '../../src/flowlogs/connections.js';
import { FlowLogBatch } from '../../src/flowlogs/batch.js';
import { LogStatus, Action } from '../../src/flowlogs/fields.js';
import { fromFlowLogConnections } from '../../src/flowlogs/table.js';
import { LoggedBit } from '../../src/flow/logged.js';
import { ORIENTATIONS, orientationName, orientByFlowDirection, portEvidenceName } from '../../src/flow/orient.js';

const H = 'version interface-id subnet-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction pkt-srcaddr pkt-dstaddr';
const r = (eni: string, src: string, dst: string, sp: number, dp: number, pk: number, by: number, s: number, e: number, action: string, flags: number | '-', dir: string, psrc = '-', pdst = '-', proto = 6): string =>
  `5 ${eni} subnet-1 ${src} ${dst} ${sp} ${dp} ${proto} ${pk} ${by} ${s} ${e} ${action} OK ${flags} ${dir} ${psrc} ${pdst}`;

async function flows(lines: string[]) {
  const file = tempFile([H, ...lines].join('\n') + '\n');
  const a = await readTraffic([file]);
  return { a, file, flows: flowRecords(a.connections) };
}

describe('orientation codes', () => {
  it('flow-direction is the last orientation name, and codes keep the rule and the port evidence apart', () => {
    expect(ORIENTATIONS[ORIENTATIONS.length - 1]).toBe('flow-direction');
    expect(orientationName(orientByFlowDirection(1))).toBe('flow-direction');
    expect(portEvidenceName(orientByFlowDirection(0))).toBeNull();
  });
});

describe('flow-log connections in the connection table', () => {
  it('orientation: tcp-flags SYN, then SYN-ACK, then the port heuristics, then flow-direction, then the earlier first record', async () => {
    const { flows: f } = await flows([
      // SYN from the high port: the client, whatever the ports say
      r('eni-a', '10.0.0.5', '10.0.1.9', 50000, 8443, 2, 120, 100, 101, 'ACCEPT', 2, 'ingress'),
      // only the SYN-ACK logged (the SYN was in an earlier file): its receiver is the client
      r('eni-a', '10.0.1.9', '10.0.0.6', 443, 51000, 1, 60, 100, 101, 'ACCEPT', 18, 'egress'),
      // no tcp-flags: a service port
      r('eni-a', '10.0.0.7', '10.0.1.9', 52000, 22, 5, 500, 100, 110, 'ACCEPT', '-', 'ingress'),
      r('eni-a', '10.0.1.9', '10.0.0.7', 22, 52000, 5, 500, 100, 110, 'ACCEPT', '-', 'egress'),
      // two ephemeral ports, one direction logged, with flow-direction: its sender is the client
      r('eni-a', '10.0.1.9', '10.0.0.8', 40001, 40002, 3, 180, 100, 101, 'REJECT', '-', 'egress'),
      // two ephemeral ports, both directions, no flow-direction: the one that started earlier (read second)
      `5 eni-a subnet-1 10.0.0.4 10.0.1.9 41001 41002 17 1 60 107 108 ACCEPT OK - - - -`,
      `5 eni-a subnet-1 10.0.1.9 10.0.0.4 41002 41001 17 1 60 105 106 ACCEPT OK - - - -`,
    ]);
    const by = (port: number) => f.find((x) => x.clientPort === port || x.serverPort === port)!;
    expect(by(8443)).toMatchObject({ client: '10.0.0.5', clientPort: 50000, orientation: 'syn' });
    expect(by(51000)).toMatchObject({ client: '10.0.0.6', clientPort: 51000, orientation: 'syn-ack' });
    expect(by(22)).toMatchObject({ client: '10.0.0.7', orientation: 'port-heuristic', portEvidence: 'service-port' });
    expect(by(40001)).toMatchObject({ client: '10.0.1.9', clientPort: 40001, orientation: 'flow-direction', serverPackets: 0 });
    expect(by(41001)).toMatchObject({ client: '10.0.1.9', clientPort: 41002, orientation: 'first-packet' });
  });

  it('attempts and conn_state without ACK in tcp-flags: completed after an accepted SYN-ACK, unanswered when the reply was rejected', async () => {
    const { flows: f } = await flows([
      r('eni-a', '10.0.0.5', '10.0.1.9', 50000, 80, 6, 400, 100, 101, 'ACCEPT', 3, 'ingress'),
      r('eni-a', '10.0.1.9', '10.0.0.5', 80, 50000, 5, 900, 100, 101, 'ACCEPT', 19, 'egress'),
      r('eni-a', '10.0.0.5', '10.0.1.9', 50001, 80, 3, 180, 100, 107, 'ACCEPT', 2, 'ingress'),
      r('eni-a', '10.0.1.9', '10.0.0.5', 80, 50001, 6, 360, 100, 107, 'REJECT', 18, 'egress'),
      r('eni-a', '10.0.0.5', '10.0.1.9', 50002, 81, 1, 60, 100, 101, 'ACCEPT', 2, 'ingress'),
      r('eni-a', '10.0.1.9', '10.0.0.5', 81, 50002, 1, 40, 100, 101, 'ACCEPT', 4, 'egress'),
      r('eni-a', '10.0.0.5', '10.0.1.9', 50003, 80, 3, 180, 100, 107, 'REJECT', 2, 'ingress'),
    ]);
    const by = (port: number) => f.find((x) => x.clientPort === port)!;
    expect(by(50000)).toMatchObject({ attempt: 'completed', state: 'SF' });
    expect(by(50001)).toMatchObject({ attempt: 'unanswered', state: 'S0', serverPackets: 6 });
    expect(by(50002)).toMatchObject({ attempt: 'rejected', state: 'REJ' });
    expect(by(50003)).toMatchObject({ attempt: 'unanswered', state: 'S0' });
  });

  it('logged columns: interface, subnet, per side records, REJECT counts and the first record of each side (file:line)', async () => {
    const { a, file } = await flows([
      r('eni-a', '10.0.0.5', '10.0.1.9', 50000, 80, 3, 180, 100, 101, 'ACCEPT', 2, 'ingress'),
      r('eni-b', '10.0.0.6', '10.0.1.9', 50000, 80, 3, 180, 100, 101, 'ACCEPT', 2, 'ingress'),
      r('eni-a', '10.0.1.9', '10.0.0.5', 80, 50000, 2, 120, 100, 101, 'ACCEPT', 18, 'egress'),
      r('eni-a', '10.0.1.9', '10.0.0.5', 80, 50000, 4, 240, 102, 104, 'REJECT', 1, 'egress'),
    ]);
    const ct = a.connections;
    const rec = flowRecord(ct, 0).logged as Record<string, any>;
    expect(rec).toMatchObject({ interface: 'eni-a', subnet: 'subnet-1', record: `${file}:2`, addresses: null });
    expect(rec.client).toEqual({ records: 1, action: 'ACCEPT', rejectedRecords: 0, rejectedPackets: 0, firstRecord: `${file}:2`, tcpFlags: 2, flowDirection: 'ingress' });
    expect(rec.server).toEqual({ records: 2, action: 'mixed', rejectedRecords: 1, rejectedPackets: 4, firstRecord: `${file}:4`, tcpFlags: 19, flowDirection: 'egress' });
    expect((flowRecord(ct, 1).logged as Record<string, unknown>).interface).toBe('eni-b');
    // the byte writer's JSON is the record's JSON.stringify text (names are ASCII here)
    const w = new FlowWriter(ct);
    for (let i = 0; i < ct.count; i++) {
      w.json(i);
      expect(Buffer.from(w.out.take()).toString('latin1')).toBe(JSON.stringify(flowRecord(ct, i)));
    }
  });

  it('pkt-srcaddr / pkt-dstaddr: a NAT gateway ENI logs its own address; the connection uses the packet-level ones, and says so', async () => {
    const { a } = await flows([
      // the client's request arrives at the gateway for 10.0.2.10 (dstaddr: the ENI's own address)
      r('eni-nat', '10.0.3.11', '10.0.2.20', 52704, 80, 2, 120, 100, 101, 'ACCEPT', 2, 'ingress', '10.0.3.11', '10.0.2.10'),
      r('eni-nat', '10.0.2.20', '10.0.3.11', 80, 52704, 2, 120, 100, 101, 'ACCEPT', 18, 'egress', '10.0.2.10', '10.0.3.11'),
    ]);
    const ct = a.connections;
    const f = flowRecords(ct)[0]!;
    expect(f).toMatchObject({ client: '10.0.3.11', server: '10.0.2.10', serverPort: 80 });
    expect(ct.logs!.bits[0]! & LoggedBit.SERVER_TRANSLATED).toBeTruthy();
    const addresses = (flowRecord(ct, 0).logged as { addresses: { serverLogged: string; clientLogged: string | null; note: string } }).addresses;
    expect(addresses.serverLogged).toBe('10.0.2.20');
    expect(addresses.clientLogged).toBeNull();
    expect(addresses.note).toMatch(/pkt-srcaddr\/pkt-dstaddr/);
    const w = new FlowWriter(ct);
    w.json(0);
    expect(Buffer.from(w.out.take()).toString('latin1')).toBe(JSON.stringify(flowRecord(ct, 0)));
  });

  it('the byte writer escapes what is not ASCII (a file name): the same record once parsed', async () => {
    const file = tempFile([H, r('eni-a', '10.0.0.5', '10.0.1.9', 50000, 80, 3, 180, 100, 101, 'ACCEPT', 2, 'ingress')].join('\n') + '\n', 'räume/ü.log');
    const ct = (await readTraffic([file])).connections;
    const w = new FlowWriter(ct);
    w.json(0);
    const text = Buffer.from(w.out.take()).toString('latin1');
    expect(text).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(flowRecord(ct, 0))));
    expect((JSON.parse(text) as { logged: { record: string } }).logged.record).toBe(`${file}:2`);
  });

  it('memory is proportional to connections, not records: a week of the same 5-tuples', () => {
    const batch = new FlowLogBatch(4096);
    const t = new FlowLogConnections({ intervalSeconds: 600 });
    const connections = 2000;
    const days = 7 * 24 * 6; // one record per direction every 10 minutes for a week
    let records = 0;
    for (let tick = 0; tick < days; tick++) {
      for (let c = 0; c < connections; c++) {
        for (let dir = 0; dir < 2; dir++) {
          const i = batch.length;
          batch.resetRow(i);
          batch.family[i] = 4;
          const client = (10 << 24) | c;
          const server = (10 << 24) | (1 << 16) | 9;
          batch.src[4 * i] = dir ? server : client;
          batch.dst[4 * i] = dir ? client : server;
          batch.srcPort[i] = dir ? 443 : 40000 + (c % 20000);
          batch.dstPort[i] = dir ? 40000 + (c % 20000) : 443;
          batch.proto[i] = 6;
          batch.packets[i] = 10;
          batch.bytes[i] = 1000;
          batch.start[i] = tick * 600;
          batch.end[i] = tick * 600 + 599;
          batch.action[i] = Action.ACCEPT;
          batch.logStatus[i] = LogStatus.OK;
          batch.interfaceId[i] = 0;
          batch.fileIndex[i] = 0;
          batch.line[i] = ++records;
          batch.length++;
          if (batch.length === batch.capacity) {
            foldRecords(batch, t);
            batch.clear();
          }
        }
      }
    }
    foldRecords(batch, t);
    expect(records).toBe(2 * connections * days);
    expect(t.count).toBe(connections);
    const ct = fromFlowLogConnections(t, { interfaces: ['eni-a'], subnets: [], files: ['week.log'] });
    expect(ct.count).toBe(connections);
    expect(ct.clientPackets[0]).toBe(10 * days);
    // both tables together stay within a few hundred bytes per connection, whatever the number of records
    const perConnection = (t.byteSize() + ct.byteSize()) / connections;
    expect(perConnection).toBeLessThan(1200);
  });
});
