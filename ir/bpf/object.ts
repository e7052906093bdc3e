// A loaded BPF object: what the assembler, the ELF loader and (later) the compiler hand to
// the interpreter, the verifier and the backends. Relocations are already applied:
//   - map references are lddw with src 1 (BPF_PSEUDO_MAP_FD) and imm = index into `maps`;
//   - global data references are lddw with src 2 (BPF_PSEUDO_MAP_VALUE), imm = map index,
//     and the second slot's imm = byte offset into the map's single value;
//   - bpf-to-bpf calls are `call local` whose imm is the relative slot offset, with the
//     called subprograms appended to each program that uses them (as libbpf does).
import type { MapDef } from "../../runtime/maps/def.js";
import type { Insn } from "./insn.js";

export interface BpfProgram {
  /** Function symbol of the entry point (or "main" for assembler text). */
  readonly name: string;
  /** ELF section, e.g. "xdp", "tc", "socket"; "" for assembler text. */
  readonly section: string;
  readonly slots: readonly Insn[];
  /** Names of subprograms by their first slot, for the disassembler. */
  readonly functions: ReadonlyMap<number, string>;
}

export interface BpfObject {
  readonly programs: readonly BpfProgram[];
  readonly maps: readonly MapDef[];
  /** Initial value of maps that hold global data (.data, .rodata, .bss), by map name. */
  readonly mapInit: ReadonlyMap<string, Uint8Array>;
  readonly license: string;
}
