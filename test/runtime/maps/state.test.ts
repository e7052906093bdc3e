// Map state as bpftool JSON: the --maps-in/--maps-out file.
import { describe, it, expect } from "vitest";
import { UPDATE_FLAGS } from "../../../runtime/maps/def.js";
import { createMap, isTcam, type BpfMap } from "../../../runtime/maps/index.js";
import { formatMapsState, loadMapState, loadMapsState, mapStateToJson } from "../../../runtime/maps/state.js";
import { bytes, def, hex, u32, u64 } from "./helpers.js";

const { ANY } = UPDATE_FLAGS;

function maps(): BpfMap[] {
  const counters = createMap(def("array", 4, 8, 2, 0, "counters"));
  counters.update(u32(1), u64(258), ANY);
  const flows = createMap(def("hash", 2, 4, 4, 0, "flows"));
  flows.update(bytes(0xb, 0xb), u32(2), ANY);
  flows.update(bytes(0xa, 0xa), u32(1), ANY);
  const acl = createMap(def("tcam", 2, 1, 4, 0, "acl"));
  if (isTcam(acl)) acl.insert(bytes(0x0a, 0), bytes(0xff, 0), 7, bytes(1));
  return [counters, flows, acl];
}

const fresh = (ms: BpfMap[]) => ms.map((m) => createMap(m.def));

describe("map state JSON", () => {
  it("is bpftool's entry form", () => {
    expect(mapStateToJson(maps()[1]!)).toEqual([
      { key: ["0x0b", "0x0b"], value: ["0x02", "0x00", "0x00", "0x00"] },
      { key: ["0x0a", "0x0a"], value: ["0x01", "0x00", "0x00", "0x00"] },
    ]);
    expect(mapStateToJson(maps()[2]!)).toEqual([{ key: ["0x0a", "0x00"], value: ["0x01"], mask: ["0xff", "0x00"], priority: 7 }]);
  });

  it("writes every map, sorted by name, deterministically", () => {
    const text = formatMapsState(maps());
    expect(text).toBe(formatMapsState([...maps()].reverse()));
    expect(text.endsWith("}\n")).toBe(true);
    expect(Object.keys(JSON.parse(text))).toEqual(["acl", "counters", "flows"]);
    expect(text).toContain('      "key": ["0x0a", "0x00"],\n      "value": ["0x01"],\n      "mask": ["0xff", "0x00"],\n      "priority": 7\n');
    expect(formatMapsState([])).toBe("{}\n");
  });

  it("round-trips through a fresh set of maps", () => {
    const text = formatMapsState(maps());
    const again = fresh(maps());
    loadMapsState(again, text, "state.json");
    expect(formatMapsState(again)).toBe(text);
  });

  it("reads bpftool's per-CPU form, taking CPU 0", () => {
    const m = createMap(def("percpu_hash", 1, 1, 4, 0, "pc"));
    loadMapState(m, [{ key: ["0x01"], values: [{ cpu: 1, value: ["0x09"] }, { cpu: 0, value: ["0x05"] }] }], "s.json");
    expect(hex(m.lookup(bytes(1)))).toBe("05");
    expect(mapStateToJson(m)).toEqual([{ key: ["0x01"], value: ["0x05"] }]);
  });

  it("ignores bpftool's BTF \"formatted\" field and accepts plain numbers", () => {
    const m = createMap(def("hash", 1, 1, 4, 0, "h"));
    loadMapState(m, [{ key: [1], value: ["0x2"], formatted: { key: 1, value: 2 } }], "s.json");
    expect(hex(m.lookup(bytes(1)))).toBe("02");
  });

  const bad: [string, unknown, RegExp][] = [
    ["not an array", {}, /^map 'h': expected an array of entries/],
    ["entry not an object", [1], /^map 'h': entry 0: expected an object/],
    ["missing key", [{ value: ["0x01"] }], /^map 'h': entry 0: missing "key"/],
    ["wrong key size", [{ key: ["0x01", "0x02"], value: ["0x01"] }], /entry 0: "key" has 2 bytes, the map's keys are 1/],
    ["bad byte", [{ key: ["0x01"], value: ["0x100"] }], /entry 0: "value"\[0\] is "0x100", not a byte/],
    ["duplicate", [{ key: ["0x01"], value: ["0x01"] }, { key: ["0x01"], value: ["0x02"] }], /entry 1: duplicate key/],
    ["too many", Array.from({ length: 5 }, (_, i) => ({ key: [i], value: [0] })), /5 entries, but max entries is 4/],
    ["unknown field", [{ key: [1], value: [1], valu: [1] }], /entry 0: unknown field "valu"/],
    ["mask on a hash", [{ key: [1], value: [1], mask: [1], priority: 1 }], /"mask" and "priority" are for tcam maps/],
    ["values on a hash", [{ key: [1], values: [] }], /"values" \(per-CPU values\) on a hash map/],
  ];
  for (const [what, entries, msg] of bad)
    it(`rejects ${what}, naming file, map and entry`, () => {
      const m = createMap(def("hash", 1, 1, 4, 0, "h"));
      try {
        loadMapState(m, entries, "s.json");
        expect.unreachable();
      } catch (e) {
        const d = (e as { diagnostics: { loc: { file: string }; message: string }[] }).diagnostics[0]!;
        expect(d.loc.file).toBe("s.json");
        expect(d.message).toMatch(msg);
      }
    });

  it("rejects array indices past the end and twice", () => {
    const m = createMap(def("array", 4, 1, 2, 0, "a"));
    expect(() => loadMapState(m, [{ key: [2, 0, 0, 0], value: [1] }], "s.json")).toThrow(/entry 0: index 2 is past max entries 2/);
    expect(() => loadMapState(m, [{ key: [1, 0, 0, 0], value: [1] }, { key: [1, 0, 0, 0], value: [1] }], "s.json")).toThrow(/entry 1: duplicate index 1/);
  });

  it("rejects a tcam entry without mask or priority", () => {
    const m = createMap(def("tcam", 1, 1, 2, 0, "t"));
    expect(() => loadMapState(m, [{ key: [1], value: [1] }], "s.json")).toThrow(/entry 0: a tcam entry needs "mask" and "priority"/);
  });

  it("rejects a file that is not JSON or names an unknown map", () => {
    expect(() => loadMapsState(maps(), "{", "s.json")).toThrow(/s\.json:1:2: invalid JSON/);
    expect(() => loadMapsState(maps(), '{"nope": []}', "s.json")).toThrow(/no map named 'nope' \(maps: acl, counters, flows\)/);
    expect(() => loadMapsState(maps(), "[]", "s.json")).toThrow(/expected an object/);
  });
});
