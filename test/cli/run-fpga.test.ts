// `bpfoff run FILE --target fpga --mem HEX`: conformance programs on the FPGA engine in
// Verilator print exactly what `--target interp` prints (one line, r0); `--pcap IN --out OUT`
// runs XDP programs with the interpreter's lines and output file; array maps with --maps-in
// and --maps-out give the interpreter's map state; and the paths
// the engine cannot take yet fail with one clear line. The model is the cached one of
// backends/fpga/sim.ts (one build for every run). requires: verilator
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writePcap } from "../../runtime/packet/pcap.js";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../support/conformance.js";
import { hasTool, requireOrSkip } from "../support/requires.js";
import { runCli } from "../support/cli.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

const dir = mkdtempSync(join(tmpdir(), "bpfoff-run-fpga-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(args, dir);

/** A handful across the ISA: ALU, jumps, memory, atomics, division, local calls, input length. */
const PICKED = ["add64", "alu64-arith", "be32", "call_local", "div64-reg", "jsgt-reg", "ldxh", "stxdw", "lock_fetch_add", "mem-len", "prime", "subnet"];

describe.skipIf(!haveVerilator || !haveSuite)("bpfoff run --target fpga on conformance programs", () => {
  const cases = conformanceFiles("tests").map(parseConformance).filter((c) => PICKED.includes(c.name) && c.asm !== undefined && c.result !== undefined);
  it("finds the picked programs", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });
  for (const c of cases) {
    it(c.name, async () => {
      writeFileSync(join(dir, `${c.name}.s`), c.asm!);
      const mem = c.mem ? ["--mem", Buffer.from(c.mem).toString("hex")] : [];
      const interp = await cli(["run", `${c.name}.s`, ...mem]);
      const fpga = await cli(["run", `${c.name}.s`, "--target", "fpga", ...mem]);
      expect(interp).toEqual({ code: 0, stdout: `0x${c.result!.toString(16)}\n`, stderr: "" });
      expect(fpga).toEqual(interp);
    });
  }
});

describe.skipIf(!haveVerilator)("bpfoff run --target fpga: other paths", () => {
  it("get_prandom_u32 gives the same numbers on both targets by default", async () => {
    writeFileSync(join(dir, "rnd.s"), "call 7\nmov %r6, %r0\ncall 7\nxor %r0, %r6\nexit\n");
    const interp = await cli(["run", "rnd.s"]);
    const fpga = await cli(["run", "rnd.s", "--target", "fpga"]);
    expect(fpga).toEqual(interp);
  });
  it("--stats puts the cycles on stderr, stdout stays one line", async () => {
    writeFileSync(join(dir, "inc.s"), "ldxw %r0, [%r1]\nadd %r0, 1\nexit\n");
    const r = await cli(["run", "inc.s", "--target", "fpga", "--mem", "01 02 00 00", "--stats"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("0x202\n");
    expect(r.stderr).toMatch(/^fpga: \d+ cycles, 3 instructions retired\n$/);
  });

  it("a fault names the instruction, as the interpreter's error does", async () => {
    writeFileSync(join(dir, "oob.s"), "mov %r0, 1\nldxw %r0, [%r1+8]\nexit\n");
    const r = await cli(["run", "oob.s", "--target", "fpga", "--mem", "01 02 03 04"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("bpfoff: error: instruction 1: the fpga engine stopped: out-of-bounds access (engine error 1)\n");
  });

  it("array maps: --maps-in and --maps-out give the interpreter's r0 and map state", async () => {
    // m[key] += 5 (key from the input), then n[1] = m[key] via update; the sum of both as r0
    writeFileSync(join(dir, "map.s"), `.map m array key=4 value=8 entries=4
.map n array key=4 value=8 entries=2
ldxw %r6, [%r1+0]
stxw [%r10-4], %r6
mov %r2, %r10
add %r2, -4
lddw %r1, map(m)
call 1
jeq %r0, 0, out
mov %r1, 5
lock add [%r0+0], %r1
mov %r3, %r0
ldxdw %r6, [%r0+0]
stw [%r10-4], 1
mov %r2, %r10
add %r2, -4
mov %r4, 0
lddw %r1, map(n)
call 2
add %r0, %r6
out:
exit
`);
    writeFileSync(join(dir, "maps-in.json"), JSON.stringify({ m: [{ key: ["0x02", "0x00", "0x00", "0x00"], value: ["0x10", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00", "0x01"] }] }));
    for (const key of ["02000000", "03000000", "09000000"]) {
      const interp = await cli(["run", "map.s", "--mem", key, "--maps-in", "maps-in.json", "--maps-out", "interp.json"]);
      const fpga = await cli(["run", "map.s", "--target", "fpga", "--mem", key, "--maps-in", "maps-in.json", "--maps-out", "fpga.json"]);
      expect(interp.code).toBe(0);
      expect(fpga).toEqual(interp);
      expect(readFileSync(join(dir, "fpga.json"), "utf8")).toBe(readFileSync(join(dir, "interp.json"), "utf8"));
    }
    expect(readFileSync(join(dir, "fpga.json"), "utf8")).toContain('"n"');
  });

  it("hash maps: --maps-in and --maps-out give the interpreter's r0 and map state (entries in insertion order)", async () => {
    // delete key 7, then h[key] = 1 with BPF_NOEXIST (the key from the input), else h[key] += 1; r0 = the update's result
    writeFileSync(join(dir, "hmap.s"), `.map h hash key=4 value=8 entries=3
stw [%r10-4], 7
mov %r2, %r10
add %r2, -4
lddw %r1, map(h)
call 3
ldxw %r6, [%r1+0]
ldxw %r6, [%r9+0]
exit
`.replace("ldxw %r6, [%r1+0]\nldxw %r6, [%r9+0]\n", `mov %r6, %r0
ldxw %r7, [%r8+0]
stxw [%r10-4], %r7
stdw [%r10-16], 1
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 1
lddw %r1, map(h)
call 2
jeq %r0, 0, out
mov %r2, %r10
add %r2, -4
lddw %r1, map(h)
call 1
jeq %r0, 0, out
mov %r1, 1
lock add [%r0+0], %r1
mov %r0, 1
out:
lsh %r6, 8
add %r0, %r6
`).replace(".map h hash key=4 value=8 entries=3\n", ".map h hash key=4 value=8 entries=3\nmov %r8, %r1\n"));
    const entry = (k: number, v: number) => ({ key: [k, 0, 0, 0].map((b) => `0x${b.toString(16).padStart(2, "0")}`), value: [v, 0, 0, 0, 0, 0, 0, 0].map((b) => `0x${b.toString(16).padStart(2, "0")}`) });
    writeFileSync(join(dir, "hmaps-in.json"), JSON.stringify({ h: [entry(9, 3), entry(7, 1), entry(2, 5)] }));
    for (const key of ["02000000", "03000000", "09000000"]) {
      const interp = await cli(["run", "hmap.s", "--mem", key, "--maps-in", "hmaps-in.json", "--maps-out", "hinterp.json"]);
      const fpga = await cli(["run", "hmap.s", "--target", "fpga", "--mem", key, "--maps-in", "hmaps-in.json", "--maps-out", "hfpga.json"]);
      expect(interp.code).toBe(0);
      expect(fpga).toEqual(interp);
      expect(readFileSync(join(dir, "hfpga.json"), "utf8")).toBe(readFileSync(join(dir, "hinterp.json"), "utf8"));
    }
  });

  it("a map the engine cannot hold (an LPM trie with keys past IPv6's 20 bytes) is refused before the run", async () => {
    writeFileSync(join(dir, "lmap.s"), ".map m lpm_trie key=24 value=8 entries=4\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(m)\ncall 1\nmov %r0, 0\nexit\n");
    const r = await cli(["run", "lmap.s", "--target", "fpga"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/target fpga does not support map 'm' with 24-byte keys \(at most 20\)/);
  });
});

/** Frames of 14..128 bytes; the program below faults on none of them. */
const FRAMES = [
  new Uint8Array(14).fill(0x11),
  Uint8Array.from({ length: 60 }, (_, i) => i * 7),
  new Uint8Array(60).fill(0xff),
  Uint8Array.from({ length: 128 }, (_, i) => (i * 3) & 0xff),
];
function pcapOf(frames: readonly Uint8Array[]): Uint8Array {
  return writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: frames.map((data, i) => ({ tsSec: 1_700_000_000 + i, tsFrac: i, origLen: data.length, data })) });
}

/** MAC swap with XDP_TX, XDP_DROP on a first byte of 0xff, XDP_PASS for runts; ifindex in the last byte. */
const XDP_PROGRAM = `ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, 2
mov %r4, %r2
add %r4, 16
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
mov %r0, 1
jeq %r5, 0xff, out
ldxw %r5, [%r2+0]
ldxh %r6, [%r2+4]
ldxw %r7, [%r2+6]
ldxh %r8, [%r2+10]
stxw [%r2+0], %r7
stxh [%r2+4], %r8
stxw [%r2+6], %r5
stxh [%r2+10], %r6
ldxw %r9, [%r1+12]
stxb [%r3-1], %r9
mov %r0, 3
out:
exit
`;

describe.skipIf(!haveVerilator)("bpfoff run --target fpga --pcap: XDP without maps", () => {
  it("prints the interpreter's lines and writes the same --out pcap", async () => {
    writeFileSync(join(dir, "xdp.s"), XDP_PROGRAM);
    writeFileSync(join(dir, "in.pcap"), pcapOf(FRAMES));
    const interp = await cli(["run", "xdp.s", "--pcap", "in.pcap", "--out", "interp.pcap", "--ifindex", "7"]);
    const fpga = await cli(["run", "xdp.s", "--target", "fpga", "--pcap", "in.pcap", "--out", "fpga.pcap", "--ifindex", "7"]);
    expect(interp.code).toBe(0);
    expect(interp.stdout).toBe([
      "packet 1: 14 bytes in, 14 out, r0=0x2, XDP_PASS",
      "packet 2: 60 bytes in, 60 out, r0=0x3, XDP_TX",
      "packet 3: 60 bytes in, 60 out, r0=0x1, XDP_DROP",
      "packet 4: 128 bytes in, 128 out, r0=0x3, XDP_TX",
    ].join("\n") + "\n");
    expect(fpga).toEqual(interp);
    const out = readFileSync(join(dir, "fpga.pcap"));
    expect(out.equals(readFileSync(join(dir, "interp.pcap")))).toBe(true);
    expect(out.equals(Buffer.from(pcapOf(FRAMES)))).toBe(false);
  });

  it("--stats gives the cycles of every packet on stderr", async () => {
    writeFileSync(join(dir, "xdp.s"), XDP_PROGRAM);
    writeFileSync(join(dir, "in.pcap"), pcapOf(FRAMES));
    const r = await cli(["run", "xdp.s", "--target", "fpga", "--pcap", "in.pcap", "--stats"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^(fpga: packet \d: \d+ cycles, \d+ instructions retired\n){4}$/);
  });

  it("a fault names the instruction and the packet, and nothing is written", async () => {
    writeFileSync(join(dir, "runt.s"), "ldxw %r2, [%r1+0]\nldxb %r0, [%r2+59]\nand %r0, 3\nexit\n");
    writeFileSync(join(dir, "in.pcap"), pcapOf(FRAMES));
    const interp = await cli(["run", "runt.s", "--pcap", "in.pcap"]);
    const r = await cli(["run", "runt.s", "--target", "fpga", "--pcap", "in.pcap", "--out", "never.pcap"]);
    expect(interp.code).toBe(1);
    expect(interp.stderr).toMatch(/instruction 1:/);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^bpfoff: error: instruction 1: the fpga engine stopped: out-of-bounds access \(engine error 1\)\n.*on packet 1/s);
    expect(() => readFileSync(join(dir, "never.pcap"))).toThrow();
  });
});

describe.skipIf(!haveVerilator)("bpfoff run --target fpga --pcap with array maps", () => {
  it("counts packets by first byte with maps carried over: the interpreter's lines, --out and --maps-out", async () => {
    writeFileSync(join(dir, "count.s"), `.map cnt array key=4 value=16 entries=4
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
mov %r0, 2
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
and %r5, 7
stxw [%r10-4], %r5
mov %r2, %r10
add %r2, -4
lddw %r1, map(cnt)
call 1
jeq %r0, 0, out
mov %r1, 1
lock add [%r0+0], %r1
ldxdw %r0, [%r0+0]
and %r0, 1
add %r0, 2
out:
exit
`);
    writeFileSync(join(dir, "in.pcap"), pcapOf(FRAMES));
    writeFileSync(join(dir, "cnt-in.json"), JSON.stringify({ cnt: [{ key: ["0x01", "0x00", "0x00", "0x00"], value: Array.from({ length: 16 }, (_, i) => `0x0${i % 10}`) }] }));
    const args = ["--pcap", "in.pcap", "--maps-in", "cnt-in.json"];
    const interp = await cli(["run", "count.s", ...args, "--out", "ci.pcap", "--maps-out", "ci.json"]);
    const fpga = await cli(["run", "count.s", "--target", "fpga", ...args, "--out", "cf.pcap", "--maps-out", "cf.json"]);
    expect(interp.stderr).toBe("");
    expect(interp.code).toBe(0);
    expect(fpga).toEqual(interp);
    expect(readFileSync(join(dir, "cf.pcap")).equals(readFileSync(join(dir, "ci.pcap")))).toBe(true);
    expect(readFileSync(join(dir, "cf.json"), "utf8")).toBe(readFileSync(join(dir, "ci.json"), "utf8"));
  });
});

describe("bpfoff run --target fpga --pcap: what the engine does not do", () => {
  it("bpf_csum_diff is refused before the run", async () => {
    writeFileSync(join(dir, "csum.s"), "mov %r2, 14\ncall 28\nmov %r0, 2\nexit\n");
    writeFileSync(join(dir, "in.pcap"), pcapOf(FRAMES));
    const r = await cli(["run", "csum.s", "--target", "fpga", "--pcap", "in.pcap"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/instruction 1: target fpga does not support helper csum_diff \(28\)/);
  });
});

describe("bpfoff run --target fpga: not yet", () => {
  it("an unknown run target lists the ones that run", async () => {
    const r = await cli(["run", "x.s", "--target", "bpf"]);
    expect(r.stderr).toBe("bpfoff: error: target 'bpf' cannot run programs yet (available: interp, fpga, x86_64, arm64, npu, asic, asic_small)\n");
  });
});
