// `bpfoff verify FILE [--type xdp|raw] [--log] [--program NAME]`: run the verifier.
//   accepted: exit 0, `accepted: N instructions processed, M states`;
//   rejected: exit 1, `bpfoff: error: instruction K: reason` with the path and registers as notes.
// The program type: an ELF program's section ("xdp*" → xdp, anything else raw), unless
// --type says otherwise; assembler text is xdp unless --type raw (what users write is
// XDP; the conformance suite's raw-memory programs need --type raw).
import type { Command } from "commander";
import { resolve } from "node:path";
import { loadProgramFile } from "../load-p4.js";
import { DiagnosticError, fail } from "../../ir/diag/diag.js";
import type { BpfProgram } from "../../ir/bpf/object.js";
import { programIndex } from "../../runtime/interp/run.js";
import { verify, type ProgramType } from "../../verifier/verify.js";
import { readInput, type CliContext } from "../io.js";

interface VerifyOpts {
  type?: string;
  log?: boolean;
  program?: string;
}

const TYPES: readonly ProgramType[] = ["xdp", "raw"];

/** The program type a program's ELF section implies; assembler text (no section) is xdp. */
export function programTypeOf(prog: BpfProgram): ProgramType {
  if (prog.section === "") return "xdp";
  return /^xdp/.test(prog.section) ? "xdp" : "raw";
}

export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command("verify")
    .description("check a BPF program's safety (memory bounds, types, termination) as the kernel verifier does")
    .argument("<file>", "program: C source (.c), P4-16 source (.p4), assembler text (.s) or ELF object (.o)")
    .option("--type <type>", "program type: xdp or raw (default: from the ELF section; xdp for assembler text)")
    .option("--log", "print the per-instruction verifier log")
    .option("--program <name>", "program (function or section name) in an object with several")
    .action((file: string, opts: VerifyOpts) => {
      if (opts.type !== undefined && !(TYPES as readonly string[]).includes(opts.type)) fail("cli-usage", {}, [`--type must be one of ${TYPES.join(", ")}, not '${opts.type}'`]);
      const object = loadProgramFile(readInput(resolve(ctx.io.cwd, file)), file);
      const index = programIndex(object, opts.program);
      const type = (opts.type as ProgramType | undefined) ?? programTypeOf(object.programs[index]!);
      const result = verify(object, index, { type, log: opts.log });
      if (result.log !== undefined) ctx.io.stdout(result.log);
      if (!result.ok) throw new DiagnosticError(result.diagnostics.map((d) => ({ ...d, loc: { ...d.loc, file } })));
      ctx.io.stdout(`accepted: ${result.stats.insnsProcessed} instructions processed, ${result.stats.states} states\n`);
    });
}
