// The CLI's error hygiene, row by row (the rule of issue 2): bad input of every kind, for
// every command, gets exit 1, a `bpfoff: error:` line with a recognisable reason, no stack
// trace, and leaves the folder exactly as it was (no half-written output, no temporary
// files). Rows are data: command line, expected message fragment; the fixtures they read
// are made once, and every row runs in the same folder, which is compared file by file
// (names and bytes) before and after.
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { expectCleanError, makeFixtures, snapshot } from "../support/bad-inputs.js";

interface Row {
  /** What is wrong, as the test's name. */
  readonly what: string;
  readonly argv: readonly string[];
  /** A fragment of the expected diagnostic. */
  readonly message: string | RegExp;
}

/**
 * The rows, by command. Output paths named here (out/, x.o, ...) must not exist after the
 * row: the folder snapshot catches any file left behind.
 */
const ROWS: Readonly<Record<string, readonly Row[]>> = {
  general: [
    { what: "unknown command", argv: ["frobnicate"], message: "unknown command 'frobnicate'" },
    { what: "unknown flag", argv: ["run", "prog.s", "--nosuch"], message: "unknown option '--nosuch'" },
    { what: "missing argument", argv: ["run"], message: "missing required argument 'file'" },
  ],
  run: [
    { what: "missing file", argv: ["run", "nope.s"], message: /^bpfoff: error: nope\.s: cannot read nope\.s: ENOENT\n$/ },
    { what: "directory instead of file", argv: ["run", "adir"], message: /adir.*EISDIR/ },
    { what: "empty ELF", argv: ["run", "empty.o"], message: "empty.o" },
    { what: "truncated ELF", argv: ["run", "trunc.o"], message: "trunc.o" },
    { what: "ELF section headers past the end", argv: ["run", "shoff.o"], message: "shoff.o" },
    { what: "ELF bad e_shstrndx", argv: ["run", "strndx.o"], message: "strndx.o" },
    { what: "not an ELF at all", argv: ["run", "garbage.o"], message: "garbage.o" },
    { what: "ELF without a program", argv: ["run", "noprog.o"], message: "noprog.o: the object holds no program" },
    { what: "empty C file", argv: ["run", "empty.c"], message: "empty.c" },
    { what: "empty P4 file", argv: ["run", "empty.p4"], message: "empty.p4" },
    { what: "pcap with a bad magic", argv: ["run", "prog.s", "--pcap", "magic.pcap"], message: /magic\.pcap.*magic number/ },
    { what: "truncated pcap", argv: ["run", "prog.s", "--pcap", "trunc.pcap", "--out", "out.pcap"], message: "trunc.pcap" },
    { what: "corrupt pcapng", argv: ["run", "prog.s", "--pcap", "bad.pcapng"], message: "bad.pcapng" },
    { what: "empty pcap", argv: ["run", "prog.s", "--pcap", "empty.pcap"], message: "empty.pcap" },
    { what: "missing pcap", argv: ["run", "prog.s", "--pcap", "nope.pcap"], message: /nope\.pcap.*ENOENT/ },
    { what: "--maps-in bad JSON", argv: ["run", "prog.s", "--maps-in", "bad.json"], message: "bad.json" },
    { what: "--maps-in bad JSON, line:col", argv: ["run", "prog.s", "--maps-in", "bad2.json"], message: /^bpfoff: error: bad2\.json:3:17: invalid JSON: Expected double-quoted property name\n {6}\{ "key": 1, \}\n {18}\^\n$/ },
    { what: "--maps-in unexpected token, one line", argv: ["run", "prog.s", "--maps-in", "token.json"], message: /^bpfoff: error: token\.json(:2:13)?: invalid JSON: Unexpected token 'x'\n/ },
    { what: "--maps-in wrong shape", argv: ["run", "prog.s", "--maps-in", "shape.json"], message: "shape.json" },
    { what: "--maps-in unknown map", argv: ["run", "prog.s", "--maps-in", "nomap.json"], message: /nomap\.json.*nosuchmap/ },
    { what: "--maps-in an array", argv: ["run", "prog.s", "--maps-in", "array.json"], message: "array.json" },
    { what: "--entries bad JSON", argv: ["run", "router.p4", "--pcap", "good.pcap", "--entries", "bad.json"], message: /^bpfoff: error: bad\.json:1:13: bad\.json is not JSON: Unexpected end of JSON input\n/ },
    { what: "--entries unknown table", argv: ["run", "router.p4", "--pcap", "good.pcap", "--entries", "entries-shape.json"], message: /entries-shape\.json.*nosuch/ },
    { what: "--entries not a list", argv: ["run", "router.p4", "--pcap", "good.pcap", "--entries", "entries-type.json"], message: "entries-type.json" },
    { what: "unknown target", argv: ["run", "prog.s", "--target", "vax"], message: "target 'vax'" },
    { what: "--max-steps abc", argv: ["run", "prog.s", "--max-steps", "abc"], message: "--max-steps must be a non-negative integer" },
    { what: "--max-steps negative", argv: ["run", "prog.s", "--max-steps", "-5"], message: "--max-steps must be a non-negative integer" },
    { what: "--max-steps empty", argv: ["run", "prog.s", "--max-steps", ""], message: "--max-steps must be a non-negative integer, not ''" },
    { what: "--max-steps 1e3", argv: ["run", "prog.s", "--max-steps", "1e3"], message: "--max-steps must be a non-negative integer, not '1e3'" },
    { what: "--seed abc", argv: ["run", "prog.s", "--seed", "abc"], message: "--seed must be a non-negative integer" },
    { what: "--ifindex abc", argv: ["run", "prog.s", "--pcap", "good.pcap", "--ifindex", "abc"], message: "--ifindex must be a non-negative integer" },
    { what: "--mem not hex", argv: ["run", "prog.s", "--mem", "zz"], message: "--mem" },
    { what: "--out parent missing", argv: ["run", "prog.s", "--pcap", "good.pcap", "--out", "nodir/out.pcap"], message: /^bpfoff: error: nodir\/out\.pcap: cannot write nodir\/out\.pcap: ENOENT\n$/ },
    { what: "--out parent is a file", argv: ["run", "prog.s", "--pcap", "good.pcap", "--out", "afile/out.pcap"], message: /afile\/out\.pcap.*ENOTDIR/ },
    { what: "--out is a directory", argv: ["run", "prog.s", "--pcap", "good.pcap", "--out", "adir"], message: /adir/ },
    { what: "--maps-out parent missing", argv: ["run", "prog.s", "--pcap", "good.pcap", "--maps-out", "nodir/m.json"], message: /nodir\/m\.json.*ENOENT/ },
    { what: "--program unknown", argv: ["run", "prog.o", "--program", "nosuch"], message: "nosuch" },
  ],
  asm: [
    { what: "missing file", argv: ["asm", "nope.s", "-o", "x.o"], message: /nope\.s.*ENOENT/ },
    { what: "directory instead of file", argv: ["asm", "adir", "-o", "x.o"], message: /adir.*EISDIR/ },
    { what: "empty file", argv: ["asm", "empty.s", "-o", "x.o"], message: "empty.s" },
    { what: "binary input", argv: ["asm", "prog.o", "-o", "x.o"], message: "prog.o" },
    { what: "output parent missing", argv: ["asm", "prog.s", "-o", "nodir/x.o"], message: /nodir\/x\.o.*ENOENT/ },
    { what: "output parent is a file", argv: ["asm", "prog.s", "-o", "afile/x.o"], message: /afile\/x\.o.*ENOTDIR/ },
    { what: "output is a directory", argv: ["asm", "prog.s", "-o", "adir"], message: "adir" },
    { what: "unknown target", argv: ["asm", "prog.s", "-o", "x.o", "--target", "vax"], message: "--target must be bpf or npu, not 'vax'" },
    { what: "npu: BPF text is not microcode", argv: ["asm", "prog.s", "-o", "x.bin", "--target", "npu"], message: "prog.s" },
    { what: "missing -o", argv: ["asm", "prog.s"], message: "required option '-o, --output <file>' not specified" },
  ],
  disasm: [
    { what: "missing file", argv: ["disasm", "nope.o"], message: /nope\.o.*ENOENT/ },
    { what: "directory instead of file", argv: ["disasm", "adir"], message: /adir.*EISDIR/ },
    { what: "empty ELF", argv: ["disasm", "empty.o"], message: "empty.o" },
    { what: "truncated ELF", argv: ["disasm", "trunc.o"], message: "trunc.o" },
    { what: "ELF section headers past the end", argv: ["disasm", "shoff.o"], message: "shoff.o" },
    { what: "ELF bad e_shstrndx", argv: ["disasm", "strndx.o"], message: "strndx.o" },
    { what: "--raw, not a whole number of slots", argv: ["disasm", "--raw", "garbage.o"], message: "garbage.o" },
    { what: "--raw, empty", argv: ["disasm", "--raw", "empty.o"], message: "empty.o" },
    { what: "npu: corrupt image", argv: ["disasm", "--target", "npu", "garbage.o"], message: "garbage.o" },
    { what: "x86_64: missing blob", argv: ["disasm", "--target", "x86_64", "nope.bin"], message: /nope\.bin.*ENOENT/ },
    { what: "unknown target", argv: ["disasm", "prog.o", "--target", "vax"], message: "--target must be" },
    { what: "unknown syntax", argv: ["disasm", "prog.o", "--syntax", "att"], message: "--syntax must be ubpf or llvm" },
    { what: "--program unknown", argv: ["disasm", "prog.o", "--program", "nosuch"], message: "nosuch" },
    { what: "ELF without a program", argv: ["disasm", "noprog.o"], message: "noprog.o: the object holds no program" },
  ],
  ir: [
    { what: "missing file", argv: ["ir", "nope.s"], message: /nope\.s.*ENOENT/ },
    { what: "directory instead of file", argv: ["ir", "adir"], message: /adir.*EISDIR/ },
    { what: "truncated ELF", argv: ["ir", "trunc.o"], message: "trunc.o" },
    { what: "ELF section headers past the end", argv: ["ir", "shoff.o"], message: "shoff.o" },
    { what: "IR text with a syntax error", argv: ["ir", "bad.ir"], message: /bad\.ir:1:/ },
    { what: "unknown pass", argv: ["ir", "prog.s", "--passes", "nosuch"], message: "unknown pass 'nosuch'" },
    { what: "ELF without a program", argv: ["ir", "noprog.o"], message: "noprog.o: the object holds no program" },
    { what: "bad --type", argv: ["ir", "prog.s", "--type", "tc"], message: "--type must be xdp or raw" },
    { what: "empty C file", argv: ["ir", "empty.c"], message: "empty.c" },
  ],
  verify: [
    { what: "missing file", argv: ["verify", "nope.o"], message: /nope\.o.*ENOENT/ },
    { what: "directory instead of file", argv: ["verify", "adir"], message: /adir.*EISDIR/ },
    { what: "empty ELF", argv: ["verify", "empty.o"], message: "empty.o" },
    { what: "truncated ELF", argv: ["verify", "trunc.o"], message: "trunc.o" },
    { what: "ELF bad e_shstrndx", argv: ["verify", "strndx.o"], message: "strndx.o" },
    { what: "ELF without a program", argv: ["verify", "noprog.o"], message: "noprog.o: the object holds no program" },
    { what: "bad --type", argv: ["verify", "prog.s", "--type", "tc"], message: "--type must be one of xdp, raw" },
    { what: "--program unknown", argv: ["verify", "prog.o", "--program", "nosuch"], message: "nosuch" },
  ],
  build: [
    { what: "missing file", argv: ["build", "nope.s", "--target", "bpf", "-o", "out"], message: /nope\.s.*ENOENT/ },
    { what: "directory instead of file", argv: ["build", "adir", "--target", "bpf", "-o", "out"], message: /adir.*EISDIR/ },
    { what: "empty ELF", argv: ["build", "empty.o", "--target", "bpf", "-o", "out"], message: "empty.o" },
    { what: "truncated ELF", argv: ["build", "trunc.o", "--target", "fpga", "-o", "out"], message: "trunc.o" },
    { what: "ELF section headers past the end", argv: ["build", "shoff.o", "--target", "x86_64", "-o", "out"], message: "shoff.o" },
    { what: "ELF without a program", argv: ["build", "noprog.o", "--target", "fpga", "-o", "out"], message: "noprog.o: the object holds no program" },
    { what: "empty P4 file", argv: ["build", "empty.p4", "--target", "npu", "-o", "out"], message: "empty.p4" },
    { what: "unknown target", argv: ["build", "prog.s", "--target", "vax", "-o", "out"], message: "vax" },
    { what: "missing --target", argv: ["build", "prog.s", "-o", "out"], message: "required option '--target <target>' not specified" },
    { what: "bad --type", argv: ["build", "prog.s", "--target", "arm64", "--type", "tc", "-o", "out"], message: "--type must be xdp or raw" },
    { what: "output parent missing", argv: ["build", "prog.s", "--target", "bpf", "-o", "nodir/out"], message: /^bpfoff: error: cannot write bundle nodir\/out: ENOENT\n$/ },
    { what: "output parent is a file", argv: ["build", "prog.s", "--target", "bpf", "-o", "afile/out"], message: /afile\/out.*ENOTDIR/ },
    { what: "a failed build keeps the old bundle", argv: ["build", "trunc.o", "--target", "bpf", "-o", "bundle"], message: "trunc.o" },
    { what: "output is a file", argv: ["build", "prog.s", "--target", "bpf", "-o", "afile"], message: "not a folder" },
    { what: "output is a folder that is not a bundle", argv: ["build", "prog.s", "--target", "bpf", "-o", "nomanifest"], message: "not a bpfoff bundle" },
    { what: "--check against a missing folder", argv: ["build", "prog.s", "--target", "bpf", "--check", "-o", "nodir"], message: "nodir (it does not exist) differs from the build in 6 files" },
    { what: "--check against a file", argv: ["build", "prog.s", "--target", "bpf", "--check", "-o", "afile"], message: "afile (it is a file, not a bundle folder) differs" },
    { what: "--entries bad JSON", argv: ["build", "router.p4", "--target", "bpf", "--entries", "bad.json", "-o", "out"], message: "bad.json" },
    { what: "--entries missing", argv: ["build", "router.p4", "--target", "bpf", "--entries", "nope.json", "-o", "out"], message: /nope\.json.*ENOENT/ },
    { what: "--entries unknown table", argv: ["build", "router.p4", "--target", "npu", "--entries", "entries-shape.json", "-o", "out"], message: "nosuch" },
    { what: "--synth without fpga", argv: ["build", "prog.s", "--target", "bpf", "--synth", "-o", "out"], message: "--synth goes with --target fpga" },
  ],
  sim: [
    { what: "missing bundle", argv: ["sim", "nodir", "--pcap", "good.pcap"], message: "nodir: not a bpfoff bundle: no such folder" },
    { what: "a file instead of a bundle", argv: ["sim", "afile", "--pcap", "good.pcap"], message: "afile: not a bpfoff bundle: it is a file" },
    { what: "bundle without manifest.json", argv: ["sim", "nomanifest", "--pcap", "good.pcap"], message: "nomanifest: not a bpfoff bundle: it has no manifest.json" },
    { what: "manifest.json not JSON", argv: ["sim", "badmanifest", "--pcap", "good.pcap"], message: /^bpfoff: error: badmanifest\/manifest\.json:1:\d+: badmanifest: not a bpfoff bundle: manifest.json is not JSON/ },
    { what: "manifest.json empty object", argv: ["sim", "emptymanifest", "--pcap", "good.pcap"], message: /emptymanifest\/manifest\.json: emptymanifest: not a bpfoff bundle: manifest.json does not match the manifest schema[^]*note: \/ must have required property 'target'/ },
    { what: "manifest.json an array", argv: ["sim", "arraymanifest", "--pcap", "good.pcap"], message: "arraymanifest/manifest.json: arraymanifest: not a bpfoff bundle: manifest.json does not match the manifest schema (1 problem)" },
    { what: "corrupt map image", argv: ["sim", "badimage", "--pcap", "good.pcap"], message: /badimage\/maps\/hits\.img/ },
    { what: "missing map image", argv: ["sim", "noimage", "--pcap", "good.pcap"], message: "bpfoff: error: noimage/maps/hits.img: cannot read noimage/maps/hits.img: ENOENT" },
    { what: "corrupt microcode image", argv: ["sim", "badcode", "--pcap", "good.pcap"], message: "badcode/" },
    { what: "corrupt descriptor", argv: ["sim", "baddesc", "--pcap", "good.pcap"], message: "baddesc/" },
    { what: "a bpf bundle has no simulator", argv: ["sim", "bundle", "--pcap", "good.pcap"], message: "no simulator" },
    { what: "corrupt pcap", argv: ["sim", "npu", "--pcap", "magic.pcap", "--out", "out.pcap"], message: "magic.pcap" },
    { what: "corrupt pcapng", argv: ["sim", "npu", "--pcap", "bad.pcapng"], message: "bad.pcapng" },
    { what: "--threads abc", argv: ["sim", "npu", "--pcap", "good.pcap", "--threads", "abc"], message: "--threads must be an integer from 1 to 8" },
    { what: "--threads negative", argv: ["sim", "npu", "--pcap", "good.pcap", "--threads", "-1"], message: "--threads must be an integer from 1 to 8" },
    { what: "--threads empty", argv: ["sim", "npu", "--pcap", "good.pcap", "--threads", " "], message: "--threads must be an integer from 1 to 8" },
    { what: "--ifindex empty", argv: ["sim", "npu", "--pcap", "good.pcap", "--ifindex", ""], message: "--ifindex must be a non-negative integer" },
    { what: "--engines 0", argv: ["sim", "npu", "--pcap", "good.pcap", "--engines", "0"], message: "--engines must be an integer" },
    { what: "--max-steps abc", argv: ["sim", "npu", "--pcap", "good.pcap", "--max-steps", "abc"], message: "--max-steps must be a non-negative integer" },
    { what: "--maps-in bad JSON", argv: ["sim", "npu", "--pcap", "good.pcap", "--maps-in", "bad.json"], message: "bad.json" },
    { what: "--out parent missing", argv: ["sim", "npu", "--pcap", "good.pcap", "--out", "nodir/o.pcap"], message: /^bpfoff: error: .*nodir\/o\.pcap.*ENOENT\n$/ },
    { what: "--maps-out parent is a file", argv: ["sim", "npu", "--pcap", "good.pcap", "--maps-out", "afile/m.json"], message: /^bpfoff: error: .*afile\/m\.json.*ENOTDIR\n$/ },
    { what: "--vcd into a folder", argv: ["sim", "npu", "--pcap", "good.pcap", "--vcd", "adir"], message: /^bpfoff: error: .*adir.*EISDIR\n$/ },
    { what: "--vcd on an npu bundle", argv: ["sim", "npu", "--pcap", "good.pcap", "--vcd", "w.vcd"], message: "--vcd writes the FPGA engine's waveform" },
  ],
  test: [
    { what: "missing file", argv: ["test", "nope.p4", "--stf", "router.stf"], message: /nope\.p4.*ENOENT/ },
    { what: "directory instead of file", argv: ["test", "adir", "--stf", "router.stf"], message: "adir" },
    { what: "not a P4 file", argv: ["test", "prog.s", "--stf", "router.stf"], message: "prog.s" },
    { what: "missing STF", argv: ["test", "router.p4", "--stf", "nope.stf"], message: /nope\.stf.*ENOENT/ },
    { what: "STF syntax error", argv: ["test", "router.p4", "--stf", "bad.stf"], message: /bad\.stf:1:/ },
    { what: "STF unknown command", argv: ["test", "router.p4", "--stf", "verb.stf"], message: /verb\.stf:1:/ },
    { what: "STF is binary", argv: ["test", "router.p4", "--stf", "prog.o"], message: "prog.o" },
    { what: "--entries bad JSON", argv: ["test", "router.p4", "--stf", "router.stf", "--entries", "bad.json"], message: "bad.json" },
    { what: "unknown target", argv: ["test", "router.p4", "--stf", "router.stf", "--target", "vax"], message: "target 'vax'" },
  ],
  "map create": [
    { what: "negative key size", argv: ["map", "create", "n.img", "--type", "hash", "--key-size", "-4", "--value-size", "8", "--max-entries", "4"], message: "--key-size must be an integer" },
    { what: "key size abc", argv: ["map", "create", "n.img", "--type", "hash", "--key-size", "abc", "--value-size", "8", "--max-entries", "4"], message: "--key-size must be an integer" },
    { what: "zero key size", argv: ["map", "create", "n.img", "--type", "hash", "--key-size", "0", "--value-size", "8", "--max-entries", "4"], message: "key" },
    { what: "huge max entries", argv: ["map", "create", "n.img", "--type", "array", "--key-size", "4", "--value-size", "8", "--max-entries", "99999999999"], message: "--max-entries must be an integer" },
    { what: "unknown kind", argv: ["map", "create", "n.img", "--type", "btree", "--key-size", "4", "--value-size", "8", "--max-entries", "4"], message: "--type must be one of" },
    { what: "image exists", argv: ["map", "create", "m.img", "--type", "hash", "--key-size", "4", "--value-size", "8", "--max-entries", "4"], message: "file exists" },
    { what: "parent missing", argv: ["map", "create", "nodir/n.img", "--type", "hash", "--key-size", "4", "--value-size", "8", "--max-entries", "4"], message: /nodir\/n\.img.*ENOENT/ },
    { what: "parent is a file", argv: ["map", "create", "afile/n.img", "--type", "hash", "--key-size", "4", "--value-size", "8", "--max-entries", "4"], message: /afile\/n\.img.*ENOTDIR/ },
    { what: "bad --flags", argv: ["map", "create", "n.img", "--type", "hash", "--key-size", "4", "--value-size", "8", "--max-entries", "4", "--flags", "x"], message: "--flags must be an integer" },
  ],
  "map update": [
    { what: "missing image", argv: ["map", "update", "nope.img", "--key", "00000000", "--value", "0000000000000000"], message: /nope\.img.*ENOENT/ },
    { what: "directory instead of image", argv: ["map", "update", "adir", "--key", "00000000", "--value", "0000000000000000"], message: /adir.*EISDIR/ },
    { what: "empty image", argv: ["map", "update", "empty.img", "--key", "00000000", "--value", "0000000000000000"], message: "empty.img" },
    { what: "truncated image", argv: ["map", "update", "trunc.img", "--key", "00000000", "--value", "0000000000000000"], message: "trunc.img" },
    { what: "corrupt image", argv: ["map", "update", "garbage.img", "--key", "00000000", "--value", "0000000000000000"], message: "garbage.img" },
    { what: "key of the wrong size", argv: ["map", "update", "m.img", "--key", "0000", "--value", "0000000000000000"], message: "--key has 2 bytes, but map" },
    { what: "value not hex", argv: ["map", "update", "m.img", "--key", "00000000", "--value", "zz"], message: "--value" },
    { what: "value of the wrong size", argv: ["map", "update", "m.img", "--key", "00000000", "--value", "00"], message: "--value has 1 byte, but map" },
    { what: "bad --flags", argv: ["map", "update", "m.img", "--key", "00000000", "--value", "0000000000000000", "--flags", "sometimes"], message: "--flags must be any, noexist or exist" },
    { what: "--mask on a hash map", argv: ["map", "update", "m.img", "--key", "00000000", "--value", "0000000000000000", "--mask", "ff"], message: "--mask and --priority are for tcam maps" },
    { what: "update of a missing key with exist", argv: ["map", "update", "m.img", "--key", "00000000", "--value", "0000000000000000", "--flags", "exist"], message: "the key does not exist" },
  ],
  "map lookup": [
    { what: "key of the wrong size", argv: ["map", "lookup", "m.img", "--key", "00"], message: "--key has 1 byte, but map" },
    { what: "key not hex", argv: ["map", "lookup", "m.img", "--key", "0x0g"], message: "--key" },
    { what: "corrupt image", argv: ["map", "lookup", "garbage.img", "--key", "00000000"], message: "garbage.img" },
    { what: "key not found", argv: ["map", "lookup", "m.img", "--key", "01020304"], message: "key not found" },
  ],
  "map delete": [
    { what: "key of the wrong size", argv: ["map", "delete", "m.img", "--key", "000000"], message: "--key has 3 bytes, but map" },
    { what: "missing key", argv: ["map", "delete", "m.img", "--key", "01020304"], message: "key not found" },
    { what: "truncated image", argv: ["map", "delete", "trunc.img", "--key", "00000000"], message: "trunc.img" },
  ],
  "map dump": [
    { what: "missing image", argv: ["map", "dump", "nope.img"], message: /nope\.img.*ENOENT/ },
    { what: "directory instead of image", argv: ["map", "dump", "adir"], message: /adir.*EISDIR/ },
    { what: "corrupt image", argv: ["map", "dump", "garbage.img"], message: "garbage.img" },
    { what: "an ELF object is not an image", argv: ["map", "dump", "prog.o", "--json"], message: "prog.o" },
  ],
};

describe("bad input: exit 1, one clear error, no stack trace, nothing written", () => {
  let dir = "";
  let before: string[] = [];
  beforeAll(async () => {
    dir = await makeFixtures();
    before = snapshot(dir);
  }, 120_000);
  for (const [command, rows] of Object.entries(ROWS)) {
    describe(command, () => {
      it.each(rows.map((r) => [r.what, r] as const))("%s", async (_, row) => {
        const r = await runCli(row.argv, dir);
        expectCleanError(r, row.message);
        expect(snapshot(dir), "the folder changed").toEqual(before);
      });
    });
  }
});
