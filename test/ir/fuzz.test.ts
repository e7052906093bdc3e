// Generated programs through the IR: lift → passes → BPF code generation gives the same
// r0 and memory as the original on the interpreter, with and without optimisation and
// with the pipeline for targets without back edges (fast-check shrinks a failure to a
// small program).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../frontends/bpf/asm/assemble.js";
import { compileModule } from "../../backends/bpf/codegen/index.js";
import { liftProgram } from "../../ir/lift/lift.js";
import { DEFAULT_PIPELINE, runPasses } from "../../ir/passes/index.js";
import { validateModule } from "../../ir/core/validate.js";
import { runRaw } from "../../runtime/interp/run.js";

const DST = [0, 3, 4, 5, 6, 7, 8]; // r1 (input memory), r2 (its length), r9 (loop counter), r10 stay
const SRC = [0, 2, 3, 4, 5, 6, 7, 8];
const ALU = ["add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "lsh", "rsh", "arsh", "xor", "mov"];
const JMP = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jset"];

const reg = (set: number[]) => fc.constantFrom(...set).map((r) => `%r${r}`);
const imm32 = fc.oneof(fc.integer({ min: -8, max: 70 }), fc.integer({ min: -2147483648, max: 2147483647 }));
const slot = fc.integer({ min: 1, max: 4 }).map((k) => -8 * k);

const alu = fc.tuple(fc.constantFrom(...ALU), fc.boolean(), reg(DST), fc.oneof(reg(SRC), imm32.map(String))).map(([op, w32, d, s]) => `${op}${w32 ? "32" : ""} ${d}, ${s}`);
const unary = fc.tuple(fc.constantFrom("neg", "neg32", "be16", "be32", "be64", "le16", "le32", "bswap16", "bswap32", "bswap64"), reg(DST)).map(([op, d]) => `${op} ${d}`);
const movsx = fc.tuple(fc.constantFrom("movsx832", "movsx1632", "movsx864", "movsx1664", "movsx3264"), reg(DST), reg(SRC)).map(([op, d, s]) => `${op} ${d}, ${s}`);
const stack = fc.oneof(
  fc.tuple(slot, reg(SRC)).map(([o, s]) => `stxdw [%r10${o}], ${s}`),
  fc.tuple(slot, reg(DST)).map(([o, d]) => `ldxdw ${d}, [%r10${o}]`),
  fc.tuple(slot, reg(SRC)).map(([o, s]) => `stxw [%r10${o}], ${s}`),
  fc.tuple(slot, reg(DST)).map(([o, d]) => `ldxw ${d}, [%r10${o}]`),
  fc.tuple(slot, imm32).map(([o, v]) => `stdw [%r10${o}], ${v}`),
);
const memory = fc.oneof(
  fc.tuple(reg(DST), fc.integer({ min: 0, max: 15 })).map(([d, o]) => `ldxb ${d}, [%r1+${o}]`),
  fc.tuple(reg(DST), fc.integer({ min: 0, max: 12 })).map(([d, o]) => `ldxw ${d}, [%r1+${o}]`),
  fc.tuple(reg(SRC), fc.integer({ min: 0, max: 8 })).map(([s, o]) => `stxdw [%r1+${o}], ${s}`),
);
const jump = fc.tuple(fc.constantFrom(...JMP), fc.boolean(), reg(SRC), fc.oneof(reg(SRC), imm32.map(String)), fc.integer({ min: 0, max: 4 })).map(([op, w32, a, b, k]) => `${op}${w32 ? "32" : ""} ${a}, ${b}, +${k}`);
const line = fc.oneof({ weight: 5, arbitrary: alu }, { weight: 1, arbitrary: unary }, { weight: 1, arbitrary: movsx }, { weight: 2, arbitrary: stack }, { weight: 2, arbitrary: memory }, { weight: 2, arbitrary: jump });
const constants = fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 7, maxLength: 7 });

/** A program: constants in r0 and r3-r8, a body, optionally looped a few times on r9, exit. */
const program = fc.tuple(constants, fc.array(line, { minLength: 1, maxLength: 24 }), fc.integer({ min: 0, max: 4 })).map(([consts, body, loops]) => {
  const init = DST.map((r, i) => `lddw %r${r}, 0x${consts[i]!.toString(16)}`);
  // Forward jumps land inside the body or on the padding before the loop's end.
  const padded = [...body, ...Array(4).fill("mov %r0, %r0")];
  const looped = loops > 0 ? [`mov %r9, ${loops}`, "top:", ...padded, "sub %r9, 1", "jne %r9, 0, top"] : padded;
  return [...init, ...looped, "exit"].join("\n");
});

const PIPELINES: Record<string, readonly string[]> = {
  "no passes": [],
  "-O": DEFAULT_PIPELINE,
  "no back edges": ["unroll", ...DEFAULT_PIPELINE, "if-convert", "simplify-cfg", "dce"],
};

function outcome(run: () => { r0: bigint; mem: Uint8Array }): string {
  try {
    const r = run();
    return `r0=${r.r0} mem=${Buffer.from(r.mem).toString("hex")}`;
  } catch (e) {
    return `fault: ${(e as Error).message.replace(/instruction \d+: /, "").replace(/0x[0-9a-f]+/g, "X").split("\n")[0]}`;
  }
}

describe("generated programs through the IR", () => {
  for (const [name, passes] of Object.entries(PIPELINES)) {
    it(`behave the same (${name})`, () => {
      fc.assert(
        fc.property(program, fc.uint8Array({ minLength: 16, maxLength: 16 }), (src, mem) => {
          const obj = assemble(src, "gen.s");
          const module = runPasses(liftProgram(obj, 0, "raw"), passes);
          expect(validateModule(module)).toEqual([]);
          const again = compileModule(module, { name: "main", section: "", mapInit: new Map(), license: "" });
          expect(outcome(() => runRaw(again, mem))).toBe(outcome(() => runRaw(obj, mem)));
        }),
        { numRuns: Number(process.env["FUZZ_RUNS"] ?? 150) },
      );
    });
  }
});
