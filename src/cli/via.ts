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
