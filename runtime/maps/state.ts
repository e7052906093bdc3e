// Map contents as JSON in bpftool's dump format (`bpftool -j map dump`):
//   [{"key": ["0x0a", "0x00", ...], "value": ["0x00", ...]}, ...]
// The CLI's --maps-in/--maps-out file holds every map: {"mapname": [entries...]}.
// TCAM entries add "mask" and "priority". Per-CPU maps: bpftool writes
// "values": [{"cpu": 0, "value": [...]}, ...]; bpfoff models one CPU, so it reads the
// CPU 0 value from that form and writes the plain "value" form.
import { fail } from "../../ir/diag/diag.js";
import { jsonErrorLocation, jsonErrorReason } from "../../ir/diag/json.js";
import { ERRNO, UPDATE_FLAGS } from "./def.js";
import { writeEntry } from "./index.js";
import { describeErrno, isTcam, keyId, u32le, type BpfMap, type MapEntry } from "./map.js";

export interface JsonMapEntry {
  key: string[];
  value: string[];
  mask?: string[];
  priority?: number;
}

const jsonBytes = (b: Uint8Array) => Array.from(b, (x) => `0x${x.toString(16).padStart(2, "0")}`);

/** One map's entries in bpftool's JSON form, in the map's entry order. */
export function mapStateToJson(map: BpfMap): JsonMapEntry[] {
  return Array.from(map.entries(), (e) => {
    const j: JsonMapEntry = { key: jsonBytes(e.key), value: jsonBytes(e.value) };
    if (e.mask) j.mask = jsonBytes(e.mask);
    if (e.priority !== undefined) j.priority = e.priority;
    return j;
  });
}

/**
 * One map's entries as JSON text at an indentation level: two-space indentation, each
 * byte array on one line, so that one changed entry is one changed line in a diff.
 */
export function formatMapJson(map: BpfMap, level = 0): string {
  const pad = (n: number) => "  ".repeat(level + n);
  const entries = mapStateToJson(map).map((e) => {
    const fields = Object.entries(e).map(([k, v]) => `${pad(2)}${JSON.stringify(k)}: ${Array.isArray(v) ? `[${v.map((s) => JSON.stringify(s)).join(", ")}]` : JSON.stringify(v)}`);
    return `${pad(1)}{\n${fields.join(",\n")}\n${pad(1)}}`;
  });
  return entries.length === 0 ? "[]" : `[\n${entries.join(",\n")}\n${pad(0)}]`;
}

/** The --maps-out file: every map by name, names sorted (code-unit order), trailing newline. */
export function formatMapsState(maps: Iterable<BpfMap>): string {
  const sorted = [...maps].sort((a, b) => (a.def.name < b.def.name ? -1 : a.def.name > b.def.name ? 1 : 0));
  if (sorted.length === 0) return "{}\n";
  return `{\n${sorted.map((m) => `  ${JSON.stringify(m.def.name)}: ${formatMapJson(m, 1)}`).join(",\n")}\n}\n`;
}

/** Parses a --maps-in file and loads each named map; maps the file does not name are left as they are. */
export function loadMapsState(maps: readonly BpfMap[], text: string, file: string): void {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail("map-format", jsonErrorLocation(text, file, e), [`invalid JSON: ${jsonErrorReason(e)}`]);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail("map-format", { file }, ['expected an object {"mapname": [entries...]}']);
  const byName = new Map(maps.map((m) => [m.def.name, m]));
  for (const [name, entries] of Object.entries(json as Record<string, unknown>)) {
    const map = byName.get(name);
    if (!map) fail("map-format", { file }, [`no map named '${name}' (maps: ${[...byName.keys()].sort().join(", ") || "none"})`]);
    loadMapState(map!, entries, file);
  }
}

/**
 * Writes bpftool-format entries into a map (normally a fresh one) with BPF_ANY on arrays
 * and BPF_NOEXIST elsewhere, so a key given twice is an error rather than a silent
 * overwrite. Errors name the file, the map and the entry index.
 */
export function loadMapState(map: BpfMap, entries: unknown, file: string): void {
  const where = `map '${map.def.name}'`;
  const err = (msg: string): never => fail("map-format", { file }, [`${where}: ${msg}`]);
  if (!Array.isArray(entries)) err("expected an array of entries");
  const list = entries as unknown[];
  const arrayLike = ["array", "percpu_array", "prog_array", "devmap"].includes(map.def.kind);
  // Hash-like maps would otherwise fail half-way (or an LRU map silently evict).
  if (!arrayLike && list.length > map.def.maxEntries) err(`${list.length} entries, but max entries is ${map.def.maxEntries}`);
  const seenIndex = new Set<string>();
  list.forEach((raw, i) => {
    const e = parseEntry(map, raw, (msg) => err(`entry ${i}: ${msg}`));
    if (arrayLike) {
      if (seenIndex.has(keyId(e.key))) err(`entry ${i}: duplicate index ${u32le(e.key)}`);
      seenIndex.add(keyId(e.key));
    }
    const ret = writeEntry(map, e, arrayLike ? UPDATE_FLAGS.ANY : UPDATE_FLAGS.NOEXIST);
    if (ret === -ERRNO.EEXIST) err(`entry ${i}: duplicate key (an earlier entry has it)`);
    if (ret === -ERRNO.E2BIG && arrayLike) err(`entry ${i}: index ${u32le(e.key)} is past max entries ${map.def.maxEntries}`);
    if (ret !== 0) err(`entry ${i}: update failed: ${describeErrno(ret)}`);
  });
}

const ENTRY_FIELDS = new Set(["key", "value", "values", "mask", "priority", "formatted"]);

function parseEntry(map: BpfMap, raw: unknown, err: (msg: string) => never): MapEntry {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) err('expected an object {"key": [...], "value": [...]}');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!ENTRY_FIELDS.has(k)) err(`unknown field "${k}"`);
  const bytes = (field: string, v: unknown, size: number): Uint8Array => {
    if (!Array.isArray(v)) err(`"${field}" must be an array of bytes like "0x0a"`);
    const arr = v as unknown[];
    if (arr.length !== size) err(`"${field}" has ${arr.length} bytes, the map's ${field === "value" ? "values" : "keys"} are ${size}`);
    return Uint8Array.from(arr, (b, j) => {
      if (typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 255) return b;
      if (typeof b === "string" && /^0x[0-9a-f]{1,2}$/i.test(b)) return parseInt(b.slice(2), 16);
      return err(`"${field}"[${j}] is ${JSON.stringify(b)}, not a byte like "0x0a"`);
    });
  };
  if (o["key"] === undefined) err('missing "key"');
  const key = bytes("key", o["key"], map.def.keySize);
  let valueJson = o["value"];
  if (o["values"] !== undefined) {
    if (!map.def.kind.startsWith("percpu_")) err(`"values" (per-CPU values) on a ${map.def.kind} map`);
    if (valueJson !== undefined) err('both "value" and "values"');
    if (!Array.isArray(o["values"])) err('"values" must be an array of {"cpu": N, "value": [...]}');
    // One CPU is modelled: its value is CPU 0's.
    const cpu0 = (o["values"] as unknown[]).find((c) => typeof c === "object" && c !== null && (c as Record<string, unknown>)["cpu"] === 0);
    if (cpu0 === undefined) err('"values" has no entry for cpu 0');
    valueJson = (cpu0 as Record<string, unknown>)["value"];
  }
  if (valueJson === undefined) err('missing "value"');
  const entry: MapEntry = { key, value: bytes("value", valueJson, map.def.valueSize) };
  if (isTcam(map)) {
    if (o["mask"] === undefined || o["priority"] === undefined) err('a tcam entry needs "mask" and "priority"');
    entry.mask = bytes("mask", o["mask"], map.def.keySize);
    const p = o["priority"];
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 0xffffffff) err(`"priority" must be an integer 0..4294967295`);
    entry.priority = p as number;
  } else if (o["mask"] !== undefined || o["priority"] !== undefined) {
    err(`"mask" and "priority" are for tcam maps, this is a ${map.def.kind} map`);
  }
  return entry;
}
