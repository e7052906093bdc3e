// C's integer promotions and usual arithmetic conversions, differentially: random
// expressions over operands of every integer type (fast-check, fixed seed) are compiled
// by bpfoff and by clang -O2 -target bpf as raw programs and run by the interpreter on
// random memory; r0 must agree. Expressions avoid undefined behaviour (signed overflow,
// division by zero, oversized and negative shifts), so that clang may not exploit it:
// + - * / % and << take operands cast to types whose promoted arithmetic cannot overflow.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileCToObject } from "../../../cli/load.js";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import { runRaw } from "../../../runtime/interp/run.js";
import { clangBpfSource, HAS_CLANG } from "../../support/clang.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

const HAS_CPP = hasTool("cpp");
const ALL = ["char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int", "long", "unsigned long", "long long", "unsigned long long", "_Bool"];
/** Types whose values, after promotion, cannot overflow in + - * with each other (or wrap: unsigned). */
const SAFE = ["char", "signed char", "unsigned char", "short", "unsigned short", "unsigned int", "unsigned long", "unsigned long long", "_Bool"];
/** clang's BPF target (before cpu v4) has no signed division: dividends that make the division unsigned. */
const UNSIGNED_WIDE = ["unsigned int", "unsigned long", "unsigned long long"];
const UNSIGNED_SAFE = ["unsigned char", "unsigned short", "unsigned int", "unsigned long", "unsigned long long", "_Bool"];
const CONSTANTS = ["0", "1", "-1", "7", "200", "255", "-128", "65535", "0x7fffffff", "0x80000000", "0xffffffff", "4294967295u", "-1L", "1ll", "0x8000000000000000", "18446744073709551615ull", "'a'", "'\\xff'"];
const VARS = ["a", "b", "c"];

const cast = (t: string, e: string) => `((${t})(${e}))`;

function expr(depth: number): fc.Arbitrary<string> {
  const leaf = fc.oneof(fc.constantFrom(...VARS), fc.constantFrom(...CONSTANTS));
  if (depth === 0) return leaf;
  const sub = expr(depth - 1);
  const safe = (ts: string[]) => fc.tuple(fc.constantFrom(...ts), sub).map(([t, e]) => cast(t, e));
  return fc.oneof(
    { weight: 2, arbitrary: leaf },
    { weight: 3, arbitrary: fc.tuple(safe(SAFE), fc.constantFrom("+", "-", "*"), safe(SAFE)).map(([x, op, y]) => `(${x} ${op} ${y})`) },
    { weight: 2, arbitrary: fc.tuple(safe(UNSIGNED_WIDE), fc.constantFrom("/", "%"), safe(SAFE)).map(([x, op, y]) => `(${x} ${op} (${y} | 1))`) },
    { weight: 2, arbitrary: fc.tuple(safe(UNSIGNED_SAFE), safe(SAFE)).map(([x, y]) => `(${x} << (${y} & 7))`) },
    { weight: 2, arbitrary: fc.tuple(sub, safe(SAFE)).map(([x, y]) => `(${x} >> (${y} & 7))`) },
    { weight: 4, arbitrary: fc.tuple(sub, fc.constantFrom("<", ">", "<=", ">=", "==", "!=", "&", "|", "^", "&&", "||"), sub).map(([x, op, y]) => `(${x} ${op} ${y})`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom("~", "!"), sub).map(([op, x]) => `(${op}${x})`) },
    { weight: 1, arbitrary: safe(SAFE).map((x) => `(-${x})`) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...ALL), sub).map(([t, e]) => cast(t, e)) },
    { weight: 1, arbitrary: fc.tuple(sub, sub, sub).map(([c, x, y]) => `(${c} ? ${x} : ${y})`) },
  );
}

/** Operand types: a _Bool in memory must hold 0 or 1 (anything else is undefined), so _Bool only appears in casts. */
const VAR_TYPES = ALL.filter((t) => t !== "_Bool");
const program = fc.record({ types: fc.tuple(fc.constantFrom(...VAR_TYPES), fc.constantFrom(...VAR_TYPES), fc.constantFrom(...VAR_TYPES)), body: expr(3) });

function source(progs: readonly { types: readonly string[]; body: string }[]): string {
  const fns = progs.map((p, i) => `SEC("raw${i}")
long t${i}(unsigned char *m, long len)
{
	${p.types[0]} a = *(${p.types[0]} *)(m + 0);
	${p.types[1]} b = *(${p.types[1]} *)(m + 8);
	${p.types[2]} c = *(${p.types[2]} *)(m + 16);
	return (long)${p.body};
}
`);
  return `#include <linux/types.h>\n#define SEC(s) __attribute__((section(s), used))\n\n${fns.join("\n")}\nchar LICENSE[] SEC("license") = "GPL";\n`;
}

/** Memory contents that reach the interesting edges: signs, zero, all ones, and random bytes. */
function memories(seed: number): Uint8Array[] {
  const words = [0n, 1n, 0xffn, 0x80n, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n];
  const rnd = fc.sample(fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), { seed, numRuns: 8 });
  const sets: bigint[][] = [...words.map((w, i) => [w, words[(i + 3) % words.length]!, words[(i + 7) % words.length]!]), ...rnd.map((t) => [...t])];
  return sets.map((vs) => {
    const b = Buffer.alloc(24);
    vs.forEach((v, i) => b.writeBigUInt64LE(v, i * 8));
    return new Uint8Array(b);
  });
}

describe("integer promotions and conversions against clang", () => {
  it("random expressions give clang's r0 on every input", () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    if (!requireOrSkip("clang", HAS_CLANG, "clang -target bpf is the reference")) return;
    const progs = fc.sample(program, { seed: 20261125, numRuns: 120 });
    const src = source(progs);
    const ours = compileCToObject(src, "arith.c");
    const theirs = loadElf(clangBpfSource(src, "arith.c"), "arith.o");
    const mems = memories(7);
    const mismatches: string[] = [];
    progs.forEach((p, i) => {
      const idx = (o: typeof ours) => o.programs.findIndex((x) => x.name === `t${i}`);
      for (const mem of mems) {
        const a = runRaw(ours, mem, { program: idx(ours) }).r0;
        const b = runRaw(theirs, mem, { program: idx(theirs) }).r0;
        if (a !== b) {
          mismatches.push(`t${i} (${p.types.join(", ")}): ${p.body}\n  memory ${Buffer.from(mem).toString("hex")}: bpfoff 0x${a.toString(16)}, clang 0x${b.toString(16)}`);
          break;
        }
      }
    });
    expect(mismatches.slice(0, 5).join("\n")).toBe("");
  });
});
