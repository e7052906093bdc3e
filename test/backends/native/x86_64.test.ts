// x86-64 native code against the reference interpreter (test/backends/native/suite.ts):
// the conformance suite and generated programs, run on the host.
// requires: gcc (the runtime is compiled at first use), an x86-64 host
import { arch } from "node:os";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { x86_64Backend } from "../../../backends/x86_64/backend.js";
import { disassembleX64 } from "../../../backends/x86_64/disasm.js";
import { compileX64 } from "../../../backends/x86_64/jit.js";
import { nativeSuite } from "./suite.js";

const ready = requireOrSkip("gcc", hasTool("gcc"), "gcc is not installed (apt-get install gcc)") && requireOrSkip("x86-64 host", arch() === "x64", `the host is ${arch()}, not x86-64`);

nativeSuite({ name: "x86_64", description: x86_64Backend.description, elfMachine: 62, translate: compileX64, disassemble: disassembleX64 }, ready, 150);
