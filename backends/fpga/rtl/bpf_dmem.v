// bpf_dmem: the engine's data memory (stack frames and the input/packet buffer), eight
// byte-wide banks so that any access of 1 to 8 bytes at any byte address, aligned or
// not, is one cycle: byte i of the access lives in bank (addr + i) mod 8, row
// (addr + i) / 8. Reads are registered (block RAM); a write and a read of the same
// cycle see the old bytes. A second read port returns one aligned 8-byte row (the map
// helpers read a hash slot's key word beside its meta word; where a block RAM's two ports
// serve the write and the first read, as in yosys's ECP5 mapping, it is a copy).
module bpf_dmem #(
    parameter integer AW = 13           // byte address width: 2**AW bytes
) (
    input  wire          clk,
    input  wire          en,
    input  wire          we,
    input  wire [AW-1:0] addr,          // first byte
    input  wire [7:0]    wbytes,        // bit i: write byte addr + i
    input  wire [63:0]   wdata,         // byte i (bits 8i+7:8i) goes to addr + i
    output wire [63:0]   rdata,         // byte i is the byte at addr + i (of the previous cycle's addr)
    input  wire          en2,           // second read port: row row2 (bytes 8*row2 .. 8*row2 + 7)
    input  wire [AW-4:0] row2,
    output wire [63:0]   rdata2         //   of the previous cycle's row2
);
    localparam integer ROWS = 1 << (AW - 3);

    wire [AW-4:0] row = addr[AW-1:3];
    wire [2:0]    lane0 = addr[2:0];
    reg  [2:0]    lane0_q;
    wire [7:0]    bank_q [0:7];

    always @(posedge clk) if (en) lane0_q <= lane0;

    genvar b;
    generate
        for (b = 0; b < 8; b = b + 1) begin : bank
            localparam [2:0] BANK = b;
            // This bank holds byte i = (b - lane0) mod 8 of the access.
            wire [2:0]    i = BANK - lane0;
            wire [3:0]    lane_sum = {1'b0, lane0} + {1'b0, i};   // BANK, or BANK + 8 if the access wrapped
            wire [AW-4:0] bank_row = row + {{(AW - 4){1'b0}}, lane_sum > 4'd7};
            reg  [7:0]    mem [0:ROWS-1];
            reg  [7:0]    q, q2;
            always @(posedge clk) begin
                if (en) begin
                    if (we && wbytes[i]) mem[bank_row] <= wdata[8 * i +: 8];
                    q <= mem[bank_row];
                end
                if (en2) q2 <= mem[row2];
            end
            assign bank_q[b] = q;
            assign rdata2[8 * b +: 8] = q2;
        end
    endgenerate

    genvar k;
    generate
        for (k = 0; k < 8; k = k + 1) begin : rotate
            localparam [2:0] BYTE = k;
            wire [2:0] src_bank = lane0_q + BYTE;
            assign rdata[8 * k +: 8] = bank_q[src_bank];
        end
    endgenerate
endmodule
