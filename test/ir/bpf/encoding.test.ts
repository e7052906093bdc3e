// Encoder, decoder and disassembler, as rows (STYLE.md §6): assembler text, the bytes
// RFC 9669 §3 says it encodes to, and the llvm-objdump text. Then every form of the
// FORMS table is cross-checked against llvm-objdump-19 and round-tripped through text.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { decodeProgram, decodeSlots, encodeSlots, validateSlots } from "../../../ir/bpf/codec.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { printLlvm, printProgram, printUbpf } from "../../../ir/bpf/print.js";
import { writeElf } from "../../../backends/bpf/elf-writer.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { SAMPLES } from "./forms.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ""), "hex"));

// [assembler text, encoding (opcode, regs dst|src<<4, off LE16, imm LE32), llvm-objdump text,
//  and the disassembler's text where it differs from the input]
const ROWS: [string, string, string, string?][] = [
  // ALU immediates: sign of imm, 32 vs 64 bit
  ["add32 %r0, 1", "04 00 0000 01000000", "w0 += 1"],
  ["add %r0, -3", "07 00 0000 fdffffff", "r0 += -3"],
  ["mov32 %r1, 0xffffff80", "b4 01 0000 80ffffff", "w1 = -128", "mov32 %r1, -128"],
  ["mov %r9, 2147483647", "b7 09 0000 ffffff7f", "r9 = 2147483647", "mov %r9, 0x7fffffff"],
  // ALU registers: dst low nibble, src high nibble
  ["add %r1, %r10", "0f a1 0000 00000000", "r1 += r10"],
  ["xor32 %r7, %r3", "ac 37 0000 00000000", "w7 ^= w3"],
  // signed division and modulo are offset 1
  ["sdiv %r2, 3", "37 02 0100 03000000", "r2 s/= 3"],
  ["smod32 %r2, %r4", "9c 42 0100 00000000", "w2 s%= w4"],
  // sign-extending moves: offset is the source width
  ["movsx832 %r2, %r1", "bc 12 0800 00000000", "w2 = (s8)w1"],
  ["movsx3264 %r0, %r9", "bf 90 2000 00000000", "r0 = (s32)r9"],
  // byte swaps: imm is the width; source bit selects be; ALU64 class is bswap
  ["le16 %r0", "d4 00 0000 10000000", "r0 = le16 r0"],
  ["be64 %r3", "dc 03 0000 40000000", "r3 = be64 r3"],
  ["bswap32 %r3", "d7 03 0000 20000000", "r3 = bswap32 r3"],
  // loads and stores: offsets of both signs
  ["ldxh %r0, [%r1+2]", "69 10 0200 00000000", "w0 = *(u16 *)(r1 + 2)"],
  ["ldxsw %r0, [%r1-4]", "81 10 fcff 00000000", "r0 = *(s32 *)(r1 - 4)"],
  ["stxdw [%r10-8], %r1", "7b 1a f8ff 00000000", "*(u64 *)(r10 - 8) = r1"],
  ["stb [%r10-1], 255", "72 0a ffff ff000000", "*(u8 *)(r10 - 1) = 255"],
  // atomics: the operation is in imm, FETCH is bit 0
  ["lock add [%r10-8], %r1", "db 1a f8ff 00000000", "lock *(u64 *)(r10 - 8) += r1"],
  ["lock fetch add32 [%r10-4], %r1", "c3 1a fcff 01000000", "w1 = atomic_fetch_add((u32 *)(r10 - 4), w1)"],
  ["lock cmpxchg [%r10-8], %r1", "db 1a f8ff f1000000", "r0 = cmpxchg_64(r10 - 8, r0, r1)"],
  // lddw: two slots, low half first
  ["lddw %r0, 0x1122334455667788", "18 00 0000 88776655 00 00 0000 44332211", "r0 = 0x1122334455667788 ll"],
  // jumps: offset relative to the next instruction; JMP32; ja32 uses imm
  ["jne %r0, 15, +3", "55 00 0300 0f000000", "if r0 != 15 goto +3"],
  ["jsgt32 %r1, %r2, -1", "6e 21 ffff 00000000", "if w1 s> w2 goto -1"],
  ["ja32 +0", "06 00 0000 00000000", "gotol +0"],
  // calls: helper (src 0), local (src 1), callx (target in dst)
  ["call 1", "85 00 0000 01000000", "call 1"],
  ["call %r2", "8d 02 0000 00000000", "callx r2", "callx %r2"],
  ["exit", "95 00 0000 00000000", "exit"],
  // legacy packet loads
  ["ldabsh 12", "28 00 0000 0c000000", "r0 = *(u16 *)skb[12]"],
];

describe("encoding rows", () => {
  for (const [text, bytes, llvm, printed] of ROWS) {
    it(text, () => {
      // Trailing exits give forward jumps somewhere to land.
      const prog = assemble(`${text}\nexit\nexit\nexit\nexit\n`, "row.s").programs[0]!;
      const expected = unhex(bytes);
      const got = encodeSlots(prog.slots).subarray(0, expected.length);
      expect(hex(got)).toBe(hex(expected));
      const slots = decodeSlots(expected);
      expect(printUbpf(slots[0]!, slots[1], 0)).toBe(printed ?? text);
      expect(printLlvm(slots[0]!, slots[1], 0)).toBe(llvm);
    });
  }
});

describe("every form", () => {
  it("round-trips through assembler text", () => {
    for (const { form, slots } of SAMPLES) {
      const text = printUbpf(slots[0]!, slots[1], 0);
      const back = assemble(`${text}\nexit\nexit\n`, form.mnemonic).programs[0]!.slots.slice(0, slots.length);
      expect(back, `${form.mnemonic}: ${text}`).toEqual(slots);
    }
  });

  const haveObjdump = requireOrSkip("llvm-objdump-19", hasTool("llvm-objdump-19"), "llvm-objdump-19 (Debian llvm-19) is not installed");
  it.skipIf(!haveObjdump)("disassembles as llvm-objdump-19 does", () => {
    const slots = SAMPLES.flatMap((s) => s.slots);
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-objdump-"));
    const obj = join(dir, "forms.o");
    writeFileSync(obj, writeElf({ programs: [{ name: "main", section: "xdp", slots, functions: new Map() }], maps: [], mapInit: new Map(), license: "GPL" }));
    const out = execFileSync("llvm-objdump-19", ["-d", "--mcpu=v4", "--no-show-raw-insn", "--no-print-imm-hex", obj], { encoding: "utf8" });
    const theirs = out.split("\n").filter((l) => /^\s+\d+:/.test(l)).map((l) => l.replace(/^\s+\d+:\s+/, "").replace(/ <[\w+.]*>$/, "").trim());
    expect(theirs.length).toBe(SAMPLES.length);
    SAMPLES.forEach(({ form, slots: s }, i) => {
      let ours = printLlvm(s[0]!, s[1], 0);
      // llvm-objdump prints lddw in decimal and leaves out ldind's immediate.
      if (form.shape === "lddw") ours = ours.replace(/0x[0-9a-f]+/, (h) => BigInt(h).toString());
      if (form.shape === "ldind") ours = ours.replace(/ \+ \d+\]/, "]");
      expect(ours, form.mnemonic).toBe(theirs[i]);
    });
  });
});

function problems(bytes: string): string[] {
  return validateSlots(decodeSlots(unhex(bytes))).map((d) => `${d.loc.insn}: ${d.message}`);
}

describe("invalid encodings name the instruction and the reason", () => {
  const EXIT = "95 00 0000 00000000";
  const cases: [string, string, RegExp][] = [
    ["unknown opcode", `ff 00 0000 00000000 ${EXIT}`, /^0: unknown opcode 0xff/],
    ["unused offset of add imm", `07 00 0100 01000000 ${EXIT}`, /^0: off field must be 0 for add/],
    ["unused src of exit", `95 10 0000 00000000`, /^0: src field must be 0 for exit/],
    ["unused imm of a register op", `0f 00 0000 01000000 ${EXIT}`, /^0: imm field must be 0 for add/],
    ["div with offset 2", `37 00 0200 01000000 ${EXIT}`, /^0: off field must be 0 or 1 for div/],
    ["byte swap width 8", `d4 00 0000 08000000 ${EXIT}`, /^0: imm field must be 16 or 32 or 64/],
    ["unknown atomic op", `db 1a f8ff 02000000 ${EXIT}`, /^0: imm field must be/],
    ["register 11", `bf b0 0000 00000000 ${EXIT}`, /^0: register r11 does not exist/],
    ["write to r10", `b7 0a 0000 00000000 ${EXIT}`, /^0: r10 is the read-only frame pointer/],
    ["lddw without its second slot", `18 00 0000 01000000`, /^0: lddw needs a second instruction slot/],
    ["lddw second slot not zero", `18 00 0000 01000000 07 00 0000 00000000 ${EXIT}`, /^1: second slot of lddw/],
    ["jump past the end", `05 00 0500 00000000 ${EXIT}`, /^0: jump target 6 is outside the program/],
    ["jump into lddw", `05 00 0100 00000000 18 00 0000 01000000 00 00 0000 00000000 ${EXIT}`, /^0: jump target 2 is the second slot of an lddw/],
    ["call local outside", `85 10 0000 07000000 ${EXIT}`, /^0: jump target 8 is outside/],
  ];
  for (const [name, bytes, re] of cases) {
    it(name, () => {
      expect(problems(bytes).join("\n")).toMatch(re);
    });
  }
  it("a length that is not whole slots", () => {
    expect(() => decodeProgram(unhex("95 00 00"), "x.bin")).toThrow(/x.bin: program size 3 bytes is not a multiple of 8/);
  });
  it("the empty program", () => {
    expect(() => decodeProgram(new Uint8Array(0))).toThrow(DiagnosticError);
  });
  it("collects every problem, not only the first", () => {
    expect(problems(`ff 00 0000 00000000 07 00 0100 01000000 ${EXIT}`)).toHaveLength(2);
  });
});

describe("program printing", () => {
  it("prints function labels and re-assembles", () => {
    const src = "mov %r1, 1\ncall local f\nexit\nf:\nmov %r0, %r1\nexit\n";
    const prog = assemble(src).programs[0]!;
    const text = printProgram(prog.slots, { functions: prog.functions });
    expect(text).toBe("mov %r1, 1\ncall local f\nexit\nf:\nmov %r0, %r1\nexit\n");
    expect(assemble(text).programs[0]!.slots).toEqual(prog.slots);
  });
});
