// The differential suite every native target runs (STYLE.md §7): the conformance suite
// (what the offload check refuses is listed, never run wrong) and fast-check generated
// raw and XDP programs, each against the reference interpreter.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../../support/conformance.js";
import { requireOrSkip } from "../../support/requires.js";
import { rawProgram, xdpProgram } from "../../support/gen.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { verify } from "../../../verifier/verify.js";
import type { NativeTarget } from "../../../backends/common/native-backend.js";
import { loadConformance } from "../fpga/support.js";
import { expected, expectedXdp, runNativeRaw, runNativeXdp } from "./support.js";

export function nativeSuite(target: NativeTarget, ready: boolean, runs: number): void {
  const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

  describe.skipIf(!ready || !haveSuite)(`conformance suite as ${target.name} code`, () => {
    const cases = conformanceFiles("tests").map((file) => parseConformance(file));
    const refused: string[] = [];
    for (const c of cases) {
      it(c.name, () => {
        const object = loadConformance(c);
        const got = runNativeRaw(target, object, c.mem);
        if (got.kind === "refused") {
          refused.push(`${c.name}: ${got.why}`);
          return;
        }
        expect(got).toEqual(expected(object, c.mem));
      });
    }
    it("runs every test the offload check accepts", () => {
      console.log(`${target.name}: ${cases.length - refused.length} of ${cases.length} conformance tests run natively; refused:\n  ${refused.join("\n  ")}`);
      expect(cases.length).toBe(313);
      expect(cases.length - refused.length).toBeGreaterThan(300);
    });
  });

  describe.skipIf(!ready)(`generated programs as ${target.name} code`, () => {
    it("raw programs match the interpreter (r0, memory, faults)", () => {
      fc.assert(fc.property(rawProgram, fc.uint8Array({ minLength: 0, maxLength: 40 }), (text, mem) => {
        const object = assemble(text, "gen.s");
        const got = runNativeRaw(target, object, mem);
        expect(got.kind).not.toBe("refused");
        expect(got).toEqual(expected(object, mem));
      }), { numRuns: runs, seed: 6006 });
    });

    it("XDP programs match the interpreter (verdicts, packets, maps, faults)", () => {
      let accepted = 0;
      fc.assert(fc.property(xdpProgram, fc.array(fc.uint8Array({ minLength: 14, maxLength: 80 }), { minLength: 1, maxLength: 3 }), (text, frames) => {
        const object = assemble(text, "gen.s");
        const got = runNativeXdp(target, object, frames);
        expect(got.kind).not.toBe("refused");
        // Pointer values differ between the interpreter's address space and the host's: a
        // program the verifier rejects may return one (r0 = data + 2), so those only have to
        // run without harm; the accepted ones must give the interpreter's results exactly.
        if (verify(object, 0, { type: "xdp" }).ok) {
          accepted++;
          expect(got).toEqual(expectedXdp(object, frames));
        }
      }), { numRuns: runs, seed: 6007 });
      expect(accepted).toBeGreaterThan(runs / 5);
    });
  });
}
