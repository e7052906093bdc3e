// The control plane for P4 tables: entries (P4Runtime-style: table, match fields, action,
// parameters, priority) turned into map entries in the layouts of tables.ts, written
// with runtime/maps' writeEntry (so a TCAM gets value/mask/priority). The same path serves
// `--entries FILE` (JSON) and STF `add` lines.
import { fail, type Location } from "../../ir/diag/diag.js";
import { jsonErrorLocation, jsonErrorReason } from "../../ir/diag/json.js";
import type { MapEntry } from "../../runtime/maps/map.js";
import { keyLayout, valueLayout, type TableInfo } from "./tables.js";

/** One key field's match: a value, with a mask (ternary) or a prefix length (lpm), or a range value..high (range). */
export interface FieldMatch {
  readonly value: bigint;
  readonly mask?: bigint;
  readonly prefixLen?: number;
  /** A range key's upper bound (inclusive); `value` is the lower. */
  readonly high?: bigint;
}

export interface TableEntry {
  readonly table: string;
  /** By key name: the key expression's text, `field<N>`/`key.field<N>` (p4c's eBPF naming) or its last component. */
  readonly match: ReadonlyMap<string, FieldMatch>;
  readonly action: string;
  /** By position or by name. */
  readonly params: readonly bigint[] | ReadonlyMap<string, bigint>;
  readonly priority?: number;
  /** P4Runtime's is_default_action: the entry sets the table's default action (no match). */
  readonly isDefault?: boolean;
}

const maskOf = (w: number) => (1n << BigInt(w)) - 1n;

/** A table by its map name (`<control>_<table>`), `<control>.<table>`, or its bare name when unique. */
export function findTable(tables: readonly TableInfo[], name: string, loc: Location): TableInfo {
  const t = tables.find((x) => x.mapName === name || `${x.control}.${x.table}` === name) ?? (tables.filter((x) => x.table === name).length === 1 ? tables.find((x) => x.table === name) : undefined);
  if (!t) return fail("p4-entries", loc, [`no table '${name}' (tables with map-backed entries: ${tables.map((x) => x.mapName).join(", ") || "none"})`]);
  return t;
}

function keyIndex(t: TableInfo, name: string, loc: Location): number {
  const m = /^(?:key\.)?field(\d+)$/.exec(name);
  if (m && Number(m[1]) < t.keys.length) return Number(m[1]);
  let i = t.keys.findIndex((k) => k.name === name);
  if (i < 0) i = t.keys.findIndex((k) => k.name.split(".").pop() === name.split(".").pop());
  if (i < 0) fail("p4-entries", loc, [`table ${t.mapName} has no key '${name}' (keys: ${t.keys.map((k, j) => `${k.name} = field${j}`).join(", ")})`]);
  return i;
}

/**
 * The minimal prefix cover of [low, high] on W bits: the fewest value/mask pairs whose
 * matches together are exactly the range (at most 2W - 2), low to high. How a TCAM holds a
 * range key (P4Runtime leaves the expansion to the target).
 */
export function rangeToTernary(low: bigint, high: bigint, width: number): { value: bigint; mask: bigint }[] {
  const out: { value: bigint; mask: bigint }[] = [];
  for (let lo = low; lo <= high; ) {
    // The largest aligned block starting at lo that stays within high.
    let size = 1n;
    while ((lo & (size * 2n - 1n)) === 0n && lo + size * 2n - 1n <= high && size * 2n <= 1n << BigInt(width)) size *= 2n;
    out.push({ value: lo, mask: maskOf(width) ^ (size - 1n) });
    lo += size;
  }
  return out;
}

/** A range match as the ternary matches that cover it; other matches as they are. */
function expandRange(k: TableInfo["keys"][number], m: FieldMatch | undefined, t: TableInfo, loc: Location): (FieldMatch | undefined)[] {
  if (k.kind !== "range") {
    if (m?.high !== undefined) fail("p4-entries", loc, [`key ${k.name} of ${t.mapName} is a${/^[aeiou]/.test(k.kind) ? "n" : ""} ${k.kind} match: it takes no range`]);
    return [m];
  }
  if (!m) return [undefined];
  if (m.mask !== undefined || m.prefixLen !== undefined) fail("p4-entries", loc, [`key ${k.name} of ${t.mapName} is a range match: give low..high (or one value), not a mask or prefix`]);
  const high = m.high ?? m.value;
  if (high > maskOf(k.width)) fail("p4-entries", loc, [`value 0x${high.toString(16)} does not fit key ${k.name} (bit<${k.width}>)`]);
  if (high < m.value) fail("p4-entries", loc, [`range ${m.value}..${high} of key ${k.name} is empty (low > high)`]);
  return rangeToTernary(m.value, high, k.width);
}

/**
 * The map entries for one table entry, in the table's map layout: one, or for range keys
 * the cross product of their prefix covers, all with the entry's priority.
 */
export function encodeEntry(tables: readonly TableInfo[], e: TableEntry, loc: Location = {}): { table: TableInfo; entries: MapEntry[] } {
  const { table, keys } = encodeMatch(tables, e, loc);
  const value = encodeValue(table, e, loc);
  return { table, entries: keys.map((k) => ({ ...k, value })) };
}

/** The keys (with masks and priority for a tcam) an entry's match makes: what `remove` deletes. */
export function encodeMatch(tables: readonly TableInfo[], e: Pick<TableEntry, "table" | "match" | "priority">, loc: Location = {}): { table: TableInfo; keys: Omit<MapEntry, "value">[] } {
  const t = findTable(tables, e.table, loc);
  const matches: (FieldMatch | undefined)[] = t.keys.map(() => undefined);
  for (const [name, m] of e.match) matches[keyIndex(t, name, loc)] = m;
  let rows: (FieldMatch | undefined)[][] = [[]];
  t.keys.forEach((k, i) => {
    const alternatives = expandRange(k, matches[i], t, loc);
    rows = rows.flatMap((r) => alternatives.map((a) => [...r, a]));
  });
  return { table: t, keys: rows.map((r) => encodeKey(t, r, e.priority, loc)) };
}

/**
 * The default-action map's one element for `setdefault` (tables.ts, defaultMap): the
 * action's index + 1 (0 means the declared default), then its data.
 */
export function encodeDefault(tables: readonly TableInfo[], e: Pick<TableEntry, "table" | "action" | "params">, loc: Location = {}): { table: TableInfo; map: string; entry: MapEntry } {
  const t = findTable(tables, e.table, loc);
  if (!t.defaultMap) return fail("p4-entries", loc, [`the default action of ${t.mapName} is const: the control plane cannot change it (§14.2.1.3)`]);
  const value = encodeValue(t, e, loc);
  const view = new DataView(value.buffer);
  view.setUint32(0, view.getUint32(0, true) + 1, true);
  return { table: t, map: t.defaultMap, entry: { key: new Uint8Array(4), value } };
}

function encodeKey(t: TableInfo, matches: readonly (FieldMatch | undefined)[], priority: number | undefined, loc: Location): Omit<MapEntry, "value"> {
  const kl = keyLayout(t);
  const key = new Uint8Array(kl.size);
  const mask = new Uint8Array(kl.size);
  let prefixlen = 0;
  t.keys.forEach((k, i) => {
    const m = matches[i];
    if (!m && k.kind === "exact") fail("p4-entries", loc, [`entry for ${t.mapName} has no value for exact key ${k.name}`]);
    const value = (m?.value ?? 0n) & maskOf(k.width);
    if (m && m.value > maskOf(k.width)) fail("p4-entries", loc, [`value 0x${m.value.toString(16)} does not fit key ${k.name} (bit<${k.width}>)`]);
    let care = maskOf(k.width);
    if (!m) care = 0n;
    else if (m.mask !== undefined) care = m.mask & maskOf(k.width);
    else if (m.prefixLen !== undefined) {
      if (m.prefixLen > k.width) fail("p4-entries", loc, [`prefix length ${m.prefixLen} is longer than key ${k.name} (${k.width} bits)`]);
      care = maskOf(k.width) ^ maskOf(k.width - m.prefixLen);
    }
    if (k.kind === "lpm") prefixlen += m?.prefixLen ?? (m?.mask !== undefined ? popcount(m.mask) : k.width);
    else if (t.mapKind === "lpm_trie") prefixlen += kl.fields[i]!.bytes * 8;
    if (k.kind === "exact" && care !== maskOf(k.width)) fail("p4-entries", loc, [`key ${k.name} is an exact match: it takes no mask or prefix`]);
    const fl = kl.fields[i]!;
    if (fl.order === "le") {
      for (let b = 0; b < fl.bytes; b++) key[fl.offset + b] = Number((value >> BigInt(8 * b)) & 0xffn);
    } else {
      const shift = BigInt(fl.bytes * 8 - fl.width);
      for (let b = 0; b < fl.bytes; b++) {
        const sh = BigInt((fl.bytes - 1 - b) * 8);
        key[fl.offset + b] = Number(((value << shift) >> sh) & 0xffn);
        mask[fl.offset + b] = Number(((care << shift) >> sh) & 0xffn);
      }
    }
  });
  if (t.mapKind === "lpm_trie") new DataView(key.buffer).setUint32(0, prefixlen, true);
  return t.mapKind === "tcam" ? { key, mask, priority: priority ?? 0 } : { key };
}

/** The entry's value: the action's index in the table's list, then its data. */
export function encodeValue(t: TableInfo, e: Pick<TableEntry, "action" | "params">, loc: Location): Uint8Array {
  if (t.valueSet) {
    if (e.action) fail("p4-entries", loc, [`${t.mapName} is a value set: its entries are members, with no action`]);
    return new Uint8Array(4);
  }
  if (!e.action) fail("p4-entries", loc, [`an entry of table ${t.mapName} needs an action (actions: ${t.actions.map((a) => a.name).join(", ")})`]);
  const ai = t.actions.findIndex((a) => a.name === e.action || a.name === e.action.split(".").pop());
  if (ai < 0) fail("p4-entries", loc, [`table ${t.mapName} has no action '${e.action}' (actions: ${t.actions.map((a) => a.name).join(", ")})`]);
  const action = t.actions[ai]!;
  const vl = valueLayout(t);
  const value = new Uint8Array(vl.size);
  new DataView(value.buffer).setUint32(0, ai, true);
  const params = e.params instanceof Map ? action.params.map((p) => (e.params as ReadonlyMap<string, bigint>).get(p.name)) : [...(e.params as readonly bigint[])];
  if (params.length !== action.params.length || params.some((p) => p === undefined)) fail("p4-entries", loc, [`action ${action.name} takes ${action.params.length} parameters (${action.params.map((p) => p.name).join(", ")}), the entry gives ${params.filter((p) => p !== undefined).length}`]);
  action.params.forEach((p, j) => {
    const v = params[j]! & maskOf(p.width);
    const at = vl.actions[ai]!.params[j]!;
    for (let b = 0; b < at.bytes; b++) value[at.offset + b] = Number((v >> BigInt(8 * b)) & 0xffn);
  });
  return value;
}

function popcount(x: bigint): number {
  let n = 0;
  for (let v = x; v > 0n; v >>= 1n) n += Number(v & 1n);
  return n;
}

/** A number in P4Runtime/STF spelling: decimal, 0x hex, 0b binary, a MAC (aa:bb:..), an IPv4 address (a.b.c.d). */
export function parseNumber(text: string, loc: Location): bigint {
  const t = text.replace(/_/g, "");
  try {
    if (/^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/.test(t)) return BigInt("0x" + t.split(":").map((x) => x.padStart(2, "0")).join(""));
    if (/^\d+\.\d+\.\d+\.\d+$/.test(t)) return t.split(".").reduce((a, x) => (a << 8n) | BigInt(Number(x) & 0xff), 0n);
    if (/^(0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)$/.test(t)) return BigInt(t);
  } catch {
    // falls through to the error
  }
  return fail("p4-entries", loc, [`'${text}' is not a number (decimal, 0x hex, 0b binary, MAC or IPv4 address)`]);
}

/**
 * `value`, `value/prefix`, `value&&&mask`, `low..high`, or a hex/binary value with `*`
 * don't-care digits (p4c's STF ternary constants, `0x0a**` or `0b1*0`): the mask covers
 * the digits written, each star clear.
 */
export function parseFieldMatch(text: string, loc: Location): FieldMatch {
  const range = text.split("..");
  if (range.length === 2) return { value: parseNumber(range[0]!, loc), high: parseNumber(range[1]!, loc) };
  const tern = /^0([xXbB])([0-9a-fA-F*_]+)$/.exec(text);
  if (tern && tern[2]!.includes("*")) {
    const bits = /[xX]/.test(tern[1]!) ? 4 : 1;
    const digits = tern[2]!.replace(/_/g, "");
    if (bits === 1 && /[^01*]/.test(digits)) fail("p4-entries", loc, [`'${text}' is not a binary value`]);
    let value = 0n;
    let mask = 0n;
    for (const d of digits) {
      value = (value << BigInt(bits)) | (d === "*" ? 0n : BigInt(parseInt(d, 16)));
      mask = (mask << BigInt(bits)) | (d === "*" ? 0n : BigInt((1 << bits) - 1));
    }
    return { value, mask };
  }
  const masked = text.split("&&&");
  if (masked.length === 2) return { value: parseNumber(masked[0]!, loc), mask: parseNumber(masked[1]!, loc) };
  const slash = text.lastIndexOf("/");
  if (slash > 0) return { value: parseNumber(text.slice(0, slash), loc), prefixLen: Number(parseNumber(text.slice(slash + 1), loc)) };
  return { value: parseNumber(text, loc) };
}

/**
 * The JSON entries file: {"entries": [{"table", "match": {key: "v" | "v/len" | "v&&&m" |
 * "lo..hi" | {"value", "mask"?, "prefix_len"?} | {"range": {"low", "high"}}}, "action",
 * "params": {name: v} | [v...], "priority"?, "is_default_action"?}]}; an entry with
 * "is_default_action": true and no match sets the table's default action.
 */
export function parseEntriesJson(text: string, file: string): TableEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail("p4-entries", jsonErrorLocation(text, file, e), [`${file} is not JSON: ${jsonErrorReason(e)}`]);
  }
  const list = Array.isArray(doc) ? doc : (doc as { entries?: unknown })?.entries;
  if (!Array.isArray(list)) return fail("p4-entries", { file }, [`${file}: expected {"entries": [...]}`]);
  const num = (v: unknown, where: string): bigint => (typeof v === "number" ? BigInt(v) : typeof v === "string" ? parseNumber(v, { file }) : fail("p4-entries", { file }, [`${where}: expected a number or a string`]));
  return list.map((x: Record<string, unknown>, i: number) => {
    const where = `${file}: entry ${i + 1}`;
    if (typeof x?.["table"] !== "string" || (x["action"] !== undefined && typeof x["action"] !== "string")) fail("p4-entries", { file }, [`${where}: needs "table" and "action" (a value set's members take no action)`]);
    const match = new Map<string, FieldMatch>();
    for (const [k, v] of Object.entries((x["match"] ?? {}) as Record<string, unknown>)) {
      if (typeof v === "string") match.set(k, parseFieldMatch(v, { file }));
      else if (typeof v === "number") match.set(k, { value: BigInt(v) });
      else {
        const o = v as Record<string, unknown>;
        // P4Runtime's FieldMatch.Range {low, high}, nested under "range" or given flat.
        const r = (typeof o["range"] === "object" && o["range"] !== null ? o["range"] : o) as Record<string, unknown>;
        if (r["low"] !== undefined || r["high"] !== undefined) match.set(k, { value: num(r["low"], where), high: num(r["high"], where) });
        else match.set(k, { value: num(o["value"], where), mask: o["mask"] === undefined ? undefined : num(o["mask"], where), prefixLen: o["prefix_len"] === undefined ? undefined : Number(o["prefix_len"]) });
      }
    }
    const p = x["params"] ?? [];
    const params = Array.isArray(p) ? p.map((v) => num(v, where)) : new Map(Object.entries(p as Record<string, unknown>).map(([k, v]) => [k, num(v, where)]));
    const isDefault = x["is_default_action"] === true;
    if (isDefault && match.size) fail("p4-entries", { file }, [`${where}: a default action (is_default_action) takes no match`]);
    return { table: x["table"] as string, match, action: (x["action"] as string | undefined) ?? "", params, priority: typeof x["priority"] === "number" ? x["priority"] : undefined, ...(isDefault ? { isDefault } : {}) };
  });
}
