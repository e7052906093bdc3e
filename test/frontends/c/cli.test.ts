// The CLI on C sources: run, verify, build (bpf and fpga) and ir accept a .c file as
// they accept a clang-built object, and give the same results.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import { runCli } from "../../support/cli.js";
import { clangBpf, HAS_CLANG } from "../../support/clang.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const HAS_CPP = hasTool("cpp");
const work = mkdtempSync(join(tmpdir(), "bpfoff-c-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const workdir = (files: Record<string, string | Uint8Array>) => {
  const dir = join(work, `w${n++}`);
  mkdirSync(dir);
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
};
const example = (name: string) => ({
  "prog.c": readFileSync(join(ROOT, "examples", name, "prog.c")),
  "packets.pcap": readFileSync(join(ROOT, "examples", name, "packets.pcap")),
  "maps.json": readFileSync(join(ROOT, "examples", name, "maps.json")),
});

/** Global data in .data, .rodata and .bss, as test/cli/build.test.ts builds it with clang. */
const GLOBALS_C = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
int counter = 42;
const volatile __u32 threshold = 100;
__u64 total;
SEC("xdp")
int xdp_globals(struct xdp_md *ctx) {
  counter++;
  total += ctx->ingress_ifindex;
  return ctx->rx_queue_index > threshold ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

describe("bpfoff on C sources", () => {
  it("run prog.c prints what run on clang's object prints, and the same maps", async () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    if (!requireOrSkip("clang", HAS_CLANG, "the reference object is built by clang")) return;
    const dir = workdir({ ...example("loadbalancer") });
    writeFileSync(join(dir, "prog.o"), clangBpf(join(dir, "prog.c")));
    const args = (input: string, tag: string) => ["run", input, "--pcap", "packets.pcap", "--maps-in", "maps.json", "--maps-out", `${tag}.json`, "--out", `${tag}.pcap`];
    const ours = await runCli(args("prog.c", "c"), dir);
    const theirs = await runCli(args("prog.o", "o"), dir);
    expect(ours.stderr).toBe("");
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(readFileSync(join(dir, "c.json"), "utf8")).toBe(readFileSync(join(dir, "o.json"), "utf8"));
    expect(readFileSync(join(dir, "c.pcap")).equals(readFileSync(join(dir, "o.pcap")))).toBe(true);
  });

  it("verify prog.c accepts every example", async () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    for (const name of ["firewall", "router", "loadbalancer", "vlan", "counter"]) {
      const r = await runCli(["verify", "prog.c"], workdir(example(name)));
      expect(r.stderr, name).toBe("");
      expect(r.stdout).toMatch(/^accepted: \d+ instructions processed/);
    }
  });

  it("build prog.c --target bpf writes a BPF ELF whose BTF maps load back", async () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const dir = workdir(example("router"));
    const r = await runCli(["build", "prog.c", "--target", "bpf", "-o", "b"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const elf = readFileSync(join(dir, "b", "prog.o"));
    const back = loadElf(elf, "prog.o");
    expect(back.maps).toEqual([{ name: "routes", kind: "lpm_trie", keySize: 8, valueSize: 16, maxEntries: 256, flags: 1 }]);
    expect(back.programs.map((p) => [p.name, p.section])).toEqual([["router", "xdp"]]);
    expect(back.license).toBe("GPL");
    const manifest = JSON.parse(readFileSync(join(dir, "b", "manifest.json"), "utf8"));
    expect(manifest.input.name).toBe("prog.c");
    // The bundle's object runs as the source does.
    const a = await runCli(["run", "prog.c", "--pcap", "packets.pcap", "--maps-in", "maps.json"], dir);
    const b = await runCli(["run", "b/prog.o", "--pcap", "packets.pcap", "--maps-in", "maps.json"], dir);
    expect(b.stdout).toBe(a.stdout);
  });

  it("build prog.c --target fpga writes the engine bundle", async () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const dir = workdir(example("firewall"));
    const r = await runCli(["build", "prog.c", "--target", "fpga", "-o", "f"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "f", "manifest.json"), "utf8")).target).toBe("fpga");
  });

  it("global data: .data, .rodata and .bss as clang lays them out, with the same behaviour", async () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    if (!requireOrSkip("clang", HAS_CLANG, "the reference object is built by clang")) return;
    const dir = workdir({ "globals.c": GLOBALS_C, "packets.pcap": readFileSync(join(ROOT, "examples", "counter", "packets.pcap")) });
    writeFileSync(join(dir, "globals.o"), clangBpf(join(dir, "globals.c")));
    for (const input of ["globals.c", "globals.o"]) {
      const r = await runCli(["build", input, "--target", "bpf", "-o", `b-${input}`], dir);
      expect(r.stderr).toBe("");
    }
    const ours = JSON.parse(readFileSync(join(dir, "b-globals.c", "maps", "maps.json"), "utf8"));
    const theirs = JSON.parse(readFileSync(join(dir, "b-globals.o", "maps", "maps.json"), "utf8"));
    expect(ours).toEqual(theirs);
    const a = await runCli(["run", "globals.c", "--pcap", "packets.pcap", "--maps-out", "a.json"], dir);
    const b = await runCli(["run", "globals.o", "--pcap", "packets.pcap", "--maps-out", "b.json"], dir);
    expect(a.stdout).toBe(b.stdout);
    expect(readFileSync(join(dir, "a.json"), "utf8")).toBe(readFileSync(join(dir, "b.json"), "utf8"));
  });

  it("ir prog.c prints the program's IR", async () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const r = await runCli(["ir", "prog.c", "-O"], workdir(example("firewall")));
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("map.lookup @blocklist");
    expect(r.stdout).toContain("atomic.add.u64 map_value");
  });

  it("a tail call through a prog_array declared with __array", async () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const src = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jumps SEC(".maps");
SEC("xdp")
int second(struct xdp_md *ctx) { return XDP_DROP; }
SEC("xdp")
int first(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jumps, 0);
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;
    const dir = workdir({ "tail.c": src, "packets.pcap": readFileSync(join(ROOT, "examples", "router", "packets.pcap")), "empty.json": "{}", "jump.json": JSON.stringify({ jumps: [{ key: ["0x00", "0x00", "0x00", "0x00"], value: ["0x00", "0x00", "0x00", "0x00"] }] }) });
    const empty = await runCli(["run", "tail.c", "--program", "first", "--pcap", "packets.pcap", "--maps-in", "empty.json"], dir);
    expect(empty.stderr).toBe("");
    expect(empty.stdout.split("\n")[0]).toMatch(/XDP_PASS$/);
    const jumped = await runCli(["run", "tail.c", "--program", "first", "--pcap", "packets.pcap", "--maps-in", "jump.json"], dir);
    expect(jumped.stdout.split("\n")[0]).toMatch(/XDP_DROP$/);
  });

  it("a noinline function is a subprogram the program calls", async () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const r = await runCli(["ir", join(ROOT, "test/frontends/c/features.c"), "--program", "pointers"], ROOT);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/= call @sum_bytes, %\d+, %\d+ : i64/);
    expect(r.stdout).toContain("\nfunc @sum_bytes {\n");
  });

  it("an error in C: one diagnostic with file:line:col and a caret, exit 1", async () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const dir = workdir({ "bad.c": "#include <linux/bpf.h>\n\nint f(struct xdp_md *ctx) __attribute__((section(\"xdp\")));\nint f(struct xdp_md *ctx) __attribute__((section(\"xdp\")))\n{\n  return ctx->nope;\n}\n" });
    for (const args of [["run", "bad.c", "--mem", "00"], ["verify", "bad.c"], ["build", "bad.c", "--target", "bpf", "-o", "b"], ["ir", "bad.c"]]) {
      const r = await runCli(args, dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("bpfoff: error: bad.c:6:15: struct xdp_md has no member named 'nope'\n    return ctx->nope;\n                ^~~~\n");
    }
  });
});
