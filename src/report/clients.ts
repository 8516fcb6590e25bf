/** Renders the client table (`clients`): table, JSON, JSON lines or Zeek-style TSV, one record at a time. */
import type { ClientTable } from '../flow/clients.js';
import type { Format } from './format.js';
import { tsvHeader, tsvLine, lineChunks, tableChunks } from './text.js';

const CLIENT_FIELDS = ['host', 'flows', 'ports', 'minPort', 'maxPort', 'profile', 'range', 'confidence', 'evidence.evenShare', 'evidence.initialTtl', 'evidence.synOptions', 'evidence.failedFlows', 'note'];
const CLIENT_TYPES = ['addr', 'count', 'count', 'port', 'port', 'string', 'vector[port]', 'double', 'double', 'count', 'string', 'count', 'string'];

/** JSON.stringify(value, null, 2), every line indented by `pad` more spaces (an element of an indented array). */
function indented(value: unknown, pad: string): string {
  return pad + JSON.stringify(value, null, 2).replace(/\n/g, `\n${pad}`);
}

/** Clients in `format`, streamed: each record exists only while it is written. */
export function* renderClients(t: ClientTable, format: Format): Generator<string> {
  const n = t.count;
  if (format === 'json') {
    // The same text as JSON.stringify({ clients }, null, 2), one record at a time.
    if (n === 0) {
      yield '{\n  "clients": []\n}\n';
      return;
    }
    yield '{\n  "clients": [\n';
    yield* lineChunks(n, (i) => indented(t.record(i), '    ') + (i + 1 < n ? ',' : ''));
    yield '  ]\n}\n';
    return;
  }
  if (format === 'jsonl') {
    yield* lineChunks(n, (i) => JSON.stringify(t.record(i)));
    return;
  }
  if (format === 'tsv') {
    yield tsvHeader('clients', CLIENT_FIELDS, CLIENT_TYPES);
    yield* lineChunks(n, (i) => tsvLine(t.record(i) as unknown as Record<string, unknown>, CLIENT_FIELDS));
    return;
  }
  yield* tableChunks(['host', 'flows', 'ports', 'min', 'max', 'profile', 'range', 'conf', 'ttl', 'syn options', 'note'], n, (i) => {
    const c = t.record(i);
    return [c.host, c.flows, c.ports, c.minPort, c.maxPort, c.profile, `${c.range[0]}-${c.range[1]}`, c.confidence.toFixed(2), c.evidence.initialTtl, c.evidence.synOptions, c.note];
  });
}
