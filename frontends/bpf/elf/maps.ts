// Maps declared by a BPF object, found the way libbpf finds them (tools/lib/bpf/libbpf.c,
// bpf_object__init_maps): legacy `SEC("maps")` records first, then BTF-defined maps in
// `.maps`, then one array map per global data section. The order is the map index that
// relocated lddw instructions carry, so it is part of the output and must stay stable.
import { diag, type Diagnostic } from "../../../ir/diag/diag.js";
import { mapKindByLinuxType, type MapDef } from "../../../runtime/maps/def.js";
import { btfMapAttrs, datasecVars, findDatasec, type Btf } from "./btf.js";
import { SHF, SHT, STT, type ElfFile, type ElfSection } from "./elf.js";

/** Section names libbpf gives meaning to (libbpf.c MAPS_ELF_SEC, MAPS_ELF_SEC_BTF). */
export const LEGACY_MAPS_SECTION = "maps";
export const BTF_MAPS_SECTION = ".maps";

/** include/uapi/linux/bpf.h: the program may read but not write the map. */
const BPF_F_RDONLY_PROG = 0x80;

/**
 * Global data sections, as libbpf classifies them (libbpf.c bpf_object__elf_collect):
 * the exact name or the name followed by "." and anything (.rodata.str1.1, .data.foo).
 */
const GLOBAL_DATA_SECTIONS = [
  { prefix: ".data", flags: 0 }, // initialised, writable
  { prefix: ".rodata", flags: BPF_F_RDONLY_PROG }, // const: libbpf freezes it and the verifier may read it as constants
  { prefix: ".bss", flags: 0 }, // zero-initialised, SHT_NOBITS
] as const;

/** A map together with where its definition (or, for global data, its contents) lives. */
export interface ElfMap {
  readonly def: MapDef;
  /** Section of the definition (legacy/BTF) or of the data (global data). */
  readonly section: number;
  /** Byte offset of the definition in the section; 0 for global data. */
  readonly offset: number;
  /** Size of the definition in the section; the section size for global data. */
  readonly size: number;
  /** Initial value for global data maps. */
  readonly init?: Uint8Array;
}

export function globalDataFlags(s: ElfSection): number | undefined {
  if ((s.flags & SHF.ALLOC) === 0 || (s.flags & SHF.EXECINSTR) !== 0) return undefined;
  if (s.type !== SHT.PROGBITS && s.type !== SHT.NOBITS) return undefined;
  const row = GLOBAL_DATA_SECTIONS.find((g) => s.name === g.prefix || s.name.startsWith(g.prefix + "."));
  return row?.flags;
}

/**
 * One array map per non-empty global data section, named after the section (libbpf
 * prefixes the object name; bpfoff objects are single-file, so the section name is
 * enough and keeps outputs independent of the file name). Empty sections get no map:
 * the kernel rejects value_size 0, and no instruction can refer into them.
 */
export function globalDataMaps(elf: ElfFile): ElfMap[] {
  const out: ElfMap[] = [];
  for (const s of elf.sections) {
    const flags = globalDataFlags(s);
    if (flags === undefined || s.size === 0) continue;
    // libbpf's global data maps: a one-element array whose single value is the section.
    out.push({ def: { name: s.name, kind: "array", keySize: 4, valueSize: s.size, maxEntries: 1, flags }, section: s.index, offset: 0, size: s.size, init: s.data.slice() });
  }
  return out;
}

/** `struct bpf_map_def` (libbpf_legacy.h): u32 type, key_size, value_size, max_entries, map_flags. */
const LEGACY_FIELDS = ["type", "keySize", "valueSize", "maxEntries", "flags"] as const;
/** Records shorter than type..max_entries cannot describe a map. */
const LEGACY_MIN_SIZE = 16;

/**
 * Legacy maps: each symbol in the `maps` section names one record. As libbpf does, the
 * record size is the section size divided by the number of map symbols, and bytes past
 * the fields bpfoff knows must be zero.
 */
export function legacyMaps(elf: ElfFile, section: ElfSection, diags: Diagnostic[]): ElfMap[] {
  const file = elf.file;
  const syms = elf.symbols
    .filter((s) => s.shndx === section.index && (s.type === STT.OBJECT || s.type === STT.NOTYPE) && s.name !== "")
    .sort((a, b) => a.value - b.value || a.index - b.index);
  if (syms.length === 0) return [];
  const recordSize = section.size / syms.length;
  if (!Number.isInteger(recordSize) || recordSize < LEGACY_MIN_SIZE || recordSize % 4 !== 0) {
    diags.push(diag("elf-format", { file }, [`section '${LEGACY_MAPS_SECTION}' is ${section.size} bytes for ${syms.length} maps: not whole struct bpf_map_def records`]));
    return [];
  }
  const view = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
  const out: ElfMap[] = [];
  for (const sym of syms) {
    if (sym.value % recordSize !== 0 || sym.value + recordSize > section.size) {
      diags.push(diag("elf-map", { file }, [sym.name, `definition at offset ${sym.value} is not a whole record of ${recordSize} bytes in '${LEGACY_MAPS_SECTION}'`]));
      continue;
    }
    const fields: Record<(typeof LEGACY_FIELDS)[number], number> = { type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
    LEGACY_FIELDS.forEach((f, i) => {
      if (i * 4 < recordSize) fields[f] = view.getUint32(sym.value + i * 4, true);
    });
    const known = LEGACY_FIELDS.length * 4;
    for (let b = known; b < recordSize; b++) {
      if (section.data[sym.value + b] !== 0) {
        diags.push(diag("elf-map", { file }, [sym.name, `struct bpf_map_def has non-zero bytes past map_flags (offset ${b}), which bpfoff does not understand`]));
        break;
      }
    }
    const kind = mapKindByLinuxType(fields.type);
    if (!kind) {
      diags.push(diag("elf-map-type", { file }, [sym.name, fields.type]));
      continue;
    }
    out.push({ def: { name: sym.name, kind, keySize: fields.keySize, valueSize: fields.valueSize, maxEntries: fields.maxEntries, flags: fields.flags }, section: section.index, offset: sym.value, size: recordSize });
  }
  return out;
}

/**
 * BTF-defined maps: the DATASEC named `.maps` lists one VAR per map, whose type is the
 * anonymous struct that bpf_helpers.h's __uint/__type macros build (libbpf.c
 * parse_btf_map_def). key/value sizes may come from __type (sizeof) or __uint
 * (key_size/value_size); when both are given they must agree, as libbpf requires.
 */
export function btfMaps(elf: ElfFile, section: ElfSection, btf: Btf | undefined, diags: Diagnostic[]): ElfMap[] {
  const file = elf.file;
  if (!btf) {
    diags.push(diag("elf-format", { file }, [`section '${BTF_MAPS_SECTION}' needs .BTF to describe its maps, and the object has none (compile with -g)`]));
    return [];
  }
  const sec = findDatasec(btf, BTF_MAPS_SECTION);
  if (!sec) {
    if (section.size > 0) diags.push(diag("elf-format", { file }, [`.BTF has no DATASEC '${BTF_MAPS_SECTION}' describing section '${BTF_MAPS_SECTION}'`]));
    return [];
  }
  const out: ElfMap[] = [];
  for (const v of datasecVars(btf, sec)) {
    // clang leaves DATASEC offsets of global variables 0 and libbpf fills them in from
    // the ELF symbol of the same name (libbpf.c btf_fixup_datasec); so do we.
    const sym = elf.symbols.find((y) => y.shndx === section.index && y.type !== STT.SECTION && y.name === v.name);
    const offset = sym ? sym.value : v.offset;
    if (offset + v.size > section.size) {
      diags.push(diag("elf-map", { file }, [v.name, `definition (${v.size} bytes at ${offset}) lies outside section '${BTF_MAPS_SECTION}' (${section.size} bytes)`]));
      continue;
    }
    const a = btfMapAttrs(btf, v);
    const type = a.uints.get("type");
    if (type === undefined) {
      diags.push(diag("elf-map", { file }, [v.name, "has no __uint(type, ...)"]));
      continue;
    }
    const kind = mapKindByLinuxType(type);
    if (!kind) {
      diags.push(diag("elf-map-type", { file }, [v.name, type]));
      continue;
    }
    const size = (which: "key" | "value"): number => {
      const fromType = a.typeSizes.get(which);
      const fromUint = a.uints.get(`${which}_size`);
      if (fromType !== undefined && fromUint !== undefined && fromType !== fromUint) {
        diags.push(diag("elf-map", { file }, [v.name, `__type(${which}) is ${fromType} bytes but __uint(${which}_size) says ${fromUint}`]));
      }
      return fromType ?? fromUint ?? 0;
    };
    out.push({
      def: { name: v.name, kind, keySize: size("key"), valueSize: size("value"), maxEntries: a.uints.get("max_entries") ?? 0, flags: a.uints.get("map_flags") ?? 0 },
      section: section.index,
      offset,
      size: v.size,
    });
  }
  return out;
}
