// The CLI contract of issue 2, in-process (main(argv, io)): outputs, exit codes, one-line
// errors with locations, and no partial output files.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writePcap } from "../../runtime/packet/pcap.js";
import { runCli } from "../support/cli.js";

const cli = runCli;

function workdir(files: Record<string, string | Uint8Array> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-cli-"));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
}

const SUM = "ldxw %r0, [%r1]\nldxw %r2, [%r1+4]\nadd %r0, %r2\ncall local double\nexit\ndouble:\nlsh %r0, 1\nexit\n";

describe("bpfoff --help", () => {
  it("lists the environment variables bpfoff reads", async () => {
    const r = await cli(["--help"], workdir());
    expect(r.code).toBe(0);
    for (const name of ["BPFOFF_FPGA_LANES", "BPFOFF_FPGA_FUSIONS", "BPFOFF_FPGA_PASSES", "BPFOFF_DEBUG"]) expect(r.stdout).toContain(`  ${name} `);
    expect(r.stdout).toContain("ctx_read, ldx_wide, jcc_add, copy_wide");
    expect(r.stdout).toContain("rename, tail_dup");
  });
});

describe("bpfoff run (raw program)", () => {
  it("prints r0 in hex on the last line", async () => {
    const dir = workdir({ "sum.s": SUM });
    const r = await cli(["run", "sum.s", "--mem", "01 00 00 00 02 00 00 00"], dir);
    expect(r).toEqual({ code: 0, stdout: "0x6\n", stderr: "" });
  });
  it("without --mem, r1 and r2 are 0", async () => {
    const dir = workdir({ "len.s": "mov %r0, %r2\nadd %r0, %r1\nexit\n" });
    expect((await cli(["run", "len.s"], dir)).stdout).toBe("0x0\n");
  });
  it("a runtime fault is one error line with the instruction index, exit 1", async () => {
    const dir = workdir({ "sum.s": SUM });
    const r = await cli(["run", "sum.s"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^bpfoff: error: instruction 0: 4-byte load at address 0x0 is outside every memory region\n/);
  });
});

describe("bpfoff asm and disasm", () => {
  it("assemble to ELF, disassemble, re-assemble: the same bytes", async () => {
    const dir = workdir({ "sum.s": SUM });
    expect((await cli(["asm", "sum.s", "-o", "sum.o"], dir)).code).toBe(0);
    const text = await cli(["disasm", "sum.o"], dir);
    expect(text.code).toBe(0);
    writeFileSync(join(dir, "again.s"), text.stdout);
    expect((await cli(["asm", "again.s", "-o", "again.bin", "--raw"], dir)).code).toBe(0);
    expect((await cli(["asm", "sum.s", "-o", "sum.bin", "--raw"], dir)).code).toBe(0);
    expect(readFileSync(join(dir, "again.bin"))).toEqual(readFileSync(join(dir, "sum.bin")));
    expect((await cli(["run", "sum.o", "--mem", "03 00 00 00 04 00 00 00"], dir)).stdout).toBe("0xe\n");
  });
  it("disasm --syntax llvm prints llvm-objdump's syntax", async () => {
    const dir = workdir({ "p.s": "ldxh %r0, [%r1+2]\nexit\n" });
    await cli(["asm", "p.s", "-o", "p.o"], dir);
    expect((await cli(["disasm", "p.o", "--syntax", "llvm"], dir)).stdout).toContain("w0 = *(u16 *)(r1 + 2)\nexit\n");
  });
  it("assembler errors carry file:line:col, a caret line, and leave no output", async () => {
    const dir = workdir({ "bad.s": "mov %r0, 1\nmov %r0, %r50\nexit\n" });
    const r = await cli(["asm", "bad.s", "-o", "bad.o"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("bpfoff: error: bad.s:2:10: Invalid register '%r50'\n  mov %r0, %r50\n           ^~~~\n");
    expect(existsSync(join(dir, "bad.o"))).toBe(false);
  });
  it("a truncated object is a one-line ELF error, never a stack trace", async () => {
    const dir = workdir({ "sum.s": SUM });
    await cli(["asm", "sum.s", "-o", "sum.o"], dir);
    writeFileSync(join(dir, "cut.o"), readFileSync(join(dir, "sum.o")).subarray(0, 100));
    const r = await cli(["disasm", "cut.o"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bpfoff: error: cut\.o: .+\n$/);
  });
  it("a missing input file", async () => {
    const r = await cli(["run", "nope.s"], workdir());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bpfoff: error: .*nope\.s: cannot read .*ENOENT\n$/);
  });
  it("an unknown option is one line", async () => {
    const r = await cli(["run", "x.s", "--memm", "00"], workdir());
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^bpfoff: error: unknown option '--memm'/);
  });
});

describe("bpfoff run --pcap", () => {
  const pcap = (frames: Uint8Array[]) => writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: frames.map((data, i) => ({ tsSec: i, tsFrac: 0, origLen: data.length, data })) });
  // Drops packets whose first byte is 0xff; counts every packet in an array map.
  const PROG = `.map stats array key=4 value=8 entries=1
mov %r6, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(stats)
call 1
jeq %r0, 0, out
mov %r1, 1
lock add [%r0+0], %r1
ldxw %r2, [%r6+0]
ldxb %r3, [%r2+0]
mov %r0, 1
jeq %r3, 0xff, out
mov %r0, 2
out:
exit
`;
  it("one line per packet ending in the verdict; --out and --maps-out written", async () => {
    const dir = workdir({ "p.s": PROG, "in.pcap": pcap([new Uint8Array(60).fill(1), new Uint8Array(60).fill(0xff), new Uint8Array(42)]) });
    const r = await cli(["run", "p.s", "--pcap", "in.pcap", "--out", "out.pcap", "--maps-out", "maps.json"], dir);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe([
      "packet 1: 60 bytes in, 60 out, r0=0x2, XDP_PASS",
      "packet 2: 60 bytes in, 60 out, r0=0x1, XDP_DROP",
      "packet 3: 42 bytes in, 42 out, r0=0x2, XDP_PASS",
      "",
    ].join("\n"));
    expect(JSON.parse(readFileSync(join(dir, "maps.json"), "utf8"))).toEqual({ stats: [{ key: ["0x00", "0x00", "0x00", "0x00"], value: ["0x03", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00"] }] });
    expect(readFileSync(join(dir, "out.pcap")).length).toBe(readFileSync(join(dir, "in.pcap")).length);
  });
  it("--maps-in seeds the maps", async () => {
    const dir = workdir({ "p.s": PROG, "in.pcap": pcap([new Uint8Array(60)]), "m.json": JSON.stringify({ stats: [{ key: ["0x00", "0x00", "0x00", "0x00"], value: ["0x09", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00"] }] }) });
    await cli(["run", "p.s", "--pcap", "in.pcap", "--maps-in", "m.json", "--maps-out", "m2.json"], dir);
    expect(JSON.parse(readFileSync(join(dir, "m2.json"), "utf8")).stats[0].value[0]).toBe("0x0a");
  });
  it("a fault in a later packet writes no output file at all", async () => {
    // Reads byte 50: fine for 60-byte frames, out of bounds for the 42-byte one.
    const dir = workdir({ "p.s": "ldxw %r2, [%r1+0]\nldxb %r0, [%r2+50]\nmov %r0, 2\nexit\n", "in.pcap": pcap([new Uint8Array(60), new Uint8Array(42)]) });
    const r = await cli(["run", "p.s", "--pcap", "in.pcap", "--out", "out.pcap", "--maps-out", "m.json"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bpfoff: error: instruction 1: 1-byte load at address 0x[0-9a-f]+ is outside every memory region/);
    expect(readdirSync(dir).sort()).toEqual(["in.pcap", "p.s"]);
  });
  it("a malformed pcap is one error line naming the file", async () => {
    const dir = workdir({ "p.s": "mov %r0, 2\nexit\n", "in.pcap": Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0) });
    const r = await cli(["run", "p.s", "--pcap", "in.pcap"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bpfoff: error: in\.pcap: .*byte/);
  });
  it("--mem and --pcap exclude each other", async () => {
    const r = await cli(["run", "p.s", "--pcap", "x", "--mem", "00"], workdir({ "p.s": "exit\n" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exclude each other/);
  });
});
