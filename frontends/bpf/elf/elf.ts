// A reader for the ELF64 little-endian relocatable objects that `clang -target bpf`
// writes: the file header, section headers and names, the symbol table and the SHT_REL
// relocation sections. Field layouts follow the System V gABI ("ELF-64 Object File
// Format", and <elf.h>). Every offset and size read from the file is checked against
// the file before it is used, so a malformed or truncated object ends in an `elf-format`
// diagnostic that names the file and the broken field, never in a RangeError.
import { fail } from "../../../ir/diag/diag.js";

/** gABI e_ident / e_type / e_machine values this reader accepts or names. */
const ELF = {
  MAGIC: [0x7f, 0x45, 0x4c, 0x46], // "\x7fELF"
  CLASS64: 2, // EI_CLASS: ELFCLASS64
  DATA_LSB: 1, // EI_DATA: ELFDATA2LSB; BPF objects are little-endian on every host we target
  VERSION: 1, // EI_VERSION / e_version: EV_CURRENT
  ET_REL: 1, // e_type: relocatable object, what `clang -c` writes
  EM_BPF: 247, // e_machine: Linux BPF (gABI machine registry)
  EHDR_SIZE: 64,
  SHDR_SIZE: 64,
  SYM_SIZE: 24,
  REL_SIZE: 16,
  SHN_UNDEF: 0,
  SHN_LORESERVE: 0xff00,
  SHN_ABS: 0xfff1,
  SHN_COMMON: 0xfff2,
  SHN_XINDEX: 0xffff, // gABI: the real index lives in section 0 (e_shstrndx) or SHT_SYMTAB_SHNDX
} as const;

/** gABI section types this loader looks at. */
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9, SYMTAB_SHNDX: 18 } as const;
/** gABI section flags. */
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;
/** gABI symbol types (low nibble of st_info). */
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
/** gABI symbol bindings (high nibble of st_info). */
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  /** File offset; meaningless for SHT_NOBITS. */
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
  /** The section's bytes: a view into the file, or zeros of `size` bytes for SHT_NOBITS. */
  readonly data: Uint8Array;
}

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly bind: number;
  /** Section index (st_shndx), or SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

export interface ElfRelocation {
  /** Byte offset in the section the relocations apply to. */
  readonly offset: number;
  readonly type: number;
  readonly symbol: number;
}

export interface ElfRelocationSection {
  /** The SHT_REL section itself (e.g. ".relxdp"). */
  readonly section: ElfSection;
  /** Index of the section it applies to (sh_info). */
  readonly target: number;
  readonly relocations: readonly ElfRelocation[];
}

export interface ElfFile {
  readonly file: string;
  readonly sections: readonly ElfSection[];
  /** Symbols in symbol-table order; index 0 is the null symbol. Empty if there is no .symtab. */
  readonly symbols: readonly ElfSymbol[];
  readonly relocationSections: readonly ElfRelocationSection[];
}

export const SHN = { UNDEF: ELF.SHN_UNDEF, ABS: ELF.SHN_ABS, COMMON: ELF.SHN_COMMON } as const;

/**
 * Bounds-checked little-endian reads. Every read names what it reads, so that the
 * diagnostic for a short file says which field ran past the end.
 */
class ByteReader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Fails unless [off, off+len) lies inside the file. */
  check(off: number, len: number, what: string): void {
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > this.bytes.length) {
      fail("elf-format", { file: this.file }, [`${what} (bytes ${hex(off)}..${hex(off + len)}) lies past the end of the file (${this.bytes.length} bytes)`]);
    }
  }
  u8(off: number, what: string): number {
    this.check(off, 1, what);
    return this.view.getUint8(off);
  }
  u16(off: number, what: string): number {
    this.check(off, 2, what);
    return this.view.getUint16(off, true);
  }
  u32(off: number, what: string): number {
    this.check(off, 4, what);
    return this.view.getUint32(off, true);
  }
  /** A 64-bit field that must fit a JS number (offsets, sizes, addresses in a .o do). */
  u64(off: number, what: string): number {
    this.check(off, 8, what);
    const v = this.view.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail("elf-format", { file: this.file }, [`${what} is 0x${v.toString(16)}, too large for an object file`]);
    return Number(v);
  }
  slice(off: number, len: number, what: string): Uint8Array {
    this.check(off, len, what);
    return this.bytes.subarray(off, off + len);
  }
}

function hex(n: number): string {
  return Number.isFinite(n) ? "0x" + n.toString(16) : String(n);
}

/** A NUL-terminated string at `off` in a string table; fails if it is not terminated inside the table. */
export function cString(table: Uint8Array, off: number, file: string, what: string): string {
  if (off < 0 || off >= table.length) {
    if (off === 0 && table.length === 0) return "";
    fail("elf-format", { file }, [`${what}: string offset ${off} is outside its string table (${table.length} bytes)`]);
  }
  const end = table.indexOf(0, off);
  if (end < 0) fail("elf-format", { file }, [`${what}: string at offset ${off} is not NUL-terminated`]);
  return new TextDecoder("utf-8").decode(table.subarray(off, end));
}

/** Parses the header, section headers, symbols and REL sections of an ELF64 LE BPF object. */
export function readElf(bytes: Uint8Array, file: string): ElfFile {
  const r = new ByteReader(bytes, file);
  const bad = (why: string): never => fail("elf-format", { file }, [why]);

  if (bytes.length < 4 || ELF.MAGIC.some((b, i) => bytes[i] !== b)) bad("not an ELF file (bad magic number)");
  const cls = r.u8(4, "e_ident[EI_CLASS]");
  if (cls !== ELF.CLASS64) bad(`ELF class ${cls} is not ELFCLASS64: BPF objects are 64-bit`);
  const data = r.u8(5, "e_ident[EI_DATA]");
  if (data !== ELF.DATA_LSB) bad(`ELF data encoding ${data} is not little-endian (ELFDATA2LSB); use -target bpfel`);
  const identVersion = r.u8(6, "e_ident[EI_VERSION]");
  if (identVersion !== ELF.VERSION) bad(`ELF identification version ${identVersion} is not EV_CURRENT (1)`);
  r.check(0, ELF.EHDR_SIZE, "ELF header");
  const type = r.u16(16, "e_type");
  if (type !== ELF.ET_REL) bad(`ELF type ${type} is not a relocatable object (ET_REL); pass the .o that clang -c writes`);
  const machine = r.u16(18, "e_machine");
  if (machine !== ELF.EM_BPF) bad(`ELF machine ${machine} is not BPF (EM_BPF = 247)`);
  const shoff = r.u64(40, "e_shoff");
  const shentsize = r.u16(58, "e_shentsize");
  let shnum = r.u16(60, "e_shnum");
  let shstrndx = r.u16(62, "e_shstrndx");
  if (shoff === 0) bad("the object has no section header table (e_shoff is 0)");
  if (shentsize !== ELF.SHDR_SIZE) bad(`section header size e_shentsize is ${shentsize}, expected ${ELF.SHDR_SIZE}`);
  // gABI extended numbering: with 0xff00 or more sections, e_shnum is 0 and the count
  // is in section 0's sh_size; e_shstrndx is SHN_XINDEX and the index is in its sh_link.
  if (shnum === 0) shnum = r.u64(shoff + 32, "section 0 sh_size (extended section count)");
  if (shstrndx === ELF.SHN_XINDEX) shstrndx = r.u32(shoff + 40, "section 0 sh_link (extended e_shstrndx)");
  r.check(shoff, shnum * ELF.SHDR_SIZE, `section header table (${shnum} entries at ${hex(shoff)})`);
  if (shstrndx === 0 || shstrndx >= shnum) bad(`section name table index e_shstrndx ${shstrndx} is not a section (the object has ${shnum})`);

  // Raw headers first; names need the section name table, which is one of them.
  const raw: RawSectionHeader[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * ELF.SHDR_SIZE;
    const what = `section header ${i}`;
    const s: RawSectionHeader = {
      index: i,
      nameOff: r.u32(h, `${what} sh_name`),
      type: r.u32(h + 4, `${what} sh_type`),
      flags: r.u64(h + 8, `${what} sh_flags`),
      offset: r.u64(h + 24, `${what} sh_offset`),
      size: r.u64(h + 32, `${what} sh_size`),
      link: r.u32(h + 40, `${what} sh_link`),
      info: r.u32(h + 44, `${what} sh_info`),
      entsize: r.u64(h + 56, `${what} sh_entsize`),
    };
    raw.push(s);
  }
  const sectionBytes = (s: RawSectionHeader, what: string): Uint8Array => {
    if (s.type === SHT.NOBITS || s.type === SHT.NULL) return new Uint8Array(s.type === SHT.NOBITS ? checkedZeroSize(s.size, what, file) : 0);
    return r.slice(s.offset, s.size, `${what} contents`);
  };
  const shstr = raw[shstrndx]!;
  if (shstr.type !== SHT.STRTAB) bad(`section name table (section ${shstrndx}) is not SHT_STRTAB`);
  const names = sectionBytes(shstr, `section name table (section ${shstrndx})`);
  const sections: ElfSection[] = raw.map((s) => {
    const name = s.index === 0 ? "" : cString(names, s.nameOff, file, `name of section ${s.index}`);
    return { index: s.index, name, type: s.type, flags: s.flags, offset: s.offset, size: s.size, link: s.link, info: s.info, entsize: s.entsize, data: sectionBytes(s, `section ${s.index} (${name})`) };
  });

  const symbols = readSymbols(sections, file);
  const relocationSections: ElfRelocationSection[] = [];
  for (const s of sections) {
    if (s.type !== SHT.REL) continue;
    const where = `relocation section ${s.index} (${s.name})`;
    if (s.info === 0 || s.info >= sections.length) bad(`${where} applies to section ${s.info}, which does not exist`);
    if (s.entsize !== ELF.REL_SIZE) bad(`${where} has entry size ${s.entsize}, expected ${ELF.REL_SIZE}`);
    if (s.size % ELF.REL_SIZE !== 0) bad(`${where} size ${s.size} is not a multiple of ${ELF.REL_SIZE}`);
    const rv = new ByteReader(s.data, file);
    const relocations: ElfRelocation[] = [];
    for (let off = 0; off < s.size; off += ELF.REL_SIZE) {
      const info = rv.u64(off + 8, `${where} r_info`);
      // gABI ELF64_R_SYM / ELF64_R_TYPE: symbol in the high 32 bits, type in the low 32.
      const symbol = Math.floor(info / 2 ** 32);
      const type = info % 2 ** 32;
      if (symbol >= symbols.length) bad(`${where} entry ${off / ELF.REL_SIZE} refers to symbol ${symbol}, but the symbol table has ${symbols.length}`);
      relocations.push({ offset: rv.u64(off, `${where} r_offset`), type, symbol });
    }
    relocationSections.push({ section: s, target: s.info, relocations });
  }
  return { file, sections, symbols, relocationSections };
}

interface RawSectionHeader {
  readonly index: number;
  readonly nameOff: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
}

/** NOBITS sections take no file space; cap their size so a corrupt header cannot ask for gigabytes. */
function checkedZeroSize(size: number, what: string, file: string): number {
  // 256 MiB: far above any .bss a BPF map can hold, low enough that a corrupt size
  // cannot make the loader allocate gigabytes.
  const MAX_NOBITS = 256 << 20;
  if (size > MAX_NOBITS) fail("elf-format", { file }, [`${what} is SHT_NOBITS of ${size} bytes, more than any BPF object can use`]);
  return size;
}

function readSymbols(sections: readonly ElfSection[], file: string): ElfSymbol[] {
  const symtabs = sections.filter((s) => s.type === SHT.SYMTAB);
  if (symtabs.length === 0) return [];
  if (symtabs.length > 1) fail("elf-format", { file }, ["the object has more than one symbol table"]);
  const symtab = symtabs[0]!;
  const where = `symbol table (section ${symtab.index})`;
  if (symtab.entsize !== ELF.SYM_SIZE) fail("elf-format", { file }, [`${where} has entry size ${symtab.entsize}, expected ${ELF.SYM_SIZE}`]);
  if (symtab.size % ELF.SYM_SIZE !== 0) fail("elf-format", { file }, [`${where} size ${symtab.size} is not a multiple of ${ELF.SYM_SIZE}`]);
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SHT.STRTAB) fail("elf-format", { file }, [`${where} links to section ${symtab.link}, which is not a string table`]);
  const r = new ByteReader(symtab.data, file);
  const out: ElfSymbol[] = [];
  for (let off = 0, index = 0; off < symtab.size; off += ELF.SYM_SIZE, index++) {
    const info = r.u8(off + 4, `symbol ${index} st_info`);
    const shndx = r.u16(off + 6, `symbol ${index} st_shndx`);
    if (shndx === ELF.SHN_XINDEX) fail("elf-format", { file }, [`symbol ${index} uses an extended section index (SHN_XINDEX), which BPF objects do not need`]);
    if (shndx !== ELF.SHN_UNDEF && shndx < ELF.SHN_LORESERVE && shndx >= sections.length) {
      fail("elf-format", { file }, [`symbol ${index} is in section ${shndx}, which does not exist`]);
    }
    out.push({
      index,
      name: cString(strtab.data, r.u32(off, `symbol ${index} st_name`), file, `name of symbol ${index}`),
      type: info & 0xf,
      bind: info >> 4,
      shndx,
      value: r.u64(off + 8, `symbol ${index} st_value`),
      size: r.u64(off + 16, `symbol ${index} st_size`),
    });
  }
  return out;
}
