// The assembler grammar (CST only; assemble.ts builds slots from the CST):
//   program     := line (Newline line)*
//   line        := [label] [statement]
//   label       := Identifier ':'
//   statement   := directive | instruction
//   directive   := Directive (word | Number | word '=' (word|Number))*
//   instruction := Identifier+ [operand (',' operand)*]
//   operand     := Register | memory | immediate | mapRef | Identifier
//   memory      := '[' Register [('+'|'-') Number] ']'
//   immediate   := ['+'|'-'] Number
//   mapRef      := Identifier '(' Identifier ')'      (map(name), map_value(name))
// A mnemonic may be several words (`lock fetch add`, `call local`); trailing words that
// are not part of a known mnemonic are label operands (`ja out`, `call local f`).
import { CstParser, type CstNode } from "chevrotain";
import * as T from "./tokens.js";

export class AsmParser extends CstParser {
  constructor() {
    super(T.ALL_TOKENS, { recoveryEnabled: false });
    this.performSelfAnalysis();
  }

  program = this.RULE("program", () => {
    this.SUBRULE(this.line);
    this.MANY(() => {
      this.CONSUME(T.Newline);
      this.SUBRULE2(this.line);
    });
  });

  line = this.RULE("line", () => {
    this.OPTION(() => {
      this.OR([
        { GATE: () => this.LA(2).tokenType === T.Colon, ALT: () => this.SUBRULE(this.label) },
        { ALT: () => this.SUBRULE(this.statement) },
      ]);
    });
    // A label may share its line with an instruction: `L1: exit`.
    this.OPTION2(() => this.SUBRULE2(this.statement));
  });

  label = this.RULE("label", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Colon);
  });

  statement = this.RULE("statement", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.directive) }, { ALT: () => this.SUBRULE(this.instruction) }]);
  });

  directive = this.RULE("directive", () => {
    this.CONSUME(T.Directive, { LABEL: "name" });
    this.MANY(() => this.SUBRULE(this.directiveArg));
  });

  directiveArg = this.RULE("directiveArg", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "word" }) },
      { ALT: () => this.CONSUME(T.Number, { LABEL: "number" }) },
    ]);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.OR2([
        { ALT: () => this.CONSUME2(T.Identifier, { LABEL: "valueWord" }) },
        { ALT: () => this.CONSUME2(T.Number, { LABEL: "valueNumber" }) },
      ]);
    });
  });

  instruction = this.RULE("instruction", () => {
    this.CONSUME(T.Identifier, { LABEL: "word" });
    // Further words, unless a word starts a map operand `map(name)`.
    this.MANY({ GATE: () => this.LA(2).tokenType !== T.LParen, DEF: () => this.CONSUME2(T.Identifier, { LABEL: "word" }) });
    this.OPTION(() => {
      this.SUBRULE(this.operand);
      this.MANY2(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.operand);
      });
    });
  });

  operand = this.RULE("operand", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Register, { LABEL: "register" }) },
      { ALT: () => this.SUBRULE(this.memory) },
      { ALT: () => this.SUBRULE(this.immediate) },
      { GATE: () => this.LA(2).tokenType === T.LParen, ALT: () => this.SUBRULE(this.mapRef) },
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "labelRef" }) },
    ]);
  });

  memory = this.RULE("memory", () => {
    this.CONSUME(T.LBracket);
    this.CONSUME(T.Register, { LABEL: "base" });
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus, { LABEL: "sign" }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: "sign" }) }]);
      this.CONSUME(T.Number, { LABEL: "offset" });
    });
    this.CONSUME(T.RBracket);
  });

  immediate = this.RULE("immediate", () => {
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus, { LABEL: "sign" }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: "sign" }) }]);
    });
    this.CONSUME(T.Number, { LABEL: "value" });
  });

  mapRef = this.RULE("mapRef", () => {
    this.CONSUME(T.Identifier, { LABEL: "kind" });
    this.CONSUME(T.LParen);
    this.CONSUME2(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.RParen);
    this.OPTION(() => this.SUBRULE(this.immediate, { LABEL: "addend" }));
  });
}

// Chevrotain's grammar analysis (performSelfAnalysis) costs milliseconds, so one parser
// instance serves every parse, as Chevrotain's documentation recommends; assigning
// `input` resets all of its state, so no parse sees another's.
let shared: AsmParser | undefined;

export function parseAsm(tokens: import("chevrotain").IToken[]): { cst: CstNode; errors: import("chevrotain").IRecognitionException[] } {
  const parser = (shared ??= new AsmParser());
  parser.input = tokens;
  const cst = parser.program();
  return { cst, errors: parser.errors };
}
