// The `x86_64` target: native code for the host (docs/native.md). The translator is
// jit.ts over the encoder of encode.ts; running, bundles and the runtime are shared with
// arm64 (backends/common/native-*.ts, runtime/native).
import { nativeBackend, type NativeTarget } from "../common/native-backend.js";
import { disassembleX64 } from "./disasm.js";
import { compileX64 } from "./jit.js";

/** EM_X86_64 (System V gABI / Linux elf.h). */
const EM_X86_64 = 62;

/** The translator and disassembler (also used directly by the tests and `bpfoff disasm`). */
export const x86_64Target: NativeTarget = {
  name: "x86_64",
  description: "native x86-64 machine code (System V AMD64): raw code blob, ELF relocatable object, C header for the ABI, listing",
  elfMachine: EM_X86_64,
  translate: compileX64,
  disassemble: disassembleX64,
};

export const x86_64Backend = nativeBackend(x86_64Target);
