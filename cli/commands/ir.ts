// `bpfoff ir FILE`: print a program's IR (lifted from BPF, or read from .ir text), after
// the chosen passes.
import type { Command } from "commander";
import { resolve } from "node:path";
import { isCSource, loadProgram } from "../load.js";
import { compileC } from "../../frontends/c/compile.js";
import { liftProgram } from "../../ir/lift/lift.js";
import { parseIr } from "../../ir/text/read.js";
import { printModule } from "../../ir/text/print.js";
import { programIndex } from "../../runtime/interp/run.js";
import { DiagnosticError, fail } from "../../ir/diag/diag.js";
import { DEFAULT_PIPELINE, PASSES, passByName, runPasses } from "../../ir/passes/index.js";
import { validateModule } from "../../ir/core/validate.js";
import type { Module } from "../../ir/core/ir.js";
import { findLoops } from "../../ir/analysis/loops.js";
import { readInput, type CliContext } from "../io.js";
import { isP4File } from "../load-p4.js";
import { compileP4 } from "../../frontends/p4/index.js";

export function registerIr(program: Command, ctx: CliContext): void {
  program
    .command("ir")
    .description("print the IR of a program (C or P4 source, assembler text, ELF object, or .ir text)")
    .argument("<file>", "program: .c, .p4, .s, .o or .ir")
    .option("--type <type>", "program type: xdp or raw (default: xdp for ELF xdp sections and .s, raw otherwise)")
    .option("--program <name>", "program in an object with several")
    .option("--passes <list>", `comma-separated passes to run (${PASSES.map((p) => p.name).join(", ")})`)
    .option("--loops", "list each function's loops and, where known, their trip counts")
    .option("-O, --optimize", `run the default pipeline (${DEFAULT_PIPELINE.join(",")})`)
    .action((file: string, opts: { type?: string; program?: string; passes?: string; optimize?: boolean; loops?: boolean }) => {
      const names = [...(opts.optimize ? DEFAULT_PIPELINE : []), ...(opts.passes ? opts.passes.split(",").map((x) => x.trim()).filter(Boolean) : [])];
      for (const n of names) if (!passByName(n)) fail("cli-usage", {}, [`unknown pass '${n}' (passes: ${PASSES.map((p) => p.name).join(", ")})`]);
      const finish = (m: Module) => {
        const out = runPasses(m, names);
        const problems = validateModule(out, file);
        if (problems.length) throw new DiagnosticError(problems.map((d) => ({ ...d, severity: "bug" as const })));
        ctx.io.stdout(printModule(out));
        if (opts.loops) {
          for (const f of out.funcs) {
            for (const l of findLoops(f)) ctx.io.stdout(`; loop @${f.name} ${l.header}: ${l.blocks.size} blocks, trip count ${l.tripCount ?? "unknown"}\n`);
          }
        }
      };
      const bytes = readInput(resolve(ctx.io.cwd, file));
      if (opts.type !== undefined && opts.type !== "xdp" && opts.type !== "raw") fail("cli-usage", {}, [`--type must be xdp or raw, not '${opts.type}'`]);
      if (isP4File(file)) {
        // The P4 frontend's IR as lowered (-O: after the default pipeline, as build uses it).
        finish(compileP4(Buffer.from(bytes).toString("utf8"), file).module);
        return;
      }
      if (file.endsWith(".ir")) {
        finish(parseIr(Buffer.from(bytes).toString("utf8"), file));
        return;
      }
      if (isCSource(file)) {
        // C: the frontend's own IR (before BPF code generation), one module per program.
        const unit = compileC(Buffer.from(bytes).toString("utf8"), file);
        const names = unit.programs.map((p) => p.name);
        const chosen = opts.program === undefined ? (unit.programs.length === 1 ? unit.programs[0] : undefined) : unit.programs.find((p) => p.name === opts.program || p.section === opts.program);
        if (!chosen) fail("cli-usage", { file }, [opts.program === undefined ? `${names.length} programs (${names.join(", ")}): choose one with --program` : `no program named '${opts.program}' in ${file} (it has: ${names.join(", ")})`]);
        finish(chosen.module);
        return;
      }
      const object = loadProgram(bytes, file);
      const index = programIndex(object, opts.program);
      const section = object.programs[index]!.section;
      const type = (opts.type ?? (section === "" || section.startsWith("xdp") ? "xdp" : "raw")) as "xdp" | "raw";
      finish(liftProgram(object, index, type, file));
    });
}
