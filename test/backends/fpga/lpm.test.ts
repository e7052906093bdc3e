// LPM tries on the Verilog BPF engine (per-length hash tables of canonical prefixes, a
// bitmap of the lengths in use) in Verilator against the reference interpreter's
// runtime/maps/lpm.ts: r0 (every helper result folded in) and the final maps
// (formatMapsState: the trie's own prefix order) from the same initial maps, over
// generated sequences of lookups, updates (every flag, prefixlens past the data,
// non-canonical keys) and deletes; faults at the interpreter's instruction; an XDP stream.
// requires: verilator
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { mapLayout, mapProblems, mapSlots, storeMapMemory, tableWord } from "../../../backends/fpga/maps.js";
import { buildEngineModel } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import type { BpfMap } from "../../../runtime/maps/map.js";
import { formatMapsState } from "../../../runtime/maps/state.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { compareRaw } from "./compare.js";
import { hex } from "./support.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

beforeAll(() => {
  if (haveVerilator) buildEngineModel({ jobs: 2 });
});

/** An LPM key: u32 prefixlen (little-endian), then the data bytes. */
function lpmKey(prefixlen: number, data: readonly number[], keySize: number): Uint8Array {
  const k = new Uint8Array(keySize);
  new DataView(k.buffer).setUint32(0, prefixlen >>> 0, true);
  data.slice(0, keySize - 4).forEach((b, i) => (k[4 + i] = b));
  return k;
}

const lit = (n: bigint) => `0x${n.toString(16)}`;

/** Stores a key of up to 24 bytes at r10-24 (zero-padded) and points r2 at it. */
function keyAt(key: Uint8Array): string {
  const padded = new Uint8Array(24);
  padded.set(key);
  const v = new DataView(padded.buffer);
  let src = "";
  for (const at of [0, 8, 16]) src += `lddw %r1, ${lit(v.getBigUint64(at, true))}\nstxdw [%r10${at - 24}], %r1\n`;
  return `${src}mov %r2, %r10\nadd %r2, -24\n`;
}

type Op =
  | { op: "lookup"; key: Uint8Array }
  | { op: "update"; key: Uint8Array; fill: number; flags: number }
  | { op: "delete"; key: Uint8Array };

/**
 * The program of a sequence of operations on map t: a lookup increments the value's first
 * byte through the pointer and yields it (0 for NULL); every result is folded into r6
 * (r6 = r6 * 31 + r0), returned in r0.
 */
function lpmProgram(keySize: number, valueSize: number, entries: number, ops: readonly Op[]): string {
  let src = `.map t lpm_trie key=${keySize} value=${valueSize} entries=${entries}\n.map a array key=4 value=8 entries=2\nmov %r6, 0\n`;
  for (const o of ops) {
    src += keyAt(o.key) + "lddw %r1, map(t)\n";
    if (o.op === "lookup") src += "call 1\njeq %r0, 0, +4\nldxb %r1, [%r0+0]\nadd %r1, 1\nstxb [%r0+0], %r1\nmov %r0, %r1\n";
    else if (o.op === "update") {
      const fill = BigInt(o.fill) * 0x0001000100010001n;
      src += `lddw %r3, ${lit(fill)}\nstxdw [%r10-48], %r3\nstxdw [%r10-40], %r3\nstxdw [%r10-32], %r3\n`;
      src += `mov %r3, %r10\nadd %r3, -48\nmov %r4, ${o.flags}\ncall 2\n`;
    } else src += "call 3\n";
    src += "mul %r6, 31\nadd %r6, %r0\n";
  }
  return src + "mov %r0, %r6\nexit\n";
}

/**
 * Operations over a small pool of addresses and prefix lengths, so that prefixes nest,
 * share lengths, collide in the hash and fill the trie; prefixlens past the data (NULL,
 * -EINVAL) and flags past BPF_EXIST (-EINVAL) occur too. Stored data bits past the
 * prefix are random: the trie keeps the canonical key.
 */
function opArb(keySize: number): fc.Arbitrary<Op> {
  const maxLen = 8 * (keySize - 4);
  // IPv6 (128-bit) tries also meet lengths past two key words and the bitmap's third word
  const lens = [...new Set([0, 1, 8, 12, 16, 24, 64, 96, 100].map((l) => Math.min(l, maxLen)).concat([maxLen - 1, maxLen]))].filter((l) => l >= 0);
  const addrs = [
    [10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [10, 1, 0xff, 0, 9, 9, 9, 9, 1, 2, 3, 4, 5, 5, 5, 5],
    [10, 0x81, 2, 0x40, 0, 0, 0, 1, 1, 1, 1, 1, 0x80, 0, 0, 1],
    [192, 168, 1, 1, 0xaa, 0x55, 0xaa, 0x55, 7, 7, 7, 7, 0xaa, 0x55, 0xaa, 0x55],
  ];
  const data = fc.oneof(fc.constantFrom(...addrs), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }).map((d) => [10, ...d.slice(1)]));
  const plen = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...lens) }, { weight: 1, arbitrary: fc.constantFrom(maxLen + 1, 0x80000000, 0xffffffff) });
  const key = fc.tuple(plen, data).map(([p, d]) => lpmKey(p, d, keySize));
  const lookupKey = fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constant(maxLen) }, { weight: 2, arbitrary: plen }), data).map(([p, d]) => lpmKey(p, d, keySize));
  return fc.oneof(
    { weight: 3, arbitrary: lookupKey.map((k): Op => ({ op: "lookup", key: k })) },
    { weight: 4, arbitrary: fc.tuple(key, fc.integer({ min: 0, max: 0xfffe }), fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(4) })).map(([k, fill, flags]): Op => ({ op: "update", key: k, fill, flags })) },
    { weight: 2, arbitrary: key.map((k): Op => ({ op: "delete", key: k })) },
  );
}

/** The trie seeded with canonical prefixes (a few nested ones), the same on both sides. */
function lpmSeeded(prefixes: readonly [number, number[]][]) {
  return (object: BpfObject): BpfMap[] => {
    const maps = instantiateMaps(object);
    const t = maps[0]!;
    prefixes.forEach(([len, data], i) => {
      if (t.size < t.def.maxEntries && len <= 8 * (t.def.keySize - 4)) expect(t.update(lpmKey(len, data, t.def.keySize), Uint8Array.from({ length: t.def.valueSize }, (_, j) => i * 16 + j), 0)).toBe(0);
    });
    return maps;
  };
}

const SEED_PREFIXES: [number, number[]][] = [[8, [10]], [16, [10, 1]], [24, [10, 1, 2]], [0, []], [12, [192, 160]]];

describe("LPM layout (backends/fpga/maps.ts)", () => {
  it("a header of length counts, a bitmap and the sequence word before hashed slots of canonical keys; the table word's LPM bit", () => {
    const o = assemble(".map a array key=4 value=4 entries=2\n.map t lpm_trie key=8 value=12 entries=3\nmov %r0, 0\nexit", "t.s");
    const l = mapLayout(o.maps);
    // slot: value 16 + key 8 + meta 8 = 32 bytes; the header (296 bytes) at 16, slot 0 at 312
    expect(l.maps.map((p) => [p.start, p.base, p.shift, p.bytes])).toEqual([[0, 0, 3, 16], [16, 312, 5, 296 + 96]]);
    expect(tableWord(l.maps[1]!)).toBe(12n | (1n << 15n) | (5n << 16n) | (3n << 20n) | (3n << 36n) | (312n << 40n) | (1n << 62n));
    const maps = instantiateMaps(o);
    const t = maps[1]!;
    expect(t.update(lpmKey(16, [10, 1, 2, 3], 8), new Uint8Array(12).fill(1), 0)).toBe(0);
    expect(t.update(lpmKey(24, [10, 1, 2, 3], 8), new Uint8Array(12).fill(2), 0)).toBe(0);
    expect(t.update(lpmKey(16, [192, 168, 0, 0], 8), new Uint8Array(12).fill(3), 0)).toBe(0);
    const region = mapSlots(l.maps[1]!, t);
    const view = new DataView(region.buffer);
    expect(view.getUint16(2 * 16, true)).toBe(2);
    expect(view.getUint16(2 * 24, true)).toBe(1);
    expect(view.getBigUint64(272, true)).toBe((1n << 16n) | (1n << 24n));
    expect(view.getUint32(288, true)).toBe(3);
    // read back: the same entries, keys canonical
    const memory = new Uint8Array(l.bytes);
    memory.set(region, 16);
    const back = instantiateMaps(o);
    back[1]!.update(lpmKey(32, [1, 2, 3, 4], 8), new Uint8Array(12), 0);
    storeMapMemory(l, memory, back);
    expect(formatMapsState(back)).toBe(formatMapsState(maps));
  });
  it("refuses LPM keys the engine cannot compare", () => {
    const o = assemble(".map v6 lpm_trie key=24 value=8 entries=4\n.map ok lpm_trie key=20 value=8 entries=4\nmov %r0, 0\nexit", "t.s");
    expect(mapProblems(o.maps)).toEqual(["map 'v6' has 24-byte keys (the engine's LPM tries take 5 to 20: prefixes of at most 128 bits)"]);
  });
});

describe.skipIf(!haveVerilator)("LPM tries on the FPGA engine match the interpreter", () => {
  const CONFIGS: [keySize: number, valueSize: number, entries: number][] = [[8, 16, 6], [5, 1, 3], [12, 8, 5], [16, 24, 8], [8, 4, 64], [20, 8, 6], [17, 16, 4], [20, 4, 40]];
  for (const [keySize, valueSize, entries] of CONFIGS) {
    it(`key ${keySize}, value ${valueSize}, ${entries} entries: generated lookups, updates (every flag) and deletes`, () => {
      let n = 0;
      fc.assert(fc.property(fc.array(opArb(keySize), { minLength: 10, maxLength: 40 }), (ops) => {
        const seed = lpmSeeded(n++ % 2 ? SEED_PREFIXES : []);
        const r = compareRaw(lpmProgram(keySize, valueSize, entries, ops), undefined, seed);
        expect(r.kind).toBe("done");
      }), { numRuns: 8, seed: 1000 + keySize * 10 + entries });
    });
  }

  it("directed: longest match over nested prefixes, a default route, exact-prefix delete, -EEXIST/-ENOENT/-ENOSPC/-EINVAL", () => {
    const L = (p: number, d: number[]) => `${keyAt(lpmKey(p, d, 8))}lddw %r1, map(t)\ncall 1\nmov %r1, 0\njeq %r0, 0, +1\nldxb %r1, [%r0+0]\nlsh %r6, 4\nadd %r6, %r1\n`;
    const U = (p: number, d: number[], v: number, flags: number) => `${keyAt(lpmKey(p, d, 8))}stdw [%r10-48], ${v}\nmov %r3, %r10\nadd %r3, -48\nmov %r4, ${flags}\nlddw %r1, map(t)\ncall 2\nlsh %r6, 8\nand %r0, 255\nadd %r6, %r0\n`;
    const D = (p: number, d: number[]) => `${keyAt(lpmKey(p, d, 8))}lddw %r1, map(t)\ncall 3\nlsh %r6, 8\nand %r0, 255\nadd %r6, %r0\n`;
    const steps = [
      U(16, [10, 1, 99, 99], 1, 1), U(24, [10, 1, 2, 7], 2, 0), U(0, [1, 2, 3, 4], 3, 0), L(32, [10, 1, 2, 3]), L(32, [10, 1, 3, 3]), L(32, [11, 0, 0, 0]),
      L(20, [10, 1, 2, 3]), L(33, [10, 1, 2, 3]), U(16, [10, 1, 0, 0], 4, 1), U(17, [10, 1, 0, 0], 5, 2), U(33, [10, 1, 0, 0], 5, 0),
      U(8, [10, 0, 0, 0], 6, 0), U(9, [10, 0, 0, 0], 7, 0), D(24, [10, 1, 2, 0]), D(24, [10, 1, 2, 0]), L(32, [10, 1, 2, 3]), D(40, [0, 0, 0, 0]),
      D(0, [0, 0, 0, 0]), L(32, [12, 0, 0, 0]), U(32, [10, 1, 2, 3], 8, 0), L(32, [10, 1, 2, 3]),
    ];
    const r = compareRaw(`.map t lpm_trie key=8 value=8 entries=4\nmov %r6, 0\n${steps.join("")}mov %r0, %r6\nexit`, undefined, (o) => instantiateMaps(o));
    expect(r).toMatchObject({ kind: "done" });
  });

  const FAULTS: Record<string, string> = {
    "a key crossing the stack's end": "mov %r2, %r10\nadd %r2, -4\nlddw %r1, map(t)\ncall 1\nexit",
    "an update value crossing the stack's end": `${keyAt(lpmKey(8, [10], 8))}mov %r3, %r10\nadd %r3, -4\nmov %r4, 0\nlddw %r1, map(t)\ncall 2\nexit`,
    "a load past the value": `${keyAt(lpmKey(32, [10, 1, 2, 3], 8))}lddw %r1, map(t)\ncall 1\njeq %r0, 0, +1\nldxw %r0, [%r0+6]\nexit`,
    "a delete with r1 not a map": `${keyAt(lpmKey(8, [10], 8))}mov %r1, 3\ncall 3\nexit`,
  };
  for (const [name, body] of Object.entries(FAULTS)) {
    it(`faults like the interpreter: ${name}`, () => {
      expect(compareRaw(`.map t lpm_trie key=8 value=8 entries=4\n${body}`, undefined, lpmSeeded(SEED_PREFIXES))).toMatchObject({ kind: "error" });
    });
  }

  it("XDP: routes looked up by the frame's destination, learnt and withdrawn by the frames, carried from packet to packet", () => {
    // frame bytes 0..3 the address; byte 4: 0 look up, 1 learn byte 5 as a /byte-6 prefix, 2 withdraw it
    const object = assemble(`.map t lpm_trie key=8 value=8 entries=4
ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r2, %r6
add %r2, 8
mov %r0, 1
jgt %r2, %r7, out
ldxw %r1, [%r6+0]
stxw [%r10-4], %r1
ldxb %r8, [%r6+4]
ldxb %r1, [%r6+6]
stxw [%r10-8], %r1
jne %r8, 0, change
stw [%r10-8], 32
mov %r2, %r10
add %r2, -8
lddw %r1, map(t)
call 1
mov %r1, 0xee
jeq %r0, 0, +2
ldxb %r1, [%r0+0]
stxb [%r0+1], %r1
stxb [%r6+7], %r1
mov %r0, 2
ja out
change:
mov %r2, %r10
add %r2, -8
lddw %r1, map(t)
jne %r8, 1, withdraw
ldxb %r3, [%r6+5]
stxdw [%r10-16], %r3
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
ja done
withdraw:
call 3
done:
stxb [%r6+7], %r0
mov %r0, 3
out:
exit`, "x.s");
    const frames = [
      [10, 1, 2, 3, 0, 0, 0], [10, 1, 2, 3, 1, 7, 16], [10, 1, 2, 3, 0, 0, 0], [10, 1, 2, 3, 1, 8, 24], [10, 1, 2, 9, 0, 0, 0],
      [10, 1, 2, 9, 0, 0, 0], [10, 9, 9, 9, 1, 9, 8], [10, 1, 2, 3, 2, 0, 24], [10, 1, 2, 3, 0, 0, 0], [10, 2, 0, 0, 0, 0, 0], [10, 1, 0, 0, 2, 0, 16],
    ].map((h, i) => Uint8Array.from({ length: 12 + i }, (_, j) => h[j] ?? j));
    const maps = instantiateMaps(object);
    const host = newHostState();
    const ref = frames.map((f) => {
      const r = runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
      return { r0: r.r0, packet: hex(r.packet) };
    });
    const engineMaps = instantiateMaps(object);
    const got = fpgaBackend.runXdp!({ object, program: 0, frames, ifindex: 1, maxSteps: 100_000, maps: engineMaps });
    expect(got.packets.map((p) => ({ r0: p.r0, packet: hex(p.packet) }))).toEqual(ref);
    expect(formatMapsState(engineMaps)).toEqual(formatMapsState(maps));
    expect(formatMapsState(maps)).not.toBe(formatMapsState(instantiateMaps(object)));
  });
});
