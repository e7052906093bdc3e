/**
 * The ELF loader: a `clang -O2 -g -target bpf -c` object in, a relocated BpfObject out,
 * following libbpf's conventions (tools/lib/bpf/libbpf.c) so that a program means here
 * what it means when libbpf loads it into the kernel.
 *
 * - Programs: every global function in an executable section other than `.text`
 *   (SEC("xdp"), "tc", "socket", "xdp/...", ...); several may share a section. `.text`
 *   holds subprograms (static __noinline functions). Static functions in a program
 *   section are subprograms of that section (libbpf refuses them; we accept them because
 *   their calls need no relocation and mean the same thing).
 * - Maps, in libbpf's order and so with libbpf's indices: legacy `SEC("maps")` records,
 *   BTF-defined `.maps`, then one array map per non-empty .data/.rodata/.bss section
 *   (maps.ts).
 * - Relocations (`.rel<section>`, LLVM's BPF ELF relocation types, llvm/docs/BPFUsage
 *   and "BPF ELF relocations"): R_BPF_64_64 on lddw becomes a map reference (src 1) or
 *   a global data address (src 2, second slot imm = offset) or, for a code symbol, a
 *   function address (src 4, imm relative like a call); R_BPF_64_32 on `call` becomes a
 *   bpf-to-bpf call to a subprogram that is appended to the program once (with its
 *   callees, transitively), imm = target - (call + 1). Calls inside one section carry no
 *   relocation: clang has already made them relative within the section.
 * - The result is checked with validateSlots; problems name the program and the
 *   instruction index in the linked program.
 *
 * Structural damage (bad header, offsets past the end) stops at once with `elf-format`;
 * problems with maps and relocations are collected and thrown together.
 */
import { diag, DiagnosticError, type Diagnostic } from "../../../ir/diag/diag.js";
import type { BpfObject, BpfProgram } from "../../../ir/bpf/object.js";
import { decodeSlots, SLOT_BYTES, validateSlots } from "../../../ir/bpf/codec.js";
import { isLddw, type Insn } from "../../../ir/bpf/insn.js";
import { CALL_SRC, CLASS } from "../../../ir/bpf/opcodes.js";
import { parseBtf, type Btf } from "./btf.js";
import { readElf, SHF, SHN, SHT, STB, STT, type ElfFile, type ElfSection, type ElfSymbol } from "./elf.js";
import { BTF_MAPS_SECTION, btfMaps, globalDataMaps, LEGACY_MAPS_SECTION, legacyMaps, type ElfMap } from "./maps.js";

/** libbpf's section names (libbpf.c: LICENSE_SEC, text section, BTF_ELF_SEC). */
const LICENSE_SECTION = "license";
const TEXT_SECTION = ".text";
const BTF_SECTION = ".BTF";

/** RFC 9669 §5.4 lddw src values that relocation produces. */
const PSEUDO = { MAP_FD: 1, MAP_VALUE: 2, FUNC: 4 } as const;
const CALL_OPCODE = CLASS.JMP | 0x80;

/**
 * BPF relocation types (LLVM's llvm/include/llvm/BinaryFormat/ELFRelocs/BPF.def) and
 * what each means when it lands on code. The data-only types patch .BTF, .BTF.ext and
 * DWARF, which bpfoff does not load; on code they are a compiler we do not understand.
 */
const RELOCATION_TYPES = [
  { type: 0, name: "R_BPF_NONE", onCode: "ignore" },
  { type: 1, name: "R_BPF_64_64", onCode: "lddw" }, // 64-bit immediate of lddw: map, global data or function address
  { type: 2, name: "R_BPF_64_ABS64", onCode: "error" }, // data only (.BTF.ext, DWARF)
  { type: 3, name: "R_BPF_64_ABS32", onCode: "error" }, // data only (.BTF, DWARF)
  { type: 4, name: "R_BPF_64_NODYLD32", onCode: "error" }, // data only (.BTF, .BTF.ext), never resolved by a dynamic loader
  { type: 10, name: "R_BPF_64_32", onCode: "call" }, // call imm: pc-relative slot offset of a bpf-to-bpf call
] as const;

/** A function's slots inside its section: the unit that programs are linked from. */
interface CodeUnit {
  readonly name: string;
  readonly code: CodeSection;
  /** Slot range [start, end) in the section. */
  readonly start: number;
  readonly end: number;
  readonly isProgram: boolean;
}

/** What a relocation resolved to, before a program's layout is known. */
type Resolved =
  | { readonly kind: "map"; readonly map: number }
  | { readonly kind: "map-value"; readonly map: number; readonly offset: number }
  | { readonly kind: "call"; readonly target: CodeUnit }
  | { readonly kind: "func-addr"; readonly target: CodeUnit };

interface CodeSection {
  readonly section: ElfSection;
  readonly slots: readonly Insn[];
  /** Units by their first slot. */
  readonly unitAt: Map<number, CodeUnit>;
  readonly units: CodeUnit[];
  /** Resolved relocations by slot index. */
  readonly relocs: Map<number, Resolved>;
  /** Slots whose relocation could not be resolved (already reported): copied as they are. */
  readonly failed: Set<number>;
}

/** Loads a BPF ELF object. Throws a DiagnosticError naming `file` on any problem. */
export function loadElf(bytes: Uint8Array, file: string): BpfObject {
  const elf = readElf(bytes, file);
  const diags: Diagnostic[] = [];

  const maps = collectMaps(elf, diags);
  const codes = collectCode(elf, diags);
  resolveRelocations(elf, codes, maps, diags);

  const programs: BpfProgram[] = [];
  for (const code of codes.values()) {
    for (const unit of code.units) {
      if (!unit.isProgram) continue;
      const linked = linkProgram(unit, file, diags);
      const problems = linked.broken ? [] : validateSlots(linked.slots, file);
      for (const p of problems) diags.push({ ...p, notes: [...p.notes, `in program '${unit.name}' (section ${code.section.name})${functionNote(linked.functions, p.loc.insn)}`] });
      programs.push({ name: unit.name, section: code.section.name, slots: linked.slots, functions: linked.functions });
    }
  }
  if (diags.length) throw new DiagnosticError(dedupe(diags));

  const mapInit = new Map<string, Uint8Array>();
  for (const m of maps) if (m.init) mapInit.set(m.def.name, m.init);
  return { programs, maps: maps.map((m) => m.def), mapInit, license: readLicense(elf) };
}

function readLicense(elf: ElfFile): string {
  const s = elf.sections.find((x) => x.name === LICENSE_SECTION && x.type === SHT.PROGBITS);
  if (!s) return "";
  const nul = s.data.indexOf(0);
  return new TextDecoder("utf-8").decode(nul < 0 ? s.data : s.data.subarray(0, nul));
}

function collectMaps(elf: ElfFile, diags: Diagnostic[]): ElfMap[] {
  const legacy = elf.sections.find((s) => s.name === LEGACY_MAPS_SECTION);
  const btfSection = elf.sections.find((s) => s.name === BTF_MAPS_SECTION);
  let btf: Btf | undefined;
  // .BTF is parsed only when maps need it: libbpf, too, loads objects whose BTF it cannot use.
  if (btfSection) {
    const b = elf.sections.find((s) => s.name === BTF_SECTION && s.type === SHT.PROGBITS);
    if (b) btf = parseBtf(b.data, elf.file);
  }
  const out: ElfMap[] = [...(legacy ? legacyMaps(elf, legacy, diags) : []), ...(btfSection ? btfMaps(elf, btfSection, btf, diags) : []), ...globalDataMaps(elf)];
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.def.name)) diags.push(diag("elf-map", { file: elf.file }, [m.def.name, "is defined twice"]));
    seen.add(m.def.name);
  }
  return out;
}

function isCodeSection(s: ElfSection): boolean {
  return s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0 && s.size > 0;
}

/** Decodes every executable section and splits it into functions by its FUNC symbols. */
function collectCode(elf: ElfFile, diags: Diagnostic[]): Map<number, CodeSection> {
  const file = elf.file;
  const codes = new Map<number, CodeSection>();
  for (const s of elf.sections) {
    if (!isCodeSection(s)) continue;
    if (s.size % SLOT_BYTES !== 0) {
      diags.push(diag("elf-format", { file }, [`code section '${s.name}' is ${s.size} bytes, not a whole number of ${SLOT_BYTES}-byte instructions`]));
      continue;
    }
    const code: CodeSection = { section: s, slots: decodeSlots(s.data, file), unitAt: new Map(), units: [], relocs: new Map(), failed: new Set() };
    const funcs = elf.symbols.filter((y) => y.shndx === s.index && y.type === STT.FUNC).sort((a, b) => a.value - b.value || a.index - b.index);
    const isText = s.name === TEXT_SECTION;
    if (funcs.length === 0) {
      // Hand-written assembly may have no function symbols: the whole section is one
      // function, named after the section (older libbpf did the same).
      const unit: CodeUnit = { name: s.name, code, start: 0, end: code.slots.length, isProgram: !isText };
      code.units.push(unit);
      code.unitAt.set(0, unit);
    }
    funcs.forEach((f, k) => {
      if (f.value % SLOT_BYTES !== 0 || f.value >= s.size || f.size % SLOT_BYTES !== 0 || f.value + f.size > s.size) {
        diags.push(diag("elf-format", { file }, [`function '${f.name}' (${f.size} bytes at ${f.value}) is not whole instructions inside section '${s.name}' (${s.size} bytes)`]));
        return;
      }
      const start = f.value / SLOT_BYTES;
      if (code.unitAt.has(start)) return; // an alias of a function already seen
      const next = funcs.slice(k + 1).find((g) => g.value > f.value);
      // st_size 0 (assembler-made symbols): the function runs to the next one or the section end.
      const end = f.size > 0 ? start + f.size / SLOT_BYTES : (next ? next.value : s.size) / SLOT_BYTES;
      const unit: CodeUnit = { name: f.name, code, start, end, isProgram: !isText && f.bind !== STB.LOCAL };
      code.units.push(unit);
      code.unitAt.set(start, unit);
    });
    codes.set(s.index, code);
  }
  return codes;
}

/** Turns each relocation on code into a Resolved entry of its section; collects what it cannot resolve. */
function resolveRelocations(elf: ElfFile, codes: Map<number, CodeSection>, maps: readonly ElfMap[], diags: Diagnostic[]): void {
  const file = elf.file;
  for (const s of elf.sections) {
    if (s.type === SHT.RELA && codes.has(s.info)) diags.push(diag("elf-format", { file }, [`section '${s.name}' has RELA relocations for code; BPF objects use REL`]));
  }
  for (const rs of elf.relocationSections) {
    const code = codes.get(rs.target);
    if (!code) continue; // relocations of .BTF, .BTF.ext, DWARF, .maps initialisers: not needed to run the code
    const secName = code.section.name;
    for (const rel of rs.relocations) {
      const at = rel.offset / SLOT_BYTES;
      const problem = (why: string) => {
        diags.push(diag("elf-reloc", { file }, [secName, rel.offset.toString(16), why]));
        code.failed.add(at);
      };
      const rtype = RELOCATION_TYPES.find((t) => t.type === rel.type);
      if (!rtype || rtype.onCode === "error") {
        diags.push(diag("elf-reloc-type", { file }, [secName, rtype ? `${rel.type} (${rtype.name})` : rel.type, rel.offset.toString(16)]));
        code.failed.add(at);
        continue;
      }
      if (rtype.onCode === "ignore") continue;
      if (rel.offset % SLOT_BYTES !== 0 || rel.offset / SLOT_BYTES >= code.slots.length) {
        problem("the offset is not the start of an instruction in the section");
        continue;
      }
      const slot = code.slots[at]!;
      const sym = elf.symbols[rel.symbol]!;
      if (rel.symbol === 0) {
        problem("the relocation has no symbol");
        continue;
      }
      if (code.relocs.has(at)) {
        problem("a second relocation for the same instruction");
        continue;
      }
      const resolved = rtype.onCode === "lddw" ? resolveLddw(elf, codes, maps, slot, sym, problem) : resolveCall(codes, slot, sym, problem);
      if (resolved) code.relocs.set(at, resolved);
    }
  }
}

function symbolWhere(elf: ElfFile, sym: ElfSymbol): string | undefined {
  if (sym.shndx === SHN.UNDEF) return `'${sym.name}' is undefined (extern variables, kconfig and ksyms are not supported)`;
  if (sym.shndx === SHN.ABS || sym.shndx === SHN.COMMON || !elf.sections[sym.shndx]) return `'${sym.name}' is not in a section (index ${sym.shndx})`;
  return undefined;
}

function symbolLabel(elf: ElfFile, sym: ElfSymbol): string {
  return sym.type === STT.SECTION ? `section symbol '${elf.sections[sym.shndx]?.name ?? sym.shndx}'` : `'${sym.name}'`;
}

function resolveLddw(elf: ElfFile, codes: Map<number, CodeSection>, maps: readonly ElfMap[], slot: Insn, sym: ElfSymbol, problem: (why: string) => void): Resolved | undefined {
  if (!isLddw(slot)) return void problem("R_BPF_64_64 must apply to an lddw instruction");
  const where = symbolWhere(elf, sym);
  if (where) return void problem(where);
  // Named symbols carry the offset in st_value and imm 0; section symbols carry it in imm.
  const offset = sym.value + slot.imm;
  const dataMap = maps.findIndex((m) => m.init !== undefined && m.section === sym.shndx);
  if (dataMap >= 0) return { kind: "map-value", map: dataMap, offset };
  const defMap = maps.findIndex((m) => m.init === undefined && m.section === sym.shndx && m.offset === offset);
  if (defMap >= 0) return { kind: "map", map: defMap };
  const section = elf.sections[sym.shndx]!;
  if (section.name === LEGACY_MAPS_SECTION || section.name === BTF_MAPS_SECTION) return void problem(`${symbolLabel(elf, sym)} at offset ${offset} of '${section.name}' is not a map definition`);
  const code = codes.get(sym.shndx);
  if (code) {
    // An address of a function (a bpf_loop or for_each callback): libbpf's BPF_PSEUDO_FUNC.
    const target = offset % SLOT_BYTES === 0 ? code.unitAt.get(offset / SLOT_BYTES) : undefined;
    if (!target) return void problem(`${symbolLabel(elf, sym)} + ${offset} is not the start of a function`);
    return { kind: "func-addr", target };
  }
  return void problem(`${symbolLabel(elf, sym)} is in section '${section.name}', which holds neither maps nor global data`);
}

function resolveCall(codes: Map<number, CodeSection>, slot: Insn, sym: ElfSymbol, problem: (why: string) => void): Resolved | undefined {
  if (slot.opcode !== CALL_OPCODE || slot.src !== CALL_SRC.LOCAL) return void problem("R_BPF_64_32 must apply to a bpf-to-bpf call (call with src 1)");
  const code = codes.get(sym.shndx);
  if (!code) return void problem(`call target '${sym.name}' is not in a code section (kfuncs and extern functions are not supported)`);
  if (sym.value % SLOT_BYTES !== 0) return void problem(`call target '${sym.name}' is at byte ${sym.value}, not on an instruction`);
  // libbpf.c: sub_insn_idx = sym_off / BPF_INSN_SZ + insn->imm + 1. Global functions
  // have their offset in st_value and imm -1; static ones use the section symbol and imm.
  const targetSlot = sym.value / SLOT_BYTES + slot.imm + 1;
  const target = code.unitAt.get(targetSlot);
  if (!target) return void problem(`call target slot ${targetSlot} of section '${code.section.name}' is not the start of a function`);
  return { kind: "call", target };
}

interface Linked {
  readonly slots: Insn[];
  readonly functions: Map<number, string>;
  /** The program holds a slot whose relocation failed: its other problems would only echo that one. */
  readonly broken: boolean;
}

/**
 * Lays out one program as libbpf does (bpf_object__reloc_code): the entry function,
 * then each subprogram it reaches, appended once in the order first called. Relocated
 * slots are rebuilt; every other slot is copied unchanged.
 */
function linkProgram(entry: CodeUnit, file: string, diags: Diagnostic[]): Linked {
  const placed = new Map<CodeUnit, number>([[entry, 0]]);
  const order: CodeUnit[] = [entry];
  let total = entry.end - entry.start;
  const place = (u: CodeUnit): number => {
    let at = placed.get(u);
    if (at === undefined) {
      at = total;
      placed.set(u, at);
      order.push(u);
      total += u.end - u.start;
    }
    return at;
  };
  const slots: Insn[] = [];
  let broken = false;
  for (let n = 0; n < order.length; n++) {
    const unit = order[n]!;
    const { code } = unit;
    for (let k = unit.start; k < unit.end; k++) {
      const s = code.slots[k]!;
      const here = slots.length;
      const r = code.relocs.get(k);
      if (code.failed.has(k)) {
        broken = true;
        slots.push(s);
        continue;
      }
      if (isLddw(s)) {
        const hi = k + 1 < unit.end ? code.slots[k + 1]! : undefined;
        const pair = relocateLddw(s, hi, r, here, place);
        slots.push(...pair);
        if (hi) k++;
        continue;
      }
      if (r?.kind === "call") {
        slots.push({ ...s, imm: place(r.target) - (here + 1) });
        continue;
      }
      if (s.opcode === CALL_OPCODE && s.src === CALL_SRC.LOCAL) {
        // No relocation: a call within the section, already relative to the section.
        const targetSlot = k + s.imm + 1;
        const target = code.unitAt.get(targetSlot);
        if (!target) {
          diags.push(diag("elf-reloc", { file }, [code.section.name, (k * SLOT_BYTES).toString(16), `call target slot ${targetSlot} is not the start of a function in the section`]));
          broken = true;
          slots.push(s);
          continue;
        }
        slots.push({ ...s, imm: place(target) - (here + 1) });
        continue;
      }
      slots.push(s);
    }
  }
  const functions = new Map<number, string>();
  for (const u of order) functions.set(placed.get(u)!, u.name);
  return { slots, functions, broken };
}

function relocateLddw(lo: Insn, hi: Insn | undefined, r: Resolved | undefined, here: number, place: (u: CodeUnit) => number): Insn[] {
  if (!r || !hi) return hi ? [lo, hi] : [lo];
  switch (r.kind) {
    case "map":
      return [{ ...lo, src: PSEUDO.MAP_FD, imm: r.map }, { ...hi, imm: 0 }];
    case "map-value":
      return [{ ...lo, src: PSEUDO.MAP_VALUE, imm: r.map }, { ...hi, imm: r.offset | 0 }];
    case "func-addr":
      // libbpf: BPF_PSEUDO_FUNC's imm is relative to the next instruction, like a call's.
      return [{ ...lo, src: PSEUDO.FUNC, imm: place(r.target) - (here + 1) }, { ...hi, imm: 0 }];
    case "call":
      return [lo, hi]; // unreachable: resolveCall only accepts call instructions
  }
}

/** " (in function F)" for a diagnostic in an appended subprogram, so that the index is easy to follow. */
function functionNote(functions: ReadonlyMap<number, string>, at: number | undefined): string {
  if (at === undefined) return "";
  let best: [number, string] | undefined;
  for (const [start, name] of functions) if (start <= at && (!best || start > best[0])) best = [start, name];
  return best && best[0] > 0 ? `, instruction ${at} is in subprogram '${best[1]}' (starts at ${best[0]})` : "";
}

function dedupe(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const key = JSON.stringify([d.code, d.loc, d.message, d.notes]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
