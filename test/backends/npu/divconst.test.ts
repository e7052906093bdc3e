// Division and modulo by a constant through reciprocal multiplication (issue 9):
// unsigned and signed, 32- and 64-bit, against the interpreter (RFC 9669: x/0 = 0,
// x%0 = x, signed division truncates toward zero, INT_MIN / -1 wraps), and the
// routine's loop gone from the code.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { compileForNpu, moduleOf, npuDescriptor } from "../../../backends/npu/backend.js";
import { signedMagic, unsignedMagic } from "../../../backends/npu/codegen/isel.js";
import { printWord } from "../../../backends/npu/isa.js";
import { hex, reference } from "../fpga/support.js";
import { runOnNpu } from "./support.js";

const I64_MIN = -(1n << 63n);
const special = [0n, 1n, -1n, 2n, -2n, 3n, -3n, 5n, 6n, 7n, -7n, 10n, -10n, 16n, -16n, 641n, 1000n, 1000000007n, 0x7fffffffn, -0x80000000n, 0x80000000n, 0xffffffffn, 0x100000000n, 0x100000001n, (1n << 62n) + 1n, 1n << 62n, I64_MIN, I64_MIN + 1n, (1n << 63n) - 1n, 0xcccccccccccccccdn - (1n << 64n), 12345678901234n, -12345678901234n];
const divisor = fc.oneof(fc.constantFrom(...special), fc.bigInt({ min: I64_MIN, max: (1n << 63n) - 1n }), fc.integer({ min: -0x80000000, max: 0x7fffffff }).map(BigInt), fc.integer({ min: 0, max: 63 }).map((k) => 1n << BigInt(k)));
const dividend = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(0n, 1n, 7n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 63n, (1n << 64n) - 1n, (1n << 63n) - 1n, 0xffffffff80000000n, 0x100000000n, 0xfffffffffffffff9n));

const OPS = ["div", "mod", "sdiv", "smod"] as const;
const lddw = (d: bigint) => `0x${BigInt.asUintN(64, d).toString(16)}`;
const imm32 = (d: bigint) => String(BigInt.asIntN(32, d));

/** Each op by d on a 64-bit dividend (lddw divisor), a 32-bit op (immediate), a 64-bit op with the 32-bit immediate, and a 64-bit op on a word-sized dividend. */
function program(d: bigint): string {
  const lines = ["mov %r9, %r1", "ldxdw %r7, [%r9+0]", "ldxw %r8, [%r9+0]", `lddw %r6, ${lddw(d)}`];
  let slot = 1;
  const out = (r: string) => lines.push(`stxdw [%r9+${8 * slot++}], ${r}`);
  for (const op of OPS) {
    lines.push("mov %r2, %r7", `${op} %r2, %r6`); out("%r2");
    lines.push("mov %r2, %r7", `${op}32 %r2, ${imm32(d)}`); out("%r2");
    lines.push("mov %r2, %r7", `${op} %r2, ${imm32(d)}`); out("%r2");
    lines.push("mov %r2, %r8", `${op} %r2, %r6`); out("%r2");
  }
  lines.push("mov %r0, 0", "exit");
  return lines.join("\n");
}

function memOf(n: bigint): Uint8Array {
  const b = new Uint8Array(8 * 17);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

describe("NPU division by a constant", () => {
  it("udiv/urem/sdiv/srem, 32 and 64 bits, by constant divisors give the interpreter's results", () => {
    fc.assert(fc.property(divisor, fc.array(dividend, { minLength: 1, maxLength: 3 }), (d, ns) => {
      const object = assemble(program(d), "divconst.s");
      for (const n of ns) {
        const mem = memOf(n);
        const want = reference(object, mem);
        expect(want.kind).toBe("done");
        const got = runOnNpu(object, mem);
        expect(got.kind === "done" ? "done" : JSON.stringify(got)).toBe("done");
        if (got.kind !== "done" || want.kind !== "done") return;
        expect(hex(got.mem), `n = ${n}, d = ${d}`).toBe(hex(want.mem));
      }
    }), { numRuns: 200, seed: 9669 });
  });

  it("the magic numbers are exact at the edges of the dividend range", () => {
    fc.assert(fc.property(fc.bigInt({ min: 3n, max: (1n << 64n) - 1n }), (d) => {
      if ((d & (d - 1n)) === 0n) return;
      for (const bits of [32, 64]) {
        const W = BigInt(bits);
        if (d >= 1n << W) continue;
        const u = unsignedMagic(d, bits);
        for (const n of [0n, 1n, d - 1n, d, d + 1n, (1n << W) - 1n, (1n << W) - 2n, ((1n << W) / d) * d - 1n, ((1n << W) / d) * d].filter((x) => x >= 0n && x < 1n << W)) {
          const t = (u.m * n) >> W;
          const q = u.add ? (t + ((n - t) >> 1n)) >> BigInt(u.shift) : t >> BigInt(u.shift);
          expect(q, `${n} / ${d} (${bits})`).toBe(n / d);
        }
        if (d >= 1n << (W - 1n)) continue;
        const s = signedMagic(d, bits);
        for (const n of [0n, 1n, -1n, d, -d, d - 1n, 1n - d, (1n << (W - 1n)) - 1n, -(1n << (W - 1n))]) {
          const hs = (BigInt.asIntN(bits, s.m) * n) >> W; // floor, as mulhs
          const t = BigInt.asIntN(bits, s.m) < 0n ? hs + n : hs;
          const q = (t >> BigInt(s.shift)) + (n < 0n ? 1n : 0n);
          expect(q, `${n} / ${d} signed (${bits})`).toBe(n / d);
        }
      }
    }), { numRuns: 300, seed: 10 });
  });

  it("no division loop is left for a constant divisor", () => {
    for (const d of [7n, -7n, 10n, 1000000007n, 12345678901234n, -12345678901234n, I64_MIN, 3n]) {
      for (const op of OPS) {
        for (const line of [`${op} %r2, %r6`, `${op}32 %r2, ${imm32(d)}`]) {
          const object = assemble(["ldxdw %r2, [%r1+0]", `lddw %r6, ${lddw(d)}`, line, "mov %r0, %r2", "exit"].join("\n"), "one.s");
          const code = compileForNpu(moduleOf(object, 0, "raw"), npuDescriptor());
          // The routine shifts its remainder and dividend with dshl every round; nothing else here does.
          expect(code.words.map(printWord).filter((t) => t.startsWith("dshl")), `${line} by ${d}`).toEqual([]);
          expect(code.words.length, `${line} by ${d}`).toBeLessThan(60);
        }
      }
    }
  });
});
