/** Locates ../shared/corpus; tests that need it skip with a visible message when it is absent (a fresh clone). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CORPUS_DIR = resolve(process.env.ACLREPLAY_CORPUS ?? join(REPO_ROOT, '..', 'shared', 'corpus'));

export function corpusAvailable(): boolean {
  return existsSync(join(CORPUS_DIR, 'pcaps', 'INDEX.tsv'));
}

const warned = new Set<string>();
/** `describe` that runs only when the corpus is present, else prints why it skipped. */
export function describeCorpus(name: string, fn: () => void): void {
  if (corpusAvailable()) {
    describe(name, fn);
    return;
  }
  if (!warned.has(name)) {
    warned.add(name);
    process.stderr.write(`SKIP ${name}: corpus not found at ${CORPUS_DIR} (clone ../shared beside the repo or set ACLREPLAY_CORPUS)\n`);
  }
  // The body is not run: it may read the corpus while collecting its tests.
  describe(name, () => {
    it.skip(`skipped: corpus absent at ${CORPUS_DIR}`, () => {});
  });
}

/** One row of pcaps/INDEX.tsv. */
export interface CorpusEntry {
  path: string;
  abs: string;
  size: number;
  format: string;
  linkTypes: string;
  capinfosPackets: number | null;
  headerWalk: string;
  tcpConversations: number | null;
  flags: string[];
  readError: string;
}

export function corpusIndex(): CorpusEntry[] {
  const text = readFileSync(join(CORPUS_DIR, 'pcaps', 'INDEX.tsv'), 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  return lines.slice(1).map((line) => {
    const c = line.split('\t');
    const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
    return {
      path: c[0]!,
      abs: join(CORPUS_DIR, 'pcaps', c[0]!),
      size: Number(c[1]),
      format: c[2] ?? '',
      linkTypes: c[4] ?? '',
      capinfosPackets: num(c[6]),
      headerWalk: c[7] ?? '',
      tcpConversations: num(c[9]),
      flags: (c[10] ?? '').split(';').filter(Boolean),
      readError: c[11] ?? '',
    };
  });
}
