// The scheduling compiler without Verilator: random straight-line and branchy programs,
// scheduled onto 1..4 lanes (with the fusions), run by the bundle interpreter, must give
// the reference interpreter's r0 and retire as many BPF instructions as it steps; and
// every bundle keeps the invariants the engine relies on (schedule.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formOf, insn, lddwSlots, type Insn } from "../../../../ir/bpf/insn.js";
import { folds, item, program, tails } from "./programs.js";
import { runRaw } from "../../../../runtime/interp/run.js";
import { runBundles } from "../../../../backends/fpga/sched/interp.js";
import { SCHED_PASSES, schedule, scheduleFigures, sourceIndex, type SchedPass, type Schedule } from "../../../../backends/fpga/sched/schedule.js";
import { LANE_UNITS, opInfo } from "../../../../backends/fpga/sched/ops.js";
import { disasmSlot, extForm } from "../../../../backends/fpga/sched/ext.js";
import { objectOf, slotsOf } from "../support.js";

/** The engine's rules inside every bundle. */
function checkInvariants(s: Schedule): void {
  // program order inside a bundle: the slot's place in its superblock (a copied tail may
  // come from earlier slots than what it follows), else its origin
  const before = (k: number, x: number, y: number): boolean => {
    const o = s.order?.[k];
    return o ? o[x]! < o[y]! : s.bundles[k]![x]!.origin[0]! < s.bundles[k]![y]!.origin[0]!;
  };
  for (const [k, b] of s.bundles.entries()) {
    const written = new Set<number>();
    const read = new Set<number>();
    let lane0Ops = 0;
    b.forEach((slot, lane) => {
      if (!slot || slot.origin.length === 0) return;
      const info = opInfo({ insn: slot.insn, origin: slot.origin });
      for (const r of info.writes) {
        expect(written.has(r), `WAW on r${r}`).toBe(false);
        written.add(r);
      }
      for (const r of info.reads) read.add(r);
      // outside lane 0 only what LANE_UNITS gives that lane: a load (lane 1's read port)
      // looks like a lane-0 operation to opInfo without its proof
      const load = info.memory && info.writes.length > 0 && !info.terminator && formOf(slot.insn)?.shape !== "atomic";
      if (lane > 0) expect(LANE_UNITS[lane]!.includes(load ? "load" : info.unit === "lane0" && info.width === 2 && slot.insn.src <= 1 ? "lddw" : info.unit), `lane ${lane}: ${disasmSlot(slot.insn)}`).toBe(true);
      if (info.lane0 && lane === 0) lane0Ops++;
      // (a lane-1 load beside a store of the same bytes: runBundles refuses it)
      if (info.terminator === "alone") expect(b.filter((x) => x && x.origin.length)).toHaveLength(1);
      if (info.terminator === "commit") {
        // the bundle's other slots precede an exit, and none writes what an exit restores
        const mates = b.filter((x) => x && x !== slot && x.origin.length);
        b.forEach((x, l) => {
          if (x && x !== slot && x.origin.length) expect(before(k, l, lane), "a slot beside an exit follows it").toBe(true);
        });
        const mateWrites = mates.flatMap((m) => opInfo({ insn: m!.insn, origin: m!.origin }).writes);
        for (const r of info.notBeside ?? []) expect(mateWrites.includes(r), `r${r} written beside an exit`).toBe(false);
      }
    });
    // RAW inside a bundle: a slot reading what a slot before it in program order writes
    // (WAR is free: every slot reads the registers as they were at the bundle's start);
    // an exit ("commit") reads r0 after its bundle's writes
    b.forEach((slot, lane) => {
      if (!slot || slot.origin.length === 0) return;
      const info = opInfo({ insn: slot.insn, origin: slot.origin });
      if (info.terminator === "commit") return;
      const others = b.filter((x, l) => x && x.origin.length && before(k, l, lane)).flatMap((x) => opInfo({ insn: x!.insn, origin: x!.origin }).writes);
      for (const r of info.reads) expect(others.includes(r), `RAW on r${r}`).toBe(false);
    });
    expect(lane0Ops).toBeLessThanOrEqual(1);
  }
}

function check(slots: readonly Insn[], lanes: number, straight: boolean, passes?: readonly SchedPass[]): Schedule {
  const ref = runRaw(objectOf(slots), undefined);
  const s = schedule(slots, { lanes, fuse: true, ...(passes ? { passes } : {}) });
  checkInvariants(s);
  const got = runBundles(s);
  expect(got.r0).toBe(ref.r0);
  // An operation hoisted above a jump that is then taken retires too (its result dead):
  // exactly the reference's count without jumps, at least it with them.
  if (straight || lanes === 1) expect(got.retired).toBe(ref.steps);
  else expect(got.retired).toBeGreaterThanOrEqual(ref.steps);
  return s;
}

describe("fpga scheduler", () => {
  it("straight-line programs: the bundles equal the interpreter on 1..4 lanes", () => {
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (items, lanes) => {
      check(program(items, true), lanes, true);
    }), { numRuns: 300 });
  });

  it("branchy programs: the bundles equal the interpreter on 1..4 lanes", () => {
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), tails, folds, (items, lanes, t, fold) => {
      check(program(items, false, t, fold), lanes, false);
    }), { numRuns: 300 });
  });

  it("branchy programs, each superblock pass alone: the bundles equal the interpreter on 2..4 lanes", () => {
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 4 }), tails, folds, fc.constantFrom(...SCHED_PASSES), (items, lanes, t, fold, pass) => {
      check(program(items, false, t, fold), lanes, false, [pass]);
    }), { numRuns: 200 });
  });

  it("the generated programs do rename and duplicate tails", () => {
    const total = { renamed: 0, copied: 0, programs: 0 };
    fc.assert(fc.property(fc.array(item, { minLength: 10, maxLength: 40 }), tails, folds, (items, t, fold) => {
      const st = schedule(program(items, false, t, fold), { lanes: 4 }).passStats!;
      if (st.webs > 0) total.renamed++;
      if (st.copied > 0) total.copied++;
      total.programs++;
    }), { numRuns: 100, seed: 4 });
    console.log(`scheduler property programs: ${total.renamed} of ${total.programs} rename, ${total.copied} copy a tail`);
    expect(total.renamed).toBeGreaterThan(total.programs / 3);
    expect(total.copied).toBeGreaterThan(total.programs / 3);
  });

  it("fuses mov+op into three-operand slots and mov r0+exit into exit-with-verdict", () => {
    const slots = slotsOf("mov %r2, %r1\nadd %r2, 5\nmov32 %r3, %r1\nlsh32 %r3, %r3\nmov %r0, 2\nexit\n");
    const s = schedule(slots, { lanes: 4 });
    const text = s.bundles.map((b) => b.filter(Boolean).map((x) => disasmSlot(x!.insn)).join(" | "));
    expect(text).toEqual(["exit 2 | add %r2, %r1, 5 | lsh32 %r3, %r1, %r1"]);
    expect(s.bundles.flat().filter((x) => x && extForm(x.insn))).toHaveLength(3);
    // mov32 then a 64-bit op is not fused: mov32 zero-extends first
    const kept = schedule(slotsOf("mov32 %r2, %r1\nadd %r2, 5\nmov %r0, %r2\nexit\n"), { lanes: 4 });
    expect(kept.bundles.flat().filter((x) => x && extForm(x.insn))).toHaveLength(0);
  });

  it("packs independent operations, keeps a jump last and re-targets it to bundles", () => {
    const slots = slotsOf("mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\njeq %r5, 0, +2\nmov %r0, %r1\nexit\nmov %r0, %r2\nexit\n");
    const s = schedule(slots, { lanes: 4 });
    expect(scheduleFigures(s)).toEqual({ bundles: 4, slots: 16, filled: 9, instructions: 9 });
    // the jump in lane 0 with three movs, the fourth before it, and the fall-through's
    // mov r0 hoisted beside the jump (r0 is dead where it goes); the target bundle 3
    expect(s.bundles[1]![0]!.insn.opcode).toBe(0x15);
    expect(s.bundles[1]!.filter(Boolean).map((x) => disasmSlot(x!.insn))).toContain("mov %r0, %r1");
    expect(1 + 1 + s.bundles[1]![0]!.insn.off).toBe(3);
    expect(sourceIndex(s, 1)).toBe(4);
    expect(sourceIndex(s, 4)).toBe(9);
  });

  it("hoists above a jump only what is dead where the jump goes: ALU ops and proven loads (lane 1), never a store", () => {
    // r3 is read at the target: mov r3 waits for the jump; r2 is dead there: it moves up;
    // so does the stack load into r4 (in bounds, dead there), in lane 1; the store stays below
    // (renaming off: it would give mov r3's value a register dead at the target, passes.test.ts)
    const s = schedule(slotsOf("mov %r1, 1\njeq %r1, 0, +5\nmov %r2, 7\nmov %r3, 8\nldxdw %r4, [%r10-8]\nstxdw [%r10-16], %r4\nadd %r3, %r2\nmov %r0, %r3\nexit\n"), { lanes: 4, passes: [] });
    const jump = s.bundles.findIndex((b) => b[0]?.insn.opcode === 0x15);
    const at = (text: string) => s.bundles.findIndex((b) => b.some((x) => x && disasmSlot(x.insn) === text));
    expect(at("mov %r2, 7")).toBeLessThanOrEqual(jump);
    expect(at("mov %r3, 8")).toBeGreaterThan(jump);
    const load = s.bundles.findIndex((b) => b[1]?.insn.opcode === 0x79);
    expect(load).toBeGreaterThanOrEqual(0);
    expect(load).toBeLessThanOrEqual(jump);
    expect(s.bundles.findIndex((b) => b.some((x) => x && x.insn.opcode === 0x7b))).toBeGreaterThan(jump);
    // a load stays out of the bundle of a store of the same bytes: after the store before
    // it, before the store after it; beside a store of other bytes it may share the bundle
    const t = schedule(slotsOf("stxdw [%r10-8], %r1\nldxdw %r2, [%r10-4]\nstxw [%r10-4], %r3\nmov %r0, %r2\nexit\n"), { lanes: 4 });
    const where = (s: Schedule, op: number, off: number) => s.bundles.findIndex((b) => b.some((x) => x && x.insn.opcode === op && x.insn.off === off));
    expect(where(t, 0x79, -4)).toBe(where(t, 0x7b, -8) + 1);
    expect(where(t, 0x63, -4)).toBe(where(t, 0x79, -4) + 1);
    const d = check(slotsOf("stdw [%r10-16], 5\nstxdw [%r10-8], %r1\nldxdw %r2, [%r10-16]\nstxdw [%r10-24], %r3\nmov %r0, %r2\nexit\n"), 4, true);
    expect(where(d, 0x79, -16)).toBe(where(d, 0x7b, -8));
    // a load not proven (through r1) stays in lane 0, in program order, below the jump
    const u = schedule(slotsOf("jeq %r2, 0, +2\nldxdw %r4, [%r1+0]\nmov %r0, %r4\nexit\n"), { lanes: 4 });
    expect(u.bundles.findIndex((b) => b[0]?.insn.opcode === 0x79)).toBeGreaterThan(0);
  });

  it("lddw of a constant takes any lane pair, lanes 0+1 stay free for a jump and a load", () => {
    const slots = [...slotsOf("ldxdw %r3, [%r10-8]\n"), ...lddwSlots(4, 0x1234_5678_9abc_def0n), ...slotsOf("jeq %r1, 0, +1\nmov %r0, %r4\nexit\n")];
    const s = check(slots, 4, false);
    const b = s.bundles[0]!;
    expect(b[0]?.insn.opcode).toBe(0x15);
    expect(b[1]?.insn.opcode).toBe(0x79);
    expect(b[2]?.insn.opcode).toBe(0x18);
    expect(b[3]?.origin).toEqual([]);
  });

  it("a hoisted operation runs on the taken path too, harmlessly: its register is rewritten there", () => {
    const slots = slotsOf("mov %r1, 1\njeq %r1, 1, +3\nmov %r2, 7\nmov %r0, %r2\nexit\nmov %r2, 9\nmov %r0, %r2\nexit\n");
    const s = check(slots, 4, false);
    const jump = s.bundles.findIndex((b) => b[0]?.insn.opcode === 0x15);
    expect(s.bundles.findIndex((b) => b.some((x) => x && disasmSlot(x.insn) === "mov %r2, 7"))).toBeLessThanOrEqual(jump);
    const run = runBundles(s);
    expect(run.r0).toBe(9n);
    // mov r2, 7 and mov r0, r2 both hoisted (r0 and r2 are written at the target before any read)
    expect(run.retired).toBe(runRaw(objectOf(slots), undefined).steps + 2);
  });

  it("propagates 64-bit copies: a jump on the copy shares the copy's bundle; mov32 is not a copy", () => {
    const s = schedule(slotsOf("mov %r0, 5\nmov %r1, %r0\njne %r1, 0, +1\nexit\nmov %r0, %r1\nexit\n"), { lanes: 4 });
    expect(s.bundles[1]!.filter(Boolean).map((x) => disasmSlot(x!.insn))).toEqual(["jne %r0, 0, +1", "mov %r1, %r0"]);
    const z = schedule(slotsOf("mov %r0, 5\nmov32 %r1, %r0\njne %r1, 0, +1\nexit\nmov %r0, %r1\nexit\n"), { lanes: 4 });
    expect(z.bundles[2]!.filter(Boolean).map((x) => disasmSlot(x!.insn))).toEqual(["jne %r1, 0, +1"]);
  });

  it("an exit shares its bundle with what sets r0; a helper call with independent slots, not its arguments' set-up; a tail call stays alone", () => {
    const text = (s: Schedule) => s.bundles.map((b) => b.filter(Boolean).map((x) => disasmSlot(x!.insn)).join(" | "));
    // mov r0, r1 and exit in one bundle: the exit reads r0 after the bundle's writes
    const e = check(slotsOf("mov %r1, 7\nadd %r1, 3\nmov %r0, %r1\nexit\n"), 4, true);
    expect(text(e).at(-1)).toBe("exit | mov %r0, %r1");
    // nothing beside an exit writes r6-r9 (a subprogram's exit restores them)
    const r6 = schedule(slotsOf("mov %r1, 7\nmov %r6, 3\nmov %r0, %r1\nexit\n"), { lanes: 4 });
    expect(text(r6).at(-1)!.includes("r6")).toBe(false);
    // the call reads r1-r5 as its bundle starts: r2's last step a bundle before it, r6's beside it
    const c = schedule(slotsOf("mov %r1, %r10\nadd %r1, -8\nmov %r6, %r1\nadd %r6, 1\nmov %r2, %r1\nadd %r2, 4\ncall 5\nexit\n"), { lanes: 4 });
    expect(text(c)).toEqual(["add %r1, %r10, -8", "add %r6, %r1, 1 | add %r2, %r1, 4", "call 5", "exit"]);
    // a tail call leaves the program: alone
    const t = schedule(slotsOf("mov %r3, 0\ncall 12\nmov %r0, 2\nexit\n"), { lanes: 4 });
    expect(text(t)).toContain("call 12");
  });

  it("a single lane without fusions is the program itself", () => {
    const slots = slotsOf("lddw %r1, 0x100000000\nadd %r1, 1\nmov %r0, %r1\nexit\n");
    const s = schedule(slots, { lanes: 1 });
    expect(s.bundles.map((b) => b[0]!.insn)).toEqual(slots);
  });

  it("refuses a branch into the second slot of an lddw", () => {
    const slots = [insn(0x05, 0, 0, 1), ...lddwSlots(0, 5n), insn(0x95)];
    expect(() => schedule(slots, { lanes: 4 })).toThrow(/second slot of an lddw/);
  });
});
