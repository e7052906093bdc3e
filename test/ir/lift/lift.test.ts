// Lifting, as goldens: each cases/X.s (first line `# type: xdp|raw`) beside X.expected.ir,
// its IR straight from the lifter, and X.O.expected.ir after the default pipeline. Both
// behave as the assembled program on the interpreter (checked in roundtrip.test.ts for the
// suite and the examples; here for these cases on a few inputs).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { liftProgram } from "../../../ir/lift/lift.js";
import { DEFAULT_PIPELINE, runPasses } from "../../../ir/passes/index.js";
import { printModule } from "../../../ir/text/print.js";
import { compileModule } from "../../../backends/bpf/codegen/index.js";
import { runRaw } from "../../../runtime/interp/run.js";
import { REPO } from "../../support/conformance.js";
import { expectGolden } from "../../support/golden.js";

const DIR = join(REPO, "test/ir/lift/cases");

describe("lifting BPF to IR (golden)", () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith(".s")).sort()) {
    it(file, () => {
      const text = readFileSync(join(DIR, file), "utf8");
      const type = /^# type: (xdp|raw)/.exec(text)?.[1] as "xdp" | "raw";
      expect(type, "first line must say '# type: xdp' or '# type: raw'").toBeDefined();
      const obj = assemble(text, file);
      const lifted = liftProgram(obj, 0, type, file);
      expectGolden(join(DIR, file.replace(/\.s$/, ".expected.ir")), printModule(lifted));
      const optimised = runPasses(lifted, DEFAULT_PIPELINE);
      expectGolden(join(DIR, file.replace(/\.s$/, ".O.expected.ir")), printModule(optimised));
      if (type === "raw") {
        const again = compileModule(optimised, { name: "main", section: "", mapInit: new Map(), license: "" });
        for (const mem of [new Uint8Array(0), Uint8Array.of(1, 2, 3), Uint8Array.from({ length: 12 }, (_, i) => 10 * i)]) {
          expect(runRaw(again, mem).r0).toBe(runRaw(obj, mem).r0);
        }
      }
    });
  }
});
