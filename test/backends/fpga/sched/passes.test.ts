// The scheduler's superblock passes one by one: register renaming (sched/rename.ts) and
// tail duplication (sched/taildup.ts). Each program is run by the bundle interpreter
// against the reference interpreter, with the pass and without it; the random programs
// of schedule.test.ts cover both passes together and alone.
import { describe, expect, it } from "vitest";
import type { Insn } from "../../../../ir/bpf/insn.js";
import { DiagnosticError } from "../../../../ir/diag/diag.js";
import { runRaw } from "../../../../runtime/interp/run.js";
import { BundleFault, runBundles } from "../../../../backends/fpga/sched/interp.js";
import { schedule, sourceIndex, type Schedule, type SchedPass } from "../../../../backends/fpga/sched/schedule.js";
import { opsOf } from "../../../../backends/fpga/sched/ops.js";
import { renameRegisters, substituteRegister, nameDependences } from "../../../../backends/fpga/sched/rename.js";
import { TAIL_OPS } from "../../../../backends/fpga/sched/taildup.js";
import { disasmSlot } from "../../../../backends/fpga/sched/ext.js";
import { enginePasses } from "../../../../backends/fpga/backend.js";
import { objectOf, slotsOf } from "../support.js";

const text = (s: Schedule): string[] => s.bundles.map((b) => b.filter(Boolean).map((x) => disasmSlot(x!.insn)).join(" | "));
const sched = (slots: readonly Insn[], passes: readonly SchedPass[]): Schedule => schedule(slots, { lanes: 4, passes });

/** r0 and the retired count of the bundles and the reference, for r1 = each value. */
function same(slots: readonly Insn[], s: Schedule, r1s: readonly bigint[], exact: readonly bigint[] = []): void {
  for (const r1 of r1s) {
    const mem = new Uint8Array(8);
    new DataView(mem.buffer).setBigUint64(0, r1, true);
    // runRaw's r1 points at mem and the bundle interpreter takes r1 itself: the reference loads it first
    const ref = runRaw(objectOf([{ opcode: 0x79, dst: 1, src: 1, off: 0, imm: 0 }, ...slots]), mem);
    const got = runBundles(s, { r1 });
    expect(got.r0, `r1 = ${r1}`).toBe(ref.r0);
    // the reference ran one more instruction (the load of r1)
    if (exact.includes(r1)) expect(got.retired, `r1 = ${r1}`).toBe(ref.steps - 1);
    else expect(got.retired, `r1 = ${r1}`).toBeGreaterThanOrEqual(ref.steps - 1);
  }
}

describe("register renaming (rename.ts)", () => {
  it("gives a value that dies inside the superblock a free register: fewer WAW/WAR pairs, fewer bundles, the same results", () => {
    // r3 holds r1 * 5, then is reused for 7 + 9; renamed, the second value need not wait for the multiply
    const slots = slotsOf("mov %r3, %r1\nmul %r3, 5\nmul %r3, 3\nmov %r4, %r3\nmov %r3, 7\nadd %r3, 9\nmov %r5, %r3\nmov %r3, %r1\nadd %r3, 2\nmov %r0, %r4\nadd %r0, %r5\nadd %r0, %r3\nexit\n");
    const plain = sched(slots, []);
    const renamed = sched(slots, ["rename"]);
    expect(renamed.passStats!.webs).toBeGreaterThanOrEqual(1);
    expect(renamed.passStats!.nameDepsAfter).toBeLessThan(renamed.passStats!.nameDepsBefore);
    expect(renamed.bundles.length).toBeLessThan(plain.bundles.length);
    same(slots, renamed, [0n, 1n, 12345n], [0n, 1n, 12345n]);
  });

  it("keeps the register of a value live where a side exit goes, and renames the next value of it", () => {
    // mov r3, 5 is read at the jump's target: it stays r3; mov r3, 9's value dies at the exit
    const slots = slotsOf("mov %r3, 5\nmov %r4, %r3\njeq %r1, 0, +4\nmov %r3, 9\nmov %r0, %r3\nadd %r0, %r4\nexit\nmov %r0, %r3\nexit\n");
    const s = sched(slots, ["rename"]);
    const slot = (origin: number) => s.bundles.flat().find((x) => x?.origin.includes(origin))!;
    expect(slot(0).insn.dst).toBe(3);
    expect(slot(3).insn.dst).not.toBe(3);
    same(slots, s, [0n, 1n]);
  });

  it("never renames what a helper call reads or an exit reads, nor into r10", () => {
    const ops = opsOf(slotsOf("mov %r1, 7\nmov %r6, %r1\nmov %r1, 8\nmov %r0, 5\nmov %r7, %r0\nmov %r0, 1\ncall 6\n"));
    const out = renameRegisters(ops, { liveAtTarget: () => 0, liveOut: (1 << 0) | (1 << 6) | (1 << 7) });
    const dst = out.ops.map((o) => o.insn.dst);
    // mov r1, 7 and mov r0, 5 (their values die at the next definition) move; the call's argument r1 stays
    expect(dst[0]).not.toBe(1);
    expect(dst[2]).toBe(1);
    expect(dst[3]).not.toBe(0);
    expect(dst.includes(10)).toBe(false);
    expect(nameDependences(out.ops)).toBeLessThan(nameDependences(ops));
    const exit = opsOf(slotsOf("mov %r0, 2\nexit\n"));
    expect(renameRegisters(exit, { liveAtTarget: () => 0, liveOut: 1 }).webs).toBe(0);
    // cmpxchg reads and writes r0 implicitly: no register but r0 will do
    const [cmpxchg] = opsOf(slotsOf("lock cmpxchg [%r1+0], %r2\n"));
    expect(substituteRegister(cmpxchg!, 0, 3)).toBeUndefined();
    expect(substituteRegister(cmpxchg!, 2, 3)?.insn.src).toBe(3);
  });
});

describe("tail duplication (taildup.ts)", () => {
  // two ways into one small exit tail, both by `ja`
  const JA = "jeq %r1, 0, +2\nmov %r0, 1\nja +2\nmov %r0, 2\nja +0\nadd %r0, 10\nexit\n";

  it("copies a small exit tail in place of a ja: no jump left, fewer bundles run, the retired count the interpreter's", () => {
    const slots = slotsOf(JA);
    const plain = sched(slots, []);
    const s = sched(slots, ["tail_dup"]);
    expect(s.passStats!.copied).toBe(2);
    expect(text(s).some((b) => b.includes("ja"))).toBe(false);
    expect(text(plain).some((b) => b.includes("ja"))).toBe(true);
    expect(text(s).filter((b) => b.includes("exit"))).toHaveLength(2);
    // the fall-through path: jeq, ja, add + exit before; jeq + mov + the ja's stand-in, add + exit now
    expect(runBundles(s, { r1: 1n }).bundles).toBeLessThan(runBundles(plain, { r1: 1n }).bundles);
    // r1 != 0 falls through: exactly the reference's count (a mov64 R, R stands for the ja)
    same(slots, s, [0n, 1n], [1n]);
    expect(text(s).some((b) => /mov %r(\d), %r\1/.test(b))).toBe(true);
  });

  it("copies a tail that a conditional jump falls into and jumps also reach; the original stays for the jumps", () => {
    const slots = slotsOf("mov %r0, 3\njeq %r1, 0, +2\nmov %r0, 4\njeq %r1, 7, +0\nadd %r0, 1\nexit\n");
    const s = sched(slots, ["tail_dup"]);
    expect(s.passStats!.copied).toBe(1);
    expect(text(s).filter((b) => b.includes("exit"))).toHaveLength(2);
    same(slots, s, [0n, 7n, 9n], [9n]);
  });

  it("copies a tail behind a backward ja (vlan's shared exit) and follows a tail's fall into the next", () => {
    const slots = slotsOf("ja +3\nmov %r0, %r6\nadd %r0, 1\nexit\nmov %r6, 5\njeq %r1, 0, -5\nmov %r6, 8\nja -7\n");
    const s = sched(slots, ["tail_dup"]);
    expect(s.passStats!.copied).toBe(1);
    same(slots, s, [0n, 1n], [1n]);
    // counter's shape: the tail falls into the shared exit block
    const fall = slotsOf("jeq %r1, 0, +2\nmov %r0, 5\nja +1\nexit\nadd %r0, 2\nmov %r0, 9\nexit\n");
    const f = sched(fall, ["tail_dup"]);
    expect(f.passStats!.copied).toBeGreaterThanOrEqual(1);
    same(fall, f, [0n, 1n], [1n]);
  });

  it(`leaves a tail of more than ${TAIL_OPS} operations where it is`, () => {
    const body = Array.from({ length: TAIL_OPS }, (_, k) => `add %r0, ${k + 1}`).join("\n");
    const slots = slotsOf(`jeq %r1, 0, +2\nmov %r0, 1\nja +1\nmov %r0, 2\n${body}\nexit\n`);
    const s = sched(slots, ["tail_dup"]);
    expect(s.passStats!.copied).toBe(0);
    expect(text(s).some((b) => b.includes("ja"))).toBe(true);
    same(slots, s, [0n, 1n], [1n]);
  });

  it("drops the blocks nothing reaches, unless a callx may go anywhere", () => {
    const dead = "mov %r0, 1\nja +3\nmov %r0, 5\nadd %r0, 2\nexit\nadd %r0, 1\nexit\n";
    const exits = (asm: string): number => text(sched(slotsOf(asm), ["tail_dup"])).filter((b) => b.includes("exit")).length;
    expect(exits(dead)).toBe(1);
    expect(exits(`jeq %r1, 0, +1\ncallx %r2\n${dead}`)).toBe(3);
  });

  it("a fault in a copy names the original instruction", () => {
    // the tail loads through r2 = 0: the interpreter faults at slot 4
    const slots = slotsOf("mov %r2, 0\njeq %r1, 0, +1\nja +1\nmov %r0, 2\nldxdw %r0, [%r2+0]\nexit\n");
    const s = sched(slots, ["tail_dup"]);
    expect(s.passStats!.copied).toBe(1);
    let want: number | undefined;
    try {
      runRaw(objectOf(slots), undefined);
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      want = e.diagnostics[0]!.loc.insn;
    }
    expect(want).toBe(4);
    for (const r1 of [0n, 1n]) {
      let got: number | undefined;
      try {
        runBundles(s, { r1 });
      } catch (e) {
        if (!(e instanceof BundleFault)) throw e;
        got = sourceIndex(s, e.bundle);
      }
      expect(got, `r1 = ${r1}`).toBe(4);
    }
  });
});

describe("BPFOFF_FPGA_PASSES", () => {
  it("picks the passes for measurements, and names a pass it does not know", () => {
    const was = process.env["BPFOFF_FPGA_PASSES"];
    try {
      delete process.env["BPFOFF_FPGA_PASSES"];
      expect(enginePasses()).toBeUndefined();
      process.env["BPFOFF_FPGA_PASSES"] = "none";
      expect(enginePasses()).toEqual([]);
      process.env["BPFOFF_FPGA_PASSES"] = "tail_dup,rename";
      expect(enginePasses()).toEqual(["tail_dup", "rename"]);
      process.env["BPFOFF_FPGA_PASSES"] = "rename,unroll";
      expect(() => enginePasses()).toThrow(/BPFOFF_FPGA_PASSES=rename,unroll: unroll is not one of rename, tail_dup/);
    } finally {
      if (was === undefined) delete process.env["BPFOFF_FPGA_PASSES"];
      else process.env["BPFOFF_FPGA_PASSES"] = was;
    }
  });
});
