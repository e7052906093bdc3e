// Shared by the NPU tests: a raw program through the whole NPU path (offload check, IR,
// microcode, simulator), answering in the interpreter's terms.
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { checkOffload } from "../../../offload-hooks/check.js";
import { compileForNpu, moduleOf, npuDescriptor, simulate } from "../../../backends/npu/backend.js";
import type { CodegenOptions } from "../../../backends/npu/codegen/index.js";
import { instantiateMaps } from "../../../runtime/interp/run.js";

export type NpuOutcome =
  | { readonly kind: "done"; readonly r0: bigint; readonly mem: Uint8Array; readonly cycles: number; readonly words: number }
  | { readonly kind: "refused"; readonly codes: readonly string[]; readonly messages: readonly string[] }
  | { readonly kind: "error"; readonly code: string; readonly message: string };

/** Loaded once: validating a descriptor compiles its schema, which costs more than a small program's whole run. */
const descriptor = npuDescriptor();

export function runOnNpu(object: BpfObject, mem: Uint8Array | undefined, opts: CodegenOptions = {}): NpuOutcome {
  const d = descriptor;
  const problems = checkOffload(object, 0, "raw", d);
  if (problems.length) return { kind: "refused", codes: problems.map((p) => p.code), messages: problems.map((p) => p.message) };
  let code;
  try {
    code = compileForNpu(moduleOf(object, 0, "raw"), d, opts);
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return { kind: "refused", codes: e.diagnostics.map((p) => p.code), messages: e.diagnostics.map((p) => p.message) };
  }
  try {
    const run = simulate(code.words, instantiateMaps(object), [{ kind: "raw", mem }], d, { engines: 1, threads: 1, maxCycles: 50_000_000 });
    const r = run.results[0]!;
    return { kind: "done", r0: r.r0, mem: r.data, cycles: r.latency, words: code.words.length };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return { kind: "error", code: e.diagnostics[0]!.code, message: e.diagnostics[0]!.message };
  }
}
