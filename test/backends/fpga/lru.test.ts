// LRU hash maps (exact recency order: last-use stamps, the least recently used entry
// evicted by a new key in a full map) and the per-CPU kinds (one CPU: percpu_array is an
// array, percpu_hash a hash map) on the Verilog BPF engine, in Verilator against the
// reference interpreter (runtime/maps/hash.ts, array.ts): fast-check generated operation
// sequences, r0 with every result folded in and the final maps in the interpreter's
// order (for LRU: least recently used first); an XDP stream over an LRU map; map
// commands from the host touching LRU entries as the map API does.
// requires: verilator
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { mapLayout, mapsFile, storeMapMemory } from "../../../backends/fpga/maps.js";
import { buildEngineModel, runEngine, type EngineModel, type MapCommand } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import { u32leBytes, type BpfMap } from "../../../runtime/maps/map.js";
import { formatMapsState } from "../../../runtime/maps/state.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { compareRaw } from "./compare.js";
import { hex } from "./support.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

let model: EngineModel;
beforeAll(() => {
  if (haveVerilator) model = buildEngineModel({ jobs: 2 });
});

const lit = (n: bigint) => `0x${n.toString(16)}`;

type Op = { op: "lookup" | "delete"; key: number } | { op: "update"; key: number; fill: number; flags: number };

function keyBytes(k: number, keySize: number): Uint8Array {
  return Uint8Array.from({ length: keySize }, (_, j) => (j === 0 ? k : (k * 7 + j) & 0xff));
}

/** Operations on map h (the key at r10-16, the value at r10-48), results folded into r6 as in maps.test.ts. */
function program(kind: string, keySize: number, valueSize: number, entries: number, ops: readonly Op[]): string {
  let src = `.map h ${kind} key=${keySize} value=${valueSize} entries=${entries}\nmov %r6, 0\n`;
  for (const o of ops) {
    const padded = new Uint8Array(16);
    padded.set(keyBytes(o.key, keySize));
    const v = new DataView(padded.buffer);
    src += `lddw %r1, ${lit(v.getBigUint64(0, true))}\nstxdw [%r10-16], %r1\nlddw %r1, ${lit(v.getBigUint64(8, true))}\nstxdw [%r10-8], %r1\n`;
    src += "mov %r2, %r10\nadd %r2, -16\nlddw %r1, map(h)\n";
    if (o.op === "lookup") src += "call 1\njeq %r0, 0, +4\nldxb %r1, [%r0+0]\nadd %r1, 1\nstxb [%r0+0], %r1\nmov %r0, %r1\n";
    else if (o.op === "update") {
      src += `lddw %r3, ${lit(BigInt(o.fill) * 0x0001000100010001n)}\nstxdw [%r10-48], %r3\nstxdw [%r10-40], %r3\n`;
      src += `mov %r3, %r10\nadd %r3, -48\nmov %r4, ${o.flags}\ncall 2\n`;
    } else src += "call 3\n";
    src += "mul %r6, 31\nadd %r6, %r0\n";
  }
  return src + "mov %r0, %r6\nexit\n";
}

function opArb(pool: number): fc.Arbitrary<Op> {
  const key = fc.integer({ min: 0, max: pool - 1 });
  return fc.oneof(
    { weight: 3, arbitrary: key.map((k): Op => ({ op: "lookup", key: k })) },
    { weight: 4, arbitrary: fc.tuple(key, fc.integer({ min: 0, max: 0xfffe }), fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(3) })).map(([k, fill, flags]): Op => ({ op: "update", key: k, fill, flags })) },
    { weight: 1, arbitrary: key.map((k): Op => ({ op: "delete", key: k })) },
  );
}

/** Map h seeded with keys 0..count-1 (array kinds: elements), the same on both sides. */
function seeded(count: number) {
  return (object: BpfObject): BpfMap[] => {
    const maps = instantiateMaps(object);
    const h = maps[0]!;
    const arrayKind = h.def.kind === "percpu_array";
    for (let k = 0; k < Math.min(count, h.def.maxEntries); k++) expect(h.update(arrayKind ? u32leBytes(k) : keyBytes(k, h.def.keySize), Uint8Array.from({ length: h.def.valueSize }, (_, j) => k * 16 + j), 0)).toBe(0);
    return maps;
  };
}

describe.skipIf(!haveVerilator)("LRU and per-CPU maps on the FPGA engine match the interpreter", () => {
  const CONFIGS: [kind: string, keySize: number, valueSize: number, entries: number, pool: number][] = [
    ["lru_hash", 4, 8, 3, 6], ["lru_hash", 12, 16, 5, 9], ["lru_hash", 1, 2, 1, 3], ["lru_hash", 8, 8, 16, 24],
    ["percpu_hash", 6, 8, 4, 6], ["percpu_array", 4, 12, 4, 6],
  ];
  for (const [kind, keySize, valueSize, entries, pool] of CONFIGS) {
    it(`${kind}, key ${keySize}, value ${valueSize}, ${entries} entries: generated lookups, updates (every flag) and deletes`, () => {
      let n = 0;
      fc.assert(fc.property(fc.array(opArb(pool), { minLength: 10, maxLength: 50 }), (ops) => {
        const r = compareRaw(program(kind, keySize, valueSize, entries, ops), undefined, seeded(n++ % 3 === 0 ? 0 : entries));
        expect(r.kind).toBe("done");
      }), { numRuns: 8, seed: 3000 + keySize * 10 + entries });
    });
  }

  it("XDP: an LRU flow table over a packet stream, its recency order carried from packet to packet", () => {
    const object = assemble(`.map flows lru_hash key=2 value=8 entries=3
ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r2, %r6
add %r2, 8
mov %r0, 1
jgt %r2, %r7, out
ldxh %r1, [%r6+0]
stxh [%r10-2], %r1
mov %r2, %r10
add %r2, -2
lddw %r1, map(flows)
call 1
jeq %r0, 0, new
mov %r1, 1
lock add [%r0+0], %r1
ldxdw %r1, [%r0+0]
stxb [%r6+3], %r1
mov %r0, 2
ja out
new:
stdw [%r10-16], 1
mov %r2, %r10
add %r2, -2
mov %r3, %r10
add %r3, -16
mov %r4, 0
lddw %r1, map(flows)
call 2
mov %r0, 3
out:
exit`, "x.s");
    const frames = [1, 2, 3, 1, 4, 2, 3, 1, 5, 5, 4, 2].map((a, i) => Uint8Array.from({ length: 12 + i }, (_, j) => (j === 0 ? a : j === 1 ? 0 : j)));
    const maps = instantiateMaps(object);
    const host = newHostState();
    const ref = frames.map((f) => {
      const r = runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
      return { r0: r.r0, packet: hex(r.packet) };
    });
    const engineMaps = instantiateMaps(object);
    const got = fpgaBackend.runXdp!({ object, program: 0, frames, ifindex: 1, maxSteps: 100_000, maps: engineMaps });
    expect(got.packets.map((p) => ({ r0: p.r0, packet: hex(p.packet) }))).toEqual(ref);
    expect(formatMapsState(engineMaps)).toBe(formatMapsState(maps));
  });

  it("host map commands on an LRU map: lookups and updates touch, a full map evicts, as the map API", () => {
    const object = assemble(".map h lru_hash key=4 value=8 entries=3\nmov %r0, 0\nexit", "c.s");
    const layout = mapLayout(object.maps);
    const k = (n: number) => u32leBytes(n);
    const v = (n: number) => new Uint8Array(8).fill(n);
    const commands: MapCommand[] = [
      ...[1, 2, 3].map((n): MapCommand => ({ op: "update", map: 0, key: k(n), value: v(n), flags: 0, valueSize: 8 })),
      { op: "lookup", map: 0, key: k(1), valueSize: 8 },
      { op: "update", map: 0, key: k(4), value: v(4), flags: 0, valueSize: 8 },     // evicts 2
      { op: "lookup", map: 0, key: k(2), valueSize: 8 },
      { op: "update", map: 0, key: k(3), value: v(9), flags: 2, valueSize: 8 },     // touches 3
      { op: "update", map: 0, key: k(5), value: v(5), flags: 1, valueSize: 8 },     // evicts 1
      { op: "delete", map: 0, key: k(4), valueSize: 8 },
      { op: "update", map: 0, key: k(6), value: v(6), flags: 0, valueSize: 8 },
    ];
    const ref = instantiateMaps(object);
    const want = commands.map((c) => {
      const m = ref[0]!;
      if (c.op === "lookup") return hex(m.lookup(c.key) ?? new Uint8Array());
      return c.op === "update" ? m.update(c.key, c.value!, c.flags!) : m.delete(c.key);
    });
    const live = instantiateMaps(object);
    const [r] = runEngine(model, [{ name: "lru", slots: [], maps: mapsFile(layout, live), mapBytes: layout.bytes, control: { commands } }]);
    const got = commands.map((c, i) => {
      const x = r!.control![i]!;
      if (c.op === "lookup") return x.r0 === 0n ? "" : hex(x.value!);
      return Number(BigInt.asIntN(64, x.r0));
    });
    expect(got).toEqual(want);
    storeMapMemory(layout, r!.maps!, live);
    expect(formatMapsState(live)).toBe(formatMapsState(ref));
  });
});
