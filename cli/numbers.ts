// Numbers on the command line (--max-steps, --seed, --ifindex, --threads, ...).
// Number() alone is too lenient for them: it reads "" and "  " as 0, and accepts 1e3,
// 0b101 and 0o7. Options take decimal digits or 0x hex digits, and nothing else.
const INTEGER = /^(0x[0-9a-f]+|[0-9]+)$/i;

/** The integer `text` spells (surrounding blanks allowed), or NaN when it spells none. */
export function integerValue(text: string): number {
  const t = text.trim();
  return INTEGER.test(t) ? Number(t) : NaN;
}
