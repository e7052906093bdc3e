// Differential runs against the reference interpreter, shared by the FPGA engine tests:
// map programs through fpgaBackend.runRaw from the same initial maps (r0 and the final
// maps, formatMapsState, equal, or the same fault at the same instruction), raw
// engine cases run by runEngine (expectSameAsInterpreter), and scripts of XDP packets and
// host map commands against runXdp and the map API (compareScript).
import { expect } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { mapLayout, mapsFile, storeMapMemory } from "../../../backends/fpga/maps.js";
import { DEFAULT_LANES, ENGINE_ERRORS, runEngine, type EngineCase, type EngineModel, type EngineResult, type MapCommand, type MapCommandResult } from "../../../backends/fpga/sim.js";
import { hex, objectOf, reference } from "./support.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runRaw, runXdp } from "../../../runtime/interp/run.js";
import { isTcam, type BpfMap } from "../../../runtime/maps/map.js";
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

/** What a host map command gives, in the map API's terms: the value found (hex) or nothing, or the return code. */
export type MapAnswer = { found: string | undefined } | { rc: number };

/**
 * The interpreter's map API for a command: lookup/update/delete (BpfMap), and on a TCAM
 * with the entry's mask and priority, insert/remove (TcamMap), as `bpfoff map` does.
 */
export function mapApiAnswer(maps: readonly BpfMap[], c: MapCommand): MapAnswer {
  const m = maps[c.map]!;
  if (c.op === "lookup") {
    const v = m.lookup(c.key);
    return { found: v && hex(v) };
  }
  if (isTcam(m) && c.tcam) {
    return { rc: c.op === "update" ? m.insert(c.key, c.tcam.mask, c.tcam.priority, c.value!, c.flags ?? 0) : m.remove(c.key, c.tcam.mask, c.tcam.priority) };
  }
  return { rc: c.op === "update" ? m.update(c.key, c.value!, c.flags ?? 0) : m.delete(c.key) };
}

/** The engine's answer to a command, in the same terms (the command must have completed). */
export function engineMapAnswer(c: MapCommand, r: MapCommandResult): MapAnswer {
  expect(r.status).toBe("done");
  if (c.op === "lookup") return { found: r.r0 === 0n ? undefined : hex(r.value!) };
  return { rc: Number(BigInt.asIntN(64, r.r0)) };
}

/** Packets of an XDP stream, or host map commands between them. */
export type ScriptStep = { readonly frames: readonly Uint8Array[] } | { readonly commands: readonly MapCommand[] };

/**
 * A script of packets (runXdp, ingress ifindex 1) and map commands (the map API) on the
 * interpreter, and the same as one engine batch without a reset between its cases (the
 * frames through the receive stream): every verdict and frame, every command's answer,
 * and the final maps (formatMapsState) equal. The maps start as `seed` makes them.
 */
export function compareScript(model: EngineModel, object: BpfObject, script: readonly ScriptStep[], seed: (o: BpfObject) => BpfMap[]): void {
  const layout = mapLayout(object.maps);
  const maps = seed(object);
  const host = newHostState();
  const want: unknown[] = [];
  for (const step of script) {
    if ("frames" in step) for (const f of step.frames) {
      const r = runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
      want.push({ r0: r.r0, packet: hex(r.packet) });
    } else for (const c of step.commands) want.push(mapApiAnswer(maps, c));
  }
  const slots = object.programs[0]!.slots;
  const cases: EngineCase[] = [];
  for (const step of script) {
    // the first case loads the maps; the rest keep what the case before left
    const first = () => (cases.length === 0 ? { maps: mapsFile(layout, seed(object)) } : {});
    if ("frames" in step) for (const f of step.frames) cases.push({ name: `p${cases.length}`, slots, mem: f, xdp: { ifindex: 1, keepState: cases.length > 0, stream: true }, ...first() });
    else cases.push({ name: `c${cases.length}`, slots: [], control: { commands: step.commands, keepState: cases.length > 0 }, ...first() });
  }
  if (cases.length === 0) return;
  cases[cases.length - 1] = { ...cases[cases.length - 1]!, mapBytes: layout.bytes };
  const results = runEngine(model, cases);
  const got: unknown[] = [];
  results.forEach((r, i) => {
    const c = cases[i]!;
    if (c.control) c.control.commands.forEach((cmd, j) => got.push(engineMapAnswer(cmd, r.control![j]!)));
    else {
      expect(r.status, c.name).toBe("done");
      got.push({ r0: r.r0, packet: hex(r.mem) });
    }
  });
  expect(got).toEqual(want);
  const live = instantiateMaps(object);
  storeMapMemory(layout, results[results.length - 1]!.maps!, live);
  expect(formatMapsState(live)).toBe(formatMapsState(maps));
}
