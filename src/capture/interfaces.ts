/**
 * The interfaces of a pcapng section (Interface Description Blocks) as columns: about 24 bytes each where an IDB
 * spends 20 in the file, names and descriptions only where given. Plain data (typed arrays, a record), so a section
 * crosses threads, in chunk contexts and partials, as it is.
 */

/** What one IDB says about an interface, as a reader of the columns sees it. */
export interface PcapngInterface {
  linkType: number;
  snaplen: number;
  /** if_tsresol byte: high bit clear = 10^-n seconds, set = 2^-n. Default 6. */
  tsresol: number;
  /** if_tsoffset, seconds added to every timestamp. */
  tsOffset: number;
  fcsLen: number;
  name: string | null;
  description: string | null;
  /** Packet blocks read for this interface. */
  packets: number;
}

/** Interface columns of one section; index = interface id. */
export interface InterfaceColumns {
  count: number;
  linkType: Uint16Array;
  snaplen: Uint32Array;
  tsresol: Uint8Array;
  fcsLen: Uint8Array;
  tsOffset: Float64Array;
  packets: Float64Array;
  /** if_name by interface index, where an IDB gives one. */
  names: Record<number, string>;
  /** if_description by interface index, where an IDB gives one. */
  descriptions: Record<number, string>;
}

/** Empty columns with room for `capacity` interfaces. */
export function interfaceColumns(capacity = 4): InterfaceColumns {
  return {
    count: 0,
    linkType: new Uint16Array(capacity),
    snaplen: new Uint32Array(capacity),
    tsresol: new Uint8Array(capacity),
    fcsLen: new Uint8Array(capacity),
    tsOffset: new Float64Array(capacity),
    packets: new Float64Array(capacity),
    names: {},
    descriptions: {},
  };
}

function resized(c: InterfaceColumns, capacity: number, counts: boolean): InterfaceColumns {
  const n = Math.min(c.count, capacity);
  const out = interfaceColumns(capacity);
  out.count = n;
  out.linkType.set(c.linkType.subarray(0, n));
  out.snaplen.set(c.snaplen.subarray(0, n));
  out.tsresol.set(c.tsresol.subarray(0, n));
  out.fcsLen.set(c.fcsLen.subarray(0, n));
  out.tsOffset.set(c.tsOffset.subarray(0, n));
  if (counts) out.packets.set(c.packets.subarray(0, n));
  out.names = { ...c.names };
  out.descriptions = { ...c.descriptions };
  return out;
}

/** Append one interface, growing the columns in place (x2), and return its index. */
export function addInterface(cols: InterfaceColumns, i: Omit<PcapngInterface, 'packets'>): number {
  if (cols.count === cols.linkType.length) Object.assign(cols, resized(cols, Math.max(4, 2 * cols.count), true));
  const k = cols.count++;
  cols.linkType[k] = i.linkType;
  cols.snaplen[k] = i.snaplen;
  cols.tsresol[k] = i.tsresol;
  cols.fcsLen[k] = i.fcsLen;
  cols.tsOffset[k] = i.tsOffset;
  cols.packets[k] = 0;
  if (i.name !== null) cols.names[k] = i.name;
  if (i.description !== null) cols.descriptions[k] = i.description;
  return k;
}

/** A copy cut to the interfaces it holds; without the packet counts when `counts` is false (a chunk's starting context). */
export function copyInterfaces(c: InterfaceColumns, counts = true): InterfaceColumns {
  return resized(c, c.count, counts);
}

/** Interface `k` as an object (for reports; the reader uses the columns). */
export function interfaceAt(c: InterfaceColumns, k: number): PcapngInterface {
  return {
    linkType: c.linkType[k]!,
    snaplen: c.snaplen[k]!,
    tsresol: c.tsresol[k]!,
    tsOffset: c.tsOffset[k]!,
    fcsLen: c.fcsLen[k]!,
    name: c.names[k] ?? null,
    description: c.descriptions[k] ?? null,
    packets: c.packets[k]!,
  };
}
