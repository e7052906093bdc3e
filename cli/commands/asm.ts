// `bpfoff asm FILE.s -o FILE.o`: assemble text into an ELF object (or raw slots with --raw).
import type { Command } from "commander";
import { resolve } from "node:path";
import { assemble } from "../../frontends/bpf/asm/assemble.js";
import { encodeSlots } from "../../ir/bpf/codec.js";
import { writeElf } from "../../backends/bpf/elf-writer.js";
import { assembleMicrocode } from "../../backends/npu/asm/assemble.js";
import { imageBytes, imageHex } from "../../backends/npu/image.js";
import { fail } from "../../ir/diag/diag.js";
import { readText, writeFileAtomic, type CliContext } from "../io.js";

/** Targets with an assembler of their own: bpf (ELF or raw slots) and npu (microcode image; .hex output writes hex text). */
const ASM_TARGETS = ["bpf", "npu"] as const;

export function registerAsm(program: Command, ctx: CliContext): void {
  program
    .command("asm")
    .description("assemble BPF assembler text (ubpf / conformance syntax) into an ELF object")
    .argument("<file>", "assembler source (.s)")
    .requiredOption("-o, --output <file>", "output object (.o), or raw instruction bytes with --raw")
    .option("--section <name>", "ELF section of the program (its program type for libbpf)", "xdp")
    .option("--name <symbol>", "symbol of the program's entry point", "main")
    .option("--license <text>", "license string recorded in the object", "GPL")
    .option("--raw", "write the instruction bytes alone, without ELF")
    .option("--target <target>", "bpf, or npu: microcode text into a control store image (binary; hex text when -o ends in .hex)", "bpf")
    .action((file: string, opts: { output: string; section: string; name: string; license: string; raw?: boolean; target: string }) => {
      const path = resolve(ctx.io.cwd, file);
      if (!(ASM_TARGETS as readonly string[]).includes(opts.target)) fail("cli-usage", {}, [`--target must be ${ASM_TARGETS.join(" or ")}, not '${opts.target}'`]);
      if (opts.target === "npu") {
        const { words } = assembleMicrocode(readText(path), file);
        writeFileAtomic(resolve(ctx.io.cwd, opts.output), opts.output.endsWith(".hex") ? imageHex(words) : imageBytes(words));
        return;
      }
      const obj = assemble(readText(path), file);
      const prog = { ...obj.programs[0]!, name: opts.name, section: opts.section };
      const bytes = opts.raw ? encodeSlots(prog.slots) : writeElf({ ...obj, programs: [prog], license: opts.license });
      writeFileAtomic(resolve(ctx.io.cwd, opts.output), bytes);
    });
}
