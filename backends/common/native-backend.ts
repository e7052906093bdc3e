// What the two native targets (x86_64, arm64) share: the offload check against their
// descriptor, running generated code through runtime/native (native-run.ts), and the
// bundle files (code blob, ELF relocatable object, C header, listing). Each target
// supplies its translator (backends/<arch>/jit.ts) and its ELF machine number.
import type { Backend, CompileInput, CompileOutput, RawRunRequest, RawRunResult, XdpRunRequest, XdpRunResult } from "./backend.js";
import { DiagnosticError, fail } from "../../ir/diag/diag.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { printUbpf } from "../../ir/bpf/print.js";
import { checkOffload } from "../../offload-hooks/check.js";
import { loadTarget } from "../../offload-hooks/descriptor.js";
import { instantiateMaps } from "../../runtime/interp/run.js";
import { NATIVE_ARCHES, reportFault, runNative } from "./native-run.js";
import { nativeHeader } from "./native-header.js";
import { elfRelocatable } from "./native-elf.js";
import { HELPERS_BY_ID } from "../../runtime/helpers/table.js";
import { linuxTypeOf } from "../../runtime/maps/def.js";

/** A translated program (backends/<arch>/jit.ts). */
export interface NativeProgram {
  readonly code: Uint8Array;
  /** Code offset of every BPF slot. */
  readonly slotOffsets: readonly number[];
  /** Where the code of the last slot ends (then: epilogue, slow path, fault stubs). */
  readonly bodyEnd: number;
  readonly helpers: readonly number[];
  readonly inlinedLookups: number;
  /**
   * Objects with tail calls (a prog_array map): every program of the object is in the
   * code, the entry program first; this is the code offset of each program's tail-call
   * entry (its first instruction, after the prologue), by program index.
   */
  readonly programs?: readonly number[];
  /** With tail calls: where each other program's code starts in the blob, and its own slot offsets and body end (for the listing). */
  /** With tail calls: the entry program's own code size (the others and their padding follow). */
  readonly entrySize?: number;
  readonly others?: readonly { readonly program: number; readonly base: number; readonly slotOffsets: readonly number[]; readonly bodyEnd: number; readonly size: number }[];
}

/** One machine instruction of a code blob, as the target's disassembler reads it (backends/<arch>/disasm.ts). */
export interface NativeInsn {
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** objdump's text for the instruction; `.byte ...` for bytes that are none of the forms the JIT emits. */
  readonly text: string;
}

export interface NativeTarget {
  readonly name: "x86_64" | "arm64";
  readonly description: string;
  /** e_machine: EM_X86_64 = 62, EM_AARCH64 = 183 (System V gABI, Linux elf.h). */
  readonly elfMachine: number;
  readonly translate: (object: BpfObject, program: number, type: "raw" | "xdp") => NativeProgram;
  /** The whole code blob, instruction by instruction (the listing's machine code). */
  readonly disassemble: (code: Uint8Array) => NativeInsn[];
}

/** The longest frame runtime/native takes: its 64 KiB XDP buffer less head- and tailroom (bpfoff_runtime.c XDP_BUF_BYTES). */
export const NATIVE_MAX_FRAME = 65536 - 512;

/** The files of a native bundle. */
export const NATIVE_FILES = { blob: "prog.bin", object: "prog.o", header: "prog.h", listing: "prog.lst" } as const;

/**
 * The entry symbol of the ELF object: bpfoff_ and the program's name made a C
 * identifier (assembler text names its program `main`, which a C program has already).
 */
export function entrySymbol(name: string): string {
  return `bpfoff_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/** Whether an object can tail-call: it has a prog_array, so every program goes into the code. */
export const hasTailCalls = (object: BpfObject): boolean => object.maps.some((m) => m.kind === "prog_array");

/**
 * The code of a program, and for an object with a prog_array every other program of it
 * after (docs/native.md "Tail calls"): the entry program at offset 0, the others in object
 * order, each 16-byte aligned, and the offset of every program's tail-call entry, which the
 * runtime's program table holds (bpfoff_env_programs). Each program is translated on its
 * own: its code is position-independent and a tail call leaves through the runtime.
 */
export function translateLinked(target: NativeTarget, object: BpfObject, program: number, type: "raw" | "xdp"): NativeProgram {
  const first = target.translate(object, program, type);
  if (!hasTailCalls(object)) return first;
  const parts: Uint8Array[] = [first.code];
  const programs: number[] = new Array<number>(object.programs.length).fill(0);
  programs[program] = first.slotOffsets[0] ?? 0;
  const helpers = new Set(first.helpers);
  let size = first.code.length;
  let inlined = first.inlinedLookups;
  const others: { program: number; base: number; slotOffsets: readonly number[]; bodyEnd: number; size: number }[] = [];
  object.programs.forEach((_, i) => {
    if (i === program) return;
    const p = target.translate(object, i, type);
    const pad = (16 - (size % 16)) % 16;
    // int3 (x86-64) or udf #0 (AArch64) between programs: never executed.
    parts.push(new Uint8Array(pad).fill(target.name === "x86_64" ? 0xcc : 0));
    size += pad;
    programs[i] = size + (p.slotOffsets[0] ?? 0);
    others.push({ program: i, base: size, slotOffsets: p.slotOffsets, bodyEnd: p.bodyEnd, size: p.code.length });
    parts.push(p.code);
    size += p.code.length;
    for (const h of p.helpers) helpers.add(h);
    inlined += p.inlinedLookups;
  });
  const code = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    code.set(part, at);
    at += part.length;
  }
  return { ...first, code, helpers: [...helpers].sort((a, b) => a - b), inlinedLookups: inlined, programs, others, entrySize: first.code.length };
}

function checked(target: NativeTarget, object: BpfObject, program: number, type: "raw" | "xdp"): NativeProgram {
  const descriptor = loadTarget(target.name);
  const programs = hasTailCalls(object) ? [program, ...object.programs.keys()].filter((p, i, all) => all.indexOf(p) === i) : [program];
  const problems = programs.flatMap((p) => checkOffload(object, p, type, descriptor));
  if (problems.length) throw new DiagnosticError(problems);
  return translateLinked(target, object, program, type);
}

const hexBytes = (bytes: Uint8Array): string => Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join(" ");

/** The width of the bytes column for these instructions. */
export function bytesWidth(insns: readonly NativeInsn[]): number {
  return insns.reduce((w, x) => Math.max(w, 3 * x.bytes.length - 1), 0);
}

/** One machine instruction as the listing and `bpfoff disasm --target` print it: offset, bytes, text. */
export function insnLine(insn: NativeInsn, width: number): string {
  return `${insn.offset.toString(16).padStart(6, "0")}  ${hexBytes(insn.bytes).padEnd(width)}  ${insn.text}`;
}

/**
 * The listing: under each BPF instruction, the machine instructions it became (offset,
 * bytes, objdump's text); first the prologue, last what follows the last slot. The blob
 * is disassembled as a whole, so jump targets are blob offsets, as objdump prints them.
 */
function listing(target: NativeTarget, object: BpfObject, program: number, p: NativeProgram, symbol: string): string {
  const slots = object.programs[program]!.slots;
  const insns = target.disassemble(p.code);
  const width = bytesWidth(insns);
  const lines = [`; ${target.name} code of ${symbol}: ${p.code.length} bytes for ${slots.length} BPF slots`, `; ${"offset".padEnd(6)}  ${"bytes".padEnd(width)}  instruction`];
  // Section headings by code offset, in order: per program (the entry first, then, with
  // tail calls, every other program after its alignment padding) the prologue, each slot
  // that has its own code start, and what follows the last slot.
  const headings: [number, string][] = [];
  const section = (index: number, base: number, slotOffsets: readonly number[], bodyEnd: number, size: number) => {
    const own = object.programs[index]!.slots;
    headings.push([base, index === program ? "; prologue" : `; program ${object.programs[index]!.name} (a tail-call target): prologue`]);
    for (let i = 0; i < own.length; i++) {
      if (i > 0 && slotOffsets[i] === slotOffsets[i - 1] && own[i - 1]!.opcode === 0x18) continue; // lddw's second slot
      headings.push([base + slotOffsets[i]!, `; ${i}: ${printUbpf(own[i]!, own[i + 1], i, { mapNames: object.maps.map((m) => m.name) })}`]);
    }
    headings.push([base + bodyEnd, `; after the last slot (${size - bodyEnd} bytes): the epilogue, the bounds-check slow path and the fault stubs`]);
  };
  section(program, 0, p.slotOffsets, p.bodyEnd, p.entrySize ?? p.code.length);
  for (const o of p.others ?? []) section(o.program, o.base, o.slotOffsets, o.bodyEnd, o.size);
  let h = 0;
  for (const insn of insns) {
    while (h < headings.length && headings[h]![0] <= insn.offset) lines.push(headings[h++]![1]);
    lines.push(insnLine(insn, width));
  }
  while (h < headings.length) lines.push(headings[h++]![1]);
  return lines.join("\n") + "\n";
}

export function nativeBackend(target: NativeTarget): Backend {
  const arch = NATIVE_ARCHES[target.name];
  return {
    name: target.name,
    description: target.description,
    compile(input: CompileInput): CompileOutput {
      const prog = input.object.programs[input.program]!;
      const p = translateLinked(target, input.object, input.program, input.programType);
      const symbol = entrySymbol(prog.name);
      return {
        files: [
          [NATIVE_FILES.blob, p.code],
          [NATIVE_FILES.object, elfRelocatable(target.elfMachine, p.code, symbol, input.source.name)],
          [NATIVE_FILES.header, nativeHeader(target.name, symbol, input.object.maps, input.programType, p.programs?.map((offset, i) => ({ name: input.object.programs[i]!.name, offset })))],
          [NATIVE_FILES.listing, listing(target, input.object, input.program, p, symbol)],
        ],
        manifest: {
          entry_points: [{ name: prog.name, file: NATIVE_FILES.object, symbol, offset: 0 }],
          resources: {
            code_bytes: p.code.length,
            instructions: prog.slots.length,
            blob: NATIVE_FILES.blob,
            header: NATIVE_FILES.header,
            abi: target.name === "x86_64" ? "System V AMD64: uint64_t prog(void *ctx, uint64_t len, struct bpfoff_rt *rt)" : "AAPCS64: uint64_t prog(void *ctx, uint64_t len, struct bpfoff_rt *rt)",
            helpers: p.helpers.map((id) => ({ id, name: HELPERS_BY_ID.get(id)!.name })),
            inlined_array_lookups: p.inlinedLookups,
            ...(p.programs ? { tail_call_entries: p.programs.map((offset, i) => ({ program: input.object.programs[i]!.name, offset })) } : {}),
            maps: input.object.maps.map((m, index) => ({ name: m.name, index, type: linuxTypeOf(m.kind) })),
          },
        },
      };
    },

    runRaw(request: RawRunRequest): RawRunResult {
      const p = checked(target, request.object, request.program, "raw");
      const maps = request.maps ?? instantiateMaps(request.object);
      const r = runNative(arch, { code: p.code, programs: p.programs, maps, seed: request.seed, raw: { mem: request.mem } });
      if (r.fault) reportFault(target.name, r.fault);
      return { r0: r.r0, stats: `${target.name}: ${p.code.length} bytes of code, ${Number(r.nanoseconds)} ns` };
    },

    runXdp(request: XdpRunRequest): XdpRunResult {
      const p = checked(target, request.object, request.program, "xdp");
      request.frames.forEach((f, i) => {
        if (f.length > NATIVE_MAX_FRAME) fail("cli-usage", {}, [`packet ${i + 1} has ${f.length} bytes; native runs take frames of at most ${NATIVE_MAX_FRAME} (a 64 KiB buffer with 256 bytes of headroom and of tailroom)`]);
      });
      const maps = request.maps ?? instantiateMaps(request.object);
      const r = runNative(arch, { code: p.code, programs: p.programs, maps, seed: request.seed, xdp: { frames: request.frames, ifindex: request.ifindex } });
      if (r.fault) reportFault(target.name, r.fault, [`on packet ${r.fault.frame + 1}`]);
      return {
        // The target, as the interpreter reports it: only with the verdict XDP_REDIRECT.
        packets: r.packets.map((x) => ({ r0: x.r0, packet: x.packet, ...(x.redirect !== undefined && x.r0 === 4n ? { redirect: { ifindex: x.redirect } } : {}) })),
        stats: [`${target.name}: ${request.frames.length} packets in ${Number(r.nanoseconds)} ns`],
      };
    },
  };
}
