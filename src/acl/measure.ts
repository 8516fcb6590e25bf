/** Throughput measurement of a classifier pass, shared by `aclreplay bench` and bench/acl.bench.ts. */

/** Rate of `pass` (which classifies `packets` packets per call), from the best of timed groups after a warm-up. */
export function measureRate(pass: () => void, packets: number, opts: { minMs?: number; groupMs?: number } = {}): { mpps: number; nsPerLookup: number; passes: number } {
  const minMs = opts.minMs ?? 400;
  const groupMs = opts.groupMs ?? 20;
  // Warm-up: let the JIT optimize the loop before timing.
  const w0 = performance.now();
  let warm = 0;
  while (warm < 3 || performance.now() - w0 < Math.min(100, minMs / 4)) {
    pass();
    warm++;
  }
  const perPass = (performance.now() - w0) / warm;
  const group = Math.max(1, Math.ceil(groupMs / Math.max(perPass, 1e-3)));
  let best = Infinity;
  let passes = 0;
  const t0 = performance.now();
  do {
    const g0 = process.hrtime.bigint();
    for (let i = 0; i < group; i++) pass();
    const ns = Number(process.hrtime.bigint() - g0) / group;
    if (ns < best) best = ns;
    passes += group;
  } while (performance.now() - t0 < minMs);
  const nsPerLookup = best / Math.max(1, packets);
  return { mpps: packets === 0 ? 0 : 1e3 / nsPerLookup, nsPerLookup, passes };
}
