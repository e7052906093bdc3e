// Loading a program file of any kind into a BpfObject, the form run, verify, build, ir
// and disasm work on. BPF inputs (ELF objects, assembler text) load directly; C goes
// through the C frontend to IR, the default pass pipeline, and the BPF code generator.
// This glue lives in the CLI so that frontends never import backends (STYLE.md §1).
import { compileModule } from "../backends/bpf/codegen/index.js";
import { compileC } from "../frontends/c/compile.js";
import { loadBpf } from "../frontends/bpf/load.js";
import type { BpfObject } from "../ir/bpf/object.js";
import { DiagnosticError, fail } from "../ir/diag/diag.js";
import { validateModule } from "../ir/core/validate.js";
import { DEFAULT_PIPELINE, runPasses } from "../ir/passes/index.js";

/**
 * Passes for a C module: the default pipeline, then what C's lowering leaves for them:
 * repeated computations (helpers inlined twice, fields read in several conditions) and
 * normalisations of values that already fit (mem2reg's truncations of promoted slots);
 * field offsets folded into the accesses, as clang does.
 */
export const C_PIPELINE = [...DEFAULT_PIPELINE, "cse", "known-bits", "fold-offsets", "const-fold", "simplify-cfg", "dce"];

/** Input kinds by file name: C source is text, so its name says what it is. */
export function isCSource(file: string): boolean {
  return /\.c$/.test(file);
}

export interface LoadOptions {
  /** -I folders for C sources. */
  readonly includeDirs?: readonly string[];
  readonly defines?: readonly string[];
}

/** A BPF object from C source: every program compiled through the IR. */
export function compileCToObject(source: string, file: string, opts: LoadOptions = {}): BpfObject {
  const unit = compileC(source, file, opts);
  const programs = unit.programs.map((p) => {
    const module = runPasses(p.module, C_PIPELINE);
    const invalid = validateModule(module, file);
    if (invalid.length) throw new DiagnosticError(invalid.map((d) => ({ ...d, severity: "bug" as const })));
    return compileModule(module, { name: p.name, section: p.section, mapInit: unit.mapInit, license: unit.license }).programs[0]!;
  });
  return { programs, maps: unit.maps, mapInit: unit.mapInit, license: unit.license };
}

export function loadProgram(bytes: Uint8Array, file: string, opts: LoadOptions = {}): BpfObject {
  if (isCSource(file)) return compileCToObject(Buffer.from(bytes).toString("utf8"), file, opts);
  const object = loadBpf(bytes, file);
  // Every command works on a program: an object without one (only .text, or only maps)
  // is refused here, with the file named, rather than indexed past its end later.
  if (!object.programs.length) fail("elf-format", { file }, ["the object holds no program: no global function in an executable section other than .text"]);
  return object;
}
