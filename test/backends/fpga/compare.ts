// Differential runs against the reference interpreter, shared by the FPGA engine tests:
// map programs through fpgaBackend.runRaw from the same initial maps (r0 and the final
// maps, formatMapsState, equal, or the same fault at the same instruction), and raw
// engine cases run by runEngine (expectSameAsInterpreter).
import { expect } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { DEFAULT_LANES, ENGINE_ERRORS, type EngineCase, type EngineResult } from "../../../backends/fpga/sim.js";
import { hex, objectOf, reference } from "./support.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { runRaw } from "../../../runtime/interp/run.js";
import type { BpfMap } from "../../../runtime/maps/map.js";
import { formatMapsState } from "../../../runtime/maps/state.js";

export type Outcome = { kind: "done"; r0: bigint; maps: string; mem?: string } | { kind: "error"; insn: number | undefined; codes: readonly string[] };

function catching(fn: () => Outcome, engine: boolean): Outcome {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const d = e.diagnostics[0]!;
    if (!engine) return { kind: "error", insn: d.loc.insn, codes: [d.code] };
    expect(d.code).toBe("run-engine-fault");
    const errCode = Number(/engine error (\d+)/.exec(d.message)![1]);
    return { kind: "error", insn: d.loc.insn, codes: ENGINE_ERRORS[errCode]!.diags };
  }
}

export function compareRaw(src: string, mem: Uint8Array | undefined, seed: (o: BpfObject) => BpfMap[]): Outcome {
  const object = assemble(src, "t.s");
  const ref = catching(() => {
    const maps = seed(object);
    const r = runRaw(object, mem, { maps });
    return { kind: "done", r0: r.r0, maps: formatMapsState(maps) };
  }, false);
  const got = catching(() => {
    const maps = seed(object);
    const r = fpgaBackend.runRaw!({ object, program: 0, mem, maxSteps: 100_000, maps });
    return { kind: "done", r0: r.r0, maps: formatMapsState(maps) };
  }, true);
  if (ref.kind === "error" && got.kind === "error") {
    expect(got.insn).toBe(ref.insn);
    expect(got.codes).toContain(ref.codes[0]);
  } else {
    expect(got).toEqual(ref);
  }
  return ref;
}

/**
 * A raw engine case against the interpreter: status, r0, the memory after and retired =
 * interpreter steps; or the same fault (a diagnostic the engine's code stands for) at the
 * same instruction index.
 */
export function expectSameAsInterpreter(c: EngineCase, got: EngineResult, opts: { lanes?: number } = {}): void {
  const want = reference(objectOf(c.slots), c.mem);
  if (want.kind === "error") {
    const diag = ENGINE_ERRORS[got.errCode]?.diags.includes(want.code) ? want.code : `engine error ${got.errCode}`;
    expect({ status: got.status, diag, pc: got.faultPc }, c.name).toEqual({ status: "error", diag: want.code, pc: want.insn });
    return;
  }
  // On several lanes the scheduler hoists operations above conditional jumps (their results
  // dead where the jump goes: docs/fpga-engine.md, "Scheduling"); they retire on the taken
  // path too, so the engine's count is at least the interpreter's there, equal on one lane.
  const exact = (opts.lanes ?? DEFAULT_LANES) === 1;
  const retired = exact || got.retired < want.steps ? got.retired : want.steps;
  expect({ status: got.status, r0: "0x" + got.r0.toString(16), mem: hex(got.mem), retired }, c.name)
    .toEqual({ status: "done", r0: "0x" + want.r0.toString(16), mem: hex(want.mem), retired: want.steps });
}
