// `bpfoff run FILE --target fpga --mem HEX`: conformance programs on the FPGA engine in
// Verilator print exactly what `--target interp` prints (one line, r0); `--pcap IN --out OUT`
// runs XDP programs without maps with the interpreter's lines and output file; and the paths
// the engine cannot take yet fail with one clear line. The model is the cached one of
// backends/fpga/sim.ts (one build for every run). requires: verilator
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { writePcap } from "../../runtime/packet/pcap.js";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../support/conformance.js";
import { hasTool, requireOrSkip } from "../support/requires.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

const dir = mkdtempSync(join(tmpdir(), "bpfoff-run-fpga-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: dir });
  return { code, stdout, stderr };
}

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

  it("a map helper is refused before the run", async () => {
    writeFileSync(join(dir, "map.s"), ".map m array key=4 value=8 entries=4\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(m)\ncall 1\nmov %r0, 0\nexit\n");
    const r = await cli(["run", "map.s", "--target", "fpga"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/instruction 5: target fpga does not support helper map_lookup_elem \(1\)/);
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

describe("bpfoff run --target fpga --pcap: what the engine does not do", () => {
  it("maps options are refused", async () => {
    writeFileSync(join(dir, "x.s"), "mov %r0, 2\nexit\n");
    for (const option of ["--maps-in", "--maps-out"]) {
      const r = await cli(["run", "x.s", "--target", "fpga", "--pcap", "in.pcap", option, "m.json"]);
      expect(r).toEqual({ code: 1, stdout: "", stderr: `bpfoff: error: --target fpga ${option}: not yet: the engine has no maps yet\n` });
    }
  });

  it("bpf_xdp_adjust_head is refused before the run", async () => {
    writeFileSync(join(dir, "adj.s"), "mov %r2, 14\ncall 44\nmov %r0, 2\nexit\n");
    writeFileSync(join(dir, "in.pcap"), pcapOf(FRAMES));
    const r = await cli(["run", "adj.s", "--target", "fpga", "--pcap", "in.pcap"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/instruction 1: target fpga does not support helper xdp_adjust_head \(44\)/);
  });
});

describe("bpfoff run --target fpga: not yet", () => {
  it("an unknown run target lists the ones that run", async () => {
    const r = await cli(["run", "x.s", "--target", "npu"]);
    expect(r.stderr).toBe("bpfoff: error: target 'npu' cannot run programs yet (available: interp, fpga)\n");
  });
});
