// The C frontend's entry: source text → one IR module per program.
//   cpp (preprocess.ts) → lexer and parser (parse.ts) → AST (ast.ts) → lowering
//   (lower.ts) → mem2reg → type inference (ir/lift/types.ts: regions of pointers) → the
//   IR validator. What it hands on: valid IR whose memory operations name their regions
//   wherever the pointer's origin is known, ready for the default pass pipeline.
import { DiagnosticError } from "../../ir/diag/diag.js";
import { validateModule } from "../../ir/core/validate.js";
import { runPasses } from "../../ir/passes/index.js";
import { inferTypes } from "../../ir/lift/types.js";
import { buildAst } from "./ast.js";
import { lowerUnit, type CUnit } from "./lower.js";
import { parseC } from "./parse.js";
import type { PreprocessOptions } from "./preprocess.js";

export type { CUnit, CProgram } from "./lower.js";

export function compileC(source: string, file: string, opts: PreprocessOptions = {}): CUnit {
  const parsed = parseC(source, file, opts);
  const unit = lowerUnit(buildAst(parsed.cst, parsed.lines, file));
  const programs = unit.programs.map((p) => {
    // Locals become SSA values first, so that pointers reach their uses with the type of
    // their origin; then the regions are inferred exactly as for lifted BPF.
    // known-bits then drops the normalisations of values that already fit their type.
    const module = runPasses(inferTypes(runPasses(p.module, ["mem2reg"])), ["known-bits", "dce"]);
    const invalid = validateModule(module, file);
    if (invalid.length) throw new DiagnosticError(invalid.map((d) => ({ ...d, severity: "bug" as const })));
    return { ...p, module };
  });
  return { ...unit, programs };
}
