// Writes a BpfObject as an ELF64 relocatable object (EM_BPF) in the layout clang uses,
// so that libbpf 1.x (bpftool 7.1) loads it and bpfoff's own loader reads back the same
// object:
//   - one executable section per section name, holding the entry functions of every
//     program of that name one after another; subprograms in `.text`;
//   - BTF-defined maps: a zero-filled `.maps` section with one global OBJECT symbol per
//     map, described by `.BTF` (btf-writer.ts); libbpf 1.x no longer reads the legacy
//     `maps` section;
//   - global data maps (.data, .rodata, .bss and their suffixed forms) as those sections
//     with their initial bytes;
//   - `.BTF.ext` func_info and line_info for every function;
//   - `.rel<section>` relocations exactly as clang emits them (llvm/docs/BPFUsage.rst,
//     "BPF ELF relocations"): R_BPF_64_64 on lddw against a map symbol (imm 0), against
//     a data section's symbol (offset in the first slot's imm) or against `.text`'s
//     section symbol for a function address (byte offset in the first imm; libbpf makes
//     it BPF_PSEUDO_FUNC); R_BPF_64_32 on a call into `.text` against the function's
//     symbol with imm -1;
//   - `license` and a symbol table (locals first, as the gABI requires).
// Map order: the loader numbers BTF-defined maps before global data (libbpf's order), so
// an object whose maps list global data first reloads with the maps renumbered.
import { LDDW_OPCODE, type Insn } from "../../ir/bpf/insn.js";
import { encodeSlots } from "../../ir/bpf/codec.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { fail } from "../../ir/diag/diag.js";
import { MAP_KINDS, type MapDef } from "../../runtime/maps/def.js";
import { SHF, SHT, STB, STT } from "../../frontends/bpf/elf/elf.js";
import { BTF_MAPS_SECTION, buildObjectBtf, type BtfFunction } from "./btf-writer.js";
import { StringTable } from "./string-table.js";

const EM_BPF = 247;
const R_BPF_64_64 = 1; // lddw of a map, data or function address
const R_BPF_64_32 = 10; // call of a function symbol: target = st_value / 8 + imm + 1
const CALL_OPCODE = 0x85;
/** RFC 9669 §5.4 lddw src values the loader produces and this writer turns back into relocations. */
const PSEUDO = { MAP_FD: 1, MAP_VALUE: 2, FUNC: 4 } as const;
const TEXT_SECTION = ".text";
const LICENSE_SECTION = "license";

/**
 * Global data section names libbpf recognises (libbpf.c bpf_object__elf_collect), and
 * the section flags clang gives them. `.bss` is SHT_NOBITS when it holds only zeros.
 */
const DATA_SECTIONS = [
  { prefix: ".data", flags: SHF.WRITE | SHF.ALLOC },
  { prefix: ".rodata", flags: SHF.ALLOC }, // const data: libbpf freezes the map
  { prefix: ".bss", flags: SHF.WRITE | SHF.ALLOC },
] as const;

/** Map kinds that only bpfoff knows: a kernel-loadable object cannot have them. */
const BPFOFF_ONLY_KINDS: ReadonlySet<string> = new Set(MAP_KINDS.filter((k) => k.linuxType >= 0x7c00).map((k) => k.kind));

export interface WriteElfOptions {
  /**
   * Refuse what the Linux kernel cannot load (bpfoff's own map kinds such as tcam) with
   * a `bpf-kernel-map` error. Without it such maps are written with their bpfoff type
   * number, for bpfoff's own tools.
   */
  readonly kernelLoadable?: boolean;
}

interface SectionSpec {
  name: string;
  type: number;
  flags: number;
  data: Uint8Array;
  /** sh_size when it differs from data (SHT_NOBITS). */
  size?: number;
  align: number;
  link?: number;
  info?: number;
  entsize?: number;
}

interface Reloc {
  offset: number;
  symbol: number;
  type: number;
}


/** A program split as clang lays it out: the entry function in its section, the subprograms in .text. */
interface SplitProgram {
  main: readonly Insn[];
  /** Index of the .text chunk holding this program's subprograms, or -1. */
  chunk: number;
  /** Slot in the linked program where the subprograms start. */
  tailStart: number;
  /** Code section (index into codeSections) and slot offset of the entry function there. */
  codeSection: number;
  base: number;
}

/** The data section a global data map is written as, or undefined when its name is not one. */
function dataSectionOf(name: string): (typeof DATA_SECTIONS)[number] | undefined {
  return DATA_SECTIONS.find((d) => name === d.prefix || name.startsWith(d.prefix + "."));
}

export function writeElf(object: BpfObject, options: WriteElfOptions = {}): Uint8Array {
  const strtab = new StringTable();
  const sections: SectionSpec[] = [{ name: "", type: SHT.NULL, flags: 0, data: new Uint8Array(0), align: 0 }];
  const symbols: { name: number; info: number; shndx: number; value: number; size: number }[] = [{ name: 0, info: 0, shndx: 0, value: 0, size: 0 }];
  const relocs = new Map<number, Reloc[]>();
  const relocsOf = (section: number): Reloc[] => {
    let r = relocs.get(section);
    if (!r) relocs.set(section, (r = []));
    return r;
  };

  // Maps: definitions go to .maps, global data to their own sections.
  const isData = (m: MapDef) => object.mapInit.has(m.name);
  if (options.kernelLoadable) {
    const bad = object.maps.filter((m) => BPFOFF_ONLY_KINDS.has(m.kind));
    if (bad.length) fail("bpf-kernel-map", {}, [bad[0]!.name, bad[0]!.kind], bad.slice(1).map((m) => `map '${m.name}' (${m.kind}) is bpfoff-only too`));
  }
  for (const m of object.maps) {
    if (isData(m) && !dataSectionOf(m.name)) fail("bpf-data-section", {}, [m.name]);
  }
  const defMaps = object.maps.filter((m) => !isData(m));

  // Subprograms go to .text as contiguous chunks, one per distinct tail, so that the calls
  // between them keep their relative offsets; programs with the same tail share a chunk.
  const chunks: { slots: readonly Insn[]; functions: [number, string][]; offset: number }[] = [];
  const codeSections: { name: string; slots: Insn[] }[] = [];
  const split: SplitProgram[] = object.programs.map((p) => {
    const starts = [...p.functions.keys()].filter((k) => k > 0).sort((a, b) => a - b);
    const tailStart = starts[0] ?? p.slots.length;
    const main = p.slots.slice(0, tailStart);
    const name = p.section || "xdp";
    let codeSection = codeSections.findIndex((c) => c.name === name);
    if (codeSection < 0) codeSection = codeSections.push({ name, slots: [] }) - 1;
    const base = codeSections[codeSection]!.slots.length;
    codeSections[codeSection]!.slots.push(...main);
    const tail = p.slots.slice(tailStart);
    if (!tail.length) return { main, chunk: -1, tailStart, codeSection, base };
    const functions = starts.map((k) => [k - tailStart, p.functions.get(k)!] as [number, string]);
    const key = JSON.stringify([tail, functions]);
    let chunk = chunks.findIndex((c) => JSON.stringify([c.slots, c.functions]) === key);
    if (chunk < 0) {
      const offset = chunks.reduce((n, c) => n + c.slots.length, 0);
      chunk = chunks.push({ slots: tail, functions, offset }) - 1;
    }
    return { main, chunk, tailStart, codeSection, base };
  });

  const codeIndex = codeSections.map((c) => sections.push({ name: c.name, type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, data: new Uint8Array(0), align: 8 }) - 1);
  const textSection = chunks.length ? sections.push({ name: TEXT_SECTION, type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, data: new Uint8Array(0), align: 8 }) - 1 : 0;
  const dataIndex = new Map<string, number>();
  for (const m of object.maps.filter(isData)) {
    const init = object.mapInit.get(m.name)!;
    const row = dataSectionOf(m.name)!;
    const nobits = row.prefix === ".bss" && init.every((b) => b === 0);
    const data = nobits ? new Uint8Array(0) : init.slice();
    dataIndex.set(m.name, sections.push({ name: m.name, type: nobits ? SHT.NOBITS : SHT.PROGBITS, flags: row.flags, data, size: init.length, align: 8 }) - 1);
  }

  // BTF first: it fixes the size of each map definition in .maps.
  const functions: BtfFunction[] = [];
  object.programs.forEach((p, i) => functions.push({ name: p.name, section: codeSections[split[i]!.codeSection]!.name, offset: split[i]!.base * 8, isProgram: true }));
  for (const c of chunks) for (const [slot, name] of c.functions) functions.push({ name, section: TEXT_SECTION, offset: (c.offset + slot) * 8, isProgram: false });
  const btf = buildObjectBtf(defMaps, functions);
  const mapsSection = defMaps.length ? sections.push({ name: BTF_MAPS_SECTION, type: SHT.PROGBITS, flags: SHF.WRITE | SHF.ALLOC, data: new Uint8Array(btf.mapSizes.reduce((a, b) => a + b, 0)), align: 8 }) - 1 : 0;
  if (object.license) sections.push({ name: LICENSE_SECTION, type: SHT.PROGBITS, flags: SHF.WRITE | SHF.ALLOC, data: Buffer.from(object.license + "\0"), align: 1 });

  // Symbols: locals first (section symbols, then the static subprograms), then globals.
  const sectionSymbol = (shndx: number) => symbols.push({ name: 0, info: (STB.LOCAL << 4) | STT.SECTION, shndx, value: 0, size: 0 }) - 1;
  const textSymbol = chunks.length ? sectionSymbol(textSection) : 0;
  const dataSymbol = new Map([...dataIndex].map(([name, shndx]) => [name, sectionSymbol(shndx)]));
  const chunkSymbol = chunks.map((c) =>
    new Map(c.functions.map(([slot, name], k) => {
      // libbpf needs every function's size: up to the next function or the chunk's end.
      const end = c.functions[k + 1]?.[0] ?? c.slots.length;
      const sym = symbols.push({ name: strtab.add(name), info: (STB.LOCAL << 4) | STT.FUNC, shndx: textSection, value: (c.offset + slot) * 8, size: (end - slot) * 8 }) - 1;
      return [slot, sym] as [number, number];
    })),
  );
  const firstGlobal = symbols.length;
  object.programs.forEach((p, pi) => {
    const s = split[pi]!;
    symbols.push({ name: strtab.add(p.name), info: (STB.GLOBAL << 4) | STT.FUNC, shndx: codeIndex[s.codeSection]!, value: s.base * 8, size: s.main.length * 8 });
  });
  let mapOffset = 0;
  const defSymbol = new Map(defMaps.map((m, i) => {
    const size = btf.mapSizes[i]!;
    const sym = symbols.push({ name: strtab.add(m.name), info: (STB.GLOBAL << 4) | STT.OBJECT, shndx: mapsSection, value: mapOffset, size }) - 1;
    mapOffset += size;
    return [m.name, sym];
  }));

  // Code with relocations. `target(i)` maps a slot index of the linked program to the
  // .text slot it lands in, for function addresses and calls into the subprograms.
  const emit = (slots: readonly Insn[], where: string, relocTo: Reloc[], base: number, call: (i: number, s: Insn) => number | undefined, funcTarget: (i: number, s: Insn) => number): Insn[] => {
    const out: Insn[] = [];
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (s.opcode === LDDW_OPCODE && s.src !== 0) {
        const hi = slots[i + 1];
        if (!hi) throw new Error(`bug: ${where}: lddw at ${i} has no second slot`);
        const offset = (base + i) * 8;
        const map = object.maps[s.imm];
        if (s.src === PSEUDO.MAP_FD || s.src === PSEUDO.MAP_VALUE) {
          if (!map) throw new Error(`bug: ${where}: lddw at ${i} refers to map ${s.imm}, the object has ${object.maps.length}`);
          if ((s.src === PSEUDO.MAP_VALUE) !== isData(map)) fail("bpf-map-ref", { insn: i }, [where, map.name, s.src === PSEUDO.MAP_FD ? "a map fd of global data" : "the value address of a map that is not global data"]);
        }
        if (s.src === PSEUDO.MAP_FD) {
          relocTo.push({ offset, symbol: defSymbol.get(map!.name)!, type: R_BPF_64_64 });
          out.push({ ...s, src: 0, imm: 0 }, { ...hi, imm: 0 });
        } else if (s.src === PSEUDO.MAP_VALUE) {
          // clang: the section symbol, the offset in the first slot's imm (libbpf adds it).
          relocTo.push({ offset, symbol: dataSymbol.get(map!.name)!, type: R_BPF_64_64 });
          out.push({ ...s, src: 0, imm: hi.imm }, { ...hi, imm: 0 });
        } else if (s.src === PSEUDO.FUNC) {
          relocTo.push({ offset, symbol: textSymbol, type: R_BPF_64_64 });
          out.push({ ...s, src: 0, imm: funcTarget(i, s) * 8 }, { ...hi, imm: 0 });
        } else {
          fail("bpf-lddw-src", { insn: i }, [where, s.src]);
        }
        i++;
        continue;
      }
      const sym = call(i, s);
      if (sym !== undefined) {
        relocTo.push({ offset: (base + i) * 8, symbol: sym, type: R_BPF_64_32 });
        out.push({ ...s, imm: -1 });
        continue;
      }
      out.push(s);
    }
    return out;
  };
  const textSlots: Insn[] = [];
  chunks.forEach((c) => {
    const funcTarget = (i: number, s: Insn) => c.offset + i + 1 + s.imm;
    textSlots.push(...emit(c.slots, TEXT_SECTION, relocsOf(textSection), c.offset, () => undefined, funcTarget));
  });
  const codeOut = codeSections.map(() => [] as Insn[]);
  object.programs.forEach((p, pi) => {
    const { main, chunk, tailStart, codeSection, base } = split[pi]!;
    const inTail = (i: number, target: number, what: string): number => {
      if (target < tailStart || chunk < 0) throw new Error(`bug: ${what} at ${i} of ${p.name} targets slot ${target}, inside the entry function`);
      if (!chunkSymbol[chunk]!.has(target - tailStart)) throw new Error(`bug: ${what} at ${i} of ${p.name} targets slot ${target}, which starts no function`);
      return target - tailStart;
    };
    const call = (i: number, s: Insn): number | undefined => {
      if (s.opcode !== CALL_OPCODE || s.src !== 1) return undefined;
      const target = i + 1 + s.imm;
      if (target < tailStart) return undefined; // a jump within the entry function: no relocation
      return chunkSymbol[chunk]!.get(inTail(i, target, "call"))!;
    };
    const funcTarget = (i: number, s: Insn) => chunks[chunk]!.offset + inTail(i, i + 1 + s.imm, "function address");
    codeOut[codeSection]!.push(...emit(main, p.name, relocsOf(codeIndex[codeSection]!), base, call, funcTarget));
  });
  codeOut.forEach((slots, i) => (sections[codeIndex[i]!]!.data = encodeSlots(slots)));
  if (chunks.length) sections[textSection]!.data = encodeSlots(textSlots);

  sections.push({ name: ".BTF", type: SHT.PROGBITS, flags: 0, data: btf.btf, align: 4 });
  sections.push({ name: ".BTF.ext", type: SHT.PROGBITS, flags: 0, data: btf.btfExt, align: 4 });
  const relocList = [...relocs].filter(([, r]) => r.length).sort(([a], [b]) => a - b);
  const symtabIndex = sections.length + relocList.length;
  for (const [target, entries] of relocList) {
    const data = new Uint8Array(entries.length * 16);
    const v = new DataView(data.buffer);
    entries.sort((a, b) => a.offset - b.offset).forEach((e, i) => {
      v.setBigUint64(i * 16, BigInt(e.offset), true);
      v.setBigUint64(i * 16 + 8, (BigInt(e.symbol) << 32n) | BigInt(e.type), true);
    });
    sections.push({ name: `.rel${sections[target]!.name}`, type: SHT.REL, flags: 0, data, align: 8, link: symtabIndex, info: target, entsize: 16 });
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
    v.setBigUint64(h + 32, BigInt(s.size ?? s.data.length), true);
    v.setUint32(h + 40, s.link ?? 0, true);
    v.setUint32(h + 44, s.info ?? 0, true);
    v.setBigUint64(h + 48, BigInt(s.align), true);
    v.setBigUint64(h + 56, BigInt(s.entsize ?? 0), true);
  });
  return out;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;
