/**
 * `npm run bench`: runs every suite, prints the results, writes bench/out/results.json and, with --readme, the
 * results table between the BENCH markers of README.md. `--quick` uses small inputs (for a smoke run), `--only x,y`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyV8Tuning } from '../src/tuning.js';
import { type BenchResult, type BenchSuite, ensureOutDir, machineDescription, sig, REPO_ROOT } from './harness.js';

applyV8Tuning();

async function loadSuites(): Promise<BenchSuite[]> {
  const mods = ['./reader.bench.js', './acl.bench.js', './flows.bench.js', './replay.bench.js', './flowlogs.bench.js', './shards.bench.js'];
  const suites: BenchSuite[] = [];
  for (const m of mods) {
    try {
      const mod = (await import(m)) as { suite?: BenchSuite; mirrorSuite?: BenchSuite };
      if (mod.suite) suites.push(mod.suite);
      if (mod.mirrorSuite) suites.push(mod.mirrorSuite);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  return suites;
}

function renderTable(results: BenchResult[], when: string): string {
  const lines = [
    `Measured ${when} on ${machineDescription()} by \`npm run bench\`.`,
    '',
    '| suite | measurement | ours | peer (same run) | ratio | goal | met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const peer = r.peer ? `${r.peer}: ${sig(r.peerValue ?? NaN)} ${r.unit}` : '';
    const ratio = r.ratio !== undefined ? `${sig(r.ratio)}x` : '';
    lines.push(`| ${r.suite} | ${r.name}${r.note ? `<br><sub>${r.note}</sub>` : ''} | ${sig(r.value)} ${r.unit} | ${peer} | ${ratio} | ${r.goal ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} |`);
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyArg = args.find((a) => a.startsWith('--only='));
  const only = onlyArg ? onlyArg.slice(7).split(',') : null;
  const results: BenchResult[] = [];
  for (const s of await loadSuites()) {
    if (only ? !only.includes(s.name) : s.explicitOnly) continue;
    process.stderr.write(`bench: ${s.name} ...\n`);
    await s.run({
      outDir: ensureOutDir(),
      quick,
      record(r) {
        results.push(r);
        process.stderr.write(`  ${r.name}: ${sig(r.value)} ${r.unit}${r.peer ? ` vs ${r.peer} ${sig(r.peerValue ?? NaN)} (${sig(r.ratio ?? NaN)}x)` : ''}${r.goal ? ` [goal ${r.goal}: ${r.met ? 'met' : 'NOT met'}]` : ''}\n`);
      },
    });
  }
  const when = new Date().toISOString().slice(0, 10);
  writeFileSync(join(ensureOutDir(), 'results.json'), JSON.stringify({ date: when, machine: machineDescription(), quick, results }, null, 2));
  const tableText = renderTable(results, when);
  process.stdout.write(tableText);
  if (args.includes('--readme') && !quick && !only) {
    const readme = join(REPO_ROOT, 'README.md');
    const text = readFileSync(readme, 'utf8');
    const start = '<!-- BENCH:START -->';
    const end = '<!-- BENCH:END -->';
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a >= 0 && b > a) writeFileSync(readme, text.slice(0, a + start.length) + '\n' + tableText + text.slice(b));
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
