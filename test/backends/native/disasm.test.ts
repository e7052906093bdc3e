// The native disassemblers over whole code blobs (STYLE.md §4): every conformance program
// the offload check accepts, 300 generated raw and XDP programs (test/support/gen.ts) and
// the five XDP examples (through the build pipeline, as `bpfoff build` compiles them), on
// both targets. Each blob must disassemble with no `.byte` (a form the JIT emits that
// disasm.ts does not know shows up here), and where binutils is present the texts must
// equal objdump's over the whole blob, offset by offset.
// requires: objdump, aarch64-linux-gnu-objdump (the comparison); clang (the examples)
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../../support/conformance.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { loadConformance } from "../fpga/support.js";
import { clangBuild, clangMissing, EXAMPLES, exampleSource } from "../bpf/support.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { checkOffload } from "../../../offload-hooks/check.js";
import { loadTarget } from "../../../offload-hooks/descriptor.js";
import { buildInMemory } from "../../../backends/common/pipeline.js";
import type { NativeTarget } from "../../../backends/common/native-backend.js";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import { x86_64Target } from "../../../backends/x86_64/backend.js";
import { arm64Target } from "../../../backends/arm64/backend.js";
import { runCli } from "../../support/cli.js";
import { rawProgram, xdpProgram } from "../../support/gen.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { REPO } from "../../support/conformance.js";

const OBJDUMP: Readonly<Record<NativeTarget["name"], string[]>> = {
  x86_64: ["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel"],
  arm64: ["aarch64-linux-gnu-objdump", "-D", "-b", "binary", "-m", "aarch64"],
};

/** objdump's [offset, text] per instruction, whitespace collapsed (as the encoder tests read it). */
function objdump(target: NativeTarget, code: Uint8Array): [number, string][] {
  const dir = mkdtempSync(join(tmpdir(), `bpfoff-disasm-${target.name}-`));
  writeFileSync(join(dir, "code.bin"), code);
  const [cmd, ...args] = OBJDUMP[target.name];
  const r = spawnSync(cmd!, [...args, join(dir, "code.bin")], { encoding: "utf8", maxBuffer: 1 << 28 });
  return r.stdout
    .split("\n")
    .filter((l) => /^\s+[0-9a-f]+:\t/.test(l) && l.split("\t").length > 2)
    .map((l) => {
      const fields = l.split("\t");
      return [parseInt(fields[0]!, 16), fields.slice(2).join(" ").trim().replace(/\s+/g, " ")];
    });
}

/** The conformance programs the target translates (what the offload check refuses has no code). */
function conformanceBlobs(target: NativeTarget): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const file of conformanceFiles("tests")) {
    const c = parseConformance(file);
    const object = loadConformance(c);
    if (checkOffload(object, 0, "raw", loadTarget(target.name)).length) continue;
    try {
      out.push([c.name, target.translate(object, 0, "raw").code]);
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
    }
  }
  return out;
}

/** Generated raw and XDP programs (test/support/gen.ts), the forms the conformance suite may miss. */
function generatedBlobs(target: NativeTarget): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const [type, gen, seed] of [["raw", rawProgram, 6101], ["xdp", xdpProgram, 6102]] as const) {
    fc.sample(gen, { numRuns: 150, seed }).forEach((text, i) => {
      const object = assemble(text, "gen.s");
      if (checkOffload(object, 0, type, loadTarget(target.name)).length) return;
      try {
        out.push([`${type} #${i}`, target.translate(object, 0, type).code]);
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw e;
      }
    });
  }
  return out;
}

/** The five examples as `bpfoff build` compiles them (IR round trip, -O), each prog.bin. */
function exampleBlobs(target: NativeTarget): [string, Uint8Array][] {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-disasm-ex-"));
  return EXAMPLES.map((name) => {
    const obj = clangBuild(exampleSource(name), dir, name);
    const bytes = readFileSync(obj);
    const files = new Map(buildInMemory({ object: loadElf(bytes, obj), file: obj, bytes, target: target.name }));
    return [name, files.get("prog.bin")!];
  });
}

const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");
const haveClang = requireOrSkip("clang", clangMissing === undefined, clangMissing ?? "");

for (const target of [x86_64Target, arm64Target]) {
  const tool = OBJDUMP[target.name][0]!;
  const haveObjdump = requireOrSkip(tool, hasTool(tool), `binutils for ${target.name} is not installed`);

  const check = (blobs: readonly [string, Uint8Array][]): void => {
    for (const [name, code] of blobs) {
      const unknown = target.disassemble(code).filter((x) => x.text.startsWith(".byte"));
      expect(unknown.map((x) => `${name}+0x${x.offset.toString(16)}: ${x.text}`), name).toEqual([]);
    }
    if (!haveObjdump) return;
    // One objdump run over all blobs laid end to end: each blob ends on an instruction
    // boundary, and both sides read offsets (and jump targets) in the same concatenation.
    const all = Buffer.concat(blobs.map(([, code]) => code));
    expect(target.disassemble(all).map((x): [number, string] => [x.offset, x.text])).toEqual(objdump(target, all));
  };

  describe.skipIf(!haveSuite)(`${target.name} disassembler over the conformance programs`, () => {
    it("reads every blob with no .byte, and as objdump does", () => {
      const blobs = conformanceBlobs(target);
      expect(blobs.length).toBeGreaterThan(300);
      check(blobs);
    });
  });

  describe(`${target.name} disassembler over generated programs`, () => {
    it("reads every blob with no .byte, and as objdump does", () => {
      const blobs = generatedBlobs(target);
      expect(blobs.length).toBeGreaterThan(250);
      check(blobs);
    });
  });

  describe.skipIf(!haveClang)(`${target.name} disassembler over the examples`, () => {
    it("reads every prog.bin with no .byte, and as objdump does", () => {
      check(exampleBlobs(target));
    });
  });
}

describe("bpfoff disasm --target x86_64|arm64", () => {
  it("prints a bundle's prog.bin as its listing's machine lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-disasm-cli-"));
    writeFileSync(join(dir, "counter.s"), readFileSync(join(REPO, "test/backends/native/golden/counter.s")));
    for (const target of ["x86_64", "arm64"]) {
      const build = await runCli(["build", "counter.s", "--type", "raw", "--target", target, "-o", target], dir);
      expect(build.stderr).toBe("");
      const listing = readFileSync(join(dir, target, "prog.lst"), "utf8").split("\n").filter((l) => /^[0-9a-f]{6} /.test(l));
      const r = await runCli(["disasm", "--target", target, join(target, "prog.bin")], dir);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(listing.join("\n") + "\n");
    }
  });

  it("refuses an unknown target", async () => {
    const r = await runCli(["disasm", "--target", "toString", "x.bin"], mkdtempSync(join(tmpdir(), "bpfoff-disasm-cli-")));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--target must be bpf, npu, x86_64 or arm64, not 'toString'/);
  });
});
