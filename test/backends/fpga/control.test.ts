// The host's map commands on the Verilog BPF engine (bpf_engine ctl_*: lookup, update,
// delete run by the engine's own map sequence while no program runs), driven from the
// Verilator testbench and compared with the interpreter's map API (runtime/maps: the
// BpfMap lookup/update/delete the CLI's `bpfoff map` uses) on the same sequences: every
// result (the value found, or the return code) and the final maps; array, hash, LPM and
// TCAM maps in one table; commands between the packets of an XDP stream.
// requires: verilator
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { mapLayout, mapsFile, storeMapMemory } from "../../../backends/fpga/maps.js";
import { buildEngineModel, runEngine, type EngineModel, type MapCommand } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { instantiateMaps } from "../../../runtime/interp/run.js";
import { isTcam, u32leBytes, type BpfMap } from "../../../runtime/maps/map.js";
import { formatMapsState } from "../../../runtime/maps/state.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { compareScript, engineMapAnswer, mapApiAnswer, type ScriptStep } from "./compare.js";
import { hex } from "./support.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

let model: EngineModel;
beforeAll(() => {
  if (haveVerilator) model = buildEngineModel({ jobs: 2 });
});

const OBJECT = assemble(`.map a array key=4 value=12 entries=4
.map h hash key=6 value=8 entries=5
.map l lpm_trie key=8 value=8 entries=4
.map t tcam key=4 value=8 entries=4
mov %r0, 0
exit`, "c.s");

/** The same initial contents on both sides: a few array elements, hash keys, prefixes and TCAM rows. */
function seeded(object: BpfObject): BpfMap[] {
  const maps = instantiateMaps(object);
  const [a, h, l, t] = maps as [BpfMap, BpfMap, BpfMap, BpfMap];
  a.update(u32leBytes(1), new Uint8Array(12).fill(0x11), 0);
  h.update(Uint8Array.of(1, 2, 3, 4, 5, 6), new Uint8Array(8).fill(0x22), 0);
  l.update(Uint8Array.of(16, 0, 0, 0, 10, 1, 0, 0), new Uint8Array(8).fill(0x33), 0);
  if (!isTcam(t)) throw new Error("not a tcam");
  t.insert(Uint8Array.of(10, 0, 0, 0), Uint8Array.of(0xff, 0, 0, 0), 1, new Uint8Array(8).fill(0x44));
  return maps;
}

/** Keys per map from small pools (so that commands meet each other's keys); values random. */
function commandArb(): fc.Arbitrary<MapCommand> {
  const keyFor = [
    fc.integer({ min: 0, max: 5 }).map((i) => u32leBytes(i)),
    fc.integer({ min: 0, max: 7 }).map((i) => Uint8Array.of(1, 2, 3, 4, 5, i)),
    fc.tuple(fc.constantFrom(0, 8, 16, 24, 32, 33), fc.constantFrom(0, 1, 2, 9)).map(([p, b]) => Uint8Array.of(p, 0, 0, 0, 10, 1, b, 7)),
    fc.constantFrom(0, 10, 11).map((b) => Uint8Array.of(b, 1, 2, 3)),
  ];
  // TCAM update/delete are the host's insert/remove of (key & mask, mask, priority)
  const tcam = fc.record({ mask: fc.constantFrom(Uint8Array.of(0xff, 0, 0, 0), Uint8Array.of(0xff, 0xff, 0xff, 0xff), Uint8Array.of(0, 0, 0, 0)), priority: fc.constantFrom(0, 1, 2) });
  const valueSize = [12, 8, 8, 8];
  return fc.integer({ min: 0, max: 3 }).chain((map) =>
    fc.record({
      op: fc.constantFrom<MapCommand["op"]>("lookup", "lookup", "update", "update", "delete"),
      key: keyFor[map]!,
      value: fc.uint8Array({ minLength: valueSize[map]!, maxLength: valueSize[map]! }),
      flags: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(5) }),
      tcam,
    }).map(({ tcam, ...r }): MapCommand => ({ ...r, map, valueSize: valueSize[map]!, ...(map === 3 ? { tcam } : {}) })),
  );
}

describe.skipIf(!haveVerilator)("map commands on the FPGA engine match the interpreter's map API", () => {
  it("generated sequences over array, hash, LPM and TCAM maps: every answer and the final maps", () => {
    const layout = mapLayout(OBJECT.maps);
    fc.assert(fc.property(fc.array(commandArb(), { minLength: 1, maxLength: 40 }), (commands) => {
      const ref = seeded(OBJECT);
      const want = commands.map((c) => mapApiAnswer(ref, c));
      const live = seeded(OBJECT);
      const [r] = runEngine(model, [{ name: "ctl", slots: [], maps: mapsFile(layout, live), mapBytes: layout.bytes, control: { commands } }]);
      expect(commands.map((c, i) => engineMapAnswer(c, r!.control![i]!))).toEqual(want);
      storeMapMemory(layout, r!.maps!, live);
      expect(formatMapsState(live)).toBe(formatMapsState(ref));
    }), { numRuns: 25, seed: 77 });
  });

  it("a command on a map index the table lacks stops with error 6, like a helper whose r1 is not a map", () => {
    const layout = mapLayout(OBJECT.maps);
    const [r] = runEngine(model, [{ name: "bad", slots: [], maps: mapsFile(layout, seeded(OBJECT)), control: { commands: [{ op: "lookup", map: 6, key: u32leBytes(0), valueSize: 8 }, { op: "lookup", map: 0, key: u32leBytes(1), valueSize: 12 }] } }]);
    expect(r!.control!.map((c) => [c.status, c.errCode])).toEqual([["error", 6], ["done", 0]]);
    expect(hex(r!.control![1]!.value!)).toBe("11".repeat(12));
  });

  it("between the packets of an XDP stream: the host deletes, rewrites and reads counters the program keeps", () => {
    const object = assemble(`.map cnt hash key=2 value=8 entries=4
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
ldxdw %r1, [%r0+0]
stxb [%r6+3], %r1
ja pass
insert:
stdw [%r10-16], 1
mov %r2, %r10
add %r2, -2
mov %r3, %r10
add %r3, -16
mov %r4, 1
lddw %r1, map(cnt)
call 2
stxb [%r6+3], %r0
pass:
mov %r0, 2
drop:
exit`, "x.s");
    const frame = (a: number, i: number) => Uint8Array.from({ length: 12 + i }, (_, j) => (j === 0 ? a : j === 1 ? 0 : j));
    const k = (a: number) => Uint8Array.of(a, 0);
    const v = (n: number) => { const b = new Uint8Array(8); b[0] = n; return b; };
    // packets, then commands, then packets again, then commands ...
    const script: ScriptStep[] = [
      { frames: [frame(1, 0), frame(2, 1), frame(1, 2)] },
      { commands: [{ op: "lookup", map: 0, key: k(1), valueSize: 8 }, { op: "delete", map: 0, key: k(2), valueSize: 8 }, { op: "update", map: 0, key: k(1), value: v(40), flags: 2, valueSize: 8 }, { op: "update", map: 0, key: k(9), value: v(7), flags: 1, valueSize: 8 }] },
      { frames: [frame(1, 3), frame(2, 4), frame(9, 5), frame(3, 6)] },
      { commands: [{ op: "update", map: 0, key: k(4), value: v(1), flags: 0, valueSize: 8 }, { op: "update", map: 0, key: k(5), value: v(1), flags: 0, valueSize: 8 }, { op: "lookup", map: 0, key: k(9), valueSize: 8 }] },
      { frames: [frame(1, 7), frame(5, 8)] },
    ];
    compareScript(model, object, script, instantiateMaps);
  });
});
