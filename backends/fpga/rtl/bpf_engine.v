// bpf_engine: the single-lane BPF engine: bpf_core with its instruction ROM, data memory
// and helper unit. The host side loads a program (or the ROM starts from IMEM_INIT),
// writes and reads the data memory in 64-bit rows while the engine is idle, sets r1/r2
// and the input length, pulses start, and waits for done or error.
//
// Host data-memory rows (host_row, 8 bytes each, byte 0 in bits 7:0):
//   rows [0, 512)                       the stack: frame k is rows [64k, 64k+64)
//   rows [2**(PKT_AW-3), 2**(PKT_AW-2)) the input/packet buffer, BPF address 0x1_0000_0000 + offset
// Raw runs (xdp_mode = 0): the input memory at buffer offset 0, mem_len bytes, r1/r2 as
// given. XDP runs (xdp_mode = 1): the frame at buffer offset 256 (the headroom), mem_len
// bytes; r1 = the xdp_md context (region 2); the verdict is r0 and the frame after the run
// is buffer bytes [pkt_data, pkt_end).
//
// Frames come in either through the host port (at host row 2**(PKT_AW-3) + 32) or through
// the receive stream: 64-bit beats (byte 0 in bits 7:0) with valid/ready, sop on the first
// beat and eop on the last, whose rx_keep (contiguous from bit 0) says how many of its
// bytes are valid. The stream writes the buffer a row per beat from offset 256 while the
// engine is idle and the host port unused; at eop, rx_frame_len holds the frame's length
// and rx_frame_done pulses, so that the host starts an XDP run with mem_len = rx_frame_len.
// Bytes beyond the room for a frame (the buffer less 256 bytes of headroom and of
// tailroom) are dropped and rx_overflow is set until the next sop; beats outside a frame
// (before any sop) are dropped.
//
// Array and hash maps: the map value memory (2**MAP_AW bytes) is a second bpf_dmem; the host
// reads and writes it in 64-bit rows with host_map = 1 (host_map_row), and writes the map
// table (map_we, map_idx, map_wdata; format in bpf_core.v) before start. Both keep
// their contents from run to run (the table is cleared by reset, the memory is not).
// Between runs the host may also run map commands (ctl_*): lookup, update or delete of
// one key by the map helper sequence itself, so that it has the programs' semantics
// (hashing, probing, LPM counts) without a copy of them on the host side.
module bpf_engine #(
    parameter integer IMEM_AW   = 12,               // instruction ROM: 2**IMEM_AW slots
    parameter         IMEM_INIT = "",               // optional $readmemh program image
    parameter integer PKT_AW    = 12,               // input/packet buffer: 2**PKT_AW bytes (>= 12)
    parameter [31:0]  SEED      = 32'h2545f491,     // get_prandom_u32 seed
    parameter integer MAP_AW    = 16                // map value memory: 2**MAP_AW bytes (9..21)
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
    input  wire               host_map,         // the host access goes to the map value memory
    input  wire [MAP_AW-4:0]  host_map_row,
    // map table (engine idle)
    input  wire               map_we,
    input  wire [3:0]         map_idx,          // 16 maps
    input  wire [63:0]        map_wdata,
    // map commands (engine idle; see bpf_core): key at stack frame 7 offset 0, value at 16
    input  wire               ctl_start,
    input  wire [1:0]         ctl_op,           // 1 lookup, 2 update, 3 delete
    input  wire [3:0]         ctl_map,
    input  wire [31:0]        ctl_flags,
    output wire [MAP_AW-1:0]  ctl_value_addr,   // lookup found: the value's first map memory byte
    // run control and status
    input  wire               start,
    input  wire [63:0]        r1_init,
    input  wire [63:0]        r2_init,
    input  wire [31:0]        mem_len,
    input  wire               xdp_mode,
    input  wire [31:0]        ingress_ifindex,
    input  wire [31:0]        rx_queue_index,
    output wire [31:0]        pkt_data,
    output wire [31:0]        pkt_end,
    // receive stream (engine idle, host port unused)
    input  wire               rx_valid,
    output wire               rx_ready,
    input  wire [63:0]        rx_data,
    input  wire [7:0]         rx_keep,
    input  wire               rx_sop,
    input  wire               rx_eop,
    output reg  [31:0]        rx_frame_len,
    output reg                rx_frame_done,
    output reg                rx_overflow,
    output wire               busy,
    output wire               done,
    output wire               error,
    output wire [3:0]         err_code,
    output wire [IMEM_AW:0]   fault_pc,
    output wire [63:0]        r0,
    output wire [63:0]        cycles,
    output wire [63:0]        retired,
    // bpf_redirect (helper 23) in the last run: valid, and the target ifindex
    output wire               redirect_valid,
    output wire [31:0]        redirect_ifindex
);
    wire [IMEM_AW:0] imem_addr;
    wire [63:0]      imem_q0, imem_q1;
    bpf_imem #(.AW(IMEM_AW), .INIT_FILE(IMEM_INIT)) imem (
        .clk(clk), .addr(imem_addr), .q0(imem_q0), .q1(imem_q1),
        .we(prog_we && !busy), .waddr(prog_addr), .wdata(prog_wdata)
    );

    // ------------------------------------------------------------------ receive stream
    localparam integer HEADROOM = 256;
    localparam integer FRAME_ROWS = ((1 << PKT_AW) - 2 * HEADROOM) / 8;   // rows a frame may fill
    reg              rx_in_frame;
    assign rx_ready = !busy && !host_en;
    wire             rx_fire = rx_valid && rx_ready && (rx_sop || rx_in_frame);
    reg  [PKT_AW-3:0] rx_row;                                   // row of the frame being written, up to FRAME_ROWS
    wire [PKT_AW-3:0] rx_row_now = rx_sop ? {(PKT_AW - 2){1'b0}} : rx_row;
    wire             rx_room = {1'b0, rx_row_now} < FRAME_ROWS[PKT_AW-2:0];
    wire [7:0]       rx_wbytes = rx_eop ? rx_keep : 8'hff;
    reg  [3:0]       rx_count;                                   // valid bytes of this beat
    integer          k;
    always @* begin
        rx_count = 4'd0;
        for (k = 0; k < 8; k = k + 1) rx_count = rx_count + {3'd0, rx_wbytes[k]};
    end
    wire [PKT_AW-1:0] rx_off = HEADROOM[PKT_AW-1:0] + {rx_row_now[PKT_AW-4:0], 3'b000};
    wire [31:0]      rx_len_before = rx_sop ? 32'd0 : rx_frame_len;

    always @(posedge clk) begin
        rx_frame_done <= 1'b0;
        if (rst) begin
            rx_in_frame <= 1'b0;
            rx_row <= {(PKT_AW - 2){1'b0}};
            rx_frame_len <= 32'd0;
            rx_overflow <= 1'b0;
        end else if (rx_fire) begin
            rx_in_frame <= !rx_eop;
            rx_row <= rx_room ? rx_row_now + 1'b1 : rx_row_now;   // saturates: no wrap into the buffer
            rx_frame_done <= rx_eop;
            if (rx_room) rx_frame_len <= rx_len_before + {28'd0, rx_count};
            else rx_frame_len <= rx_len_before;
            rx_overflow <= (rx_sop ? 1'b0 : rx_overflow) || !rx_room;
        end
    end

    wire             core_en, core_we;
    wire [PKT_AW:0]  core_addr;
    wire [7:0]       core_wbytes;
    wire [63:0]      core_wdata;
    wire [63:0]      dmem_rdata;
    bpf_dmem #(.AW(PKT_AW + 1)) dmem (
        .clk(clk),
        .en(busy ? core_en : (host_en && !host_map) || (rx_fire && rx_room)),
        .we(busy ? core_we : host_en ? host_we : 1'b1),
        .addr(busy ? core_addr : host_en ? {host_row, 3'b000} : {1'b1, rx_off}),
        .wbytes(busy ? core_wbytes : host_en ? 8'hff : rx_wbytes),
        .wdata(busy ? core_wdata : host_en ? host_wdata : rx_data),
        .rdata(dmem_rdata)
    );

    wire                core_men, core_mwe;
    wire [MAP_AW-1:0]   core_maddr;
    wire [7:0]          core_mwbytes;
    wire [63:0]         core_mwdata;
    wire [63:0]         mmem_rdata;
    bpf_dmem #(.AW(MAP_AW)) mmem (
        .clk(clk),
        .en(busy ? core_men : host_en && host_map),
        .we(busy ? core_mwe : host_we),
        .addr(busy ? core_maddr : {host_map_row, 3'b000}),
        .wbytes(busy ? core_mwbytes : 8'hff),
        .wdata(busy ? core_mwdata : host_wdata),
        .rdata(mmem_rdata)
    );
    reg host_map_q;
    always @(posedge clk) if (host_en) host_map_q <= host_map;
    assign host_rdata = host_map_q ? mmem_rdata : dmem_rdata;

    wire        helper_start, helper_done, helper_error;
    wire [31:0] helper_id;
    wire [63:0] helper_r0, helper_r1, helper_r2, helper_r3, helper_r4, helper_r5;
    bpf_helper_unit #(.SEED(SEED)) helpers (
        .clk(clk), .rst(rst), .run_start(start && !busy), .start(helper_start), .id(helper_id),
        .r1(helper_r1), .r2(helper_r2), .r3(helper_r3), .r4(helper_r4), .r5(helper_r5),
        .done(helper_done), .error(helper_error), .r0(helper_r0),
        .redirect_valid(redirect_valid), .redirect_ifindex(redirect_ifindex)
    );

    bpf_core #(.IMEM_AW(IMEM_AW), .PKT_AW(PKT_AW), .MAP_AW(MAP_AW)) core (
        .clk(clk), .rst(rst),
        .start(start), .r1_init(r1_init), .r2_init(r2_init), .mem_len(mem_len), .prog_len(prog_len),
        .xdp_mode(xdp_mode), .ingress_ifindex(ingress_ifindex), .rx_queue_index(rx_queue_index),
        .pkt_data(pkt_data), .pkt_end(pkt_end),
        .running(busy), .done(done), .error(error), .err_code(err_code), .fault_pc(fault_pc),
        .r0(r0), .cycles(cycles), .retired(retired),
        .imem_addr(imem_addr), .imem_q0(imem_q0), .imem_q1(imem_q1),
        .dmem_en(core_en), .dmem_we(core_we), .dmem_addr(core_addr), .dmem_wbytes(core_wbytes),
        .dmem_wdata(core_wdata), .dmem_rdata(dmem_rdata),
        .mmem_en(core_men), .mmem_we(core_mwe), .mmem_addr(core_maddr), .mmem_wbytes(core_mwbytes),
        .mmem_wdata(core_mwdata), .mmem_rdata(mmem_rdata),
        .map_we(map_we && !busy), .map_idx(map_idx), .map_wdata(map_wdata),
        .ctl_start(ctl_start && !start), .ctl_op(ctl_op), .ctl_map(ctl_map), .ctl_flags(ctl_flags), .ctl_value_addr(ctl_value_addr),
        .helper_start(helper_start), .helper_id(helper_id),
        .helper_r1(helper_r1), .helper_r2(helper_r2), .helper_r3(helper_r3),
        .helper_r4(helper_r4), .helper_r5(helper_r5),
        .helper_done(helper_done), .helper_error(helper_error), .helper_r0(helper_r0)
    );
endmodule
