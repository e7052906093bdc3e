// The build pipeline from a loaded BPF object to a bundle held in memory:
//   select the program -> load-time checks -> verifier (hook) -> IR round trip
//   (lowerForTarget) -> the target's backend -> bundle (manifest, map images).
// Invariants it hands on: the backend sees one program, of a known type, whose helpers
// exist for that type; the bundle is complete and its manifest valid before anything
// is written (bundle.ts writes it).
import type { BpfObject } from "../../ir/bpf/object.js";
import { DiagnosticError, fail } from "../../ir/diag/diag.js";
import { liftProgram } from "../../ir/lift/lift.js";
import { DEFAULT_PIPELINE, runPasses } from "../../ir/passes/index.js";
import { validateModule } from "../../ir/core/validate.js";
import { compileModule } from "../bpf/codegen/index.js";
import { verify } from "../../verifier/verify.js";
import { checkOffload } from "../../offload-hooks/check.js";
import { listTargets, loadTarget, type TargetDescriptor } from "../../offload-hooks/descriptor.js";
import { checkHelpers } from "../../runtime/interp/run.js";
import type { CompileInput } from "./backend.js";
import type { MapEntry } from "../../runtime/maps/map.js";
import { findBackend, targetNames } from "../registry.js";
import { assembleBundle, type BundleFile } from "./bundle.js";
import { sha256Hex } from "./manifest.js";

export type ProgramType = CompileInput["programType"];

export interface BuildRequest {
  readonly object: BpfObject;
  /** The input file's name as the user gave it; the bundle records its base name only. */
  readonly file: string;
  /** The input file's bytes, for its SHA-256. */
  readonly bytes: Uint8Array;
  readonly target: string;
  /** Program by function or section name; required when the object has several. */
  readonly program?: string;
  readonly type?: ProgramType;
  /** The IR passes of the round trip, when the frontend wants other than DEFAULT_PIPELINE (P4: no mem2reg, see cli/load-p4.ts). */
  readonly passes?: readonly string[];
  /** Entries to write into the maps' images, by map name (a P4 program's table entries). */
  readonly mapEntries?: ReadonlyMap<string, readonly MapEntry[]>;
  /** A P4 program's tables for the control plane (CompileInput.controlPlane). */
  readonly controlPlane?: CompileInput["controlPlane"];
}

/**
 * The IR round trip: the program is lifted to IR, optimised (the default pipeline, plus
 * loop unrolling for a device without back edges), and compiled to BPF again, which is
 * what the backend then sees. Other programs of the object stay as they are.
 */
export function lowerForTarget(input: Omit<CompileInput, "module">, target?: TargetDescriptor, pipeline: readonly string[] = DEFAULT_PIPELINE): CompileInput {
  const prog = input.object.programs[input.program]!;
  const passes = target && !target.limits.back_edges ? ["unroll", ...pipeline] : pipeline;
  const module = runPasses(liftProgram(input.object, input.program, input.programType, input.source.name), passes);
  const invalid = validateModule(module);
  if (invalid.length) throw new DiagnosticError(invalid.map((d) => ({ ...d, severity: "bug" as const })));
  const compiled = compileModule(module, { name: prog.name, section: prog.section, mapInit: input.object.mapInit, license: input.object.license });
  const programs = input.object.programs.map((p, i) => (i === input.program ? compiled.programs[0]! : p));
  return { ...input, module, object: { ...input.object, programs }, lifted: input.object };
}

/** The offload check against the target's descriptor, when it has one. */
function checkTarget(input: CompileInput, target: TargetDescriptor | undefined): void {
  if (!target) return;
  const problems = checkOffload(input.object, input.program, input.programType, target);
  if (problems.length) throw new DiagnosticError(problems);
}

/**
 * The verifier, before code generation: nothing unsafe reaches a device. Run again on the
 * program the IR round trip produced, where a rejection is a compiler bug.
 */
function verifyProgram(object: BpfObject, program: number, type: ProgramType, stage: "input" | "compiled", file: string): void {
  const result = verify(object, program, { type });
  if (result.ok) return;
  const located = result.diagnostics.map((d) => ({ ...d, loc: { ...d.loc, file } }));
  if (stage === "input") throw new DiagnosticError(located);
  throw new DiagnosticError(located.map((d) => ({ ...d, severity: "bug" as const, notes: ["the program bpfoff compiled from a verified input fails the verifier", ...d.notes] })));
}

/**
 * The ELF section of a program that has none (assembler text): the section libbpf takes
 * as the program type, or "raw" for bpfoff's raw type, which has no kernel program type
 * (bpftool loads it with an explicit `type`).
 */
const SECTION_BY_TYPE: Readonly<Record<ProgramType, string>> = { xdp: "xdp", raw: "raw" };

/** The program type a section implies: XDP sections and assembler text (no section) are xdp, as for `bpfoff verify`. */
function typeOfSection(section: string): ProgramType | undefined {
  if (section === "") return "xdp";
  if (section === "xdp" || /^xdp[./]/.test(section)) return "xdp";
  return undefined;
}

function selectProgram(object: BpfObject, name: string | undefined, file: string): number {
  const names = object.programs.map((p) => p.name).join(", ");
  if (name === undefined) {
    if (object.programs.length === 1) return 0;
    return fail("build-program", { file }, [`${file} has ${object.programs.length} programs (${names}): choose one with --program`]);
  }
  const idx = object.programs.findIndex((p) => p.name === name || p.section === name);
  if (idx < 0) fail("build-program", { file }, [`no program named '${name}' in ${file} (it has: ${names})`]);
  return idx;
}

/** Runs the pipeline; returns the bundle's files, manifest.json first. Nothing is written. */
export function buildInMemory(req: BuildRequest): BundleFile[] {
  const backend = findBackend(req.target);
  if (!backend) return fail("build-target", {}, [req.target, targetNames().join(", ")]);
  const program = selectProgram(req.object, req.program, req.file);
  const section = req.object.programs[program]!.section;
  const programType = req.type ?? typeOfSection(section);
  if (!programType) return fail("build-program", { file: req.file }, [`cannot tell the program type of section '${section}': give --type xdp or --type raw`]);
  const name = req.file.split(/[\\/]/).pop()!;
  checkHelpers({ ...req.object, programs: [req.object.programs[program]!] }, programType);
  verifyProgram(req.object, program, programType, "input", req.file);
  const programs = req.object.programs.map((p, i) => (i === program && p.section === "" ? { ...p, section: SECTION_BY_TYPE[programType] } : p));
  const descriptor = listTargets().includes(req.target) ? loadTarget(req.target) : undefined;
  const input = lowerForTarget({ object: { ...req.object, programs }, program, programType, source: { name, sha256: sha256Hex(req.bytes) } }, descriptor, req.passes);
  verifyProgram(input.object, input.program, programType, "compiled", req.file);
  checkTarget(input, descriptor);
  return assembleBundle(backend, input, backend.compile({ ...input, ...(req.mapEntries ? { mapEntries: req.mapEntries } : {}), ...(req.controlPlane ? { controlPlane: req.controlPlane } : {}) }), req.mapEntries);
}
