// The interpreter's address space. Every region (ctx, packet, stack frames, the input
// memory, map values, global data) gets its own 4 GiB window, so an address names its
// region by its upper half and a translation is one array index. An access outside the
// window's valid bytes stops the run with the instruction index and the address.
import { fail } from "../../ir/diag/diag.js";

export interface Region {
  readonly name: string;
  readonly base: bigint;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly writable: boolean;
  /** Valid byte window [lo, hi) within bytes; the packet's moves with adjust_head/tail. */
  lo: number;
  hi: number;
  /** Context regions translate loads (the kernel rewrites xdp_md field loads). */
  readonly load?: (off: number, size: number) => bigint | undefined;
  /** Map handles are regions without bytes: they identify a map, nothing else. */
  readonly mapIndex?: number;
}

const WINDOW_SHIFT = 32n;

export class AddressSpace {
  private readonly regions: Region[] = [];
  private readonly byBuffer = new WeakMap<Uint8Array, Region>();

  add(name: string, bytes: Uint8Array, writable: boolean, extra: Partial<Pick<Region, "load" | "mapIndex">> = {}): Region {
    // Window 0 stays unmapped so that NULL and small integers never resolve.
    const base = BigInt(this.regions.length + 1) << WINDOW_SHIFT;
    const region: Region = { name, base, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), writable, lo: 0, hi: bytes.length, ...extra };
    this.regions.push(region);
    this.byBuffer.set(bytes, region);
    return region;
  }

  /** The region of a buffer, created on first use (map values get addresses lazily). */
  regionOf(bytes: Uint8Array, name: string, writable: boolean): Region {
    return this.byBuffer.get(bytes) ?? this.add(name, bytes, writable);
  }

  /** The region an address falls in, or undefined. */
  regionAt(addr: bigint): Region | undefined {
    return this.regions[Number(addr >> WINDOW_SHIFT) - 1];
  }

  /** Resolves [addr, addr+size) to a region offset; stops the run when out of bounds. */
  resolve(addr: bigint, size: number, access: "load" | "store", insn: number): { region: Region; off: number } {
    const region = this.regionAt(addr);
    if (region && region.mapIndex === undefined) {
      const off = Number(addr - region.base);
      if (off >= region.lo && off + size <= region.hi) {
        if (access === "store" && !region.writable) fail("run-readonly", { insn }, [size, region.name, addr.toString(16)]);
        return { region, off };
      }
    }
    const near = region ? ` (${region.name} spans 0x${(region.base + BigInt(region.lo)).toString(16)}..0x${(region.base + BigInt(region.hi)).toString(16)})` : "";
    return fail("run-mem", { insn }, [size, access, addr.toString(16)], near ? [`nearest region${near}`] : []);
  }

  load(addr: bigint, size: number, insn: number): bigint {
    const { region, off } = this.resolve(addr, size, "load", insn);
    if (region.load) {
      const v = region.load(off, size);
      if (v === undefined) fail("run-mem", { insn }, [size, "load", addr.toString(16)], [`not a readable field of ${region.name}`]);
      return v;
    }
    return readLE(region.view, off, size);
  }

  store(addr: bigint, size: number, value: bigint, insn: number): void {
    const { region, off } = this.resolve(addr, size, "store", insn);
    writeLE(region.view, off, size, value);
  }

  /** Bytes [addr, addr+len) for helpers that take buffers. */
  slice(addr: bigint, len: number, insn: number): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const { region, off } = this.resolve(addr, len, "load", insn);
    return region.bytes.subarray(off, off + len);
  }
}

export function readLE(view: DataView, off: number, size: number): bigint {
  switch (size) {
    case 1: return BigInt(view.getUint8(off));
    case 2: return BigInt(view.getUint16(off, true));
    case 4: return BigInt(view.getUint32(off, true));
    default: return view.getBigUint64(off, true);
  }
}

export function writeLE(view: DataView, off: number, size: number, value: bigint): void {
  switch (size) {
    case 1: view.setUint8(off, Number(value & 0xffn)); break;
    case 2: view.setUint16(off, Number(value & 0xffffn), true); break;
    case 4: view.setUint32(off, Number(value & 0xffffffffn), true); break;
    default: view.setBigUint64(off, value & 0xffffffffffffffffn, true);
  }
}
