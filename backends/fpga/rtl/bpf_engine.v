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
// Transmit stream: after an XDP run ends with done, the frame as the program left it,
// buffer bytes [pkt_data, pkt_end), goes out in 64-bit beats (byte 0 in bits 7:0) with
// valid/ready, sop on the first beat, eop on the last, tx_keep (contiguous from bit 0) the
// valid bytes of the eop beat (a frame of 0 bytes is one beat with keep 0). tx_verdict (r0's
// low 32 bits) and tx_ifindex (the redirect target with XDP_REDIRECT, else 0) are
// sideband, steady for the whole frame. One beat a cycle while tx_ready is high: each beat
// is an unaligned 8-byte read of the data memory (bpf_dmem needs no alignment), issued
// when the beat before is taken. While tx_active, the host port and the receive stream
// wait (rx_ready is low) and start must not be pulsed. A fault sends nothing.
//
// Tail calls: the ROM may hold several programs; the entry program starts at slot 0
// (prog_len slots) and the program table (ptab_*) gives every program a prog_array can
// name its base and length. The run's redirect target (bpf_redirect or bpf_redirect_map) comes out on redirect_*.
//
// Array and hash maps: the map value memory (2**MAP_AW bytes) is a second bpf_dmem; the host
// reads and writes it in 64-bit rows with host_map = 1 (host_map_row), and writes the map
// table (map_we, map_idx, map_wdata; format in bpf_core.v) before start. Both keep
// their contents from run to run (the table is cleared by reset, the memory is not).
// Between runs the host may also run map commands (ctl_*): lookup, update or delete of
// one key by the map helper sequence itself, so that it has the programs' semantics
// (hashing, probing, LPM counts) without a copy of them on the host side.
module bpf_engine #(
    parameter integer IMEM_AW   = 12,               // instruction ROM: 2**IMEM_AW bundles of LANES slots
    parameter         IMEM_INIT = "",               // optional $readmemh program image
    parameter integer PKT_AW    = 12,               // input/packet buffer: 2**PKT_AW bytes (>= 12)
    parameter [31:0]  SEED      = 32'h2545f491,     // get_prandom_u32 seed
    parameter integer MAP_AW    = 16,               // map value memory: 2**MAP_AW bytes (9..21)
    parameter integer LANES     = 4                 // slots per bundle: 1, 2 or 4 (docs/fpga-engine.md, "Lanes")
) (
    input  wire               clk,
    input  wire               rst,
    // program load (engine idle)
    input  wire               prog_we,
    input  wire [IMEM_AW+(LANES == 4 ? 2 : LANES == 2 ? 1 : 0)-1:0] prog_addr,     // slot index: bundle * LANES + lane
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
    // map commands (engine idle; see bpf_core): key at stack frame 7 offset 0, value at 24;
    // a TCAM update/delete (insert/remove) also its mask at stack frame 6 offset 0, priority at 16
    input  wire               ctl_start,
    input  wire [1:0]         ctl_op,           // 1 lookup, 2 update, 3 delete
    input  wire [3:0]         ctl_map,
    input  wire [31:0]        ctl_flags,
    output wire [MAP_AW-1:0]  ctl_value_addr,   // lookup found: the value's first map memory byte
    input  wire               map_kind_we,      // with map_idx: 0 plain, 1 prog_array, 2 devmap (bpf_core.v)
    input  wire [1:0]         map_kind,
    // program table (engine idle): the ROM base and length of each program a tail call can reach
    input  wire               ptab_we,
    input  wire [2:0]         ptab_idx,
    input  wire [IMEM_AW:0]   ptab_base,
    input  wire [IMEM_AW:0]   ptab_len,
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
    // transmit stream (after an XDP run)
    output reg                tx_valid,
    input  wire               tx_ready,
    output wire [63:0]        tx_data,
    output reg  [7:0]         tx_keep,
    output reg                tx_sop,
    output reg                tx_eop,
    output reg  [31:0]        tx_verdict,
    output reg  [31:0]        tx_ifindex,
    output wire               tx_active,
    output wire               busy,
    output wire               done,
    output wire               error,
    output wire [3:0]         err_code,
    output wire [IMEM_AW:0]   fault_pc,
    output wire [IMEM_AW:0]   fault_base,       // the faulting program's first bundle (fault_pc counts from it)
    output wire [63:0]        r0,
    output wire [63:0]        cycles,
    output wire [63:0]        retired,
    // the last run redirected (bpf_redirect with flags 0, or bpf_redirect_map found its
    // target): valid, and the last target ifindex
    output wire               redirect_valid,
    output wire [31:0]        redirect_ifindex
);
    wire [IMEM_AW:0]     imem_addr;
    wire [64*LANES-1:0]  imem_q0;
    wire [63:0]          imem_q1;
    bpf_imem #(.AW(IMEM_AW), .LANES(LANES), .INIT_FILE(IMEM_INIT)) imem (
        .clk(clk), .addr(imem_addr), .q0(imem_q0), .q1(imem_q1),
        .we(prog_we && !busy), .waddr(prog_addr), .wdata(prog_wdata)
    );

    // ------------------------------------------------------------------ receive stream
    localparam integer HEADROOM = 256;
    localparam integer FRAME_ROWS = ((1 << PKT_AW) - 2 * HEADROOM) / 8;   // rows a frame may fill
    reg              rx_in_frame;
    assign rx_ready = !busy && !host_en && !tx_active;
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

    // ------------------------------------------------------------------ transmit stream
    localparam [31:0] XDP_REDIRECT = 32'd4;
    reg              xdp_run;           // the run (or the one that ended) is XDP, not raw or a map command
    reg              done_q;
    reg              tx_on;             // beats left to send (tx_valid is the one presented)
    reg  [31:0]      tx_at;             // buffer offset of the next beat to read
    reg  [31:0]      tx_left;           // bytes from tx_at to the frame's end
    wire             tx_begin = done && !done_q && xdp_run;
    wire             tx_take = tx_valid && tx_ready;
    // read the next beat: at the frame's start, or when the beat presented is taken
    wire             tx_read = tx_begin || (tx_take && tx_on);
    wire [31:0]      tx_read_at = tx_begin ? pkt_data : tx_at;
    wire [31:0]      tx_read_left = tx_begin ? pkt_end - pkt_data : tx_left;
    assign tx_active = tx_on || tx_valid || tx_begin;
    always @(posedge clk) begin
        if (rst) begin
            xdp_run <= 1'b0;
            done_q <= 1'b0;
            tx_on <= 1'b0;
            tx_valid <= 1'b0;
            tx_at <= 32'd0;
            tx_left <= 32'd0;
            tx_keep <= 8'd0;
            tx_sop <= 1'b0;
            tx_eop <= 1'b0;
            tx_verdict <= 32'd0;
            tx_ifindex <= 32'd0;
        end else begin
            done_q <= done;
            if (start && !busy) xdp_run <= xdp_mode;
            else if (ctl_start && !busy) xdp_run <= 1'b0;     // a map command ends with done too: nothing to send
            if (tx_read) begin
                // the beat read this cycle is presented from the next cycle on
                tx_valid <= 1'b1;
                tx_sop <= tx_begin;
                tx_eop <= tx_read_left <= 32'd8;
                tx_keep <= tx_read_left >= 32'd8 ? 8'hff : 8'hff >> (4'd8 - tx_read_left[3:0]);
                tx_on <= tx_read_left > 32'd8;
                tx_at <= tx_read_at + 32'd8;
                tx_left <= tx_read_left > 32'd8 ? tx_read_left - 32'd8 : 32'd0;
                if (tx_begin) begin
                    tx_verdict <= r0[31:0];
                    tx_ifindex <= redirect_valid && r0 == {32'd0, XDP_REDIRECT} ? redirect_ifindex : 32'd0;
                end
            end else if (tx_take) begin
                tx_valid <= 1'b0;
            end
        end
    end
    assign tx_data = dmem_rdata;            // held: the memory reads only when tx_read

    wire             core_en, core_we;
    wire [PKT_AW:0]  core_addr;
    wire [7:0]       core_wbytes;
    wire [63:0]      core_wdata;
    wire [63:0]      dmem_rdata;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0]      dmem_rdata2;       // the data memory's second read port is not used
    /* verilator lint_on UNUSEDSIGNAL */
    bpf_dmem #(.AW(PKT_AW + 1)) dmem (
        .clk(clk),
        .en(busy ? core_en : tx_active ? tx_read : (host_en && !host_map) || (rx_fire && rx_room)),
        .we(busy ? core_we : tx_active ? 1'b0 : host_en ? host_we : 1'b1),
        .addr(busy ? core_addr : tx_active ? {1'b1, tx_read_at[PKT_AW-1:0]} : host_en ? {host_row, 3'b000} : {1'b1, rx_off}),
        .wbytes(busy ? core_wbytes : host_en ? 8'hff : rx_wbytes),
        .wdata(busy ? core_wdata : host_en ? host_wdata : rx_data),
        .rdata(dmem_rdata),
        .en2(1'b0), .row2({(PKT_AW - 2){1'b0}}), .rdata2(dmem_rdata2)
    );

    wire                core_men, core_mwe;
    wire [MAP_AW-1:0]   core_maddr;
    wire [7:0]          core_mwbytes;
    wire [63:0]         core_mwdata;
    wire [63:0]         mmem_rdata;
    wire                core_men2;
    wire [MAP_AW-4:0]   core_mrow2;
    wire [63:0]         mmem_rdata2;
    bpf_dmem #(.AW(MAP_AW)) mmem (
        .clk(clk),
        .en(busy ? core_men : host_en && host_map),
        .we(busy ? core_mwe : host_we),
        .addr(busy ? core_maddr : {host_map_row, 3'b000}),
        .wbytes(busy ? core_mwbytes : 8'hff),
        .wdata(busy ? core_mwdata : host_wdata),
        .rdata(mmem_rdata),
        .en2(core_men2), .row2(core_mrow2), .rdata2(mmem_rdata2)     // the map helpers' second read (bpf_core)
    );
    reg host_map_q;
    always @(posedge clk) if (host_en) host_map_q <= host_map;
    assign host_rdata = host_map_q ? mmem_rdata : dmem_rdata;

    wire        helper_start, helper_done, helper_error;
    wire        redirect_map_set;
    wire [31:0] redirect_map_ifindex;
    wire [31:0] helper_id;
    wire [63:0] helper_r0, helper_r1, helper_r2, helper_r3, helper_r4, helper_r5;
    bpf_helper_unit #(.SEED(SEED)) helpers (
        .clk(clk), .rst(rst), .run_start(start && !busy), .start(helper_start), .id(helper_id),
        .r1(helper_r1), .r2(helper_r2), .r3(helper_r3), .r4(helper_r4), .r5(helper_r5),
        .done(helper_done), .error(helper_error), .r0(helper_r0),
        .map_redirect_set(redirect_map_set), .map_redirect_ifindex(redirect_map_ifindex),
        .redirect_valid(redirect_valid), .redirect_ifindex(redirect_ifindex)
    );

    bpf_core #(.IMEM_AW(IMEM_AW), .PKT_AW(PKT_AW), .MAP_AW(MAP_AW), .LANES(LANES)) core (
        .clk(clk), .rst(rst),
        .start(start), .r1_init(r1_init), .r2_init(r2_init), .mem_len(mem_len), .prog_len(prog_len),
        .xdp_mode(xdp_mode), .ingress_ifindex(ingress_ifindex), .rx_queue_index(rx_queue_index),
        .pkt_data(pkt_data), .pkt_end(pkt_end),
        .running(busy), .done(done), .error(error), .err_code(err_code), .fault_pc(fault_pc), .fault_base(fault_base),
        .r0(r0), .cycles(cycles), .retired(retired),
        .imem_addr(imem_addr), .imem_q0(imem_q0), .imem_q1(imem_q1),
        .dmem_en(core_en), .dmem_we(core_we), .dmem_addr(core_addr), .dmem_wbytes(core_wbytes),
        .dmem_wdata(core_wdata), .dmem_rdata(dmem_rdata),
        .mmem_en(core_men), .mmem_we(core_mwe), .mmem_addr(core_maddr), .mmem_wbytes(core_mwbytes),
        .mmem_wdata(core_mwdata), .mmem_rdata(mmem_rdata),
        .mmem_en2(core_men2), .mmem_row2(core_mrow2), .mmem_rdata2(mmem_rdata2),
        .map_we(map_we && !busy), .map_idx(map_idx), .map_wdata(map_wdata),
        .ctl_start(ctl_start && !start), .ctl_op(ctl_op), .ctl_map(ctl_map), .ctl_flags(ctl_flags), .ctl_value_addr(ctl_value_addr),
        .map_kind_we(map_kind_we && !busy), .map_kind(map_kind),
        .ptab_we(ptab_we && !busy), .ptab_idx(ptab_idx), .ptab_base(ptab_base), .ptab_len(ptab_len),
        .redirect_map_set(redirect_map_set), .redirect_map_ifindex(redirect_map_ifindex),
        .helper_start(helper_start), .helper_id(helper_id),
        .helper_r1(helper_r1), .helper_r2(helper_r2), .helper_r3(helper_r3),
        .helper_r4(helper_r4), .helper_r5(helper_r5),
        .helper_done(helper_done), .helper_error(helper_error), .helper_r0(helper_r0)
    );
endmodule
