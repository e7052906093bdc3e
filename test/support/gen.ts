// Random small BPF programs as assembler text, for properties over the verifier and the
// interpreter. Programs are built from snippets that are usually safe and sometimes not
// (a missing or short bounds check, an uninitialised stack slot, a NULL map value), so
// that a fair share passes the verifier and the rest exercise its rejections.
//
// Register conventions of the generated code: r0, r5, r6, r7 are scratch scalars;
// r9 keeps r1 (ctx or memory) and r8 the raw program's length across helper calls;
// xdp: r2 = data, r3 = data_end (reloaded after calls); raw: r1 = memory, r2 = length.
import fc from "fast-check";

export type GenType = "xdp" | "raw";

const SCRATCH = ["%r0", "%r5", "%r6", "%r7"] as const;
const ALU = ["add", "sub", "mul", "div", "mod", "and", "or", "xor", "lsh", "rsh", "arsh", "mov"] as const;
const JMP = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jslt", "jset"] as const;

const scratch = fc.constantFrom(...SCRATCH);
const small = fc.integer({ min: -8, max: 300 });

function restore(type: GenType): string[] {
  return type === "xdp" ? ["mov %r1, %r9", "ldxw %r2, [%r1+0]", "ldxw %r3, [%r1+4]"] : ["mov %r1, %r9", "mov %r2, %r8"];
}

function snippets(type: GenType): fc.Arbitrary<string[]> {
  const alu = fc.tuple(fc.constantFrom(...ALU), fc.boolean(), scratch, fc.oneof(scratch, small.map(String))).map(([op, w32, d, s]) => {
    const imm = /^-?\d+$/.test(s);
    const shift = op === "lsh" || op === "rsh" || op === "arsh";
    const src = imm && shift ? String(Math.abs(Number(s)) % (w32 ? 32 : 64)) : s;
    return [`${op}${w32 ? "32" : ""} ${d}, ${src}`];
  });
  const stackStore = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.oneof(scratch, small.map(String))).map(([slot, s]) =>
    /^-?\d+$/.test(s) ? [`stdw [%r10-${slot * 8}], ${s}`] : [`stxdw [%r10-${slot * 8}], ${s}`],
  );
  const stackStoreW = fc.tuple(fc.integer({ min: 1, max: 16 }), small).map(([slot, v]) => [`stw [%r10-${slot * 4}], ${v}`]);
  const stackLoad = fc.tuple(scratch, fc.integer({ min: 1, max: 3 }), fc.constantFrom("dw", "w", "b")).map(([d, slot, sz]) => [`ldx${sz} ${d}, [%r10-${slot * 8}]`]);
  // Bounds-checked memory loads: usually the offset is inside the checked length, sometimes one past.
  const checkedLoad = fc.tuple(scratch, fc.integer({ min: 1, max: 24 }), fc.integer({ min: 0, max: 24 }), fc.constantFrom(1, 2, 4), fc.integer({ min: 0, max: 5 })).map(([d, n, off, size, past]) => {
    const o = past === 0 ? Math.max(0, n + 1 - size) : Math.max(0, Math.min(off, n) - size);
    const sz = size === 1 ? "b" : size === 2 ? "h" : "w";
    return type === "xdp"
      ? ["mov %r4, %r2", `add %r4, ${n}`, "jgt %r4, %r3, +1", `ldx${sz} ${d}, [%r2+${o}]`]
      : [`jlt %r2, ${n}, +1`, `ldx${sz} ${d}, [%r1+${o}]`];
  });
  const storeToMem = fc.tuple(fc.integer({ min: 1, max: 16 }), small).map(([n, v]) =>
    type === "xdp" ? ["mov %r4, %r2", `add %r4, ${n}`, "jgt %r4, %r3, +1", `stb [%r2+${n - 1}], ${v}`] : [`jlt %r2, ${n}, +1`, `stb [%r1+${n - 1}], ${v}`],
  );
  const uncheckedLoad = fc.tuple(scratch, fc.integer({ min: 0, max: 16 })).map(([d, off]) => [`ldxb ${d}, [${type === "xdp" ? "%r2" : "%r1"}+${off}]`]);
  // A masked variable offset, then a check of the moved pointer (xdp) or of the length (raw).
  const varOffset = fc.tuple(scratch, fc.constantFrom(3, 7, 15)).map(([d, mask]) =>
    type === "xdp"
      ? [`mov %r4, ${d}`, `and %r4, ${mask}`, "add %r4, %r2", "mov %r5, %r4", "add %r5, 1", "jgt %r5, %r3, +1", `ldxb ${d}, [%r4+0]`]
      : [`mov %r4, ${d}`, `and %r4, ${mask}`, `jle %r2, ${mask}, +2`, "add %r4, %r1", `ldxb ${d}, [%r4+0]`],
  );
  const branch = fc.tuple(fc.constantFrom(...JMP), scratch, small, alu).map(([op, a, imm, body]) => [`${op} ${a}, ${imm}, +${body.length}`, ...body]);
  const loop = fc.tuple(scratch, fc.integer({ min: 1, max: 6 })).map(([d, n]) => (d === "%r5" ? [] : ["mov %r5, 0", `add ${d}, 3`, "add %r5, 1", `jlt %r5, ${n}, -3`]));
  const helper = fc.tuple(fc.constantFrom(5, 7, 8), scratch).map(([id, d]) => [`call ${id}`, `mov ${d}, %r0`, ...restore(type)]);
  const mapLookup = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(0, 4, 8), fc.boolean(), scratch).map(([key, off, check, d]) => [
    `stw [%r10-4], ${key}`, "mov %r2, %r10", "add %r2, -4", "lddw %r1, map(m)", "call 1",
    ...(check ? ["jeq %r0, 0, +1"] : []), `ldxw ${d === "%r0" ? "%r6" : d}, [%r0+${off}]`, "mov %r0, 0", ...restore(type),
  ]);
  const pieces: fc.Arbitrary<string[]>[] = [alu, alu, alu, stackStore, stackStoreW, stackLoad, checkedLoad, checkedLoad, storeToMem, varOffset, branch, branch, loop, helper, mapLookup];
  pieces.push(uncheckedLoad);
  return fc.oneof(...pieces);
}

/** Assembler text of a random program of the given type. */
export function programText(type: GenType): fc.Arbitrary<string> {
  return fc.tuple(fc.array(snippets(type), { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 5 }).map((n) => n > 0), scratch).map(([body, initAll, ret]) => {
    const prologue = [".map m array key=4 value=8 entries=4", "mov %r9, %r1", ...(type === "raw" ? ["mov %r8, %r2"] : ["ldxw %r2, [%r1+0]", "ldxw %r3, [%r1+4]"])];
    // Slots fp-8 and fp-16 start initialised; fp-24 only if a snippet writes it.
    const init = [...(initAll ? SCRATCH : SCRATCH.slice(0, 2)).map((r, i) => `mov ${r}, ${i + 1}`), "stdw [%r10-8], 0", "stdw [%r10-16], 0"];
    return [...prologue, ...init, ...body.flat(), `mov %r0, ${ret}`, "exit", ""].join("\n");
  });
}

export const xdpProgram = programText("xdp");
export const rawProgram = programText("raw");
