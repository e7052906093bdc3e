// Tokens of P4-16 (language specification 1.2.x, §6.3 "Lexical constructs" and the
// keyword list of Appendix "P4 reserved keywords"). Keywords are their own tokens with
// `longer_alt: Identifier`, so that `states` is an identifier and `state` a keyword.
// Preprocessor lines (§6.2): `#include` is a token the visitor follows; include guards
// and other directives are skipped (bpfoff has no macro expansion: see preprocess in source.ts).
import { createToken, Lexer, type TokenType } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED, line_breaks: true });
export const Include = createToken({ name: "Include", pattern: /#include[ \t]*(<[^>\n]*>|"[^"\n]*")/ });
// Include guards (#ifndef X / #define X / #endif) and #pragma: skipped, see source.ts.
export const Directive = createToken({ name: "Directive", pattern: /#[ \t]*(ifndef|ifdef|define|endif|pragma|undef|line)\b[^\n]*/, group: Lexer.SKIPPED });

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });
/** Type keywords that start a type (used by the grammar's gates). */
export const TypeKeyword = createToken({ name: "TypeKeyword", pattern: Lexer.NA });

const keywords: Record<string, TokenType> = {};
function kw(word: string, categories: TokenType[] = []): TokenType {
  const t = createToken({ name: `Kw_${word}`, pattern: new RegExp(`${word}\\b`), longer_alt: Identifier, categories });
  keywords[word] = t;
  return t;
}

export const Action = kw("action");
export const Apply = kw("apply");
export const Bit = kw("bit", [TypeKeyword]);
export const Bool = kw("bool", [TypeKeyword]);
export const Const = kw("const");
export const Control = kw("control");
export const Default = kw("default");
export const Else = kw("else");
export const Entries = kw("entries");
export const Enum = kw("enum");
export const ErrorKw = kw("error", [TypeKeyword]);
export const Exit = kw("exit");
export const Extern = kw("extern");
export const False = kw("false");
export const Header = kw("header");
export const HeaderUnion = kw("header_union");
export const If = kw("if");
export const In = kw("in");
export const Inout = kw("inout");
export const Int = kw("int", [TypeKeyword]);
export const Key = kw("key");
export const MatchKind = kw("match_kind");
export const Out = kw("out");
export const Package = kw("package");
export const Parser = kw("parser");
export const Return = kw("return");
export const Select = kw("select");
export const State = kw("state");
export const StringKw = kw("string", [TypeKeyword]);
export const Struct = kw("struct");
export const Switch = kw("switch");
export const Table = kw("table");
export const Transition = kw("transition");
export const True = kw("true");
export const Tuple = kw("tuple");
export const Type = kw("type");
export const Typedef = kw("typedef");
export const Varbit = kw("varbit", [TypeKeyword]);
export const Void = kw("void", [TypeKeyword]);
export const DontCare = createToken({ name: "DontCare", pattern: /_(?![A-Za-z0-9_])/ });

// §6.3.3.3: integer literals with an optional width and signedness, `16w0x800`, `8s5`, `0b1010`.
export const IntegerLiteral = createToken({ name: "IntegerLiteral", pattern: /(\d+[ws])?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[dD][0-9_]+|\d[0-9_]*)/ });
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\n]|\\.)*"/ });

// Punctuation: longest first where one is a prefix of another.
export const Mask = createToken({ name: "Mask", pattern: /&&&/ });
export const AndAnd = createToken({ name: "AndAnd", pattern: /&&/ });
export const OrOr = createToken({ name: "OrOr", pattern: /\|\|/ });
export const PlusSat = createToken({ name: "PlusSat", pattern: /\|\+\|/ });
export const MinusSat = createToken({ name: "MinusSat", pattern: /\|-\|/ });
export const PlusPlus = createToken({ name: "PlusPlus", pattern: /\+\+/ });
export const Range = createToken({ name: "Range", pattern: /\.\./ });
export const Eq = createToken({ name: "Eq", pattern: /==/ });
export const Ne = createToken({ name: "Ne", pattern: /!=/ });
export const Le = createToken({ name: "Le", pattern: /<=/ });
export const Ge = createToken({ name: "Ge", pattern: />=/ });
export const Shl = createToken({ name: "Shl", pattern: /<</ });
// `>>` is two `>` tokens (as in p4c's lexer): `register<bit<32>>` closes two type lists;
// the grammar reads a shift as two adjacent `>`.
export const Lt = createToken({ name: "Lt", pattern: /</ });
export const Gt = createToken({ name: "Gt", pattern: />/ });
export const Assign = createToken({ name: "Assign", pattern: /=/ });
export const Not = createToken({ name: "Not", pattern: /!/ });
export const Tilde = createToken({ name: "Tilde", pattern: /~/ });
export const Amp = createToken({ name: "Amp", pattern: /&/ });
export const Pipe = createToken({ name: "Pipe", pattern: /\|/ });
export const Caret = createToken({ name: "Caret", pattern: /\^/ });
export const Plus = createToken({ name: "Plus", pattern: /\+/ });
export const Minus = createToken({ name: "Minus", pattern: /-/ });
export const Star = createToken({ name: "Star", pattern: /\*/ });
export const Slash = createToken({ name: "Slash", pattern: /\// });
export const Percent = createToken({ name: "Percent", pattern: /%/ });
export const Question = createToken({ name: "Question", pattern: /\?/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const Semi = createToken({ name: "Semi", pattern: /;/ });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Dot = createToken({ name: "Dot", pattern: /\./ });
export const LParen = createToken({ name: "LParen", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", pattern: /\)/ });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/ });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/ });
export const At = createToken({ name: "At", pattern: /@/ });

export const KEYWORDS: Readonly<Record<string, TokenType>> = keywords;

export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, LineComment, BlockComment, Include, Directive,
  TypeKeyword, ...Object.values(keywords), DontCare,
  IntegerLiteral, StringLiteral, Identifier,
  Mask, AndAnd, OrOr, PlusSat, MinusSat, PlusPlus, Range, Eq, Ne, Le, Ge, Shl, Lt, Gt, Assign, Not, Tilde, Amp, Pipe, Caret,
  Plus, Minus, Star, Slash, Percent, Question, Colon, Semi, Comma, Dot, LParen, RParen, LBrace, RBrace, LBracket, RBracket, At,
];
