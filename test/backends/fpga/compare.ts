// Differential runs of map programs: the reference interpreter and the FPGA engine (through
// fpgaBackend.runRaw) from the same initial maps; r0 and the final maps (formatMapsState)
// must be equal, or both must fault at the same instruction with corresponding codes.
import { expect } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { ENGINE_ERRORS } from "../../../backends/fpga/sim.js";
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

