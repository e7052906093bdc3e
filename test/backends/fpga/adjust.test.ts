// xdp_adjust_head (44), xdp_adjust_meta (54) and xdp_adjust_tail (65) on the Verilog BPF
// engine against the reference interpreter's runXdp: return codes, the window
// (data_meta/data/data_end as the program reads them back), the bytes it exposes
// (zeroed headroom and tail growth, metadata moved with data), the frame after the run,
// retired = steps, and faults at the interpreter's instruction for accesses outside the
// new bounds. Generated cases: random sequences of adjusts with random deltas over random
// frame sizes, run in one batch without resets, so that every case's headroom starts with
// the bytes the case before left there. requires: verilator
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { buildEngineModel, ENGINE_ERRORS, runEngine, type EngineCase, type EngineModel, type EngineResult } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { runXdp } from "../../../runtime/interp/run.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { hex } from "./support.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

let model: EngineModel;
beforeAll(() => {
  if (haveVerilator) model = buildEngineModel();
});

const IFINDEX = 2;

type Ref =
  | { readonly kind: "done"; readonly r0: bigint; readonly packet: Uint8Array; readonly steps: number }
  | { readonly kind: "error"; readonly code: string; readonly insn: number | undefined };

function reference(object: BpfObject, frame: Uint8Array): Ref {
  try {
    const r = runXdp(object, frame, [], newHostState(), { ingressIfindex: IFINDEX, rxQueueIndex: 0 });
    return { kind: "done", r0: r.r0, packet: r.packet, steps: r.steps };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const d = e.diagnostics[0]!;
    return { kind: "error", code: d.code, insn: d.loc.insn };
  }
}

function expectSame(want: Ref, got: EngineResult, what: string): void {
  if (want.kind === "error") {
    const diag = ENGINE_ERRORS[got.errCode]?.diags.includes(want.code) ? want.code : `engine error ${got.errCode}`;
    expect({ status: got.status, diag, pc: got.faultPc }, what).toEqual({ status: "error", diag: want.code, pc: want.insn });
    return;
  }
  // a load or ALU op hoisted above a jump that is taken retires too (compare.ts): at least the steps
  const retired = got.retired < want.steps ? got.retired : want.steps;
  expect({ status: got.status, r0: "0x" + got.r0.toString(16), packet: hex(got.mem), retired }, what)
    .toEqual({ status: "done", r0: "0x" + want.r0.toString(16), packet: hex(want.packet), retired: want.steps });
}

const HELPER = { head: 44, meta: 54, tail: 65 } as const;
type Op = { readonly helper: keyof typeof HELPER; readonly delta: number };

/**
 * A program that applies the adjusts in order (r9 = ctx) and after each folds into r6:
 * the return code, the new lengths of frame and metadata, the first byte of the
 * metadata, the first and last bytes of the frame (exposed headroom, grown tail); then
 * writes a marker at data and a word at data_meta, so that the next adjust moves or
 * exposes written bytes. Every access is checked against the pointers read back.
 */
function adjustProgram(ops: readonly Op[]): string {
  const lines = ["mov %r9, %r1", "mov %r6, 0"];
  ops.forEach((op, i) => {
    const m = (i * 37 + 11) & 0xff;
    lines.push(
      "mov %r1, %r9", `mov %r2, ${op.delta}`, `call ${HELPER[op.helper]}`,
      "lsh %r6, 3", "xor %r6, %r0",
      "ldxw %r2, [%r9+0]", "ldxw %r3, [%r9+4]", "ldxw %r4, [%r9+8]",
      "mov %r5, %r3", "sub %r5, %r2", "add %r6, %r5",
      "mov %r5, %r2", "sub %r5, %r4", "lsh %r5, 16", "add %r6, %r5",
      "mov %r5, %r4", "add %r5, 1", `jgt %r5, %r2, nometa${i}`,
      "ldxb %r5, [%r4+0]", "xor %r6, %r5",
      "mov %r5, %r4", "add %r5, 4", `jgt %r5, %r2, nometa${i}`,
      `stw [%r4+0], ${0x5a000000 + m}`,
      `nometa${i}:`,
      "mov %r5, %r2", "add %r5, 1", `jgt %r5, %r3, next${i}`,
      "ldxb %r5, [%r2+0]", "lsh %r5, 8", "xor %r6, %r5",
      "ldxb %r5, [%r3-1]", "lsh %r5, 24", "xor %r6, %r5",
      `stb [%r2+0], ${m}`,
      `next${i}:`,
    );
  });
  lines.push("mov %r0, %r6", "exit");
  return lines.join("\n");
}

const frameOf = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 29 + seed * 7 + 1) & 0xff);

const delta = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -64, max: 64 }) },
  { weight: 3, arbitrary: fc.integer({ min: -300, max: 300 }) },
  { weight: 2, arbitrary: fc.integer({ min: -12, max: 12 }).map((k) => k * 4) },
  { weight: 1, arbitrary: fc.integer({ min: -4000, max: 4000 }) },
  { weight: 1, arbitrary: fc.constantFrom(-0x80000000, 0x7fffffff, -216, -217, 256, 257, -1, 0, 4, -4, -32, -36) },
);
const op: fc.Arbitrary<Op> = fc.record({ helper: fc.constantFrom("head", "meta", "tail" as const), delta });
const frameLen = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 3300, max: 3584 }) },
);
const adjustCase = fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 6 }), len: frameLen, seed: fc.integer({ min: 0, max: 255 }) });

/** Directed cases: every failing check and its boundary, and faults after the window moved. */
const DIRECTED: Record<string, { asm: string; lens: number[] }> = {
  // adjust_head: data may go down to 40 bytes above the buffer's start and up to end - 14
  "head-bounds": { asm: adjustProgram([{ helper: "head", delta: -216 }, { helper: "head", delta: -1 }, { helper: "head", delta: 216 }]), lens: [14, 60] },
  "head-up-to-eth": { asm: adjustProgram([{ helper: "head", delta: 46 }, { helper: "head", delta: 1 }, { helper: "head", delta: -46 }]), lens: [60, 61] },
  // metadata: a multiple of 4, at most 32 bytes, moves with adjust_head
  "meta-bounds": { asm: adjustProgram([{ helper: "meta", delta: -36 }, { helper: "meta", delta: -2 }, { helper: "meta", delta: 4 }, { helper: "meta", delta: -32 }, { helper: "meta", delta: 8 }]), lens: [20] },
  "meta-moves-with-head": { asm: adjustProgram([{ helper: "meta", delta: -12 }, { helper: "head", delta: -20 }, { helper: "head", delta: 6 }, { helper: "head", delta: 30 }, { helper: "meta", delta: 12 }]), lens: [64] },
  "meta-then-head-to-the-floor": { asm: adjustProgram([{ helper: "meta", delta: -32 }, { helper: "head", delta: -184 }, { helper: "head", delta: -1 }]), lens: [30] },
  // adjust_tail: grown bytes are zero; the end stays within 256 bytes behind the original frame and 14 after data
  "tail-bounds": { asm: adjustProgram([{ helper: "tail", delta: 256 }, { helper: "tail", delta: 1 }, { helper: "tail", delta: -300 }, { helper: "tail", delta: -256 }]), lens: [14, 100] },
  "tail-shrink-grow-zeroes": { asm: adjustProgram([{ helper: "tail", delta: -40 }, { helper: "tail", delta: 37 }, { helper: "tail", delta: 5 }]), lens: [64, 77] },
  "tail-huge": { asm: adjustProgram([{ helper: "tail", delta: -0x80000000 }, { helper: "tail", delta: 0x7fffffff }]), lens: [64] },
  // the old packet pointers are outside the new window: the interpreter's fault
  "stale-pointer-after-head-faults": { asm: "ldxw %r6, [%r1+0]\nmov %r2, 14\ncall 44\nldxb %r0, [%r6+0]\nexit", lens: [60] },
  "stale-end-after-tail-faults": { asm: "ldxw %r6, [%r1+4]\nmov %r2, -4\ncall 65\nldxb %r0, [%r6-1]\nexit", lens: [60] },
  "read-exposed-headroom": { asm: "mov %r2, -20\ncall 44\nldxw %r2, [%r1+0]\nldxdw %r0, [%r2+0]\nldxdw %r3, [%r2+12]\nadd %r0, %r3\nexit", lens: [60] },
  "tail-read-past-new-end-faults": { asm: "mov %r9, %r1\nmov %r2, -10\ncall 65\nldxw %r2, [%r9+0]\nldxb %r0, [%r2+50]\nexit", lens: [60] },
  "raw-registers-after-failure": { asm: "mov %r9, %r1\nmov %r2, 10000\ncall 44\nmov %r6, %r0\nldxw %r2, [%r9+0]\nldxw %r3, [%r9+4]\nsub %r3, %r2\nmov %r0, %r3\nadd %r0, %r6\nexit", lens: [60] },
};

/** Frames dirty the buffer (headroom included) so that later cases see stale bytes. */
const DIRTY = assemble("mov %r9, %r1\nmov %r2, -216\ncall 44\nmov %r2, -32\nmov %r1, %r9\ncall 54\nldxw %r2, [%r9+8]\nldxw %r3, [%r9+4]\nmov %r4, %r2\nadd %r4, 8\nloop:\njgt %r4, %r3, out\nstdw [%r4-8], -1\nadd %r4, 8\nadd %r2, 8\nja loop\nout:\nmov %r0, 2\nexit", "dirty.s");

describe.skipIf(!haveVerilator)("xdp_adjust_head/meta/tail on the FPGA engine match runXdp", () => {
  it("directed cases, each after a run that fills the headroom with 0xff", () => {
    const cases = Object.entries(DIRECTED).flatMap(([name, { asm, lens }]) => lens.map((len) => ({ name: `${name}/${len}`, object: assemble(asm, `${name}.s`), frame: frameOf(len, len) })));
    const engineCases: EngineCase[] = cases.flatMap((c, i) => [
      { name: `dirty${i}`, slots: DIRTY.programs[0]!.slots, mem: new Uint8Array(300).fill(0xee), xdp: { ifindex: IFINDEX, keepState: i > 0 } },
      { name: c.name, slots: c.object.programs[0]!.slots, mem: c.frame, xdp: { ifindex: IFINDEX, keepState: true, stream: i % 2 === 1 } },
    ]);
    const results = runEngine(model, engineCases);
    cases.forEach((c, i) => {
      expect(results[2 * i]!.status).toBe("done");
      expectSame(reference(c.object, c.frame), results[2 * i + 1]!, c.name);
    });
    // the directed cases exercise both outcomes and both kinds of fault
    expect(results.filter((r) => r.status === "error").length).toBeGreaterThanOrEqual(3);
  });

  it("random adjusts with random deltas over random frame sizes (one batch, no resets)", () => {
    const samples = fc.sample(adjustCase, { numRuns: 150, seed: 20261125 });
    const cases = samples.map((s, i) => ({ name: `gen${i}`, object: assemble(adjustProgram(s.ops), `gen${i}.s`), frame: frameOf(s.len, s.seed) }));
    const results = runEngine(model, cases.map((c, i) => ({ name: c.name, slots: c.object.programs[0]!.slots, mem: c.frame, xdp: { ifindex: IFINDEX, keepState: i > 0, stream: i % 3 === 0 } })));
    let succeeded = 0;
    cases.forEach((c, i) => {
      const want = reference(c.object, c.frame);
      expectSame(want, results[i]!, `${c.name}: ${JSON.stringify(samples[i])}`);
      if (want.kind === "done") succeeded++;
    });
    expect(succeeded).toBe(cases.length);
  });

  it("a popped VLAN tag costs one call: adjust_head without metadata moves only the pointers", () => {
    const object = assemble("mov %r2, 4\ncall 44\nexit", "pop.s");
    const [r] = runEngine(model, [{ name: "pop", slots: object.programs[0]!.slots, mem: frameOf(64, 1), xdp: { ifindex: IFINDEX } }]);
    expectSame(reference(object, frameOf(64, 1)), r!, "pop");
    // mov, call (drain + one cycle), exit: as a helper-unit call
    expect(r!.cycles).toBeLessThanOrEqual(8);
  });
});
