// The host's TCAM commands on the Verilog BPF engine (ctl update = insert or overwrite
// an entry (value & mask, mask, priority) -> data, ctl delete = remove it, ctl lookup =
// match a key as a program does), run by the engine's map sequence between the packets
// of an XDP stream, against the interpreter's TcamMap.insert/remove/lookup
// (runtime/maps/tcam.ts) and runXdp on the same script: every answer (-EEXIST, -ENOENT,
// -ENOSPC, -EINVAL included), every verdict and frame (so every lookup the program makes
// after a host insert or delete), and the final rows in match order. Priorities are few,
// so that ties fall to insertion order and identities meet; a 4-byte and a 12-byte key
// (two key words) TCAM.
// requires: verilator
import fc from "fast-check";
import { beforeAll, describe, it } from "vitest";
import { buildEngineModel, type EngineModel, type MapCommand } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { instantiateMaps } from "../../../runtime/interp/run.js";
import { isTcam, type BpfMap } from "../../../runtime/maps/map.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { compareScript, type ScriptStep } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

let model: EngineModel;
beforeAll(() => {
  if (haveVerilator) model = buildEngineModel({ jobs: 2 });
});

// Frame bytes 0..3 are t4's key, 0..11 t12's. A t4 hit counts in its data's byte 7 (a
// store through the returned pointer, which the host's lookups then see) and copies the
// data into frame bytes 12..19; a t12 hit copies its data into bytes 16..23. The verdict
// says which matched: 2 none, 3 t4, 12 t12, 13 both; 1 a frame too short.
const OBJECT = assemble(`.map t4 tcam key=4 value=8 entries=4
.map t12 tcam key=12 value=8 entries=5
ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r2, %r6
add %r2, 24
mov %r0, 1
jgt %r2, %r7, out
ldxw %r1, [%r6+0]
stxw [%r10-16], %r1
mov %r2, %r10
add %r2, -16
lddw %r1, map(t4)
call 1
mov %r8, 2
jeq %r0, 0, miss4
ldxb %r1, [%r0+7]
add %r1, 1
stxb [%r0+7], %r1
ldxdw %r1, [%r0+0]
stxdw [%r6+12], %r1
mov %r8, 3
miss4:
ldxdw %r1, [%r6+0]
stxdw [%r10-32], %r1
ldxw %r1, [%r6+8]
stxw [%r10-24], %r1
mov %r2, %r10
add %r2, -32
lddw %r1, map(t12)
call 1
jeq %r0, 0, miss12
ldxdw %r1, [%r0+0]
stxdw [%r6+16], %r1
add %r8, 10
miss12:
mov %r0, %r8
out:
exit`, "tcam-control.s");

const KEY_SIZE = [4, 12];
const VALUE_SIZE = 8;

/** A frame's varying bytes from small pools, so that host entries and packets meet. */
const frameArb = fc.tuple(fc.constantFrom(10, 11), fc.constantFrom(1, 2), fc.constantFrom(0, 3), fc.constantFrom(0, 5))
  .map(([b0, b1, b2, b9]) => Uint8Array.from({ length: 24 }, (_, j) => (j === 0 ? b0 : j === 1 ? b1 : j === 2 ? b2 : j === 9 ? b9 : j)));

const MASKS: readonly (readonly number[])[][] = [
  [[0xff, 0, 0, 0], [0xff, 0xff, 0, 0], [0xff, 0xff, 0xff, 0xff], [0, 0, 0, 0], [0, 0xff, 0xf0, 0]],
  [new Array(12).fill(0xff), [0xff, ...new Array(11).fill(0)], [0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0], new Array(12).fill(0)],
];

/** Insert (update), delete and lookup on either TCAM: keys cut from frames, masks and priorities from small pools. */
const commandArb: fc.Arbitrary<MapCommand> = fc.record({
  map: fc.constantFrom(0, 1),
  op: fc.constantFrom<MapCommand["op"]>("update", "update", "update", "delete", "lookup"),
  frame: frameArb,
  mask: fc.integer({ min: 0, max: 4 }),
  priority: fc.constantFrom(0, 1, 2, 7, 0xffffffff),
  value: fc.uint8Array({ minLength: VALUE_SIZE, maxLength: VALUE_SIZE }),
  flags: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(4) }),
}).map(({ map, op, frame, mask, priority, value, flags }) => {
  const masks = MASKS[map]!;
  return {
    op, map, key: frame.slice(0, KEY_SIZE[map]), valueSize: VALUE_SIZE,
    ...(op === "lookup" ? {} : { tcam: { mask: Uint8Array.from(masks[mask % masks.length]!), priority } }),
    ...(op === "update" ? { value, flags } : {}),
  };
});

const stepArb: fc.Arbitrary<ScriptStep> = fc.oneof(
  fc.array(frameArb, { minLength: 1, maxLength: 4 }).map((frames) => ({ frames })),
  fc.array(commandArb, { minLength: 1, maxLength: 8 }).map((commands) => ({ commands })),
);

/** Both TCAMs start with a row each, from the map image. */
function seeded(object: BpfObject): BpfMap[] {
  const maps = instantiateMaps(object);
  const [t4, t12] = maps;
  if (!t4 || !t12 || !isTcam(t4) || !isTcam(t12)) throw new Error("not TCAMs");
  t4.insert(Uint8Array.of(10, 0, 0, 0), Uint8Array.of(0xff, 0, 0, 0), 1, new Uint8Array(8).fill(0x44));
  t12.insert(new Uint8Array(12), new Uint8Array(12), 0, new Uint8Array(8).fill(0x55));
  return maps;
}

const cmd = (map: number, op: MapCommand["op"], key: number[], mask: number[], priority: number, data = 0, flags = 0): MapCommand => ({
  op, map, key: Uint8Array.from(key), valueSize: VALUE_SIZE, tcam: { mask: Uint8Array.from(mask), priority },
  ...(op === "update" ? { value: new Uint8Array(8).fill(data), flags } : {}),
});

describe.skipIf(!haveVerilator)("host TCAM commands on the FPGA engine match the interpreter's map API", () => {
  it("generated scripts of host inserts, deletes and lookups between packets", () => {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 8 }), (script) => {
      compareScript(model, OBJECT, script, seeded);
    }), { numRuns: 30, seed: 4242 });
  });

  it("fills, overflows and empties a table: row moves at the front, middle and end, -ENOSPC, -ENOENT, ties in insertion order", () => {
    const all = [0xff, 0xff, 0xff, 0xff];
    const first = [0xff, 0, 0, 0];
    const frames = [10, 11].map((b0) => Uint8Array.from({ length: 24 }, (_, j) => (j === 0 ? b0 : j === 1 ? 1 : j === 2 ? 0 : j)));
    compareScript(model, OBJECT, [
      { commands: [cmd(0, "update", [10, 1, 0, 3], first, 1, 1), cmd(0, "update", [11, 1, 2, 3], first, 1, 2), cmd(0, "update", [10, 1, 2, 3], all, 9, 3)] },
      { frames },
      { commands: [cmd(0, "update", [10, 0, 0, 0], [0, 0, 0, 0], 1, 4), cmd(0, "update", [1, 2, 3, 4], all, 0, 5), cmd(0, "update", [10, 1, 2, 3], all, 9, 6, 1), cmd(0, "update", [10, 1, 2, 3], all, 9, 7, 2)] },
      { frames },
      { commands: [cmd(0, "delete", [10, 9, 9, 9], first, 1), cmd(0, "delete", [10, 9, 9, 9], first, 1), cmd(0, "delete", [10, 1, 2, 3], all, 9), cmd(0, "update", [11, 0, 0, 0], first, 5, 8)] },
      { frames },
      { commands: [cmd(0, "delete", [11, 0, 0, 0], first, 5), cmd(0, "delete", [11, 1, 2, 3], first, 1), cmd(0, "delete", [0, 0, 0, 0], [0, 0, 0, 0], 1), cmd(0, "delete", [0, 0, 0, 0], [0, 0, 0, 0], 1)] },
      { frames },
    ], seeded);
  });
});
