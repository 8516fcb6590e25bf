/** A progress bar on stderr for long inputs, only when stderr is a terminal (never in pipes or CI). */
import cliProgress from 'cli-progress';

const LONG_INPUT = 64 << 20;

/** Returns an onProgress callback (or undefined) and a function that removes the bar. */
export function progressBar(label: string): { onProgress: ((done: number, total: number) => void) | undefined; stop: () => void } {
  if (!process.stderr.isTTY || process.env.CI) return { onProgress: undefined, stop: () => {} };
  let bar: cliProgress.SingleBar | null = null;
  return {
    onProgress(done, total) {
      if (total >= 0 && total < LONG_INPUT) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: `${label} [{bar}] {percentage}% {doneMiB}/{totalMiB} MiB`, hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total > 0 ? total : done, 0, { doneMiB: 0, totalMiB: total > 0 ? (total / 2 ** 20).toFixed(0) : '?' });
      }
      if (total <= 0) bar.setTotal(done);
      bar.update(done, { doneMiB: (done / 2 ** 20).toFixed(0) });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

/** A progress bar of shards done (queue runs), only when stderr is a terminal. */
export function shardProgressBar(): { onProgress: ((done: number, total: number) => void) | undefined; stop: () => void } {
  if (!process.stderr.isTTY || process.env.CI) return { onProgress: undefined, stop: () => {} };
  let bar: cliProgress.SingleBar | null = null;
  let stopped = false;
  return {
    onProgress(done, total) {
      if (stopped) return;
      if (!bar) {
        bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'shards [{bar}] {value}/{total}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(total, 0);
      }
      bar.update(done);
    },
    stop() {
      stopped = true;
      bar?.stop();
      bar = null;
    },
  };
}
