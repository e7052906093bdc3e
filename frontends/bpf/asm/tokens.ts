// Tokens of the BPF assembler syntax used by ubpf and the BPF conformance suite:
//   label:  mov32 %r0, 1   ldxh %r0, [%r1+2]   jne %r0, 15, failed   lock fetch add [%r10-8], %r1
// plus bpfoff's map directives (`.map name hash key=4 value=8 entries=16`) and map operands
// (`lddw %r1, map(name)`). Newlines are tokens: the language is line-oriented.
import { createToken, Lexer } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r]+/, group: Lexer.SKIPPED });
// `#`, `;` and `//` comments, as ubpf and llvm-mc accept them.
export const Comment = createToken({ name: "Comment", pattern: /(#|;|\/\/)[^\n]*/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: "Newline", pattern: /\n/, line_breaks: true });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/ });
export const LParen = createToken({ name: "LParen", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", pattern: /\)/ });
export const Plus = createToken({ name: "Plus", pattern: /\+/ });
export const Minus = createToken({ name: "Minus", pattern: /-/ });
export const Equals = createToken({ name: "Equals", pattern: /=/ });
// Any register-looking word; the range r0-r10 is checked when assembling, so that `%r50`
// gets "Invalid register" rather than a lexer error.
export const Register = createToken({ name: "Register", pattern: /%?r\d+(?![\w.])/ });
export const Number = createToken({ name: "Number", pattern: /0[xX][0-9a-fA-F]+|\d+/ });
export const Directive = createToken({ name: "Directive", pattern: /\.[A-Za-z_][\w]*/ });
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][\w.]*/ });

// Order matters: Register before Identifier (r1 is a register, rx an identifier).
export const ALL_TOKENS = [WhiteSpace, Comment, Newline, Comma, Colon, LBracket, RBracket, LParen, RParen, Plus, Minus, Equals, Register, Number, Directive, Identifier];

export const asmLexer = new Lexer(ALL_TOKENS, { positionTracking: "full", ensureOptimizations: false });
