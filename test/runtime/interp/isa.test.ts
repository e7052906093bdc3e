// Instruction semantics on the reference interpreter, class by class, written from
// RFC 9669 §4-§5 (not from the interpreter): each row is a program and the r0 the RFC
// says it returns. Properties over random operands (fast-check) check the algebra that
// ties operations together, independently of how the interpreter computes them.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { runRaw } from "../../../runtime/interp/run.js";

const run = (src: string, mem?: Uint8Array): bigint => runRaw(assemble(src, "t.s"), mem).r0;
const r0 = (src: string, mem?: Uint8Array): string => "0x" + run(src, mem).toString(16);

const ROWS: Record<string, [string, string][]> = {
  "32-bit ops clear the upper half (§4.1)": [
    ["lddw %r0, 0xffffffffffffffff\nadd32 %r0, 1\nexit", "0x0"],
    ["lddw %r0, 0x1234567800000005\nmov32 %r0, %r0\nexit", "0x5"],
    ["mov32 %r0, -1\nexit", "0xffffffff"],
    ["mov %r0, -1\nexit", "0xffffffffffffffff"],
    ["lddw %r0, 0xffffffff00000000\nneg32 %r0\nexit", "0x0"],
    ["lddw %r0, 0x100000002\nlsh32 %r0, 1\nexit", "0x4"],
  ],
  "division and modulo by zero (§4.1)": [
    ["mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit", "0x0"],
    ["mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit", "0x7"],
    ["lddw %r0, 0xffffffff00000007\nmov %r1, 0\nmod32 %r0, %r1\nexit", "0x7"],
    ["lddw %r0, 0xffffffff00000007\nmov %r1, 0\ndiv32 %r0, %r1\nexit", "0x0"],
    ["mov %r0, -7\nmov %r1, 0\nsdiv %r0, %r1\nexit", "0x0"],
    ["mov %r0, -7\nmov %r1, 0\nsmod %r0, %r1\nexit", "0xfffffffffffffff9"],
  ],
  "signed division: truncation and INT_MIN / -1": [
    ["mov %r0, -7\nsdiv %r0, 2\nexit", "0xfffffffffffffffd"],
    ["mov %r0, -7\nsmod %r0, 2\nexit", "0xffffffffffffffff"],
    ["mov %r0, 7\nsmod %r0, -2\nexit", "0x1"],
    ["lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit", "0x8000000000000000"],
    ["lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit", "0x0"],
    ["mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit", "0x80000000"],
    ["mov32 %r0, 0x80000000\nsmod32 %r0, -1\nexit", "0x0"],
    // unsigned 64-bit division of a "negative" number by an imm that sign-extends
    ["mov %r0, -1\ndiv %r0, -1\nexit", "0x1"],
    ["mov32 %r0, 10\ndiv32 %r0, -1\nexit", "0x0"],
  ],
  "shifts mask the amount to the width (§4.1)": [
    ["mov %r0, 1\nmov %r1, 64\nlsh %r0, %r1\nexit", "0x1"],
    ["mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit", "0x2"],
    ["mov32 %r0, 1\nmov %r1, 32\nlsh32 %r0, %r1\nexit", "0x1"],
    ["mov32 %r0, 0x80000000\nmov %r1, 33\nrsh32 %r0, %r1\nexit", "0x40000000"],
    ["mov32 %r0, 0x80000000\narsh32 %r0, 4\nexit", "0xf8000000"],
    ["lddw %r0, 0x8000000000000000\narsh %r0, 63\nexit", "0xffffffffffffffff"],
    ["mov %r0, -1\nrsh %r0, 60\nexit", "0xf"],
  ],
  "sign extension: movsx, ldxs, imm (§4.1, §5.2)": [
    ["mov %r1, 0x80\nmovsx864 %r0, %r1\nexit", "0xffffffffffffff80"],
    ["mov %r1, 0x80\nmovsx832 %r0, %r1\nexit", "0xffffff80"],
    ["mov32 %r1, 0x8000\nmovsx1664 %r0, %r1\nexit", "0xffffffffffff8000"],
    ["mov32 %r1, 0x80000000\nmovsx3264 %r0, %r1\nexit", "0xffffffff80000000"],
    ["ldxsb %r0, [%r1+0]\nexit", "0xffffffffffffff81"],
    ["ldxsh %r0, [%r1+0]\nexit", "0xffffffffffff8281"],
    ["ldxsw %r0, [%r1+0]\nexit", "0xffffffff84838281"],
    ["ldxw %r0, [%r1+0]\nexit", "0x84838281"],
  ],
  "byte swaps (§4.2)": [
    ["lddw %r0, 0x1122334455667788\nbe16 %r0\nexit", "0x8877"],
    ["lddw %r0, 0x1122334455667788\nle16 %r0\nexit", "0x7788"],
    ["lddw %r0, 0x1122334455667788\nbe32 %r0\nexit", "0x88776655"],
    ["lddw %r0, 0x1122334455667788\nle64 %r0\nexit", "0x1122334455667788"],
    ["lddw %r0, 0x1122334455667788\nbswap64 %r0\nexit", "0x8877665544332211"],
    ["lddw %r0, 0x1122334455667788\nbswap16 %r0\nexit", "0x8877"],
  ],
  "JMP32 compares the low halves only (§4.3)": [
    ["lddw %r1, 0x100000000\nmov %r0, 1\njeq32 %r1, 0, +1\nmov %r0, 2\nexit", "0x1"],
    ["lddw %r1, 0x100000000\nmov %r0, 1\njeq %r1, 0, +1\nmov %r0, 2\nexit", "0x2"],
    ["mov32 %r1, -1\nmov %r0, 1\njslt32 %r1, 0, +1\nmov %r0, 2\nexit", "0x1"],
    ["mov32 %r1, -1\nmov %r0, 1\njslt %r1, 0, +1\nmov %r0, 2\nexit", "0x2"],
    // imm of a 64-bit compare is sign-extended: -1 is 0xffff_ffff_ffff_ffff
    ["mov %r1, -1\nmov %r0, 1\njeq %r1, -1, +1\nmov %r0, 2\nexit", "0x1"],
    ["mov %r0, 3\nja32 +1\nmov %r0, 4\nexit", "0x3"],
  ],
  "atomics (§5.3)": [
    ["stdw [%r10-8], 5\nmov %r1, 3\nlock fetch add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit", "0xd"],
    ["stw [%r10-4], -1\nmov %r1, 1\nlock add32 [%r10-4], %r1\nldxw %r0, [%r10-4]\nexit", "0x0"],
    ["stdw [%r10-8], 5\nmov %r0, 5\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit", "0x9"],
    ["stdw [%r10-8], 5\nmov %r0, 4\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nexit", "0x5"],
    ["stw [%r10-4], 7\nmov %r1, 2\nlock xchg32 [%r10-4], %r1\nldxw %r0, [%r10-4]\nlsh %r0, 8\nor %r0, %r1\nexit", "0x207"],
  ],
  "calls (§4.3.1)": [
    ["mov %r6, 6\nmov %r1, 2\ncall local f\nadd %r0, %r6\nexit\nf:\nmov %r6, 100\nmov %r0, %r1\nexit", "0x8"],
    // each frame has its own stack
    ["stdw [%r10-8], 1\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nstdw [%r10-8], 2\nexit", "0x1"],
  ],
};

describe("instruction semantics (RFC 9669)", () => {
  const mem = Uint8Array.from([0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88]);
  for (const [group, rows] of Object.entries(ROWS)) {
    describe(group, () => {
      for (const [src, expected] of rows) {
        it(src.replace(/\n/g, "; "), () => expect(r0(src, mem)).toBe(expected));
      }
    });
  }
});

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const M64 = (1n << 64n) - 1n;
const lddw = (reg: number, v: bigint) => `lddw %r${reg}, 0x${v.toString(16)}`;

describe("algebra over random operands", () => {
  it("div and mod: (a / b) * b + a % b == a (unsigned, b != 0)", () => {
    fc.assert(fc.property(u64, u64.filter((b) => b !== 0n), (a, b) => {
      const q = run(`${lddw(0, a)}\n${lddw(1, b)}\ndiv %r0, %r1\nexit`);
      const m = run(`${lddw(0, a)}\n${lddw(1, b)}\nmod %r0, %r1\nexit`);
      return ((q * b + m) & M64) === a && m < b;
    }), { numRuns: 200 });
  });
  it("sdiv and smod: the remainder has the dividend's sign and |r| < |b|", () => {
    fc.assert(fc.property(u64, u64.filter((b) => b !== 0n), (a, b) => {
      const q = BigInt.asIntN(64, run(`${lddw(0, a)}\n${lddw(1, b)}\nsdiv %r0, %r1\nexit`));
      const r = BigInt.asIntN(64, run(`${lddw(0, a)}\n${lddw(1, b)}\nsmod %r0, %r1\nexit`));
      const sa = BigInt.asIntN(64, a), sb = BigInt.asIntN(64, b);
      const abs = (x: bigint) => (x < 0n ? -x : x);
      return BigInt.asIntN(64, q * sb + r) === sa && (r === 0n || (r < 0n) === (sa < 0n)) && abs(r) < abs(sb);
    }), { numRuns: 200 });
  });
  it("every 32-bit ALU result fits in 32 bits", () => {
    const ops = ["add32", "sub32", "mul32", "div32", "or32", "and32", "lsh32", "rsh32", "mod32", "xor32", "arsh32", "sdiv32", "smod32"];
    fc.assert(fc.property(u64, u64, fc.constantFrom(...ops), (a, b, op) => run(`${lddw(0, a)}\n${lddw(1, b)}\n${op} %r0, %r1\nexit`) <= 0xffffffffn), { numRuns: 300 });
  });
  it("lsh by n is multiplication by 2^(n mod 64)", () => {
    fc.assert(fc.property(u64, fc.integer({ min: 0, max: 200 }), (a, n) =>
      run(`${lddw(0, a)}\nmov %r1, ${n}\nlsh %r0, %r1\nexit`) === ((a * (1n << BigInt(n % 64))) & M64)), { numRuns: 200 });
  });
  it("bswap64 twice is the identity, and be64 reverses the bytes", () => {
    fc.assert(fc.property(u64, (a) => {
      const once = run(`${lddw(0, a)}\nbe64 %r0\nexit`);
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64LE(a);
      return once === bytes.readBigUInt64BE() && run(`${lddw(0, a)}\nbswap64 %r0\nbswap64 %r0\nexit`) === a;
    }), { numRuns: 100 });
  });
  it("jsgt agrees with signed comparison, jgt with unsigned", () => {
    fc.assert(fc.property(u64, u64, (a, b) => {
      const prog = (op: string) => `${lddw(1, a)}\n${lddw(2, b)}\nmov %r0, 1\n${op} %r1, %r2, +1\nmov %r0, 0\nexit`;
      return run(prog("jsgt")) === (BigInt.asIntN(64, a) > BigInt.asIntN(64, b) ? 1n : 0n) && run(prog("jgt")) === (a > b ? 1n : 0n);
    }), { numRuns: 200 });
  });
});

describe("memory safety", () => {
  it("a load past the input names the instruction and the address", () => {
    expect(() => run("ldxdw %r0, [%r1+4]\nexit", new Uint8Array(8))).toThrow(/instruction 0: 8-byte load at address 0x[0-9a-f]+ is outside every memory region/);
  });
  it("the stack is 512 bytes below r10", () => {
    expect(run("stdw [%r10-512], 1\nldxdw %r0, [%r10-512]\nexit")).toBe(1n);
    expect(() => run("stdw [%r10-520], 1\nexit")).toThrow(/instruction 0: 8-byte store/);
    expect(() => run("stb [%r10+0], 1\nexit")).toThrow(/instruction 0: 1-byte store/);
  });
  it("NULL is never mapped", () => {
    expect(() => run("mov %r1, 0\nldxb %r0, [%r1+0]\nexit")).toThrow(/1-byte load at address 0x0/);
  });
  it("an endless loop stops at the step limit", () => {
    expect(() => runRaw(assemble("ja -1\nexit"), undefined, { maxSteps: 1000 })).toThrow(/did not finish within 1000 instructions/);
  });
  it("unbounded recursion stops at the call depth limit", () => {
    expect(() => run("f:\ncall local f\nexit")).toThrow(/call depth exceeds 8 frames/);
  });
  it("an unknown helper is an error at the call", () => {
    expect(() => run("call 9999\nexit")).toThrow(/instruction 0: unknown helper function 9999/);
  });
});
