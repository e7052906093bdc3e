// AArch64 native code against the reference interpreter (test/backends/native/suite.ts):
// the conformance suite and generated programs, under qemu-aarch64 with the runtime
// cross-compiled by aarch64-linux-gnu-gcc.
// requires: aarch64-linux-gnu-gcc, qemu-aarch64
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { arm64Backend } from "../../../backends/arm64/backend.js";
import { disassembleA64 } from "../../../backends/arm64/disasm.js";
import { compileA64 } from "../../../backends/arm64/jit.js";
import { nativeSuite } from "./suite.js";

const ready = requireOrSkip("aarch64-linux-gnu-gcc", hasTool("aarch64-linux-gnu-gcc"), "apt-get install gcc-aarch64-linux-gnu") && requireOrSkip("qemu-aarch64", hasTool("qemu-aarch64"), "apt-get install qemu-user");

nativeSuite({ name: "arm64", description: arm64Backend.description, elfMachine: 183, translate: compileA64, disassemble: disassembleA64 }, ready, 100);
