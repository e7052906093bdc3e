// Byte strings on the command line (--key, --value, --mask, --mem).
import { fail } from "../ir/diag/diag.js";

/** `0a 00 00 00`, `0a000000` and `0x0a,0x00`; a 0x prefix marks exactly one byte. */
export function parseHexBytes(text: string, option: string): Uint8Array {
  const usage = "write bytes as '0a 00 00 00', '0a000000' or '0x0a,0x00'";
  const tokens = text.split(/[\s,]+/).filter((t) => t !== "");
  if (tokens.length === 0) fail("cli-usage", {}, [`${option} is empty (${usage})`]);
  const out: number[] = [];
  for (const t of tokens) {
    const prefixed = /^0x/i.test(t);
    const digits = prefixed ? t.slice(2) : t;
    if (!/^[0-9a-f]+$/i.test(digits) || (prefixed && digits.length > 2) || (digits.length > 2 && digits.length % 2 !== 0))
      fail("cli-usage", {}, [`${option}: '${t}' is not a byte string (${usage})`]);
    if (digits.length <= 2) out.push(parseInt(digits, 16));
    else for (let i = 0; i < digits.length; i += 2) out.push(parseInt(digits.slice(i, i + 2), 16));
  }
  return Uint8Array.from(out);
}
