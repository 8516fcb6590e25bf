/** How the decoder treats tunnels and mirrors: the one options type every reader of traffic passes to the parser. */
import { UDP_PORT as VXLAN_PORT } from '../wire/vxlan.js';
import { UsageError } from '../errors.js';

/**
 * `decap`: 'auto' (the default) opens the encapsulations the decoder knows (VXLAN, GENEVE, GRE with ERSPAN and PPP,
 * IP-in-IP) and the batch row describes the innermost packet; 'none' describes the outer packet, as a capture
 * without tunnels is read. `vxlanPorts`: UDP destination ports opened as VXLAN; 4789 (RFC 7348) always is, so
 * these are the extra ones of a mirror target that listens elsewhere. Plain data: it crosses to worker threads as is.
 */
export interface DecodeOptions {
  decap: 'auto' | 'none';
  vxlanPorts: readonly number[];
}

/** DecodeOptions as callers give them: every field optional. */
export type DecodeOptionsInput = { readonly [K in keyof DecodeOptions]?: DecodeOptions[K] };

export const DEFAULT_DECODE_OPTIONS: DecodeOptions = { decap: 'auto', vxlanPorts: [] };

/** Options with the defaults filled in, 4789 first among `vxlanPorts`; a port outside 1-65535 is a UsageError. */
export function decodeOptions(o: DecodeOptionsInput = {}): DecodeOptions {
  const vxlanPorts = o.vxlanPorts ?? [];
  for (const p of vxlanPorts) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UsageError(`--vxlan-port ${p} is not a UDP port (1-65535)`);
  return { decap: o.decap ?? 'auto', vxlanPorts: [VXLAN_PORT, ...vxlanPorts.filter((p) => p !== VXLAN_PORT)] };
}
