// The `npu` target: microcode for bpfoff's network-processor micro-engine
// (docs/npu-isa.md). A bundle holds
//   microcode.bin   the control store image: one 64-bit microword a slot, little-endian
//   microcode.hex   the same, 16 hex digits a line ($readmemh)
//   microcode.lst   the listing: address, word, assembler text, and what it was selected for
//   npu.json        the target descriptor the program was built against (timing, limits)
// plus maps/ (assembleBundle). `bpfoff run --target npu` compiles the program and runs it
// on the cycle-level simulator (sim/machine.ts); `bpfoff sim` runs a bundle's image.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Backend, CompileInput, CompileOutput, RawRunRequest, RawRunResult, XdpRunRequest, XdpRunResult } from "../common/backend.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { isLddw } from "../../ir/bpf/insn.js";
import { printUbpf } from "../../ir/bpf/print.js";
import type { Module } from "../../ir/core/ir.js";
import { validateModule } from "../../ir/core/validate.js";
import { diag, DiagnosticError, fail, type Diagnostic } from "../../ir/diag/diag.js";
import { liftProgram } from "../../ir/lift/lift.js";
import { DEFAULT_PIPELINE, runPasses } from "../../ir/passes/index.js";
import { checkOffload } from "../../offload-hooks/check.js";
import { loadTarget, type TargetDescriptor } from "../../offload-hooks/descriptor.js";
import { newHostState } from "../../runtime/helpers/env.js";
import { instantiateMaps } from "../../runtime/interp/run.js";
import type { MapDef } from "../../runtime/maps/def.js";
import type { BpfMap } from "../../runtime/maps/map.js";
import { compileMicrocode, type CodegenOptions, type Microcode } from "./codegen/index.js";
import { COND_CODE, decodeWord, encodeWord, OP_BY_NAME, printWord, type Word } from "./isa.js";
import { imageBytes, imageHex } from "./image.js";
import { WINDOW_BYTES } from "./layout.js";
import { NpuMachine, type Job, type NpuTiming, type SimConfig, type SimStats } from "./sim/machine.js";

export const NPU_FILES = { image: "microcode.bin", hex: "microcode.hex", listing: "microcode.lst", descriptor: "npu.json" } as const;

/**
 * The simulator's limits from the interpreter's --max-steps: microwords a packet may issue
 * per BPF step (a BPF instruction takes about two; a division routine hundreds, rarely),
 * and cycles per step as a backstop (a word may wait hundreds of cycles on a lookup).
 */
export const WORDS_PER_STEP = 16;
const CYCLES_PER_STEP = 2048;

/**
 * The descriptor file itself, copied into every bundle: found above this file, as the
 * compiled code runs from dist/ where tsc copies no JSON (offload-hooks/descriptor.ts does the same).
 */
function descriptorFile(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const f = join(dir, "offload-hooks/targets/npu.json");
    if (existsSync(join(dir, "package.json")) && existsSync(f)) return f;
    if (dirname(dir) === dir) throw new Error("bug: offload-hooks/targets/npu.json not found above the bpfoff installation");
  }
}

export function npuDescriptor(): TargetDescriptor {
  return loadTarget("npu");
}

/** The descriptor's timing block as the simulator reads it (the schema allows any numbers; these must be there). */
export function npuTiming(d: TargetDescriptor): NpuTiming & { engines: number; threads: number } {
  const t = d.timing ?? {};
  const need = ["clock_mhz", "engines", "threads", "local_latency", "ctx_latency", "packet_latency", "map_latency", "lookup_array", "lookup_hash", "lookup_lpm", "lookup_tcam", "helper_latency", "mul_cycles"];
  const missing = need.filter((k) => typeof t[k] !== "number");
  if (missing.length) throw new Error(`bug: offload-hooks/targets/${d.name}.json lacks timing.${missing.join(", timing.")}`);
  return t as unknown as NpuTiming & { engines: number; threads: number };
}

/** What the engine cannot hold although the offload check allows it: array maps beyond one 64 KiB window. */
function engineProblems(maps: readonly MapDef[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  maps.forEach((m) => {
    if ((m.kind === "array" || m.kind === "percpu_array") && m.maxEntries * m.valueSize > WINDOW_BYTES) {
      out.push(diag("offload-unsupported", {}, ["npu", `array map '${m.name}' of ${m.maxEntries * m.valueSize} bytes (an array map lives in one ${WINDOW_BYTES}-byte window)`]));
    }
  });
  return out;
}

/** Compiles the optimised IR; refuses a program larger than the control store, with its size and the limit. */
export function compileForNpu(module: Module, d: TargetDescriptor, opts: CodegenOptions = {}): Microcode {
  const problems = engineProblems(module.maps);
  if (problems.length) throw new DiagnosticError(problems);
  const code = compileMicrocode(module, opts);
  const limit = d.limits.control_store_words;
  if (limit !== undefined && code.words.length > limit) throw new DiagnosticError([diag("npu-control-store", {}, [code.words.length, limit])]);
  return code;
}

/** Whether an object can tail-call: it has a prog_array, so every program goes into the image. */
export const hasTailCalls = (object: BpfObject): boolean => object.maps.some((m) => m.kind === "prog_array");

/** A control store image: the microcode of its programs, and where each starts (tail calls). */
export interface NpuImage extends Microcode {
  /** With tail calls: every program of the object (object order) and the address of its first word. */
  readonly programs?: readonly { readonly name: string; readonly at: number }[];
}

/**
 * The image for program `program` of an object. Without a prog_array it is that program's
 * microcode. With one, every program of the object is in the control store, since a tail
 * call may run any of them: word 0 sends the dispatcher's threads to the entry program,
 * words 1..P are the tail-call table (word 1 + p branches to program p, where lkp.tail
 * sends a thread), then the programs one after another, each compiled on its own (its
 * branch targets moved by its base) knowing what the others write (packet order).
 * `module`: the entry program's optimised IR when the caller has it; `lifted` the object
 * whose slots origins count (CompileInput.lifted).
 */
export function compileObjectForNpu(object: BpfObject, program: number, type: "raw" | "xdp", d: TargetDescriptor, opts: CodegenOptions & { module?: Module } = {}): NpuImage {
  const { module, ...codegen } = opts;
  if (!hasTailCalls(object)) return compileForNpu(module ?? moduleOf(object, program, type), d, codegen);
  if (type === "raw") throw new DiagnosticError([diag("offload-unsupported", {}, ["npu", "tail calls in raw programs (a tail-called program gets r1 only, and a raw program takes r2 too)"])]);
  const problems = object.programs.flatMap((_, i) => (i === program ? [] : checkOffload(object, i, type, d)));
  if (problems.length) throw new DiagnosticError(problems);
  const modules = object.programs.map((_, i) => (i === program && module ? module : moduleOf(object, i, type)));
  const P = modules.length;
  const codes = modules.map((m, i) => compileForNpu(m, d, { ...codegen, others: modules.filter((_, j) => j !== i), programs: P }));
  const bases: number[] = [];
  let at = 1 + P;
  for (const c of codes) { bases.push(at); at += c.words.length; }
  const jump = (to: number): Word => {
    const w = { ...decodeWord(0n), op: OP_BY_NAME.get("br")!.code, cond: COND_CODE.get("al")!, imm: to };
    encodeWord(w);
    return w;
  };
  const words: Word[] = [jump(bases[program]!), ...bases.map((b) => jump(b))];
  const notes: string[] = [`tail-call table: the dispatcher's threads start program ${object.programs[program]!.name}`, ...object.programs.map((p, i) => `tail-call table: program ${i}, ${p.name}`)];
  const origins: (number | undefined)[] = new Array<undefined>(1 + P).fill(undefined);
  const functions: { name: string; at: number }[] = [];
  const blocks: { func: string; name: string; at: number }[] = [];
  let slotBase = 0;
  codes.forEach((c, i) => {
    const base = bases[i]!;
    for (const w of c.words) words.push(BRANCH_OPS.has(w.op) ? { ...w, imm: w.imm + base } : w);
    notes.push(...c.notes);
    // Origins count the slots of all programs one after another, as the listing's BPF lines do.
    origins.push(...c.origins.map((o) => (o === undefined ? undefined : slotBase + o)));
    slotBase += object.programs[i]!.slots.length;
    const name = (f: string) => (f === object.programs[i]!.name ? f : `${object.programs[i]!.name}.${f}`);
    for (const f of c.functions) functions.push({ name: name(f.name), at: f.at + base });
    for (const b of c.blocks) blocks.push({ func: name(b.func), name: b.name, at: b.at + base });
  });
  if (words.some((w) => w.imm > 0xffff && BRANCH_OPS.has(w.op))) fail("codegen", {}, [`${words.length} microwords: branch targets are 16 bits`]);
  const limit = d.limits.control_store_words;
  if (limit !== undefined && words.length > limit) throw new DiagnosticError([diag("npu-control-store", {}, [words.length, limit])]);
  return { words, notes, origins, functions, blocks, spilled: codes.reduce((s, c) => s + c.spilled, 0), programs: object.programs.map((p, i) => ({ name: p.name, at: bases[i]! })) };
}

/** Words whose imm is a control store address: moved with their program. */
const BRANCH_OPS: ReadonlySet<number> = new Set(["br", "bl"].map((n) => OP_BY_NAME.get(n)!.code));

/** The BPF text of every slot of every program, one after another (origins of a tail-call image count them so). */
export function objectBpfLines(object: BpfObject): (string | undefined)[] {
  // Not flatMap: it skips the holes an lddw's second slot leaves, and the indices would slide.
  const out: (string | undefined)[] = [];
  object.programs.forEach((p, i) => {
    const lines = bpfLines(object, i);
    for (let s = 0; s < p.slots.length; s++) out.push(lines[s]);
  });
  return out;
}

/**
 * The BPF text of each slot of a program (lddw on its first slot), for the listing:
 * "12: ldxw %r2, [%r1+4]".
 */
export function bpfLines(object: BpfObject, program: number): (string | undefined)[] {
  const slots = object.programs[program]!.slots;
  const mapNames = object.maps.map((m) => m.name);
  const functions = object.programs[program]!.functions;
  const out: (string | undefined)[] = [];
  for (let i = 0; i < slots.length; i++) {
    const next = isLddw(slots[i]!) ? slots[i + 1] : undefined;
    out[i] = `${i}: ${printUbpf(slots[i]!, next, i, { mapNames, functions })}`;
    if (next) i++;
  }
  return out;
}

/**
 * The listing: assembler text that `bpfoff asm --target npu` reads back, each word's
 * address, bits and origin in its comment: the BPF instruction (index and text, from
 * `bpf`, the lifted program's bpfLines) and the IR instruction it was selected for.
 */
export function listing(code: Microcode, bpf: readonly (string | undefined)[] = []): string {
  const starts = new Map(code.functions.map((f) => [f.at, f.name]));
  const blockStarts = new Map<number, string[]>();
  for (const b of code.blocks) blockStarts.set(b.at, [...(blockStarts.get(b.at) ?? []), b.name]);
  const lines: string[] = [];
  code.words.forEach((w, i) => {
    const fn = starts.get(i);
    if (fn !== undefined) lines.push(`; function ${fn}`);
    // IR blocks are named after the BPF instruction they start at (ir/lift): bb15 is instruction 15 of the input.
    for (const b of blockStarts.get(i) ?? []) {
      const m = /^bb(\d+)$/.exec(b);
      lines.push(m ? `; ${b}: from BPF instruction ${m[1]} of the input` : `; ${b}`);
    }
    const text = printWord(w);
    const origin = code.origins[i];
    const src = origin === undefined ? "" : (bpf[origin] ?? `${origin}:`);
    const note = code.notes[i] ? `  ${code.notes[i]}` : "";
    const rest = src && note ? `  ${src.padEnd(32)}${note}` : src ? `  ${src}` : note;
    lines.push(`${text.padEnd(44)} ; ${String(i).padStart(4)}  ${encodeWord(w).toString(16).padStart(16, "0")}${rest}`);
  });
  return lines.join("\n") + "\n";
}

/** The program's IR as the build pipeline makes it (lift, then the default passes). */
export function moduleOf(object: BpfObject, program: number, type: "raw" | "xdp"): Module {
  const m = runPasses(liftProgram(object, program, type), DEFAULT_PIPELINE);
  const invalid = validateModule(m);
  if (invalid.length) throw new DiagnosticError(invalid.map((d) => ({ ...d, severity: "bug" as const })));
  return m;
}

export interface SimRun {
  readonly results: ReturnType<NpuMachine["run"]>["results"];
  readonly stats: SimStats;
}

/** Runs an image over jobs on a machine built from the descriptor (engines and threads overridable). */
export function simulate(words: readonly Word[], maps: readonly BpfMap[], jobs: readonly Job[], d: TargetDescriptor, opts: { engines?: number; threads?: number; maxCycles: number; maxSteps?: number; seed?: number; ordered?: boolean }): SimRun {
  const timing = npuTiming(d);
  const cfg: SimConfig = { engines: opts.engines ?? timing.engines, threads: opts.threads ?? timing.threads, timing, maxCycles: opts.maxCycles, ordered: opts.ordered ?? true,
    ...(opts.maxSteps === undefined ? {} : { maxWordsPerJob: Math.min(Number.MAX_SAFE_INTEGER, opts.maxSteps * WORDS_PER_STEP) }) };
  const machine = new NpuMachine(words, maps, newHostState(opts.seed), cfg);
  return machine.run(jobs);
}

/** One summary line: cycles per packet, utilisation and packets per second at the descriptor's clock. */
export function summary(run: SimRun, d: TargetDescriptor, engines: number, threads: number): string {
  const n = run.results.length;
  const clock = npuTiming(d).clock_mhz;
  const pps = run.stats.cycles === 0 ? 0 : (n / run.stats.cycles) * clock * 1e6;
  return `npu: ${n} packets on ${engines} engine${engines === 1 ? "" : "s"} x ${threads} threads: ${run.stats.cycles} cycles, ${(run.stats.cycles / Math.max(1, n)).toFixed(1)} cycles per packet, utilisation ${(run.stats.utilisation * 100).toFixed(1)}%, ${Math.round(pps)} packets/s at ${clock} MHz`;
}

function prepare(request: RawRunRequest | XdpRunRequest, type: "raw" | "xdp"): { words: readonly Word[]; maps: readonly BpfMap[]; d: TargetDescriptor } {
  const d = npuDescriptor();
  const problems = checkOffload(request.object, request.program, type, d);
  if (problems.length) throw new DiagnosticError(problems);
  const code = compileObjectForNpu(request.object, request.program, type, d);
  return { words: code.words, maps: request.maps ?? instantiateMaps(request.object), d };
}

export const npuBackend: Backend = {
  name: "npu",
  description: "microcode for bpfoff's multi-threaded 32-bit network-processor micro-engine: control store image, listing, cycle-level simulator",
  compile(input: CompileInput): CompileOutput {
    const d = npuDescriptor();
    // Tail calls: the other programs as the input has them (the pipeline rebuilt only this one).
    const source = input.lifted ?? input.object;
    const code = compileObjectForNpu(source, input.program, input.programType, d, { module: input.module });
    const bpf = input.object.programs[input.program]!.slots.length;
    const lines = !input.lifted ? [] : code.programs ? objectBpfLines(input.lifted) : bpfLines(input.lifted, input.program);
    const timing = npuTiming(d);
    return {
      files: [
        [NPU_FILES.image, imageBytes(code.words)],
        [NPU_FILES.hex, imageHex(code.words)],
        [NPU_FILES.listing, listing(code, lines)],
        [NPU_FILES.descriptor, readFileSync(descriptorFile())],
      ],
      manifest: {
        entry_points: [{ name: input.object.programs[input.program]!.name, file: NPU_FILES.image, symbol: code.programs ? input.object.programs[input.program]!.name : code.functions[0]!.name, offset: 0 }],
        resources: {
          microwords: code.words.length,
          control_store_words: d.limits.control_store_words ?? 0xffff,
          image: NPU_FILES.image,
          image_hex: NPU_FILES.hex,
          listing: NPU_FILES.listing,
          descriptor: NPU_FILES.descriptor,
          bpf_instructions: bpf,
          microwords_per_bpf_instruction: Math.round((code.words.length / Math.max(1, bpf)) * 100) / 100,
          functions: code.functions.map((f) => ({ name: f.name, at: f.at })),
          ...(code.programs ? { tail_call_entries: code.programs.map((p, i) => ({ program: p.name, table: 1 + i, at: p.at })) } : {}),
          spill_slots: code.spilled,
          engine: { engines: timing.engines, threads: timing.threads, clock_mhz: timing.clock_mhz },
        },
      },
    };
  },

  runRaw(request: RawRunRequest): RawRunResult {
    const { words, maps, d } = prepare(request, "raw");
    const maxCycles = Math.min(Number.MAX_SAFE_INTEGER, request.maxSteps * CYCLES_PER_STEP);
    const run = simulate(words, maps, [{ kind: "raw", mem: request.mem }], d, { engines: 1, threads: 1, maxCycles, maxSteps: request.maxSteps, seed: request.seed });
    const r = run.results[0]!;
    return { r0: r.r0, stats: `npu: ${r.latency} cycles, ${r.issued} microwords issued` };
  },

  runXdp(request: XdpRunRequest): XdpRunResult {
    const { words, maps, d } = prepare(request, "xdp");
    const maxCycles = Math.min(Number.MAX_SAFE_INTEGER, request.maxSteps * CYCLES_PER_STEP * Math.max(1, request.frames.length));
    const run = simulate(words, maps, request.frames.map((frame) => ({ kind: "xdp", frame, ifindex: request.ifindex })), d, { maxCycles, maxSteps: request.maxSteps, seed: request.seed });
    const timing = npuTiming(d);
    return {
      packets: run.results.map((r) => ({ r0: r.r0, packet: r.data, ...(r.redirect ? { redirect: r.redirect } : {}) })),
      stats: [
        ...run.results.map((r, i) => `npu: packet ${i + 1}: ${r.latency} cycles, ${r.issued} microwords issued, engine ${r.engine} thread ${r.thread}`),
        summary(run, d, timing.engines, timing.threads),
      ],
    };
  },
};
