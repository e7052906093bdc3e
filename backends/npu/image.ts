// The control store image in its two file forms: binary (one 64-bit microword per 8
// bytes, little-endian) and hex text (16 hex digits a line, as $readmemh reads it).
// `bpfoff asm/disasm --target npu` and `bpfoff sim` read them; build writes both.
import { fail } from "../../ir/diag/diag.js";
import { decodeWord, encodeWord, printWord, type Word } from "./isa.js";

export function imageBytes(words: readonly Word[]): Uint8Array {
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, encodeWord(w), true));
  return out;
}

export function imageHex(words: readonly Word[]): string {
  return words.map((w) => encodeWord(w).toString(16).padStart(16, "0") + "\n").join("");
}

/** Either form, told apart by content: hex text is lines of 16 hex digits. */
export function readImage(bytes: Uint8Array, file: string): Word[] {
  const text = Buffer.from(bytes).toString("latin1");
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (lines.length > 0 && lines.every((l) => /^[0-9a-fA-F]{16}$/.test(l))) return lines.map((l) => decodeWord(BigInt(`0x${l}`)));
  if (bytes.length % 8 !== 0) fail("io-format", { file }, [`${file}: ${bytes.length} bytes is not a whole number of 8-byte microwords (nor hex text)`]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 8 }, (_, i) => decodeWord(view.getBigUint64(i * 8, true)));
}

/** Assembler text of an image; `addresses` puts each word's address in a comment. */
export function disassemble(words: readonly Word[], addresses = false): string {
  return words.map((w, i) => (addresses ? `${printWord(w).padEnd(44)} ; ${i}` : printWord(w)) + "\n").join("");
}
