// The code generator's hard parts against the interpreter: random 64- and 32-bit ALU
// programs (carry chains, multiply steps, the division routine, funnel shifts, sign
// extension, byte swaps), register pressure that spills, and the saving of the 32-bit
// width analysis over the pair-for-everything translation.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { compileForNpu, moduleOf, npuDescriptor } from "../../../backends/npu/backend.js";
import { hex, reference } from "../fpga/support.js";
import { runOnNpu } from "./support.js";

const ALU = ["add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "lsh", "rsh", "arsh", "xor", "mov"] as const;
const value64 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 1n, 2n, 7n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 1n << 63n, (1n << 64n) - 1n, (1n << 63n) - 1n, 0xffffffff80000000n, 0x100000000n),
);
const imm32 = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, 1, -1, 31, 32, 33, 63, 64, -0x80000000, 0x7fffffff, 0x10000, 0xffff));
const reg = fc.integer({ min: 0, max: 5 });
const line = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...ALU), fc.boolean(), reg, reg).map(([op, w32, d, s]) => `${op}${w32 ? "32" : ""} %r${d}, %r${s}`) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ALU), fc.boolean(), reg, imm32).map(([op, w32, d, k]) => `${op}${w32 ? "32" : ""} %r${d}, ${k}`) },
  { weight: 1, arbitrary: fc.tuple(fc.boolean(), reg).map(([w32, d]) => `neg${w32 ? "32" : ""} %r${d}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("movsx832", "movsx1632", "movsx864", "movsx1664", "movsx3264"), reg, reg).map(([op, d, s]) => `${op} %r${d}, %r${s}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("le16", "le32", "le64", "be16", "be32", "be64", "bswap16", "bswap32", "bswap64"), reg).map(([op, d]) => `${op} %r${d}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jset"), fc.boolean(), reg, fc.oneof(reg.map((r) => `%r${r}`), imm32.map(String))).map(([op, w32, d, b]) => `${op}${w32 ? "32" : ""} %r${d}, ${b}, +1\nmov %r${d}, 77`) },
);
/** Registers from the input memory, the random lines, every register stored back. */
const program = fc.tuple(fc.array(value64, { minLength: 6, maxLength: 6 }), fc.array(line, { minLength: 1, maxLength: 24 })).map(([init, body]) => ({
  mem: (() => {
    const b = new Uint8Array(56);
    const v = new DataView(b.buffer);
    init.forEach((x, i) => v.setBigUint64(8 * i, x, true));
    return b;
  })(),
  text: [
    "mov %r9, %r1",
    ...[0, 1, 2, 3, 4, 5].map((i) => `ldxdw %r${i}, [%r9+${8 * i}]`),
    ...body,
    ...[1, 2, 3, 4, 5].map((i) => `stxdw [%r9+${8 * i}], %r${i}`),
    "exit",
  ].join("\n"),
}));

describe("NPU code generation", () => {
  it("random ALU and compare programs give the interpreter's registers", () => {
    fc.assert(fc.property(program, ({ text, mem }) => {
      const object = assemble(text, "alu.s");
      const want = reference(object, mem);
      if (want.kind !== "done") return;
      for (const opts of [{}, { pairs: true }]) {
        const got = runOnNpu(object, mem, opts);
        expect(got.kind === "done" ? "done" : JSON.stringify(got)).toBe("done");
        if (got.kind !== "done") return;
        expect("0x" + got.r0.toString(16)).toBe("0x" + want.r0.toString(16));
        expect(hex(got.mem)).toBe(hex(want.mem));
      }
    }), { numRuns: 250, seed: 2026 });
  });

  it("spills to local memory under register pressure and stays correct", () => {
    // Twenty 64-bit values live at once (the IR keeps the stack slots in registers): 40 words for 26 registers.
    const lines: string[] = [];
    for (let i = 0; i < 20; i++) lines.push(`ldxdw %r2, [%r1+${8 * (i % 6)}]`, `mul %r2, ${i * 7 + 3}`, `add %r2, ${i}`, `stxdw [%r10-${8 * (i + 1)}], %r2`);
    lines.push("mov %r0, 0");
    for (let i = 19; i >= 0; i--) lines.push(`ldxdw %r3, [%r10-${8 * (i + 1)}]`, `rsh %r3, ${i % 13}`, "xor %r0, %r3", "add %r0, %r3");
    lines.push("exit");
    const object = assemble(lines.join("\n"), "spill.s");
    const mem = Uint8Array.from({ length: 48 }, (_, i) => (i * 37 + 11) & 0xff);
    const code = compileForNpu(moduleOf(object, 0, "raw"), npuDescriptor());
    expect(code.spilled).toBeGreaterThan(4);
    const got = runOnNpu(object, mem);
    const want = reference(object, mem);
    expect(got.kind).toBe("done");
    if (got.kind === "done" && want.kind === "done") expect(got.r0).toBe(want.r0);
  });

  it("works in 32 bits where the high word is proven zero: fewer words than the pair translation", () => {
    const object = assemble(["ldxw %r2, [%r1+0]", "ldxh %r3, [%r1+4]", "or %r2, %r3", "xor %r2, 0x55", "rsh %r2, 3", "mov %r0, %r2", "lsh %r3, 4", "sub %r0, %r3", "exit"].join("\n"), "narrow.s");
    // And a sum that may carry into bit 32 but is masked: only its low word is ever read.
    const masked = assemble(["ldxw %r2, [%r1+0]", "ldxh %r3, [%r1+4]", "add %r2, %r3", "lsh %r2, 3", "and %r2, 0xfff", "mov %r0, %r2", "or %r0, %r3", "exit"].join("\n"), "masked.s");
    const mm = moduleOf(masked, 0, "raw");
    expect(compileForNpu(mm, npuDescriptor()).words.length).toBeLessThan(compileForNpu(mm, npuDescriptor(), { pairs: true }).words.length);
    const m = moduleOf(object, 0, "raw");
    const narrow = compileForNpu(m, npuDescriptor()).words.length;
    const pairs = compileForNpu(m, npuDescriptor(), { pairs: true }).words.length;
    expect(narrow).toBeLessThan(pairs);
    const mem = Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 0x34, 0x12, 0, 0);
    for (const o of [object, masked]) {
      for (const opts of [{}, { pairs: true }]) {
        const got = runOnNpu(o, mem, opts);
        expect(got.kind === "done" && got.r0).toBe((reference(o, mem) as { r0: bigint }).r0);
      }
    }
  });
});
