/** Capture writers (classic pcap and pcapng, either byte order) for generated benchmark inputs and test fixtures. */

/** Appends bytes to a growable buffer. */
class ByteSink {
  buf = new Uint8Array(1 << 16);
  len = 0;
  dv = new DataView(this.buf.buffer);
  constructor(readonly le: boolean) {}

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    this.reserve(2);
    this.dv.setUint16(this.len, v, this.le);
    this.len += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.dv.setUint32(this.len, v >>> 0, this.le);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  pad4(): void {
    while (this.len & 3) this.u8(0);
  }
  patch32(at: number, v: number): void {
    this.dv.setUint32(at, v >>> 0, this.le);
  }
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }
}

export interface PcapWriterOptions {
  littleEndian?: boolean;
  nanos?: boolean;
  snaplen?: number;
  linkType?: number;
  versionMinor?: number;
}

/** Classic pcap: call header() once, then packet() per record; take() returns and clears the bytes so far. */
export class PcapWriter {
  private readonly sink: ByteSink;
  constructor(private readonly o: PcapWriterOptions = {}) {
    this.sink = new ByteSink(o.littleEndian ?? true);
  }
  header(): this {
    const s = this.sink;
    s.u32(this.o.nanos ? 0xa1b23c4d : 0xa1b2c3d4);
    s.u16(2);
    s.u16(this.o.versionMinor ?? 4);
    s.u32(0);
    s.u32(0);
    s.u32(this.o.snaplen ?? 262144);
    s.u32(this.o.linkType ?? 1);
    return this;
  }
  /** Append a record; `origlen` defaults to the data length. */
  packet(tsSec: number, tsFrac: number, data: Uint8Array, origlen = data.length): this {
    const s = this.sink;
    s.u32(tsSec);
    s.u32(tsFrac);
    s.u32(data.length);
    s.u32(origlen);
    s.bytes(data);
    return this;
  }
  take(): Uint8Array {
    return this.sink.take();
  }
}

export interface NgInterface {
  linkType: number;
  snaplen?: number;
  tsresol?: number;
  tsOffset?: number;
  name?: string;
}

/** pcapng: section() opens a section (with its byte order), iface() adds an IDB, epb()/spb()/pb() add packets. */
export class PcapngWriter {
  private sink: ByteSink;
  private readonly parts: Uint8Array[] = [];
  constructor(littleEndian = true) {
    this.sink = new ByteSink(littleEndian);
  }

  private block(type: number, body: () => void): this {
    const s = this.sink;
    const start = s.len;
    s.u32(type);
    s.u32(0);
    body();
    s.pad4();
    s.u32(0);
    const len = s.len - start;
    s.patch32(start + 4, len);
    s.patch32(s.len - 4, len);
    return this;
  }

  private option(code: number, value: Uint8Array): void {
    this.sink.u16(code);
    this.sink.u16(value.length);
    this.sink.bytes(value);
    this.sink.pad4();
  }

  /** Start a new section in the given byte order. */
  section(littleEndian = this.sink.le, opts: { userApplication?: string; versionMinor?: number } = {}): this {
    this.parts.push(this.sink.take());
    this.sink = new ByteSink(littleEndian);
    return this.block(0x0a0d0d0a, () => {
      const s = this.sink;
      s.u32(0x1a2b3c4d);
      s.u16(1);
      s.u16(opts.versionMinor ?? 0);
      s.u32(0xffffffff);
      s.u32(0xffffffff);
      if (opts.userApplication) {
        this.option(4, new TextEncoder().encode(opts.userApplication));
        s.u32(0);
      }
    });
  }

  iface(f: NgInterface): this {
    return this.block(1, () => {
      const s = this.sink;
      s.u16(f.linkType);
      s.u16(0);
      s.u32(f.snaplen ?? 0);
      let any = false;
      if (f.name) {
        this.option(2, new TextEncoder().encode(f.name));
        any = true;
      }
      if (f.tsresol !== undefined) {
        this.option(9, Uint8Array.of(f.tsresol));
        any = true;
      }
      if (f.tsOffset !== undefined) {
        const v = new Uint8Array(8);
        const dv = new DataView(v.buffer);
        dv.setInt32(s.le ? 4 : 0, Math.floor(f.tsOffset / 4294967296), s.le);
        dv.setUint32(s.le ? 0 : 4, f.tsOffset >>> 0, s.le);
        this.option(14, v);
        any = true;
      }
      if (any) s.u32(0);
    });
  }

  /** Enhanced packet block; the timestamp is given in interface units as hi/lo 32-bit words. */
  epb(ifIndex: number, tsHi: number, tsLo: number, data: Uint8Array, origlen = data.length): this {
    return this.block(6, () => {
      const s = this.sink;
      s.u32(ifIndex);
      s.u32(tsHi);
      s.u32(tsLo);
      s.u32(data.length);
      s.u32(origlen);
      s.bytes(data);
    });
  }

  spb(data: Uint8Array, origlen = data.length): this {
    return this.block(3, () => {
      this.sink.u32(origlen);
      this.sink.bytes(data);
    });
  }

  /** Obsolete Packet Block (type 2). */
  pb(ifIndex: number, tsHi: number, tsLo: number, data: Uint8Array, origlen = data.length): this {
    return this.block(2, () => {
      const s = this.sink;
      s.u16(ifIndex);
      s.u16(0);
      s.u32(tsHi);
      s.u32(tsLo);
      s.u32(data.length);
      s.u32(origlen);
      s.bytes(data);
    });
  }

  /** Any other block, to check it is skipped by length. */
  raw(type: number, body: Uint8Array): this {
    return this.block(type, () => this.sink.bytes(body));
  }

  take(): Uint8Array {
    this.parts.push(this.sink.take());
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    this.parts.length = 0;
    return out;
  }
}
