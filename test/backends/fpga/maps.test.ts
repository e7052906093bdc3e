// Array maps on the Verilog BPF engine (the map value memory, lddw map handles, helpers
// 1/2/3 in bpf_core) in Verilator against the reference interpreter: r0, the memory or
// frames after the run, and the final maps (formatMapsState) from the same initial maps;
// XDP packet streams with maps carried from packet to packet; faults at the same
// instruction (a value access past the element's end, bad key/value pointers, not a map).
// requires: verilator
import { beforeAll, describe, expect, it } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { hashHome, mapLayout, mapProblems, mapSlots, slotShift, storeMapMemory, tableWord } from "../../../backends/fpga/maps.js";
import { buildEngineModel } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import type { BpfMap } from "../../../runtime/maps/map.js";
import { u32leBytes } from "../../../runtime/maps/map.js";
import { formatMapsState } from "../../../runtime/maps/state.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { hex } from "./support.js";
import { compareRaw as compareWith } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

beforeAll(() => {
  if (haveVerilator) buildEngineModel({ jobs: 2 });
});

/** Fresh maps with some elements set, the same for both sides. */
function seeded(object: BpfObject): BpfMap[] {
  const maps = instantiateMaps(object);
  maps.forEach((m, k) => {
    for (let i = 0; i < m.def.maxEntries; i += 2) {
      const v = Uint8Array.from({ length: m.def.valueSize }, (_, j) => (i * 7 + j * 3 + k + 1) & 0xff);
      expect(m.update(u32leBytes(i), v, 0)).toBe(0);
    }
  });
  return maps;
}

const compareRaw = (src: string, mem?: Uint8Array, seed: (o: BpfObject) => BpfMap[] = seeded) => compareWith(src, mem, seed);

const KEY = (k: number | string) => `stw [%r10-4], ${k}\nmov %r2, %r10\nadd %r2, -4\n`;

describe("map layout (backends/fpga/maps.ts)", () => {
  it("puts values in power-of-two slots of at least 8 bytes, maps one after another", () => {
    expect([1, 8, 9, 12, 16, 17, 100].map(slotShift)).toEqual([3, 3, 4, 4, 4, 5, 7]);
    const o = assemble(".map a array key=4 value=12 entries=3\n.map b array key=4 value=4 entries=2\nmov %r0, 0\nexit", "t.s");
    const l = mapLayout(o.maps);
    expect(l.maps.map((p) => [p.base, p.shift])).toEqual([[0, 4], [48, 3]]);
    expect(l.bytes).toBe(64);
    expect(tableWord(l.maps[1]!)).toBe(4n | (3n << 16n) | (2n << 20n) | (48n << 40n));
    const maps = instantiateMaps(o);
    maps[0]!.update(u32leBytes(1), Uint8Array.from({ length: 12 }, (_, i) => i + 1), 0);
    const slots = mapSlots(l.maps[0]!, maps[0]!);
    expect(hex(slots.subarray(16, 32))).toBe("0102030405060708090a0b0c00000000");
  });
  it("refuses what the engine cannot hold", () => {
    const o = assemble(".map h hash key=4 value=8 entries=4\n.map big array key=4 value=9 entries=1025\nmov %r0, 0\nexit", "t.s");
    expect(mapProblems(o.maps)).toEqual([]);
    const big = assemble(".map l lpm_trie key=24 value=8 entries=4\n.map k hash key=17 value=8 entries=4\n.map big array key=4 value=9 entries=4097\nmov %r0, 0\nexit", "t.s");
    expect(mapProblems(big.maps)).toEqual([
      "map 'l' has 24-byte keys (the engine's LPM tries take 5 to 20: prefixes of at most 128 bits)",
      "map 'k' has 17-byte keys (the engine's hash maps take 1 to 16)",
      "66368 bytes of map memory with values in power-of-two slots (the engine has 65536)",
    ]);
  });
  it("hash maps: header word, slots of value + key + meta word, entries placed by hashHome with linear probing, read back in insertion order", () => {
    const o = assemble(".map a array key=4 value=4 entries=2\n.map h hash key=6 value=12 entries=3\nmov %r0, 0\nexit", "t.s");
    const l = mapLayout(o.maps);
    // slot: value 16 + key 8 + meta 8 = 32 bytes; the header at 16, slot 0 at 24
    expect(l.maps.map((p) => [p.start, p.base, p.shift, p.bytes])).toEqual([[0, 0, 3, 16], [16, 24, 5, 104]]);
    expect(tableWord(l.maps[1]!)).toBe(12n | (1n << 15n) | (5n << 16n) | (3n << 20n) | (5n << 36n) | (24n << 40n));
    const maps = instantiateMaps(o);
    const keys = [1, 2, 3].map((k) => Uint8Array.of(k, 0, 0, 0, 0, k));
    keys.forEach((k, i) => expect(maps[1]!.update(k, new Uint8Array(12).fill(i + 1), 0)).toBe(0));
    const region = mapSlots(l.maps[1]!, maps[1]!);
    expect(region[0]).toBe(3); // next sequence number
    const homes = keys.map((k) => hashHome(k, 3));
    expect(homes.every((h) => h >= 0 && h < 3)).toBe(true);
    // read back: the same entries in the same order, also after the slots were filled in another order
    const memory = new Uint8Array(l.bytes);
    memory.set(region, 16);
    const back = instantiateMaps(o);
    back[1]!.update(Uint8Array.of(9, 9, 9, 9, 9, 9), new Uint8Array(12), 0);
    storeMapMemory(l, memory, back);
    expect(formatMapsState(back)).toBe(formatMapsState(maps));
  });
});

describe.skipIf(!haveVerilator)("array maps on the FPGA engine match the interpreter", () => {
  const decl = ".map m array key=4 value=12 entries=4\n.map n array key=4 value=8 entries=3\n";

  it("lookup + atomic add counters, load/store through the value pointer, update from the stack, NULL on an out-of-range key, delete", () => {
    const r = compareRaw(`${decl}${KEY(2)}lddw %r1, map(m)
call 1
jeq %r0, 0, out
mov %r1, 5
lock add [%r0+0], %r1
mov %r1, 0x100
lock fetch add [%r0+4], %r1
ldxw %r6, [%r0+8]
add %r6, %r1
stxw [%r0+8], %r6
lddw %r1, 0x1122334455667788
stxdw [%r10-24], %r1
stw [%r10-16], 99
${KEY(3)}mov %r3, %r10
add %r3, -24
mov %r4, 0
lddw %r1, map(m)
call 2
mov %r7, %r0
${KEY(4)}lddw %r1, map(m)
call 1
mov %r8, %r0
${KEY(0)}lddw %r1, map(m)
call 3
lsh %r7, 8
add %r7, %r8
lsh %r7, 8
add %r0, %r7
out:
exit`);
    expect(r).toMatchObject({ kind: "done", r0: BigInt.asUintN(64, -22n) });
  });

  it("update: flags BPF_ANY/BPF_EXIST copy, BPF_NOEXIST is -EEXIST, flags > 2 -EINVAL, a key past the end -E2BIG", () => {
    for (const [key, flags] of [[1, 0], [2, 2], [1, 1], [0, 4], [3, 0], [0x10000, 0], [-1, 2]] as const) {
      compareRaw(`${decl}stdw [%r10-16], 0x5a5a
lddw %r1, 0xdeadbeefcafef00d
stxdw [%r10-12], %r1
${KEY(key)}mov %r3, %r10
add %r3, -16
mov %r4, ${flags}
lddw %r1, map(n)
call 2
exit`);
    }
  });

  it("update copies a value from another map's element and from the input memory; lookups of every key", () => {
    // r9 = the input memory; m[1] = m[2] (map to map), n[0] = input bytes 3..10; r0 = the sum of m[*] words
    compareRaw(`${decl}mov %r9, %r1
mov %r6, 0
${KEY(2)}lddw %r1, map(m)
call 1
jeq %r0, 0, out
mov %r3, %r0
${KEY(1)}mov %r4, 0
lddw %r1, map(m)
call 2
mov %r3, %r9
add %r3, 3
${KEY(0)}mov %r4, 0
lddw %r1, map(n)
call 2
mov %r7, 0
loop:
stxw [%r10-4], %r7
mov %r2, %r10
add %r2, -4
lddw %r1, map(m)
call 1
jeq %r0, 0, out
ldxw %r1, [%r0+0]
add %r6, %r1
add %r7, 1
ja loop
out:
mov %r0, %r6
exit`, Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i));
  });

  const FAULTS: Record<string, string> = {
    "a 4-byte load at the last 2 bytes of a 12-byte element": `${KEY(1)}lddw %r1, map(m)\ncall 1\njeq %r0, 0, +1\nldxw %r0, [%r0+10]\nexit`,
    "an 8-byte load over the element's end": `${KEY(1)}lddw %r1, map(m)\ncall 1\njeq %r0, 0, +1\nldxdw %r0, [%r0+8]\nexit`,
    "a store past the element": `${KEY(0)}lddw %r1, map(n)\ncall 1\njeq %r0, 0, +1\nstb [%r0+8], 1\nexit`,
    "an atomic add past the element": `${KEY(0)}lddw %r1, map(n)\ncall 1\njeq %r0, 0, +2\nmov %r1, 1\nlock add [%r0+8], %r1\nexit`,
    "a load before the element": `${KEY(0)}lddw %r1, map(n)\ncall 1\njeq %r0, 0, +1\nldxb %r0, [%r0-1]\nexit`,
    "a load through the map handle": `lddw %r1, map(m)\nldxw %r0, [%r1+0]\nexit`,
    "a key pointer of 0": `mov %r2, 0\nlddw %r1, map(m)\ncall 1\nexit`,
    "a key crossing the stack's end": `mov %r2, %r10\nadd %r2, -2\nlddw %r1, map(m)\ncall 1\nexit`,
    "an update value crossing the stack's end": `${KEY(0)}mov %r3, %r10\nadd %r3, -8\nmov %r4, 0\nlddw %r1, map(m)\ncall 2\nexit`,
    "delete with a bad key pointer": `mov %r2, 8\nlddw %r1, map(m)\ncall 3\nexit`,
    "r1 not a map": `${KEY(0)}mov %r1, 7\ncall 1\nexit`,
    "r1 a map handle plus 8": `${KEY(0)}lddw %r1, map(m)\nadd %r1, 8\ncall 1\nexit`,
  };
  for (const [name, body] of Object.entries(FAULTS)) {
    it(`faults like the interpreter: ${name}`, () => {
      expect(compareRaw(`${decl}${body}`)).toMatchObject({ kind: "error" });
    });
  }

  it("XDP: per-packet counters and a copy from the packet into a map, maps carried over several packets", () => {
    const object = assemble(`.map cnt array key=4 value=16 entries=4
.map last array key=4 value=20 entries=1
ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r2, %r6
add %r2, 20
mov %r0, 1
jgt %r2, %r7, drop
ldxb %r1, [%r6+0]
and %r1, 7
stxw [%r10-4], %r1
mov %r2, %r10
add %r2, -4
lddw %r1, map(cnt)
call 1
mov %r8, 2
jeq %r0, 0, count
mov %r1, 1
lock add [%r0+0], %r1
sub %r7, %r6
lock add [%r0+8], %r7
ldxdw %r8, [%r0+0]
count:
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
mov %r3, %r6
mov %r4, 0
lddw %r1, map(last)
call 2
stxb [%r6+1], %r8
mov %r0, 2
drop:
exit`, "x.s");
    const frames = [3, 1, 3, 5, 0, 3, 6, 2].map((b, i) => Uint8Array.from({ length: 20 + i * 9 }, (_, j) => (j === 0 ? b : (j * 13 + i) & 0xff)));
    frames.splice(4, 0, new Uint8Array(10).fill(3));
    const maps = seeded(object);
    const host = newHostState();
    const ref = frames.map((f) => {
      const r = runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
      return { r0: r.r0, packet: hex(r.packet) };
    });
    const engineMaps = seeded(object);
    const got = fpgaBackend.runXdp!({ object, program: 0, frames, ifindex: 1, maxSteps: 100_000, maps: engineMaps });
    expect(got.packets.map((p) => ({ r0: p.r0, packet: hex(p.packet) }))).toEqual(ref);
    expect(formatMapsState(engineMaps)).toEqual(formatMapsState(maps));
    expect(formatMapsState(maps)).not.toEqual(formatMapsState(seeded(object)));
  });
});

/** A tiny deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const lit = (n: bigint) => `0x${n.toString(16)}`;

/** Keys of the pool: distinct in their first keySize bytes. */
function poolKey(k: number, keySize: number): Uint8Array {
  return Uint8Array.from({ length: keySize }, (_, j) => (j === 0 ? k * 37 + 1 : j === keySize - 1 ? k : (k * 11 + j * 5) & 0xff) & 0xff);
}

/**
 * A program of hash map operations on map h (the key at r10-16, the value at r10-48):
 * lookups (a byte of the value read and incremented through the pointer), updates with
 * each flag, deletes; every result folded into r6 (r6 = r6 * 31 + r0), returned in r0.
 */
function hashProgram(keySize: number, valueSize: number, entries: number, seed: number, ops: number, pool: number): string {
  const next = rng(seed);
  let src = `.map h hash key=${keySize} value=${valueSize} entries=${entries}\n.map a array key=4 value=8 entries=2\nmov %r6, 0\n`;
  for (let n = 0; n < ops; n++) {
    const key = poolKey(next() % pool, keySize);
    const padded = new Uint8Array(16);
    padded.set(key);
    const view = new DataView(padded.buffer);
    src += `lddw %r1, ${lit(view.getBigUint64(0, true))}\nstxdw [%r10-16], %r1\nlddw %r1, ${lit(view.getBigUint64(8, true))}\nstxdw [%r10-8], %r1\n`;
    src += "mov %r2, %r10\nadd %r2, -16\nlddw %r1, map(h)\n";
    const op = next() % 8;
    if (op < 3) {
      src += `call 1\njeq %r0, 0, +4\nldxb %r1, [%r0+0]\nadd %r1, 1\nstxb [%r0+0], %r1\nmov %r0, %r1\n`;
    } else if (op < 6) {
      const fill = BigInt(next() % 0xffff) * 0x0001000100010001n;
      src += `lddw %r3, ${lit(fill)}\nstxdw [%r10-48], %r3\nstxdw [%r10-40], %r3\nstxdw [%r10-32], %r3\n`;
      src += `mov %r3, %r10\nadd %r3, -48\nmov %r4, ${next() % 3}\ncall 2\n`;
    } else {
      src += "call 3\n";
    }
    src += "mul %r6, 31\nadd %r6, %r0\n";
  }
  return src + "mov %r0, %r6\nexit\n";
}

/** Hash map h seeded with the first `count` pool keys, array a as before. */
function hashSeeded(count: number) {
  return (object: BpfObject): BpfMap[] => {
    const maps = instantiateMaps(object);
    const h = maps[0]!;
    for (let k = 0; k < count; k++) expect(h.update(poolKey(k, h.def.keySize), Uint8Array.from({ length: h.def.valueSize }, (_, j) => k * 16 + j), 0)).toBe(0);
    return maps;
  };
}

describe.skipIf(!haveVerilator)("hash maps on the FPGA engine match the interpreter", () => {
  const CONFIGS: [keySize: number, valueSize: number, entries: number, pool: number][] = [
    [4, 8, 4, 6], [8, 16, 5, 7], [12, 3, 3, 5], [16, 24, 7, 9], [1, 1, 2, 3], [6, 12, 1, 2], [4, 8, 64, 40],
  ];
  for (const [keySize, valueSize, entries, pool] of CONFIGS) {
    it(`key ${keySize}, value ${valueSize}, ${entries} entries: lookup/update (every flag)/delete, full map, collisions`, () => {
      for (let seed = 1; seed <= 6; seed++) {
        const r = compareRaw(hashProgram(keySize, valueSize, entries, seed * 7919 + keySize, 40, pool), undefined, hashSeeded(Math.min(seed - 1, entries)));
        expect(r.kind).toBe("done");
      }
    });
  }

  it("the directed cases: insert, -EEXIST, -ENOENT, -E2BIG when full, delete then reinsert moves the entry to the end", () => {
    const K = (k: number) => `stw [%r10-4], ${k}\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(h)\n`;
    const U = (k: number, flags: number) => `stdw [%r10-16], ${k * 3}\n${K(k)}mov %r3, %r10\nadd %r3, -16\nmov %r4, ${flags}\ncall 2\nlsh %r6, 4\nand %r0, 15\nadd %r6, %r0\n`;
    const D = (k: number) => `${K(k)}call 3\nlsh %r6, 4\nand %r0, 15\nadd %r6, %r0\n`;
    const r = compareRaw(`.map h hash key=4 value=8 entries=3\nmov %r6, 0\n${U(1, 1)}${U(2, 0)}${U(1, 1)}${U(3, 2)}${U(3, 0)}${U(4, 0)}${U(4, 1)}${D(5)}${D(1)}${U(4, 1)}${U(1, 2)}${U(2, 2)}${D(2)}${U(1, 1)}mov %r0, %r6\nexit`, undefined, (o) => instantiateMaps(o));
    expect(r).toMatchObject({ kind: "done" });
  });

  it("faults like the interpreter: a hash key crossing the stack's end", () => {
    expect(compareRaw(".map h hash key=16 value=8 entries=3\nmov %r2, %r10\nadd %r2, -8\nlddw %r1, map(h)\ncall 1\nexit", undefined, (o) => instantiateMaps(o))).toMatchObject({ kind: "error" });
  });

  it("XDP: a hash map carried from packet to packet, counted by source byte", () => {
    const object = assemble(`.map cnt hash key=2 value=16 entries=3
ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r2, %r6
add %r2, 8
mov %r0, 1
jgt %r2, %r7, drop
ldxh %r1, [%r6+0]
stxh [%r10-2], %r1
mov %r2, %r10
add %r2, -2
lddw %r1, map(cnt)
call 1
jeq %r0, 0, insert
mov %r1, 1
lock add [%r0+0], %r1
ldxb %r1, [%r6+2]
jne %r1, 7, pass
mov %r2, %r10
add %r2, -2
lddw %r1, map(cnt)
call 3
ja pass
insert:
stdw [%r10-24], 1
stdw [%r10-16], 0
mov %r2, %r10
add %r2, -2
mov %r3, %r10
add %r3, -24
mov %r4, 1
lddw %r1, map(cnt)
call 2
stxb [%r6+3], %r0
pass:
mov %r0, 2
drop:
exit`, "x.s");
    const frames = [[1, 0, 0], [2, 0, 0], [1, 0, 7], [3, 0, 0], [4, 0, 0], [5, 0, 0], [2, 0, 7], [6, 0, 0], [1, 0, 0]].map((h, i) => Uint8Array.from({ length: 16 + i }, (_, j) => h[j] ?? j));
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
  });
});
