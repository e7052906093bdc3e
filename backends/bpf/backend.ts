// The `bpf` target: a standard BPF ELF object that libbpf and bpftool load (prog.o, with
// BTF-defined maps, elf-writer.ts), its listing in bpfoff's assembler syntax (prog.s,
// re-assemblable when the program has no global data) and in llvm-objdump's syntax
// (prog.llvm.s), and the program's resource use as the kernel counts it.
// Until the IR code generator lands (backends/bpf/codegen/), it writes the verified
// input program as it is.
import type { Backend, CompileInput, CompileOutput } from "../common/backend.js";
import type { BpfObject, BpfProgram } from "../../ir/bpf/object.js";
import { formOf, isLddw } from "../../ir/bpf/insn.js";
import { printProgram } from "../../ir/bpf/print.js";
import { writeElf } from "./elf-writer.js";

/** The files of a bpf bundle, by role. */
export const BPF_FILES = { object: "prog.o", listing: "prog.s", llvmListing: "prog.llvm.s" } as const;

/** The license of an object that states none: what `bpfoff asm` writes by default, and what GPL-only helpers need. */
const DEFAULT_LICENSE = "GPL";

const FP = 10; // r10, the read-only frame pointer (RFC 9669 §2.1)

/**
 * Bytes of stack the deepest frame touches: accesses through r10, and through registers
 * set to r10 plus a constant (`mov rX, r10; add rX, -N`) within a function. Rounded up to
 * 8 as the kernel rounds each frame. A bound from the code, not the verifier's figure.
 */
export function stackBytes(program: BpfProgram): number {
  const starts = [...program.functions.keys(), 0];
  let deepest = 0;
  let frame = 0;
  let fpOffset = new Map<number, number>();
  const touch = (base: number, off: number) => {
    const at = base === FP ? 0 : fpOffset.get(base);
    if (at !== undefined && at + off < 0) frame = Math.max(frame, -(at + off));
  };
  for (let i = 0; i < program.slots.length; i++) {
    if (starts.includes(i) && i > 0) {
      deepest = Math.max(deepest, frame);
      frame = 0;
      fpOffset = new Map();
    }
    const s = program.slots[i]!;
    const f = formOf(s);
    if (isLddw(s)) {
      fpOffset.delete(s.dst);
      i++;
      continue;
    }
    if (!f) continue;
    switch (f.shape) {
      case "ldx":
        touch(s.src, s.off);
        fpOffset.delete(s.dst);
        break;
      case "st":
      case "stx":
      case "atomic":
        touch(s.dst, s.off);
        if (f.shape === "atomic") fpOffset.delete(0); // cmpxchg writes r0; fetch forms write src
        if (f.shape === "atomic") fpOffset.delete(s.src);
        break;
      case "alu_reg":
        if (f.mnemonic === "mov" && (s.src === FP || fpOffset.has(s.src))) fpOffset.set(s.dst, s.src === FP ? 0 : fpOffset.get(s.src)!);
        else fpOffset.delete(s.dst);
        break;
      case "alu_imm": {
        const at = fpOffset.get(s.dst);
        if (at !== undefined && (f.mnemonic === "add" || f.mnemonic === "sub")) {
          const next = at + (f.mnemonic === "add" ? s.imm : -s.imm);
          fpOffset.set(s.dst, next);
          if (next < 0) frame = Math.max(frame, -next);
        } else fpOffset.delete(s.dst);
        break;
      }
      case "call":
      case "callx":
        for (const r of [0, 1, 2, 3, 4, 5]) fpOffset.delete(r); // caller-saved registers
        break;
      case "unary":
      case "movsx":
      case "end":
        fpOffset.delete(s.dst);
        break;
      case "ldabs":
      case "ldind":
        fpOffset.delete(0); // legacy packet loads write r0
        break;
      default:
        break; // jumps and exit write no register
    }
  }
  deepest = Math.max(deepest, frame);
  return Math.ceil(deepest / 8) * 8;
}

/** Helper numbers the program calls (src 0 calls), sorted. */
function helpersUsed(program: BpfProgram): number[] {
  const ids = new Set<number>();
  program.slots.forEach((s, i) => {
    if (i > 0 && isLddw(program.slots[i - 1]!)) return;
    if (formOf(s)?.shape === "call" && s.src === 0) ids.add(s.imm);
  });
  return [...ids].sort((a, b) => a - b);
}

/** The .map directives that let prog.s re-assemble; global data is only described. */
function mapDirectives(object: BpfObject): string[] {
  return object.maps.map((m) =>
    object.mapInit.has(m.name)
      ? `# global data ${m.name}: ${m.valueSize} bytes (not re-assemblable: the assembler has no data sections)`
      : `.map ${m.name} ${m.kind} key=${m.keySize} value=${m.valueSize} entries=${m.maxEntries}${m.flags ? ` flags=${m.flags}` : ""}`,
  );
}

export const bpfBackend: Backend = {
  name: "bpf",
  description: "standard BPF ELF object (libbpf/bpftool load it) with BTF-defined maps, and its listings",
  compile(input: CompileInput): CompileOutput {
    const program = input.object.programs[input.program]!;
    const section = program.section;
    const object: BpfObject = { ...input.object, programs: [program], license: input.object.license || DEFAULT_LICENSE };
    const mapNames = object.maps.map((m) => m.name);
    const header = [`# bpfoff: program ${program.name} (section ${section}, type ${input.programType}), ${program.slots.length} instructions`, ...mapDirectives(object)];
    const listing = header.join("\n") + "\n" + printProgram(program.slots, { syntax: "ubpf", mapNames, functions: program.functions });
    const llvmListing = printProgram(program.slots, { syntax: "llvm", mapNames, functions: program.functions });
    return {
      files: [
        [BPF_FILES.object, writeElf(object, { kernelLoadable: true })],
        [BPF_FILES.listing, listing],
        [BPF_FILES.llvmListing, llvmListing],
      ],
      manifest: {
        entry_points: [{ name: program.name, file: BPF_FILES.object, section, symbol: program.name, offset: 0 }],
        resources: {
          instructions: program.slots.length,
          stack_bytes: stackBytes(program),
          subprograms: [...program.functions.keys()].filter((k) => k > 0).length,
          helpers: helpersUsed(program),
          maps: object.maps.length,
        },
      },
    };
  },
};
