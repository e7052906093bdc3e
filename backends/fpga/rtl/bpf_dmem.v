// bpf_dmem: the engine's data memory (stack frames and the input/packet buffer), eight
// byte-wide banks so that any access of 1 to 8 bytes at any byte address, aligned or
// not, is one cycle: byte i of the access lives in bank (addr + i) mod 8, row
// (addr + i) / 8. Reads are registered (block RAM); a write and a read of the same
// cycle see the old bytes. Port B reads only (lane 1's loads, docs/fpga-engine.md,
// "Lanes"; in the map memory also the map helpers' probes, a hash slot's key word beside
// its meta word): each bank is then a simple dual-port RAM (one write/read port, one read
// port), which block RAMs are (where a block RAM's two ports serve the write and the first
// read, as in yosys's ECP5 mapping, port B is a copy). The engine never reads an address on port B in the
// cycle port A writes it (the scheduler keeps such a load out of a store's bundle):
// what a block RAM returns then differs between vendors.
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
    input  wire          en_b,          // port B: a read of 8 bytes from addr_b (held while en_b is low)
    input  wire [AW-1:0] addr_b,
    output wire [63:0]   rdata_b
);
    localparam integer ROWS = 1 << (AW - 3);

    wire [AW-4:0] row = addr[AW-1:3];
    wire [2:0]    lane0 = addr[2:0];
    reg  [2:0]    lane0_q;
    wire [7:0]    bank_q [0:7];
    wire [AW-4:0] row_b = addr_b[AW-1:3];
    wire [2:0]    lane0_b = addr_b[2:0];
    reg  [2:0]    lane0_b_q;
    wire [7:0]    bank_qb [0:7];

    always @(posedge clk) if (en) lane0_q <= lane0;
    always @(posedge clk) if (en_b) lane0_b_q <= lane0_b;

    genvar b;
    generate
        for (b = 0; b < 8; b = b + 1) begin : bank
            localparam [2:0] BANK = b;
            // This bank holds byte i = (b - lane0) mod 8 of the access.
            wire [2:0]    i = BANK - lane0;
            wire [3:0]    lane_sum = {1'b0, lane0} + {1'b0, i};   // BANK, or BANK + 8 if the access wrapped
            wire [AW-4:0] bank_row = row + {{(AW - 4){1'b0}}, lane_sum > 4'd7};
            wire [2:0]    i_b = BANK - lane0_b;
            wire [3:0]    lane_sum_b = {1'b0, lane0_b} + {1'b0, i_b};
            wire [AW-4:0] bank_row_b = row_b + {{(AW - 4){1'b0}}, lane_sum_b > 4'd7};
            reg  [7:0]    mem [0:ROWS-1];
            reg  [7:0]    q, qb;
            always @(posedge clk) begin
                if (en) begin
                    if (we && wbytes[i]) mem[bank_row] <= wdata[8 * i +: 8];
                    q <= mem[bank_row];
                end
                if (en_b) qb <= mem[bank_row_b];
            end
            assign bank_q[b] = q;
            assign bank_qb[b] = qb;
        end
    endgenerate

    genvar k;
    generate
        for (k = 0; k < 8; k = k + 1) begin : rotate
            localparam [2:0] BYTE = k;
            wire [2:0] src_bank = lane0_q + BYTE;
            assign rdata[8 * k +: 8] = bank_q[src_bank];
            wire [2:0] src_bank_b = lane0_b_q + BYTE;
            assign rdata_b[8 * k +: 8] = bank_qb[src_bank_b];
        end
    endgenerate
endmodule
