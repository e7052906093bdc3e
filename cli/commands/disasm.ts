// `bpfoff disasm FILE`: print the instructions of an object or assembler file.
import type { Command } from "commander";
import { resolve } from "node:path";
import { decodeProgram } from "../../ir/bpf/codec.js";
import { printProgram, type Syntax } from "../../ir/bpf/print.js";
import { loadProgramFile } from "../load-p4.js";
import { fail } from "../../ir/diag/diag.js";
import { disassemble, readImage } from "../../backends/npu/image.js";
import { bytesWidth, insnLine, type NativeTarget } from "../../backends/common/native-backend.js";
import { x86_64Target } from "../../backends/x86_64/backend.js";
import { arm64Target } from "../../backends/arm64/backend.js";
import { readInput, type CliContext } from "../io.js";

/** Native code blobs (a bundle's prog.bin) are read by the target's own disassembler (backends/<arch>/disasm.ts). */
const NATIVE: ReadonlyMap<string, NativeTarget> = new Map([[x86_64Target.name, x86_64Target], [arm64Target.name, arm64Target]]);

export function registerDisasm(program: Command, ctx: CliContext): void {
  program
    .command("disasm")
    .description("disassemble a BPF ELF object, raw instruction bytes (--raw), assembler text, or a native code blob (--target x86_64|arm64)")
    .argument("<file>", "ELF object (.o), raw instructions (--raw), assembler text (.s), or a bundle's prog.bin (--target x86_64|arm64)")
    .option("--syntax <syntax>", "ubpf (re-assemblable, default) or llvm (llvm-objdump style)", "ubpf")
    .option("--addresses", "prefix every instruction with its slot index")
    .option("--raw", "the file holds bare 8-byte instruction slots")
    .option("--program <name>", "only this program")
    .option("--target <target>", "bpf; npu: a control store image (binary or hex text), printed as microcode the assembler reads back; x86_64 or arm64: a native code blob (a bundle's prog.bin), printed as offset, bytes and objdump's text", "bpf")
    .action((file: string, opts: { syntax: string; addresses?: boolean; raw?: boolean; program?: string; target: string }) => {
      const native = NATIVE.get(opts.target);
      if (opts.target !== "bpf" && opts.target !== "npu" && !native) fail("cli-usage", {}, [`--target must be bpf, npu, x86_64 or arm64, not '${opts.target}'`]);
      if (native) {
        const insns = native.disassemble(readInput(resolve(ctx.io.cwd, file)));
        const width = bytesWidth(insns);
        ctx.io.stdout(insns.map((x) => insnLine(x, width) + "\n").join(""));
        return;
      }
      if (opts.target === "npu") {
        ctx.io.stdout(disassemble(readImage(readInput(resolve(ctx.io.cwd, file)), file), opts.addresses));
        return;
      }
      if (opts.syntax !== "ubpf" && opts.syntax !== "llvm") fail("cli-usage", {}, [`--syntax must be ubpf or llvm, not '${opts.syntax}'`]);
      const bytes = readInput(resolve(ctx.io.cwd, file));
      const obj = opts.raw
        ? { programs: [{ name: "main", section: "", slots: decodeProgram(bytes, file), functions: new Map<number, string>() }], maps: [] as { name: string }[] }
        : loadProgramFile(bytes, file);
      const progs = obj.programs.filter((p) => opts.program === undefined || p.name === opts.program);
      if (!progs.length) fail("cli-usage", {}, [`no program named '${opts.program}'`]);
      const mapNames = obj.maps.map((m) => m.name);
      const several = obj.programs.length > 1;
      const out: string[] = [];
      for (const p of progs) {
        if (several || p.section) out.push(`# program ${p.name}${p.section ? ` (section ${p.section})` : ""}`);
        out.push(printProgram(p.slots, { syntax: opts.syntax as Syntax, mapNames, functions: p.functions, addresses: opts.addresses }).trimEnd());
      }
      ctx.io.stdout(out.join("\n") + "\n");
    });
}
