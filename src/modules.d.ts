/** Type declarations for dependencies that ship none. */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';
  export function parse(input: string | Readable): EventEmitter;
  const _default: { parse: typeof parse };
  export default _default;
}
