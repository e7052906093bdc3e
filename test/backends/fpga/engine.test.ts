// The Verilog BPF engine (backends/fpga/rtl) in Verilator against the reference
// interpreter: the whole conformance suite, random straight-line ALU programs, and
// faults. One model build serves every case (backends/fpga/sim.ts caches it).
// requires: verilator
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { buildEngineModel, runEngine, type EngineCase, type EngineModel, type EngineResult } from "../../../backends/fpga/sim.js";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../../support/conformance.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { loadConformance, slotsOf } from "./support.js";
import { expectSameAsInterpreter } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

let model: EngineModel;
beforeAll(() => {
  if (haveVerilator) model = buildEngineModel();
});


describe.skipIf(!haveVerilator || !haveSuite)("conformance suite on the FPGA engine", () => {
  const cases = conformanceFiles("tests").map((file) => {
    const c = parseConformance(file);
    return { conf: c, engine: { name: c.name, slots: loadConformance(c).programs[0]!.slots, mem: c.mem } satisfies EngineCase };
  });
  const results = new Map<string, EngineResult>();
  beforeAll(() => {
    for (const r of runEngine(model, cases.map((c) => c.engine))) results.set(r.name, r);
  });

  it("runs all 313 tests", () => {
    expect(results.size).toBe(313);
  });
  for (const { conf, engine } of cases) {
    it(conf.name, () => {
      const got = results.get(conf.name)!;
      expectSameAsInterpreter(engine, got);
      expect("0x" + got.r0.toString(16)).toBe("0x" + conf.result!.toString(16));
    });
  }

  it("reports its figures", () => {
    const all = [...results.values()];
    const sum = (rs: EngineResult[], k: "cycles" | "retired"): number => rs.reduce((s, r) => s + r[k], 0);
    // Straight-line: no jumps, calls, divisions or atomics before the final exit.
    const straight = cases.filter(({ engine }) => engine.slots.every((s, i) => {
      const cls = s.opcode & 7;
      const last = i === engine.slots.length - 1;
      if (cls === 5 || cls === 6) return last && s.opcode === 0x95;
      if ((cls === 4 || cls === 7) && ((s.opcode & 0xf0) === 0x30 || (s.opcode & 0xf0) === 0x90)) return false;
      return (s.opcode & 0xe0) !== 0xc0 || cls !== 3;
    })).map(({ conf }) => results.get(conf.name)!);
    console.log(`fpga engine, conformance: ${all.length} tests, ${sum(all, "retired")} instructions retired in ${sum(all, "cycles")} cycles`);
    console.log(`fpga engine, straight-line tests: ${straight.length}, IPC ${(sum(straight, "retired") / sum(straight, "cycles")).toFixed(3)} (${sum(straight, "retired")} / ${sum(straight, "cycles")})`);
    expect(straight.length).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------- random ALU programs
const ALU_NAMES = ["add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "lsh", "rsh", "arsh", "xor", "mov"] as const;
const interesting64 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 1n, 2n, 7n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 1n << 63n, (1n << 64n) - 1n, (1n << 63n) - 1n, 0xffffffff80000000n),
);
const imm32 = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, 1, -1, 31, 32, 63, 64, -0x80000000, 0x7fffffff));
const reg = fc.integer({ min: 0, max: 9 });
const aluLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...ALU_NAMES), fc.boolean(), reg, reg).map(([op, w32, d, s]) => `${op}${w32 ? "32" : ""} %r${d}, %r${s}`) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ALU_NAMES), fc.boolean(), reg, imm32).map(([op, w32, d, k]) => `${op}${w32 ? "32" : ""} %r${d}, ${k}`) },
  { weight: 1, arbitrary: fc.tuple(fc.boolean(), reg).map(([w32, d]) => `neg${w32 ? "32" : ""} %r${d}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("movsx832", "movsx1632", "movsx864", "movsx1664", "movsx3264"), reg, reg).map(([op, d, s]) => `${op} %r${d}, %r${s}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("le16", "le32", "le64", "be16", "be32", "be64", "bswap16", "bswap32", "bswap64"), reg).map(([op, d]) => `${op} %r${d}`) },
  { weight: 1, arbitrary: fc.tuple(reg, interesting64).map(([d, v]) => `lddw %r${d}, 0x${v.toString(16)}`) },
);
/** lddw every register, the random lines, then every register stored into the input memory. */
const aluProgram = fc.tuple(fc.array(interesting64, { minLength: 10, maxLength: 10 }), fc.array(aluLine, { minLength: 1, maxLength: 40 })).map(([init, body]) => [
  "stxdw [%r10-8], %r1",
  ...init.map((v, i) => `lddw %r${i}, 0x${v.toString(16)}`),
  ...body,
  "stxdw [%r10-16], %r0",
  "ldxdw %r0, [%r10-8]",
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `stxdw [%r0+${8 * i}], %r${i}`),
  "ldxdw %r1, [%r10-16]",
  "stxdw [%r0+0], %r1",
  "mov %r0, %r1",
  "exit",
].join("\n"));

describe.skipIf(!haveVerilator)("random straight-line ALU programs", () => {
  it("match the interpreter (registers and memory)", () => {
    let n = 0;
    fc.assert(fc.property(aluProgram, (text) => {
      const c: EngineCase = { name: `alu${n++}`, slots: slotsOf(text), mem: new Uint8Array(80) };
      const [got] = runEngine(model, [c]);
      expectSameAsInterpreter(c, got!);
    }), { numRuns: 200, seed: 4242 });
  });

  it("close to one instruction per cycle on a long straight-line program", () => {
    const body = fc.sample(aluLine.filter((l) => !/^(s?div|s?mod)/.test(l)), { numRuns: 2000, seed: 7 });
    const c: EngineCase = { name: "long", slots: slotsOf([...body, "exit"].join("\n")) };
    const [got] = runEngine(model, [c]);
    expectSameAsInterpreter(c, got!);
    const ipc = got!.retired / got!.cycles;
    console.log(`fpga engine, 2000 random ALU instructions (no div/mod): IPC ${ipc.toFixed(3)} (${got!.retired} / ${got!.cycles})`);
    expect(ipc).toBeGreaterThan(0.95);
  });
});

// ---------------------------------------------------------------- random programs with memory and branches
// r9 holds the input memory's address throughout; r0-r8 are random. Jumps go forward only
// (no loops), so every program ends. This drives the hazards the ALU property cannot:
// load-use stalls, forwarding into branches and stores, atomics, helper calls.
const SIZES = [["b", 1], ["h", 2], ["w", 4], ["dw", 8]] as const;
const reg8 = fc.integer({ min: 0, max: 8 });
const memRef = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 56 })).map(([stack, k]) => (stack ? `[%r10-${k + 8}]` : `[%r9+${k}]`));
const JCC = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jset", "jsgt", "jsge", "jslt", "jsle"] as const;
type Line = string | { jump: string; skip: number };
const mixedLine: fc.Arbitrary<Line> = fc.oneof(
  { weight: 5, arbitrary: aluLine.filter((l) => !/%r9|%r10|lddw/.test(l)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...SIZES), fc.boolean(), reg8, memRef).map(([[sfx], sx, d, m]) => (sx && sfx !== "dw" ? `ldxs${sfx} %r${d}, ${m}` : `ldx${sfx} %r${d}, ${m}`)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...SIZES), reg8, memRef).map(([[sfx], s, m]) => `stx${sfx} ${m}, %r${s}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SIZES), imm32, memRef).map(([[sfx], k, m]) => `st${sfx} ${m}, ${k}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("add", "or", "and", "xor", "fetch add", "fetch or", "fetch and", "fetch xor", "xchg", "cmpxchg"), fc.boolean(), reg8, memRef).map(([op, w32, s, m]) => `lock ${op}${w32 ? "32" : ""} ${m}, %r${s}`) },
  { weight: 1, arbitrary: fc.constantFrom("call 5", "call 7", "call 8") },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...JCC), fc.boolean(), reg8, fc.oneof(reg8.map((r) => `%r${r}`), imm32.map(String)), fc.integer({ min: 0, max: 6 })).map(([op, w32, d, b, skip]) => ({ jump: `${op}${w32 ? "32" : ""} %r${d}, ${b}`, skip })) },
);
const mixedProgram = fc.tuple(fc.array(interesting64, { minLength: 9, maxLength: 9 }), fc.array(mixedLine, { minLength: 1, maxLength: 40 })).map(([init, body]) => {
  const lines: string[] = body.map((l, i) => (typeof l === "string" ? l : `${l.jump}, +${Math.min(l.skip, body.length - 1 - i)}`));
  return [
    "mov %r9, %r1",
    ...init.map((v, i) => `lddw %r${i}, 0x${v.toString(16)}`),
    ...lines,
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => `stxdw [%r9+${64 + 8 * i}], %r${i}`),
    "exit",
  ].join("\n");
});

describe.skipIf(!haveVerilator)("random programs with memory, atomics, helpers and forward branches", () => {
  it("match the interpreter (registers, memory, retired instructions)", () => {
    let n = 0;
    fc.assert(fc.property(mixedProgram, fc.uint8Array({ minLength: 64, maxLength: 64 }), (text, bytes) => {
      const mem = new Uint8Array(136);
      mem.set(bytes);
      const c: EngineCase = { name: `mixed${n++}`, slots: slotsOf(text), mem };
      const [got] = runEngine(model, [c]);
      expectSameAsInterpreter(c, got!);
    }), { numRuns: 200, seed: 977 });
  });
});

// ---------------------------------------------------------------- directed programs
// Loops, nested and recursive calls with per-frame stacks, pointers into a caller's frame,
// helper sequences: what random forward-only programs cannot reach.
const DIRECTED: readonly { name: string; asm: string; mem?: number[] }[] = [
  {
    name: "bubble sort of the input memory",
    mem: [9, 3, 7, 1, 8, 2, 6, 5, 4, 0, 255, 128],
    asm: `
      mov %r3, %r2
    outer:
      jle %r3, 1, done
      mov %r4, 0
      mov %r6, %r1
    inner:
      mov %r5, %r3
      sub %r5, 1
      jge %r4, %r5, next
      ldxb %r7, [%r6+0]
      ldxb %r8, [%r6+1]
      jle %r7, %r8, noswap
      stxb [%r6+0], %r8
      stxb [%r6+1], %r7
    noswap:
      add %r6, 1
      add %r4, 1
      ja inner
    next:
      sub %r3, 1
      ja outer
    done:
      ldxb %r0, [%r1+0]
      exit`,
  },
  {
    name: "recursive factorial (depth 6)",
    asm: `
      mov %r1, 6
      call local fact
      exit
    fact:
      stxdw [%r10-8], %r1
      mov %r0, 1
      jle %r1, 1, ret
      sub %r1, 1
      call local fact
      ldxdw %r1, [%r10-8]
      mul %r0, %r1
    ret:
      exit`,
  },
  {
    name: "callee writes through a pointer into its caller's frame; r6-r9 preserved",
    asm: `
      mov %r6, 66
      mov %r9, 99
      stdw [%r10-16], 5
      mov %r1, %r10
      sub %r1, 16
      call local f
      ldxdw %r0, [%r10-16]
      add %r0, %r6
      add %r0, %r9
      exit
    f:
      mov %r6, 1
      mov %r9, 2
      stxdw [%r10-16], %r1
      ldxdw %r2, [%r1+0]
      lsh %r2, 4
      stxdw [%r1+0], %r2
      call local g
      exit
    g:
      mov %r0, 0
      exit`,
  },
  {
    name: "helper sequence",
    asm: `
      call 5
      mov %r6, %r0
      call 7
      mov %r7, %r0
      call 7
      xor %r7, %r0
      call 5
      sub %r0, %r6
      add %r0, %r7
      call 8
      add %r0, %r7
      exit`,
  },
  {
    name: "load-use chains and a division after a load",
    mem: [0x10, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0],
    asm: `
      ldxdw %r2, [%r1+0]
      ldxdw %r3, [%r1+8]
      div %r2, %r3
      ldxdw %r4, [%r1+8]
      jeq %r4, 3, +1
      mov %r2, 0
      mov %r0, %r2
      lock fetch add [%r1+0], %r0
      ldxdw %r5, [%r1+0]
      add %r0, %r5
      exit`,
  },
];

describe.skipIf(!haveVerilator)("directed programs match the interpreter", () => {
  const cases: EngineCase[] = DIRECTED.map((d, i) => ({ name: `directed${i}`, slots: slotsOf(d.asm), mem: d.mem ? Uint8Array.from(d.mem) : undefined }));
  let results: EngineResult[] = [];
  beforeAll(() => {
    results = runEngine(model, cases);
  });
  DIRECTED.forEach((d, i) => {
    it(d.name, () => {
      expect(results[i]!.status).toBe("done");
      expectSameAsInterpreter(cases[i]!, results[i]!);
    });
  });
});

// ---------------------------------------------------------------- faults
const FAULTS: readonly { name: string; asm: string; mem?: number[] }[] = [
  { name: "load past the input", asm: "mov %r0, 1\nldxw %r0, [%r1+8]\nexit", mem: [1, 2, 3, 4] },
  { name: "unaligned store across the end", asm: "mov %r0, 1\nmov %r0, 2\nstxw [%r1+2], %r0\nexit", mem: [1, 2, 3, 4] },
  { name: "NULL", asm: "mov %r2, 0\nldxb %r0, [%r2]\nexit" },
  { name: "above the stack frame", asm: "mov %r0, 0\nstxdw [%r10], %r0\nexit" },
  { name: "below the stack frame", asm: "ldxdw %r0, [%r10-520]\nexit" },
  { name: "after an lddw", asm: "lddw %r2, 0x123456789\nldxb %r0, [%r2]\nexit" },
  { name: "at a branch target", asm: "mov %r0, 0\nja +2\nmov %r0, 1\nexit\nldxdw %r0, [%r1+0]\nexit", mem: [1, 2] },
  { name: "atomic out of bounds", asm: "mov %r2, 1\nlock add [%r1+4], %r2\nexit", mem: [0, 0, 0, 0] },
  { name: "in a called function", asm: "mov %r0, 0\ncall local f\nexit\nf:\nldxdw %r0, [%r10+8]\nexit" },
  { name: "unknown helper by callx", asm: "mov %r2, 99\ncall %r2\nexit" },
  { name: "call depth", asm: "f:\nmov %r0, 0\ncall local f\nexit" },
];

describe.skipIf(!haveVerilator)("faults stop the engine at the faulting instruction", () => {
  const cases: EngineCase[] = FAULTS.map((f, i) => ({ name: `fault${i}`, slots: slotsOf(f.asm), mem: f.mem ? Uint8Array.from(f.mem) : undefined }));
  let results: EngineResult[] = [];
  beforeAll(() => {
    results = runEngine(model, cases);
  });
  FAULTS.forEach((f, i) => {
    it(f.name, () => {
      expect(results[i]!.status).toBe("error");
      expectSameAsInterpreter(cases[i]!, results[i]!);
    });
  });
});
