// Tokens of the IR's textual form (see ir/text/print.ts for the layout).
import { createToken, Lexer } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /;[^\n]*/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: "Newline", pattern: /\n/, line_breaks: true });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const Equals = createToken({ name: "Equals", pattern: /=/ });
export const LParen = createToken({ name: "LParen", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", pattern: /\)/ });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/ });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/ });
export const ValueRef = createToken({ name: "ValueRef", pattern: /%\d+/ });
export const Symbol = createToken({ name: "Symbol", pattern: /@[\w.]+/ });
export const Integer = createToken({ name: "Integer", pattern: /-?(0x[0-9a-fA-F]+|\d+)/ });
/** Opcodes, words, types, block names and keywords: `load.u16`, `packet`, `ptr.stack`, `bb3`. */
export const Ident = createToken({ name: "Ident", pattern: /[A-Za-z_][\w]*(\.[\w]+)*/ });

export const IR_TOKENS = [WhiteSpace, Comment, Newline, Comma, Colon, Equals, LParen, RParen, LBrace, RBrace, ValueRef, Symbol, Integer, Ident];
export const irLexer = new Lexer(IR_TOKENS, { positionTracking: "full", ensureOptimizations: false });
