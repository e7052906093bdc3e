// A NUL-separated string table as ELF (.strtab) and BTF (the string section) both lay
// it out: offset 0 is the empty string, each distinct string is stored once.
export class StringTable {
  private readonly parts: string[] = [""];
  private size = 1;
  private readonly offsets = new Map<string, number>([["", 0]]);

  /** The offset of `s`, adding it on first use. */
  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const off = this.size;
    this.parts.push(s);
    this.size += Buffer.byteLength(s) + 1;
    this.offsets.set(s, off);
    return off;
  }

  bytes(): Uint8Array {
    return Buffer.from(this.parts.join("\0") + "\0");
  }
}
