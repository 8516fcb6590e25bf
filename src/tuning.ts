/**
 * V8 settings for the hot loops, applied once per process before any of them is compiled.
 *
 * Measured and rejected (2 M generated packets, this machine): raising the inlining budgets
 * (--max-inlined-bytecode-size=1000, --max-inlined-bytecode-size-cumulative=5000) cuts steady-state decode from
 * 200 to 150 ms, but the larger optimized code takes longer to compile, so a single pass over the capture gains
 * little (248 -> 230 ms) and two worker threads compiling at once lose more than they gain (1.0 -> 2.4 s).
 * Nothing is set for the hot loops by default; ACLREPLAY_V8_FLAGS passes flags through for experiments.
 */
import v8 from 'node:v8';

let applied = false;

export function applyV8Tuning(): void {
  if (applied) return;
  applied = true;
  const extra = process.env.ACLREPLAY_V8_FLAGS;
  if (extra) for (const f of extra.split(/\s+/).filter(Boolean)) v8.setFlagsFromString(f);
}

let pooled = false;

/**
 * Before the first worker thread starts: young generations of at most 8 MiB a semi-space (V8's default grows to
 * 16). The pass allocates next to nothing per packet, so a larger young generation only holds pages: measured on
 * the bench's 2 GiB capture with 2 workers, peak RSS 181-207 MiB by default and 167-171 MiB with this, at the same
 * speed. Set once, for the isolates created after it; ACLREPLAY_V8_FLAGS with a semi-space size of its own wins.
 */
export function applyPoolTuning(): void {
  if (pooled) return;
  pooled = true;
  if (process.env.ACLREPLAY_V8_FLAGS?.includes('semi-space')) return;
  v8.setFlagsFromString('--max-semi-space-size=8');
}
