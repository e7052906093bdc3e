// The IR grammar, line by line (CST only; read.ts builds the module and checks it):
//   line      := [header | mapDecl | funcOpen | '}' | block | stmt]
//   header    := 'module' Ident
//   mapDecl   := 'map' Symbol Ident (Ident '=' Integer)*
//   funcOpen  := 'func' Symbol '{'
//   block     := Ident ['(' param (',' param)* ')'] ':'
//   param     := ValueRef ':' Ident
//   stmt      := [ValueRef '='] Ident [operand (',' operand)*] [':' Ident]
//   operand   := ValueRef | Integer | Symbol | Ident ['(' [operand (',' operand)*] ')']
import { CstParser, type CstNode, type IToken } from "chevrotain";
import * as T from "./tokens.js";

export class IrParser extends CstParser {
  constructor() {
    super(T.IR_TOKENS, { recoveryEnabled: false });
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
    this.OPTION(() =>
      this.OR([
        { GATE: () => this.LA(1).image === "module" && this.LA(2).tokenType === T.Ident, ALT: () => this.SUBRULE(this.header) },
        { GATE: () => this.LA(1).image === "map" && this.LA(2).tokenType === T.Symbol, ALT: () => this.SUBRULE(this.mapDecl) },
        { GATE: () => this.LA(1).image === "func" && this.LA(2).tokenType === T.Symbol, ALT: () => this.SUBRULE(this.funcOpen) },
        { ALT: () => this.CONSUME(T.RBrace, { LABEL: "funcClose" }) },
        { GATE: () => this.LA(2).tokenType === T.LParen || this.LA(2).tokenType === T.Colon, ALT: () => this.SUBRULE(this.block) },
        { ALT: () => this.SUBRULE(this.stmt) },
      ]),
    );
  });

  header = this.RULE("header", () => {
    this.CONSUME(T.Ident, { LABEL: "keyword" });
    this.CONSUME2(T.Ident, { LABEL: "type" });
  });

  mapDecl = this.RULE("mapDecl", () => {
    this.CONSUME(T.Ident, { LABEL: "keyword" });
    this.CONSUME(T.Symbol, { LABEL: "name" });
    this.CONSUME2(T.Ident, { LABEL: "kind" });
    this.MANY(() => {
      this.CONSUME3(T.Ident, { LABEL: "key" });
      this.CONSUME(T.Equals);
      this.CONSUME(T.Integer, { LABEL: "value" });
    });
  });

  funcOpen = this.RULE("funcOpen", () => {
    this.CONSUME(T.Ident, { LABEL: "keyword" });
    this.CONSUME(T.Symbol, { LABEL: "name" });
    this.CONSUME(T.LBrace);
  });

  block = this.RULE("block", () => {
    this.CONSUME(T.Ident, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.param) });
      this.CONSUME(T.RParen);
    });
    this.CONSUME(T.Colon);
  });

  param = this.RULE("param", () => {
    this.CONSUME(T.ValueRef, { LABEL: "value" });
    this.CONSUME(T.Colon);
    this.CONSUME(T.Ident, { LABEL: "type" });
  });

  stmt = this.RULE("stmt", () => {
    this.OPTION(() => {
      this.CONSUME(T.ValueRef, { LABEL: "result" });
      this.CONSUME(T.Equals);
    });
    this.CONSUME(T.Ident, { LABEL: "op" });
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.operand) });
    this.OPTION2(() => {
      this.CONSUME(T.Colon);
      this.CONSUME2(T.Ident, { LABEL: "type" });
    });
  });

  operand = this.RULE("operand", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.ValueRef, { LABEL: "value" }) },
      { ALT: () => this.CONSUME(T.Integer, { LABEL: "integer" }) },
      { ALT: () => this.CONSUME(T.Symbol, { LABEL: "symbol" }) },
      {
        ALT: () => {
          this.CONSUME(T.Ident, { LABEL: "word" });
          this.OPTION(() => {
            this.CONSUME(T.LParen, { LABEL: "call" });
            this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.operand, { LABEL: "blockArgs" }) });
            this.CONSUME(T.RParen);
          });
        },
      },
    ]);
  });
}

// One instance serves every parse (grammar analysis is the costly part); setting
// `input` resets its state.
let shared: IrParser | undefined;

export function parseIrCst(tokens: IToken[]): { cst: CstNode; errors: IrParser["errors"] } {
  const parser = (shared ??= new IrParser());
  parser.input = tokens;
  const cst = parser.program();
  return { cst, errors: parser.errors };
}
