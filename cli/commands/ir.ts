// `bpfoff ir FILE`: print a program's IR (lifted from BPF, or read from .ir text), after
// the chosen passes.
import type { Command } from "commander";
import { resolve } from "node:path";
import { loadBpf } from "../../frontends/bpf/load.js";
import { liftProgram } from "../../ir/lift/lift.js";
import { parseIr } from "../../ir/text/read.js";
import { printModule } from "../../ir/text/print.js";
import { programIndex } from "../../runtime/interp/run.js";
import { fail } from "../../ir/diag/diag.js";
import { readInput, type CliContext } from "../io.js";

export function registerIr(program: Command, ctx: CliContext): void {
  program
    .command("ir")
    .description("print the IR of a program (assembler text, ELF object, or .ir text)")
    .argument("<file>", "program: .s, .o or .ir")
    .option("--type <type>", "program type: xdp or raw (default: xdp for ELF xdp sections and .s, raw otherwise)")
    .option("--program <name>", "program in an object with several")
    .action((file: string, opts: { type?: string; program?: string }) => {
      const bytes = readInput(resolve(ctx.io.cwd, file));
      if (opts.type !== undefined && opts.type !== "xdp" && opts.type !== "raw") fail("cli-usage", {}, [`--type must be xdp or raw, not '${opts.type}'`]);
      if (file.endsWith(".ir")) {
        ctx.io.stdout(printModule(parseIr(Buffer.from(bytes).toString("utf8"), file)));
        return;
      }
      const object = loadBpf(bytes, file);
      const index = programIndex(object, opts.program);
      const section = object.programs[index]!.section;
      const type = (opts.type ?? (section === "" || section.startsWith("xdp") ? "xdp" : "raw")) as "xdp" | "raw";
      ctx.io.stdout(printModule(liftProgram(object, index, type, file)));
    });
}
