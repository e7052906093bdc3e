// Tokens of the NPU microcode assembler (docs/npu-isa.md):
//   loop:  add A1, A2, #0x10<<16   rd.4 $r0, [A3+14], sig1, swap   br.ne loop
// Newlines are tokens: one microword a line.
import { createToken, Lexer } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r]+/, group: Lexer.SKIPPED });
// `;` and `#` after white space start comments (listings put the BPF source there); `#` directly before a number is an immediate.
export const Comment = createToken({ name: "Comment", pattern: /(;|\/\/)[^\n]*/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: "Newline", pattern: /\n/, line_breaks: true });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/ });
export const Plus = createToken({ name: "Plus", pattern: /\+/ });
export const Minus = createToken({ name: "Minus", pattern: /-/ });
export const Hash = createToken({ name: "Hash", pattern: /#/ });
export const Tilde = createToken({ name: "Tilde", pattern: /~/ });
export const ShiftLeft = createToken({ name: "ShiftLeft", pattern: /<</ });
// Registers: A0-A15, B0-B15, $r0-$r15, $w0-$w13, sa, none; ranges are checked by the visitor.
export const Register = createToken({ name: "Register", pattern: /(?:[AB]\d+|\$[rw]\d+|sa|none)(?![\w.])/ });
export const Number = createToken({ name: "Number", pattern: /0[xX][0-9a-fA-F]+|\d+/ });
export const Directive = createToken({ name: "Directive", pattern: /\.[A-Za-z_]\w*/ });
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][\w.]*/ });

// Order matters: Register before Identifier (A1 is a register, Ax a label), ShiftLeft before nothing else starting with '<'.
export const ALL_TOKENS = [WhiteSpace, Comment, Newline, Comma, Colon, LBracket, RBracket, Plus, Minus, Hash, Tilde, ShiftLeft, Register, Number, Directive, Identifier];

export const npuLexer = new Lexer(ALL_TOKENS, { positionTracking: "full", ensureOptimizations: false });
