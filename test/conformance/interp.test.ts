// The BPF conformance suite on the reference interpreter: every execution test must give
// its stated r0, and every negative case must fail (refused by the assembler or decoder,
// or its deliberately wrong result must not match).
import { describe, expect, it } from "vitest";
import { assemble } from "../../frontends/bpf/asm/assemble.js";
import { decodeProgram, encodeSlots } from "../../ir/bpf/codec.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { runRaw } from "../../runtime/interp/run.js";
import { printProgram } from "../../ir/bpf/print.js";
import { conformanceAvailable, conformanceFiles, parseConformance, type ConformanceCase } from "../support/conformance.js";
import { requireOrSkip } from "../support/requires.js";

function load(c: ConformanceCase): BpfObject {
  if (c.raw && c.asm !== undefined) {
    // Both given: the assembler must produce exactly the raw instructions.
    const obj = assemble(c.asm, c.file);
    expect(Buffer.from(encodeSlots(obj.programs[0]!.slots)).toString("hex")).toBe(Buffer.from(c.raw).toString("hex"));
    return obj;
  }
  if (c.raw) {
    const slots = decodeProgram(c.raw, c.file);
    return { programs: [{ name: "main", section: "", slots, functions: new Map() }], maps: [], mapInit: new Map(), license: "" };
  }
  if (c.asm === undefined) throw new Error(`${c.name}: no asm or raw section`);
  return assemble(c.asm, c.file);
}

const available = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

describe.skipIf(!available)("conformance suite on the interpreter", () => {
  const tests = conformanceFiles("tests");
  it("has the whole suite", () => {
    expect(tests.length).toBe(313);
  });
  for (const file of tests) {
    const c = parseConformance(file);
    it(c.name, () => {
      const obj = load(c);
      // The disassembly re-assembles to the same instructions.
      const slots = obj.programs[0]!.slots;
      const text = printProgram(slots, { functions: obj.programs[0]!.functions });
      expect(assemble(text, `${c.name}.disasm.s`).programs[0]!.slots).toEqual(slots);
      const result = runRaw(obj, c.mem);
      expect("0x" + result.r0.toString(16)).toBe("0x" + c.result!.toString(16));
    });
  }
});

describe.skipIf(!available)("conformance negative cases fail", () => {
  const negatives = conformanceFiles("negative");
  it("has all negative cases", () => {
    expect(negatives.length).toBe(60);
  });
  for (const file of negatives) {
    const c = parseConformance(file);
    it(c.name, () => {
      let passed = false;
      try {
        const obj = load(c);
        const r = runRaw(obj, c.mem);
        passed = c.result !== undefined && r.r0 === c.result;
      } catch {
        passed = false;
      }
      expect(passed).toBe(false);
    });
  }
});
