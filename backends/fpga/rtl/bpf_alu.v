// bpf_alu: the single-cycle arithmetic of the execute stage (RFC 9669 §4.1, §4.2).
// Everything except div/mod (bpf_divider, multi-cycle). 32-bit operations work on the
// low halves and zero-extend the result (RFC 9669 §4.1); shift amounts are masked to
// the operand width. The multiplier is one combinational 64x64 -> 64 product: the low
// 32 bits of a 64-bit product are the 32-bit product, so mul32 shares it. The lanes
// after lane 0 of a multi-lane engine are built with MUL = 0: the scheduler gives them
// no mul (one multiplier is the engine's largest block), and none is built.
module bpf_alu #(
    parameter integer MUL = 1       // build the multiplier (0: OP_MUL gives 0)
) (
    input  wire [1:0]  sel,        // 0: ALU op, 1: movsx, 2: byte swap (end)
    input  wire [3:0]  op,         // RFC 9669 §4.1 operation code (high nibble of the opcode)
    input  wire        is32,       // class ALU (32-bit) rather than ALU64
    input  wire [63:0] a,          // dst operand
    input  wire [63:0] b,          // src operand or sign-extended imm
    input  wire [1:0]  ext_bits,   // movsx: 0 = 8, 1 = 16, 2 = 32 bits; end: 0 = 16, 1 = 32, 2 = 64
    input  wire        swap,       // end: swap bytes (be on a little-endian engine, bswap); 0 = le (truncate)
    output reg  [63:0] y
);
    localparam [3:0] OP_ADD = 4'h0, OP_SUB = 4'h1, OP_MUL = 4'h2, OP_OR = 4'h4, OP_AND = 4'h5,
                     OP_LSH = 4'h6, OP_RSH = 4'h7, OP_NEG = 4'h8, OP_XOR = 4'ha, OP_MOV = 4'hb,
                     OP_ARSH = 4'hc;

    wire [63:0] product;
    generate
        if (MUL != 0) begin : multiplier
            assign product = a * b;
        end else begin : no_multiplier
            assign product = 64'd0;
        end
    endgenerate
    wire [5:0]  sh64 = b[5:0];
    wire [4:0]  sh32 = b[4:0];
    wire [31:0] rsh32 = a[31:0] >> sh32;
    wire [31:0] arsh32 = $signed(a[31:0]) >>> sh32;
    wire [63:0] arsh64 = $signed(a) >>> sh64;
    wire [63:0] lsh32 = {32'b0, a[31:0]} << sh32;

    reg [63:0] arith;
    always @* begin
        case (op)
            OP_ADD:  arith = a + b;
            OP_SUB:  arith = a - b;
            OP_MUL:  arith = product;
            OP_OR:   arith = a | b;
            OP_AND:  arith = a & b;
            OP_LSH:  arith = is32 ? lsh32 : a << sh64;
            OP_RSH:  arith = is32 ? {32'b0, rsh32} : a >> sh64;
            OP_NEG:  arith = 64'd0 - a;
            OP_XOR:  arith = a ^ b;
            OP_MOV:  arith = b;
            OP_ARSH: arith = is32 ? {32'b0, arsh32} : arsh64;
            default: arith = 64'd0;     // div/mod never reach here
        endcase
    end

    // movsx (RFC 9669 §4.1): sign-extend the low 8/16/32 bits of src.
    reg [63:0] movsx;
    always @* begin
        case (ext_bits)
            2'd0:    movsx = {{56{b[7]}}, b[7:0]};
            2'd1:    movsx = {{48{b[15]}}, b[15:0]};
            default: movsx = {{32{b[31]}}, b[31:0]};
        endcase
    end

    // Byte swaps (RFC 9669 §4.2): the engine is little-endian, so le truncates and be/bswap swap.
    reg [63:0] swapped;
    always @* begin
        case (ext_bits)
            2'd0:    swapped = swap ? {48'b0, a[7:0], a[15:8]} : {48'b0, a[15:0]};
            2'd1:    swapped = swap ? {32'b0, a[7:0], a[15:8], a[23:16], a[31:24]} : {32'b0, a[31:0]};
            default: swapped = swap ? {a[7:0], a[15:8], a[23:16], a[31:24], a[39:32], a[47:40], a[55:48], a[63:56]} : a;
        endcase
    end

    always @* begin
        case (sel)
            2'd1:    y = is32 ? {32'b0, movsx[31:0]} : movsx;
            2'd2:    y = swapped;
            default: y = is32 ? {32'b0, arith[31:0]} : arith;
        endcase
    end
endmodule
