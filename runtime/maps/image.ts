// Runtime map images: one map's definition and contents in a versioned little-endian
// binary file (docs/map-image.md has the byte-level table). Records have one fixed size
// per map and every field starts on an 8-byte boundary, so the FPGA backend can turn
// records into block-RAM words, the NPU backend into 32-bit word memories, and the ASIC
// backend into TCAM (key/mask) and SRAM (value) rows without reparsing anything.
//
// Invariants encodeMapImage keeps and decodeMapImage checks: the CRC covers every byte
// but its own field; padding and reserved bytes are zero; array-like maps list records
// in strictly increasing index order (plain arrays: every index); keys are canonical
// (LPM bits past the prefix and TCAM value bits outside the mask are zero); no key twice.
import { fail, type Location } from "../../ir/diag/diag.js";
import { ERRNO, linuxTypeOf, mapKindByLinuxType, UPDATE_FLAGS, type MapDef } from "./def.js";
import { crc32 } from "./crc32.js";
import { checkMapDef, createMap, writeEntry } from "./index.js";
import { lpmCanonicalKey, lpmMaxPrefixlen } from "./lpm.js";
import { copyBytes, describeErrno, hexBytes, u32le, type BpfMap, type MapEntry } from "./map.js";
import { tcamCanonicalValue } from "./tcam.js";

export const IMAGE_MAGIC = "BPFOFFMI";
export const IMAGE_VERSION = 1;
export const IMAGE_HEADER_SIZE = 128;
/** Name field: UTF-8, NUL-padded, so at most 63 bytes of name. */
export const IMAGE_NAME_SIZE = 64;
/** Every field and record starts on this boundary: 64-bit memories take whole words. */
export const IMAGE_ALIGN = 8;

/** Header field offsets (docs/map-image.md, "Header"). */
const HDR = {
  magic: 0x00, // 8 bytes "BPFOFFMI"
  version: 0x08, // u16
  headerSize: 0x0a, // u16, 128: lets a reader skip a header grown by a later version
  crc: 0x0c, // u32 CRC-32 of the file with these 4 bytes left out
  fileSize: 0x10, // u32 total bytes: truncation shows before the checksum does
  mapType: 0x14, // u32 Linux bpf_map_type (0x7c01 for tcam)
  keySize: 0x18,
  valueSize: 0x1c,
  maxEntries: 0x20,
  flags: 0x24,
  count: 0x28, // u32 number of records
  recordSize: 0x2c, // u32 bytes per record, derived from the sizes; stored for readers
  keyField: 0x30, // u32 key (and mask) field size: key size rounded up to 8
  valueField: 0x34, // u32 value field size: value size rounded up to 8
  reserved: 0x38, // 8 bytes, zero
  name: 0x40, // 64 bytes
} as const;

/** Where each part of a record sits, for one map definition. */
export interface RecordLayout {
  readonly recordSize: number;
  /** u32 priority at +0 (TCAM; 0 for other kinds), u32 reserved at +4. */
  readonly keyOffset: number;
  readonly keyField: number;
  /** TCAM only. */
  readonly maskOffset: number | undefined;
  readonly valueOffset: number;
  readonly valueField: number;
}

const align = (n: number) => Math.ceil(n / IMAGE_ALIGN) * IMAGE_ALIGN;

export function recordLayout(def: Pick<MapDef, "kind" | "keySize" | "valueSize">): RecordLayout {
  const keyField = align(def.keySize);
  const valueField = align(def.valueSize);
  const tcam = def.kind === "tcam";
  const maskOffset = tcam ? 8 + keyField : undefined;
  const valueOffset = 8 + keyField + (tcam ? keyField : 0);
  return { recordSize: valueOffset + valueField, keyOffset: 8, keyField, maskOffset, valueOffset, valueField };
}

/** The image of a map: deterministic, since entries() is. */
export function encodeMapImage(map: BpfMap, loc: Location = {}): Uint8Array {
  const def = map.def;
  const name = Buffer.from(def.name, "utf8");
  if (name.length >= IMAGE_NAME_SIZE || name.includes(0))
    fail("map-format", loc, [`map name '${def.name}' does not fit a map image (at most ${IMAGE_NAME_SIZE - 1} bytes, no NUL)`]);
  const layout = recordLayout(def);
  const entries = [...map.entries()];
  const size = IMAGE_HEADER_SIZE + entries.length * layout.recordSize;
  // The file size field is a u32.
  if (size > 0xffffffff) fail("map-format", loc, [`map '${def.name}' would make a ${size}-byte image; a map image holds at most 4294967295 bytes`]);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(Buffer.from(IMAGE_MAGIC, "latin1"), HDR.magic);
  dv.setUint16(HDR.version, IMAGE_VERSION, true);
  dv.setUint16(HDR.headerSize, IMAGE_HEADER_SIZE, true);
  dv.setUint32(HDR.fileSize, out.length, true);
  dv.setUint32(HDR.mapType, linuxTypeOf(def.kind), true);
  dv.setUint32(HDR.keySize, def.keySize, true);
  dv.setUint32(HDR.valueSize, def.valueSize, true);
  dv.setUint32(HDR.maxEntries, def.maxEntries, true);
  dv.setUint32(HDR.flags, def.flags, true);
  dv.setUint32(HDR.count, entries.length, true);
  dv.setUint32(HDR.recordSize, layout.recordSize, true);
  dv.setUint32(HDR.keyField, layout.keyField, true);
  dv.setUint32(HDR.valueField, layout.valueField, true);
  out.set(name, HDR.name);
  entries.forEach((e, i) => {
    const at = IMAGE_HEADER_SIZE + i * layout.recordSize;
    dv.setUint32(at, e.priority ?? 0, true);
    out.set(e.key, at + layout.keyOffset);
    if (layout.maskOffset !== undefined) out.set(e.mask!, at + layout.maskOffset);
    out.set(e.value, at + layout.valueOffset);
  });
  dv.setUint32(HDR.crc, imageCrc(out), true);
  return out;
}

/** CRC-32 of every byte except the CRC field. */
function imageCrc(bytes: Uint8Array): number {
  return crc32(bytes.subarray(HDR.crc + 4), crc32(bytes.subarray(0, HDR.crc)));
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const hex32 = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/** A map from its image; every inconsistency is a map-format error naming `file` and the byte offset. */
export function decodeMapImage(bytes: Uint8Array, file: string): BpfMap {
  const bad = (offset: number, msg: string): never => fail("map-format", { file }, [`byte offset ${offset} (0x${offset.toString(16)}): ${msg}`]);
  const magic = Buffer.from(IMAGE_MAGIC, "latin1");
  const head = bytes.subarray(0, magic.length);
  if (!magic.subarray(0, head.length).equals(head))
    bad(0, `bad magic (${hexBytes(head)}): not a bpfoff map image (expected "${IMAGE_MAGIC}")`);
  const truncated = (need: number): never => bad(bytes.length, `truncated map image: ${bytes.length} bytes, need at least ${need}`);
  if (bytes.length < HDR.version + 2) truncated(IMAGE_HEADER_SIZE);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (off: number) => dv.getUint32(off, true);
  const version = dv.getUint16(HDR.version, true);
  if (version !== IMAGE_VERSION) bad(HDR.version, `unsupported map image version ${version} (this bpfoff reads version ${IMAGE_VERSION})`);
  if (bytes.length < IMAGE_HEADER_SIZE) truncated(IMAGE_HEADER_SIZE);
  const headerSize = dv.getUint16(HDR.headerSize, true);
  if (headerSize !== IMAGE_HEADER_SIZE) bad(HDR.headerSize, `header size is ${headerSize}, version ${IMAGE_VERSION} headers are ${IMAGE_HEADER_SIZE} bytes`);
  const fileSize = u32(HDR.fileSize);
  if (fileSize > bytes.length) bad(bytes.length, `truncated map image: the header says ${fileSize} bytes, the file has ${bytes.length}`);
  if (fileSize < bytes.length) bad(fileSize, `${bytes.length - fileSize} trailing bytes after the ${fileSize}-byte image`);
  const stored = u32(HDR.crc);
  const computed = imageCrc(bytes);
  if (stored !== computed) bad(HDR.crc, `checksum mismatch: stored CRC-32 ${hex32(stored)}, computed ${hex32(computed)} (the image is corrupted)`);
  for (let off = HDR.reserved; off < HDR.name; off++) if (bytes[off] !== 0) bad(off, "reserved header byte is not zero");

  const linuxType = u32(HDR.mapType);
  const kind = mapKindByLinuxType(linuxType);
  if (kind === undefined) bad(HDR.mapType, `unknown map type ${linuxType}`);
  const nameField = bytes.subarray(HDR.name, HDR.name + IMAGE_NAME_SIZE);
  const nul = nameField.indexOf(0);
  if (nul < 0) bad(HDR.name, "map name is not NUL-terminated");
  for (let i = nul; i < IMAGE_NAME_SIZE; i++) if (nameField[i] !== 0) bad(HDR.name + i, "map name padding is not zero");
  let name = "";
  try {
    name = new TextDecoder("utf-8", { fatal: true }).decode(nameField.subarray(0, nul));
  } catch {
    bad(HDR.name, "map name is not valid UTF-8");
  }
  const def: MapDef = { name, kind: kind!, keySize: u32(HDR.keySize), valueSize: u32(HDR.valueSize), maxEntries: u32(HDR.maxEntries), flags: u32(HDR.flags) };
  const problems = checkMapDef(def);
  if (problems.length > 0) bad(HDR.keySize, `map '${name}' (${def.kind}): ${problems.join("; ")}`);

  const layout = recordLayout(def);
  for (const [field, want] of [["recordSize", layout.recordSize], ["keyField", layout.keyField], ["valueField", layout.valueField]] as const)
    if (u32(HDR[field]) !== want) bad(HDR[field], `${field} is ${u32(HDR[field])}, but key size ${def.keySize} and value size ${def.valueSize} give ${want}`);
  const count = u32(HDR.count);
  if (count > def.maxEntries) bad(HDR.count, `${count} entries, but max entries is ${def.maxEntries}`);
  const arrayLike = def.kind === "array" || def.kind === "percpu_array" || def.kind === "prog_array" || def.kind === "devmap";
  if ((def.kind === "array" || def.kind === "percpu_array") && count !== def.maxEntries)
    bad(HDR.count, `an array image holds every index: ${count} entries, expected ${def.maxEntries}`);
  if (IMAGE_HEADER_SIZE + count * layout.recordSize !== fileSize)
    bad(HDR.count, `${count} records of ${layout.recordSize} bytes after a ${IMAGE_HEADER_SIZE}-byte header make ${IMAGE_HEADER_SIZE + count * layout.recordSize} bytes, but the image is ${fileSize}`);

  const map = createMap(def, undefined, { file });
  let lastIndex = -1;
  for (let i = 0; i < count; i++) {
    const at = IMAGE_HEADER_SIZE + i * layout.recordSize;
    const rec = (off: number, msg: string): never => bad(at + off, `record ${i}: ${msg}`);
    const zeros = (from: number, to: number) => {
      for (let o = from; o < to; o++) if (bytes[at + o] !== 0) rec(o, "padding byte is not zero");
    };
    const priority = u32(at);
    if (def.kind !== "tcam" && priority !== 0) rec(0, `priority ${priority} on a ${def.kind} map (only tcam entries have one)`);
    zeros(4, 8);
    const field = (off: number, size: number, fieldSize: number) => {
      zeros(off + size, off + fieldSize);
      return copyBytes(bytes.subarray(at + off, at + off + size));
    };
    const entry: MapEntry = { key: field(layout.keyOffset, def.keySize, layout.keyField), value: field(layout.valueOffset, def.valueSize, layout.valueField) };
    if (layout.maskOffset !== undefined) {
      entry.mask = field(layout.maskOffset, def.keySize, layout.keyField);
      entry.priority = priority;
      const stray = firstDifference(tcamCanonicalValue(entry.key, entry.mask), entry.key);
      if (stray >= 0) rec(layout.keyOffset + stray, "tcam value has bits set outside its mask");
    }
    if (arrayLike) {
      const index = u32le(entry.key);
      if (index <= lastIndex || index >= def.maxEntries) rec(layout.keyOffset, `index ${index} is out of order or range (after ${lastIndex}, below ${def.maxEntries})`);
      lastIndex = index;
    }
    if (def.kind === "lpm_trie") {
      const prefixlen = u32le(entry.key);
      if (prefixlen > lpmMaxPrefixlen(def.keySize)) rec(layout.keyOffset, `prefix length ${prefixlen} exceeds ${lpmMaxPrefixlen(def.keySize)}`);
      const stray = firstDifference(lpmCanonicalKey(entry.key), entry.key);
      if (stray >= 0) rec(layout.keyOffset + stray, `lpm key has bits set past its /${prefixlen} prefix`);
    }
    if (def.kind === "devmap" && u32le(entry.value) === 0) rec(layout.valueOffset, "devmap slot with ifindex 0 (an empty slot is not stored)");
    const before = map.size;
    const ret = writeEntry(map, entry, arrayLike ? UPDATE_FLAGS.ANY : UPDATE_FLAGS.NOEXIST);
    if (ret === -ERRNO.EEXIST) rec(layout.keyOffset, "duplicate key (an earlier record has it)");
    if (ret !== 0) rec(layout.keyOffset, `cannot be added: ${describeErrno(ret)}`);
    if (!(def.kind === "array" || def.kind === "percpu_array") && map.size !== before + 1) rec(layout.keyOffset, "does not add an entry");
  }
  return map;
}
