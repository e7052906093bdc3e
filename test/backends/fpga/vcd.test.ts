// `bpfoff sim BUNDLE --pcap IN --vcd FILE`: a waveform of the run from the second cached
// Verilator configuration (--trace), built only when asked. The VCD is written and names
// the engine's signals; the run's lines are the untraced run's. requires: verilator
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENGINE_ROOT, engineHash } from "../../../backends/fpga/sim.js";
import { writePcap } from "../../../runtime/packet/pcap.js";
import { runCli } from "../../support/cli.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

describe.skipIf(!haveVerilator)("bpfoff sim --vcd", () => {
  it("writes a VCD naming the engine's signals, with the same lines as without it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-fpga-vcd-"));
    // adjust_head, a packet write, XDP_TX: the receive stream, the helper sequence and the transmit stream all move
    writeFileSync(join(dir, "p.s"), "mov %r6, %r1\nmov %r2, 2\ncall 44\nldxw %r2, [%r6+0]\nldxw %r3, [%r6+4]\nmov %r4, %r2\nadd %r4, 1\nmov %r0, 1\njgt %r4, %r3, out\nstb [%r2+0], 0x42\nmov %r0, 3\nout:\nexit\n");
    const frames = [Uint8Array.from({ length: 60 }, (_, i) => i), Uint8Array.from({ length: 21 }, (_, i) => 100 + i)];
    writeFileSync(join(dir, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: frames.map((data) => ({ tsSec: 0, tsFrac: 0, origLen: data.length, data })) }));
    const build = await runCli(["build", "p.s", "--target", "fpga", "-o", "b"], dir);
    expect(build.stderr).toBe("");
    const plain = await runCli(["sim", "b", "--pcap", "in.pcap"], dir);
    const traced = await runCli(["sim", "b", "--pcap", "in.pcap", "--vcd", "trace.vcd"], dir);
    expect(traced.code, traced.stderr).toBe(0);
    expect(traced.stdout).toBe(plain.stdout);
    expect(plain.stdout).toMatch(/packet 1: 60 bytes in, 58 out, r0=0x3, XDP_TX/);
    const vcd = readFileSync(join(dir, "trace.vcd"), "utf8");
    expect(vcd).toMatch(/^\$version/m);
    for (const signal of ["clk", "start", "done", "pkt_data", "pkt_end", "rx_valid", "tx_valid", "tx_data", "cycles", "retired"]) {
      expect(vcd, signal).toMatch(new RegExp(`\\$var wire +\\d+ \\S+ ${signal}(?: \\[\\d+:\\d+\\])? \\$end`));
    }
    expect(vcd).toMatch(/\$scope module core \$end/);
    expect(vcd).toMatch(/^#\d+$/m);
    // two configurations, each cached under its own hash
    expect(engineHash(true)).not.toBe(engineHash());
    const cached = readdirSync(join(ENGINE_ROOT, ".cache/fpga"));
    expect(cached).toContain(engineHash(true));
    expect(existsSync(join(ENGINE_ROOT, ".cache/fpga", engineHash(), "Vbpf_engine_tb"))).toBe(true);
  });
});
