// Tokens of the C that the Linux UAPI headers, libbpf's headers and XDP programs use
// (C11 §6.4 with the GNU spellings: __attribute__, __asm__, __typeof__, __inline, ...),
// after the system preprocessor: its line markers (`# 12 "file.h" 2`) are a token group
// of their own (the lexer keeps them beside the stream, to map positions back to the
// original files), and `#pragma` lines reach the grammar, which attaches them to loops.
import { createToken, Lexer, type TokenType } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\f\v]+/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: "Newline", pattern: /\n/, line_breaks: true, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, line_breaks: true, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n]*/, group: Lexer.SKIPPED });
// `# LINE "FILE" FLAGS` from cpp (also `#line`): kept in the "markers" group, not parsed.
export const LineMarker = createToken({ name: "LineMarker", pattern: /#(?:line)?[ \t]+\d+(?:[ \t]+"(?:[^"\\\n]|\\.)*")?[^\n]*/, group: "markers" });
// Loop pragmas reach the grammar, which attaches them to the statement that follows; the
// others (`#pragma GCC diagnostic push` from libbpf's SEC()) may sit anywhere, even
// inside a declaration, and mean nothing to code generation: skipped.
export const Pragma = createToken({ name: "Pragma", pattern: /#[ \t]*pragma[ \t]+(?:unroll|nounroll|clang[ \t]+loop|GCC[ \t]+unroll)[^\n]*/ });
export const OtherPragma = createToken({ name: "OtherPragma", pattern: /#[ \t]*pragma[^\n]*/, group: Lexer.SKIPPED });

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_$][\w$]*/ });

/** A keyword: one spelling or several (GNU alternate spellings), longer_alt Identifier. */
function keyword(name: string, ...spellings: string[]): TokenType {
  const sorted = [...spellings].sort((a, b) => b.length - a.length);
  return createToken({ name, pattern: new RegExp(`(?:${sorted.join("|")})(?![\\w$])`), longer_alt: Identifier });
}

// Keyword rows: token name, spellings. C11 §6.4.1 plus the GNU spellings glibc and the
// kernel headers use. Order inside the lexer does not matter (each stops at a word end).
export const Auto = keyword("Auto", "auto");
export const Break = keyword("Break", "break");
export const Case = keyword("Case", "case");
export const Char = keyword("Char", "char");
export const Const = keyword("Const", "const", "__const", "__const__");
export const Continue = keyword("Continue", "continue");
export const Default = keyword("Default", "default");
export const Do = keyword("Do", "do");
export const Double = keyword("Double", "double");
export const Else = keyword("Else", "else");
export const Enum = keyword("Enum", "enum");
export const Extern = keyword("Extern", "extern");
export const Float = keyword("Float", "float");
export const For = keyword("For", "for");
export const Goto = keyword("Goto", "goto");
export const If = keyword("If", "if");
export const Inline = keyword("Inline", "inline", "__inline", "__inline__");
export const Int = keyword("Int", "int");
export const Long = keyword("Long", "long");
export const Register = keyword("Register", "register");
export const Restrict = keyword("Restrict", "restrict", "__restrict", "__restrict__");
export const Return = keyword("Return", "return");
export const Short = keyword("Short", "short");
export const Signed = keyword("Signed", "signed", "__signed", "__signed__");
export const Sizeof = keyword("Sizeof", "sizeof");
export const Static = keyword("Static", "static");
export const Struct = keyword("Struct", "struct");
export const Switch = keyword("Switch", "switch");
export const Typedef = keyword("Typedef", "typedef");
export const Union = keyword("Union", "union");
export const Unsigned = keyword("Unsigned", "unsigned");
export const Void = keyword("Void", "void");
export const Volatile = keyword("Volatile", "volatile", "__volatile", "__volatile__");
export const While = keyword("While", "while");
export const Alignas = keyword("Alignas", "_Alignas");
export const Alignof = keyword("Alignof", "_Alignof", "__alignof__", "__alignof");
export const Atomic = keyword("Atomic", "_Atomic");
export const Bool = keyword("Bool", "_Bool");
export const Noreturn = keyword("Noreturn", "_Noreturn");
export const StaticAssert = keyword("StaticAssert", "_Static_assert");
export const ThreadLocal = keyword("ThreadLocal", "_Thread_local", "__thread");
export const Int128 = keyword("Int128", "__int128");
export const Attribute = keyword("Attribute", "__attribute__", "__attribute");
export const Asm = keyword("Asm", "asm", "__asm__", "__asm");
export const Typeof = keyword("Typeof", "typeof", "__typeof__", "__typeof");
export const Extension = keyword("Extension", "__extension__");
export const BuiltinOffsetof = keyword("BuiltinOffsetof", "__builtin_offsetof");
export const BuiltinVaArg = keyword("BuiltinVaArg", "__builtin_va_arg");
export const BuiltinTypesCompatible = keyword("BuiltinTypesCompatible", "__builtin_types_compatible_p");

// Literals (C11 §6.4.4, §6.4.5). Floating constants are lexed so that headers with them
// parse; the lowering refuses them (BPF has no floating point).
export const FloatingConstant = createToken({ name: "FloatingConstant", pattern: /(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?[fFlL]?|\d+[eE][+-]?\d+[fFlL]?|0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*[pP][+-]?\d+[fFlL]?/ });
export const IntegerConstant = createToken({ name: "IntegerConstant", pattern: /(?:0[xX][0-9a-fA-F]+|0[bB][01]+|[1-9]\d*|0[0-7]*)(?:[uU](?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU]?)?/ });
export const CharacterConstant = createToken({ name: "CharacterConstant", pattern: /[LuU]?'(?:[^'\\\n]|\\.)+'/ });
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /(?:u8|[LuU])?"(?:[^"\\\n]|\\.)*"/ });

// Punctuators (C11 §6.4.6), longest first where one is a prefix of another.
function punct(name: string, text: string): TokenType {
  return createToken({ name, pattern: new RegExp(text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")) });
}
export const Ellipsis = punct("Ellipsis", "...");
export const ShlAssign = punct("ShlAssign", "<<=");
export const ShrAssign = punct("ShrAssign", ">>=");
export const Arrow = punct("Arrow", "->");
export const PlusPlus = punct("PlusPlus", "++");
export const MinusMinus = punct("MinusMinus", "--");
export const Shl = punct("Shl", "<<");
export const Shr = punct("Shr", ">>");
export const Le = punct("Le", "<=");
export const Ge = punct("Ge", ">=");
export const EqEq = punct("EqEq", "==");
export const NotEq = punct("NotEq", "!=");
export const AndAnd = punct("AndAnd", "&&");
export const OrOr = punct("OrOr", "||");
export const MulAssign = punct("MulAssign", "*=");
export const DivAssign = punct("DivAssign", "/=");
export const ModAssign = punct("ModAssign", "%=");
export const AddAssign = punct("AddAssign", "+=");
export const SubAssign = punct("SubAssign", "-=");
export const AndAssign = punct("AndAssign", "&=");
export const XorAssign = punct("XorAssign", "^=");
export const OrAssign = punct("OrAssign", "|=");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");
export const Dot = punct("Dot", ".");
export const Amp = punct("Amp", "&");
export const Star = punct("Star", "*");
export const Plus = punct("Plus", "+");
export const Minus = punct("Minus", "-");
export const Tilde = punct("Tilde", "~");
export const Bang = punct("Bang", "!");
export const Slash = punct("Slash", "/");
export const Percent = punct("Percent", "%");
export const Lt = punct("Lt", "<");
export const Gt = punct("Gt", ">");
export const Caret = punct("Caret", "^");
export const Pipe = punct("Pipe", "|");
export const Question = punct("Question", "?");
export const Colon = punct("Colon", ":");
export const Semicolon = punct("Semicolon", ";");
export const Assign = punct("Assign", "=");
export const Comma = punct("Comma", ",");

// Token categories the grammar matches on (STYLE.md §10).
export const AssignmentOperator = createToken({ name: "AssignmentOperator", pattern: Lexer.NA, categories: [] });
for (const t of [Assign, MulAssign, DivAssign, ModAssign, AddAssign, SubAssign, ShlAssign, ShrAssign, AndAssign, XorAssign, OrAssign]) t.CATEGORIES = [AssignmentOperator];
export const UnaryOperator = createToken({ name: "UnaryOperator", pattern: Lexer.NA });
for (const t of [Amp, Star, Plus, Minus, Tilde, Bang]) t.CATEGORIES = [UnaryOperator];

/** Binary operators by precedence level, loosest first (C11 §6.5.5-§6.5.14). */
export const BINARY_LEVELS: readonly (readonly TokenType[])[] = [
  [OrOr], [AndAnd], [Pipe], [Caret], [Amp], [EqEq, NotEq], [Lt, Gt, Le, Ge], [Shl, Shr], [Plus, Minus], [Star, Slash, Percent],
];

const KEYWORDS = [
  Auto, Break, Case, Char, Const, Continue, Default, Do, Double, Else, Enum, Extern, Float, For, Goto, If, Inline, Int, Long, Register, Restrict, Return, Short, Signed, Sizeof,
  Static, Struct, Switch, Typedef, Union, Unsigned, Void, Volatile, While, Alignas, Alignof, Atomic, Bool, Noreturn, StaticAssert, ThreadLocal, Int128, Attribute, Asm, Typeof,
  Extension, BuiltinOffsetof, BuiltinVaArg, BuiltinTypesCompatible,
];

const PUNCTUATORS = [
  Ellipsis, ShlAssign, ShrAssign, Arrow, PlusPlus, MinusMinus, Shl, Shr, Le, Ge, EqEq, NotEq, AndAnd, OrOr, MulAssign, DivAssign, ModAssign, AddAssign, SubAssign, AndAssign,
  XorAssign, OrAssign, LBracket, RBracket, LParen, RParen, LBrace, RBrace, Dot, Amp, Star, Plus, Minus, Tilde, Bang, Slash, Percent, Lt, Gt, Caret, Pipe, Question, Colon,
  Semicolon, Assign, Comma,
];

// Order matters: markers and pragmas before punctuation; keywords before Identifier;
// strings and chars (with their L/u/U prefixes) before Identifier; floats before ints.
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, Newline, BlockComment, LineComment, LineMarker, Pragma, OtherPragma, StringLiteral, CharacterConstant, ...KEYWORDS, Identifier, FloatingConstant, IntegerConstant,
  ...PUNCTUATORS, AssignmentOperator, UnaryOperator,
];

export const cLexer = new Lexer(ALL_TOKENS, { positionTracking: "full", ensureOptimizations: false });
