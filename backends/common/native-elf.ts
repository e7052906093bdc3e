// The ELF64 relocatable object of a native build: the code in .text and one global
// function symbol at its start, so that `gcc main.c prog.o bpfoff_runtime.c` links it
// (System V gABI, "Object Files"; the Linux elf.h constants). The code refers to nothing
// outside itself (helpers and maps come through rt), so there are no relocations.
// Deterministic: the bytes depend only on the code, the symbol and the source name.

const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3 } as const;
const SHF = { ALLOC: 2, EXECINSTR: 4 } as const;
const STB_LOCAL = 0, STB_GLOBAL = 1;
const STT = { NOTYPE: 0, FUNC: 2, SECTION: 3, FILE: 4 } as const;
const SHN_ABS = 0xfff1;

class Strings {
  readonly bytes: number[] = [0];
  add(s: string): number {
    const at = this.bytes.length;
    for (const b of new TextEncoder().encode(s)) this.bytes.push(b);
    this.bytes.push(0);
    return at;
  }
}

const align = (n: number, a: number): number => (n + a - 1) & ~(a - 1);

export function elfRelocatable(machine: number, code: Uint8Array, symbol: string, sourceName: string): Uint8Array {
  const shstr = new Strings();
  const names = { text: shstr.add(".text"), symtab: shstr.add(".symtab"), strtab: shstr.add(".strtab"), shstrtab: shstr.add(".shstrtab"), stack: shstr.add(".note.GNU-stack") };
  const str = new Strings();
  const fileName = str.add(sourceName.replace(/[^\x20-\x7e]/g, "?"));
  const entryName = str.add(symbol);
  // Symbols: null, the source file, the .text section, then the entry (the first global).
  const syms: [name: number, info: number, shndx: number, value: number, size: number][] = [
    [0, 0, 0, 0, 0],
    [fileName, (STB_LOCAL << 4) | STT.FILE, SHN_ABS, 0, 0],
    [0, (STB_LOCAL << 4) | STT.SECTION, 1, 0, 0],
    [entryName, (STB_GLOBAL << 4) | STT.FUNC, 1, 0, code.length],
  ];
  const textOff = 64;
  const strOff = textOff + code.length;
  const shstrOff = strOff + str.bytes.length;
  const symOff = align(shstrOff + shstr.bytes.length, 8);
  const shOff = align(symOff + syms.length * 24, 8);
  const shnum = 6;
  const out = new Uint8Array(shOff + shnum * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, machine, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shOff), true);
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint16(60, shnum, true);
  v.setUint16(62, 5, true); // e_shstrndx
  out.set(code, textOff);
  out.set(str.bytes, strOff);
  out.set(shstr.bytes, shstrOff);
  syms.forEach(([name, info, shndx, value, size], i) => {
    const o = symOff + i * 24;
    v.setUint32(o, name, true);
    v.setUint8(o + 4, info);
    v.setUint16(o + 6, shndx, true);
    v.setBigUint64(o + 8, BigInt(value), true);
    v.setBigUint64(o + 16, BigInt(size), true);
  });
  const sections: [name: number, type: number, flags: number, off: number, size: number, link: number, info: number, align: number, entsize: number][] = [
    [0, SHT.NULL, 0, 0, 0, 0, 0, 0, 0],
    [names.text, SHT.PROGBITS, SHF.ALLOC | SHF.EXECINSTR, textOff, code.length, 0, 0, 16, 0],
    [names.symtab, SHT.SYMTAB, 0, symOff, syms.length * 24, 3, 3, 8, 24],
    [names.strtab, SHT.STRTAB, 0, strOff, str.bytes.length, 0, 0, 1, 0],
    // An empty .note.GNU-stack: the code needs no executable stack (ld would warn otherwise).
    [names.stack, SHT.PROGBITS, 0, symOff, 0, 0, 0, 1, 0],
    [names.shstrtab, SHT.STRTAB, 0, shstrOff, shstr.bytes.length, 0, 0, 1, 0],
  ];
  sections.forEach(([name, type, flags, off, size, link, info, al, entsize], i) => {
    const o = shOff + i * 64;
    v.setUint32(o, name, true);
    v.setUint32(o + 4, type, true);
    v.setBigUint64(o + 8, BigInt(flags), true);
    v.setBigUint64(o + 24, BigInt(off), true);
    v.setBigUint64(o + 32, BigInt(size), true);
    v.setUint32(o + 40, link, true);
    v.setUint32(o + 44, info, true);
    v.setBigUint64(o + 48, BigInt(al), true);
    v.setBigUint64(o + 56, BigInt(entsize), true);
  });
  return out;
}
