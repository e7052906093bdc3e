// The listing points every microword back at the BPF instruction it came from (issue 9):
// the lift records each IR instruction's slot (Inst.origin), the passes keep it, isel,
// the allocator's reloads and spills carry it to the word.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { bpfLines, compileForNpu, listing, moduleOf, npuDescriptor } from "../../../backends/npu/backend.js";
import { UNSOURCED_TAGS } from "../../../backends/npu/codegen/vcode.js";
import { printWord } from "../../../backends/npu/isa.js";
import { buildInMemory } from "../../../backends/common/pipeline.js";
import { loadBpf } from "../../../frontends/bpf/load.js";
import { parseIr } from "../../../ir/text/read.js";
import { clangBuild, clangMissing, exampleSource, EXAMPLES, readBytes } from "../bpf/support.js";
import { requireOrSkip } from "../../support/requires.js";
import { printModule } from "../../../ir/text/print.js";

/** Listing lines of words (address and bits in the comment) whose comment has neither BPF text ("N: ...") nor a tag. */
function untagged(listing: string): string[] {
  return listing.split("\n").filter((l) => {
    const m = /; +\d+  [0-9a-f]{16}(.*)$/.exec(l);
    if (!m) return false;
    const rest = m[1]!.trim();
    return !/^\d+: \S/.test(rest) && !UNSOURCED_TAGS.some((t) => rest.startsWith(t));
  });
}

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

  it("every word names its BPF instruction, index and text, or says what else it is", () => {
    code.notes.forEach((n, i) => {
      if (code.origins[i] === undefined) expect(UNSOURCED_TAGS.some((t) => n.startsWith(t)), `word ${i}: ${n}`).toBe(true);
    });
    expect(untagged(text)).toEqual([]);
    expect(text).toContain("0: ldxw %r3, [%r1+4]");
    expect(text).toContain("1: ldxdw %r4, [%r1+8]");
    expect(text).toContain("7: div %r0, 7");
    // The whole division routine (many words, one IR instruction) points at slot 7.
    expect(code.origins.filter((o) => o === 7).length).toBeGreaterThan(3);
  });

  it("branches, returns and their edge moves carry the BPF jump or exit they came from", () => {
    // The compare and the conditional branch of slot 4, the words of both exits (r0 out, done).
    const at = (slot: number) => code.words.filter((_, i) => code.origins[i] === slot).map(printWord);
    expect(at(4).some((w) => w.startsWith("br."))).toBe(true);
    expect(at(6)).toContain("done");
    expect(at(8)).toContain("done");
    expect(text).toMatch(/^done +; +\d+ +[0-9a-f]{16}  8: exit/m);
    // The entry's setup is no BPF instruction's: it says so.
    expect(text).toMatch(/^movb A13, .*prologue/m);
  });

  it("origins are not IR text: printing the optimised module shows none", () => {
    expect(printModule(module)).not.toMatch(/origin/);
    expect(module.funcs[0]!.blocks.flatMap((b) => b.insts).every((i) => i.origin !== undefined)).toBe(true);
    // Terminators too: the lift gave each jump and exit its slot and the passes kept it.
    expect(module.funcs[0]!.blocks.map((b) => [b.term.op, b.term.origin])).toEqual([["br_if", 4], ["ret", 6], ["ret", 8]]);
  });

  it("IR made without a lift (a frontend's, or IR text) lists no BPF text", () => {
    const m = parseIr(printModule(module));
    const c = compileForNpu(m, npuDescriptor());
    expect(c.origins.every((o) => o === undefined)).toBe(true);
    expect(listing(c)).not.toContain("ldxw");
  });
});

const ready = requireOrSkip("clang", clangMissing === undefined, clangMissing ?? "");

describe.skipIf(!ready)("listing of every example: no unexplained microword (requires: clang)", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-npu-lst-"));
  for (const name of EXAMPLES) {
    it(name, () => {
      const obj = clangBuild(exampleSource(name), dir, name);
      const bytes = readBytes(obj);
      const files = buildInMemory({ object: loadBpf(bytes, obj), file: obj, bytes, target: "npu" });
      const lst = Buffer.from(files.find(([p]) => p === "microcode.lst")![1]).toString("utf8");
      const words = lst.split("\n").filter((l) => /; +\d+  [0-9a-f]{16}/.test(l));
      expect(words.length).toBeGreaterThan(40);
      expect(untagged(lst)).toEqual([]);
      // Nearly all of them point at BPF: the tags are the few words no instruction made.
      const sourced = words.filter((l) => /[0-9a-f]{16}  \d+: \S/.test(l)).length;
      expect(sourced / words.length).toBeGreaterThan(0.85);
      expect(lst).toMatch(/^done +;.*\d+: exit/m);
    });
  }
});
