// The map API (`bpfoff map update|delete|lookup|dump`) on an asic bundle's table images
// (DIR/tables/<map>.json): the image is read with its definition from DIR/asic/memories.json,
// changed as the chip's memory would be (an exact entry goes into the first free hash way
// of its buckets and stays there; a TCAM row is inserted in priority order; LPM prefixes are
// rows with the prefix length as priority), validated against its schema and written back.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fail } from "../../ir/diag/diag.js";
import { ERRNO, UPDATE_FLAGS, type MapDef, type MapKind } from "../../runtime/maps/def.js";
import type { MapEntry, TcamMap } from "../../runtime/maps/map.js";
import { Memory, type ImageKind } from "../../backends/asic/images.js";
import { schemaProblems } from "../../backends/asic/files.js";
import type { TableImage } from "../../backends/asic/config.js";
import { writeFileAtomic, type CliContext } from "../io.js";

/** DIR/tables/X.json of a bundle with DIR/asic/memories.json. */
export function isAsicTableImage(ctx: CliContext, file: string): boolean {
  const abs = resolve(ctx.io.cwd, file);
  return file.endsWith(".json") && basename(dirname(abs)) === "tables" && existsSync(join(dirname(dirname(abs)), "asic/memories.json"));
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A table image as a map: the runtime map API's semantics over the chip's layout. */
export class AsicTableMap implements TcamMap {
  constructor(
    readonly def: MapDef,
    readonly memory: Memory,
  ) {}

  get size(): number {
    return this.memory.entries().length;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    if (this.memory.kind === "register") return this.memory.registers[key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)];
    return this.memory.lookup(key)?.data;
  }

  private exists(key: Uint8Array): boolean {
    if (this.memory.kind === "register") return this.lookup(key) !== undefined;
    return this.memory.entries().some((e) => hex(e.key) === hex(key));
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    const has = this.exists(key);
    if (flags === UPDATE_FLAGS.NOEXIST && has) return -ERRNO.EEXIST;
    if (flags === UPDATE_FLAGS.EXIST && !has) return -ERRNO.ENOENT;
    return this.memory.insert({ key, value }) ? 0 : -ERRNO.E2BIG;
  }

  delete(key: Uint8Array): number {
    if (this.memory.kind === "register") return -ERRNO.EINVAL;
    return this.memory.remove({ key, value: new Uint8Array(0) }) ? 0 : -ERRNO.ENOENT;
  }

  insert(value: Uint8Array, mask: Uint8Array, priority: number, data: Uint8Array, flags: number = UPDATE_FLAGS.ANY): number {
    const same = this.memory.rows.some((r) => hex(r.value) === hex(Uint8Array.from(value, (b, i) => b & mask[i]!)) && hex(r.mask) === hex(mask) && r.priority === priority);
    if (flags === UPDATE_FLAGS.NOEXIST && same) return -ERRNO.EEXIST;
    if (flags === UPDATE_FLAGS.EXIST && !same) return -ERRNO.ENOENT;
    return this.memory.insert({ key: value, mask, priority, value: data }) ? 0 : -ERRNO.E2BIG;
  }

  remove(value: Uint8Array, mask: Uint8Array, priority: number): number {
    return this.memory.remove({ key: value, mask, priority, value: new Uint8Array(0) }) ? 0 : -ERRNO.ENOENT;
  }

  entries(): Iterable<MapEntry> {
    return this.memory.entries();
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const keys = this.memory.entries().map((e) => e.key);
    if (key === undefined) return keys[0];
    const i = keys.findIndex((k) => hex(k) === hex(key));
    return i < 0 ? keys[0] : keys[i + 1];
  }
}

export function readAsicTable(ctx: CliContext, file: string): AsicTableMap {
  const abs = resolve(ctx.io.cwd, file);
  const list = JSON.parse(readFileSync(join(dirname(dirname(abs)), "asic/memories.json"), "utf8")) as { name: string; map_kind: MapKind; key_size: number; value_size: number; max_entries: number; flags: number; image_kind: ImageKind; image: string }[];
  const m = list.find((x) => x.image === `tables/${basename(abs)}`);
  if (!m) return fail("io-format", { file }, [`${file}: not a table of its bundle's asic/memories.json`]);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(abs, "utf8"));
  } catch (e) {
    return fail("io-format", { file }, [`${file}: ${(e as Error).message}`]);
  }
  const problems = schemaProblems("image", json);
  if (problems.length) fail("io-format", { file }, [`${file} does not match image.schema.json: ${problems.slice(0, 3).join("; ")}`]);
  const def: MapDef = { name: m.name, kind: m.map_kind, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries, flags: m.flags };
  return new AsicTableMap(def, Memory.fromImage(def, json as TableImage));
}

export function writeAsicTable(ctx: CliContext, file: string, map: AsicTableMap): void {
  const json = map.memory.toJSON();
  const problems = schemaProblems("image", json);
  if (problems.length) throw new Error(`bug: ${file} would not match image.schema.json: ${problems.join("; ")}`);
  writeFileAtomic(resolve(ctx.io.cwd, file), `${JSON.stringify(json, null, 1)}\n`);
}
