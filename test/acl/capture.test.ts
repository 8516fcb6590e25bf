import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/acl/classify.js';
import { compileAcl } from '../../src/acl/compile.js';
import { linearClassify } from '../../src/acl/linear.js';
import { loadAcls } from '../../src/acl/load.js';
import { summarizeCapture } from '../../src/pass/summary.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { FIXTURES } from './helpers.js';

const CAPTURES = join(REPO_ROOT, 'captures');
const files = existsSync(CAPTURES) ? readdirSync(CAPTURES).filter((f) => /\.pcap(ng)?$/.test(f)) : [];

describe('compiled == linear on real decoded PacketBatches (captures/)', () => {
  it('has captures to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  const acls = [...loadAcls(join(FIXTURES, 'native.yaml')), ...loadAcls(join(FIXTURES, 'lint-cases.yaml')), ...loadAcls(join(FIXTURES, 'classbench-tabs-crlf.rules'))];
  for (const f of files) {
    it(f, async () => {
      const compiled = acls.map((a) => compileAcl(a));
      let packets = 0;
      let bad = 0;
      const out = new Int32Array(4096);
      await summarizeCapture(join(CAPTURES, f), {}, (b) => {
        acls.forEach((acl, j) => {
          for (const dir of ['inbound', 'outbound'] as const) {
            classify(compiled[j]![dir], b, null, b.length, out);
            for (let i = 0; i < b.length; i++) if (out[i] !== linearClassify(acl[dir], b, i)) bad++;
          }
        });
        packets += b.length;
      });
      expect(packets).toBeGreaterThan(0);
      expect(bad).toBe(0);
    });
  }
});
