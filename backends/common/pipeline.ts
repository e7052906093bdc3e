// The build pipeline from a loaded BPF object to a bundle held in memory:
//   select the program -> load-time checks -> verifier (hook) -> IR round trip
//   (lowerForTarget) -> the target's backend -> bundle (manifest, map images).
// Invariants it hands on: the backend sees one program, of a known type, whose helpers
// exist for that type; the bundle is complete and its manifest valid before anything
// is written (bundle.ts writes it).
import type { BpfObject } from "../../ir/bpf/object.js";
import { fail } from "../../ir/diag/diag.js";
import { checkHelpers } from "../../runtime/interp/run.js";
import type { CompileInput } from "./backend.js";
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
}

/**
 * The IR round trip: lift to IR, run the passes, generate BPF for the target again. For
 * now the identity: the backends compile the verified BPF as it is.
 */
export function lowerForTarget(input: CompileInput): CompileInput {
  return input;
}

/**
 * The safety check before code generation (issue 4, verifier/).
 * TODO(issue 4): call verify(object, programIndex, { type }) from verifier/index.ts once
 * it exports it, and refuse the build with its diagnostics when the result is not ok.
 */
function verifyProgram(_object: BpfObject, _program: number, _type: ProgramType): void {
  // Hook: the verifier is being written; until then only checkHelpers() runs.
}

/**
 * The ELF section of a program that has none (assembler text): the section libbpf takes
 * as the program type, or "raw" for bpfoff's raw type, which has no kernel program type
 * (bpftool loads it with an explicit `type`).
 */
const SECTION_BY_TYPE: Readonly<Record<ProgramType, string>> = { xdp: "xdp", raw: "raw" };

/** The program type a section implies: XDP sections are xdp, assembler text (no section) is raw. */
function typeOfSection(section: string): ProgramType | undefined {
  if (section === "") return "raw";
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
  verifyProgram(req.object, program, programType);
  const programs = req.object.programs.map((p, i) => (i === program && p.section === "" ? { ...p, section: SECTION_BY_TYPE[programType] } : p));
  const input = lowerForTarget({ object: { ...req.object, programs }, program, programType, source: { name, sha256: sha256Hex(req.bytes) } });
  return assembleBundle(backend, input, backend.compile(input));
}
