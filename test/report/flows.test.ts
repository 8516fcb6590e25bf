import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { flowJson, flowRecord, flowTsv, FLOW_FIELDS } from '../../src/report/flows.js';
import { tsvLine } from '../../src/report/text.js';
import { REPO_ROOT } from '../helpers/corpus.js';


describe('hand-written flow serializers equal the generic ones', () => {
  it('JSON and TSV of every connection of the recorded captures', async () => {
    let n = 0;
    for (const f of ['mixed-clients.pcap', 'ipv6-and-frag.pcap', 'return-drop.pcap']) {
      const a = await analyzeCapture(join(REPO_ROOT, 'captures', f), { jobs: 1 });
      const ct = a.connections;
      for (let i = 0; i < ct.count; i++) {
        expect(flowJson(ct, i)).toBe(JSON.stringify(flowRecord(ct, i)));
        expect(flowTsv(ct, i)).toBe(tsvLine(flowRecord(ct, i), FLOW_FIELDS));
        n++;
      }
    }
    expect(n).toBeGreaterThan(150);
  });
});
