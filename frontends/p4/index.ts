// The P4-16 frontend: source (with includes) → AST → type-checked lowering to IR.
// The module is validated here: invalid IR from the lowering is a compiler bug.
import { DiagnosticError } from "../../ir/diag/diag.js";
import { validateModule } from "../../ir/core/validate.js";
import { lowerP4, type P4Module } from "./lower.js";
import { loadProgram, type SourceReader } from "./source.js";

export type { P4Module } from "./lower.js";
export type { TableInfo } from "./tables.js";

export function compileP4(text: string, file: string, reader?: SourceReader): P4Module {
  const p4 = lowerP4(loadProgram(text, file, reader), file);
  const invalid = validateModule(p4.module, file);
  if (invalid.length) throw new DiagnosticError(invalid.map((d) => ({ ...d, severity: "bug" as const })));
  return p4;
}
