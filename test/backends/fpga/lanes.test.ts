// The engine's lane configurations (docs/fpga-engine.md, "Lanes"): LANES = 1 still runs
// the program as it is (the single-lane engine's behaviour: every conformance test with
// the interpreter's r0, memory, retired count and fault index), and also runs the ISA
// extensions in lane 0 alone; the 4-lane engine runs the extensions where the scheduler
// puts them, exit-with-verdict from a subprogram and a fused mul included.
// requires: verilator
import { beforeAll, describe, expect, it } from "vitest";
import { buildEngineModel, runEngine, type EngineCase, type EngineModel } from "../../../backends/fpga/sim.js";
import { singleProgramRom } from "../../../backends/fpga/sched/rom.js";
import { extForm } from "../../../backends/fpga/sched/ext.js";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../../support/conformance.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { loadConformance, slotsOf } from "./support.js";
import { expectSameAsInterpreter } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");


describe.skipIf(!haveVerilator || !haveSuite)("the single-lane configuration (LANES = 1)", () => {
  let model: EngineModel;
  const cases = conformanceFiles("tests").map((file) => {
    const c = parseConformance(file);
    return { name: c.name, slots: loadConformance(c).programs[0]!.slots, mem: c.mem } satisfies EngineCase;
  });
  beforeAll(() => {
    model = buildEngineModel({ lanes: 1 });
  });

  it("runs every conformance test as the program is, one slot a bundle", () => {
    const results = runEngine(model, cases);
    cases.forEach((c, i) => expectSameAsInterpreter(c, results[i]!, { lanes: 1 }));
    const sum = (k: "cycles" | "retired"): number => results.reduce((s, r) => s + r[k], 0);
    console.log(`fpga engine, 1 lane: conformance ${sum("retired")} instructions in ${sum("cycles")} cycles`);
  });

  it("runs every conformance test with the extensions fused in lane 0", () => {
    const fused = cases.map((c) => ({ ...c, rom: singleProgramRom(c.slots, 1, { fuse: true }) }));
    expect(fused.some((c) => c.rom.layout.slots.some((s) => extForm(s)))).toBe(true);
    const results = runEngine(model, fused);
    fused.forEach((c, i) => expectSameAsInterpreter(c, results[i]!, { lanes: 1 }));
  });
});

describe.skipIf(!haveVerilator || !haveSuite)("the 2-lane configuration (LANES = 2)", () => {
  let model: EngineModel;
  beforeAll(() => {
    model = buildEngineModel({ lanes: 2 });
  });

  it("runs every conformance test scheduled onto two lanes, with the extensions", () => {
    // one model build, every case through one testbench process
    const cases = conformanceFiles("tests").map((file) => {
      const c = parseConformance(file);
      return { name: c.name, slots: loadConformance(c).programs[0]!.slots, mem: c.mem } satisfies EngineCase;
    });
    const roms = cases.map((c) => singleProgramRom(c.slots, 2));
    expect(roms.some((r) => r.layout.slots.some((s) => extForm(s)))).toBe(true);
    const results = runEngine(model, cases.map((c, i) => ({ ...c, rom: roms[i]! })));
    cases.forEach((c, i) => expectSameAsInterpreter(c, results[i]!, { lanes: 2 }));
    const sum = (k: "cycles" | "retired"): number => results.reduce((s, r) => s + r[k], 0);
    console.log(`fpga engine, 2 lanes: conformance ${sum("retired")} instructions in ${sum("cycles")} cycles`);
  });
});

describe.skipIf(!haveVerilator)("exits commit their bundle; calls and loads forward (4 lanes)", () => {
  let model: EngineModel;
  beforeAll(() => {
    model = buildEngineModel();
  });

  it("a helper's argument set up the bundle before the call, r0 set beside the exit, a load used at once", () => {
    const programs = [
      // bpf_redirect(5, r2): r2 = r1 - 5 = 0 is computed the bundle before the call, forwarded (a stale r2 = 9 would fail it)
      "mov %r2, 9\nmov %r1, 5\nmov %r2, %r1\nsub %r2, 5\ncall 23\nexit\n",
      // r0 from a chain whose last step shares the exit's bundle; a subprogram's exit too
      "mov %r6, 3\nmov %r1, 4\ncall local f\nmov %r0, %r6\nadd %r0, %r1\nexit\nf:\nmov %r1, 40\nmov %r2, %r1\nadd %r2, 2\nmov %r0, %r2\nexit\n",
      // a load's user in the next bundle: forwarded from the memory stage
      "stdw [%r10-8], 77\nldxdw %r1, [%r10-8]\nadd %r1, 1\nldxdw %r2, [%r10-8]\nmov %r0, %r2\nadd %r0, %r1\nexit\n",
    ];
    const cases = programs.map((p, i) => ({ name: `commit${i}`, slots: slotsOf(p) }));
    const bundles = singleProgramRom(cases[1]!.slots, 4).layout.slots;
    // the subprogram's exit (0x95) in lane 0 of a bundle whose lanes 1..3 hold the mov into r0
    const at = bundles.findIndex((s, i) => s.opcode === 0x95 && bundles.slice(i + 1, i + 4).some((x) => x.opcode !== 0));
    expect(at % 4).toBe(0);
    const results = runEngine(model, cases);
    cases.forEach((c, i) => expectSameAsInterpreter(c, results[i]!));
    expect(results[0]!.r0).toBe(4n);
  });
});

describe.skipIf(!haveVerilator)("the 4-lane engine's extensions", () => {
  let model: EngineModel;
  beforeAll(() => {
    model = buildEngineModel();
  });

  it("exit with a verdict from a subprogram, a fused mul in lane 0, three-operand ops beside it", () => {
    const programs = [
      // the callee returns through exit_imm at depth 1; r6-r9 come back, r0 is the verdict
      "mov %r6, 5\nmov %r1, 7\ncall local f\nmov %r2, %r0\nmul %r2, 3\nmov %r3, %r6\nadd %r3, %r2\nmov %r0, %r3\nexit\nf:\nmov %r6, 99\nmov %r0, 11\nexit\n",
      // mov32 + op32, neg, shifts by a register that is the destination
      "lddw %r1, 0x8000000180000001\nmov32 %r2, %r1\nlsh32 %r2, %r2\nmov %r3, %r1\nneg %r3\nmov %r4, %r1\narsh %r4, 63\nmov %r5, %r1\nrsh %r5, %r5\nmov %r0, %r2\nxor %r0, %r3\nxor %r0, %r4\nxor %r0, %r5\nexit\n",
      // a zero-extended verdict
      "mov %r1, 1\njeq %r1, 1, +2\nmov %r0, 1\nexit\nmov32 %r0, -2\nexit\n",
    ];
    const cases = programs.map((p, i) => ({ name: `ext${i}`, slots: slotsOf(p) }));
    for (const c of cases) expect(singleProgramRom(c.slots, 4).layout.slots.some((s) => extForm(s)), c.name).toBe(true);
    const results = runEngine(model, cases);
    cases.forEach((c, i) => expectSameAsInterpreter(c, results[i]!));
  });
});
