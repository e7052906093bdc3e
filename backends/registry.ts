// The target registry (STYLE.md §2): --target name -> Backend. The CLI knows targets only
// through this table; adding a target is adding a folder under backends/ and a row here.
import type { Backend } from "./common/backend.js";
import { bpfBackend } from "./bpf/backend.js";
import { fpgaBackend } from "./fpga/backend.js";
import { x86_64Backend } from "./x86_64/backend.js";
import { arm64Backend } from "./arm64/backend.js";
import { npuBackend } from "./npu/backend.js";
import { asicBackend, asicSmallBackend } from "./asic/backend.js";

export const BACKENDS: readonly Backend[] = [
  bpfBackend, // standard BPF ELF object: the kernel, libbpf and every BPF offload NIC load it
  fpgaBackend, // bpfoff's Verilog BPF engine: RTL, ROM image, wrapper and Verilator testbench
  x86_64Backend, // native x86-64 code with the C runtime of runtime/native
  arm64Backend, // native AArch64 code, the same runtime cross-compiled, under qemu-aarch64
  npuBackend, // bpfoff's network-processor micro-engine: microcode image, listing, cycle-level simulator
  asicBackend, // a match-action pipeline (RMT/Tofino proportions): parser, PHV, stage configs, table images, behavioural model
  asicSmallBackend, // the same pipeline cut to 3 small stages: exercises the fit errors
];

export function findBackend(name: string): Backend | undefined {
  return BACKENDS.find((b) => b.name === name);
}

export function targetNames(): string[] {
  return BACKENDS.map((b) => b.name);
}
