// The TCAM map (ours, MAP_KINDS "tcam"): ternary entries (value, mask, priority) -> data,
// for P4 ternary tables and ASIC TCAM blocks. A lookup returns the data of the
// highest-priority entry whose masked bits equal the masked key; among equal priorities
// the entry inserted first wins, as in a hardware TCAM where the lower row index wins and
// the control plane appends. Replacing an entry's data keeps its row.
//
// Programs only read a TCAM: update/delete from a program return -EOPNOTSUPP, and the
// control plane (images, --maps-in, `bpfoff map`) uses insert/remove.
import { ERRNO, UPDATE_FLAGS, type MapDef } from "./def.js";
import { badUpdateFlags, copyBytes, keyId, nextKeyIn, type MapEntry, type TcamMap } from "./map.js";

interface TcamRow {
  /** value & mask: bits outside the mask are stored as 0. */
  readonly value: Uint8Array;
  readonly mask: Uint8Array;
  readonly priority: number;
  readonly data: Uint8Array;
}

export function tcamCanonicalValue(value: Uint8Array, mask: Uint8Array): Uint8Array {
  return Uint8Array.from(value, (b, i) => b & mask[i]!);
}

export class TcamMapImpl implements TcamMap {
  readonly def: MapDef;
  /** Rows in match order: priority descending, then insertion order. */
  private readonly rows: TcamRow[] = [];
  /** Entry identity -> row, for O(1) insert/remove checks. */
  private readonly byId = new Map<string, TcamRow>();

  constructor(def: MapDef) {
    this.def = def;
  }

  get size(): number {
    return this.rows.length;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    if (key.length !== this.def.keySize) return undefined;
    // A linear scan in row order is what the hardware does in parallel.
    for (const row of this.rows) if (matches(row, key)) return row.data;
    return undefined;
  }

  update(_key: Uint8Array, _value: Uint8Array, _flags: number): number {
    return -ERRNO.EOPNOTSUPP;
  }

  delete(_key: Uint8Array): number {
    return -ERRNO.EOPNOTSUPP;
  }

  private id(value: Uint8Array, mask: Uint8Array, priority: number): string {
    return `${priority}:${keyId(tcamCanonicalValue(value, mask))}${keyId(mask)}`;
  }

  private validArgs(value: Uint8Array, mask: Uint8Array, priority: number): boolean {
    return value.length === this.def.keySize && mask.length === this.def.keySize && Number.isInteger(priority) && priority >= 0 && priority <= 0xffffffff;
  }

  /** BPF_ANY/NOEXIST/EXIST as for a hash map, on the entry's identity; a full table is -ENOSPC. */
  insert(value: Uint8Array, mask: Uint8Array, priority: number, data: Uint8Array, flags: number = UPDATE_FLAGS.ANY): number {
    if (badUpdateFlags(flags) || !this.validArgs(value, mask, priority) || data.length !== this.def.valueSize) return -ERRNO.EINVAL;
    const id = this.id(value, mask, priority);
    const old = this.byId.get(id);
    if (old && flags === UPDATE_FLAGS.NOEXIST) return -ERRNO.EEXIST;
    if (!old && flags === UPDATE_FLAGS.EXIST) return -ERRNO.ENOENT;
    if (old) {
      old.data.set(data);
      return 0;
    }
    if (this.rows.length >= this.def.maxEntries) return -ERRNO.ENOSPC;
    const row: TcamRow = { value: tcamCanonicalValue(value, mask), mask: copyBytes(mask), priority, data: copyBytes(data) };
    // After every row of equal or higher priority: ties go to the earlier insertion.
    let at = this.rows.findIndex((r) => r.priority < priority);
    if (at < 0) at = this.rows.length;
    this.rows.splice(at, 0, row);
    this.byId.set(id, row);
    return 0;
  }

  remove(value: Uint8Array, mask: Uint8Array, priority: number): number {
    if (!this.validArgs(value, mask, priority)) return -ERRNO.EINVAL;
    const id = this.id(value, mask, priority);
    const row = this.byId.get(id);
    if (!row) return -ERRNO.ENOENT;
    this.byId.delete(id);
    this.rows.splice(this.rows.indexOf(row), 1);
    return 0;
  }

  *entries(): Iterable<MapEntry> {
    for (const r of this.rows) yield { key: copyBytes(r.value), value: copyBytes(r.data), mask: copyBytes(r.mask), priority: r.priority };
  }

  /** Distinct entry values in row order (several entries may share a value with different masks). */
  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const seen = new Set<string>();
    const keys = this.rows.filter((r) => !seen.has(keyId(r.value)) && seen.add(keyId(r.value))).map((r) => r.value);
    const next = nextKeyIn(keys, key);
    return next && copyBytes(next);
  }
}

function matches(row: TcamRow, key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) if ((key[i]! & row.mask[i]!) !== row.value[i]) return false;
  return true;
}
