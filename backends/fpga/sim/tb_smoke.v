// A tiny self-contained testbench for simulators without a C++ harness (Icarus): the
// program comes from a $readmemh image (ROM), runs with no input memory, and the result
// is printed as one line: "r0=HEX cycles=N retired=N status=done|error err=N pc=N".
`timescale 1ns / 1ps
module tb_smoke;
    parameter ROM = "";                 // program image, one bundle of LANES slots per line (sim.ts bundleImage)
    parameter integer PROG_LEN = 1;     // bundles in the image
    parameter integer LANES = 4;        // the engine's lanes (1, 2 or 4)
    localparam integer LB = LANES == 4 ? 2 : LANES == 2 ? 1 : 0;
    parameter integer MAX_CYCLES = 100000;

    reg clk = 1'b0;
    reg rst = 1'b1;
    reg start = 1'b0;
    always #5 clk = ~clk;

    wire        busy, done, error;
    wire [3:0]  err_code;
    wire [12:0] fault_pc, fault_base;
    wire [63:0] r0, cycles, retired, host_rdata;
    wire [31:0] pkt_data, pkt_end, rx_frame_len;
    wire        rx_ready, rx_frame_done, rx_overflow;

    bpf_engine #(.IMEM_INIT(ROM), .LANES(LANES)) dut (
        .clk(clk), .rst(rst),
        .prog_we(1'b0), .prog_addr({(12 + LB){1'b0}}), .prog_wdata(64'd0), .prog_len(PROG_LEN[12:0]),
        .host_en(1'b0), .host_we(1'b0), .host_row(10'd0), .host_wdata(64'd0), .host_rdata(host_rdata),
        .ctl_start(1'b0), .ctl_op(2'd0), .ctl_map(4'd0), .ctl_flags(32'd0),
        .start(start), .r1_init(64'd0), .r2_init(64'd0), .mem_len(32'd0),
        .xdp_mode(1'b0), .ingress_ifindex(32'd0), .rx_queue_index(32'd0), .pkt_data(pkt_data), .pkt_end(pkt_end),
        .rx_valid(1'b0), .rx_ready(rx_ready), .rx_data(64'd0), .rx_keep(8'd0), .rx_sop(1'b0), .rx_eop(1'b0),
        .rx_frame_len(rx_frame_len), .rx_frame_done(rx_frame_done), .rx_overflow(rx_overflow),
        // one program, no prog_array/devmap; raw runs send nothing on the transmit stream
        .map_kind_we(1'b0), .map_kind(2'd0), .ptab_we(1'b0), .ptab_idx(3'd0), .ptab_base(13'd0), .ptab_len(13'd0),
        .tx_ready(1'b1),
        .busy(busy), .done(done), .error(error), .err_code(err_code), .fault_pc(fault_pc), .fault_base(fault_base),
        .r0(r0), .cycles(cycles), .retired(retired)
    );

    integer n;
    initial begin
        repeat (2) @(posedge clk);
        rst <= 1'b0;
        @(posedge clk);
        start <= 1'b1;
        @(posedge clk);
        start <= 1'b0;
        n = 0;
        while (!done && !error && n < MAX_CYCLES) begin
            @(posedge clk);
            n = n + 1;
        end
        $display("r0=%h cycles=%0d retired=%0d status=%s err=%0d pc=%0d", r0, cycles, retired,
                 done ? "done" : error ? "error" : "timeout", err_code, fault_pc);
        $finish;
    end
endmodule
