// The scheduler's superblock passes (renaming, tail duplication) on the engine itself:
// the random branchy programs of programs.ts, built for the 2- and 4-lane engines as
// `bpfoff run --target fpga` builds them (every pass on), run in Verilator against the
// reference interpreter (r0, memory, retired count at least the interpreter's: hoisted
// operations retire on the taken path too).
// requires: verilator
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { buildEngineModel, runEngine, type EngineCase, type EngineModel } from "../../../../backends/fpga/sim.js";
import { singleProgramRom } from "../../../../backends/fpga/sched/rom.js";
import { hasTool, requireOrSkip } from "../../../support/requires.js";
import { expectSameAsInterpreter } from "../compare.js";
import { folds, item, program, tails } from "./programs.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

for (const lanes of [2, 4]) {
  describe.skipIf(!haveVerilator)(`renamed registers and copied tails on ${lanes} lanes`, () => {
    let model: EngineModel;
    beforeAll(() => {
      model = buildEngineModel({ lanes });
    });

    it("random branchy programs with reused registers and shared tails match the interpreter", () => {
      const programs = fc.sample(fc.tuple(fc.array(item, { minLength: 5, maxLength: 40 }), tails, folds), { numRuns: 150, seed: 44 + lanes });
      const cases: EngineCase[] = programs.map(([items, t, fold], k) => ({ name: `p${k}`, slots: program(items, false, t, fold) }));
      // the passes did happen in these programs
      const stats = cases.map((c) => singleProgramRom(c.slots, lanes).schedules[0]!.passStats!);
      expect(stats.filter((s) => s.webs > 0).length).toBeGreaterThan(cases.length / 4);
      expect(stats.filter((s) => s.copied > 0).length).toBeGreaterThan(cases.length / 4);
      const results = runEngine(model, cases);
      cases.forEach((c, k) => expectSameAsInterpreter(c, results[k]!, { lanes }));
    });
  });
}
