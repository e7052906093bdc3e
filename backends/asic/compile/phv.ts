// PHV allocation (docs/asic-pipeline.md §PHV): every bit label the pipeline reads or
// writes gets a home in a fixed-size container. Packet bytes are packed per header instance
// (32-bit containers first, wide fields split over several), each with one home whatever
// offset a path finds the header at, and a validity bit; table action data
// per table; each ALU temporary has a 32-bit container; gateway predicates and hit bits
// are packed eight to an 8-bit container; metadata (pkt_len, verdict, ...) has its own.
import type { Bit, Bits } from "../analysis/bits.js";
import type { BitRef, Container, Operand, Segment } from "../config.js";

export interface PhvLimits {
  readonly "8": number;
  readonly "16": number;
  readonly "32": number;
}

export class PhvFullError extends Error {}

const PREFIX: Readonly<Record<8 | 16 | 32, string>> = { 8: "B", 16: "H", 32: "W" };

export class Phv {
  private readonly next = { 8: 0, 16: 0, 32: 0 };
  /** label -> (container, bit) */
  private readonly home = new Map<string, BitRef>();
  readonly allocation: { c: Container; holds: string }[] = [];
  private bitsBox?: { c: Container; used: number };

  constructor(private readonly limits: PhvLimits) {}

  usedBits(): number {
    return this.next[8] * 8 + this.next[16] * 16 + this.next[32] * 32;
  }

  totalBits(): number {
    return this.limits[8] * 8 + this.limits[16] * 16 + this.limits[32] * 32;
  }

  /** A container of `width` bits, a smaller or larger one when that size has run out. */
  container(width: 8 | 16 | 32, holds: string): Container {
    const order: (8 | 16 | 32)[] = width === 32 ? [32] : width === 16 ? [16, 32] : [8, 16, 32];
    for (const w of order) {
      if (this.next[w] < this.limits[w]) {
        const c = `${PREFIX[w]}${this.next[w]++}`;
        this.allocation.push({ c, holds });
        return c;
      }
    }
    throw new PhvFullError(`no ${width}-bit container left for ${holds}: ${this.usedBits()} of ${this.totalBits()} PHV bits in use (${this.limits[8]}x8, ${this.limits[16]}x16, ${this.limits[32]}x32)`);
  }

  static widthOf(c: Container): number {
    return c[0] === "B" ? 8 : c[0] === "H" ? 16 : 32;
  }

  /**
   * Bytes given by their labels (a header segment, action data), packed into containers:
   * 4-byte runs into 32-bit ones, then 2, then 1. Within a container the first byte is the
   * most significant (network order, as the deparser emits it).
   */
  packBytes(bytes: readonly string[], holds: string, byteLabel: (b: string, bit: number) => string, shown: (b: string) => string = (b) => b, overlay?: (width: 8 | 16 | 32) => Container | undefined): void {
    let i = 0;
    while (i < bytes.length) {
      const left = bytes.length - i;
      const n = left >= 4 ? 4 : left >= 2 ? 2 : 1;
      const what = `${holds} ${shown(bytes[i]!)}${n > 1 ? `..${shown(bytes[i + n - 1]!)}` : ""}`;
      // A container another header holds that is never extracted on the same packet (overlay).
      const shared = overlay?.((n * 8) as 8 | 16 | 32);
      if (shared) this.allocation.find((a) => a.c === shared)!.holds += ` | ${what}`;
      const c = shared ?? this.container((n * 8) as 8 | 16 | 32, what);
      const w = Phv.widthOf(c) / 8;
      this.reverse = undefined;
      for (let k = 0; k < n; k++) for (let bit = 0; bit < 8; bit++) this.home.set(byteLabel(bytes[i + k]!, bit), { c, bit: (w - 1 - k) * 8 + bit });
      i += n;
    }
  }

  /** A single bit (predicate, hit), eight to a container. */
  bit(label: string, holds: string): BitRef {
    const have = this.home.get(label);
    if (have) return have;
    if (!this.bitsBox || this.bitsBox.used === 8) this.bitsBox = { c: this.container(8, "predicate, hit and validity bits"), used: 0 };
    const ref = { c: this.bitsBox.c, bit: this.bitsBox.used++ };
    this.allocation.find((a) => a.c === ref.c)!.holds = `predicate, hit and validity bits (${[...this.home].filter(([, r]) => r.c === ref.c).length + 1})`;
    void holds;
    this.home.set(label, ref);
    this.reverse = undefined;
    return ref;
  }

  /** A whole container for a value of `width` bits labelled prefix:0..width-1. */
  field(prefix: string, width: 8 | 16 | 32, holds: string): Container {
    const c = this.container(width, holds);
    this.reverse = undefined;
    for (let i = 0; i < width; i++) this.home.set(`${prefix}:${i}`, { c, bit: i });
    return c;
  }

  /** The label at bit `bit` of container `c`, if one lives there. */
  labelAt(c: Container, bit: number): string | undefined {
    if (!this.reverse) {
      this.reverse = new Map();
      for (const [l, r] of this.home) this.reverse.set(`${r.c}:${r.bit}`, l);
    }
    return this.reverse.get(`${c}:${bit}`);
  }
  private reverse?: Map<string, string>;

  has(label: string): boolean {
    return this.home.has(label);
  }

  locate(label: string): BitRef | undefined {
    return this.home.get(label);
  }

  /** Bits as an operand: runs of one container's consecutive bits, and constants. */
  operand(bits: Bits): Operand {
    const segs: Segment[] = [];
    let n = bits.length;
    while (n > 0 && bits[n - 1] === 0) n--; // leading zeros are implied
    for (let i = 0; i < n; i++) {
      const b: Bit = bits[i]!;
      const last = segs.at(-1);
      if (b === 0 || b === 1) {
        if (last && "k" in last) segs[segs.length - 1] = { k: ((BigInt(last.k) | (BigInt(b) << BigInt(last.n))).toString()), n: last.n + 1 };
        else segs.push({ k: String(b), n: 1 });
        continue;
      }
      const ref = this.home.get(b);
      if (!ref) throw new Error(`bug: PHV has no home for ${b}`);
      if (last && "c" in last && last.c === ref.c && last.lo + last.n === ref.bit) segs[segs.length - 1] = { ...last, n: last.n + 1 };
      else segs.push({ c: ref.c, lo: ref.bit, n: 1 });
    }
    return segs;
  }
}
