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
import { reference, type Reference } from "../fpga/support.js";

/** The interpreter's diagnostic for each native fault kind. */
const FAULT_DIAG: Readonly<Record<number, string>> = {
  [FAULT.mem]: "run-mem", [FAULT.depth]: "run-depth", [FAULT.fellOff]: "run-fell-off", [FAULT.readonly]: "run-readonly", [FAULT.helper]: "run-helper-fail",
};

export type Outcome =
  | { readonly kind: "refused"; readonly why: string }
  | { readonly kind: "done"; readonly r0: bigint; readonly mem: string }
  | { readonly kind: "error"; readonly code: string; readonly insn: number | undefined };

/** Offload check, translation and a native run of a raw program; refusals are outcomes too. */
export function runNativeRaw(target: NativeTarget, object: BpfObject, mem: Uint8Array | undefined): Outcome {
  const problems = checkOffload(object, 0, "raw", loadTarget(target.name));
  if (problems.length) return { kind: "refused", why: problems[0]!.message };
  let code: Uint8Array;
  try {
    code = target.translate(object, 0).code;
  } catch (e) {
    if (e instanceof DiagnosticError) return { kind: "refused", why: e.diagnostics[0]!.message };
    throw e;
  }
  const r: NativeResult = runNative(NATIVE_ARCHES[target.name], { code, maps: instantiateMaps(object), raw: { mem } });
  if (r.fault) return { kind: "error", code: FAULT_DIAG[r.fault.kind] ?? `fault ${r.fault.kind}`, insn: r.fault.pc };
  return { kind: "done", r0: r.r0, mem: Buffer.from(r.mem ?? []).toString("hex") };
}

export function expected(object: BpfObject, mem: Uint8Array | undefined): Outcome {
  const want: Reference = reference(object, mem);
  if (want.kind === "error") return { kind: "error", code: want.code, insn: want.insn };
  return { kind: "done", r0: want.r0, mem: Buffer.from(want.mem).toString("hex") };
}
