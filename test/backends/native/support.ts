// Shared by the native-code tests (x86_64 on the host, arm64 under qemu-user): one
// program, every engine (STYLE.md §7): the conformance suite, generated programs and
// the examples, each run natively and by the reference interpreter and compared.
import { DiagnosticError } from "../../../ir/diag/diag.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { checkOffload } from "../../../offload-hooks/check.js";
import { loadTarget } from "../../../offload-hooks/descriptor.js";
import type { NativeTarget } from "../../../backends/common/native-backend.js";
import { NATIVE_ARCHES, runNative, type NativeResult } from "../../../backends/common/native-run.js";
import { instantiateMaps } from "../../../runtime/interp/run.js";
import { FAULT } from "../../../backends/common/native-abi.js";

/** The interpreter's diagnostic for each native fault kind. */
const FAULT_DIAG: Readonly<Record<number, string>> = {
  [FAULT.mem]: "run-mem", [FAULT.depth]: "run-depth", [FAULT.fellOff]: "run-fell-off", [FAULT.readonly]: "run-readonly", [FAULT.helper]: "run-helper-fail",
};

export type Outcome =
  | { readonly kind: "refused"; readonly why: string }
  | { readonly kind: "done"; readonly r0: bigint; readonly mem: string; readonly maps: string }
  | { readonly kind: "error"; readonly code: string; readonly insn: number | undefined };

/** Offload check, translation and a native run of a raw program; refusals are outcomes too. */
export function runNativeRaw(target: NativeTarget, object: BpfObject, mem: Uint8Array | undefined): Outcome {
  const problems = checkOffload(object, 0, "raw", loadTarget(target.name));
  if (problems.length) return { kind: "refused", why: problems[0]!.message };
  let code: Uint8Array;
  try {
    code = target.translate(object, 0, "raw").code;
  } catch (e) {
    if (e instanceof DiagnosticError) return { kind: "refused", why: e.diagnostics[0]!.message };
    throw e;
  }
  const maps = instantiateMaps(object);
  const r: NativeResult = runNative(NATIVE_ARCHES[target.name], { code, maps, raw: { mem } });
  if (r.fault) return { kind: "error", code: FAULT_DIAG[r.fault.kind] ?? `fault ${r.fault.kind}`, insn: r.fault.pc };
  return { kind: "done", r0: r.r0, mem: Buffer.from(r.mem ?? []).toString("hex"), maps: formatMapsState(maps) };
}

export function expected(object: BpfObject, mem: Uint8Array | undefined): Outcome {
  const maps = instantiateMaps(object);
  try {
    const r = runRaw(object, mem, { maps });
    return { kind: "done", r0: r.r0, mem: Buffer.from(r.mem).toString("hex"), maps: formatMapsState(maps) };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const d = e.diagnostics[0]!;
    return { kind: "error", code: d.code, insn: d.loc.insn };
  }
}

import { nativeBackend } from "../../../backends/common/native-backend.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { runRaw, runXdp } from "../../../runtime/interp/run.js";
import { formatMapsState } from "../../../runtime/maps/state.js";

export type XdpOutcome =
  | { readonly kind: "refused"; readonly why: string }
  | { readonly kind: "done"; readonly packets: readonly string[]; readonly maps: string }
  | { readonly kind: "error"; readonly code: string; readonly insn: number | undefined };

function xdpError(e: unknown): XdpOutcome {
  if (!(e instanceof DiagnosticError)) throw e;
  const d = e.diagnostics[0]!;
  // A runner that crashed or hung is a failure whatever the program: native code must fault, not crash.
  if (d.code === "run-native-tool" || d.code === "run-native-timeout") throw e;
  return d.code === "offload-unsupported" ? { kind: "refused", why: d.message } : { kind: "error", code: d.code, insn: d.loc.insn };
}

/** An XDP program over frames on a native target: verdicts, packets and final maps. */
export function runNativeXdp(target: NativeTarget, object: BpfObject, frames: readonly Uint8Array[]): XdpOutcome {
  const maps = instantiateMaps(object);
  try {
    const r = nativeBackend(target).runXdp!({ object, program: 0, frames, ifindex: 1, maxSteps: 1e7, maps });
    return { kind: "done", packets: r.packets.map((p) => `r0=${p.r0} ${Buffer.from(p.packet).toString("hex")} ${p.redirect?.ifindex ?? "-"}`), maps: formatMapsState(maps) };
  } catch (e) {
    return xdpError(e);
  }
}

/** The same on the interpreter. */
export function expectedXdp(object: BpfObject, frames: readonly Uint8Array[]): XdpOutcome {
  const maps = instantiateMaps(object);
  const host = newHostState();
  try {
    const packets = frames.map((f) => {
      const r = runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
      return `r0=${r.r0} ${Buffer.from(r.packet).toString("hex")} ${r.redirect?.ifindex ?? "-"}`;
    });
    return { kind: "done", packets, maps: formatMapsState(maps) };
  } catch (e) {
    return xdpError(e);
  }
}
