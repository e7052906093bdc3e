// The C features in features.c (switch with ranges and fall-through, goto, loops, unrolled
// loops with break and continue, struct copies, compound literals, designated
// initialisers, bit-fields, enums, global data, memory builtins, byte swaps, atomics,
// pointer arithmetic, conditionals, statement expressions, shifts and casts), compiled by
// bpfoff and by clang -O2 -target bpf and run on the same memories: r0 and memory agree.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileCToObject } from "../../../cli/load.js";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { instantiateMaps, runRaw } from "../../../runtime/interp/run.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { clangBpf, HAS_CLANG } from "../../support/clang.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

const FILE = join(dirname(fileURLToPath(import.meta.url)), "features.c");
const HAS_CPP = hasTool("cpp");
const NAMES = [...readFileSync(FILE, "utf8").matchAll(/^RAW\((\w+)\)/gm)].map((m) => m[1]!);

const MEMORIES = [
  new Uint8Array(64),
  new Uint8Array(64).fill(0xff),
  Uint8Array.from({ length: 64 }, (_, i) => i * 37 + 11),
  ...fc.sample(fc.uint8Array({ minLength: 64, maxLength: 64 }), { seed: 5, numRuns: 12 }),
];

function runAll(object: BpfObject, name: string): string[] {
  const program = object.programs.findIndex((p) => p.name === name);
  // One map state per object, carried across runs (global data counts them).
  const maps = instantiateMaps(object);
  const host = newHostState();
  return MEMORIES.map((mem) => {
    const r = runRaw(object, mem, { program, maps, host });
    return `r0=0x${r.r0.toString(16)} mem=${Buffer.from(r.mem).toString("hex")}`;
  });
}

describe("C features against clang", () => {
  it("features.c has programs", () => expect(NAMES.length).toBeGreaterThan(10));

  let ours: BpfObject | undefined;
  let theirs: BpfObject | undefined;
  it.each(NAMES)("%s", (name) => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    if (!requireOrSkip("clang", HAS_CLANG, "clang -target bpf is the reference")) return;
    ours ??= compileCToObject(readFileSync(FILE, "utf8"), FILE);
    // cpu v3: 32-bit atomics and cmpxchg (the default v1 has only 64-bit atomic add).
    theirs ??= loadElf(clangBpf(FILE, ["-mcpu=v3"]), "features.o");
    expect(runAll(ours, name)).toEqual(runAll(theirs, name));
  });
});

describe("__builtin_memcmp (clang calls memcmp, which BPF lacks: checked against its definition)", () => {
  it("returns the difference of the first differing bytes, as unsigned char", () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const src = `#include <linux/types.h>
__attribute__((section("raw"))) long f(unsigned char *m, long len) { return __builtin_memcmp(m, m + 8, 6); }
`;
    const object = compileCToObject(src, "memcmp.c");
    const cmp = (a: number[], b: number[]) => {
      const mem = new Uint8Array(16);
      mem.set(a, 0);
      mem.set(b, 8);
      return BigInt.asIntN(64, runRaw(object, mem).r0);
    };
    expect(cmp([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])).toBe(0n);
    expect(cmp([1, 2, 3, 9, 5, 6], [1, 2, 3, 4, 0, 0])).toBe(5n);
    expect(cmp([1, 2, 0, 0, 0, 0], [1, 2, 0xff, 0, 0, 0])).toBe(-255n);
    expect(cmp([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 7])).toBe(-1n);
  });
});
