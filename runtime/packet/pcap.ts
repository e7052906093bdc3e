// Packet capture files: classic libpcap (both byte orders, micro- and nanosecond
// timestamps) and pcapng, read into one in-memory form; written back as classic pcap.
//
// Formats: https://www.tcpdump.org/manpages/pcap-savefile.5.html (classic) and
// draft-ietf-opsawg-pcapng (pcapng). A malformed file is a user error: every read goes
// through a bounds-checked cursor that reports "at byte N: reason" as a `pcap-format`
// diagnostic, so a DataView RangeError never escapes.
import { fail } from "../../ir/diag/diag.js";

export interface PcapPacket {
  /** Seconds since the epoch. */
  tsSec: number;
  /** Fraction of the second: microseconds, or nanoseconds when the file's `nanos` is set. */
  tsFrac: number;
  /** Length of the packet on the wire; `data` may be shorter (snap length). */
  origLen: number;
  /** The captured bytes. */
  data: Uint8Array;
}

export interface Pcap {
  /** LINKTYPE_* value (1 = Ethernet). */
  linkType: number;
  snapLen: number;
  /** True when every `tsFrac` is in nanoseconds, false for microseconds. */
  nanos: boolean;
  packets: PcapPacket[];
}

/** LINKTYPE_ETHERNET, the link type of every XDP program's input. */
export const LINKTYPE_ETHERNET = 1;

/**
 * Classic pcap magic numbers as read with a little-endian load of the first four bytes.
 * The writer's own magic is the first row.
 */
const CLASSIC_MAGICS: readonly { magic: number; littleEndian: boolean; nanos: boolean }[] = [
  { magic: 0xa1b2c3d4, littleEndian: true, nanos: false }, // written by a little-endian host
  { magic: 0xd4c3b2a1, littleEndian: false, nanos: false }, // big-endian host: bytes a1 b2 c3 d4
  { magic: 0xa1b23c4d, littleEndian: true, nanos: true }, // nanosecond variant (libpcap 1.5+)
  { magic: 0x4d3cb2a1, littleEndian: false, nanos: true }, // nanosecond, big-endian
];

/** Sizes fixed by the classic format. */
const CLASSIC_HEADER_LEN = 24;
const CLASSIC_RECORD_LEN = 16;

/** pcapng block types (draft-ietf-opsawg-pcapng §4-§5). */
const BLOCK = {
  SHB: 0x0a0d0d0a, // section header: palindromic, so it reads the same in both byte orders
  IDB: 0x00000001, // interface description
  SPB: 0x00000003, // simple packet (no timestamp, interface 0)
  EPB: 0x00000006, // enhanced packet
} as const;
/** SHB byte-order magic: tells the section's byte order. */
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** IDB option carrying the timestamp resolution; absent means microseconds. */
const OPT_IF_TSRESOL = 9;
const OPT_END = 0;

/** Bounds-checked reads over the file; every failure names the byte offset. */
class Cursor {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    public littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  error(at: number, reason: string): never {
    return fail("pcap-format", { file: this.file }, [`at byte ${at}: ${reason}`]);
  }

  /** Fails unless `n` bytes are available at `at`, naming what was being read. */
  need(at: number, n: number, what: string): void {
    const left = Math.max(0, this.length - at);
    if (n > left) this.error(at, `${what} needs ${n} bytes, but only ${left} remain (file truncated?)`);
  }

  u16(at: number, what: string): number {
    this.need(at, 2, what);
    return this.view.getUint16(at, this.littleEndian);
  }

  u32(at: number, what: string): number {
    this.need(at, 4, what);
    return this.view.getUint32(at, this.littleEndian);
  }

  slice(at: number, n: number, what: string): Uint8Array {
    this.need(at, n, what);
    // A copy, so that packets outlive (and never alias) the file buffer.
    return this.bytes.slice(at, at + n);
  }
}

/** Reads a classic pcap or a pcapng file. `file` names it in diagnostics. */
export function readPcap(bytes: Uint8Array, file: string): Pcap {
  const c: Cursor = new Cursor(bytes, file, true);
  if (bytes.byteLength < 4) c.error(0, `file is ${bytes.byteLength} bytes, too short for a pcap or pcapng magic number`);
  const magic = c.u32(0, "magic number");
  if (magic === BLOCK.SHB) return readPcapng(c);
  const kind = CLASSIC_MAGICS.find((m) => m.magic === magic);
  if (kind === undefined) {
    return c.error(0, `unknown magic number 0x${magic.toString(16).padStart(8, "0")}: not a pcap or pcapng file`);
  }
  return readClassic(c, kind.littleEndian, kind.nanos);
}

function readClassic(c: Cursor, littleEndian: boolean, nanos: boolean): Pcap {
  c.littleEndian = littleEndian;
  c.need(0, CLASSIC_HEADER_LEN, "global header");
  const major = c.u16(4, "version");
  // Version 2.4 is current; 2.2 and 2.3 differ only in ways readers ignore.
  if (major !== 2) c.error(4, `unsupported pcap major version ${major} (expected 2)`);
  const snapLen = c.u32(16, "snap length");
  // The top bits of the link-type word carry the FCS length (pcap-savefile(5)); the type is the low 28 bits.
  const linkType = c.u32(20, "link type") & 0x0fffffff;
  const packets: PcapPacket[] = [];
  const fracLimit = nanos ? 1_000_000_000 : 1_000_000;
  for (let at = CLASSIC_HEADER_LEN; at < c.length; ) {
    const index = packets.length;
    c.need(at, CLASSIC_RECORD_LEN, `record header of packet ${index}`);
    const tsSec = c.u32(at, "timestamp");
    const tsFrac = c.u32(at + 4, "timestamp");
    const capLen = c.u32(at + 8, "captured length");
    const origLen = c.u32(at + 12, "original length");
    if (tsFrac >= fracLimit) c.error(at + 4, `packet ${index} timestamp fraction ${tsFrac} is not below ${fracLimit}`);
    if (capLen > origLen) c.error(at + 8, `packet ${index} captured length ${capLen} exceeds its original length ${origLen}`);
    const data = c.slice(at + CLASSIC_RECORD_LEN, capLen, `packet ${index} (captured length ${capLen})`);
    packets.push({ tsSec, tsFrac, origLen, data });
    at += CLASSIC_RECORD_LEN + capLen;
  }
  return { linkType, snapLen, nanos, packets };
}

/** What an IDB tells about its interface's packets. */
interface PcapngInterface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second (if_tsresol; 10^6 by default). */
  unitsPerSec: bigint;
}

/**
 * pcapng is a sequence of sections, each starting with an SHB that sets the byte order
 * of the blocks after it. Interfaces are numbered per section. Our `Pcap` has one link
 * type and one timestamp unit, so a file whose interfaces differ in link type is
 * rejected, and timestamps are converted to nanoseconds when any interface is finer
 * than microseconds (to microseconds otherwise).
 */
function readPcapng(c: Cursor): Pcap {
  type Raw = { iface: PcapngInterface; ts: bigint | undefined; origLen: number; data: Uint8Array };
  const raw: Raw[] = [];
  const allInterfaces: PcapngInterface[] = [];
  let interfaces: PcapngInterface[] = [];
  for (let at = 0; at < c.length; ) {
    // The SHB type is byte-order independent; its byte-order magic (at +8) sets the order.
    c.need(at, 12, "block header");
    const isSection = c.bytes[at] === 0x0a && c.bytes[at + 1] === 0x0d && c.bytes[at + 2] === 0x0d && c.bytes[at + 3] === 0x0a;
    if (isSection) {
      c.littleEndian = true;
      const bom = c.u32(at + 8, "byte-order magic");
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) c.littleEndian = true;
      else if (bom === 0x4d3c2b1a) c.littleEndian = false;
      else c.error(at + 8, `bad byte-order magic 0x${bom.toString(16).padStart(8, "0")} in section header block`);
      const major = c.u16(at + 12, "section version");
      if (major !== 1) c.error(at + 12, `unsupported pcapng major version ${major} (expected 1)`);
      interfaces = [];
    }
    const type = c.u32(at, "block type");
    const total = c.u32(at + 4, "block total length");
    // Smallest block: type, length, trailing length; blocks are padded to 32 bits.
    if (total < 12 || total % 4 !== 0) c.error(at + 4, `block total length ${total} is not a multiple of 4 of at least 12`);
    c.need(at, total, `block of type 0x${type.toString(16)}`);
    const trailer = c.u32(at + total - 4, "trailing block length");
    if (trailer !== total) c.error(at + total - 4, `trailing block length ${trailer} differs from leading length ${total}`);
    const body = at + 8;
    const bodyEnd = at + total - 4;
    const needBody = (n: number, what: string): void => {
      if (body + n > bodyEnd) c.error(body, `${what} needs ${n} bytes, but the block body has ${bodyEnd - body}`);
    };
    switch (type) {
      case BLOCK.IDB: {
        needBody(8, "interface description block");
        const iface: PcapngInterface = {
          linkType: c.u16(body, "link type"),
          snapLen: c.u32(body + 4, "snap length"),
          unitsPerSec: readTsresol(c, body + 8, bodyEnd),
        };
        interfaces.push(iface);
        allInterfaces.push(iface);
        break;
      }
      case BLOCK.EPB: {
        needBody(20, "enhanced packet block");
        const id = c.u32(body, "interface id");
        const iface = interfaces[id];
        if (iface === undefined) c.error(body, `packet refers to interface ${id}, but the section has ${interfaces.length}`);
        const ts = (BigInt(c.u32(body + 4, "timestamp")) << 32n) | BigInt(c.u32(body + 8, "timestamp"));
        const capLen = c.u32(body + 12, "captured length");
        const origLen = c.u32(body + 16, "original length");
        if (body + 20 + capLen > bodyEnd) c.error(body + 12, `captured length ${capLen} overruns the block`);
        if (capLen > origLen) c.error(body + 12, `captured length ${capLen} exceeds original length ${origLen}`);
        raw.push({ iface, ts, origLen, data: c.slice(body + 20, capLen, "packet data") });
        break;
      }
      case BLOCK.SPB: {
        needBody(4, "simple packet block");
        const iface = interfaces[0];
        if (iface === undefined) c.error(at, "simple packet block before any interface description block");
        const origLen = c.u32(body, "original length");
        // The captured length is implied: the smaller of origLen, the interface's snap length
        // (0 = unlimited) and the room in the block.
        let capLen = Math.min(origLen, bodyEnd - body - 4);
        if (iface.snapLen !== 0) capLen = Math.min(capLen, iface.snapLen);
        raw.push({ iface, ts: undefined, origLen, data: c.slice(body + 4, capLen, "packet data") });
        break;
      }
      default:
        break; // SHB handled above; name resolution, statistics, custom blocks carry no packets.
    }
    at += total;
  }
  const first = allInterfaces[0];
  const linkType = first?.linkType ?? LINKTYPE_ETHERNET;
  const other = allInterfaces.find((i) => i.linkType !== linkType);
  if (other !== undefined) c.error(0, `interfaces have different link types (${linkType} and ${other.linkType}); one is supported`);
  const nanos = allInterfaces.some((i) => i.unitsPerSec > 1_000_000n);
  const fracPerSec = nanos ? 1_000_000_000n : 1_000_000n;
  const packets = raw.map((r): PcapPacket => {
    // SPBs have no timestamp: zero is as good as any, and keeps output deterministic.
    const ts = r.ts ?? 0n;
    const sec = ts / r.iface.unitsPerSec;
    const frac = ((ts % r.iface.unitsPerSec) * fracPerSec) / r.iface.unitsPerSec;
    return { tsSec: Number(sec & 0xffffffffn), tsFrac: Number(frac), origLen: r.origLen, data: r.data };
  });
  const snapLen = Math.max(0, ...allInterfaces.map((i) => i.snapLen));
  return { linkType, snapLen: snapLen === 0 ? 262144 : snapLen, nanos, packets };
}

/** Reads the IDB options for if_tsresol: 10^-n seconds, or 2^-n with the top bit set. */
function readTsresol(c: Cursor, at: number, end: number): bigint {
  let units = 1_000_000n;
  while (at + 4 <= end) {
    const code = c.u16(at, "option code");
    const len = c.u16(at + 2, "option length");
    if (code === OPT_END) break;
    if (at + 4 + len > end) c.error(at + 2, `option length ${len} overruns the block`);
    if (code === OPT_IF_TSRESOL && len >= 1) {
      const v = c.bytes[at + 4]!;
      const exp = BigInt(v & 0x7f);
      if (exp > 30n) c.error(at + 4, `timestamp resolution ${v & 0x80 ? "2" : "10"}^-${exp} is finer than supported`);
      units = v & 0x80 ? 1n << exp : 10n ** exp;
    }
    at += 4 + ((len + 3) & ~3);
  }
  return units;
}

/**
 * Writes classic pcap in little-endian byte order: microsecond timestamps, or the
 * nanosecond magic when `p.nanos` is set, so that timestamps survive a round trip
 * exactly. Each record's original length is `max(origLen, data.length)`: a program may
 * have grown a packet, and a record whose captured length exceeds its original length
 * is malformed. The snap length written is at least the longest packet, as readers
 * (libpcap) truncate records longer than the file's snap length.
 */
export function writePcap(p: Pcap): Uint8Array {
  const total = CLASSIC_HEADER_LEN + p.packets.reduce((n, pkt) => n + CLASSIC_RECORD_LEN + pkt.data.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const le = true;
  view.setUint32(0, p.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  view.setUint16(4, 2, le); // version 2.4
  view.setUint16(6, 4, le);
  // Bytes 8-15: thiszone and sigfigs, zero by convention.
  const longest = p.packets.reduce((n, pkt) => Math.max(n, pkt.data.length), 0);
  view.setUint32(16, Math.max(p.snapLen, longest) >>> 0, le);
  view.setUint32(20, p.linkType >>> 0, le);
  let at = CLASSIC_HEADER_LEN;
  for (const pkt of p.packets) {
    view.setUint32(at, pkt.tsSec >>> 0, le);
    view.setUint32(at + 4, pkt.tsFrac >>> 0, le);
    view.setUint32(at + 8, pkt.data.length, le);
    view.setUint32(at + 12, Math.max(pkt.origLen, pkt.data.length) >>> 0, le);
    out.set(pkt.data, at + CLASSIC_RECORD_LEN);
    at += CLASSIC_RECORD_LEN + pkt.data.length;
  }
  return out;
}
