/** Zeek's TCP edge-case traces: missing SYNs, reordered handshakes, one-sided captures, oriented sensibly. */
import { it, expect } from 'vitest';
import { join } from 'node:path';
import { describeCorpus, CORPUS_DIR } from '../helpers/corpus.js';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { flowRecords } from '../helpers/tables.js';

const T = join(CORPUS_DIR, 'pcaps', 'zeek+zeek', 'testing', 'btest', 'Traces', 'tcp');

async function only(file: string) {
  const a = await analyzeCapture(join(T, file), { jobs: 1 });
  const tcp = flowRecords(a.connections).filter((c) => c.proto === 'tcp');
  return tcp;
}

describeCorpus('orientation on Zeek TCP traces', () => {
  it('handshake-reorder: the SYN-ACK is captured before the SYN; the SYN still decides', async () => {
    const [c] = await only('handshake-reorder.pcap');
    // The SYN-ACK comes first in the file, so "first packet" would pick the server as client; the SYN overrides it.
    expect(c).toMatchObject({ client: '141.142.228.5', clientPort: 59856, server: '192.150.187.43', serverPort: 80, orientation: 'syn', state: 'SF', attempt: 'completed' });
  });

  it('missing-syn: no SYN at all, the SYN-ACK sender is the server', async () => {
    const [c] = await only('missing-syn.pcap');
    expect(c).toMatchObject({ client: '141.42.64.125', clientPort: 56730, serverPort: 80, orientation: 'syn-ack', attempt: 'completed' });
  });

  it('http-on-irc-port-missing-syn: the client uses 6669 (an IRC service port) and still is the client', async () => {
    // Port evidence would make 6669 the server; the SYN-ACK from port 80 outranks it.
    const [c] = await only('http-on-irc-port-missing-syn.pcapng');
    expect(c).toMatchObject({ clientPort: 6669, serverPort: 80, orientation: 'syn-ack' });
  });

  it('one-sided-2745: only the responder is visible; Zeek calls it SHR', async () => {
    const conns = await only('one-sided-2745.pcap');
    expect(conns).toHaveLength(2);
    for (const c of conns) expect(c).toMatchObject({ clientPort: 2745, orientation: 'syn-ack', clientPackets: 0 });
    expect(conns[0]!.state).toBe('SHR');
  });

  it('no-handshake: one data segment to port 80, oriented by the service port', async () => {
    const [c] = await only('no-handshake.pcap');
    expect(c).toMatchObject({ clientPort: 59856, serverPort: 80, orientation: 'port-heuristic', portEvidence: 'service-port', state: 'OTH' });
  });

  it('syn-then-stuff-then-rst: SYN, bare ACK back, FIN and RST from the originator: OTH as Zeek has it', async () => {
    const [c] = await only('syn-then-stuff-then-rst.pcap');
    expect(c).toMatchObject({ client: '1.1.1.1', orientation: 'syn', state: 'OTH' });
  });
});
