// Lane 1's loads and lddw outside lane 0 (docs/fpga-engine.md, "Lanes"), in Verilator on
// 1, 2 and 4 lanes against the reference interpreter: proven loads through the second
// read port of the data and map memories, hoisted above the jump that proves them (the
// jump taken, the address then outside the packet, the buffer or a NULL value: the read
// port does not fault, the value is dead), loads a bundle apart from stores of the same
// bytes and beside stores of other bytes, a
// load sharing a helper call's bundle (it reads before the call writes the value), and
// lddw constants and map handles in lanes 1+2 and 2+3. requires: verilator
import { beforeAll, describe, expect, it } from "vitest";
import { buildEngineModel, runEngine, type EngineModel, type EngineResult } from "../../../backends/fpga/sim.js";
import { singleProgramRom, type BundleRom } from "../../../backends/fpga/sched/rom.js";
import { mapLayout, mapsFile } from "../../../backends/fpga/maps.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { hex, objectOf, slotsOf } from "./support.js";
import { expectSameAsInterpreter } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

const HEAD = ["ldxw %r2, [%r1+0]", "ldxw %r3, [%r1+4]"];
const OUT = ["out:", "mov %r0, 1", "exit"];

/** XDP programs without maps: packet loads proven by a check, hoisted above it. */
const PACKET: Record<string, string> = {
  // the EtherType load beside its bounds check; a 13-byte frame takes the check
  "beside-check": [...HEAD, "mov %r4, %r2", "add %r4, 14", "jgt %r4, %r3, out", "ldxh %r0, [%r2+12]", "exit", ...OUT].join("\n"),
  // a check for 5000 bytes (never true here): the hoisted load's address lies past the
  // packet buffer (it wraps in the buffer's address bits); lane 0 would fault there
  "past-the-buffer": [...HEAD, "mov %r4, %r2", "add %r4, 5000", "jgt %r4, %r3, out", "ldxdw %r5, [%r2+4990]", "mov %r0, %r5", "exit", ...OUT].join("\n"),
  // sign-extending loads and a chain of checks, each load hoisted above its own
  "signed-chain": [...HEAD, "mov %r4, %r2", "add %r4, 8", "jgt %r4, %r3, out", "ldxsb %r5, [%r2+1]", "ldxsh %r6, [%r2+2]",
    "mov %r4, %r2", "add %r4, 24", "jgt %r4, %r3, out", "ldxsw %r7, [%r2+20]", "ldxb %r8, [%r2+16]", "jeq %r8, 7, out",
    "mov %r0, %r5", "add %r0, %r6", "add %r0, %r7", "add %r0, %r8", "exit", ...OUT].join("\n"),
};

/** Raw programs: stack loads and stores interleaved on the same addresses, lddw constants. */
const RAW: Record<string, string> = {
  "stack-order": ["stdw [%r10-8], 1", "ldxdw %r1, [%r10-8]", "stdw [%r10-8], 2", "ldxdw %r2, [%r10-8]", "stxdw [%r10-16], %r2",
    "ldxdw %r3, [%r10-16]", "ldxdw %r4, [%r10-8]", "stdw [%r10-8], 5", "ldxw %r5, [%r10-8]", "stw [%r10-20], -3", "ldxsb %r6, [%r10-20]",
    // stores beside loads of other bytes, in one bundle
    "stdw [%r10-32], 11", "stxdw [%r10-40], %r6", "ldxdw %r7, [%r10-32]", "stxdw [%r10-48], %r7", "ldxdw %r8, [%r10-40]", "add %r6, %r7", "add %r6, %r8",
    "mov %r0, %r1", "lsh %r0, 8", "or %r0, %r2", "lsh %r0, 8", "or %r0, %r3", "lsh %r0, 8", "or %r0, %r4", "lsh %r0, 8", "or %r0, %r5", "add %r0, %r6", "exit"].join("\n"),
  "lddw-pairs": ["stdw [%r10-8], 3", "ldxdw %r1, [%r10-8]", "lddw %r2, 0x1122334455667788", "lddw %r3, 0x0123456789abcdef", "jeq %r1, 0, +3",
    "lddw %r4, 0xfedcba9876543210", "xor %r4, %r2", "xor %r4, %r3", "mov %r0, %r4", "exit"].join("\n"),
};

/**
 * An array map's value loaded through lane 1: after a lookup that misses (NULL: the load
 * hoisted above the NULL check reads at address 8, harmlessly), after a store to the value
 * (a bundle later), and beside the update that rewrites it (the old value).
 */
const MAP_PROGRAM = [".map m array key=4 value=16 entries=2",
  "stw [%r10-4], 7", "mov %r2, %r10", "add %r2, -4", "lddw %r1, map(m)", "call 1", "jeq %r0, 0, hit", "ldxdw %r0, [%r0+8]", "exit",
  "hit:", "stw [%r10-4], 1", "mov %r2, %r10", "add %r2, -4", "lddw %r1, map(m)", "call 1", "jeq %r0, 0, out", "mov %r7, %r0",
  "lddw %r3, 0x1122334455667788", "stxdw [%r7+0], %r3", "ldxdw %r8, [%r7+0]",
  "stdw [%r10-24], 9", "stdw [%r10-16], 10", "lddw %r1, map(m)", "mov %r2, %r10", "add %r2, -4", "mov %r3, %r10", "add %r3, -24", "mov %r4, 0",
  "ldxdw %r9, [%r7+0]", "call 2", "ldxdw %r5, [%r7+0]", "ldxw %r6, [%r7+8]",
  "mov %r0, %r9", "add %r0, %r5", "add %r0, %r8", "add %r0, %r6", "exit", ...OUT].join("\n");

const FRAMES: readonly Uint8Array[] = [
  Uint8Array.from({ length: 13 }, (_, i) => i + 1),
  Uint8Array.from({ length: 20 }, (_, i) => (i * 29 + 3) & 0xff),
  Uint8Array.from({ length: 40 }, (_, i) => (i * 7 + 0x80) & 0xff),
  Uint8Array.from({ length: 64 }, (_, i) => (i === 16 ? 7 : 255 - i)),
];

const isLoad = (opcode: number): boolean => (opcode & 7) === 1;
const isJump = (opcode: number): boolean => (opcode & 7) === 5 && (opcode & 0xf0) !== 0x80 && (opcode & 0xf0) !== 0x90;

/** Lane-1 loads of a ROM, and those above a jump that precedes them in the program. */
function laneLoads(rom: BundleRom): { loads: number; hoisted: number; besideCall: number } {
  let loads = 0;
  let hoisted = 0;
  let besideCall = 0;
  const bundles = rom.schedules[0]!.bundles;
  bundles.forEach((b, i) => {
    const l = b[1];
    if (!l || l.origin.length === 0 || !isLoad(l.insn.opcode)) return;
    loads++;
    if (b[0]?.insn.opcode === 0x85) besideCall++;
    const later = bundles.slice(i).flatMap((x) => (x[0] && isJump(x[0].insn.opcode) ? [x[0].origin.at(-1)!] : []));
    if (later.some((j) => j < l.origin[0]!)) hoisted++;
  });
  return { loads, hoisted, besideCall };
}

type Ref = { kind: "done"; r0: bigint; packet: Uint8Array; steps: number } | { kind: "error"; code: string };

function expectSameXdp(name: string, want: Ref, got: EngineResult, exact: boolean): void {
  if (want.kind === "error") throw new Error(`${name}: the reference faults (${want.code}); the test programs do not`);
  // operations hoisted above a taken jump retire too (compare.ts)
  const retired = exact || got.retired < want.steps ? got.retired : want.steps;
  expect({ status: got.status, r0: "0x" + got.r0.toString(16), packet: hex(got.mem), retired }, name)
    .toEqual({ status: "done", r0: "0x" + want.r0.toString(16), packet: hex(want.packet), retired: want.steps });
}

function reference(run: () => { r0: bigint; packet: Uint8Array; steps: number }): Ref {
  try {
    return { kind: "done", ...run() };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return { kind: "error", code: e.diagnostics[0]!.code };
  }
}

for (const lanes of [1, 2, 4]) {
  describe.skipIf(!haveVerilator)(`lane loads and lddw pairs on ${lanes} lane(s)`, () => {
    let model: EngineModel;
    beforeAll(() => {
      model = buildEngineModel({ lanes });
    });

    it("packet loads hoisted above their bounds checks: the interpreter's verdicts on every frame", () => {
      const cases = Object.entries(PACKET).flatMap(([name, asm]) => {
        const slots = slotsOf(asm, `${name}.s`);
        const rom = singleProgramRom(slots, lanes, { fuse: true, xdp: true });
        const l = laneLoads(rom);
        if (lanes > 1) {
          expect(l.loads, name).toBeGreaterThan(0);
          expect(l.hoisted, name).toBeGreaterThan(0);
        } else expect(l.loads, name).toBe(0);
        return FRAMES.map((mem, f) => ({ name: `${name}/${mem.length}b-${f}`, slots, rom, mem, xdp: { ifindex: 1, rxQueue: 0 } }));
      });
      const results = runEngine(model, cases);
      cases.forEach((c, i) => expectSameXdp(c.name, reference(() => runXdp(objectOf(c.slots), c.mem, [], newHostState(), { ingressIfindex: 1, rxQueueIndex: 0 })), results[i]!, lanes === 1));
      // the 13-byte frame takes the first check in every program: the hoisted loads ran and were dropped
      expect(results.filter((r, i) => cases[i]!.name.endsWith("13b-0") && r.r0 === 1n)).toHaveLength(Object.keys(PACKET).length);
    });

    it("stack loads between stores on the same addresses; lddw constants in any lane pair", () => {
      const cases = Object.entries(RAW).map(([name, asm]) => ({ name, slots: slotsOf(asm, `${name}.s`) }));
      const roms = cases.map((c) => singleProgramRom(c.slots, lanes));
      if (lanes > 1) {
        expect(laneLoads(roms[0]!).loads).toBeGreaterThan(0);
        // a store in lane 0 and a load of other bytes in lane 1 of one bundle
        const stores = new Set([0x62, 0x63, 0x6a, 0x6b, 0x72, 0x73, 0x7a, 0x7b]);
        expect(roms[0]!.schedules[0]!.bundles.some((b) => b[0] && stores.has(b[0].insn.opcode) && b[1] && isLoad(b[1].insn.opcode))).toBe(true);
      }
      if (lanes === 4) {
        // an lddw with its low half outside lane 0 (lanes 1+2 or 2+3)
        const words = roms[1]!.layout.slots;
        expect(words.some((s, k) => s.opcode === 0x18 && k % 4 > 0)).toBe(true);
      }
      const results = runEngine(model, cases.map((c, i) => ({ ...c, rom: roms[i]! })));
      cases.forEach((c, i) => expectSameAsInterpreter(c, results[i]!, { lanes }));
    });

    it("map value loads: after a NULL check that is taken, after a store, beside the update that rewrites the value", () => {
      const object = assemble(MAP_PROGRAM, "map-loads.s");
      const slots = object.programs[0]!.slots;
      const rom = singleProgramRom(slots, lanes, { fuse: true, xdp: true, mapValueSizes: object.maps.map((m) => m.valueSize) });
      if (lanes > 1) {
        const l = laneLoads(rom);
        expect(l.loads).toBeGreaterThanOrEqual(3);
        expect(l.hoisted).toBeGreaterThan(0);
      }
      if (lanes === 4) {
        // the map handles' lddw outside lane 0
        expect(rom.layout.slots.some((s, k) => s.opcode === 0x18 && s.src === 1 && k % 4 > 0)).toBe(true);
      }
      const layout = mapLayout(object.maps);
      const cases = FRAMES.map((mem, f) => ({ name: `map-loads/${f}`, slots, rom, mem, xdp: { ifindex: 1, rxQueue: 0, keepState: f > 0 }, ...(f === 0 ? { maps: mapsFile(layout, instantiateMaps(object)) } : {}) }));
      const results = runEngine(model, cases);
      const maps = instantiateMaps(object);
      cases.forEach((c, i) => {
        const want = reference(() => runXdp(object, c.mem, maps, newHostState(), { ingressIfindex: 1, rxQueueIndex: 0 }));
        expectSameXdp(c.name, want, results[i]!, lanes === 1);
      });
      // 2 * 0x1122334455667788 + 9 + 10: the load beside the update saw the old value
      expect(results[0]!.r0).toBe((2n * 0x1122334455667788n + 19n) & ((1n << 64n) - 1n));
    });
  });
}

