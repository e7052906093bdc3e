// bpf_branch_cond: the condition of a conditional jump (RFC 9669 §4.3), at 64 bits
// (class JMP) or on the low 32 bits (class JMP32).
module bpf_branch_cond (
    input  wire [3:0]  op,      // jump operation code (high nibble of the opcode)
    input  wire        is32,
    input  wire [63:0] a,       // dst
    input  wire [63:0] b,       // src or sign-extended imm
    output reg         taken
);
    localparam [3:0] JEQ = 4'h1, JGT = 4'h2, JGE = 4'h3, JSET = 4'h4, JNE = 4'h5, JSGT = 4'h6,
                     JSGE = 4'h7, JLT = 4'ha, JLE = 4'hb, JSLT = 4'hc, JSLE = 4'hd;

    // 32-bit compares: zero- or sign-extend the low halves, then compare at 64 bits.
    wire [63:0] ua = is32 ? {32'b0, a[31:0]} : a;
    wire [63:0] ub = is32 ? {32'b0, b[31:0]} : b;
    wire [63:0] sa = is32 ? {{32{a[31]}}, a[31:0]} : a;
    wire [63:0] sb = is32 ? {{32{b[31]}}, b[31:0]} : b;
    wire eq  = ua == ub;
    wire ult = ua < ub;
    wire slt = $signed(sa) < $signed(sb);

    always @* begin
        case (op)
            JEQ:     taken = eq;
            JNE:     taken = !eq;
            JGT:     taken = !ult && !eq;
            JGE:     taken = !ult;
            JLT:     taken = ult;
            JLE:     taken = ult || eq;
            JSET:    taken = (ua & ub) != 64'd0;
            JSGT:    taken = !slt && !eq;
            JSGE:    taken = !slt;
            JSLT:    taken = slt;
            JSLE:    taken = slt || eq;
            default: taken = 1'b0;
        endcase
    end
endmodule
