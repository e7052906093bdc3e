// `bpfoff map ...` run in-process, as a user would type it.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../support/cli.js";
import { parseHexBytes } from "../../../cli/hex.js";

let cwd = "";
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "bpfoff-map-"));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(["map", ...argv], cwd);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

async function ok(...argv: string[]): Promise<string> {
  const r = await run(...argv);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  return r.out;
}

/** Exit 1, exactly one `bpfoff: error:` line, nothing on stdout. */
async function bad(...argv: string[]): Promise<string> {
  const r = await run(...argv);
  expect(r.code).toBe(1);
  expect(r.out).toBe("");
  expect(r.err).toMatch(/^bpfoff: error: [^\n]*\n$/);
  return r.err;
}

const image = () => readFileSync(join(cwd, "m.img"));

describe("bpfoff map (hash)", () => {
  beforeEach(async () => {
    await ok("create", "m.img", "--type", "hash", "--key-size", "4", "--value-size", "8", "--max-entries", "2", "--name", "flows");
  });

  it("creates an empty image and dumps it", async () => {
    expect(image().subarray(0, 8).toString("latin1")).toBe("BPFOFFMI");
    expect(await ok("dump", "m.img")).toBe("Found 0 elements\n");
    expect(await ok("dump", "m.img", "--json")).toBe("[]\n");
  });

  it("updates, looks up, dumps and deletes, in every hex spelling", async () => {
    expect(await ok("update", "m.img", "--key", "0a 00 00 00", "--value", "0100000000000000")).toBe("");
    expect(await ok("update", "m.img", "--key", "0x0b,0x00,0x00,0x00", "--value", "02 00 00 00 00 00 00 00")).toBe("");
    expect(await ok("lookup", "m.img", "--key", "0a000000")).toBe("key: 0a 00 00 00  value: 01 00 00 00 00 00 00 00\n");
    expect(await ok("dump", "m.img")).toBe("key: 0a 00 00 00  value: 01 00 00 00 00 00 00 00\nkey: 0b 00 00 00  value: 02 00 00 00 00 00 00 00\nFound 2 elements\n");
    expect(await ok("dump", "m.img", "--json")).toBe(
      '[\n  {\n    "key": ["0x0a", "0x00", "0x00", "0x00"],\n    "value": ["0x01", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00"]\n  },\n' +
        '  {\n    "key": ["0x0b", "0x00", "0x00", "0x00"],\n    "value": ["0x02", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00"]\n  }\n]\n',
    );
    await ok("delete", "m.img", "--key", "0a 00 00 00");
    expect(await ok("dump", "m.img")).toBe("key: 0b 00 00 00  value: 02 00 00 00 00 00 00 00\nFound 1 element\n");
  });

  it("fails lookups of absent keys with 'key not found'", async () => {
    expect(await bad("lookup", "m.img", "--key", "0a 00 00 00")).toBe("bpfoff: error: m.img: map 'flows', key 0a 00 00 00: key not found\n");
    expect(await bad("delete", "m.img", "--key", "0a 00 00 00")).toBe("bpfoff: error: m.img: map 'flows': delete failed: -ENOENT (No such file or directory): key not found\n");
  });

  it("applies the update flags and leaves the image untouched on failure", async () => {
    await ok("update", "m.img", "--key", "01000000", "--value", "0000000000000000", "--flags", "noexist");
    const before = image();
    expect(await bad("update", "m.img", "--key", "01000000", "--value", "0000000000000000", "--flags", "noexist")).toMatch(/update failed: -EEXIST \(File exists\): the key already exists/);
    expect(await bad("update", "m.img", "--key", "02000000", "--value", "0000000000000000", "--flags", "exist")).toMatch(/-ENOENT/);
    await ok("update", "m.img", "--key", "02000000", "--value", "0000000000000000");
    expect(await bad("update", "m.img", "--key", "03000000", "--value", "0000000000000000")).toMatch(/-E2BIG .*the map is full/);
    expect(await bad("update", "m.img", "--key", "03000000", "--value", "00", "--flags", "maybe")).toMatch(/--flags must be any, noexist or exist/);
    expect(image().length).toBeGreaterThan(before.length);
    expect(readdirSync(cwd)).toEqual(["m.img"]); // no temporary files left behind
  });

  it("reports bad input in one line and never writes", async () => {
    const before = image();
    expect(await bad("update", "m.img", "--key", "0a 00 00", "--value", "00")).toBe("bpfoff: error: --key has 3 bytes, but map 'flows' has 4-byte keys\n");
    expect(await bad("update", "m.img", "--key", "zz", "--value", "00")).toMatch(/--key: 'zz' is not a byte string/);
    expect(await bad("update", "m.img", "--key", "0x0a00", "--value", "00")).toMatch(/'0x0a00' is not a byte string/);
    expect(await bad("update", "m.img", "--key", "0a0", "--value", "00")).toMatch(/'0a0' is not a byte string/);
    expect(await bad("update", "m.img", "--key", "0a000000", "--value", "0000000000000000", "--mask", "ff", "--priority", "1")).toMatch(/--mask and --priority are for tcam maps/);
    expect(await bad("update", "m.img", "--key", "0a000000")).toMatch(/required option '--value <hex>'/);
    expect(await bad("lookup", "nope.img", "--key", "00")).toBe("bpfoff: error: nope.img: cannot read nope.img: ENOENT\n");
    expect(image().equals(before)).toBe(true);
  });

  it("refuses to overwrite an image unless forced", async () => {
    expect(await bad("create", "m.img", "--type", "hash", "--key-size", "4", "--value-size", "8", "--max-entries", "2")).toMatch(/file exists \(use --force/);
    await ok("create", "m.img", "--type", "array", "--key-size", "4", "--value-size", "1", "--max-entries", "2", "--force");
    expect(await ok("dump", "m.img")).toBe("key: 00 00 00 00  value: 00\nkey: 01 00 00 00  value: 00\nFound 2 elements\n");
  });

  it("rejects a damaged image with the file and offset", async () => {
    const b = image();
    b[70] ^= 0xff; // inside the name field
    writeFileSync(join(cwd, "m.img"), b);
    expect(await bad("dump", "m.img")).toMatch(/^bpfoff: error: m\.img: byte offset 12 \(0xc\): checksum mismatch/);
  });
});

describe("bpfoff map create", () => {
  it("rejects bad definitions without writing a file", async () => {
    expect(await bad("create", "a.img", "--type", "array", "--key-size", "8", "--value-size", "4", "--max-entries", "4")).toBe("bpfoff: error: a.img: map 'a' (array): key size must be 4 (it is 8)\n");
    expect(await bad("create", "a.img", "--type", "btree", "--key-size", "4", "--value-size", "4", "--max-entries", "4")).toMatch(/--type must be one of hash, array/);
    expect(await bad("create", "a.img", "--type", "hash", "--key-size", "four", "--value-size", "4", "--max-entries", "4")).toMatch(/--key-size must be an integer/);
    expect(await bad("create", "a.img", "--type", "hash", "--key-size", "4", "--value-size", "4")).toMatch(/required option '--max-entries <n>'/);
    expect(existsSync(join(cwd, "a.img"))).toBe(false);
  });

  // Kernel object names allow only [A-Za-z0-9_.] (kernel/bpf/syscall.c bpf_obj_name_cpy).
  it("names the map after the file, and gives lpm_trie BPF_F_NO_PREALLOC", async () => {
    await ok("create", "routes-v4.img", "--type", "lpm_trie", "--key-size", "8", "--value-size", "4", "--max-entries", "16");
    await ok("update", "routes-v4.img", "--key", "18000000 0a0102ff", "--value", "01000000");
    expect(await ok("lookup", "routes-v4.img", "--key", "20000000 0a010203")).toBe("key: 20 00 00 00 0a 01 02 03  value: 01 00 00 00\n");
    expect(await ok("dump", "routes-v4.img")).toBe("key: 18 00 00 00 0a 01 02 00  value: 01 00 00 00\nFound 1 element\n");
    expect(await bad("lookup", "routes-v4.img", "--key", "20000000 0a010303")).toMatch(/map 'routes_v4', key .*: key not found/);
    expect(await bad("update", "routes-v4.img", "--key", "21000000 0a010203", "--value", "01000000")).toMatch(/-EINVAL .*prefix length is longer/);
  });
});

describe("bpfoff map on arrays and tcams", () => {
  it("explains that array entries cannot be deleted", async () => {
    await ok("create", "a.img", "--type", "array", "--key-size", "4", "--value-size", "4", "--max-entries", "2");
    await ok("update", "a.img", "--key", "01 00 00 00", "--value", "2a 00 00 00");
    expect(await ok("lookup", "a.img", "--key", "01 00 00 00")).toBe("key: 01 00 00 00  value: 2a 00 00 00\n");
    expect(await bad("delete", "a.img", "--key", "01 00 00 00")).toMatch(/-EINVAL \(Invalid argument\): array entries are preallocated/);
    expect(await bad("update", "a.img", "--key", "02 00 00 00", "--value", "00000000")).toMatch(/-E2BIG/);
    expect(await bad("lookup", "a.img", "--key", "02 00 00 00")).toMatch(/key not found/);
  });

  it("inserts, matches, dumps and removes tcam entries", async () => {
    await ok("create", "t.img", "--type", "tcam", "--key-size", "2", "--value-size", "1", "--max-entries", "4", "--name", "acl");
    expect(await bad("update", "t.img", "--key", "0a00", "--value", "01")).toMatch(/map 'acl' is a tcam: give --mask and --priority/);
    await ok("update", "t.img", "--key", "0a00", "--mask", "ff00", "--priority", "1", "--value", "01");
    await ok("update", "t.img", "--key", "0a01", "--mask", "ffff", "--priority", "9", "--value", "02");
    expect(await ok("lookup", "t.img", "--key", "0a01")).toBe("key: 0a 01  value: 02\n");
    expect(await ok("lookup", "t.img", "--key", "0a7f")).toBe("key: 0a 7f  value: 01\n");
    expect(await ok("dump", "t.img")).toBe("key: 0a 01  mask: ff ff  priority: 9  value: 02\nkey: 0a 00  mask: ff 00  priority: 1  value: 01\nFound 2 elements\n");
    expect(await ok("dump", "t.img", "--json")).toContain('"mask": ["0xff", "0xff"],\n    "priority": 9');
    expect(await bad("delete", "t.img", "--key", "0a01", "--mask", "ffff", "--priority", "8")).toMatch(/-ENOENT/);
    await ok("delete", "t.img", "--key", "0a01", "--mask", "ffff", "--priority", "9");
    expect(await ok("lookup", "t.img", "--key", "0a01")).toBe("key: 0a 01  value: 01\n");
  });
});

describe("hex byte strings", () => {
  const rows: [string, string][] = [
    ["0a 00 00 00", "0a000000"],
    ["0a000000", "0a000000"],
    ["0x0a,0x00", "0a00"],
    ["0x0a, 0x0", "0a00"],
    ["a b", "0a0b"],
    ["0A0B 0c", "0a0b0c"],
  ];
  for (const [text, hex] of rows)
    it(text, () => {
      expect(Buffer.from(parseHexBytes(text, "--key")).toString("hex")).toBe(hex);
    });
  for (const text of ["", " , ", "0x", "0x123", "abc", "0g"])
    it(`rejects '${text}'`, () => {
      expect(() => parseHexBytes(text, "--key")).toThrow(/--key/);
    });
});
