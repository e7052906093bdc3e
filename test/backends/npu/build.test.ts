// `bpfoff build --target npu`: the bundle's files, a manifest that validates, output that
// is the same byte for byte on every build, the listing that re-assembles to the image;
// the CLI's asm/disasm round trip; refusals with their reasons (offload check, control store).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileForNpu, moduleOf, npuDescriptor } from "../../../backends/npu/backend.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { runCli as cli } from "../../support/cli.js";

// One exit: the BPF round trip of the build pipeline rejects some programs with two
// (a verifier "unreachable insn" bug on the bpf target, not the NPU's).
const PROG = `
.map counts array key=4 value=8 entries=4
  mov %r6, 1
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 14
  jgt %r4, %r3, out
  ldxh %r5, [%r2+12]
  stw [%r10-4], 1
  jne %r5, 0x0008, other
  stw [%r10-4], 0
other:
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map(counts)
  call 1
  jeq %r0, 0, out
  mov %r1, 1
  lock add [%r0+0], %r1
  mov %r6, 2
out:
  mov %r0, %r6
  exit
`;

describe("bpfoff build --target npu", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-npu-build-"));
  writeFileSync(join(dir, "p.s"), PROG);

  it("writes the image, its hex, the listing, the descriptor and the maps; twice the same", async () => {
    const a = await cli(["build", "p.s", "--target", "npu", "-o", "b1"], dir);
    expect(a).toEqual({ code: 0, stdout: "", stderr: "" });
    const m = JSON.parse(readFileSync(join(dir, "b1/manifest.json"), "utf8"));
    expect(m.target).toBe("npu");
    expect(m.files.map((f: { path: string }) => f.path)).toEqual(["maps/counts.img", "maps/maps.json", "microcode.bin", "microcode.hex", "microcode.lst", "npu.json"]);
    expect(m.resources.microwords * 8).toBe(readFileSync(join(dir, "b1/microcode.bin")).length);
    expect(m.resources.control_store_words).toBe(8192);
    expect(readFileSync(join(dir, "b1/npu.json"), "utf8")).toBe(readFileSync(new URL("../../../offload-hooks/targets/npu.json", import.meta.url), "utf8"));
    expect(await cli(["build", "p.s", "--target", "npu", "-o", "b1", "--check"], dir)).toMatchObject({ code: 0 });
    // The listing is assembler text: it assembles to the image.
    expect((await cli(["asm", "--target", "npu", "b1/microcode.lst", "-o", "l.hex"], dir)).code).toBe(0);
    expect(readFileSync(join(dir, "l.hex"), "utf8")).toBe(readFileSync(join(dir, "b1/microcode.hex"), "utf8"));
    // Every word names the IR instruction it came from, or is bookkeeping (frame, moves, spills).
    expect(readFileSync(join(dir, "b1/microcode.lst"), "utf8")).toMatch(/lkp\.lookup \$r\d+, map0, .*map\.lookup @counts/);
  });

  it("disassembles an image (binary or hex) to text that assembles back to it", async () => {
    await cli(["build", "p.s", "--target", "npu", "-o", "b2"], dir);
    const d = await cli(["disasm", "--target", "npu", "b2/microcode.bin"], dir);
    expect(d.code).toBe(0);
    writeFileSync(join(dir, "d.s"), d.stdout);
    expect((await cli(["asm", "--target", "npu", "d.s", "-o", "d.bin"], dir)).code).toBe(0);
    expect(readFileSync(join(dir, "d.bin"))).toEqual(readFileSync(join(dir, "b2/microcode.bin")));
    expect((await cli(["disasm", "--target", "npu", "b2/microcode.hex"], dir)).stdout).toBe(d.stdout);
    const bad = await cli(["asm", "--target", "npu", "p.s", "-o", "x.bin"], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bpfoff: error: p\.s:2:22: unexpected character '='/);
  });

  it("runs the program: bpfoff run --target npu --mem prints r0 as the interpreter does", async () => {
    writeFileSync(join(dir, "r.s"), "ldxdw %r0, [%r1+0]\nmul %r0, 3\ndiv %r0, 7\nexit\n");
    const args = ["run", "r.s", "--mem", "10 00 00 00 00 00 00 01"];
    const want = await cli(args, dir);
    expect(await cli([...args, "--target", "npu"], dir)).toEqual(want);
    const stats = await cli([...args, "--target", "npu", "--stats"], dir);
    expect(stats.stderr).toMatch(/^npu: \d+ cycles, \d+ microwords issued\n$/);
    // A program that does not end stops at --max-steps, in microwords, as one error line.
    writeFileSync(join(dir, "inf.s"), "mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit\n");
    const inf = await cli(["run", "inf.s", "--target", "npu", "--max-steps", "1000"], dir);
    expect(inf).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/^bpfoff: error: instruction \d+: packet 1 did not finish within 16000 microwords \(--max-steps times 16\)\n$/) });
  });

  it("refuses what the device lacks, naming it", async () => {
    writeFileSync(join(dir, "h.s"), "mov %r1, 0\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit\n");
    const r = await cli(["build", "h.s", "--target", "npu", "--type", "raw", "-o", "b3"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("bpfoff: error: instruction 5: target npu does not support helper csum_diff (28)\n");
  });

  it("refuses a program larger than the control store, with its size and the limit", () => {
    const d = npuDescriptor();
    const small = { ...d, limits: { ...d.limits, control_store_words: 10 } };
    const m = moduleOf(assemble(PROG, "p.s"), 0, "xdp");
    const words = compileForNpu(m, d).words.length;
    try {
      compileForNpu(m, small);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      expect((e as DiagnosticError).diagnostics.map((x) => [x.code, x.message])).toEqual([["npu-control-store", `the program needs ${words} microwords; the control store holds 10`]]);
    }
  });

  it("sim: one line per packet from the bundle alone, figures on stderr", async () => {
    await cli(["build", "p.s", "--target", "npu", "-o", "b4"], dir);
    const pkt = (await import("../../../runtime/packet/pcap.js")).writePcap({ linkType: 1, snapLen: 65535, packets: [0, 1, 2].map((i) => ({ tsSec: i, tsUsec: 0, origLen: 60, data: new Uint8Array(60).fill(i) })) } as never);
    writeFileSync(join(dir, "in.pcap"), pkt);
    const run = await cli(["run", "p.s", "--pcap", "in.pcap"], dir);
    const sim = await cli(["sim", "b4", "--pcap", "in.pcap", "--engines", "1", "--threads", "2"], dir);
    expect(sim.stdout).toBe(run.stdout);
    expect(sim.stderr).toMatch(/npu: 3 packets on 1 engine x 2 threads: /);
    const bad = await cli(["sim", "b4", "--pcap", "in.pcap", "--threads", "9"], dir);
    expect(bad).toEqual({ code: 1, stdout: "", stderr: "bpfoff: error: --threads must be an integer from 1 to 8, not '9'\n" });
    // the FPGA simulator's option on an npu bundle is refused, not ignored
    const vcd = await cli(["sim", "b4", "--pcap", "in.pcap", "--vcd", "t.vcd"], dir);
    expect(vcd).toEqual({ code: 1, stdout: "", stderr: "bpfoff: error: --vcd writes the FPGA engine's waveform; b4 was built for target npu\n" });
  });
});
