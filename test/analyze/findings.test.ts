import { describe, it, expect } from 'vitest';
import { portThreshold } from '../../src/analyze/findings.js';

describe('client-port threshold between failed and working connections', () => {
  it('finds failures below a profile edge and names the edge', () => {
    const t = portThreshold([33000, 40000, 47000, 2000], [50000, 52000, 60000]);
    expect(t).toEqual({ side: 'below', port: 49152, between: [47001, 50000], exceptions: 0 });
  });
  it('finds failures above (a return rule that stops at 60999 meets Windows ports)', () => {
    const t = portThreshold([61500, 65000, 63000], [33000, 45000, 60000]);
    expect(t).toMatchObject({ side: 'above', port: 61000, exceptions: 0 });
  });
  it('counts exceptions when the split is not clean', () => {
    const t = portThreshold([33000, 40000, 55000], [50000, 52000, 60000, 61000]);
    expect(t!.exceptions).toBe(1);
  });
  it('needs both failures and successes', () => {
    expect(portThreshold([], [1, 2])).toBeNull();
    expect(portThreshold([1], [])).toBeNull();
  });
});
