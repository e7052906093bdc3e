// The micro-engine's encoding as rows (STYLE.md §6): assembler text, the 64-bit word, and
// back; then properties: every word the decoder accepts prints and re-assembles to the
// same bits, and the assembler's diagnostics point at file:line:col.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assembleMicrocode } from "../../../backends/npu/asm/assemble.js";
import { decodeWord, encodeWord, FIELDS, OPS, printWord, wordProblems } from "../../../backends/npu/isa.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";

const bits = (text: string) => assembleMicrocode(text, "t.s").words.map((w) => encodeWord(w).toString(16).padStart(16, "0"));

/** [text, word in hex]: grouped by format and edge case. */
const ROWS: readonly (readonly [string, string])[] = [
  // ALU: a from the A bank or $r, b from the B bank, $r or an immediate in four forms.
  ["add A1, A2, B3", "0401093000000000"],
  ["addc B0, A15, B15", "08103df000000000"],
  ["sub none, A2, #0x8", "0c3f080800000008"],
  ["and A0, $r3, #0x1234<<16", "1c008c0c00001234"],
  ["or A0, A1, #~0x0", "2000040a00000000"],
  ["xor B2, A0, #~0xff<<16", "2412000e000000ff"],
  ["mul_hi A3, A1, $r15", "2c0306f000000000"],
  // Shifter: immediate amounts 0..63, or the sa register (64).
  ["shl A4, A3, 8", "40040c0020000000"],
  ["asr A4, A3, sa", "48040c0100000000"],
  ["dshl A5, A2, B15, 63", "4c0509f0fc000000"],
  ["bswap B1, A1", "5811040000000000"],
  // Moves leave the flags alone; immw1 keeps the low half of its destination.
  ["mova B15, A3", "601f0c0000000000"],
  ["movb A13, #0x240", "640d000800000240"],
  ["immw1 A13, #0x1", "680d000000000001"],
  ["movb $w0, B2", "6430012000000000"],
  ["movb sa, #0x3f", "643e00080000003f"],
  // Sequencer.
  ["br.al 7", "8000000000000007"],
  ["br.le 65535", "838000000000ffff"],
  ["bl B13, 300", "841d00000000012c"],
  ["rtn $r14", "8800b80000000000"],
  ["wait 0x82", "8c00000000000082"],
  ["done", "9000000000000000"],
  // Commands: size, transfer register, signed offset, signal, swap, packet order.
  ["rd.4 $r0, [A0+4], sig1", "c000000002020004"],
  ["rd.8 $r14, [A13-576], sig7, swap", "c000340003effdc0"],
  ["wr.1 $w13, [A13+0], sig0", "c400340000d00000"],
  ["atom.add.8 $w0, [A4+8], sig4, ord", "c801100003080008"],
  ["atom.cmpxchg.4 $w0, [A1-4], sig2, swap", "ca4004000205fffc"],
  ["lkp.update $r7, map0, A3, B0, #1, sig1, ord", "cc410d0000720001"],
  ["lkp.lookup $r6, map3, A1, A0, #0, sig1, swap, ord", "cc0104000c630000"],
  // rel (bit 35): a found key releases packet order at issue.
  ["lkp.lookup $r5, map0, A0, A0, #0, sig6, ord, rel", "cc010008005c0000"],
  ["hlp $r2, 7, sig5, swap", "d0000000002b0007"],
];

describe("microword rows", () => {
  for (const [text, word] of ROWS) {
    it(text, () => {
      const [got] = bits(text);
      const w = decodeWord(BigInt(`0x${got}`));
      // The row's bits, and printing the decoded word gives the text back.
      expect(printWord(w)).toBe(text);
      expect(got).toBe(word);
      expect(wordProblems(w)).toEqual([]);
    });
  }
});

describe("round trips", () => {
  it("every well-formed word prints and re-assembles to its bits", () => {
    const word = fc.record(Object.fromEntries(FIELDS.map(([name, , width]) => [name, fc.integer({ min: 0, max: 2 ** width - 1 })])) as Record<string, fc.Arbitrary<number>>)
      .map((w) => ({ ...w, op: OPS[w.op! % OPS.length]!.code }))
      .map((w) => decodeWord(encodeWord(w as never)))
      .filter((w) => wordProblems(w).length === 0);
    fc.assert(fc.property(word, (w) => {
      const text = printWord(w);
      const [back] = assembleMicrocode(text, "t.s").words;
      // Fields a format does not use are not printed: compare what the text says.
      expect(printWord(back!)).toBe(text);
    }), { numRuns: 2000, seed: 3 });
  });

  it("labels resolve to addresses", () => {
    expect(bits("top:\n  br.ne out\n  br top\nout: done")).toEqual(["8080000000000002", "8000000000000000", "9000000000000000"]);
  });
});

describe("assembler diagnostics", () => {
  const problems = (text: string) => {
    try {
      assembleMicrocode(text, "bad.s");
      return [];
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      return e.diagnostics.map((d) => `${d.loc.file}:${d.loc.line}:${d.loc.col}: ${d.code}: ${d.message}`);
    }
  };
  it("names each problem at file:line:col", () => {
    expect(problems("add A1, B2, B3")).toEqual(["bad.s:1:1: asm-syntax: add: B2 cannot be the a operand (A bank or $r)"]);
    expect(problems("nop\n  frob A1")).toEqual(["bad.s:2:3: asm-mnemonic: unknown mnemonic 'frob'"]);
    expect(problems("add A16, A1, B1")).toEqual(["bad.s:1:5: asm-register: Invalid register 'A16'"]);
    expect(problems("br.eq nowhere")).toEqual(["bad.s:1:7: asm-label: undefined label 'nowhere'"]);
    expect(problems("movb A1, #0x12345")).toEqual(["bad.s:1:11: asm-imm-range: immediate 74565 is out of range for movb (16 bits, then <<16 or ~)"]);
    expect(problems("rd.3 $r0, [A0+0], sig1")).toEqual(["bad.s:1:1: asm-mnemonic: unknown mnemonic 'rd.3'"]);
    expect(problems("rd.4 $w0, [A0+0], sig9")).toEqual([
      "bad.s:1:6: asm-operand: operand 1 of rd.4 must be a read transfer register $rN",
      "bad.s:1:19: asm-operand: operand 3 of rd.4 must be a signal sig0..sig7",
    ]);
    expect(problems("add A1, A2")).toEqual(["bad.s:1:1: asm-operands: Invalid number of operands for add: expected dst, a, b|#imm"]);
    expect(problems("x: nop\nx: nop")).toEqual(["bad.s:2:1: asm-label-dup: label 'x' is defined twice"]);
    expect(problems("lkp.update $r0, map0, A0, B0, #0, sig1, ord, rel")).toEqual(["bad.s:1:1: asm-syntax: lkp.update: rel (release packet order when the key is found) needs an ordered lkp.lookup"]);
    expect(problems("rd.4 $r0, [A0+0], sig1, rel")).toEqual(["bad.s:1:1: asm-syntax: rd.4: rel is for lkp.lookup only"]);
  });
});

describe("docs/npu-isa.md", () => {
  it("lists every opcode with its code and format, as isa.ts has them", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync(new URL("../../../docs/npu-isa.md", import.meta.url), "utf8");
    for (const o of OPS) expect(doc).toContain(`| 0x${o.code.toString(16).padStart(2, "0")} | ${o.name} | ${o.format} |`);
    for (const [name, lo, width] of FIELDS) expect(doc).toContain(`| ${name} | ${width === 1 ? lo : `${lo + width - 1}:${lo}`} |`);
  });
});
