// The listing points every microword back at the BPF instruction it came from (issue 9):
// the lift records each IR instruction's slot (Inst.origin), the passes keep it, isel,
// the allocator's reloads and spills carry it to the word.
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { bpfLines, compileForNpu, listing, moduleOf, npuDescriptor } from "../../../backends/npu/backend.js";
import { parseIr } from "../../../ir/text/read.js";
import { printModule } from "../../../ir/text/print.js";

const SRC = `
  ldxw %r3, [%r1+4]
  ldxdw %r4, [%r1+8]
  mov %r0, %r3
  add %r0, %r4
  jgt %r0, 100, big
  mul %r0, 3
  exit
big:
  div %r0, 7
  exit
`;

describe("listing: BPF origin of each microword", () => {
  const object = assemble(SRC);
  const module = moduleOf(object, 0, "raw");
  const code = compileForNpu(module, npuDescriptor());
  const text = listing(code, bpfLines(object, 0));

  it("every word selected for an IR instruction names its BPF instruction, index and text", () => {
    code.notes.forEach((n, i) => {
      if (/^(%\d+ = )?[a-z]/.test(n) && !n.startsWith("no ordered")) expect(code.origins[i], `word ${i}: ${n}`).toBeDefined();
    });
    expect(text).toContain("0: ldxw %r3, [%r1+4]");
    expect(text).toContain("1: ldxdw %r4, [%r1+8]");
    expect(text).toContain("7: div %r0, 7");
    // The whole division routine (many words, one IR instruction) points at slot 7.
    expect(code.origins.filter((o) => o === 7).length).toBeGreaterThan(3);
  });

  it("origins are not IR text: printing the optimised module shows none", () => {
    expect(printModule(module)).not.toMatch(/origin/);
    expect(module.funcs[0]!.blocks.flatMap((b) => b.insts).every((i) => i.origin !== undefined)).toBe(true);
  });

  it("IR made without a lift (a frontend's, or IR text) lists no BPF text", () => {
    const m = parseIr(printModule(module));
    const c = compileForNpu(m, npuDescriptor());
    expect(c.origins.every((o) => o === undefined)).toBe(true);
    expect(listing(c)).not.toContain("ldxw");
  });
});
