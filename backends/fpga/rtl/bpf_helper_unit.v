// bpf_helper_unit: the helper functions the engine computes in hardware, behind the
// core's call port (start, id, r1-r5 in; done, error, r0 out). Each row matches
// runtime/helpers/table.ts, the reference:
//   5  ktime_get_ns          deterministic clock: starts at START_NS, +STEP_NS per call
//   7  get_prandom_u32       xorshift32 (13, 17, 5) from SEED
//   8  get_smp_processor_id  0: one engine is one CPU
//   23 redirect              flags (r2) 0: the run's redirect target = r1's low 32 bits,
//                            r0 = XDP_REDIRECT (4); any flag: r0 = XDP_ABORTED (0), no
//                            target (net/core/filter.c, as the interpreter)
// Any other id answers with error (the offload check refuses such programs at build
// time). Helpers 1-3 (map lookup/update/delete) never come here: bpf_core runs
// them, since they read memory through its address translation. The clock and random
// state survive `start` (as the interpreter's HostState does from packet to packet) and
// are cleared by reset; the redirect target belongs to one run (the interpreter's
// env.redirect) and is cleared by run_start.
module bpf_helper_unit #(
    parameter [31:0] SEED     = 32'h2545f491,           // newHostState's default seed
    parameter [63:0] START_NS = 64'd1000000000,
    parameter [63:0] STEP_NS  = 64'd1000
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        run_start,       // a program run starts: no redirect target yet
    input  wire        start,
    input  wire [31:0] id,
    /* verilator lint_off UNUSEDSIGNAL */
    // Arguments: redirect reads r1 (ifindex, low 32 bits) and r2 (flags); packet helpers will read the rest.
    input  wire [63:0] r1,
    input  wire [63:0] r2,
    input  wire [63:0] r3,
    input  wire [63:0] r4,
    input  wire [63:0] r5,
    /* verilator lint_on UNUSEDSIGNAL */
    output reg         done,
    output reg         error,
    output reg  [63:0] r0,
    // bpf_redirect_map (run by bpf_core) found its target: a pulse and the ifindex
    input  wire        map_redirect_set,
    input  wire [31:0] map_redirect_ifindex,
    output reg         redirect_valid,  // this run redirected (redirect with flags 0, or redirect_map found its target) ...
    output reg  [31:0] redirect_ifindex // ... and this was the last target it gave
);
    localparam [31:0] KTIME_GET_NS = 32'd5, GET_PRANDOM_U32 = 32'd7, GET_SMP_PROCESSOR_ID = 32'd8,
                      REDIRECT = 32'd23;
    localparam [63:0] XDP_ABORTED = 64'd0, XDP_REDIRECT = 64'd4;

    reg  [63:0] time_ns;
    reg  [31:0] rng;
    // xorshift32, as nextRandom in runtime/helpers/table.ts.
    wire [31:0] x1 = rng ^ (rng << 13);
    wire [31:0] x2 = x1 ^ (x1 >> 17);
    wire [31:0] rng_next = x2 ^ (x2 << 5);

    always @(posedge clk) begin
        if (rst) begin
            time_ns <= START_NS;
            rng <= (SEED == 32'd0) ? 32'd1 : SEED;
            done <= 1'b0;
            error <= 1'b0;
            r0 <= 64'd0;
            redirect_valid <= 1'b0;
            redirect_ifindex <= 32'd0;
        end else begin
            if (run_start) redirect_valid <= 1'b0;
            if (map_redirect_set) begin
                redirect_valid <= 1'b1;
                redirect_ifindex <= map_redirect_ifindex;
            end
            done <= start;
            error <= 1'b0;
            if (start) begin
                case (id)
                    KTIME_GET_NS: begin
                        time_ns <= time_ns + STEP_NS;
                        r0 <= time_ns + STEP_NS;
                    end
                    GET_PRANDOM_U32: begin
                        rng <= rng_next;
                        r0 <= {32'b0, rng_next};
                    end
                    GET_SMP_PROCESSOR_ID: r0 <= 64'd0;
                    REDIRECT: begin
                        if (r2 == 64'd0) begin
                            redirect_valid <= 1'b1;
                            redirect_ifindex <= r1[31:0];
                            r0 <= XDP_REDIRECT;
                        end else r0 <= XDP_ABORTED;
                    end
                    default: begin
                        r0 <= 64'd0;
                        error <= 1'b1;
                    end
                endcase
            end
        end
    end
endmodule
