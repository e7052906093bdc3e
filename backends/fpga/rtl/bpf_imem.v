// bpf_imem: the instruction ROM. One 64-bit word per BPF slot: the slot's eight bytes
// read as a little-endian u64 (opcode in bits 7:0, dst 11:8, src 15:12, off 31:16,
// imm 63:32), so a $readmemh image has one 16-digit hex word per line. Two registered
// read ports return slot[addr] and slot[addr+1], so lddw (two slots) issues in one cycle.
// The host write port loads a program at run time (many programs, one simulation build).
module bpf_imem #(
    parameter integer AW = 12,          // log2(depth): 4096 slots by default
    parameter         INIT_FILE = ""    // optional $readmemh image
) (
    input  wire          clk,
    input  wire [AW:0]   addr,          // one bit wider than the ROM: pc past the end reads 0
    output reg  [63:0]   q0,            // slot[addr]
    output reg  [63:0]   q1,            // slot[addr + 1]
    input  wire          we,
    input  wire [AW-1:0] waddr,
    input  wire [63:0]   wdata
);
    localparam integer DEPTH = 1 << AW;
    reg [63:0] rom [0:DEPTH-1];

    integer i;
    initial begin
        for (i = 0; i < DEPTH; i = i + 1) rom[i] = 64'd0;
        if (INIT_FILE != "") $readmemh(INIT_FILE, rom);
    end

    wire [AW:0] addr1 = addr + 1'b1;

    always @(posedge clk) begin
        if (we) rom[waddr] <= wdata;
        q0 <= addr[AW] ? 64'd0 : rom[addr[AW-1:0]];
        q1 <= addr1[AW] ? 64'd0 : rom[addr1[AW-1:0]];
    end
endmodule
