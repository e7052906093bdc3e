// Writes a BpfObject as an ELF64 relocatable object (EM_BPF) in the layout clang uses:
// one executable section per entry function, subprograms in `.text`, `.rel<section>`
// relocations (R_BPF_64_64 for map references, R_BPF_64_32 for calls), the legacy `maps` section of struct bpf_map_def records, `license`, and a
// symbol table. bpfoff's own ELF loader, llvm-objdump and llvm-readelf read it back.
// BTF-defined maps (.maps + .BTF), which bpftool's libbpf 1.x requires for maps, come
// with the BPF backend's BTF writer; objects without maps load in bpftool as they are.
import { LDDW_OPCODE, type Insn } from "../../ir/bpf/insn.js";
import { encodeSlots } from "../../ir/bpf/codec.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { linuxTypeOf } from "../../runtime/maps/def.js";
import { SHF, SHT, STB, STT } from "../../frontends/bpf/elf/elf.js";

const EM_BPF = 247;
const R_BPF_64_64 = 1; // lddw of a map or data symbol
const R_BPF_64_32 = 10; // call of a function symbol: target = st_value / 8 + imm + 1
const CALL_OPCODE = 0x85;
const BPF_MAP_DEF_SIZE = 20; // struct bpf_map_def: type, key_size, value_size, max_entries, map_flags

interface SectionSpec {
  name: string;
  type: number;
  flags: number;
  data: Uint8Array;
  align: number;
  link?: number;
  info?: number;
  entsize?: number;
}

class StringTable {
  private readonly parts: string[] = [""];
  private size = 1;
  private readonly offsets = new Map<string, number>([["", 0]]);
  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const off = this.size;
    this.parts.push(s);
    this.size += Buffer.byteLength(s) + 1;
    this.offsets.set(s, off);
    return off;
  }
  bytes(): Uint8Array {
    return Buffer.from(this.parts.join("\0") + "\0");
  }
}

/** A program split as clang lays it out: the entry function in its own section, the subprograms in .text. */
interface SplitProgram {
  main: Insn[];
  /** Index of the .text chunk holding this program's subprograms, or -1. */
  chunk: number;
  /** Slot in the appended program where the subprograms start. */
  tailStart: number;
}

export function writeElf(object: BpfObject): Uint8Array {
  const strtab = new StringTable();
  const sections: SectionSpec[] = [{ name: "", type: SHT.NULL, flags: 0, data: new Uint8Array(0), align: 0 }];
  const symbols: { name: number; info: number; shndx: number; value: number; size: number }[] = [{ name: 0, info: 0, shndx: 0, value: 0, size: 0 }];
  const relocs: { section: number; entries: { offset: number; symbol: number; type: number }[] }[] = [];

  // Subprograms go to .text as contiguous chunks, one per distinct tail, so that the calls
  // between them keep their relative offsets; programs with the same tail share a chunk.
  const chunks: { slots: readonly Insn[]; functions: [number, string][]; offset: number }[] = [];
  const split: SplitProgram[] = object.programs.map((p) => {
    const starts = [...p.functions.keys()].filter((k) => k > 0).sort((a, b) => a - b);
    const tailStart = starts[0] ?? p.slots.length;
    const tail = p.slots.slice(tailStart);
    if (!tail.length) return { main: [...p.slots], chunk: -1, tailStart };
    const functions = starts.map((k) => [k - tailStart, p.functions.get(k)!] as [number, string]);
    const key = JSON.stringify([tail, functions]);
    let chunk = chunks.findIndex((c) => JSON.stringify([c.slots, c.functions]) === key);
    if (chunk < 0) {
      chunk = chunks.length;
      const offset = chunks.reduce((n, c) => n + c.slots.length, 0);
      chunks.push({ slots: tail, functions, offset });
    }
    return { main: p.slots.slice(0, tailStart), chunk, tailStart };
  });

  const progSections = object.programs.map((p, i) => {
    const idx = sections.length;
    sections.push({ name: p.section || "xdp", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, data: new Uint8Array(split[i]!.main.length * 8), align: 8 });
    return idx;
  });
  const textSection = chunks.length ? sections.length : 0;
  if (chunks.length) sections.push({ name: ".text", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, data: new Uint8Array(0), align: 8 });
  let mapsSection = 0;
  if (object.maps.length) {
    mapsSection = sections.length;
    const data = new Uint8Array(object.maps.length * BPF_MAP_DEF_SIZE);
    const v = new DataView(data.buffer);
    object.maps.forEach((m, i) => {
      const o = i * BPF_MAP_DEF_SIZE;
      v.setUint32(o, linuxTypeOf(m.kind), true);
      v.setUint32(o + 4, m.keySize, true);
      v.setUint32(o + 8, m.valueSize, true);
      v.setUint32(o + 12, m.maxEntries, true);
      v.setUint32(o + 16, m.flags, true);
    });
    sections.push({ name: "maps", type: SHT.PROGBITS, flags: SHF.WRITE | SHF.ALLOC, data, align: 4 });
  }
  if (object.license) {
    sections.push({ name: "license", type: SHT.PROGBITS, flags: SHF.WRITE | SHF.ALLOC, data: Buffer.from(object.license + "\0"), align: 1 });
  }

  // Symbols: the subprograms (static, so local: gABI puts locals first), then the globals.
  const chunkSymbol = chunks.map((c) =>
    new Map(c.functions.map(([slot, name], k) => {
      // libbpf needs every function's size: up to the next function or the chunk's end.
      const end = c.functions[k + 1]?.[0] ?? c.slots.length;
      symbols.push({ name: strtab.add(name), info: (STB.LOCAL << 4) | STT.FUNC, shndx: textSection, value: (c.offset + slot) * 8, size: (end - slot) * 8 });
      return [slot, symbols.length - 1] as [number, number];
    })),
  );
  const firstGlobal = symbols.length;
  object.programs.forEach((p, pi) => {
    symbols.push({ name: strtab.add(p.name), info: (STB.GLOBAL << 4) | STT.FUNC, shndx: progSections[pi]!, value: 0, size: split[pi]!.main.length * 8 });
  });
  const mapSymbol = object.maps.map((m, i) => {
    symbols.push({ name: strtab.add(m.name), info: (STB.GLOBAL << 4) | STT.OBJECT, shndx: mapsSection, value: i * BPF_MAP_DEF_SIZE, size: BPF_MAP_DEF_SIZE });
    return symbols.length - 1;
  });

  // Code with relocations: map references (R_BPF_64_64) everywhere, calls from an entry
  // function into .text (R_BPF_64_32, imm -1 against the function symbol, as clang emits).
  const textRelocs: { offset: number; symbol: number; type: number }[] = [];
  const textSlots: Insn[] = [];
  const emit = (slots: readonly Insn[], relocTo: { offset: number; symbol: number; type: number }[], base: number, callTarget: (i: number, s: Insn) => number | undefined): Insn[] =>
    slots.map((s, i) => {
      if (s.opcode === LDDW_OPCODE && s.src === 1) {
        relocTo.push({ offset: (base + i) * 8, symbol: mapSymbol[s.imm]!, type: R_BPF_64_64 });
        return { ...s, src: 0, imm: 0 };
      }
      const sym = callTarget(i, s);
      if (sym !== undefined) {
        relocTo.push({ offset: (base + i) * 8, symbol: sym, type: R_BPF_64_32 });
        return { ...s, imm: -1 };
      }
      return s;
    });
  chunks.forEach((c) => textSlots.push(...emit(c.slots, textRelocs, c.offset, () => undefined)));
  object.programs.forEach((p, pi) => {
    const { main, chunk, tailStart } = split[pi]!;
    const entries: { offset: number; symbol: number; type: number }[] = [];
    const code = emit(main, entries, 0, (i, s) => {
      if (s.opcode !== CALL_OPCODE || s.src !== 1) return undefined;
      const target = i + 1 + s.imm;
      if (target < tailStart) return undefined;
      const sym = chunkSymbol[chunk]?.get(target - tailStart);
      if (sym === undefined) throw new Error(`bug: call at ${i} of ${p.name} targets slot ${target}, which starts no function`);
      return sym;
    });
    sections[progSections[pi]!]!.data = encodeSlots(code);
    if (entries.length) relocs.push({ section: progSections[pi]!, entries });
  });
  if (chunks.length) {
    sections[textSection]!.data = encodeSlots(textSlots);
    if (textRelocs.length) relocs.push({ section: textSection, entries: textRelocs });
  }

  const symtabIndex = sections.length + relocs.length;
  for (const r of relocs) {
    const data = new Uint8Array(r.entries.length * 16);
    const v = new DataView(data.buffer);
    r.entries.forEach((e, i) => {
      v.setBigUint64(i * 16, BigInt(e.offset), true);
      v.setBigUint64(i * 16 + 8, (BigInt(e.symbol) << 32n) | BigInt(e.type), true);
    });
    sections.push({ name: `.rel${sections[r.section]!.name}`, type: SHT.REL, flags: 0, data, align: 8, link: symtabIndex, info: r.section, entsize: 16 });
  }
  const symData = new Uint8Array(symbols.length * 24);
  const sv = new DataView(symData.buffer);
  symbols.forEach((s, i) => {
    const o = i * 24;
    sv.setUint32(o, s.name, true);
    sv.setUint8(o + 4, s.info);
    sv.setUint16(o + 6, s.shndx, true);
    sv.setBigUint64(o + 8, BigInt(s.value), true);
    sv.setBigUint64(o + 16, BigInt(s.size), true);
  });
  const strtabIndex = symtabIndex + 1;
  sections.push({ name: ".symtab", type: SHT.SYMTAB, flags: 0, data: symData, align: 8, link: strtabIndex, info: firstGlobal, entsize: 24 });
  // One string table for section and symbol names, as clang writes it.
  const names = sections.map((s) => strtab.add(s.name));
  const strtabName = strtab.add(".strtab");
  sections.push({ name: ".strtab", type: SHT.STRTAB, flags: 0, data: strtab.bytes(), align: 1 });
  names.push(strtabName);

  // Layout: header, section contents (aligned), section header table.
  let offset = 64;
  const offsets = sections.map((s) => {
    if (s.type === SHT.NULL) return 0;
    offset = align(offset, Math.max(1, s.align));
    const o = offset;
    offset += s.data.length;
    return o;
  });
  const shoff = align(offset, 8);
  const out = new Uint8Array(shoff + sections.length * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, sections.length, true);
  v.setUint16(62, sections.length - 1, true);
  sections.forEach((s, i) => {
    out.set(s.data, offsets[i]!);
    const h = shoff + i * 64;
    v.setUint32(h, names[i]!, true);
    v.setUint32(h + 4, s.type, true);
    v.setBigUint64(h + 8, BigInt(s.flags), true);
    v.setBigUint64(h + 24, BigInt(offsets[i]!), true);
    v.setBigUint64(h + 32, BigInt(s.data.length), true);
    v.setUint32(h + 40, s.link ?? 0, true);
    v.setUint32(h + 44, s.info ?? 0, true);
    v.setBigUint64(h + 48, BigInt(s.align), true);
    v.setBigUint64(h + 56, BigInt(s.entsize ?? 0), true);
  });
  return out;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;
