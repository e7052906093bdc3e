// The AArch64 encoder, row by row (STYLE.md §6): [instruction, bytes (little-endian
// words), aarch64-linux-gnu-objdump's text] for every form the translator emits: 32- and
// 64-bit (sf), register 31 as SP or XZR, ADD/SUB immediates with LSL #12, MOVZ/MOVN/MOVK
// sequences, scaled and unscaled (LDUR/STUR) offsets, pre/post-indexed pairs, exclusives.
// The text is checked against `aarch64-linux-gnu-objdump -D -b binary -m aarch64`.
// requires: aarch64-linux-gnu-objdump (binutils-aarch64-linux-gnu)
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { disassembleA64 } from "../../../backends/arm64/disasm.js";
import { A64Emitter } from "../../../backends/arm64/encode.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

type Operand = string | number | boolean | { big: string };
type Row = readonly [inst: readonly [string, ...Operand[]], bytes: string, text: string];

const ROWS: readonly Row[] = [
  [["dpReg","add",64,7,0,1], "0700018b", "add x7, x0, x1"],
  [["dpReg","add",32,19,20,21], "9302150b", "add w19, w20, w21"],
  [["dpReg","sub",64,2,31,2], "e20302cb", "neg x2, x2"],
  [["dpReg","subs",64,31,9,10], "3f010aeb", "cmp x9, x10"],
  [["dpReg","subs",32,31,22,7], "df02076b", "cmp w22, w7"],
  [["dpReg","and",64,3,3,4], "6300048a", "and x3, x3, x4"],
  [["dpReg","orr",64,25,31,0], "f90300aa", "mov x25, x0"],
  [["dpReg","orr",32,7,31,7], "e703072a", "mov w7, w7"],
  [["dpReg","eor",32,4,4,10], "84000a4a", "eor w4, w4, w10"],
  [["dpReg","ands",64,31,1,10], "3f000aea", "tst x1, x10"],
  [["dpReg","udiv",64,0,0,10], "0008ca9a", "udiv x0, x0, x10"],
  [["dpReg","sdiv",32,11,2,3], "4b0cc31a", "sdiv w11, w2, w3"],
  [["dpReg","lslv",64,19,19,3], "7322c39a", "lsl x19, x19, x3"],
  [["dpReg","lsrv",32,20,20,0], "9426c01a", "lsr w20, w20, w0"],
  [["dpReg","asrv",64,21,21,22], "b52ad69a", "asr x21, x21, x22"],
  [["dpImm","add",64,9,25,8], "29230091", "add x9, x25, #0x8"],
  [["dpImm","add",64,25,9,4096], "39054091", "add x25, x9, #0x1, lsl #12"],
  [["dpImm","sub",64,31,31,4096], "ff0740d1", "sub sp, sp, #0x1, lsl #12"],
  [["dpImm","sub",32,7,7,4095], "e7fc3f51", "sub w7, w7, #0xfff"],
  [["dpImm","subs",64,31,1,14], "3f3800f1", "cmp x1, #0xe"],
  [["dpImm","subs",32,31,2,0], "5f000071", "cmp w2, #0x0"],
  [["dpImm","add",64,9,31,0], "e9030091", "mov x9, sp"],
  [["dpImm","add",64,0,26,640], "40030a91", "add x0, x26, #0x280"],
  [["mov",64,26,2], "fa0302aa", "mov x26, x2"],
  [["mov",32,3,3], "e303032a", "mov w3, w3"],
  [["movSp",29,31], "fd030091", "mov x29, sp"],
  [["movImm",64,7,{"big":"0x0"}], "070080d2", "mov x7, #0x0 // #0"],
  [["movImm",64,10,{"big":"0x1234"}], "8a4682d2", "mov x10, #0x1234 // #4660"],
  [["movImm",64,10,{"big":"0x12340000"}], "8a46a2d2", "mov x10, #0x12340000 // #305397760"],
  [["movImm",64,11,{"big":"0xffffffffffffffff"}], "0b008092", "mov x11, #0xffffffffffffffff // #-1"],
  [["movImm",64,11,{"big":"0xfffffffffffffffe"}], "2b008092", "mov x11, #0xfffffffffffffffe // #-2"],
  [["movImm",64,0,{"big":"0x123456789abcdef0"}], "00de9bd28057b3f200cfcaf28046e2f2", "mov x0, #0xdef0 // #57072; movk x0, #0x9abc, lsl #16; movk x0, #0x5678, lsl #32; movk x0, #0x1234, lsl #48"],
  [["movImm",32,4,{"big":"0xffffffff"}], "04008012", "mov w4, #0xffffffff // #-1"],
  [["movImm",32,4,{"big":"0x80000000"}], "0400b052", "mov w4, #0x80000000 // #-2147483648"],
  [["mulAdd",false,64,7,7,10,31], "e77c0a9b", "mul x7, x7, x10"],
  [["mulAdd",false,32,19,19,20,31], "737e141b", "mul w19, w19, w20"],
  [["mulAdd",true,64,2,11,3,2], "6289039b", "msub x2, x11, x3, x2"],
  [["mulAdd",false,64,7,7,10,11], "e72c0a9b", "madd x7, x7, x10, x11"],
  [["bitfield","sbfm64",0,1,0,7], "201c4093", "sxtb x0, w1"],
  [["bitfield","sbfm64",0,1,0,15], "203c4093", "sxth x0, w1"],
  [["bitfield","sbfm64",0,1,0,31], "207c4093", "sxtw x0, w1"],
  [["bitfield","sbfm32",2,3,0,7], "621c0013", "sxtb w2, w3"],
  [["bitfield","ubfm32",4,4,0,15], "843c0053", "uxth w4, w4"],
  [["shiftImm","lsl",64,3,3,8], "63dc78d3", "lsl x3, x3, #8"],
  [["shiftImm","lsr",32,19,19,31], "737e1f53", "lsr w19, w19, #31"],
  [["shiftImm","asr",64,20,20,63], "94fe7f93", "asr x20, x20, #63"],
  [["shiftImm","lsl",32,0,0,1], "00781f53", "lsl w0, w0, #1"],
  [["rev","rev64",1,1], "210cc0da", "rev x1, x1"],
  [["rev","rev32",2,2], "4208c05a", "rev w2, w2"],
  [["rev","rev16",3,3], "6304c05a", "rev16 w3, w3"],
  [["ldst","ldr",8,10,26,0], "4a0340f9", "ldr x10, [x26]"],
  [["ldst","ldr",8,16,26,40], "501740f9", "ldr x16, [x26, #40]"],
  [["ldst","ldr",4,7,9,0], "270140b9", "ldr w7, [x9]"],
  [["ldst","ldr",2,0,9,0], "20014079", "ldrh w0, [x9]"],
  [["ldst","ldr",1,2,9,0], "22014039", "ldrb w2, [x9]"],
  [["ldst","ldrs",1,3,9,0], "23018039", "ldrsb x3, [x9]"],
  [["ldst","ldrs",2,4,9,0], "24018079", "ldrsh x4, [x9]"],
  [["ldst","ldrs",4,19,9,0], "330180b9", "ldrsw x19, [x9]"],
  [["ldst","ldr",8,1,25,-8], "21835ff8", "ldur x1, [x25, #-8]"],
  [["ldst","ldr",4,1,25,-256], "210350b8", "ldur w1, [x25, #-256]"],
  [["ldst","str",8,9,26,16], "490b00f9", "str x9, [x26, #16]"],
  [["ldst","str",4,0,25,-4], "20c31fb8", "stur w0, [x25, #-4]"],
  [["ldst","str",2,10,9,0], "2a010079", "strh w10, [x9]"],
  [["ldst","str",1,22,25,-1], "36f31f38", "sturb w22, [x25, #-1]"],
  [["ldst","ldrs",4,2,25,-12], "22439fb8", "ldursw x2, [x25, #-12]"],
  [["stpPre",29,30,31,-16], "fd7bbfa9", "stp x29, x30, [sp, #-16]!"],
  [["stpPre",25,26,31,-16], "f96bbfa9", "stp x25, x26, [sp, #-16]!"],
  [["ldpPost",19,20,31,16], "f353c1a8", "ldp x19, x20, [sp], #16"],
  [["ldpPost",9,10,31,16], "e92bc1a8", "ldp x9, x10, [sp], #16"],
  [["stpPost",31,31,9,16], "3f7d81a8", "stp xzr, xzr, [x9], #16"],
  [["ldaxr",8,11,9], "2bfd5fc8", "ldaxr x11, [x9]"],
  [["ldaxr",4,11,9], "2bfd5f88", "ldaxr w11, [x9]"],
  [["stlxr",8,12,10,9], "2afd0cc8", "stlxr w12, x10, [x9]"],
  [["stlxr",4,12,3,9], "23fd0c88", "stlxr w12, w3, [x9]"],
  [["blr",16], "00023fd6", "blr x16"],
  [["br",10], "40011fd6", "br x10"],
  [["dpImm","adds",64,31,10,4095], "5ffd3fb1", "cmn x10, #0xfff"],
  [["ret"], "c0035fd6", "ret"],
  [["brk"], "000020d4", "brk #0x0"],
];

function bytesOf([method, ...args]: Row[0]): string {
  const e = new A64Emitter();
  const operands = args.map((a) => (typeof a === "object" ? BigInt(a.big) : a));
  (e as unknown as Record<string, (...a: unknown[]) => void>)[method]!.apply(e, operands);
  return Buffer.from(e.finish()).toString("hex");
}

function objdump(bytes: Uint8Array): string[] {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-a64-"));
  writeFileSync(join(dir, "code.bin"), bytes);
  const r = spawnSync("aarch64-linux-gnu-objdump", ["-D", "-b", "binary", "-m", "aarch64", join(dir, "code.bin")], { encoding: "utf8" });
  return r.stdout.split("\n").filter((l) => /^\s+[0-9a-f]+:\t/.test(l) && l.split("\t").length > 2).map((l) => l.split("\t").slice(2).join(" ").trim().replace(/\s+/g, " "));
}

describe("AArch64 encoder rows", () => {
  for (const [inst, bytes] of ROWS) {
    it(`${inst.map((a) => (typeof a === "object" ? a.big : a)).join(" ")} -> ${bytes}`, () => {
      expect(bytesOf(inst)).toBe(bytes);
    });
  }
});

// The disassembler (backends/arm64/disasm.ts) reads every row's words back to the texts
// aarch64-linux-gnu-objdump gives for them, with no objdump needed.
describe("AArch64 disassembler rows", () => {
  for (const [inst, , text] of ROWS) {
    it(`${bytesOf(inst)} -> ${text}`, () => {
      expect(disassembleA64(Buffer.from(bytesOf(inst), "hex")).map((x) => x.text)).toEqual(text.split("; "));
    });
  }

  it("reads branch targets as blob offsets, and unknown words as .byte", () => {
    expect(disassembleA64(Buffer.from("81000054ffffff1702000094acffff35c0035fd6", "hex")).map((x) => x.text)).toEqual(["b.ne 0x10 // b.any", "b 0x0", "bl 0x10", "cbnz w12, 0x0", "ret"]);
    // udf #0 (all zero), an ADD with a shift the encoder never writes, and a trailing half word.
    expect(disassembleA64(Buffer.from("000000000004018bc003", "hex")).map((x) => x.text)).toEqual([".byte 0x00, 0x00, 0x00, 0x00", ".byte 0x00, 0x04, 0x01, 0x8b", ".byte 0xc0, 0x03"]);
  });
});

const haveObjdump = requireOrSkip("aarch64-linux-gnu-objdump", hasTool("aarch64-linux-gnu-objdump"), "apt-get install binutils-aarch64-linux-gnu");

describe.skipIf(!haveObjdump)("AArch64 encoder rows against aarch64-linux-gnu-objdump", () => {
  it("disassembles every row to its text", () => {
    const blob = Buffer.concat(ROWS.map(([inst]) => Buffer.from(bytesOf(inst), "hex")));
    const texts = ROWS.flatMap(([, , text]) => text.split("; "));
    expect(objdump(blob)).toEqual(texts);
  });

  it("resolves branch fixups (imm26 and imm19, forward and backward)", () => {
    const e = new A64Emitter();
    const back = e.newLabel();
    const fwd = e.newLabel();
    e.bind(back);
    e.bcond("ne", fwd); // 0
    e.b(back); // 4
    e.bl(fwd); // 8
    e.cbnzW(12, back); // 12
    e.bind(fwd);
    e.ret(); // 16
    const code = e.finish();
    expect(Buffer.from(code).toString("hex")).toBe("81000054ffffff1702000094acffff35c0035fd6");
    expect(objdump(code)).toEqual(["b.ne 0x10 // b.any", "b 0x0", "bl 0x10", "cbnz w12, 0x0", "ret"]);
  });
});
