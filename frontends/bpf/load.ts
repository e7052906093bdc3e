// Loading a program file of any BPF form: an ELF object (by its magic, whatever its
// name) or assembler text. The C and P4 frontends add their extensions here later.
import { fail } from "../../ir/diag/diag.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { assemble } from "./asm/assemble.js";
import { loadElf } from "./elf/load.js";

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function isElf(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => bytes[i] === b);
}

export function loadBpf(bytes: Uint8Array, file: string): BpfObject {
  if (isElf(bytes)) return loadElf(bytes, file);
  if (/\.(s|S|asm|bpf)$/.test(file)) return assemble(Buffer.from(bytes).toString("utf8"), file);
  if (/\.o$/.test(file)) return fail("elf-format", { file }, [`${file} is not an ELF object (bad magic)`]);
  return fail("cli-usage", { file }, [`cannot tell what ${file} is: expected assembler text (.s) or an ELF object (.o)`]);
}
