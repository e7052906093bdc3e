// The x86-64 encoder, row by row (STYLE.md §6): [instruction, bytes, objdump's text]
// for every form the translator emits, grouped by edge case (REX.B/R, SIB for rsp/r12,
// disp8/disp32 and rbp/r13 with disp 0, imm8/imm32/imm64, byte registers that need a
// bare REX). The bytes are checked here; the text against
// `objdump -D -b binary -m i386:x86-64 -M intel` of all rows at once.
// requires: objdump (binutils)
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { disassembleX64 } from "../../../backends/x86_64/disasm.js";
import { mem, REG, X64Emitter } from "../../../backends/x86_64/encode.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

type Operand = string | number | boolean | { base: string; disp: number } | { big: string };
type Row = readonly [inst: readonly [string, ...Operand[]], bytes: string, text: string];

const ROWS: readonly Row[] = [
  [["aluRR", "add", 64, "rax", "rdi"], "4801f8", "add rax,rdi"], // aluRR add 64 rax rdi
  [["aluRR", "sub", 64, "r13", "r8"], "4d29c5", "sub r13,r8"], // aluRR sub 64 r13 r8
  [["aluRR", "xor", 32, "r15", "rbx"], "4131df", "xor r15d,ebx"], // aluRR xor 32 r15 rbx
  [["aluRR", "and", 32, "rsi", "rcx"], "21ce", "and esi,ecx"], // aluRR and 32 rsi rcx
  [["aluRR", "or", 64, "rbp", "r14"], "4c09f5", "or rbp,r14"], // aluRR or 64 rbp r14
  [["aluRR", "cmp", 64, "rdx", "rsi"], "4839f2", "cmp rdx,rsi"], // aluRR cmp 64 rdx rsi
  [["aluRI", "add", 64, "rdi", 14], "4883c70e", "add rdi,0xe"], // aluRI add 64 imm8
  [["aluRI", "add", 64, "rsi", -4], "4883c6fc", "add rsi,0xfffffffffffffffc"], // aluRI add 64 imm8 negative
  [["aluRI", "sub", 64, "rsp", 4104], "4881ec08100000", "sub rsp,0x1008"], // aluRI sub 64 imm32
  [["aluRI", "and", 32, "r9", 305419896], "4181e178563412", "and r9d,0x12345678"], // aluRI and 32 imm32 r9
  [["aluRI", "cmp", 32, "r15", -1], "4183ffff", "cmp r15d,0xffffffff"], // aluRI cmp 32 imm8 r15
  [["aluRI", "xor", 64, "rbx", -16777216], "4881f3000000ff", "xor rbx,0xffffffffff000000"], // aluRI xor 64 imm32 negative
  [["aluRM", "cmp", 64, "r11", {"base": "r12", "disp": 0}], "4d3b1c24", "cmp r11,QWORD PTR [r12]"], // aluRM cmp r11 [r12+0]
  [["aluRM", "cmp", 64, "r10", {"base": "r12", "disp": 8}], "4d3b542408", "cmp r10,QWORD PTR [r12+0x8]"], // aluRM cmp r10 [r12+8]
  [["aluRM", "add", 64, "rax", {"base": "rdi", "disp": 0}], "480307", "add rax,QWORD PTR [rdi]"], // aluRM add rax [rdi+0]
  [["aluRM", "cmp", 64, "rbp", {"base": "r12", "disp": 32}], "493b6c2420", "cmp rbp,QWORD PTR [r12+0x20]"], // aluRM cmp rbp [r12+32]
  [["aluMI", "cmp", 32, {"base": "r13", "disp": 512}, 5], "4183bd0002000005", "cmp DWORD PTR [r13+0x200],0x5"], // aluMI cmp dword [r13+disp32] imm8
  [["testRR", 64, "r8", "r8"], "4d85c0", "test r8,r8"], // testRR 64 r8 r8
  [["testRR", 32, "r11", "r11"], "4585db", "test r11d,r11d"], // testRR 32 r11 r11
  [["testRI", 64, "rcx", 128], "48f7c180000000", "test rcx,0x80"], // testRI 64 rcx
  [["testRI", 32, "r14", -2], "41f7c6feffffff", "test r14d,0xfffffffe"], // testRI 32 r14
  [["movRR", 64, "r12", "rdx"], "4989d4", "mov r12,rdx"], // movRR 64 r12 rdx
  [["movRR", 32, "rax", "rax"], "89c0", "mov eax,eax"], // movRR 32 rax rax (zero-extend)
  [["movRR", 32, "r13", "rsi"], "4189f5", "mov r13d,esi"], // movRR 32 r13 rsi
  [["movRI", "rcx", {"big": "0x200"}], "b900020000", "mov ecx,0x200"], // movRI zero-extended imm32
  [["movRI", "r8", {"big": "0xffffffff"}], "41b8ffffffff", "mov r8d,0xffffffff"], // movRI r8 imm32 max
  [["movRI", "rbx", {"big": "-1"}], "48c7c3ffffffff", "mov rbx,0xffffffffffffffff"], // movRI sign-extended imm32
  [["movRI", "r15", {"big": "0x123456789abcdef0"}], "49bff0debc9a78563412", "movabs r15,0x123456789abcdef0"], // movRI r15 imm64
  [["shiftRI", "shl", 64, "rcx", 8], "48c1e108", "shl rcx,0x8"], // shiftRI shl 64
  [["shiftRI", "shr", 32, "r13", 31], "41c1ed1f", "shr r13d,0x1f"], // shiftRI shr 32 r13
  [["shiftRI", "sar", 64, "r8", 63], "49c1f83f", "sar r8,0x3f"], // shiftRI sar 64 r8
  [["shiftRI", "rol", 16, "rdi", 8], "66c1c708", "rol di,0x8"], // shiftRI rol 16 rdi
  [["shiftRI", "rol", 16, "r14", 8], "6641c1c608", "rol r14w,0x8"], // shiftRI rol 16 r14
  [["shiftRCl", "shl", 64, "rax"], "48d3e0", "shl rax,cl"], // shiftRCl shl 64 rax
  [["shiftRCl", "shr", 32, "r10"], "41d3ea", "shr r10d,cl"], // shiftRCl shr 32 r10
  [["shiftRCl", "sar", 64, "r15"], "49d3ff", "sar r15,cl"], // shiftRCl sar 64 r15
  [["group3", "neg", 64, "rsi"], "48f7de", "neg rsi"], // group3 neg 64 rsi
  [["group3", "neg", 32, "r8"], "41f7d8", "neg r8d"], // group3 neg 32 r8
  [["group3", "div", 64, "r11"], "49f7f3", "div r11"], // group3 div 64 r11
  [["group3", "idiv", 32, "r11"], "41f7fb", "idiv r11d"], // group3 idiv 32 r11
  [["imulRR", 64, "rdi", "r14"], "490faffe", "imul rdi,r14"], // imulRR 64 rdi r14
  [["imulRR", 32, "r9", "rax"], "440fafc8", "imul r9d,eax"], // imulRR 32 r9 rax
  [["imulRRI", 64, "rax", "rax", 24], "4869c018000000", "imul rax,rax,0x18"], // imulRRI 64 rax rax stride
  [["imulRRI", 32, "r13", "r13", -7], "4569edf9ffffff", "imul r13d,r13d,0xfffffff9"], // imulRRI 32 r13 r13 negative
  [["signExtendAx", 64], "4899", "cqo"], // signExtendAx cqo
  [["signExtendAx", 32], "99", "cdq"], // signExtendAx cdq
  [["extendRR", false, 16, 32, "rdi", "rdi"], "0fb7ff", "movzx edi,di"], // extendRR movzx 16->32 rdi
  [["extendRR", true, 8, 64, "rax", "rsi"], "480fbec6", "movsx rax,sil"], // extendRR movsx 8->64 rax rsi (sil needs REX)
  [["extendRR", true, 8, 32, "rdx", "rdi"], "400fbed7", "movsx edx,dil"], // extendRR movsx 8->32 rdx rdi
  [["extendRR", true, 16, 64, "r13", "r8"], "4d0fbfe8", "movsx r13,r8w"], // extendRR movsx 16->64 r13 r8
  [["extendRR", true, 32, 64, "rbx", "r15"], "4963df", "movsxd rbx,r15d"], // extendRR movsxd 32->64 rbx r15
  [["bswap", 32, "rdi"], "0fcf", "bswap edi"], // bswap 32 rdi
  [["bswap", 64, "r14"], "490fce", "bswap r14"], // bswap 64 r14
  [["load", 1, false, "rdx", {"base": "r11", "disp": 0}], "410fb613", "movzx edx,BYTE PTR [r11]"], // load u8 [r11]
  [["load", 2, false, "rax", {"base": "rbp", "disp": -2}], "0fb745fe", "movzx eax,WORD PTR [rbp-0x2]"], // load u16 [rbp-2] disp8
  [["load", 4, false, "r13", {"base": "rbp", "disp": -512}], "448bad00feffff", "mov r13d,DWORD PTR [rbp-0x200]"], // load u32 r13 [rbp-512] disp32
  [["load", 8, false, "rdi", {"base": "r12", "disp": 640}], "498bbc2480020000", "mov rdi,QWORD PTR [r12+0x280]"], // load u64 [r12+disp32] SIB
  [["load", 1, true, "rsi", {"base": "r11", "disp": 0}], "490fbe33", "movsx rsi,BYTE PTR [r11]"], // load s8 [r11]
  [["load", 2, true, "r8", {"base": "r11", "disp": 0}], "4d0fbf03", "movsx r8,WORD PTR [r11]"], // load s16 r8 [r11]
  [["load", 4, true, "rcx", {"base": "rsp", "disp": 8}], "48634c2408", "movsxd rcx,DWORD PTR [rsp+0x8]"], // load s32 [rsp+8] SIB
  [["load", 8, false, "rax", {"base": "r13", "disp": 0}], "498b4500", "mov rax,QWORD PTR [r13+0x0]"], // load u64 [r13+0] disp8 0
  [["store", 1, {"base": "r11", "disp": 0}, "rsi"], "418833", "mov BYTE PTR [r11],sil"], // store u8 sil
  [["store", 1, {"base": "rbp", "disp": -1}, "rbx"], "885dff", "mov BYTE PTR [rbp-0x1],bl"], // store u8 bl
  [["store", 2, {"base": "r11", "disp": 0}, "r14"], "66458933", "mov WORD PTR [r11],r14w"], // store u16 r14w
  [["store", 4, {"base": "rbp", "disp": -4}, "rdi"], "897dfc", "mov DWORD PTR [rbp-0x4],edi"], // store u32 edi [rbp-4]
  [["store", 8, {"base": "r12", "disp": 16}, "rsp"], "4989642410", "mov QWORD PTR [r12+0x10],rsp"], // store u64 rsp [r12+16]
  [["storeImm", 1, {"base": "r11", "disp": 0}, 127], "41c6037f", "mov BYTE PTR [r11],0x7f"], // storeImm u8
  [["storeImm", 2, {"base": "rbp", "disp": -2}, 4660], "66c745fe3412", "mov WORD PTR [rbp-0x2],0x1234"], // storeImm u16
  [["storeImm", 4, {"base": "r11", "disp": 0}, -1], "41c703ffffffff", "mov DWORD PTR [r11],0xffffffff"], // storeImm u32
  [["storeImm", 8, {"base": "r12", "disp": 56}, 17], "49c744243811000000", "mov QWORD PTR [r12+0x38],0x11"], // storeImm u64 [r12+56]
  [["lea", "r11", {"base": "rdi", "disp": 4}], "4c8d5f04", "lea r11,[rdi+0x4]"], // lea r11 [rdi+4]
  [["lea", "r10", {"base": "r11", "disp": 8}], "4d8d5308", "lea r10,[r11+0x8]"], // lea r10 [r11+8]
  [["lea", "rbp", {"base": "rsp", "disp": 4096}], "488dac2400100000", "lea rbp,[rsp+0x1000]"], // lea rbp [rsp+4096]
  [["lea", "rdi", {"base": "r12", "disp": 640}], "498dbc2480020000", "lea rdi,[r12+0x280]"], // lea rdi [r12+640]
  [["lockAluMR", "add", 64, {"base": "r11", "disp": 0}, "rsi"], "f0490133", "lock add QWORD PTR [r11],rsi"], // lockAluMR add 64
  [["lockAluMR", "xor", 32, {"base": "rbp", "disp": -8}, "r8"], "f0443145f8", "lock xor DWORD PTR [rbp-0x8],r8d"], // lockAluMR xor 32
  [["lockXadd", 64, {"base": "r11", "disp": 0}, "rdx"], "f0490fc113", "lock xadd QWORD PTR [r11],rdx"], // lockXadd 64
  [["lockXadd", 32, {"base": "r11", "disp": 0}, "r15"], "f0450fc13b", "lock xadd DWORD PTR [r11],r15d"], // lockXadd 32
  [["lockCmpxchg", 64, {"base": "r11", "disp": 0}, "r10"], "f04d0fb113", "lock cmpxchg QWORD PTR [r11],r10"], // lockCmpxchg 64 r10
  [["lockCmpxchg", 32, {"base": "rbp", "disp": -16}, "rcx"], "f00fb14df0", "lock cmpxchg DWORD PTR [rbp-0x10],ecx"], // lockCmpxchg 32
  [["xchgMR", 64, {"base": "r11", "disp": 0}, "rbx"], "49871b", "xchg QWORD PTR [r11],rbx"], // xchgMR 64
  [["xchgMR", 32, {"base": "rbp", "disp": -4}, "r13"], "44876dfc", "xchg DWORD PTR [rbp-0x4],r13d"], // xchgMR 32
  [["push", "rbp"], "55", "push rbp"], // push rbp
  [["push", "r12"], "4154", "push r12"], // push r12
  [["pop", "r15"], "415f", "pop r15"], // pop r15
  [["pop", "rbx"], "5b", "pop rbx"], // pop rbx
  [["ret"], "c3", "ret"], // ret
  [["callMem", {"base": "r12", "disp": 72}], "41ff542448", "call QWORD PTR [r12+0x48]"], // callMem [r12+64+8]
  [["callMem", {"base": "r12", "disp": 40}], "41ff542428", "call QWORD PTR [r12+0x28]"], // callMem [r12+40]
  [["repStosq"], "f348ab", "rep stos QWORD PTR es:[rdi],rax"], // repStosq
  [["jmpR", "r10"], "41ffe2", "jmp r10"], // tail call
  [["loadQ", "rsp", {"base": "r12", "disp": 16}], "498b642410", "mov rsp,QWORD PTR [r12+0x10]"], // tail call: rsp = rt->stack_lo
];

function operand(o: Operand): unknown {
  if (typeof o === "string") return o in REG ? REG[o as keyof typeof REG] : o;
  if (typeof o === "object" && "base" in o) return mem(REG[o.base as keyof typeof REG], o.disp);
  if (typeof o === "object" && "big" in o) return BigInt(o.big);
  return o;
}

function emit(e: X64Emitter, [method, ...args]: Row[0]): void {
  (e as unknown as Record<string, (...a: unknown[]) => void>)[method]!.apply(e, args.map(operand));
}

function bytesOf(inst: Row[0]): string {
  const e = new X64Emitter();
  emit(e, inst);
  return Buffer.from(e.finish()).toString("hex");
}

/** objdump's instruction texts for a blob, one per instruction. */
function objdump(bytes: Uint8Array): string[] {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-x64-"));
  writeFileSync(join(dir, "code.bin"), bytes);
  const r = spawnSync("objdump", ["-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", join(dir, "code.bin")], { encoding: "utf8" });
  return r.stdout.split("\n").filter((l) => /^\s+[0-9a-f]+:\t/.test(l) && l.split("\t").length > 2).map((l) => l.split("\t")[2]!.trim().replace(/\s+/g, " "));
}

describe("x86-64 encoder rows", () => {
  for (const [inst, bytes] of ROWS) {
    it(`${inst.join(" ")} -> ${bytes}`, () => {
      expect(bytesOf(inst)).toBe(bytes);
    });
  }
});

// The disassembler (backends/x86_64/disasm.ts) reads every row's bytes back to the text
// objdump gives for them, with no objdump needed.
describe("x86-64 disassembler rows", () => {
  for (const [, bytes, text] of ROWS) {
    it(`${bytes} -> ${text}`, () => {
      expect(disassembleX64(Buffer.from(bytes, "hex")).map((x) => x.text)).toEqual([text]);
    });
  }

  it("reads jump and call targets as blob offsets, and unknown bytes as .byte", () => {
    expect(disassembleX64(Buffer.from("0f850a000000e9f5ffffffe800000000c3", "hex")).map((x) => x.text)).toEqual(["jne 0x10", "jmp 0x0", "call 0x10", "ret"]);
    // A truncated rel32, add r/m8 (never emitted), ud2 (0f 0b) cut short: one .byte per byte, never a throw.
    expect(disassembleX64(Buffer.from("e9000f0b", "hex")).map((x) => [x.offset, x.text])).toEqual([[0, ".byte 0xe9"], [1, ".byte 0x00"], [2, ".byte 0x0f"], [3, ".byte 0x0b"]]);
  });
});

const haveObjdump = requireOrSkip("objdump", hasTool("objdump"), "binutils is not installed (apt-get install binutils)");

describe.skipIf(!haveObjdump)("x86-64 encoder rows against objdump", () => {
  it("disassembles every row to its text", () => {
    const blob = Buffer.concat(ROWS.map(([inst]) => Buffer.from(bytesOf(inst), "hex")));
    expect(objdump(blob)).toEqual(ROWS.map(([, , text]) => text));
  });

  it("resolves jump and call fixups (rel32, forward and backward)", () => {
    const e = new X64Emitter();
    const back = e.newLabel();
    const fwd = e.newLabel();
    e.bind(back);
    e.jcc("ne", fwd); // 0: 0f 85 rel32
    e.jmp(back); // 6: e9 rel32
    e.call(fwd); // 11: e8 rel32
    e.bind(fwd);
    e.ret(); // 16
    const code = e.finish();
    expect(Buffer.from(code).toString("hex")).toBe("0f850a000000e9f5ffffffe800000000c3");
    expect(objdump(code)).toEqual(["jne 0x10", "jmp 0x0", "call 0x10", "ret"]);
  });
});
