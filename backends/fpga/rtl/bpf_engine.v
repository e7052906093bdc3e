// bpf_engine: the single-lane BPF engine: bpf_core with its instruction ROM, data memory
// and helper unit. The host side loads a program (or the ROM starts from IMEM_INIT),
// writes and reads the data memory in 64-bit rows while the engine is idle, sets r1/r2
// and the input length, pulses start, and waits for done or error.
//
// Host data-memory rows (host_row, 8 bytes each, byte 0 in bits 7:0):
//   rows [0, 512)                       the stack: frame k is rows [64k, 64k+64)
//   rows [2**(PKT_AW-3), 2**(PKT_AW-2)) the input/packet buffer, BPF address 0x1_0000_0000 + offset
// A streaming packet interface (valid/ready 64-bit beats) writes the buffer a row per beat
// through the same port; ctx (xdp_md) becomes another region in bpf_core's address map.
module bpf_engine #(
    parameter integer IMEM_AW   = 12,               // instruction ROM: 2**IMEM_AW slots
    parameter         IMEM_INIT = "",               // optional $readmemh program image
    parameter integer PKT_AW    = 12,               // input/packet buffer: 2**PKT_AW bytes (>= 12)
    parameter [31:0]  SEED      = 32'h2545f491      // get_prandom_u32 seed
) (
    input  wire               clk,
    input  wire               rst,
    // program load (engine idle)
    input  wire               prog_we,
    input  wire [IMEM_AW-1:0] prog_addr,
    input  wire [63:0]        prog_wdata,
    input  wire [IMEM_AW:0]   prog_len,
    // host access to the data memory (engine idle); read data one cycle after host_en
    input  wire               host_en,
    input  wire               host_we,
    input  wire [PKT_AW-3:0]  host_row,
    input  wire [63:0]        host_wdata,
    output wire [63:0]        host_rdata,
    // run control and status
    input  wire               start,
    input  wire [63:0]        r1_init,
    input  wire [63:0]        r2_init,
    input  wire [31:0]        mem_len,
    output wire               busy,
    output wire               done,
    output wire               error,
    output wire [3:0]         err_code,
    output wire [IMEM_AW:0]   fault_pc,
    output wire [63:0]        r0,
    output wire [63:0]        cycles,
    output wire [63:0]        retired
);
    wire [IMEM_AW:0] imem_addr;
    wire [63:0]      imem_q0, imem_q1;
    bpf_imem #(.AW(IMEM_AW), .INIT_FILE(IMEM_INIT)) imem (
        .clk(clk), .addr(imem_addr), .q0(imem_q0), .q1(imem_q1),
        .we(prog_we && !busy), .waddr(prog_addr), .wdata(prog_wdata)
    );

    wire             core_en, core_we;
    wire [PKT_AW:0]  core_addr;
    wire [7:0]       core_wbytes;
    wire [63:0]      core_wdata;
    wire [63:0]      dmem_rdata;
    bpf_dmem #(.AW(PKT_AW + 1)) dmem (
        .clk(clk),
        .en(busy ? core_en : host_en),
        .we(busy ? core_we : host_we),
        .addr(busy ? core_addr : {host_row, 3'b000}),
        .wbytes(busy ? core_wbytes : 8'hff),
        .wdata(busy ? core_wdata : host_wdata),
        .rdata(dmem_rdata)
    );
    assign host_rdata = dmem_rdata;

    wire        helper_start, helper_done, helper_error;
    wire [31:0] helper_id;
    wire [63:0] helper_r0, helper_r1, helper_r2, helper_r3, helper_r4, helper_r5;
    bpf_helper_unit #(.SEED(SEED)) helpers (
        .clk(clk), .rst(rst), .start(helper_start), .id(helper_id),
        .r1(helper_r1), .r2(helper_r2), .r3(helper_r3), .r4(helper_r4), .r5(helper_r5),
        .done(helper_done), .error(helper_error), .r0(helper_r0)
    );

    bpf_core #(.IMEM_AW(IMEM_AW), .PKT_AW(PKT_AW)) core (
        .clk(clk), .rst(rst),
        .start(start), .r1_init(r1_init), .r2_init(r2_init), .mem_len(mem_len), .prog_len(prog_len),
        .running(busy), .done(done), .error(error), .err_code(err_code), .fault_pc(fault_pc),
        .r0(r0), .cycles(cycles), .retired(retired),
        .imem_addr(imem_addr), .imem_q0(imem_q0), .imem_q1(imem_q1),
        .dmem_en(core_en), .dmem_we(core_we), .dmem_addr(core_addr), .dmem_wbytes(core_wbytes),
        .dmem_wdata(core_wdata), .dmem_rdata(dmem_rdata),
        .helper_start(helper_start), .helper_id(helper_id),
        .helper_r1(helper_r1), .helper_r2(helper_r2), .helper_r3(helper_r3),
        .helper_r4(helper_r4), .helper_r5(helper_r5),
        .helper_done(helper_done), .helper_error(helper_error), .helper_r0(helper_r0)
    );
endmodule
