// The offload check: before code generation, a program is held against its target's
// descriptor, and every construct the device lacks is named with its instruction index,
// so that nothing unsupported is ever computed wrong on a device.
import { diag, type Diagnostic } from "../ir/diag/diag.js";
import { branchTarget, formOf, isLddw } from "../ir/bpf/insn.js";
import type { BpfObject } from "../ir/bpf/object.js";
import { HELPERS_BY_ID } from "../runtime/helpers/table.js";
import type { TargetDescriptor } from "./descriptor.js";

/** Every reason the program cannot run on the target; empty when it can. */
export function checkOffload(object: BpfObject, program: number, type: "xdp" | "raw", target: TargetDescriptor): Diagnostic[] {
  const out: Diagnostic[] = [];
  const t = target.name;
  const prog = object.programs[program]!;
  const no = (insn: number | undefined, what: string) => out.push(diag("offload-unsupported", insn === undefined ? {} : { insn }, [t, what]));
  if (!target.program_types.includes(type)) no(undefined, `the ${type} program type`);
  if (prog.slots.length > target.limits.max_instructions) no(undefined, `${prog.slots.length} instructions (the limit is ${target.limits.max_instructions})`);
  let lowestStack = 0;
  for (let i = 0; i < prog.slots.length; i++) {
    const s = prog.slots[i]!;
    const f = formOf(s);
    if (!f) continue;
    if (!target.isa.groups.includes(f.group)) no(i, `${f.mnemonic} (instruction group ${f.group})`);
    else if (target.isa.unsupported_mnemonics?.includes(f.mnemonic)) no(i, f.mnemonic);
    if (f.shape === "call" && f.fixed.src === 0) {
      const h = HELPERS_BY_ID.get(s.imm);
      const name = h ? `${h.name} (${s.imm})` : `${s.imm}`;
      if (s.imm === 12 && !target.calls.tail_calls) no(i, "tail calls (bpf_tail_call)");
      else if (!target.helpers.includes(s.imm)) no(i, `helper ${name}`);
    }
    if (f.shape === "call" && f.fixed.src === 1 && !target.calls.local) no(i, "bpf-to-bpf calls");
    if (f.shape === "callx" && !target.calls.callx) no(i, "callx (indirect calls)");
    const to = branchTarget(i, s, f);
    if (to !== undefined && to <= i && f.shape !== "call" && !target.limits.back_edges) no(i, `a backward jump to instruction ${to} (loops must be unrolled for this target)`);
    // Stack use by r10-relative accesses (the verifier bounds the rest).
    if ((f.shape === "ldx" && s.src === 10) || ((f.shape === "st" || f.shape === "stx" || f.shape === "atomic") && s.dst === 10)) lowestStack = Math.min(lowestStack, s.off);
    if (isLddw(s)) i++;
  }
  if (-lowestStack > target.limits.stack_bytes) no(undefined, `${-lowestStack} bytes of stack (the device has ${target.limits.stack_bytes})`);
  let total = 0;
  object.maps.forEach((m) => {
    const what = `map '${m.name}'`;
    if (!target.maps.kinds.includes(m.kind)) no(undefined, `${what} of kind ${m.kind}`);
    if (m.maxEntries > target.maps.max_entries) no(undefined, `${what} with ${m.maxEntries} entries (at most ${target.maps.max_entries})`);
    if (m.keySize > target.maps.max_key_size) no(undefined, `${what} with ${m.keySize}-byte keys (at most ${target.maps.max_key_size})`);
    if (m.valueSize > target.maps.max_value_size) no(undefined, `${what} with ${m.valueSize}-byte values (at most ${target.maps.max_value_size})`);
    total += m.maxEntries * (m.keySize + m.valueSize);
  });
  if (total > target.maps.max_total_bytes) no(undefined, `${total} bytes of map memory (the device has ${target.maps.max_total_bytes})`);
  return out;
}
