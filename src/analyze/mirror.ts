/** What a mirrored capture cannot show, said where its replay is reported (the README explains it at length). */
import type { CaptureSummary } from '../pass/summary.js';

/** `replay -F json`'s `mirror` field: present only when the traffic came through a VPC Traffic Mirroring session. */
export interface MirrorNote {
  /** The VXLAN sessions (VNI and the source ENI's address), as in info's `tunnels`. */
  sessions: string[];
  /** Copies of packets another session delivered, counted once (0 with --keep-duplicates). */
  duplicatesDropped: number;
  note: string;
}

/**
 * AWS: "Packets that are dropped at the traffic mirror source by security group rules or by network ACL rules are
 * not mirrored" (VPC Traffic Mirroring, considerations).
 */
export const MIRROR_NOTE =
  'mirrored traffic: AWS does not mirror packets that a security group or network ACL dropped at the mirror source, so what the current rules drop there is missing (a dropped request leaves no connection, a dropped reply makes the request look unanswered); the verdicts judge what was mirrored, with synthetic replies where none was';

/** The note for a capture with VXLAN tunnels (Traffic Mirroring), else null. */
export function mirrorNote(summary: Pick<CaptureSummary, 'tunnels' | 'duplicates'>): MirrorNote | null {
  const vxlan = summary.tunnels.filter((t) => t.kind === 'vxlan');
  if (vxlan.length === 0) return null;
  const sessions = [...new Set(vxlan.map((t) => `vxlan:${t.vni}@${t.outerSrc}`))];
  return { sessions, duplicatesDropped: summary.duplicates, note: MIRROR_NOTE };
}
