/**
 * Coverage gaps: NODATA and SKIPDATA records, per interface and time range. NODATA: "There was no network traffic to
 * or from the network interface during the aggregation interval"; SKIPDATA: "Some flow log records were skipped
 * during the aggregation interval" (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html,
 * log-status). A SKIPDATA range may hide any number of flows, so a report must not read it as empty.
 */
import { LogStatus } from './fields.js';

/** One merged gap. */
export interface CoverageGap {
  /** Interned interface id (the reader's `interfaces`), and its name. */
  interfaceId: number;
  interface: string;
  status: 'NODATA' | 'SKIPDATA';
  /** Unix seconds, the union of the merged records' [start, end]. */
  start: number;
  end: number;
  /** Records merged into this range. */
  records: number;
}

/** Gap records as they arrive: 4 numbers each (interface, status, start, end); merged when listed. */
export class CoverageGaps {
  private rows = new Float64Array(64);
  count = 0;

  /** Note one NODATA or SKIPDATA record. */
  add(interfaceId: number, status: number, start: number, end: number): void {
    if (4 * (this.count + 1) > this.rows.length) {
      const next = new Float64Array(2 * this.rows.length);
      next.set(this.rows);
      this.rows = next;
    }
    const r = 4 * this.count++;
    this.rows[r] = interfaceId;
    this.rows[r + 1] = status;
    this.rows[r + 2] = Math.min(start, end);
    this.rows[r + 3] = Math.max(start, end);
  }

  /**
   * The gaps per interface and status, ranges that overlap or touch (the next starts at most `joinSeconds` after
   * the previous ends; 1 by default, as AWS times are whole seconds) merged, sorted by interface, status, start.
   */
  list(interfaceName: (id: number) => string, joinSeconds = 1): CoverageGap[] {
    const order = Array.from({ length: this.count }, (_, k) => k);
    const r = this.rows;
    order.sort((a, b) => r[4 * a]! - r[4 * b]! || r[4 * a + 1]! - r[4 * b + 1]! || r[4 * a + 2]! - r[4 * b + 2]! || r[4 * a + 3]! - r[4 * b + 3]!);
    const out: CoverageGap[] = [];
    let cur: CoverageGap | null = null;
    for (const k of order) {
      const iface = r[4 * k]!;
      const status = r[4 * k + 1]!;
      const start = r[4 * k + 2]!;
      const end = r[4 * k + 3]!;
      const name = status === LogStatus.NODATA ? 'NODATA' : 'SKIPDATA';
      if (cur && cur.interfaceId === iface && cur.status === name && start <= cur.end + joinSeconds) {
        if (end > cur.end) cur.end = end;
        cur.records++;
        continue;
      }
      cur = { interfaceId: iface, interface: interfaceName(iface), status: name, start, end, records: 1 };
      out.push(cur);
    }
    return out;
  }
}
