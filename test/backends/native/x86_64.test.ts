// x86-64 native code against the reference interpreter: the whole conformance suite
// (what the offload check refuses is listed, never run wrong).
// requires: gcc (the runtime is compiled at first use), an x86-64 host
import { describe, expect, it } from "vitest";
import { arch } from "node:os";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../../support/conformance.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { loadConformance } from "../fpga/support.js";
import { x86_64Backend } from "../../../backends/x86_64/backend.js";
import { compileX64 } from "../../../backends/x86_64/jit.js";
import type { NativeTarget } from "../../../backends/common/native-backend.js";
import { expected, runNativeRaw } from "./support.js";

const TARGET: NativeTarget = { name: "x86_64", description: x86_64Backend.description, elfMachine: 62, translate: compileX64 };
const haveGcc = requireOrSkip("gcc", hasTool("gcc"), "gcc is not installed (apt-get install gcc)");
const onX64 = requireOrSkip("x86-64 host", arch() === "x64", `the host is ${arch()}, not x86-64`);
const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

describe.skipIf(!haveGcc || !onX64 || !haveSuite)("conformance suite as x86-64 code", () => {
  const cases = conformanceFiles("tests").map((file) => parseConformance(file));
  const refused: string[] = [];
  for (const c of cases) {
    it(c.name, () => {
      const object = loadConformance(c);
      const got = runNativeRaw(TARGET, object, c.mem);
      if (got.kind === "refused") {
        refused.push(`${c.name}: ${got.why}`);
        return;
      }
      expect(got).toEqual(expected(object, c.mem));
    });
  }
  it("runs every test the offload check accepts", () => {
    console.log(`x86_64: ${cases.length - refused.length} of ${cases.length} conformance tests run natively; refused:\n  ${refused.join("\n  ")}`);
    expect(cases.length).toBe(313);
    expect(cases.length - refused.length).toBeGreaterThan(280);
  });
});

// ---------------------------------------------------------------- generated programs
import fc from "fast-check";
import { rawProgram, xdpProgram } from "../../support/gen.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { expectedXdp, runNativeXdp } from "./support.js";
import { verify } from "../../../verifier/verify.js";

describe.skipIf(!haveGcc || !onX64)("generated programs as x86-64 code", () => {
  it("raw programs match the interpreter (r0, memory, faults)", () => {
    fc.assert(fc.property(rawProgram, fc.uint8Array({ minLength: 0, maxLength: 40 }), (text, mem) => {
      const object = assemble(text, "gen.s");
      const got = runNativeRaw(TARGET, object, mem);
      expect(got.kind).not.toBe("refused");
      expect(got).toEqual(expected(object, mem));
    }), { numRuns: 150, seed: 6006 });
  });

  it("XDP programs match the interpreter (verdicts, packets, maps, faults)", () => {
    let accepted = 0;
    fc.assert(fc.property(xdpProgram, fc.array(fc.uint8Array({ minLength: 14, maxLength: 80 }), { minLength: 1, maxLength: 3 }), (text, frames) => {
      const object = assemble(text, "gen.s");
      const got = runNativeXdp(TARGET, object, frames);
      expect(got.kind).not.toBe("refused");
      // Pointer values differ between the interpreter's address space and the host's: a
      // program the verifier rejects may return one (r0 = data + 2), so those only have to
      // run without harm; the accepted ones must give the interpreter's results exactly.
      if (verify(object, 0, { type: "xdp" }).ok) {
        accepted++;
        expect(got).toEqual(expectedXdp(object, frames));
      }
    }), { numRuns: 150, seed: 6007 });
    expect(accepted).toBeGreaterThan(30);
  });
});
