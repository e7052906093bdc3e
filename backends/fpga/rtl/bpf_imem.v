// bpf_imem: the instruction ROM, one bundle of LANES slots per row. A slot is a BPF
// slot's eight bytes read as a little-endian u64 (opcode in bits 7:0, dst 11:8, src
// 15:12, off 31:16, imm 63:32); lane k of a row is bits 64k+63:64k, so a $readmemh image
// has one row per line, LANES x 16 hex digits, the last lane first. The registered read
// port q0 returns the row at addr. With one lane, q1 returns the row after it, so that
// lddw (two slots, two rows) issues in one cycle; with more lanes lddw's second half sits
// in lane 1 of its own row and q1 is not built. The host write port writes one slot
// (row waddr / LANES, lane waddr % LANES), so one testbench build runs many programs.
module bpf_imem #(
    parameter integer AW = 12,          // log2(depth): 4096 rows by default
    parameter integer LANES = 1,        // slots per row: 1, 2 or 4
    parameter         INIT_FILE = ""    // optional $readmemh image
) (
    input  wire                  clk,
    input  wire [AW:0]           addr,  // one bit wider than the ROM: pc past the end reads 0
    output reg  [64*LANES-1:0]   q0,    // row[addr]
    output reg  [63:0]           q1,    // LANES = 1: row[addr + 1]; else 0
    input  wire                  we,
    input  wire [AW+LB-1:0]      waddr, // slot index: row * LANES + lane
    input  wire [63:0]           wdata
);
    localparam integer LB = LANES == 4 ? 2 : LANES == 2 ? 1 : 0;
    localparam integer DEPTH = 1 << AW;
    reg [64*LANES-1:0] rom [0:DEPTH-1];

    integer i;
    initial begin
        for (i = 0; i < DEPTH; i = i + 1) rom[i] = {(64 * LANES){1'b0}};
        if (INIT_FILE != "") $readmemh(INIT_FILE, rom);
    end

    always @(posedge clk) q0 <= addr[AW] ? {(64 * LANES){1'b0}} : rom[addr[AW-1:0]];

    generate
        if (LANES == 1) begin : one_lane
            wire [AW:0] addr1 = addr + 1'b1;
            always @(posedge clk) begin
                if (we) rom[waddr] <= wdata;
                q1 <= addr1[AW] ? 64'd0 : rom[addr1[AW-1:0]][63:0];
            end
        end else begin : lanes
            wire [AW-1:0] wrow = waddr[AW+LB-1:LB];
            wire [LB-1:0] wlane = waddr[LB-1:0];
            always @(posedge clk) begin
                if (we) rom[wrow][64 * wlane +: 64] <= wdata;
                q1 <= 64'd0;
            end
        end
    endgenerate
endmodule
