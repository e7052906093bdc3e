// The whole conformance suite on the NPU (compiled to microcode, run on the cycle-level
// simulator) against the reference interpreter and the suite's expected results. A test
// the descriptor refuses must be refused by the offload check or the code generator with
// a diagnostic, never run to a wrong answer.
import { describe, expect, it } from "vitest";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../../support/conformance.js";
import { requireOrSkip } from "../../support/requires.js";
import { hex, loadConformance, reference } from "../fpga/support.js";
import { runOnNpu, type NpuOutcome } from "./support.js";

const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

describe.skipIf(!haveSuite)("conformance suite on the NPU", () => {
  const cases = conformanceFiles("tests").map(parseConformance);
  const outcomes = new Map<string, NpuOutcome>();

  it("runs all 313 tests", () => {
    expect(cases.length).toBe(313);
  });
  for (const c of cases) {
    it(c.name, () => {
      const object = loadConformance(c);
      const want = reference(object, c.mem);
      const got = runOnNpu(object, c.mem);
      outcomes.set(c.name, got);
      if (got.kind === "refused") {
        expect(got.codes.every((code) => code === "offload-unsupported" || code === "codegen" || code.startsWith("verify") || code === "ir-lift")).toBe(true);
        return;
      }
      if (want.kind === "error") {
        expect(got.kind).toBe("error");
        return;
      }
      expect(got.kind === "error" ? `${got.code}: ${got.message}` : "done").toBe("done");
      if (got.kind !== "done") return;
      expect("0x" + got.r0.toString(16)).toBe("0x" + want.r0.toString(16));
      expect(hex(got.mem)).toBe(hex(want.mem));
      if (c.result !== undefined) expect("0x" + got.r0.toString(16)).toBe("0x" + c.result.toString(16));
    });
  }

  it("reports its figures", () => {
    const all = [...outcomes.values()];
    const done = all.filter((o) => o.kind === "done");
    const refused = [...outcomes].filter(([, o]) => o.kind === "refused");
    console.log(`npu, conformance: ${done.length} run, ${refused.length} refused (${refused.map(([n]) => n).join(", ")})`);
    expect(done.length + refused.length + all.filter((o) => o.kind === "error").length).toBe(outcomes.size);
  });
});
