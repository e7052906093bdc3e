// A build's bundle: manifest.json, the backend's files and maps/ (one runtime map image
// per map, maps/<name>.img, and maps/maps.json with the initial state in the --maps-in
// format). Assembled in memory (assembleBundle), then written all at once: into a
// temporary folder beside the target, renamed into place, so that a bundle on disk is
// always a whole one (writeBundle). compareBundle diffs a bundle on disk against a build
// for `bpfoff build --check`.
//
// Determinism: file contents depend only on the input bytes and the options; files are
// listed by path in code-unit order; the manifest is canonical JSON (manifest.ts).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fail } from "../../ir/diag/diag.js";
import { linuxTypeOf } from "../../runtime/maps/def.js";
import { encodeMapImage } from "../../runtime/maps/image.js";
import { mapStateToJson, type JsonMapEntry } from "../../runtime/maps/state.js";
import { describeErrno, type BpfMap, type MapEntry } from "../../runtime/maps/map.js";
import { writeEntry } from "../../runtime/maps/index.js";
import { instantiateMaps } from "../../runtime/interp/run.js";
import { XDP_MD } from "../../runtime/interp/xdp.js";
import type { Backend, CompileInput, CompileOutput } from "./backend.js";
import { canonicalJson, checkManifest, sha256Hex } from "./manifest.js";
import { MANIFEST_FORMAT_VERSION } from "./manifest-schema.js";
import { BPFOFF_VERSION } from "./version.js";

export const MANIFEST_FILE = "manifest.json";
export const MAPS_DIR = "maps";
export const MAPS_STATE_FILE = `${MAPS_DIR}/maps.json`;

/** One file of a bundle: its path relative to the bundle root ("/"-separated) and bytes. */
export type BundleFile = readonly [path: string, data: Uint8Array];

/** What r1 and r2 hold when a raw program starts (runtime/interp: bpfoff run --mem). */
const RAW_REGISTERS = { r1: "pointer to a copy of the input memory", r2: "length of the input memory in bytes" } as const;

/** The context a program of each type receives, as manifest.json describes it. */
function contextLayout(type: CompileInput["programType"]): Record<string, unknown> {
  if (type === "raw") return { type: "raw", registers: RAW_REGISTERS };
  // struct xdp_md (include/uapi/linux/bpf.h): every field a __u32.
  const fields = Object.entries(XDP_MD).filter(([name]) => name !== "size").map(([name, offset]) => ({ name, offset, size: 4 }));
  return { type: "xdp", size: XDP_MD.size, fields };
}

/**
 * Image file names: the map name made safe for every file system, without the leading
 * dot of global data sections (.rodata -> rodata.img, which would otherwise be hidden);
 * names that collide after that get -2, -3, ... in map order.
 */
export function imageFileNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((n) => {
    const stem = n.replace(/^\.+/, "").replace(/[^A-Za-z0-9_.-]/g, "_") || "map";
    let file = `${stem}.img`;
    for (let k = 2; used.has(file); k++) file = `${stem}-${k}.img`;
    used.add(file);
    return `${MAPS_DIR}/${file}`;
  });
}

/** Kinds whose fresh maps hold max_entries zero values: maps.json leaves those out. */
const PREALLOCATED = new Set(["array", "percpu_array"]);

/**
 * maps/maps.json: every map by name (sorted), with the entries that a freshly created map
 * does not already have: global data initial values, nothing else for a fresh build.
 * Loading it with --maps-in into fresh maps gives exactly the state of the images.
 */
export function formatInitialMaps(maps: readonly BpfMap[]): string {
  const entriesOf = (m: BpfMap): JsonMapEntry[] =>
    mapStateToJson(m).filter((e) => !PREALLOCATED.has(m.def.kind) || e.value.some((b) => b !== "0x00"));
  const sorted = [...maps].sort((a, b) => (a.def.name < b.def.name ? -1 : a.def.name > b.def.name ? 1 : 0));
  if (!sorted.length) return "{}\n";
  const entry = (e: JsonMapEntry) => {
    const fields = Object.entries(e).map(([k, v]) => `      ${JSON.stringify(k)}: ${Array.isArray(v) ? `[${v.map((s) => JSON.stringify(s)).join(", ")}]` : JSON.stringify(v)}`);
    return `    {\n${fields.join(",\n")}\n    }`;
  };
  const body = sorted.map((m) => {
    const list = entriesOf(m);
    return `  ${JSON.stringify(m.def.name)}: ${list.length ? `[\n${list.map(entry).join(",\n")}\n  ]` : "[]"}`;
  });
  return `{\n${body.join(",\n")}\n}\n`;
}

const bytesOf = (data: Uint8Array | string): Uint8Array => (typeof data === "string" ? new Uint8Array(Buffer.from(data, "utf8")) : data);

/** The whole bundle in memory: manifest.json first, then every other file by path. */
export function assembleBundle(backend: Backend, input: CompileInput, output: CompileOutput, mapEntries?: ReadonlyMap<string, readonly MapEntry[]>): BundleFile[] {
  const { object } = input;
  const program = object.programs[input.program]!;
  const maps = instantiateMaps(object);
  // Control-plane entries (a P4 program's table entries) go into the images as written.
  for (const [name, entries] of mapEntries ?? []) {
    const map = maps.find((m) => m.def.name === name);
    if (!map) throw new Error(`bug: entries for map ${name}, which the object does not have`);
    for (const e of entries) {
      const rc = writeEntry(map, e);
      if (rc !== 0) fail("map-op", {}, [`cannot write an entry into map ${name}: ${describeErrno(rc)}`]);
    }
  }
  const images = imageFileNames(object.maps.map((m) => m.name));
  const files = new Map<string, Uint8Array>();
  const add = (path: string, data: Uint8Array | string) => {
    if (path === MANIFEST_FILE || files.has(path)) throw new Error(`bug: bundle file ${path} is written twice (backend ${backend.name})`);
    files.set(path, bytesOf(data));
  };
  for (const [path, data] of output.files) add(path, data);
  maps.forEach((m, i) => add(images[i]!, encodeMapImage(m)));
  add(MAPS_STATE_FILE, formatInitialMaps(maps));
  const paths = [...files.keys()].sort();

  const { entry_points, resources, ...rest } = output.manifest;
  if (Object.keys(rest).length) throw new Error(`bug: backend ${backend.name} returned unknown manifest fields: ${Object.keys(rest).join(", ")}`);
  const manifest = {
    bpfoff_version: BPFOFF_VERSION,
    format_version: MANIFEST_FORMAT_VERSION,
    target: backend.name,
    program: { name: program.name, section: program.section, type: input.programType },
    input: { name: input.source.name, sha256: input.source.sha256 },
    maps: object.maps.map((m, i) => ({
      name: m.name,
      kind: m.kind,
      linux_type: linuxTypeOf(m.kind),
      key_size: m.keySize,
      value_size: m.valueSize,
      max_entries: m.maxEntries,
      flags: m.flags,
      global_data: object.mapInit.has(m.name),
      image: images[i]!,
    })),
    context: contextLayout(input.programType),
    entry_points,
    files: paths.map((path) => ({ path, sha256: sha256Hex(files.get(path)!), size: files.get(path)!.length })),
    resources,
  };
  checkManifest(manifest);
  return [[MANIFEST_FILE, bytesOf(canonicalJson(manifest))], ...paths.map((p) => [p, files.get(p)!] as const)];
}

/** Every file under dir, by "/"-separated relative path, sorted. */
export function readBundleDir(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else out.set(path, new Uint8Array(readFileSync(join(dir, path))));
    }
  };
  walk("");
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const ioCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/**
 * Writes the bundle to dir, replacing an existing bundle there only once the new one is
 * complete. A dir that exists but is not a bundle (no manifest.json, not empty) is left
 * alone: `-o .` must not empty the current folder.
 */
export function writeBundle(dir: string, files: readonly BundleFile[]): void {
  const parent = dirname(dir);
  const name = basename(dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) fail("bundle-write", {}, [dir, "it exists and is not a folder"]);
    if (!existsSync(join(dir, MANIFEST_FILE)) && readdirSync(dir).length > 0) fail("bundle-write", {}, [dir, `the folder exists and is not a bpfoff bundle (no ${MANIFEST_FILE}): not replacing it`]);
  }
  let tmp: string | undefined;
  let old: string | undefined;
  try {
    tmp = mkdtempSync(join(parent, `.${name}.tmp-`));
    for (const [path, data] of files) {
      mkdirSync(dirname(join(tmp, path)), { recursive: true });
      writeFileSync(join(tmp, path), data);
    }
    if (existsSync(dir)) {
      old = mkdtempSync(join(parent, `.${name}.old-`));
      renameSync(dir, join(old, "bundle"));
    }
    try {
      renameSync(tmp, dir);
      tmp = undefined;
    } catch (e) {
      if (old) renameSync(join(old, "bundle"), dir); // put the previous bundle back
      throw e;
    }
  } catch (e) {
    if (e instanceof Error && "diagnostics" in e) throw e;
    fail("bundle-write", {}, [dir, ioCode(e)]);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (old) rmSync(old, { recursive: true, force: true });
  }
}

export interface BundleDifference {
  readonly path: string;
  /** modified: both have it, with other bytes; missing: the build has it, dir not; extra: dir has it, the build not. */
  readonly status: "modified" | "missing" | "extra";
  /** The file in dir (modified, extra) and in the build (modified, missing). */
  readonly onDisk?: Uint8Array;
  readonly built?: Uint8Array;
}

/** How the bundle in dir differs from a build, file by file, by path. */
export function compareBundle(dir: string, files: readonly BundleFile[]): BundleDifference[] {
  const disk = existsSync(dir) && statSync(dir).isDirectory() ? readBundleDir(dir) : new Map<string, Uint8Array>();
  const built = new Map(files);
  const paths = [...new Set([...disk.keys(), ...built.keys()])].sort();
  const out: BundleDifference[] = [];
  for (const path of paths) {
    const a = disk.get(path);
    const b = built.get(path);
    if (a && b) {
      if (!Buffer.from(a).equals(Buffer.from(b))) out.push({ path, status: "modified", onDisk: a, built: b });
    } else if (b) out.push({ path, status: "missing", built: b });
    else out.push({ path, status: "extra", onDisk: a! });
  }
  return out;
}
