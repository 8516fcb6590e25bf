/** Record fields both `flows` and `replay` records carry for mirrored traffic. */
import type { ConnectionTable } from '../flow/connections.js';

/** The mirror session fields of row i: only in a capture where some packet came through a tunnel. */
export function mirrorFields(ct: ConnectionTable, i: number): { mirrorSessions: string[]; mirrorSessionsMore: boolean } | Record<string, never> {
  const sessions = ct.sessionsOf(i);
  return sessions === null ? {} : { mirrorSessions: sessions, mirrorSessionsMore: ct.moreSessions(i) };
}
