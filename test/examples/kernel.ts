// The Linux kernel as a peer: load a clang-built XDP object with bpftool, fill its maps,
// run each packet through BPF_PROG_TEST_RUN (`bpftool prog run`), dump the maps.
// requires: kernel-bpf (root, bpftool, a bpffs at /sys/fs/bpf)
//
// Environment refusals (not root, no bpftool, no bpffs, the kernel saying EPERM) give
// `{ skipped: reason }`. A verifier rejection of the object is not an environment
// problem but a broken example, so it throws with the verifier log.
//
// Notes on BPF_PROG_TEST_RUN for XDP: data_meta is empty, the ingress ifindex is the
// loopback's, bpf_redirect() returns XDP_REDIRECT without sending anything (so the
// redirect target is not observable here), and frames shorter than ETH_HLEN (14 bytes)
// are refused with EINVAL.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statfsSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { VERDICTS, type MapEntryJson, type MapsJson, type Verdict } from "./models.js";

export interface KernelPacketResult {
  /** The program's return value. */
  retval: number;
  /** Its name, when it is an enum xdp_action value. */
  verdict: Verdict | undefined;
  /** data_out: the packet after the program ran. */
  packet: Uint8Array;
}

export type KernelRun = { skipped: string } | { packets: KernelPacketResult[]; maps: MapsJson };

/** BPF_FS_MAGIC from include/uapi/linux/magic.h. */
const BPF_FS_MAGIC = 0xcafe4a11;
const BPFFS = "/sys/fs/bpf";
/** BPF_OBJ_NAME_LEN is 16 with the NUL: the kernel keeps the first 15 characters of a map name. */
const KERNEL_NAME_LEN = 15;
/** Larger than any frame the examples use: room for programs that grow packets. */
const DATA_OUT_SIZE = 4096;

interface Exec {
  status: number | null;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: readonly string[]): Exec {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { status: null, stdout: "", stderr: String(r.error.message) };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function bpftool(args: readonly string[]): Exec {
  return exec("bpftool", args);
}

function describe(args: readonly string[], r: Exec): string {
  const text = (r.stderr || r.stdout).trim().split("\n").slice(-8).join("\n");
  return `bpftool ${args.join(" ")} failed (status ${r.status}): ${text}`;
}

/** Error text that means the environment refused, not that our program was wrong. */
const REFUSED = /Operation not permitted|EPERM|not supported|EOPNOTSUPP|ENOSYS|Function not implemented/;

/** Why the kernel cannot be used, or undefined when it can. */
export function kernelUnavailable(): string | undefined {
  if (process.platform !== "linux") return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return "not root: loading BPF programs needs CAP_BPF and CAP_NET_ADMIN";
  const v = bpftool(["version"]);
  if (v.status !== 0) return `bpftool is not usable: ${v.stderr.trim() || "not found"}`;
  return ensureBpffs();
}

function ensureBpffs(): string | undefined {
  try {
    if (statfsSync(BPFFS).type === BPF_FS_MAGIC) return undefined;
  } catch {
    // Not there or not readable: try mounting below.
  }
  const m = exec("mount", ["-t", "bpf", "bpf", BPFFS]);
  if (m.status !== 0) return `no bpffs at ${BPFFS} and mounting one failed: ${m.stderr.trim()}`;
  return undefined;
}

const hexArgs = (bytes: readonly string[]): string[] => bytes.map((b) => b.replace(/^0x/i, "").padStart(2, "0"));

interface JsonEntry {
  key: string[];
  value: string[];
}

/**
 * Loads `objectPath` (an ELF object with one XDP program), sets `maps` (by map name),
 * runs `packets` in order and returns the program's results and the maps afterwards.
 * Always unpins what it pinned.
 */
export function runInKernel(objectPath: string, packets: readonly Uint8Array[], maps: MapsJson): KernelRun {
  const unavailable = kernelUnavailable();
  if (unavailable !== undefined) return { skipped: unavailable };

  // bpffs refuses names with a dot (reserved for its own files, EPERM): hence the replace.
  const stem = basename(objectPath).replace(/[^A-Za-z0-9_-]/g, "_");
  const pin = join(BPFFS, `bpfoff-test-${process.pid}-${stem}-${randomBytes(4).toString("hex")}`);
  const work = mkdtempSync(join(tmpdir(), "bpfoff-kernel-"));
  try {
    const loadArgs = ["prog", "load", objectPath, pin, "type", "xdp"];
    const load = bpftool(loadArgs);
    if (load.status !== 0) {
      const all = load.stderr + load.stdout;
      if (/BEGIN PROG LOAD LOG|processed \d+ insns/.test(all) || !REFUSED.test(all)) {
        throw new Error(`the kernel rejected ${objectPath}:\n${all}`);
      }
      return { skipped: describe(loadArgs, load) };
    }

    const show = bpftool(["prog", "show", "pinned", pin, "-j"]);
    if (show.status !== 0) return { skipped: describe(["prog", "show", "pinned", pin], show) };
    const mapIds = (JSON.parse(show.stdout) as { map_ids?: number[] }).map_ids ?? [];
    const mapsByName = new Map<string, number>();
    for (const id of mapIds) {
      const info = bpftool(["map", "show", "id", String(id), "-j"]);
      if (info.status !== 0) return { skipped: describe(["map", "show", "id", String(id)], info) };
      mapsByName.set((JSON.parse(info.stdout) as { name: string }).name, id);
    }
    const idOf = (name: string): number => {
      const id = mapsByName.get(name.slice(0, KERNEL_NAME_LEN));
      if (id === undefined) throw new Error(`map '${name}' is not in ${objectPath} (it has ${[...mapsByName.keys()].join(", ") || "no maps"})`);
      return id;
    };

    for (const [name, entries] of Object.entries(maps)) {
      const id = idOf(name);
      for (const e of entries) {
        const args = ["map", "update", "id", String(id), "key", "hex", ...hexArgs(e.key), "value", "hex", ...hexArgs(e.value)];
        const r = bpftool(args);
        if (r.status !== 0) throw new Error(describe(args, r));
      }
    }

    const results: KernelPacketResult[] = [];
    const dataIn = join(work, "in.bin");
    const dataOut = join(work, "out.bin");
    for (const [i, packet] of packets.entries()) {
      writeFileSync(dataIn, packet);
      rmSync(dataOut, { force: true });
      const args = ["prog", "run", "pinned", pin, "data_in", dataIn, "data_out", dataOut, "data_size_out", String(DATA_OUT_SIZE), "repeat", "1"];
      const r = bpftool(args);
      if (r.status !== 0) {
        if (REFUSED.test(r.stderr)) return { skipped: describe(args, r) };
        throw new Error(`packet ${i}: ${describe(args, r)}`);
      }
      // bpftool 7.1 prints "Return value: N, duration: Tns" (", duration (average)" with repeat > 1).
      const m = /Return value: (\d+)/.exec(r.stdout);
      if (m === null) throw new Error(`packet ${i}: no "Return value" in bpftool output: ${r.stdout}`);
      const retval = Number(m[1]);
      results.push({ retval, verdict: VERDICTS[retval], packet: new Uint8Array(readFileSync(dataOut)) });
    }

    const after: MapsJson = {};
    for (const [name, id] of [...mapsByName.entries()].sort()) {
      const r = bpftool(["map", "dump", "id", String(id), "-j"]);
      if (r.status !== 0) throw new Error(describe(["map", "dump", "id", String(id)], r));
      after[name] = (JSON.parse(r.stdout) as JsonEntry[]).map((e): MapEntryJson => ({ key: e.key, value: e.value }));
    }
    return { packets: results, maps: after };
  } finally {
    // Unpinning drops the last reference: the kernel frees the program and its maps.
    // unlink, not rm: Node's rmSync stats the pin first, which bpffs may refuse (EPERM).
    // Cleanup must not mask the error that got us here.
    try {
      unlinkSync(pin);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") console.warn(`kernel.ts: could not unpin ${pin}: ${String(e)}`);
    }
    rmSync(work, { recursive: true, force: true });
  }
}
