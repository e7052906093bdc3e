// Shared by the FPGA engine tests: loading conformance cases, running the interpreter
// for the same program, and the interpreter's answer in the engine's terms.
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { decodeProgram } from "../../../ir/bpf/codec.js";
import type { Insn } from "../../../ir/bpf/insn.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { runRaw } from "../../../runtime/interp/run.js";
import type { ConformanceCase } from "../../support/conformance.js";

export function loadConformance(c: ConformanceCase): BpfObject {
  if (c.asm !== undefined) return assemble(c.asm, c.file);
  if (!c.raw) throw new Error(`${c.name}: no asm or raw section`);
  const slots = decodeProgram(c.raw, c.file);
  return { programs: [{ name: "main", section: "", slots, functions: new Map() }], maps: [], mapInit: new Map(), license: "" };
}

export function objectOf(slots: readonly Insn[]): BpfObject {
  return { programs: [{ name: "main", section: "", slots, functions: new Map() }], maps: [], mapInit: new Map(), license: "" };
}

export function slotsOf(asm: string, file = "test.s"): readonly Insn[] {
  return assemble(asm, file).programs[0]!.slots;
}

/** What the reference interpreter makes of a raw program: a result, or an error at an instruction. */
export type Reference =
  | { readonly kind: "done"; readonly r0: bigint; readonly steps: number; readonly mem: Uint8Array }
  | { readonly kind: "error"; readonly code: string; readonly insn: number | undefined };

export function reference(object: BpfObject, mem: Uint8Array | undefined): Reference {
  try {
    const r = runRaw(object, mem);
    return { kind: "done", r0: r.r0, steps: r.steps, mem: r.mem };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const d = e.diagnostics[0]!;
    return { kind: "error", code: d.code, insn: d.loc.insn };
  }
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
