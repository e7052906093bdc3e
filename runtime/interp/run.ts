// Running a loaded object: the two program types of the CLI contract.
//   raw: r1 = a copy of the input memory, r2 = its length (the conformance suite's model);
//   xdp: r1 = struct xdp_md over one packet, map state carried from run to run by the caller.
import type { BpfObject } from "../../ir/bpf/object.js";
import { diag, DiagnosticError, fail, type Diagnostic } from "../../ir/diag/diag.js";
import { isLddw } from "../../ir/bpf/insn.js";
import { HELPERS_BY_ID } from "../helpers/table.js";
import { createMap } from "../maps/index.js";
import type { BpfMap } from "../maps/map.js";
import { newHostState, type HostState, type Redirect } from "../helpers/env.js";
import { execute, type PreparedObject } from "./interpreter.js";
import { AddressSpace } from "./memory.js";
import { createXdpContext, createXdpPacket, packetBytes, verdictName, type XdpMeta, type XdpVerdict } from "./xdp.js";

const CALL_OPCODE = 0x85;

/** One live map per definition of the object, global data maps filled with their initial bytes. */
export function instantiateMaps(object: BpfObject): BpfMap[] {
  return object.maps.map((def) => {
    const init = object.mapInit.get(def.name);
    const map = createMap(def);
    if (init) {
      const key = new Uint8Array(def.keySize);
      const rc = map.update(key, init, 0);
      if (rc !== 0) fail("map-op", {}, [`cannot initialise ${def.name}: error ${rc}`]);
    }
    return map;
  });
}

/**
 * Load-time checks the kernel makes too: every helper a program calls by number exists,
 * and the program type may call it. (callx targets are only known at run time.)
 */
export function checkHelpers(object: BpfObject, programType: "raw" | "xdp"): void {
  const problems: Diagnostic[] = [];
  for (const prog of object.programs) {
    prog.slots.forEach((s, i) => {
      if (s.opcode !== CALL_OPCODE || s.src !== 0) return;
      if (i > 0 && isLddw(prog.slots[i - 1]!)) return; // the second slot of an lddw
      const helper = HELPERS_BY_ID.get(s.imm);
      const loc = { insn: i };
      if (!helper) problems.push(diag("run-helper", loc, [s.imm], [`in program ${prog.name}`]));
      else if (helper.xdpOnly && programType !== "xdp") problems.push(diag("run-helper-fail", loc, [helper.name, "only XDP programs may call it"], [`in program ${prog.name}`]));
    });
  }
  if (problems.length) throw new DiagnosticError(problems);
}

/** Index of the program named `name`, or of the first program when no name is given. */
export function programIndex(object: BpfObject, name?: string): number {
  if (name === undefined) return 0;
  const idx = object.programs.findIndex((p) => p.name === name || p.section === name);
  if (idx < 0) fail("cli-usage", {}, [`no program named '${name}' (the object has: ${object.programs.map((p) => p.name).join(", ")})`]);
  return idx;
}

export interface RunOptions {
  readonly program?: number;
  /** prepareObject(object), made once for many runs of the same object. */
  readonly prepared?: PreparedObject;
  readonly maps?: readonly BpfMap[];
  readonly host?: HostState;
  readonly maxSteps?: number;
}

export interface RawResult {
  readonly r0: bigint;
  readonly steps: number;
  /** The input memory as the program left it. */
  readonly mem: Uint8Array;
}

export function runRaw(object: BpfObject, mem: Uint8Array | undefined, opts: RunOptions = {}): RawResult {
  checkHelpers(object, "raw");
  const space = new AddressSpace();
  const copy = mem ? mem.slice() : new Uint8Array(0);
  const region = mem ? space.add("input memory", copy, true) : undefined;
  const result = execute({
    object, program: opts.program ?? 0, maps: opts.maps ?? instantiateMaps(object), host: opts.host ?? newHostState(),
    space, r1: region ? region.base : 0n, r2: BigInt(copy.length), maxSteps: opts.maxSteps, prepared: opts.prepared,
  });
  return { r0: result.r0, steps: result.steps, mem: copy };
}

export interface XdpResult {
  readonly r0: bigint;
  readonly verdict: XdpVerdict;
  readonly packet: Uint8Array;
  readonly redirect?: Redirect;
  readonly steps: number;
}

/** One XDP run. Callers check the object once with checkHelpers(object, "xdp") before their first run. */
export function runXdp(object: BpfObject, frame: Uint8Array, maps: readonly BpfMap[], host: HostState, meta: XdpMeta, opts: RunOptions = {}): XdpResult {
  const space = new AddressSpace();
  const pkt = createXdpPacket(space, frame);
  const ctx = createXdpContext(space, pkt, meta);
  const result = execute({ object, program: opts.program ?? 0, maps, host, space, r1: ctx.base, r2: 0n, xdp: pkt, maxSteps: opts.maxSteps, prepared: opts.prepared });
  const verdict = verdictName(result.r0);
  return { r0: result.r0, verdict, packet: packetBytes(pkt), redirect: verdict === "XDP_REDIRECT" ? result.redirect : undefined, steps: result.steps };
}
