import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { FlowWriter, flowRecord, FLOW_FIELDS } from '../../src/report/flows.js';
import { tsvLine } from '../../src/report/text.js';
import { REPO_ROOT } from '../helpers/corpus.js';


describe('the byte writers of flows equal the generic serializers', () => {
  it('JSON and TSV of every connection of the recorded captures', async () => {
    let n = 0;
    for (const f of ['mixed-clients.pcap', 'ipv6-and-frag.pcap', 'return-drop.pcap']) {
      const a = await analyzeCapture(join(REPO_ROOT, 'captures', f), { jobs: 1 });
      const ct = a.connections;
      const w = new FlowWriter(ct);
      const text = () => Buffer.from(w.out.take()).toString('latin1');
      for (let i = 0; i < ct.count; i++) {
        w.json(i);
        expect(text()).toBe(JSON.stringify(flowRecord(ct, i)));
        w.tsv(i);
        expect(text()).toBe(tsvLine(flowRecord(ct, i), FLOW_FIELDS));
        n++;
      }
    }
    expect(n).toBeGreaterThan(150);
  });
});
