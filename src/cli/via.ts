/**
 * How this process reads traffic when the work was done elsewhere: `merge` (partials of a plan) and `--queue`
 * (partials from queue workers) set it before the command runs, and the command reads through it unchanged, so
 * it prints exactly what it prints when it reads the traffic itself.
 */
import type { TrafficVia } from '../analyze/traffic.js';

let active: TrafficVia | undefined;

export function useTrafficVia(via: TrafficVia | undefined): void {
  active = via;
}

export function trafficVia(): TrafficVia | undefined {
  return active;
}

/**
 * Set once a queue run has closed its Redis connections: ioredis's reply parser keeps a 50 ms interval alive for
 * a few seconds after large replies (shrinking its buffer pool), so the process ends explicitly once it is done.
 */
let ended = false;

export function noteQueueClosed(): void {
  ended = true;
}

export function queueClosed(): boolean {
  return ended;
}
