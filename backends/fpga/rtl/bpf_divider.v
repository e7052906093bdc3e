// bpf_divider: signed and unsigned 64- and 32-bit division and modulo, STEPS quotient
// bits per cycle (restoring division on magnitudes, STEPS steps chained in one cycle,
// then the signs fixed up): 32 / STEPS cycles for 32 bits, 64 / STEPS for 64, the results
// answered in the cycle of the last steps (done is combinational). Division by zero
// never reaches it: bpf_core answers those at once (RFC 9669 §4.1: x/0 = 0, x%0 = x).
// Signed division truncates toward zero and the remainder takes the dividend's sign
// (C semantics); INT_MIN / -1 wraps to INT_MIN because |INT_MIN| negated is INT_MIN.
module bpf_divider #(
    parameter integer STEPS = 4     // quotient bits per cycle: 1, 2, 4 or 8 (a divisor of 32)
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        start,       // one-cycle strobe: latch a, b and begin
    input  wire        is64,
    input  wire        is_signed,
    input  wire [63:0] a,           // dividend
    input  wire [63:0] b,           // divisor, nonzero
    output wire        done,        // the last steps run this cycle: quotient and remainder are valid
    output wire [63:0] quotient,    // 32-bit results are zero-extended
    output wire [63:0] remainder
);
    // Operands at 64 bits: 32-bit signed ones sign-extended, unsigned ones zero-extended.
    wire [63:0] a_ext = is64 ? a : is_signed ? {{32{a[31]}}, a[31:0]} : {32'b0, a[31:0]};
    wire [63:0] b_ext = is64 ? b : is_signed ? {{32{b[31]}}, b[31:0]} : {32'b0, b[31:0]};
    wire        a_neg = is_signed && a_ext[63];
    wire        b_neg = is_signed && b_ext[63];
    wire [63:0] a_mag = a_neg ? 64'd0 - a_ext : a_ext;
    wire [63:0] b_mag = b_neg ? 64'd0 - b_ext : b_ext;

    reg         busy;
    reg  [6:0]  count;      // quotient bits still to produce
    reg  [63:0] quo;        // dividend bits shift out at the top, quotient bits in at the bottom
    reg  [63:0] rem;
    reg  [63:0] divisor;
    reg         neg_quo, neg_rem, wide;

    // STEPS restoring steps: shift the next dividend bit into the remainder, subtract the
    // divisor when it fits, and shift the quotient bit in.
    reg  [63:0] rem_next, quo_next;
    reg  [64:0] rem_shifted, rem_minus;
    integer k;
    always @* begin
        rem_next = rem;
        quo_next = quo;
        rem_shifted = 65'd0;
        rem_minus = 65'd0;
        for (k = 0; k < STEPS; k = k + 1) begin
            rem_shifted = {rem_next, quo_next[63]};
            rem_minus = rem_shifted - {1'b0, divisor};
            rem_next = rem_minus[64] ? rem_shifted[63:0] : rem_minus[63:0];
            quo_next = {quo_next[62:0], !rem_minus[64]};
        end
    end
    localparam [6:0] STEP = STEPS[6:0];

    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            count <= 7'd0;
            quo <= 64'd0;
            rem <= 64'd0;
            divisor <= 64'd0;
            neg_quo <= 1'b0;
            neg_rem <= 1'b0;
            wide <= 1'b0;
        end else begin
            if (start) begin
                busy <= 1'b1;
                // A 32-bit dividend starts in the upper half so its top bit shifts out first.
                quo <= is64 ? a_mag : {a_mag[31:0], 32'b0};
                rem <= 64'd0;
                divisor <= b_mag;
                count <= is64 ? 7'd64 : 7'd32;
                neg_quo <= a_neg ^ b_neg;
                neg_rem <= a_neg;
                wide <= is64;
            end else if (busy) begin
                rem <= rem_next;
                quo <= quo_next;
                count <= count - STEP;
                if (count == STEP) busy <= 1'b0;
            end
        end
    end

    // answered from the last steps' outputs, a cycle before they would be registered
    assign done = busy && count == STEP;
    wire [63:0] q_signed = neg_quo ? 64'd0 - quo_next : quo_next;
    wire [63:0] r_signed = neg_rem ? 64'd0 - rem_next : rem_next;
    assign quotient  = wide ? q_signed : {32'b0, q_signed[31:0]};
    assign remainder = wide ? r_signed : {32'b0, r_signed[31:0]};
endmodule
