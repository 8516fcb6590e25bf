import { describe, it, expect } from 'vitest';
import { tcpConnState, datagramConnState, CONN_STATES } from '../../src/flow/state.js';
import { DirFlag as F } from '../../src/flow/table.js';

const SYN = F.SYN | F.BARE_SYN;
const SYNACK = F.SYN | F.ACK | F.SYN_ACK;

describe('Zeek conn_state from per-side flags', () => {
  const cases: [string, number, number, number, number][] = [
    ['S0', SYN, 0, 3, 0],
    ['S1', SYN | F.ACK | F.DATA, SYNACK | F.DATA, 4, 3],
    ['SF', SYN | F.ACK | F.FIN, SYNACK | F.FIN, 5, 3],
    ['REJ', SYN, F.RST | F.ACK, 1, 1],
    ['S2', SYN | F.ACK | F.FIN, SYNACK, 3, 1],
    ['S3', SYN | F.ACK, SYNACK | F.FIN, 2, 2],
    ['RSTO', SYN | F.ACK | F.RST, SYNACK, 3, 1],
    ['RSTR', SYN | F.ACK, SYNACK | F.RST, 2, 2],
    ['RSTOS0', SYN | F.RST, 0, 2, 0],
    ['RSTRH', 0, SYNACK | F.RST, 0, 2],
    ['SH', SYN | F.FIN, 0, 2, 0],
    ['SHR', 0, SYNACK | F.FIN, 0, 2],
    ['OTH', F.ACK | F.DATA, F.ACK | F.DATA, 3, 3],
  ];
  for (const [state, o, r, op, rp] of cases) {
    it(`${state}`, () => expect(CONN_STATES[tcpConnState(o, r, op, rp)]).toBe(state));
  }
  it('UDP and ICMP: SF both ways, S0 one way', () => {
    expect(CONN_STATES[datagramConnState(1, 1)]).toBe('SF');
    expect(CONN_STATES[datagramConnState(2, 0)]).toBe('S0');
    expect(CONN_STATES[datagramConnState(0, 1)]).toBe('OTH');
  });
});
