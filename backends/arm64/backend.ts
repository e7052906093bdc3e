// The `arm64` target: AArch64 native code (docs/native.md), run under qemu-aarch64 with
// the runtime cross-compiled by aarch64-linux-gnu-gcc. The translator is jit.ts over the
// encoder of encode.ts; the rest is shared with x86_64 (backends/common/native-*.ts).
import { nativeBackend, type NativeTarget } from "../common/native-backend.js";
import { disassembleA64 } from "./disasm.js";
import { compileA64 } from "./jit.js";

/** EM_AARCH64 (System V gABI / Linux elf.h). */
const EM_AARCH64 = 183;

/** The translator and disassembler (also used directly by the tests and `bpfoff disasm`). */
export const arm64Target: NativeTarget = {
  name: "arm64",
  description: "native AArch64 machine code (AAPCS64): raw code blob, ELF relocatable object, C header for the ABI, listing; runs under qemu-aarch64",
  elfMachine: EM_AARCH64,
  translate: compileA64,
  disassemble: disassembleA64,
};

export const arm64Backend = nativeBackend(arm64Target);
