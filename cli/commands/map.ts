// `bpfoff map create|update|lookup|delete|dump`: the map API on runtime map images, in
// the spirit of `bpftool map`. An image is read whole, changed in memory with the same
// map semantics a program sees, and written back atomically, so a failed command leaves
// the old image untouched. lookup and dump never write, so an LRU image's recency order
// changes only through update (as the kernel's syscall lookup leaves LRU state alone).
import { parseHexBytes } from "../hex.js";
import { existsSync, readFileSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import type { Command } from "commander";
import { fail } from "../../ir/diag/diag.js";
import { ERRNO, MAP_KINDS, UPDATE_FLAGS, type MapDef, type MapKind } from "../../runtime/maps/def.js";
import { BPF_F_NO_PREALLOC, createMap, describeErrno, hexBytes, isTcam, type BpfMap } from "../../runtime/maps/index.js";
import { decodeMapImage, encodeMapImage } from "../../runtime/maps/image.js";
import { formatMapJson } from "../../runtime/maps/state.js";
import { writeFileAtomic, type CliContext } from "../io.js";
import type { RegisterCommand } from "./index.js";
import { AsicTableMap, isAsicTableImage, readAsicTable, writeAsicTable } from "./map-asic.js";

const FLAG_NAMES: Readonly<Record<string, number>> = { any: UPDATE_FLAGS.ANY, noexist: UPDATE_FLAGS.NOEXIST, exist: UPDATE_FLAGS.EXIST };

/**
 * What a failed call means for the user, where the bare errno would puzzle: rows are
 * (operation, kind or "*", errno) -> explanation. Everything else prints the errno.
 */
const OP_HINTS: readonly { op: "update" | "delete"; kind: MapKind | "*"; errno: number; hint: string }[] = [
  { op: "update", kind: "array", errno: ERRNO.EEXIST, hint: "array entries always exist, so --flags noexist always fails" },
  { op: "update", kind: "percpu_array", errno: ERRNO.EEXIST, hint: "array entries always exist, so --flags noexist always fails" },
  { op: "update", kind: "*", errno: ERRNO.EEXIST, hint: "the key already exists (--flags noexist)" },
  { op: "update", kind: "*", errno: ERRNO.ENOENT, hint: "the key does not exist (--flags exist)" },
  { op: "update", kind: "*", errno: ERRNO.E2BIG, hint: "the map is full, or the index is past max entries" },
  { op: "update", kind: "*", errno: ERRNO.ENOSPC, hint: "the map is full" },
  { op: "update", kind: "prog_array", errno: ERRNO.EINVAL, hint: "a prog_array takes only --flags any" },
  { op: "update", kind: "lpm_trie", errno: ERRNO.EINVAL, hint: "the prefix length is longer than the key's data" },
  { op: "delete", kind: "array", errno: ERRNO.EINVAL, hint: "array entries are preallocated and cannot be deleted (write zeros instead)" },
  { op: "delete", kind: "percpu_array", errno: ERRNO.EINVAL, hint: "array entries are preallocated and cannot be deleted (write zeros instead)" },
  { op: "delete", kind: "*", errno: ERRNO.ENOENT, hint: "key not found" },
  { op: "delete", kind: "lpm_trie", errno: ERRNO.EINVAL, hint: "the prefix length is longer than the key's data" },
];

function opError(file: string, map: BpfMap, op: "update" | "delete", ret: number): never {
  const hint = OP_HINTS.find((h) => h.op === op && (h.kind === map.def.kind || h.kind === "*") && h.errno === -ret)?.hint;
  return fail("map-op", { file }, [`map '${map.def.name}': ${op} failed: ${describeErrno(ret)}${hint ? `: ${hint}` : ""}`]);
}

function parseU32(text: string, option: string): number {
  const n = /^(0x[0-9a-f]+|[0-9]+)$/i.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) fail("cli-usage", {}, [`${option} must be an integer 0..4294967295 (it is '${text}')`]);
  return n;
}

function parseFlags(text: string | undefined): number {
  if (text === undefined) return UPDATE_FLAGS.ANY;
  const f = FLAG_NAMES[text.toLowerCase()];
  if (f === undefined) fail("cli-usage", {}, [`--flags must be any, noexist or exist (it is '${text}')`]);
  return f!;
}

function readImage(ctx: CliContext, file: string): BpfMap {
  if (isAsicTableImage(ctx, file)) return readAsicTable(ctx, file);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(resolve(ctx.io.cwd, file));
  } catch (e) {
    return fail("io-read", { file }, [file, (e as NodeJS.ErrnoException).code ?? String(e)]);
  }
  return decodeMapImage(bytes, file);
}

function writeImage(ctx: CliContext, file: string, map: BpfMap): void {
  if (map instanceof AsicTableMap) return writeAsicTable(ctx, file, map);
  writeFileAtomic(resolve(ctx.io.cwd, file), encodeMapImage(map, { file }));
}

function sizedBytes(text: string, option: string, size: number, what: string, map: BpfMap): Uint8Array {
  const b = parseHexBytes(text, option);
  if (b.length !== size) fail("cli-usage", {}, [`${option} has ${b.length} byte${b.length === 1 ? "" : "s"}, but map '${map.def.name}' has ${size}-byte ${what}`]);
  return b;
}

/** TCAM operations need --mask and --priority; other kinds must not have them. */
function tcamArgs(map: BpfMap, opts: { mask?: string; priority?: string }): { mask: Uint8Array; priority: number } | undefined {
  if (!isTcam(map)) {
    if (opts.mask !== undefined || opts.priority !== undefined) fail("cli-usage", {}, [`--mask and --priority are for tcam maps; map '${map.def.name}' is a ${map.def.kind} map`]);
    return undefined;
  }
  if (opts.mask === undefined || opts.priority === undefined) fail("cli-usage", {}, [`map '${map.def.name}' is a tcam: give --mask and --priority`]);
  return { mask: sizedBytes(opts.mask!, "--mask", map.def.keySize, "keys", map), priority: parseU32(opts.priority!, "--priority") };
}

/** A short map name from the image's file name: BPF_OBJ_NAME_LEN allows 15 characters. */
function defaultName(file: string): string {
  return basename(file, extname(file)).replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 15);
}

/** One entry as bpftool prints it. */
function entryLine(e: { key: Uint8Array; value: Uint8Array; mask?: Uint8Array; priority?: number }): string {
  const tcam = e.mask ? `  mask: ${hexBytes(e.mask)}  priority: ${e.priority}` : "";
  return `key: ${hexBytes(e.key)}${tcam}  value: ${hexBytes(e.value)}\n`;
}

export const registerMap: RegisterCommand = (program: Command, ctx: CliContext) => {
  const map = program.command("map").description("create, change and inspect runtime map images (like bpftool map)");
  const kinds = MAP_KINDS.map((k) => k.kind).join(", ");

  map
    .command("create <image>")
    .description("write an empty map image")
    .requiredOption("--type <kind>", `map kind: ${kinds}`)
    .requiredOption("--key-size <bytes>", "key size in bytes")
    .requiredOption("--value-size <bytes>", "value size in bytes")
    .requiredOption("--max-entries <n>", "maximum number of entries")
    .option("--flags <n>", "BPF_F_* map flags (default: BPF_F_NO_PREALLOC for lpm_trie, else 0)")
    .option("--name <name>", "map name (default: from the image file name)")
    .option("--force", "overwrite an existing file")
    .action((image: string, o: { type: string; keySize: string; valueSize: string; maxEntries: string; flags?: string; name?: string; force?: boolean }) => {
      const kind = MAP_KINDS.find((k) => k.kind === o.type)?.kind;
      if (!kind) fail("cli-usage", {}, [`--type must be one of ${kinds} (it is '${o.type}')`]);
      if (!o.force && existsSync(resolve(ctx.io.cwd, image))) fail("io-write", { file: image }, [image, "file exists (use --force to overwrite)"]);
      const def: MapDef = {
        name: o.name ?? defaultName(image),
        kind: kind!,
        keySize: parseU32(o.keySize, "--key-size"),
        valueSize: parseU32(o.valueSize, "--value-size"),
        maxEntries: parseU32(o.maxEntries, "--max-entries"),
        flags: o.flags !== undefined ? parseU32(o.flags, "--flags") : kind === "lpm_trie" ? BPF_F_NO_PREALLOC : 0,
      };
      writeImage(ctx, image, createMap(def, undefined, { file: image }));
    });

  map
    .command("update <image>")
    .description("add or change an entry")
    .requiredOption("--key <hex>", "key bytes (for tcam: the match value)")
    .requiredOption("--value <hex>", "value bytes")
    .option("--flags <flags>", "any, noexist or exist", "any")
    .option("--mask <hex>", "tcam: care bits of the key")
    .option("--priority <n>", "tcam: entry priority, higher wins")
    .action((image: string, o: { key: string; value: string; flags: string; mask?: string; priority?: string }) => {
      const m = readImage(ctx, image);
      const flags = parseFlags(o.flags);
      const key = sizedBytes(o.key, "--key", m.def.keySize, "keys", m);
      const value = sizedBytes(o.value, "--value", m.def.valueSize, "values", m);
      const t = tcamArgs(m, o);
      const ret = t && isTcam(m) ? m.insert(key, t.mask, t.priority, value, flags) : m.update(key, value, flags);
      if (ret !== 0) opError(image, m, "update", ret);
      writeImage(ctx, image, m);
    });

  map
    .command("lookup <image>")
    .description("print the value for a key (for tcam: the highest-priority matching entry)")
    .requiredOption("--key <hex>", "key bytes")
    .action((image: string, o: { key: string }) => {
      const m = readImage(ctx, image);
      const key = sizedBytes(o.key, "--key", m.def.keySize, "keys", m);
      const value = m.lookup(key);
      if (!value) fail("map-op", { file: image }, [`map '${m.def.name}', key ${hexBytes(key)}: key not found`]);
      ctx.io.stdout(entryLine({ key, value: value! }));
    });

  map
    .command("delete <image>")
    .description("remove an entry")
    .requiredOption("--key <hex>", "key bytes (for tcam: the entry's value)")
    .option("--mask <hex>", "tcam: the entry's mask")
    .option("--priority <n>", "tcam: the entry's priority")
    .action((image: string, o: { key: string; mask?: string; priority?: string }) => {
      const m = readImage(ctx, image);
      const key = sizedBytes(o.key, "--key", m.def.keySize, "keys", m);
      const t = tcamArgs(m, o);
      const ret = t && isTcam(m) ? m.remove(key, t.mask, t.priority) : m.delete(key);
      if (ret !== 0) opError(image, m, "delete", ret);
      writeImage(ctx, image, m);
    });

  map
    .command("dump <image>")
    .description("print every entry")
    .option("--json", "bpftool's JSON form")
    .action((image: string, o: { json?: boolean }) => {
      const m = readImage(ctx, image);
      if (o.json) {
        ctx.io.stdout(`${formatMapJson(m)}\n`);
        return;
      }
      const lines = Array.from(m.entries(), entryLine);
      ctx.io.stdout(`${lines.join("")}Found ${lines.length} element${lines.length === 1 ? "" : "s"}\n`);
    });
};
