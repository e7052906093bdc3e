// bpf_core: a single-lane, in-order, five-stage BPF processor (RFC 9669 ISA, with the
// meaning runtime/interp/interpreter.ts gives it). docs/fpga-engine.md has the diagram.
//
//   fetch     the ROM address is chosen (redirect target, hold, or next slot); the ROM's
//             registered outputs (slot, slot+1) are the decode stage's instruction
//   decode    decode, register read (with write-back bypass), load-use hazard check
//   execute   forwarding muxes (from memory and write-back), ALU, branch condition and
//             redirect, address generation with bounds check, stores, multi-cycle ops
//             (divider, atomics, helper calls), bpf-to-bpf call and exit
//   memory    the data memory's registered read; load alignment and sign extension
//   writeback register file write
//
// Address map (64-bit BPF addresses; the upper half names the region, the lower half is
// the byte offset within it; everything else faults):
//   0x0000_0001_xxxx_xxxx  input memory / packet buffer, offsets [pkt_meta, pkt_end):
//                          raw runs [0, mem_len); XDP runs [256, 256 + mem_len), the frame
//                          after XDP_PACKET_HEADROOM as the interpreter lays it out
//   0x0000_0002_xxxx_xxxx  XDP runs: struct xdp_md, read-only; only 4-byte loads at
//                          offsets 0/4/8 (packet pointers data/data_end/data_meta) and
//                          12/16/20 (ingress_ifindex, rx_queue_index, egress_ifindex = 0)
//   0x0000_0010_xxxx_xxxx  stack frame 0, offsets [0, 512); r10 = 0x0000_0010_0000_0200
//   ...
//   0x0000_0017_xxxx_xxxx  stack frame 7 (call depth 7)
//   0x0000_0100_0000_0000 + m<<32  the handle of map m (0..15, lddw src=1): not dereferenceable
//   0x4m_iiiiii_xxxx_xxxx  map m (0..f), array element or hash slot i (24 bits): offsets [0, value_size);
//                          lddw src=2 (global data: map_value(m) + off) gives 0x4m_000000_<off>
// Physical data memory (bpf_dmem): stack frame k at byte k*512, the input buffer at
// byte 2**PKT_AW (the upper half of the memory). Map values live in a second memory
// (2**MAP_AW bytes): element i of map m at base[m] + (i << shift[m]), from the map table
// the host writes before start (map_we/map_idx/map_wdata: [14:0] value_size, [15] keyed
// slots, [19:16] log2 of the slot size, [35:20] max_entries (0: no map), [39:36] key_size - 1,
// [60:40] base byte, [61] read-only for programs (BPF_F_RDONLY_PROG: stores and atomics
// fault), [63:62] with [15] the keyed kind: 0 hash, 1 LPM trie, 2 TCAM, 3 LRU hash).
// Helpers 1/2/3 (map lookup/update/delete) on array, hash, LPM and TCAM maps run here, not in the
// helper unit: they read the key (and the value) through the same address translation;
// hash maps probe their slots in the map memory (linear probing, tombstones); LPM tries
// are hash tables of canonical prefixes searched one prefix length at a time, longest
// first, over the lengths in use (a bitmap in the map's header); TCAM rows are scanned
// in priority order, the first (value, mask) match wins.
module bpf_core #(
    parameter integer IMEM_AW   = 12,   // log2 of the instruction ROM depth
    parameter integer PKT_AW    = 12,   // log2 of the input/packet buffer size in bytes (>= 12)
    parameter integer MAX_DEPTH = 8,    // call frames, as MAX_CALL_DEPTH in the interpreter
    parameter integer MAP_AW    = 16,   // log2 of the map value memory in bytes (9..21: LPM headers, the table's 21-bit base)
    parameter integer LANES     = 1     // slots per bundle: 1, 2 or 4 (docs/fpga-engine.md, "Lanes")
) (
    input  wire                 clk,
    input  wire                 rst,
    // run control
    input  wire                 start,
    input  wire [63:0]          r1_init,
    input  wire [63:0]          r2_init,
    input  wire [31:0]          mem_len,        // valid bytes of the input region (XDP: the frame's length)
    input  wire                 xdp_mode,       // at start: 0 raw (r1/r2 from r1_init/r2_init), 1 XDP (r1 = ctx)
    input  wire [31:0]          ingress_ifindex,// xdp_md fields of an XDP run
    input  wire [31:0]          rx_queue_index,
    output reg  [31:0]          pkt_data,       // packet buffer offsets of data and data_end
    output reg  [31:0]          pkt_end,        //   (the frame after the run is [pkt_data, pkt_end))
    input  wire [IMEM_AW:0]     prog_len,       // slots in the entry program (at ROM slot 0)
    // program table (engine idle): where the programs a tail call can reach sit in the ROM
    input  wire                 ptab_we,
    input  wire [2:0]           ptab_idx,       // the program's index in its object (a prog_array value)
    input  wire [IMEM_AW:0]     ptab_base,      // its first ROM slot
    input  wire [IMEM_AW:0]     ptab_len,       // its slots (0: no such program)
    // map kinds beside the map table (engine idle): 0 as the table word says, 1 prog_array, 2 devmap
    input  wire                 map_kind_we,
    input  wire [1:0]           map_kind,
    // bpf_redirect_map found its target this cycle (a pulse): the helper unit keeps the
    // run's last redirect target, whichever of redirect and redirect_map set it
    output wire                 redirect_map_set,
    output wire [31:0]          redirect_map_ifindex,
    output reg                  running,
    output reg                  done,
    output reg                  error,
    output reg  [3:0]           err_code,
    output reg  [IMEM_AW:0]     fault_pc,
    output reg  [IMEM_AW:0]     fault_base,     // the running program's first bundle (tail calls: which program faulted)
    output reg  [63:0]          r0,             // r0 at exit
    output reg  [63:0]          cycles,
    output reg  [63:0]          retired,
    // instruction ROM
    output reg  [IMEM_AW:0]     imem_addr,
    input  wire [64*LANES-1:0]  imem_q0,        // the bundle: lane k in bits 64k+63:64k
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [63:0]          imem_q1,        // LANES = 1: the next row; only its imm (lddw's upper half) is used
    /* verilator lint_on UNUSEDSIGNAL */
    // data memory
    output reg                  dmem_en,
    output reg                  dmem_we,
    output wire [PKT_AW:0]      dmem_addr,
    output wire [7:0]           dmem_wbytes,
    output reg  [63:0]          dmem_wdata,
    input  wire [63:0]          dmem_rdata,
    // map value memory
    output reg                  mmem_en,
    output reg                  mmem_we,
    output wire [MAP_AW-1:0]    mmem_addr,
    output wire [7:0]           mmem_wbytes,
    output wire [63:0]          mmem_wdata,
    input  wire [63:0]          mmem_rdata,
    // second read ports of the data and map memories: lane 1's loads (LANES > 1); the map
    // memory's also serves the map helpers' probes (a slot's key word beside its meta word)
    output wire                 dmem_b_en,
    output wire [PKT_AW:0]      dmem_b_addr,
    output wire                 mmem_b_en,
    output wire [MAP_AW-1:0]    mmem_b_addr,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [63:0]          dmem_b_rdata,   // LANES = 1: no lane 1
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [63:0]          mmem_b_rdata,
    // map table (engine idle)
    input  wire                 map_we,
    input  wire [3:0]           map_idx,
    input  wire [63:0]          map_wdata,
    // map commands from the host (engine idle): the map helper sequence runs one
    // lookup/update/delete (ctl_op 1/2/3, the helper numbers) on map ctl_map, with the key
    // at stack frame 7 offset 0 and the value at offset 16 (written by the host first) and
    // flags ctl_flags; done/error and r0 as after a run, ctl_value_addr the map memory byte
    // of a found value
    input  wire                 ctl_start,
    input  wire [1:0]           ctl_op,
    input  wire [3:0]           ctl_map,
    input  wire [31:0]          ctl_flags,
    output reg  [MAP_AW-1:0]    ctl_value_addr,
    // helper unit
    output reg                  helper_start,
    output wire [31:0]          helper_id,
    output wire [63:0]          helper_r1,
    output wire [63:0]          helper_r2,
    output wire [63:0]          helper_r3,
    output wire [63:0]          helper_r4,
    output wire [63:0]          helper_r5,
    input  wire                 helper_done,
    input  wire                 helper_error,
    input  wire [63:0]          helper_r0
);
    localparam integer PC_W = IMEM_AW + 1;

    // Error codes (err_code), each the interpreter's diagnostic in ir/diag/messages.ts.
    localparam [3:0] ERR_MEM    = 4'd1,   // run-mem: access outside every region
                     ERR_INSN   = 4'd2,   // an instruction this engine does not execute
                     ERR_HELPER = 4'd3,   // run-helper / run-callx: unknown helper
                     ERR_DEPTH  = 4'd4,   // run-depth: call depth exceeds MAX_DEPTH frames
                     ERR_PC     = 4'd5,   // run-fell-off: pc ran past the last slot
                     ERR_HARG   = 4'd6,   // run-map / run-helper-fail: not a map handle
                     ERR_TAIL   = 4'd7;   // run-tail-call: a prog_array names a program the ROM lacks

    // Instruction kinds, decided in decode.
    localparam [3:0] K_ALU = 4'd0, K_DIV = 4'd1, K_LDDW = 4'd2, K_LDX = 4'd3, K_ST = 4'd4,
                     K_ATOMIC = 4'd5, K_JA = 4'd6, K_JCC = 4'd7, K_CALL = 4'd8,
                     K_CALL_LOCAL = 4'd9, K_EXIT = 4'd10, K_ILLEGAL = 4'd11, K_FELL_OFF = 4'd12;

    // RFC 9669 §3.3 classes.
    localparam [2:0] C_LD = 3'd0, C_LDX = 3'd1, C_ST = 3'd2, C_STX = 3'd3, C_ALU = 3'd4,
                     C_JMP = 3'd5, C_JMP32 = 3'd6, C_ALU64 = 3'd7;

    localparam [31:0] REGION_INPUT = 32'h1;
    localparam [31:0] REGION_CTX   = 32'h2;
    localparam [31:0] XDP_HEADROOM = 32'd256;   // XDP_PACKET_HEADROOM, as runtime/interp/xdp.ts
    localparam [28:0] REGION_STACK = 29'h2;     // regions 0x10..0x17: REGION_STACK << 3 | frame
    localparam [32:0] FRAME_BYTES  = 33'd512;
    localparam [27:0] REGION_MAPH  = 28'h10;    // map handles: regions 0x100..0x10f
    localparam [3:0]  REGION_MAPV  = 4'b0100;   // map values: regions 0x4m_iiiiii (m = 0..f)
    localparam integer MAPS = 16;               // map table entries

    // ------------------------------------------------------------------ map table
    reg [15:0] mt_vsize [0:MAPS-1];
    reg [3:0]  mt_shift [0:MAPS-1];
    reg [19:0] mt_max   [0:MAPS-1];
    reg [23:0] mt_base  [0:MAPS-1];
    reg        mt_hash  [0:MAPS-1];      // keyed slots: a hash map, LPM trie or TCAM (else an array)
    reg [3:0]  mt_ksz   [0:MAPS-1];      // keyed: key_size - 1 (1..16 bytes); LPM tries: key_size - 5 (5..20)
    reg        mt_lpm   [0:MAPS-1];      // an LPM trie: canonical prefixes in hashed slots
    reg        mt_tcam  [0:MAPS-1];      // a TCAM: (value, mask) rows in match order
    reg        mt_lru   [0:MAPS-1];      // an LRU hash: the sequence number is the last use
    reg        mt_ro    [0:MAPS-1];      // read-only for programs: stores and atomics to its values fault
    // Kinds the table word does not tell (kept apart so that the word's layout stays):
    // prog_array and devmap are array-shaped (u32 key, 4-byte value in an 8-byte slot).
    localparam [1:0] MK_PLAIN = 2'd0, MK_PROG_ARRAY = 2'd1, MK_DEVMAP = 2'd2;
    reg [1:0]  mt_kind  [0:MAPS-1];

    // Program table: tail calls jump to the base of the program a prog_array names; the
    // running program's slots are [cur_base, cur_base + cur_len) (fetching outside faults,
    // and fault_pc counts from cur_base, as the interpreter's instruction index does).
    localparam [5:0] MAX_TAIL_CALLS = 6'd33;    // MAX_TAIL_CALL_CNT
    reg [IMEM_AW:0] pt_base [0:7];
    reg [IMEM_AW:0] pt_len  [0:7];
    reg [IMEM_AW:0] cur_base, cur_len;
    reg [5:0]       tail_calls;

    function [63:0] frame_pointer(input [2:0] frame);
        frame_pointer = {REGION_STACK, frame, 32'd512};
    endfunction

    // The start cycle (launch): the ROM has read bundle 0 while the engine waited (the fetch
    // address is 0 while idle and in the cycle a run stops), so the start cycle decodes it,
    // with the registers' start values (start_reg) for the register file's, and it executes
    // in the run's first counted cycle (docs/fpga-engine.md, "Measured figures").
    wire        launch = start && !running;
    wire [63:0] start_r1 = xdp_mode ? {REGION_CTX, 32'd0} : r1_init;
    wire [63:0] start_r2 = xdp_mode ? 64'd0 : r2_init;
    function [63:0] start_reg(input [3:0] r, input [63:0] v1, input [63:0] v2);
        start_reg = r == 4'd1 ? v1 : r == 4'd2 ? v2 : r == 4'd10 ? frame_pointer(3'd0) : 64'd0;
    endfunction

    // ------------------------------------------------------------------ register file
    // 2 x LANES read ports (decode), LANES write ports (write-back), flip-flops.
    reg [63:0] regs [0:10];

    // ------------------------------------------------------------------ lanes
    // Lane 0 is the full pipeline below; lanes 1..LANES-1 (the generate block at the end)
    // run ALU slots only, in step with lane 0: a bundle enters execute, completes
    // (fire) and moves on as one, so every slot reads the registers at the bundle's start
    // and writes at its end. Their results forward like lane 0's.
    wire [LANES-1:0]    fm_v;           // memory stage: a forwardable result (not a load)
    wire [4*LANES-1:0]  fm_rd;
    wire [64*LANES-1:0] fm_val;
    wire [LANES-1:0]    fw_v;           // write-back stage
    wire [4*LANES-1:0]  fw_rd;
    wire [64*LANES-1:0] fw_val;
    wire [LANES-1:0]    lane_bad;       // decode: a slot lanes 1.. cannot run (bit 0 unused)
    wire [8*LANES-1:0]  lane_weight;    // decode: BPF instructions the slot retires (0..255: ldx_wide, jcc_add say)
    wire                lanes_busy;     // lanes 1..: a result in the memory or write-back stage
    wire [LANES-1:0]    fe_v;           // execute stage, lanes 1..: the bundle's writes (bit 0 unused)
    wire [LANES-1:0]    fe_ld;          //   ... a load's (lane 1): its data comes in the memory stage
    wire [4*LANES-1:0]  fe_rd;
    wire [64*LANES-1:0] fe_val;

    // The value of register r for execute: the memory stage's results over the
    // write-back stage's, over dflt (the operand read in decode). At most one lane of a
    // stage writes r (no WAW inside a bundle).
    function [63:0] fwd_pick(input [3:0] r, input [63:0] dflt,
                             input [LANES-1:0] mv, input [4*LANES-1:0] mrd, input [64*LANES-1:0] mval,
                             input [LANES-1:0] wv, input [4*LANES-1:0] wrd, input [64*LANES-1:0] wval);
        integer k;
        begin
            fwd_pick = dflt;
            for (k = 0; k < LANES; k = k + 1) if (wv[k] && wrd[4*k +: 4] == r) fwd_pick = wval[64*k +: 64];
            for (k = 0; k < LANES; k = k + 1) if (mv[k] && mrd[4*k +: 4] == r) fwd_pick = mval[64*k +: 64];
        end
    endfunction

    // alu3 operation codes: not div/mod (the divider), end, mov or the unused codes.
    function alu3_op_ok(input [3:0] op);
        alu3_op_ok = op != 4'h3 && op != 4'h9 && op != 4'hb && op != 4'hd && op != 4'he && op != 4'hf;
    endfunction

    // jcc_add jump codes: the conditional ones (not ja, call, exit or the unused codes).
    function jcc_code_ok(input [3:0] c);
        jcc_code_ok = c != 4'h0 && c != 4'h8 && c != 4'h9 && c != 4'he && c != 4'hf;
    endfunction

    // ctx_read (extension 0xf7, any lane): the xdp_md field at byte off, from the
    // engine's current packet pointers and metadata (as the ctx window answers ldxw).
    function [63:0] ctx_field(input [4:0] off, input [31:0] data, input [31:0] data_end,
                              input [31:0] meta, input [31:0] ifindex, input [31:0] rxq);
        case (off)
            5'd0:    ctx_field = {REGION_INPUT, data};
            5'd4:    ctx_field = {REGION_INPUT, data_end};
            5'd8:    ctx_field = {REGION_INPUT, meta};
            5'd12:   ctx_field = {32'd0, ifindex};
            5'd16:   ctx_field = {32'd0, rxq};
            default: ctx_field = 64'd0;    // 20: egress_ifindex
        endcase
    endfunction

    // ------------------------------------------------------------------ pipeline registers
    // decode (the ROM's output registers are its instruction)
    reg             d_valid;
    reg  [PC_W-1:0] d_pc;
    // execute
    reg             e_valid;
    reg  [PC_W-1:0] e_pc;
    reg  [3:0]      e_kind;
    reg  [1:0]      e_alu_sel;
    reg  [3:0]      e_op;
    reg             e_is32;
    reg             e_use_imm;
    reg  [63:0]     e_imm64;
    reg  [15:0]     e_off;
    reg  [3:0]      e_ra, e_rb, e_rd;
    reg             e_exit_imm;
    reg             e_ctxrd;        // ctx_read: the result is ctx_field(imm)
    reg             e_jadd;         // jcc_add: the jump compares a + imm with b
    reg             e_bswap;        // ldx_wide big-endian: the load's bytes swapped
    reg             e_six;          // ldx_wide/stx_wide of 6 bytes (size code B in mode 7)
    reg  [7:0]      e_weight;       // BPF instructions the bundle retires
    reg             e_writes;
    reg  [63:0]     e_a, e_b;
    reg  [1:0]      e_size;         // RFC 9669 size code: 0 W, 1 H, 2 B, 3 DW
    reg             e_signed;       // sdiv/smod, ldxs
    reg  [1:0]      e_ext_bits;
    reg             e_swap;
    reg  [PC_W-1:0] e_target;
    reg             e_callx;
    reg             e_phase;        // multi-cycle ops: 0 = first cycle, 1 = waiting
    reg             e_mapref;       // lddw src=1: a map handle
    reg             e_mapval;       // lddw src=2: the address of map imm's element 0, + next imm
    reg             e_mapval_far;   //   ... with a map index past the table's sixteen
    reg             e_early;        // a conditional jump resolved in decode (jcc_fetch): no redirect here
    // map helper sequence (helpers 1-3 in execute)
    reg  [5:0]      ms;
    reg  [15:0]     mcnt;           // bytes of the value copied
    reg  [19:0]     mkey;
    reg             msrc_map;       // the last read went to the map memory
    // hash maps: the key (two 8-byte words, zero-padded), the probe, the first free slot
    reg  [63:0]     hk0, hk1, hk2;
    reg             hkw;            // key word being read or compared: 0 or 1, or 2 with hk3rd
    reg             hk3rd;          //   the third word (keys over 16 bytes: LPM tries' IPv6 keys)
    reg  [19:0]     hidx;           // slot being probed
    reg  [19:0]     hprobe;         // slots probed so far
    reg             hfree_v;
    reg  [19:0]     hfree;          // first empty or deleted slot on the probe path
    reg             hfound;
    reg  [31:0]     hseq;           // insertion sequence number of a new entry
    // LPM tries: the key as read (prefixlen, data), the prefix lengths still to try
    reg  [63:0]     lk0, lk1, lk2;
    reg  [128:0]    lbits;          // lengths 0..128
    // TCAM: rows in the table, the value word of the row being compared
    reg  [19:0]     tn;
    reg  [63:0]     tv;
    // LRU eviction: the least recently used slot so far and its sequence number
    reg  [19:0]     vidx;
    reg  [31:0]     vseq;
    // memory
    reg             m_valid;        // writes m_rd
    reg  [3:0]      m_rd;
    reg  [63:0]     m_result;
    reg             m_load;
    reg  [1:0]      m_size;
    reg             m_signed;
    reg             m_bswap;        // ldx_wide big-endian
    reg             m_six;          // ldx_wide of 6 bytes
    reg             m_map;          // the load reads the map memory
    // An atomic other than cmpxchg reads in execute and modifies and writes here, in the
    // memory stage (a fetch's old value forwards as a load's data does); the bundle in
    // execute keeps off the memories in that cycle (a_hold), so an access after it, of the
    // same word too, reads the memory as written.
    reg             m_awr;
    reg  [PKT_AW:0] m_adaddr;       // the word's address in the data memory, or
    reg  [MAP_AW-1:0] m_amaddr;     //   in the map memory (m_map)
    reg             m_a64;
    reg  [3:0]      m_aop;          // atomic_op[7:4]
    reg  [63:0]     m_asrc;
    reg  [63:0]     load_value;     // the load's data, aligned and extended (memory stage, below)
    // write-back
    reg             w_valid;
    reg  [3:0]      w_rd;
    reg  [63:0]     w_value;

    // a map command from the host is running (no program: one helper call, then stop)
    reg             ctl;
    localparam [63:0] CTL_KEY = {REGION_STACK, 3'd7, 32'd0};     // stack frame 7, offset 0
    localparam [63:0] CTL_VALUE = {REGION_STACK, 3'd7, 32'd24};  // offset 24 (keys up to 20 bytes): values up to 488 bytes
    localparam [63:0] CTL_TCAM = {REGION_STACK, 3'd6, 32'd0};    // TCAM insert/delete: mask at frame 6 offset 0, priority (u32) at 16

    // XDP state: the run's mode and the start of the addressable window (data_meta)
    reg             xdp;
    reg  [31:0]     pkt_meta;
    reg  [31:0]     ifindex_q, rxq_q;
    // xdp_adjust_head/meta/tail (see "XDP packet helpers" below): the end of the buffer
    // the interpreter allocates (headroom + frame + tailroom), and the lowest offset the
    // window has reached in this run: the headroom below it still holds an earlier
    // frame's bytes, which the interpreter's fresh buffer has as zeros.
    reg  [31:0]     pkt_room;
    reg  [31:0]     pkt_low;

    // call stack: return pc and the callee-saved r6-r9 of each caller (RFC 9669 §2.1)
    reg  [2:0]      depth;
    reg  [PC_W-1:0] cs_ret [0:MAX_DEPTH-1];
    reg  [63:0]     cs_r6  [0:MAX_DEPTH-1];
    reg  [63:0]     cs_r7  [0:MAX_DEPTH-1];
    reg  [63:0]     cs_r8  [0:MAX_DEPTH-1];
    reg  [63:0]     cs_r9  [0:MAX_DEPTH-1];
    wire [2:0]      depth_up = depth - 3'd1;

    // ================================================================== decode stage
    wire [7:0]  d_op   = imem_q0[7:0];
    wire [3:0]  d_dst  = imem_q0[11:8];
    wire [3:0]  d_src  = imem_q0[15:12];
    wire [15:0] d_off  = imem_q0[31:16];
    wire [31:0] d_imm  = imem_q0[63:32];
    wire [2:0]  d_cls  = d_op[2:0];
    wire [3:0]  d_code = d_op[7:4];
    wire        d_x    = d_op[3];
    wire [2:0]  d_mode = d_op[7:5];
    wire [1:0]  d_sz   = d_op[4:3];
    wire        d_is_lddw = d_op == 8'h18;
    // lddw's upper half: the next row (one lane) or lane 1 of this bundle
    wire [31:0] d_hi;
    generate
        if (LANES == 1) begin : hi_next_row
            assign d_hi = imem_q1[63:32];
        end else begin : hi_lane1
            assign d_hi = imem_q0[127:96];
        end
    endgenerate
    wire [63:0] d_imm_sext = {{32{d_imm[31]}}, d_imm};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0] d_off_sext = {{48{d_off[15]}}, d_off};   // jump targets use the low PC_W bits
    /* verilator lint_on UNUSEDSIGNAL */

    reg  [3:0]      dk_kind;
    reg  [1:0]      dk_alu_sel;
    reg             dk_is32, dk_use_imm, dk_writes, dk_signed, dk_swap, dk_callx;
    // The register operands the slot reads (a conditional jump resolved in decode needs
    // them free of writes in flight; loads need no hazard: the memory stage forwards them).
    /* verilator lint_off UNUSEDSIGNAL */
    reg             dk_uses_a;
    /* verilator lint_on UNUSEDSIGNAL */
    reg             dk_uses_b;
    reg  [3:0]      dk_ra, dk_rd;
    reg  [3:0]      dk_rb;          // the second register operand: src, or an alu3 slot's rt
    reg  [3:0]      dk_op;          // the ALU/jump operation code: opcode[7:4], or an alu3 slot's off[3:0]
    reg             dk_exit_imm;    // exit with r0 = imm (extension 0x9d)
    reg             dk_ctxrd, dk_jadd, dk_bswap;    // extensions ctx_read, jcc_add, ldx_wide (big-endian)
    reg             dk_six;         // ldx_wide/stx_wide: 6 bytes
    reg  [63:0]     dk_imm64;
    reg  [1:0]      dk_ext_bits;
    reg  [PC_W-1:0] dk_target;

    always @* begin
        dk_kind = K_ILLEGAL;
        dk_alu_sel = 2'd0;
        dk_is32 = 1'b0;
        dk_use_imm = !d_x;
        dk_writes = 1'b0;
        dk_uses_a = 1'b0;
        dk_uses_b = 1'b0;
        dk_signed = 1'b0;
        dk_swap = 1'b0;
        dk_callx = 1'b0;
        dk_ra = d_dst;
        dk_rd = d_dst;
        dk_rb = d_src;
        dk_op = d_code;
        dk_exit_imm = 1'b0;
        dk_ctxrd = 1'b0;
        dk_jadd = 1'b0;
        dk_bswap = 1'b0;
        dk_six = 1'b0;
        dk_imm64 = d_imm_sext;    // RFC 9669 §4.1: imm is sign-extended
        dk_ext_bits = 2'd2;
        dk_target = d_pc + 1'b1 + d_off_sext[PC_W-1:0];
        if (launch ? {1'b0, d_pc} >= {1'b0, prog_len} : d_pc < cur_base || {1'b0, d_pc} >= {1'b0, cur_base} + {1'b0, cur_len}) begin
            dk_kind = K_FELL_OFF;
        end else if (LANES > 1 && d_op == 8'd0) begin
            // an empty lane 0 (the bundle is lanes 1..'s: a lane-1 load above a jump);
            // the scheduler gives an instruction with opcode 0 another illegal opcode
            dk_kind = |lane_bad ? K_ILLEGAL : K_ALU;
        end else begin
            case (d_cls)
                C_ALU, C_ALU64: begin
                    dk_is32 = d_cls == C_ALU;
                    dk_writes = 1'b1;
                    dk_uses_a = 1'b1;
                    dk_ext_bits = d_imm == 32'd16 ? 2'd0 : d_imm == 32'd32 ? 2'd1 : 2'd2;
                    if (d_code == 4'hd) begin
                        // le/be (ALU, x selects be), bswap (ALU64): RFC 9669 §4.2
                        dk_kind = K_ALU;
                        dk_alu_sel = 2'd2;
                        dk_swap = dk_is32 ? d_x : 1'b1;
                        dk_is32 = 1'b0;
                    end else if (d_code == 4'hb && d_x && d_off != 16'd0) begin
                        dk_kind = K_ALU;            // movsx
                        dk_alu_sel = 2'd1;
                        dk_uses_a = 1'b0;
                        dk_uses_b = 1'b1;
                        dk_ext_bits = d_off == 16'd8 ? 2'd0 : d_off == 16'd16 ? 2'd1 : 2'd2;
                    end else if (d_code == 4'h3 || d_code == 4'h9) begin
                        dk_kind = K_DIV;
                        dk_uses_b = d_x;
                        dk_signed = d_off[0];       // RFC 9669 §4.1: offset 1 = sdiv/smod
                    end else if (d_code == 4'he && d_off[15:8] == 8'd0 && alu3_op_ok(d_off[3:0])) begin
                        // extension alu3 (backends/fpga/sched/ext.ts): rd = rs op (rt or imm)
                        dk_kind = K_ALU;
                        dk_ra = d_src;
                        dk_rb = d_off[7:4];
                        dk_op = d_off[3:0];
                        dk_uses_b = d_x;
                    end else if (d_op == 8'hf7) begin
                        // extension ctx_read: rd = xdp_md field imm (no register read)
                        dk_kind = K_ALU;
                        dk_ctxrd = 1'b1;
                        dk_uses_a = 1'b0;
                    end else if (d_code != 4'he && d_code != 4'hf) begin
                        dk_kind = K_ALU;
                        dk_uses_a = d_code != 4'hb;     // mov does not read dst
                        dk_uses_b = d_x && d_code != 4'h8;
                    end
                end
                C_LDX: if (d_mode == 3'd3 || (d_mode == 3'd4 && d_sz != 2'd3) || d_mode == 3'd7) begin
                    // mode 7: extension ldx_wide, a 2/4/6/8-byte load (size B: 6), byte-swapped when imm[0]
                    dk_kind = K_LDX;
                    dk_ra = d_src;
                    dk_uses_a = 1'b1;
                    dk_writes = 1'b1;
                    dk_signed = d_mode == 3'd4;
                    dk_bswap = d_mode == 3'd7 && d_imm[0];
                    dk_six = d_mode == 3'd7 && d_sz == 2'd2;
                end
                C_ST: if (d_mode == 3'd3) begin
                    dk_kind = K_ST;
                    dk_uses_a = 1'b1;
                    dk_use_imm = 1'b1;
                end
                C_STX: if (d_mode == 3'd3 || d_mode == 3'd7) begin
                    // mode 7: extension stx_wide, a 2/4/6/8-byte store (size B: 6)
                    dk_kind = K_ST;
                    dk_uses_a = 1'b1;
                    dk_uses_b = 1'b1;
                    dk_use_imm = 1'b0;
                    dk_six = d_mode == 3'd7 && d_sz == 2'd2;
                end else if (d_mode == 3'd6 && (d_sz == 2'd0 || d_sz == 2'd3)) begin
                    // RFC 9669 §5.3: FETCH (imm bit 0) loads the old value into src;
                    // cmpxchg loads it into r0.
                    dk_kind = K_ATOMIC;
                    dk_uses_a = 1'b1;
                    dk_uses_b = 1'b1;
                    dk_use_imm = 1'b0;
                    dk_writes = d_imm[0];
                    dk_rd = d_imm[7:0] == 8'hf1 ? 4'd0 : d_src;
                end
                C_LD: if (d_is_lddw && (d_src == 4'd0 || d_src == 4'd1 || d_src == 4'd2)) begin
                    dk_kind = K_LDDW;
                    dk_writes = 1'b1;
                    // src=1: the handle of map imm (region 0x100 + imm); src=2 (global
                    // data, BPF_PSEUDO_MAP_VALUE): element 0 of map imm, plus the next
                    // slot's imm as an unsigned offset, as the interpreter's lddwTarget
                    dk_imm64 = d_src == 4'd1 ? {32'h100 + d_imm, 32'd0}
                             : d_src == 4'd2 ? {REGION_MAPV, d_imm[3:0], 24'd0, d_hi}
                             : {d_hi, d_imm};
                end
                C_JMP, C_JMP32: begin
                    dk_is32 = d_cls == C_JMP32;
                    if (d_code == 4'h0) begin
                        dk_kind = K_JA;
                        // RFC 9669 §4.3: ja32 (gotol) takes its offset from imm
                        if (dk_is32) dk_target = d_pc + 1'b1 + d_imm_sext[PC_W-1:0];
                    end else if (d_code == 4'h8 && !dk_is32) begin
                        dk_rd = 4'd0;
                        if (d_x) begin
                            dk_kind = K_CALL;       // callx: helper id in dst
                            dk_callx = 1'b1;
                            dk_uses_a = 1'b1;
                            dk_writes = 1'b1;
                        end else if (d_src == 4'd0) begin
                            dk_kind = K_CALL;
                            dk_writes = 1'b1;
                        end else if (d_src == 4'd1) begin
                            dk_kind = K_CALL_LOCAL;
                            dk_target = d_pc + 1'b1 + d_imm_sext[PC_W-1:0];
                        end else begin
                            dk_kind = K_CALL;       // kfunc: the helper unit refuses the id
                            dk_imm64 = 64'hffff_ffff;
                            dk_writes = 1'b1;
                        end
                    end else if (d_code == 4'h9 && !dk_is32) begin
                        dk_kind = K_EXIT;
                        if (d_x) begin
                            // extension exit_imm: r0 = imm (off 0: sign-extended, 1: zero-extended)
                            dk_exit_imm = 1'b1;
                            dk_writes = 1'b1;
                            dk_rd = 4'd0;
                            dk_imm64 = d_off[0] ? {32'd0, d_imm} : d_imm_sext;
                        end
                    end else if (d_code != 4'he && d_code != 4'hf && d_code != 4'h8 && d_code != 4'h9) begin
                        dk_kind = K_JCC;
                        dk_uses_a = 1'b1;
                        dk_uses_b = d_x;
                    end else if (d_code == 4'he && d_x && jcc_code_ok(d_imm[31:28])) begin
                        // extension jcc_add: if (dst + imm[23:0]) CC src, CC = imm[31:28]
                        dk_kind = K_JCC;
                        dk_jadd = 1'b1;
                        dk_op = d_imm[31:28];
                        dk_imm64 = {{40{d_imm[23]}}, d_imm[23:0]};
                        dk_uses_a = 1'b1;
                        dk_uses_b = 1'b1;
                    end
                end
                default: dk_kind = K_ILLEGAL;
            endcase
            // a slot the other lanes cannot run makes the whole bundle illegal
            if (|lane_bad) dk_kind = K_ILLEGAL;
        end
    end

    // ================================================================== execute stage
    // Forwarding: the memory stage's result (a load's aligned data too, so a load's user
    // may follow it at once), then the write-back stage's value, then the operand read in
    // decode. Every lane's results forward into every lane's operands (fwd below).
    assign fm_v[0] = m_valid;
    assign fm_rd[3:0] = m_rd;
    assign fm_val[63:0] = m_load ? load_value : m_result;
    assign fw_v[0] = w_valid;
    assign fw_rd[3:0] = w_rd;
    assign fw_val[63:0] = w_value;
    wire [63:0] a = fwd_pick(e_ra, e_a, fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    wire [63:0] b = fwd_pick(e_rb, e_b, fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    wire [63:0] b_op = e_use_imm ? e_imm64 : b;
    // bpf-to-bpf calls and exits from subprograms save and restore r6-r10 directly: they
    // wait for the memory and write-back stages to drain, so the register file is current.
    wire drained = !m_valid && !w_valid && !lanes_busy;
    // Helper calls read r1-r5 through the memory and write-back stages' forwarding (no
    // drain); an exit reads r0 as its bundle leaves it: the other slots' results (lanes
    // 1..; those slots precede it in program order) over those stages, so `mov r0, rX`
    // shares the exit's bundle. (Lanes' results into a call's arguments would put a lane's
    // ALU in front of the map sequence's address and bounds check: 12 logic levels.)
    // cmpxchg reads r0 as its bundle starts (r0_pipe), like every slot.
    function [63:0] pipe_pick(input [3:0] r, input [63:0] dflt, input [LANES-1:0] ev, input [4*LANES-1:0] erd,
                              input [64*LANES-1:0] eval, input [LANES-1:0] mv, input [4*LANES-1:0] mrd,
                              input [64*LANES-1:0] mval, input [LANES-1:0] wv, input [4*LANES-1:0] wrd,
                              input [64*LANES-1:0] wval);
        pipe_pick = fwd_pick(r, fwd_pick(r, dflt, mv, mrd, mval, wv, wrd, wval), ev, erd, eval, {LANES{1'b0}}, erd, eval);
    endfunction
    wire [63:0] r0_pipe = fwd_pick(4'd0, regs[0], fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    wire [63:0] arg0 = pipe_pick(4'd0, regs[0], fe_v & ~fe_ld, fe_rd, fe_val, fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    wire [63:0] arg1 = fwd_pick(4'd1, regs[1], fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    wire [63:0] arg2 = fwd_pick(4'd2, regs[2], fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    wire [63:0] arg3 = fwd_pick(4'd3, regs[3], fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    wire [63:0] arg4 = fwd_pick(4'd4, regs[4], fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    wire [63:0] arg5 = fwd_pick(4'd5, regs[5], fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);

    wire [63:0] alu_y;
    bpf_alu alu (
        .sel(e_alu_sel), .op(e_op), .is32(e_is32), .a(a), .b(b_op),
        .ext_bits(e_ext_bits), .swap(e_swap), .y(alu_y)
    );

    wire taken;
    wire [63:0] cond_a = e_jadd ? a + e_imm64 : a;     // jcc_add: the bounds check's add
    bpf_branch_cond branch_cond (.op(e_op), .is32(e_is32), .a(cond_a), .b(b_op), .taken(taken));

    reg         div_start;
    wire        div_done;
    wire [63:0] div_quotient, div_remainder;
    bpf_divider divider (
        .clk(clk), .rst(rst), .start(div_start), .is64(!e_is32), .is_signed(e_signed),
        .a(a), .b(b_op), .done(div_done), .quotient(div_quotient), .remainder(div_remainder)
    );
    wire div_by_zero = e_is32 ? b_op[31:0] == 32'd0 : b_op == 64'd0;
    wire is_mod = e_op == 4'h9;

    // Address generation and bounds check.
    wire [63:0] addr = a + {{48{e_off[15]}}, e_off};
    wire [31:0] region = addr[63:32];
    wire [31:0] offset = addr[31:0];
    wire [3:0]  size_bytes = e_six ? 4'd6 : e_size == 2'd0 ? 4'd4 : e_size == 2'd1 ? 4'd2 : e_size == 2'd2 ? 4'd1 : 4'd8;

    // An address's place in the memories, by its region (the upper half): the data memory
    // holds the packet buffer in its upper half and stack frame f at f * 512 below it; the
    // map memory holds slot i of a map at its base + (i << its shift). Lane 0's accesses
    // and lane 1's read port both place addresses so. (The map table's entries come in as
    // arguments: a continuous assignment is sensitive to its arguments, not to what a
    // function reads besides. An address's upper offset bits lie outside the memories.)
    /* verilator lint_off UNUSEDSIGNAL */
    function [PKT_AW:0] dmem_place(input [63:0] at);
        dmem_place = at[63:32] == REGION_INPUT ? {1'b1, at[PKT_AW-1:0]}
                                               : {1'b0, {(PKT_AW - 12){1'b0}}, at[34:32], at[8:0]};
    endfunction
    function [MAP_AW-1:0] map_place(input [23:0] base, input [3:0] shift, input [63:0] at);
        reg [38:0] slot;
        begin
            slot = {15'd0, at[55:32]} << shift;
            map_place = base[MAP_AW-1:0] + slot[MAP_AW-1:0] + at[MAP_AW-1:0];
        end
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    // Address translation, shared by loads/stores/atomics and the map helper sequence
    // (which drives xa/xlen while it runs): the region by the upper half, the bounds.
    reg  [63:0] mh_xa;
    reg  [16:0] mh_xlen;
    reg         mh_active;
    wire [63:0] xa = mh_active ? mh_xa : addr;
    wire [16:0] xlen = mh_active ? mh_xlen : {13'd0, size_bytes};
    wire [31:0] xr = xa[63:32];
    wire [31:0] xo = xa[31:0];
    wire [32:0] access_end = {1'b0, xo} + {16'd0, xlen};
    wire        r_input = xr == REGION_INPUT;
    wire        r_map = xr[31:28] == REGION_MAPV;
    wire [3:0]  xm = xr[27:24];
    wire        in_input = r_input && xo >= pkt_meta && access_end <= {1'b0, pkt_end};
    wire        in_stack = xr[31:3] == REGION_STACK && access_end <= FRAME_BYTES;
    // Stores and atomics (not the map helpers' own reads) must not write a read-only map.
    wire        x_write = !mh_active && (e_kind == K_ST || e_kind == K_ATOMIC);
    wire        in_map = r_map && xr[23:0] < {4'd0, mt_max[xm]} && access_end <= {17'd0, mt_vsize[xm]} && !(x_write && mt_ro[xm]);
    wire        mem_ok = in_input || in_stack || in_map;
    wire [MAP_AW-1:0] x_map_addr = map_place(mt_base[xm], mt_shift[xm], xa);
    wire [63:0] x_rdata = r_map ? mmem_rdata : dmem_rdata;

    // The context (xdp_md): loads are answered here, not by the data memory; like the
    // kernel's ctx rewrite, 4-byte loads of data/data_end/data_meta give packet pointers.
    wire        is_ctx = xdp && region == REGION_CTX;
    reg         ctx_ok;
    reg  [63:0] ctx_word;
    // the fields are ctx_field's (one table for loads and the ctx_read extension); an
    // offset that is not a field's faults
    always @* begin
        ctx_ok = e_size == 2'd0 && offset[1:0] == 2'd0 && offset <= 32'd20;
        ctx_word = ctx_field(offset[4:0], pkt_data, pkt_end, pkt_meta, ifindex_q, rxq_q);
    end
    wire [63:0] ctx_value = e_signed ? {{32{ctx_word[31]}}, ctx_word[31:0]} : ctx_word;
    wire [PKT_AW:0] x_dmem_addr = dmem_place(xa);
    assign dmem_addr = m_awr ? m_adaddr : x_dmem_addr;
    reg         xh_mask;        // the XDP packet helpers write xh_wbytes
    reg  [7:0]  xh_wbytes;
    assign dmem_wbytes = m_awr ? (m_a64 ? 8'hff : 8'h0f) : xh_mask ? xh_wbytes : e_six ? 8'h3f : e_size == 2'd0 ? 8'h0f : e_size == 2'd1 ? 8'h03 : e_size == 2'd2 ? 8'h01 : 8'hff;
    // The map memory: the translated address, or the element being written by update.
    reg              mh_write;
    reg              mh_hread;      // hash probe: read mh_dest
    reg  [MAP_AW-1:0] mh_dest;
    reg  [7:0]       mh_wbytes;
    reg  [63:0]      mh_wdata;
    assign mmem_addr = m_awr ? m_amaddr : (mh_write || mh_hread) ? mh_dest : x_map_addr;
    assign mmem_wbytes = mh_write ? mh_wbytes : dmem_wbytes;
    assign mmem_wdata = mh_write ? mh_wdata : dmem_wdata;

    // Atomics (RFC 9669 §5.3): read in the first cycle, modify and write in the second.
    wire        atomic64 = e_size == 2'd3;
    wire [63:0] old_value = atomic64 ? x_rdata : {32'b0, x_rdata[31:0]};
    wire [63:0] src_value = atomic64 ? b : {32'b0, b[31:0]};
    wire [63:0] r0_value = atomic64 ? r0_pipe : {32'b0, r0_pipe[31:0]};
    wire [7:0]  atomic_op = e_imm64[7:0];
    reg  [63:0] atomic_new;
    always @* begin
        case (atomic_op[7:4])
            4'h0:    atomic_new = old_value + src_value;
            4'h4:    atomic_new = old_value | src_value;
            4'h5:    atomic_new = old_value & src_value;
            4'ha:    atomic_new = old_value ^ src_value;
            default: atomic_new = src_value;            // xchg, cmpxchg
        endcase
    end
    wire is_cmpxchg = atomic_op == 8'hf1;
    // the memory stage's atomic (m_awr): the old word is the read issued in execute
    wire [63:0] m_aword = m_map ? mmem_rdata : dmem_rdata;
    wire [63:0] m_aold = m_a64 ? m_aword : {32'b0, m_aword[31:0]};
    reg  [63:0] m_anew;
    always @* begin
        case (m_aop)
            4'h0:    m_anew = m_aold + m_asrc;
            4'h4:    m_anew = m_aold | m_asrc;
            4'h5:    m_anew = m_aold & m_asrc;
            4'ha:    m_anew = m_aold ^ m_asrc;
            default: m_anew = m_asrc;                   // xchg
        endcase
    end
    // the bundle in execute waits while the memory stage's atomic writes, if it may access memory
    // (lane 1's load included: it reads in the first cycle the bundle is not held)
    wire a_hold = m_awr && (e_kind == K_LDX || e_kind == K_ST || e_kind == K_ATOMIC || e_kind == K_CALL || |(fe_v & fe_ld));
    wire atomic_store = !is_cmpxchg || old_value == r0_value;

    assign helper_id = e_callx ? a[31:0] : e_imm64[31:0];
    assign helper_r1 = arg1;
    assign helper_r2 = arg2;
    assign helper_r3 = arg3;
    assign helper_r4 = arg4;
    assign helper_r5 = arg5;

    // Map helpers: r1 a map handle (0x100 + m in the upper half, 0 below), r2 the key
    // pointer, r3 the value pointer (update), r4 the flags (update).
    wire        is_map_helper = helper_id == 32'd1 || helper_id == 32'd2 || helper_id == 32'd3;

    // XDP packet helpers (runtime/interp/xdp.ts adjustHead/adjustMeta/adjustTail, the
    // kernel's bpf_xdp_adjust_*): r2 is a signed 32-bit delta; the checks are the
    // interpreter's, on 35-bit signed offsets so that no delta wraps. A failed check
    // returns -EINVAL and moves nothing. A successful one moves the pointer registers at
    // once, then zeroes bytes that become visible for the first time in this run (headroom
    // below pkt_low; tail growth, as the kernel zeroes it), then moves the metadata
    // (adjust_head), one chunk of up to 8 bytes per two cycles, in the direction that never
    // overwrites a chunk not yet read.
    localparam [31:0] XDP_ADJUST_HEAD = 32'd44, XDP_ADJUST_META = 32'd54, XDP_ADJUST_TAIL = 32'd65;
    localparam signed [34:0] XDP_FRAME_RESERVED = 35'sd40;  // sizeof(struct xdp_frame)
    localparam signed [34:0] ETH_HLEN = 35'sd14;            // adjust_head/tail keep an Ethernet header
    localparam signed [34:0] XDP_META_MAX = 35'sd32;        // metadata: a multiple of 4, at most 32 bytes
    localparam [1:0] XS_CHECK = 2'd0, XS_ZERO = 2'd1, XS_READ = 2'd2, XS_WRITE = 2'd3;
    wire        is_xdp_helper = xdp && (helper_id == XDP_ADJUST_HEAD || helper_id == XDP_ADJUST_META || helper_id == XDP_ADJUST_TAIL);
    wire signed [34:0] x_delta = {{3{arg2[31]}}, arg2[31:0]};
    wire signed [34:0] x_meta0 = {3'b000, pkt_meta};
    wire signed [34:0] x_data0 = {3'b000, pkt_data};
    wire signed [34:0] x_end0  = {3'b000, pkt_end};
    wire signed [34:0] x_nmeta = x_meta0 + x_delta;
    wire signed [34:0] x_ndata = x_data0 + x_delta;
    wire signed [34:0] x_nend  = x_end0 + x_delta;
    wire signed [34:0] x_mlen  = x_data0 - x_nmeta;                 // adjust_meta: the new metadata length
    wire        x_head = helper_id == XDP_ADJUST_HEAD;
    wire        x_tail = helper_id == XDP_ADJUST_TAIL;
    wire        x_bad = x_head ? (x_nmeta < XDP_FRAME_RESERVED || x_ndata > x_end0 - ETH_HLEN)
                      : x_tail ? (x_nend > $signed({3'b000, pkt_room}) || x_nend < x_data0 + ETH_HLEN)
                      : (x_nmeta < XDP_FRAME_RESERVED || x_nmeta > x_data0 || x_mlen > XDP_META_MAX || x_mlen[1:0] != 2'd0);
    /* verilator lint_off UNUSEDSIGNAL */
    wire [34:0] x_metalen = x_data0 - x_meta0;                      // adjust_head: metadata that moves along
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [1:0]  xs;             // state of the sequence
    reg  [15:0] xz_at, xz_end;  // bytes [xz_at, xz_end) of the buffer to zero
    reg  [15:0] xc_src, xc_dst; // metadata move: from, to
    reg  [5:0]  xc_len, xc_cnt; //   its length, bytes moved
    reg         xc_desc;        //   from the top down (the metadata moves up)
    reg  [1:0]  xs_next;
    reg  [15:0] xz_at_next;
    reg  [5:0]  xc_cnt_next;
    reg         xs_go;          // the check passed: the pointer registers move this cycle
    wire [15:0] xz_left = xz_end - xz_at;
    wire [3:0]  xz_size = xz_left >= 16'd8 ? 4'd8 : xz_left[3:0];
    wire [5:0]  xc_left = xc_len - xc_cnt;
    wire [3:0]  xc_size = xc_left >= 6'd8 ? 4'd8 : xc_left[3:0];
    wire [15:0] xc_off = xc_desc ? {10'd0, xc_left - {2'd0, xc_size}} : {10'd0, xc_cnt};

    // bpf_tail_call (12: r2 a prog_array, r3 the index) and bpf_redirect_map (51: r1 a
    // devmap, r2 the key, r3 the flags), runtime/helpers/table.ts: the map must be a
    // handle (else a fault, as mapArg); the wrong kind, an index past max_entries or an
    // empty slot fall through (tail call: -EINVAL / -ENOENT; redirect_map: the flags' low
    // two bits). Else the slot is read from the map memory: a prog_array slot holds the
    // program index in bytes 0-3 and 1 in bytes 4-7 when set; a devmap slot the ifindex
    // (0: empty). A tail call past MAX_TAIL_CALLS falls through with -ENOENT, as the
    // interpreter's counter does.
    localparam [31:0] TAIL_CALL = 32'd12, REDIRECT_MAP = 32'd51;
    localparam [1:0] TS_CHECK = 2'd0, TS_READ = 2'd1, TS_DATA = 2'd2;
    wire        is_slot_helper = helper_id == TAIL_CALL || (xdp && helper_id == REDIRECT_MAP);
    wire        t_tail = helper_id == TAIL_CALL;
    wire [63:0] t_map = t_tail ? arg2 : arg1;
    wire [63:0] t_key = t_tail ? arg3 : arg2;
    wire [3:0]  tm = t_map[35:32];
    wire        t_handle = t_map[63:36] == REGION_MAPH && t_map[31:0] == 32'd0 && mt_max[tm] != 20'd0;
    wire        t_kind_ok = mt_kind[tm] == (t_tail ? MK_PROG_ARRAY : MK_DEVMAP);
    wire        t_in_range = (!t_tail || t_key[63:32] == 32'd0) && t_key[31:0] < {12'd0, mt_max[tm]};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [38:0] t_slot = {7'd0, t_key[31:0]} << mt_shift[tm];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [63:0] t_fallback = t_tail ? (t_kind_ok ? -64'd2 : -64'd22) : {62'd0, arg3[1:0]};   // -ENOENT / -EINVAL / flags & 3
    wire [2:0]  t_prog = mmem_rdata[2:0];
    wire        t_prog_ok = mmem_rdata[31:3] == 29'd0 && pt_len[t_prog] != {(IMEM_AW + 1){1'b0}};
    reg  [1:0]  ts, ts_next;
    reg         tail_jump;      // the tail call jumps this cycle: no r0, a new program
    reg         redirect_set;   // redirect_map found its target this cycle
    assign redirect_map_set = running && redirect_set;
    assign redirect_map_ifindex = mmem_rdata[31:0];
    wire [3:0]  hm = arg1[35:32];
    wire        h_handle = arg1[63:36] == REGION_MAPH && arg1[31:0] == 32'd0 && mt_max[hm] != 20'd0 && mt_kind[hm] == MK_PLAIN;
    wire [15:0] h_vsize = mt_vsize[hm];
    wire [63:0] x_rdata_q = msrc_map ? mmem_rdata : dmem_rdata;    // data of the read issued last cycle
    wire [31:0] h_key = x_rdata_q[31:0];
    wire [31:0] h_flags = arg4[31:0];
    wire [16:0] h_next = {1'b0, mcnt} + 17'd8;
    wire [15:0] h_left = h_vsize - mcnt;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [38:0] h_slot = {19'd0, mkey} << mt_shift[hm];
    /* verilator lint_on UNUSEDSIGNAL */
    localparam [5:0] MS_CHECK = 6'd0, MS_KEY = 6'd1, MS_KEYD = 6'd2, MS_COPY = 6'd3, MS_WRITE = 6'd4,
                     MS_HASH = 6'd5, MS_PMETAD = 6'd7, MS_PKEYD = 6'd9,   // 6, 8: free
                     MS_END = 6'd10, MS_HDR = 6'd11, MS_HDRD = 6'd12, MS_WKEY = 6'd13, MS_WMETA = 6'd14,
                     // LPM tries
                     MS_LB1 = 6'd16, MS_LB2 = 6'd17, MS_LSEL = 6'd18,     // 15: free
                     MS_LCNT = 6'd19, MS_LCNTD = 6'd20, MS_LBIT = 6'd21, MS_LBITD = 6'd22,
                     // TCAM
                     MS_TN2 = 6'd24, MS_TM = 6'd25, MS_TC = 6'd26,   // 23: free
                     // LRU hash: restamp a used entry; find the least recently used
                     MS_RSTAMP = 6'd29, MS_VSCAN = 6'd30, MS_VCMP = 6'd31,
                     // TCAM host commands (ctl update/delete): the entry's mask and priority, the
                     // search for its row, rows moved to keep match order, the new row written
                     MS_TK = 6'd27, MS_TKD = 6'd28, MS_TP = 6'd32, MS_TPD = 6'd33, MS_TSN = 6'd34,
                     MS_TSR = 6'd35, MS_TSP = 6'd36, MS_TSV = 6'd37, MS_TSM = 6'd38, MS_TSC = 6'd39,
                     MS_TF = 6'd40, MS_TNF = 6'd41, MS_TMV = 6'd42, MS_TMW = 6'd43, MS_TW = 6'd44,
                     MS_TWM = 6'd45, MS_TWP = 6'd46, MS_TCNT = 6'd47,
                     MS_LB3 = 6'd48;     // LPM: the bitmap's third word (length 128)
    reg  [5:0]  ms_next;
    // MS_HDR/MS_HDRD take the header's next sequence number for a new entry (then
    // MS_WKEY) or, hstamp set, for an LRU entry's new last use (then MS_RSTAMP).
    reg         hstamp, hstamp_next;
    reg  [15:0] mcnt_next;
    reg  [19:0] mkey_next;
    reg         msrc_next;

    // Hash maps (docs/fpga-engine.md, "Hash maps"). Slot i of map m at base + (i << shift):
    // the value at 0, the key (8 or 16 bytes, zero-padded) at kofs = value_size rounded
    // up to 8, the meta word after it ([1:0] 0 empty, 1 live, 2 deleted; [63:32] the
    // insertion sequence number); the map's header word (the next sequence number) at base - 8.
    wire        h_hash = mt_hash[hm];
    wire [4:0]  h_ksz = {1'b0, mt_ksz[hm]} + (mt_lpm[hm] ? 5'd5 : 5'd1);
    // bytes of the key word being read: word 2 (hk3rd) holds bytes 16.., word 1 bytes 8..15
    wire [4:0]  h_kwlen = hk3rd ? h_ksz - 5'd16 : hkw ? (h_ksz > 5'd16 ? 5'd8 : h_ksz - 5'd8) : (h_ksz > 5'd8 ? 5'd8 : h_ksz);
    wire        h_kmore = hk3rd ? 1'b0 : hkw ? h_ksz > 5'd16 : h_ksz > 5'd8;   // another key word follows
    wire [4:0]  h_kwofs = {hk3rd, hkw & !hk3rd, 3'b000};                        // its byte offset: 0, 8, 16
    // the bytes of a key word that hold key bytes: the low n of 8
    function [63:0] word_mask(input [4:0] n);
        word_mask = n >= 5'd8 ? 64'hffff_ffff_ffff_ffff : ~(64'hffff_ffff_ffff_ffff << {n[2:0], 3'b000});
    endfunction
    wire [63:0] h_kmask = word_mask(h_kwlen);
    // MS_KEYD hashes the key's last word as it arrives (x_rdata_q), the words before it
    // from hk0/hk1 (hk1, hk2 are zero until theirs arrive); MS_HASH (LPM) the canonical key.
    wire [63:0] h_fold = ms == MS_KEYD ? (x_rdata_q & h_kmask) ^ (hkw ? hk0 ^ hk1 : 64'd0) : hk0 ^ hk1 ^ hk2;
    wire [31:0] h_f32 = h_fold[31:0] ^ h_fold[63:32];
    wire [31:0] h_mix = h_f32 * 32'h9e37_79b1;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [15:0] h_kofs = (h_vsize + 16'd7) & 16'hfff8;
    wire [15:0] h_mofs = h_kofs + (h_ksz > 5'd16 ? 16'd24 : h_ksz > 5'd8 ? 16'd16 : 16'd8);
    wire [51:0] h_range = {20'd0, h_mix} * {32'd0, mt_max[hm]};            // Lemire: home = mix * max >> 32
    wire [38:0] h_islot = {19'd0, hidx} << mt_shift[hm];
    wire [38:0] h_hslot = {19'd0, h_range[51:32]} << mt_shift[hm];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [MAP_AW-1:0] h_sbase = mt_base[hm][MAP_AW-1:0] + h_islot[MAP_AW-1:0];
    wire [19:0] h_home = h_range[51:32];                                        // the key's home slot
    wire [MAP_AW-1:0] h_home_sbase = mt_base[hm][MAP_AW-1:0] + h_hslot[MAP_AW-1:0];
    wire [19:0] h_inext = hidx + 20'd1 == mt_max[hm] ? 20'd0 : hidx + 20'd1;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [38:0] h_nslot = {19'd0, h_inext} << mt_shift[hm];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [MAP_AW-1:0] h_nsbase = mt_base[hm][MAP_AW-1:0] + h_nslot[MAP_AW-1:0];     // the next slot probed
    wire [63:0] h_k0mask = word_mask(h_ksz);           // the key's first word
    wire        h_last = hprobe + 20'd1 >= mt_max[hm];
    wire [63:0] h_kword = hk3rd ? hk2 : hkw ? hk1 : hk0;
    wire [MAP_AW-1:0] h_hdr = mt_base[hm][MAP_AW-1:0] - {{(MAP_AW - 4){1'b0}}, 4'd8};    // the header word: the next sequence number

    // LPM tries (docs/fpga-engine.md, "LPM tries"), as runtime/maps/lpm.ts. The slots are
    // a hash map's, holding canonical keys (data bits past prefixlen cleared); the header
    // before slot 0 holds, below the sequence word at base - 8, a bitmap of the prefix
    // lengths in use at base - 24 (lengths 0..63), base - 16 (64..127) and base - 32 (128:
    // IPv6's full length), and a 16-bit entry count per length at base - LPM_HDR + 2 * len
    // (len 0..128), so that a delete knows when a length's last prefix goes. A lookup tries
    // only lengths in use, longest first. Keys of 5..20 bytes: prefixes up to 128 bits.
    localparam integer LPM_HDR = 296;                   // counts 258 (+6) + bitmap 24 + sequence 8
    wire        h_lpm = mt_lpm[hm];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [7:0]  l_max = {h_ksz - 5'd4, 3'b000};            // longest prefix: 8 * (key_size - 4), <= 128
    /* verilator lint_on UNUSEDSIGNAL */
    wire        l_bad = lk0[31:0] > {24'd0, l_max};        // trie_*_elem: prefixlen past the data: no match / -EINVAL
    wire [7:0]  l_plen = lk0[7:0];                         // the key's prefixlen (once l_bad is ruled out)
    wire [128:0] l_upto = ~({129{1'b1}} << ({1'b0, l_plen} + 9'd1));   // lengths 0..prefixlen
    wire [7:0]  l_cur = hk0[7:0];                          // the length being probed (canonical key's prefixlen)
    wire [MAP_AW-1:0] l_cnt_addr = mt_base[hm][MAP_AW-1:0] - LPM_HDR[MAP_AW-1:0] + {{(MAP_AW - 9){1'b0}}, l_cur, 1'b0};
    wire [MAP_AW-1:0] l_bmp_addr = mt_base[hm][MAP_AW-1:0] - (l_cur[7] ? {{(MAP_AW - 6){1'b0}}, 6'd32} : {{(MAP_AW - 5){1'b0}}, 5'd24} - {{(MAP_AW - 4){1'b0}}, l_cur[6], 3'b000});
    wire [63:0] l_bit = 64'd1 << l_cur[5:0];

    // The highest set bit (the longest length left to try).
    function [7:0] msb129(input [128:0] v);
        integer i;
        begin
            msb129 = 8'd0;
            for (i = 0; i < 129; i = i + 1) if (v[i]) msb129 = i[7:0];
        end
    endfunction
    // The canonical key of prefix length len: prefixlen = len, data bits [0, len) kept
    // (bit 0 is the most significant bit of data byte 0, key byte 4), the rest cleared.
    function [191:0] lpm_canon(input [191:0] key, input [7:0] len);
        reg [127:0] be;
        integer d;
        begin
            be = ~({128{1'b1}} >> len);         // the data mask, data byte 0 in bits 127:120
            lpm_canon = 192'd0;
            for (d = 0; d < 16; d = d + 1) lpm_canon[8 * (4 + d) +: 8] = key[8 * (4 + d) +: 8] & be[127 - 8 * d -: 8];
            lpm_canon[7:0] = len;
        end
    endfunction
    wire [7:0]   l_sel = helper_id == 32'd1 ? msb129(lbits) : l_plen;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [191:0] l_canon = lpm_canon({lk2, lk1, lk0}, l_sel);
    /* verilator lint_on UNUSEDSIGNAL */

    // TCAM (docs/fpga-engine.md, "TCAM maps"), as runtime/maps/tcam.ts: row i at
    // base + (i << shift) holds the data (the value a lookup returns) at 0, the entry's
    // value (masked) at kofs, its mask at mofs (each 8 or 16 bytes, zero-padded), the
    // priority after them (for the host only); rows are in match order (priority
    // descending, then insertion), the row count at base - 8. Programs only look up.
    wire        h_tcam = mt_tcam[hm];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [38:0] t_islot_next = {19'd0, hidx + 20'd1} << mt_shift[hm];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [MAP_AW-1:0] t_vaddr = h_sbase + h_kofs[MAP_AW-1:0] + {{(MAP_AW - 4){1'b0}}, hkw, 3'b000};
    wire [MAP_AW-1:0] t_maddr = h_sbase + h_mofs[MAP_AW-1:0] + {{(MAP_AW - 4){1'b0}}, hkw, 3'b000};
    wire [MAP_AW-1:0] t_next_vaddr = mt_base[hm][MAP_AW-1:0] + t_islot_next[MAP_AW-1:0] + h_kofs[MAP_AW-1:0];
    // Host inserts and deletes (ctl update/delete on a TCAM, runtime/maps/tcam.ts insert and
    // remove): the entry (value & mask, mask, priority) is found among the rows of its
    // priority; an insert moves the rows after its place down one row (from the last), a
    // delete moves the rows after it up one, a word at a time, so that the rows stay in
    // match order. lk0/lk1 hold the mask, hseq the priority, vidx the new row's index.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [38:0] t_islot_prev = {19'd0, hidx - 20'd1} << mt_shift[hm];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [16:0] t_row_bytes = 17'd1 << mt_shift[hm];
    wire [MAP_AW-1:0] t_paddr = h_sbase + h_mofs[MAP_AW-1:0] + {{(MAP_AW - 5){1'b0}}, h_ksz > 5'd8 ? 5'd16 : 5'd8};
    wire [63:0] t_mword = hkw ? lk1 : lk0;
    wire [MAP_AW-1:0] t_move_dst = mt_base[hm][MAP_AW-1:0] + (helper_id == 32'd3 ? t_islot_prev[MAP_AW-1:0] : t_islot_next[MAP_AW-1:0]) + mcnt[MAP_AW-1:0];

    // LRU hash (docs/fpga-engine.md, "LRU hash maps"), as runtime/maps/hash.ts with lru:
    // exact recency order. A hash map whose meta word's sequence number is restamped from
    // the header on every use (lookup hit, update of an existing key), so that the live
    // slots sorted by it are the interpreter's order, least recently used first; a new key
    // in a full map takes the slot with the smallest number (a scan of every meta word).
    wire        h_lru = mt_lru[hm];
    wire [MAP_AW-1:0] v_next_meta = mt_base[hm][MAP_AW-1:0] + t_islot_next[MAP_AW-1:0] + h_mofs[MAP_AW-1:0];
    wire        v_older = hidx == 20'd0 || x_rdata_q[63:32] < vseq;

    reg  [63:0]     hk0_next, hk1_next, hk2_next;
    reg             hkw_next, hk3rd_next, hfree_v_next, hfound_next;
    reg  [19:0]     hidx_next, hprobe_next, hfree_next;
    reg  [31:0]     hseq_next;
    reg  [63:0]     lk0_next, lk1_next, lk2_next;
    reg  [128:0]    lbits_next;
    reg  [19:0]     tn_next;
    reg  [63:0]     tv_next;
    reg  [19:0]     vidx_next;
    reg  [31:0]     vseq_next;

    reg             fire;           // the instruction in execute completes this cycle
    reg             fault;
    reg  [3:0]      fault_code;
    reg  [63:0]     result;
    reg             redirect;
    reg  [PC_W-1:0] target;
    reg             phase_next;
    reg             finish;         // exit from frame 0

    // The map helpers' reads of program memory (the key at r2, the value at r3, a TCAM
    // entry's mask and priority at r5), one shared step: [ptr, ptr + len) through the
    // address translation and its bounds check (else error 1), the read of the data or
    // map memory started, and the sequence going on at ret, where x_rdata_q holds the data.
    task map_read(input [63:0] ptr, input [16:0] len, input [5:0] ret);
        begin
            mh_xa = ptr;
            mh_xlen = len;
            if (!mem_ok) begin
                fault = 1'b1;
                fault_code = ERR_MEM;
            end else begin
                dmem_en = 1'b1;
                msrc_next = r_map;
                ms_next = ret;
            end
        end
    endtask

    // The map helpers' writes of whole words into the map memory, one shared step: data at
    // waddr; map_write_key writes a key-sized run (word 0, and word 1 for keys over 8 bytes:
    // hkw counts) and then goes on at ret.
    task map_write(input [MAP_AW-1:0] waddr, input [63:0] data);
        begin
            mh_write = 1'b1;
            mh_dest = waddr;
            mh_wdata = data;
            mh_wbytes = 8'hff;
        end
    endtask
    task map_write_key(input [MAP_AW-1:0] waddr, input [63:0] data, input [5:0] ret);
        begin
            map_write(waddr, data);
            if (!hkw && h_ksz > 5'd8) hkw_next = 1'b1;
            else begin
                hkw_next = 1'b0;
                ms_next = ret;
            end
        end
    endtask
    // The map memory's second read port, as the map helpers use it (8-byte rows). Lane 1's
    // loads use it too, but only in a bundle's first cycle in execute, before a helper call
    // of the same bundle starts, and lane 1 keeps the word it read (lanes, below).
    reg               mmem_en2;
    reg  [MAP_AW-4:0] mmem_row2;
    wire [63:0]       mmem_rdata2 = mmem_b_rdata;
    // A hash probe of the slot at sbase: its meta word (the first port) and its key's first
    // word (the second port, mmem_rdata2) read in one cycle, answered in MS_PMETAD.
    task probe_read(input [MAP_AW-1:0] sbase);
        begin
            mh_hread = 1'b1;
            mh_dest = sbase + h_mofs[MAP_AW-1:0];
            mmem_en2 = 1'b1;
            mmem_row2 = sbase[MAP_AW-1:3] + h_kofs[MAP_AW-1:3];
            msrc_next = 1'b1;
            ms_next = MS_PMETAD;
        end
    endtask
    // The probe goes on at the next slot (linear, wrapping), or ends after max_entries slots.
    // (The tasks take the wires they need as arguments: an always @* block is sensitive to
    // what its statements read, not to what the tasks it calls read; Icarus keeps to that.)
    task probe_next(input last, input [19:0] inext, input [MAP_AW-1:0] nsbase);
        if (last) ms_next = MS_END;
        else begin
            hidx_next = inext;
            hprobe_next = hprobe + 20'd1;
            probe_read(nsbase);
        end
    endtask
    // The key's home slot: the probe starts there.
    task probe_home(input [19:0] home, input [MAP_AW-1:0] home_sbase);
        begin
            hidx_next = home;
            hprobe_next = 20'd0;
            hfree_v_next = 1'b0;
            hfound_next = 1'b0;
            probe_read(home_sbase);
        end
    endtask
    // Every key word matched: a lookup answers at once (an LRU lookup restamps first).
    task probe_found;
        if (helper_id == 32'd1 && !h_lru) begin
            fire = 1'b1;
            result = {REGION_MAPV, hm, 4'd0, hidx, 32'd0};
        end else begin
            hfound_next = 1'b1;
            ms_next = MS_END;
        end
    endtask

    always @* begin
        fire = 1'b0;
        fault = 1'b0;
        fault_code = 4'd0;
        result = alu_y;
        redirect = 1'b0;
        target = e_target;
        phase_next = e_phase;
        finish = 1'b0;
        dmem_en = 1'b0;
        dmem_we = 1'b0;
        dmem_wdata = b_op;
        div_start = 1'b0;
        helper_start = 1'b0;
        mh_active = 1'b0;
        mh_xa = arg3;
        mh_xlen = {1'b0, h_vsize};
        mh_write = 1'b0;
        mh_hread = 1'b0;
        mmem_en2 = 1'b0;
        mmem_row2 = {(MAP_AW - 3){1'b0}};
        mh_wdata = x_rdata_q;
        mh_dest = mt_base[hm][MAP_AW-1:0] + h_slot[MAP_AW-1:0] + mcnt[MAP_AW-1:0];
        mh_wbytes = h_left >= 16'd8 ? 8'hff : 8'hff >> (4'd8 - h_left[3:0]);
        ms_next = ms;
        hstamp_next = hstamp;
        mcnt_next = mcnt;
        mkey_next = mkey;
        msrc_next = msrc_map;
        hk0_next = hk0;
        hk1_next = hk1;
        hk2_next = hk2;
        hkw_next = hkw;
        hk3rd_next = hk3rd;
        hidx_next = hidx;
        hprobe_next = hprobe;
        hfree_v_next = hfree_v;
        hfree_next = hfree;
        hfound_next = hfound;
        hseq_next = hseq;
        lk0_next = lk0;
        lk1_next = lk1;
        lk2_next = lk2;
        lbits_next = lbits;
        tn_next = tn;
        tv_next = tv;
        vidx_next = vidx;
        vseq_next = vseq;
        xh_mask = 1'b0;
        xh_wbytes = 8'hff;
        xs_next = xs;
        xz_at_next = xz_at;
        xc_cnt_next = xc_cnt;
        xs_go = 1'b0;
        ts_next = ts;
        tail_jump = 1'b0;
        redirect_set = 1'b0;
        if (e_valid && !a_hold) begin
            case (e_kind)
                K_ALU: begin
                    fire = 1'b1;
                    if (e_ctxrd) result = ctx_field(e_imm64[4:0], pkt_data, pkt_end, pkt_meta, ifindex_q, rxq_q);
                end
                K_LDDW: begin
                    result = e_imm64;
                    // a map reference to a map the table does not hold
                    if (e_mapref && !(e_imm64[63:36] == REGION_MAPH && mt_max[e_imm64[35:32]] != 20'd0)) begin
                        fault = 1'b1;
                        fault_code = ERR_HARG;
                    end else if (e_mapval && (e_mapval_far || mt_max[e_imm64[59:56]] == 20'd0 || mt_hash[e_imm64[59:56]])) begin
                        // global data lives in arrays (the backend refuses other kinds)
                        fault = 1'b1;
                        fault_code = ERR_HARG;
                    end else fire = 1'b1;
                end
                K_DIV: begin
                    // RFC 9669 §4.1: x / 0 = 0, x % 0 = x
                    if (div_by_zero) begin
                        fire = 1'b1;
                        result = !is_mod ? 64'd0 : e_is32 ? {32'b0, a[31:0]} : a;
                    end else if (!e_phase) begin
                        div_start = 1'b1;
                        phase_next = 1'b1;
                    end else if (div_done) begin
                        fire = 1'b1;
                        result = is_mod ? div_remainder : div_quotient;
                    end
                end
                K_LDX, K_ST: begin
                    if (e_kind == K_LDX && is_ctx) begin
                        // stores and atomics on ctx fall through to !mem_ok: read-only
                        result = ctx_value;
                        if (ctx_ok) fire = 1'b1;
                        else begin
                            fault = 1'b1;
                            fault_code = ERR_MEM;
                        end
                    end else if (!mem_ok) begin
                        fault = 1'b1;
                        fault_code = ERR_MEM;
                    end else begin
                        fire = 1'b1;
                        dmem_en = 1'b1;
                        dmem_we = e_kind == K_ST;
                    end
                end
                K_ATOMIC: begin
                    result = old_value;
                    dmem_wdata = atomic_new;
                    if (!mem_ok) begin
                        fault = 1'b1;
                        fault_code = ERR_MEM;
                    end else if (!is_cmpxchg) begin
                        fire = 1'b1;                // the read; the memory stage writes (m_awr)
                        dmem_en = 1'b1;
                    end else if (!e_phase) begin
                        // cmpxchg compares with r0 as forwarded (r0_pipe)
                        dmem_en = 1'b1;
                        phase_next = 1'b1;
                    end else begin
                        fire = 1'b1;
                        dmem_en = 1'b1;
                        dmem_we = atomic_store;
                    end
                end
                K_JA: fire = 1'b1;         // fetched its target from decode already (ja_fetch)
                K_JCC: begin
                    fire = 1'b1;
                    redirect = taken && !e_early;   // resolved in decode: its target is fetched already
                end
                K_CALL: if (is_xdp_helper) begin
                    // The packet accesses go through the translation as region 1 offsets.
                    mh_active = 1'b1;
                    mh_xa = {REGION_INPUT, 16'd0, xz_at};
                    result = 64'd0;
                    dmem_wdata = 64'd0;
                    case (xs)
                        XS_CHECK: begin
                            if (x_bad) begin
                                fire = 1'b1;
                                result = -64'd22;                   // -EINVAL
                            end else begin
                                xs_go = 1'b1;
                                xs_next = XS_ZERO;
                            end
                        end
                        XS_ZERO: if (xz_at != xz_end) begin
                            dmem_en = 1'b1;
                            dmem_we = 1'b1;
                            xh_mask = 1'b1;
                            xh_wbytes = 8'hff >> (4'd8 - xz_size);
                            xz_at_next = xz_at + {12'd0, xz_size};
                        end else if (xc_cnt != xc_len) begin
                            xs_next = XS_READ;
                        end else begin
                            fire = 1'b1;
                        end
                        XS_READ: begin
                            mh_xa = {REGION_INPUT, 16'd0, xc_src + xc_off};
                            dmem_en = 1'b1;
                            xs_next = XS_WRITE;
                        end
                        default: begin                              // XS_WRITE: the chunk read last cycle
                            mh_xa = {REGION_INPUT, 16'd0, xc_dst + xc_off};
                            dmem_en = 1'b1;
                            dmem_we = 1'b1;
                            dmem_wdata = dmem_rdata;
                            xh_mask = 1'b1;
                            xh_wbytes = 8'hff >> (4'd8 - xc_size);
                            xc_cnt_next = xc_cnt + {2'd0, xc_size};
                            xs_next = XS_ZERO;
                        end
                    endcase
                end else if (is_slot_helper) begin
                    mh_active = 1'b1;
                    result = t_fallback;
                    case (ts)
                        TS_CHECK: begin
                            if (!t_handle) begin
                                fault = 1'b1;
                                fault_code = ERR_HARG;
                            end else if (!t_kind_ok || !t_in_range) fire = 1'b1;
                            else ts_next = TS_READ;
                        end
                        TS_READ: begin
                            mh_hread = 1'b1;
                            mh_dest = mt_base[tm][MAP_AW-1:0] + t_slot[MAP_AW-1:0];
                            ts_next = TS_DATA;
                        end
                        default: begin                              // TS_DATA: the slot
                            if (t_tail) begin
                                if (mmem_rdata[63:32] == 32'd0 || tail_calls == MAX_TAIL_CALLS) fire = 1'b1;
                                else if (!t_prog_ok) begin
                                    fault = 1'b1;
                                    fault_code = ERR_TAIL;
                                end else begin
                                    fire = 1'b1;
                                    tail_jump = 1'b1;
                                    redirect = 1'b1;
                                    target = pt_base[t_prog];
                                end
                            end else begin
                                fire = 1'b1;
                                if (mmem_rdata[31:0] != 32'd0) begin
                                    redirect_set = 1'b1;
                                    result = 64'd4;                 // XDP_REDIRECT
                                end
                            end
                        end
                    endcase
                end else if (is_map_helper) begin
                    // Array maps, as runtime/maps/array.ts and runtime/helpers/table.ts;
                    // hash maps (MS_HASH on), as runtime/maps/hash.ts; LPM tries
                    // (MS_LB1 .. MS_LBITD around the hash probe), as runtime/maps/lpm.ts.
                    mh_active = 1'b1;
                    result = 64'd0;
                    case (ms)
                        // r1 checked; an update's value range next (through the one address
                        // translation), else the key's first word is read in the same cycle.
                        MS_CHECK, MS_KEY: if (ms == MS_CHECK && !h_handle) begin
                            fault = 1'b1;
                            fault_code = ERR_HARG;
                        end else if (ms == MS_CHECK && helper_id == 32'd2) begin
                            // update: [r3, r3 + value_size) must lie in one region
                            if (!mem_ok) begin
                                fault = 1'b1;
                                fault_code = ERR_MEM;
                            end else ms_next = MS_KEY;
                        end else map_read(arg2 + {59'd0, h_kwofs}, h_hash ? {12'd0, h_kwlen} : 17'd4, MS_KEYD);
                        MS_KEYD: begin
                            mkey_next = h_key[19:0];
                            mcnt_next = 16'd0;
                            if (h_hash) begin
                                if (hk3rd) hk2_next = x_rdata_q & h_kmask;
                                else if (hkw) hk1_next = x_rdata_q & h_kmask;
                                else hk0_next = x_rdata_q & h_kmask;
                                if (hk3rd) lk2_next = x_rdata_q & h_kmask;
                                else if (hkw) lk1_next = x_rdata_q & h_kmask;
                                else lk0_next = x_rdata_q & h_kmask;
                                if (h_kmore) begin
                                    hkw_next = 1'b1;
                                    hk3rd_next = hkw;
                                    ms_next = MS_KEY;
                                end else if (h_tcam && helper_id != 32'd1 && !ctl) begin
                                    fire = 1'b1;
                                    result = -64'd95;               // -EOPNOTSUPP: programs only read a TCAM
                                end else if (h_tcam && helper_id == 32'd2 && h_flags > 32'd2) begin
                                    fire = 1'b1;
                                    result = -64'd22;               // -EINVAL: BPF_F_LOCK and beyond
                                end else if (h_tcam && helper_id != 32'd1) begin
                                    hkw_next = 1'b0;                // the host's insert/delete: the mask next
                                    hk3rd_next = 1'b0;
                                    ms_next = MS_TK;
                                end else if (h_tcam) begin
                                    mh_hread = 1'b1;            // the row count, read at once
                                    mh_dest = h_hdr;
                                    msrc_next = 1'b1;
                                    hidx_next = 20'd0;
                                    hkw_next = 1'b0;
                                    ms_next = MS_TN2;
                                end
                                else if (helper_id == 32'd2 && h_flags > 32'd2) begin
                                    fire = 1'b1;
                                    result = -64'd22;               // -EINVAL: BPF_F_LOCK and beyond
                                end else if (!h_lpm) probe_home(h_home, h_home_sbase);     // hashed as the word arrives
                                else begin
                                    hk3rd_next = 1'b0;
                                    if (helper_id == 32'd1) begin
                                        // lookup: the bitmap's first word is read at once
                                        mh_hread = 1'b1;
                                        mh_dest = mt_base[hm][MAP_AW-1:0] - {{(MAP_AW - 5){1'b0}}, 5'd24};
                                        msrc_next = 1'b1;
                                        ms_next = MS_LB1;
                                    end else ms_next = MS_LSEL;
                                end
                            end else if (helper_id == 32'd1) begin
                                fire = 1'b1;
                                result = h_key < {12'd0, mt_max[hm]} ? {REGION_MAPV, hm, h_key[23:0], 32'd0} : 64'd0;
                            end else if (helper_id == 32'd3) begin
                                fire = 1'b1;
                                result = -64'd22;                   // -EINVAL: array elements cannot be deleted
                            end else if (h_flags > 32'd2) begin
                                fire = 1'b1;
                                result = -64'd22;                   // -EINVAL: BPF_F_LOCK and beyond
                            end else if (h_key >= {12'd0, mt_max[hm]}) begin
                                fire = 1'b1;
                                result = -64'd7;                    // -E2BIG
                            end else if (h_flags == 32'd1) begin
                                fire = 1'b1;
                                result = -64'd17;                   // -EEXIST: BPF_NOEXIST, every element exists
                            end else ms_next = MS_COPY;
                        end
                        // up to 8 bytes of the value (inside the range checked above), written next cycle
                        MS_COPY: map_read(arg3 + {48'd0, mcnt}, h_left >= 16'd8 ? 17'd8 : {13'd0, h_left[3:0]}, MS_WRITE);
                        MS_WRITE: begin
                            mh_write = 1'b1;
                            mcnt_next = h_next[15:0];
                            if (h_next >= {1'b0, h_vsize}) fire = 1'b1;
                            else ms_next = MS_COPY;
                        end
                        // Hash maps: linear probing from the home slot over at most
                        // max_entries slots; an empty slot ends the search.
                        // The home slot and, in the same cycle, the read of its meta word.
                        // Hash maps: the key hashed as its last word arrives (MS_KEYD; LPM
                        // tries hash their canonical keys here), the home slot read.
                        MS_HASH: probe_home(h_home, h_home_sbase);
                        // A slot's meta word and its key's first word: live and matching,
                        // the next key word is read or the key is found; else the next slot.
                        MS_PMETAD: begin
                            hkw_next = 1'b0;
                            hk3rd_next = 1'b0;
                            if (x_rdata_q[1:0] == 2'd1) begin
                                if ((mmem_rdata2 & h_k0mask) != hk0) probe_next(h_last, h_inext, h_nsbase);
                                else if (h_ksz > 5'd8) begin
                                    hkw_next = 1'b1;        // word 1 (at 8), compared in MS_PKEYD
                                    mh_hread = 1'b1;
                                    mh_dest = h_sbase + h_kofs[MAP_AW-1:0] + {{(MAP_AW - 4){1'b0}}, 4'd8};
                                    ms_next = MS_PKEYD;
                                end else probe_found;
                            end else begin
                                if (!hfree_v) begin
                                    hfree_v_next = 1'b1;
                                    hfree_next = hidx;
                                end
                                if ((x_rdata_q[1:0] == 2'd0 || h_last) && helper_id == 32'd1) begin
                                    // a lookup's miss answers at once (NULL), or an LPM
                                    // lookup tries the next shorter length in use
                                    if (h_lpm) begin
                                        lbits_next = lbits & ~(129'd1 << l_cur);
                                        ms_next = MS_LSEL;
                                    end else fire = 1'b1;
                                end else if (x_rdata_q[1:0] == 2'd0) ms_next = MS_END;
                                else probe_next(h_last, h_inext, h_nsbase);        // deleted: the key may lie beyond
                            end
                        end
                        // Key words 1 and 2 (in MS_PKEYD hkw is set: word 1, or 2 with hk3rd).
                        MS_PKEYD: begin
                            if ((x_rdata_q & h_kmask) != h_kword) probe_next(h_last, h_inext, h_nsbase);
                            else if (h_kmore) begin
                                // the next key word (at 16 after word 1), read at once
                                hkw_next = 1'b1;
                                hk3rd_next = hkw;
                                mh_hread = 1'b1;
                                mh_dest = h_sbase + h_kofs[MAP_AW-1:0] + {{(MAP_AW - 5){1'b0}}, hkw, !hkw, 3'b000};
                            end else probe_found;
                        end
                        MS_END: begin
                            mkey_next = hidx;
                            mcnt_next = 16'd0;
                            hkw_next = 1'b0;
                            hk3rd_next = 1'b0;
                            if (hfound) begin
                                if (helper_id == 32'd1 && h_lru) begin
                                    ms_next = MS_HDR;    // a use: restamp
                                    hstamp_next = 1'b1;
                                end
                                else if (helper_id == 32'd1) begin
                                    fire = 1'b1;
                                    result = {REGION_MAPV, hm, 4'd0, hidx, 32'd0};
                                end else if (helper_id == 32'd3) begin
                                    mh_write = 1'b1;            // deleted: a tombstone
                                    mh_dest = h_sbase + h_mofs[MAP_AW-1:0];
                                    mh_wdata = 64'd2;
                                    mh_wbytes = 8'hff;
                                    if (h_lpm) ms_next = MS_LCNT;   // one prefix fewer of this length
                                    else fire = 1'b1;
                                end else if (h_flags == 32'd1) begin
                                    fire = 1'b1;
                                    result = -64'd17;               // -EEXIST
                                end else begin
                                    ms_next = h_lru ? MS_HDR : MS_COPY;
                                    hstamp_next = 1'b1;
                                end
                            end else if (h_lpm && helper_id == 32'd1) begin
                                // no prefix of this length matches: the next shorter length in use
                                lbits_next = lbits & ~(129'd1 << l_cur);
                                ms_next = MS_LSEL;
                            end else begin
                                fire = helper_id != 32'd2 || h_flags == 32'd2 || !hfree_v;
                                // a new key in a full map: -E2BIG (hashtab.c), -ENOSPC (lpm_trie.c)
                                result = helper_id == 32'd1 ? 64'd0 : helper_id == 32'd2 && h_flags != 32'd2 ? (h_lpm ? -64'd28 : -64'd7) : -64'd2;
                                hidx_next = hfree;
                                if (!fire) ms_next = MS_HDR;
                                hstamp_next = 1'b0;
                                if (h_lru && helper_id == 32'd2 && h_flags != 32'd2 && !hfree_v) begin
                                    // full: the least recently used entry makes room (every slot is live)
                                    fire = 1'b0;
                                    hidx_next = 20'd0;
                                    ms_next = MS_VSCAN;
                                end
                            end
                        end
                        MS_HDR: begin
                            mh_hread = 1'b1;
                            mh_dest = h_hdr;
                            msrc_next = 1'b1;
                            ms_next = MS_HDRD;
                        end
                        MS_HDRD: begin
                            hseq_next = x_rdata_q[31:0];
                            mh_write = 1'b1;
                            mh_dest = h_hdr;
                            mh_wdata = {32'd0, x_rdata_q[31:0] + 32'd1};
                            mh_wbytes = 8'hff;
                            ms_next = hstamp ? MS_RSTAMP : MS_WKEY;
                        end
                        MS_WKEY: begin
                            mh_write = 1'b1;
                            mh_dest = h_sbase + h_kofs[MAP_AW-1:0] + {{(MAP_AW - 5){1'b0}}, h_kwofs};
                            mh_wdata = h_kword;
                            mh_wbytes = 8'hff;
                            hkw_next = 1'b1;
                            hk3rd_next = hkw;
                            if (!h_kmore) ms_next = MS_WMETA;
                        end
                        MS_WMETA: begin
                            mh_write = 1'b1;
                            mh_dest = h_sbase + h_mofs[MAP_AW-1:0];
                            mh_wdata = {hseq, 32'd1};
                            mh_wbytes = 8'hff;
                            mkey_next = hidx;
                            mcnt_next = 16'd0;
                            ms_next = h_lpm ? MS_LCNT : MS_COPY;
                        end
                        // LPM lookup: the lengths in use up to the key's prefixlen, from the bitmap.
                        MS_LB1: begin
                            lbits_next = {65'd0, x_rdata_q & l_upto[63:0]};
                            if (l_bad) fire = 1'b1;         // NULL: a prefixlen past the key's data
                            else if (l_max[7] || l_max[6]) begin // lengths 64.. exist: the second word
                                mh_hread = 1'b1;
                                mh_dest = mt_base[hm][MAP_AW-1:0] - {{(MAP_AW - 5){1'b0}}, 5'd16};
                                ms_next = MS_LB2;
                            end else ms_next = MS_LSEL;
                        end
                        MS_LB2: begin
                            lbits_next = {1'b0, x_rdata_q & l_upto[127:64], lbits[63:0]};
                            if (l_max[7]) begin             // length 128 exists: the third word
                                mh_hread = 1'b1;
                                mh_dest = mt_base[hm][MAP_AW-1:0] - {{(MAP_AW - 6){1'b0}}, 6'd32};
                                ms_next = MS_LB3;
                            end else ms_next = MS_LSEL;
                        end
                        MS_LB3: begin
                            lbits_next = {x_rdata_q[0] & l_upto[128], lbits[127:0]};
                            ms_next = MS_LSEL;
                        end
                        // The canonical key to probe: lookup, the longest length left (none
                        // left: NULL); update/delete, the key's own prefixlen.
                        MS_LSEL: begin
                            if (helper_id == 32'd1 ? lbits == 129'd0 : l_bad) begin
                                fire = 1'b1;
                                result = helper_id == 32'd1 ? 64'd0 : -64'd22;
                            end else begin
                                hk0_next = l_canon[63:0];
                                hk1_next = l_canon[127:64];
                                hk2_next = {32'd0, l_canon[159:128]};
                                ms_next = MS_HASH;
                            end
                        end
                        // Insert/delete: the length's entry count, and its bitmap bit when
                        // the count leaves or reaches zero.
                        MS_LCNT: begin
                            mh_hread = 1'b1;
                            mh_dest = l_cnt_addr;
                            msrc_next = 1'b1;
                            ms_next = MS_LCNTD;
                        end
                        MS_LCNTD: begin
                            mh_write = 1'b1;
                            mh_dest = l_cnt_addr;
                            mh_wdata = {48'd0, helper_id == 32'd3 ? x_rdata_q[15:0] - 16'd1 : x_rdata_q[15:0] + 16'd1};
                            mh_wbytes = 8'h03;
                            if (x_rdata_q[15:0] == (helper_id == 32'd3 ? 16'd1 : 16'd0)) ms_next = MS_LBIT;
                            else if (helper_id == 32'd3) fire = 1'b1;
                            else ms_next = MS_COPY;
                        end
                        MS_LBIT: begin
                            mh_hread = 1'b1;
                            mh_dest = l_bmp_addr;
                            msrc_next = 1'b1;
                            ms_next = MS_LBITD;
                        end
                        MS_LBITD: begin
                            mh_write = 1'b1;
                            mh_dest = l_bmp_addr;
                            mh_wdata = helper_id == 32'd3 ? x_rdata_q & ~l_bit : x_rdata_q | l_bit;
                            mh_wbytes = 8'hff;
                            if (helper_id == 32'd3) fire = 1'b1;
                            else ms_next = MS_COPY;
                        end
                        // LRU: the header's next number (MS_HDR/MS_HDRD) becomes the entry's last use.
                        MS_RSTAMP: begin
                            mh_write = 1'b1;
                            mh_dest = h_sbase + h_mofs[MAP_AW-1:0];
                            mh_wdata = {hseq, 32'd1};
                            mh_wbytes = 8'hff;
                            if (helper_id == 32'd1) begin
                                fire = 1'b1;
                                result = {REGION_MAPV, hm, 4'd0, hidx, 32'd0};
                            end else ms_next = MS_COPY;
                        end
                        // LRU eviction: one meta word a cycle, the smallest sequence number
                        // wins; its slot takes the new key through the insertion states.
                        MS_VSCAN: begin
                            mh_hread = 1'b1;
                            mh_dest = h_sbase + h_mofs[MAP_AW-1:0];
                            msrc_next = 1'b1;
                            ms_next = MS_VCMP;
                        end
                        MS_VCMP: begin
                            if (v_older) begin
                                vidx_next = hidx;
                                vseq_next = x_rdata_q[63:32];
                            end
                            if (hidx + 20'd1 >= mt_max[hm]) begin
                                hidx_next = v_older ? hidx : vidx;
                                ms_next = MS_HDR;
                                hstamp_next = 1'b0;
                            end else begin
                                hidx_next = hidx + 20'd1;
                                mh_hread = 1'b1;
                                mh_dest = v_next_meta;
                            end
                        end
                        // TCAM lookup: rows in order, each key word compared as
                        // (key & mask) == value; two cycles per word, the next row's
                        // first read issued by the compare that rules a row out.
                        MS_TN2: begin
                            tn_next = x_rdata_q[19:0];
                            if (x_rdata_q[19:0] == 20'd0) fire = 1'b1;     // an empty table: NULL
                            else begin
                                mh_hread = 1'b1;
                                mh_dest = t_vaddr;
                                ms_next = MS_TM;
                            end
                        end
                        MS_TM: begin
                            tv_next = x_rdata_q;
                            mh_hread = 1'b1;
                            mh_dest = t_maddr;
                            ms_next = MS_TC;
                        end
                        MS_TC: begin
                            if ((h_kword & x_rdata_q) == tv) begin
                                if (!hkw && h_ksz > 5'd8) begin
                                    hkw_next = 1'b1;
                                    mh_hread = 1'b1;
                                    mh_dest = t_vaddr + {{(MAP_AW - 4){1'b0}}, 4'd8};
                                    ms_next = MS_TM;
                                end else begin
                                    fire = 1'b1;
                                    result = {REGION_MAPV, hm, 4'd0, hidx, 32'd0};
                                end
                            end else if (hidx + 20'd1 == tn) fire = 1'b1;   // no row matches: NULL
                            else begin
                                hidx_next = hidx + 20'd1;
                                hkw_next = 1'b0;
                                mh_hread = 1'b1;
                                mh_dest = t_next_vaddr;
                                ms_next = MS_TM;
                            end
                        end
                        // TCAM host insert/delete: the mask (r5, two words for keys over 8
                        // bytes), the value made canonical (value & mask), the priority.
                        MS_TK: map_read(arg5 + (hkw ? 64'd8 : 64'd0), {12'd0, h_kwlen}, MS_TKD);
                        MS_TKD: begin
                            if (hkw) begin
                                lk1_next = x_rdata_q & h_kmask;
                                hk1_next = hk1 & x_rdata_q;
                            end else begin
                                lk0_next = x_rdata_q & h_kmask;
                                hk0_next = hk0 & x_rdata_q;
                            end
                            if (!hkw && h_ksz > 5'd8) begin
                                hkw_next = 1'b1;
                                ms_next = MS_TK;
                            end else ms_next = MS_TP;
                        end
                        MS_TP: map_read(arg5 + 64'd16, 17'd4, MS_TPD);
                        MS_TPD: begin
                            hseq_next = x_rdata_q[31:0];
                            mh_hread = 1'b1;
                            mh_dest = h_hdr;        // the row count
                            msrc_next = 1'b1;
                            ms_next = MS_TSN;
                        end
                        MS_TSN: begin
                            tn_next = x_rdata_q[19:0];
                            hidx_next = 20'd0;
                            hkw_next = 1'b0;
                            ms_next = MS_TSR;
                        end
                        // The search: rows of higher priority are passed, the first row of
                        // lower priority is where a new entry goes (after its equals: ties
                        // go to the earlier insertion); equal priority compares value and mask.
                        MS_TSR: begin
                            if (hidx == tn) begin
                                vidx_next = tn;
                                ms_next = MS_TNF;
                            end else begin
                                mh_hread = 1'b1;
                                mh_dest = t_paddr;
                                ms_next = MS_TSP;
                            end
                        end
                        MS_TSP: begin
                            hkw_next = 1'b0;
                            if (x_rdata_q[31:0] > hseq) begin
                                hidx_next = hidx + 20'd1;
                                ms_next = MS_TSR;
                            end else if (x_rdata_q[31:0] < hseq) begin
                                vidx_next = hidx;
                                ms_next = MS_TNF;
                            end else ms_next = MS_TSV;
                        end
                        MS_TSV: begin
                            mh_hread = 1'b1;
                            mh_dest = t_vaddr;
                            ms_next = MS_TSM;
                        end
                        MS_TSM: begin
                            tv_next = x_rdata_q;
                            mh_hread = 1'b1;
                            mh_dest = t_maddr;
                            ms_next = MS_TSC;
                        end
                        MS_TSC: begin
                            if (tv == h_kword && x_rdata_q == t_mword) begin
                                if (!hkw && h_ksz > 5'd8) begin
                                    hkw_next = 1'b1;
                                    ms_next = MS_TSV;
                                end else ms_next = MS_TF;
                            end else begin
                                hidx_next = hidx + 20'd1;
                                hkw_next = 1'b0;
                                ms_next = MS_TSR;
                            end
                        end
                        // Found: an insert replaces the data in place (the row keeps its
                        // place); a delete moves the rows after it up.
                        MS_TF: begin
                            mcnt_next = 16'd0;
                            mkey_next = hidx;
                            hkw_next = 1'b0;
                            if (helper_id == 32'd3) begin
                                if (hidx + 20'd1 == tn) ms_next = MS_TCNT;
                                else begin
                                    hidx_next = hidx + 20'd1;
                                    ms_next = MS_TMV;
                                end
                            end else if (h_flags == 32'd1) begin
                                fire = 1'b1;
                                result = -64'd17;                   // -EEXIST: BPF_NOEXIST
                            end else ms_next = MS_COPY;
                        end
                        // Not found: -ENOENT (delete, BPF_EXIST), -ENOSPC (a full table), or
                        // the rows from vidx on move down one, from the last.
                        MS_TNF: begin
                            mcnt_next = 16'd0;
                            hkw_next = 1'b0;
                            if (helper_id == 32'd3 || h_flags == 32'd2) begin
                                fire = 1'b1;
                                result = -64'd2;
                            end else if (tn >= mt_max[hm]) begin
                                fire = 1'b1;
                                result = -64'd28;
                            end else if (vidx == tn) begin
                                hidx_next = vidx;
                                ms_next = MS_TW;
                            end else begin
                                hidx_next = tn - 20'd1;
                                ms_next = MS_TMV;
                            end
                        end
                        MS_TMV: begin
                            mh_hread = 1'b1;
                            mh_dest = h_sbase + mcnt[MAP_AW-1:0];
                            msrc_next = 1'b1;
                            ms_next = MS_TMW;
                        end
                        MS_TMW: begin
                            map_write(t_move_dst, x_rdata_q);
                            mcnt_next = h_next[15:0];
                            ms_next = MS_TMV;
                            if (h_next >= t_row_bytes) begin
                                mcnt_next = 16'd0;
                                if (helper_id == 32'd3) begin
                                    if (hidx + 20'd1 == tn) ms_next = MS_TCNT;
                                    else hidx_next = hidx + 20'd1;
                                end else if (hidx == vidx) ms_next = MS_TW;
                                else hidx_next = hidx - 20'd1;
                            end
                        end
                        // The new row at vidx (hidx): value, mask, priority; then the count
                        // and the data (MS_COPY into row mkey).
                        MS_TW: map_write_key(t_vaddr, h_kword, MS_TWM);
                        MS_TWM: map_write_key(t_maddr, t_mword, MS_TWP);
                        MS_TWP: begin
                            map_write(t_paddr, {32'd0, hseq});
                            ms_next = MS_TCNT;
                        end
                        MS_TCNT: begin
                            map_write(h_hdr, {44'd0, helper_id == 32'd3 ? tn - 20'd1 : tn + 20'd1});
                            mkey_next = hidx;
                            mcnt_next = 16'd0;
                            if (helper_id == 32'd3) fire = 1'b1;
                            else ms_next = MS_COPY;
                        end
                        default: begin
                            fault = 1'b1;
                            fault_code = ERR_HARG;
                        end
                    endcase
                end else begin
                    result = helper_r0;
                    if (!e_phase) begin
                        helper_start = 1'b1;
                        phase_next = 1'b1;
                    end else if (helper_done) begin
                        if (helper_error) begin
                            fault = 1'b1;
                            fault_code = ERR_HELPER;
                        end else begin
                            fire = 1'b1;
                        end
                    end
                end
                K_CALL_LOCAL: if (drained) begin
                    if ({29'd0, depth} + 32'd1 >= MAX_DEPTH) begin
                        fault = 1'b1;
                        fault_code = ERR_DEPTH;
                    end else begin
                        fire = 1'b1;
                        redirect = 1'b1;
                    end
                end
                K_EXIT: begin
                    if (e_exit_imm) result = e_imm64;
                    if (depth == 3'd0) begin
                        // The program's result is r0 as the bundle leaves it (arg0).
                        fire = 1'b1;
                        finish = 1'b1;
                    end else if (drained) begin
                        fire = 1'b1;
                        redirect = 1'b1;
                        target = cs_ret[depth_up];
                    end
                end
                K_FELL_OFF: begin
                    fault = 1'b1;
                    fault_code = ERR_PC;
                end
                default: begin
                    fault = 1'b1;
                    fault_code = ERR_INSN;
                end
            endcase
        end
        // A host map command stops when its helper call completes.
        if (ctl && fire) finish = 1'b1;
        // Route the access: map value regions go to the map memory, the rest to bpf_dmem.
        mmem_en = (dmem_en && r_map) || mh_write || mh_hread;
        mmem_we = mh_write || (dmem_we && r_map);
        if (r_map) begin
            dmem_en = 1'b0;
            dmem_we = 1'b0;
        end
        // the memory stage's atomic writes (execute is held off the memories: a_hold)
        if (m_awr) begin
            dmem_en = !m_map;
            dmem_we = !m_map;
            mmem_en = m_map;
            mmem_we = m_map;
            dmem_wdata = m_anew;
        end
    end

    wire stop = fault || finish;

    // The map memory byte of a value address (a map command's lookup result), so that the
    // host reads the value through its map port.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [38:0] r_value_slot = {15'd0, result[55:32]} << mt_shift[result[59:56]];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [MAP_AW-1:0] r_value_addr = mt_base[result[59:56]][MAP_AW-1:0] + r_value_slot[MAP_AW-1:0];

    // ================================================================== hazards and fetch
    wire e_accept = !e_valid || fire;
    // No load-use hold: the memory stage forwards a load's data (fm_val above).
    wire d_hold = d_valid && !e_accept;
    // ja/ja32 leaving decode: the fetch takes its target at once, so an unconditional jump
    // costs no bubble (conditional jumps resolve in execute: one bubble when taken).
    wire ja_fetch = (d_valid || launch) && dk_kind == K_JA && !stop;
    // A conditional jump whose operands no bundle in flight writes (execute or memory stage,
    // any lane) is resolved in decode on the register file's values (with the write-back
    // bypass, as execute will see them): taken, the fetch takes its target at once, so it
    // costs no bubble; else it resolves in execute (one bubble when taken).
    wire [63:0] d_a = fwd_pick(dk_ra, regs[dk_ra], {LANES{1'b0}}, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    wire [63:0] d_b = fwd_pick(dk_rb, regs[dk_rb], {LANES{1'b0}}, fm_rd, fm_val, fw_v, fw_rd, fw_val);
    function writes_reg(input [3:0] r, input [LANES-1:0] v, input [4*LANES-1:0] rd);
        integer k;
        begin
            writes_reg = 1'b0;
            for (k = 0; k < LANES; k = k + 1) if (v[k] && rd[4*k +: 4] == r) writes_reg = 1'b1;
        end
    endfunction
    wire [LANES-1:0]   x_wv;        // execute's writes, every lane
    wire [4*LANES-1:0] x_wrd;
    assign x_wv[0] = e_valid && e_writes;
    assign x_wrd[3:0] = e_rd;
    generate
        if (LANES > 1) begin : x_lanes
            assign x_wv[LANES-1:1] = fe_v[LANES-1:1];
            assign x_wrd[4*LANES-1:4] = fe_rd[4*LANES-1:4];
        end
    endgenerate
    wire d_in_flight = writes_reg(dk_ra, x_wv, x_wrd) || writes_reg(dk_ra, fm_v, fm_rd) ||
                       (dk_uses_b && (writes_reg(dk_rb, x_wv, x_wrd) || writes_reg(dk_rb, fm_v, fm_rd)));
    wire jcc_early = dk_kind == K_JCC && !d_in_flight && !launch;   // launch: not on the register file
    wire d_taken;
    // jcc_add compares a + imm with b, here as in execute (cond_a)
    bpf_branch_cond decode_cond (.op(dk_op), .is32(dk_is32), .a(dk_jadd ? d_a + dk_imm64 : d_a), .b(dk_use_imm ? dk_imm64 : d_b), .taken(d_taken));
    wire jcc_fetch = d_valid && jcc_early && d_taken && !stop;

    always @* begin
        // bundle 0 while idle and as a run stops: the next start finds it decoded (launch)
        if (stop) imem_addr = {PC_W{1'b0}};
        else if (redirect) imem_addr = target;
        else if (!d_valid && !launch) imem_addr = {PC_W{1'b0}};
        else if (d_hold) imem_addr = d_pc;
        else if (ja_fetch || jcc_fetch) imem_addr = dk_target;
        else imem_addr = d_pc + (d_is_lddw && LANES == 1 ? {{(PC_W - 2){1'b0}}, 2'd2} : {{(PC_W - 1){1'b0}}, 1'b1});
    end

    // ================================================================== memory stage
    // A load's data as the register gets it (lane 0 and lane 1's read port): truncated
    // or sign-extended by size; ldx_wide's 6 bytes, or its bytes reversed (big-endian).
    function [63:0] align_load(input [63:0] rd, input [1:0] size, input sgn, input bswap, input six);
        reg [63:0] sw;
        begin
            sw = {rd[7:0], rd[15:8], rd[23:16], rd[31:24], rd[39:32], rd[47:40], rd[55:48], rd[63:56]};
            case (size)
                2'd2:    align_load = sgn ? {{56{rd[7]}}, rd[7:0]} : {56'b0, rd[7:0]};
                2'd1:    align_load = sgn ? {{48{rd[15]}}, rd[15:0]} : {48'b0, rd[15:0]};
                2'd0:    align_load = sgn ? {{32{rd[31]}}, rd[31:0]} : {32'b0, rd[31:0]};
                default: align_load = rd;
            endcase
            if (six) align_load = {16'b0, rd[47:0]};      // ldx_wide of 6 bytes (little-endian only)
            // ldx_wide big-endian (2, 4 or 8 bytes, never signed): the loaded bytes reversed
            else if (bswap) begin
                case (size)
                    2'd1:    align_load = {48'b0, sw[63:48]};
                    2'd0:    align_load = {32'b0, sw[63:32]};
                    default: align_load = sw;
                endcase
            end
        end
    endfunction
    wire [63:0] m_rdata = m_map ? mmem_rdata : dmem_rdata;
    always @* load_value = align_load(m_rdata, m_size, m_signed, m_bswap, m_six);

    // ================================================================== state
    integer i;
    always @(posedge clk) begin
        if (rst) begin
            running <= 1'b0;
            done <= 1'b0;
            error <= 1'b0;
            err_code <= 4'd0;
            fault_pc <= {PC_W{1'b0}};
            fault_base <= {PC_W{1'b0}};
            cycles <= 64'd0;
            retired <= 64'd0;
            d_valid <= 1'b0;
            d_pc <= {PC_W{1'b0}};
            e_valid <= 1'b0;
            e_phase <= 1'b0;
            m_valid <= 1'b0;
            m_awr <= 1'b0;
            w_valid <= 1'b0;
            depth <= 3'd0;
            r0 <= 64'd0;
            xdp <= 1'b0;
            ctl <= 1'b0;
            ctl_value_addr <= {MAP_AW{1'b0}};
            pkt_meta <= 32'd0;
            pkt_room <= 32'd0;
            pkt_low <= 32'd0;
            xs <= XS_CHECK;
            pkt_data <= 32'd0;
            pkt_end <= 32'd0;
            ifindex_q <= 32'd0;
            rxq_q <= 32'd0;
            ms <= MS_CHECK;
            mcnt <= 16'd0;
            mkey <= 20'd0;
            msrc_map <= 1'b0;
            m_map <= 1'b0;
            hkw <= 1'b0;
            hk3rd <= 1'b0;
            hk1 <= 64'd0;
            hk2 <= 64'd0;
            lk1 <= 64'd0;
            lk2 <= 64'd0;
            for (i = 0; i <= 10; i = i + 1) regs[i] <= 64'd0;
            for (i = 0; i < MAPS; i = i + 1) mt_max[i] <= 20'd0;
            for (i = 0; i < MAPS; i = i + 1) mt_kind[i] <= MK_PLAIN;
            for (i = 0; i < 8; i = i + 1) pt_len[i] <= {(IMEM_AW + 1){1'b0}};
            ts <= TS_CHECK;
            cur_base <= {PC_W{1'b0}};
            cur_len <= {PC_W{1'b0}};
            tail_calls <= 6'd0;
        end else begin
          if (!running) begin
            if (map_we) begin
                mt_vsize[map_idx] <= {1'b0, map_wdata[14:0]};
                mt_hash[map_idx] <= map_wdata[15];
                mt_shift[map_idx] <= map_wdata[19:16];
                mt_max[map_idx] <= {4'd0, map_wdata[35:20]};
                mt_ksz[map_idx] <= map_wdata[39:36];
                mt_base[map_idx] <= {3'b000, map_wdata[60:40]};
                mt_ro[map_idx] <= map_wdata[61];
                mt_lpm[map_idx] <= map_wdata[63:62] == 2'd1;
                mt_tcam[map_idx] <= map_wdata[63:62] == 2'd2;
                mt_lru[map_idx] <= map_wdata[63:62] == 2'd3;
            end
            if (map_kind_we) mt_kind[map_idx] <= map_kind;
            if (ptab_we) begin
                pt_base[ptab_idx] <= ptab_base;
                pt_len[ptab_idx] <= ptab_len;
            end
            d_valid <= 1'b0;
            e_valid <= 1'b0;
            m_valid <= 1'b0;
            m_awr <= 1'b0;
            w_valid <= 1'b0;
            d_pc <= imem_addr;
            if (start) begin
                // Registers start at zero, r1/r2 as given, r10 at the top of frame 0.
                // The ROM has read bundle 0 while idle (imem_addr is 0): the block below
                // moves it into execute in this cycle (launch), with start_reg's values.
                running <= 1'b1;
                d_valid <= 1'b1;
                done <= 1'b0;
                error <= 1'b0;
                err_code <= 4'd0;
                fault_pc <= {PC_W{1'b0}};
            fault_base <= {PC_W{1'b0}};
                cycles <= 64'd0;
                retired <= 64'd0;
                depth <= 3'd0;
                r0 <= 64'd0;
                for (i = 0; i <= 10; i = i + 1) regs[i] <= 64'd0;
                regs[1] <= start_r1;
                regs[2] <= start_r2;
                regs[10] <= frame_pointer(3'd0);
                xdp <= xdp_mode;
                pkt_meta <= xdp_mode ? XDP_HEADROOM : 32'd0;
                pkt_room <= xdp_mode ? XDP_HEADROOM + mem_len + XDP_HEADROOM : mem_len;
                pkt_low <= XDP_HEADROOM;
                cur_base <= {PC_W{1'b0}};
                cur_len <= prog_len;
                tail_calls <= 6'd0;
                pkt_data <= xdp_mode ? XDP_HEADROOM : 32'd0;
                pkt_end <= xdp_mode ? XDP_HEADROOM + mem_len : mem_len;
                ifindex_q <= ingress_ifindex;
                rxq_q <= rx_queue_index;
                ctl <= 1'b0;
            end else if (ctl_start) begin
                // A map command: the helper call alone, in execute, with its arguments
                // in r1-r4 as a program's call would have them; nothing is fetched.
                running <= 1'b1;
                done <= 1'b0;
                error <= 1'b0;
                err_code <= 4'd0;
                fault_pc <= {PC_W{1'b0}};
            fault_base <= {PC_W{1'b0}};
                cycles <= 64'd0;
                retired <= 64'd0;
                depth <= 3'd0;
                ctl <= 1'b1;
                regs[1] <= {REGION_MAPH, ctl_map, 32'd0};
                regs[2] <= CTL_KEY;
                regs[3] <= CTL_VALUE;
                regs[4] <= {32'd0, ctl_flags};
                regs[5] <= CTL_TCAM;
                e_valid <= 1'b1;
                e_pc <= {PC_W{1'b0}};
                e_kind <= K_CALL;
                e_callx <= 1'b0;
                e_imm64 <= {62'd0, ctl_op};
                e_rd <= 4'd0;
                e_writes <= 1'b1;
                e_phase <= 1'b0;
                ms <= MS_CHECK;
                hkw <= 1'b0;
                hk3rd <= 1'b0;
                hk1 <= 64'd0;
                hk2 <= 64'd0;
                lk1 <= 64'd0;
                lk2 <= 64'd0;
            end
          end
          // running, or the start cycle: bundle 0 enters execute
          if (running || launch) begin
            cycles <= launch ? 64'd0 : cycles + 64'd1;
            if (fire) retired <= retired + {56'd0, e_weight};

            // write-back (every lane; no two write one register)
            for (i = 0; i < LANES; i = i + 1) if (fw_v[i]) regs[fw_rd[4*i +: 4]] <= fw_val[64*i +: 64];
            w_valid <= m_valid && !fault;
            w_rd <= m_rd;
            w_value <= m_load ? load_value : m_result;

            // memory
            m_valid <= fire && e_writes && !tail_jump;
            m_rd <= e_rd;
            m_result <= result;
            m_load <= (e_kind == K_LDX && !is_ctx) || (e_kind == K_ATOMIC && !is_cmpxchg);
            m_awr <= fire && e_kind == K_ATOMIC && !is_cmpxchg;
            m_adaddr <= x_dmem_addr;
            m_amaddr <= x_map_addr;
            m_a64 <= atomic64;
            m_aop <= atomic_op[7:4];
            m_asrc <= src_value;
            m_size <= e_size;
            m_signed <= e_signed;
            m_bswap <= e_bswap;
            m_six <= e_six;
            m_map <= r_map;
            mcnt <= mcnt_next;
            mkey <= mkey_next;
            msrc_map <= msrc_next;
            hk0 <= hk0_next;
            hk1 <= hk1_next;
            hk2 <= hk2_next;
            hkw <= hkw_next;
            hk3rd <= hk3rd_next;
            hidx <= hidx_next;
            hprobe <= hprobe_next;
            hfree_v <= hfree_v_next;
            hfree <= hfree_next;
            hfound <= hfound_next;
            hseq <= hseq_next;
            lk0 <= lk0_next;
            lk1 <= lk1_next;
            lk2 <= lk2_next;
            lbits <= lbits_next;
            tn <= tn_next;
            tv <= tv_next;
            vidx <= vidx_next;
            vseq <= vseq_next;
            xz_at <= xz_at_next;
            xc_cnt <= xc_cnt_next;
            if (xs_go) begin
                // XDP packet helpers: the new window, what to zero, what to move
                if (!x_tail) pkt_meta <= x_nmeta[31:0];
                if (x_head) pkt_data <= x_ndata[31:0];
                if (x_tail) pkt_end <= x_nend[31:0];
                xz_at <= x_tail ? pkt_end[15:0] : x_nmeta[15:0];
                xz_end <= x_tail ? (x_delta > 35'sd0 ? x_nend[15:0] : pkt_end[15:0])
                                 : (x_nmeta < $signed({3'b000, pkt_low}) ? pkt_low[15:0] : x_nmeta[15:0]);
                if (!x_tail && x_nmeta < $signed({3'b000, pkt_low})) pkt_low <= x_nmeta[31:0];
                xc_src <= pkt_meta[15:0];
                xc_dst <= x_nmeta[15:0];
                xc_len <= x_head && x_delta != 35'sd0 ? x_metalen[5:0] : 6'd0;
                xc_cnt <= 6'd0;
                xc_desc <= x_delta > 35'sd0;
            end

            // a tail call: the new program runs in frame 0 with the registers as they are
            if (tail_jump) begin
                cur_base <= pt_base[t_prog];
                cur_len <= pt_len[t_prog];
                tail_calls <= tail_calls + 6'd1;
                depth <= 3'd0;
                regs[10] <= frame_pointer(3'd0);
            end

            // bpf-to-bpf call and exit (the memory and write-back stages are empty)
            if (fire && e_kind == K_CALL_LOCAL) begin
                cs_ret[depth] <= e_pc + 1'b1;
                cs_r6[depth] <= regs[6];
                cs_r7[depth] <= regs[7];
                cs_r8[depth] <= regs[8];
                cs_r9[depth] <= regs[9];
                depth <= depth + 3'd1;
                regs[10] <= frame_pointer(depth + 3'd1);
            end
            if (fire && e_kind == K_EXIT && depth != 3'd0) begin
                regs[6] <= cs_r6[depth_up];
                regs[7] <= cs_r7[depth_up];
                regs[8] <= cs_r8[depth_up];
                regs[9] <= cs_r9[depth_up];
                regs[10] <= frame_pointer(depth_up);
                depth <= depth_up;
            end

            // execute
            if (e_accept) begin
                e_valid <= (d_valid || launch) && !redirect && !stop;
                e_pc <= d_pc;
                e_kind <= dk_kind;
                e_alu_sel <= dk_alu_sel;
                e_op <= dk_op;
                e_exit_imm <= dk_exit_imm;
                e_ctxrd <= dk_ctxrd;
                e_jadd <= dk_jadd;
                e_bswap <= dk_bswap;
                e_six <= dk_six;
                e_weight <= bundle_weight;
                e_is32 <= dk_is32;
                e_use_imm <= dk_use_imm;
                e_imm64 <= dk_imm64;
                e_off <= d_off;
                e_ra <= dk_ra;
                e_rb <= dk_rb;
                e_rd <= dk_rd;
                e_writes <= dk_writes;
                // register read, bypassing the value being written back this cycle
                e_a <= launch ? start_reg(dk_ra, start_r1, start_r2) : d_a;
                e_b <= launch ? start_reg(dk_rb, start_r1, start_r2) : d_b;
                e_early <= jcc_early;
                e_size <= d_sz;
                e_signed <= dk_signed;
                e_ext_bits <= dk_ext_bits;
                e_swap <= dk_swap;
                e_target <= dk_target;
                e_callx <= dk_callx;
                e_mapref <= d_is_lddw && d_src == 4'd1;
                e_mapval <= d_is_lddw && d_src == 4'd2;
                e_mapval_far <= d_imm[31:4] != 28'd0;
                e_phase <= 1'b0;
                ms <= MS_CHECK;
                xs <= XS_CHECK;
                ts <= TS_CHECK;
                hkw <= 1'b0;
                hk3rd <= 1'b0;
                hk1 <= 64'd0;
                hk2 <= 64'd0;
                lk1 <= 64'd0;
                lk2 <= 64'd0;
            end else begin
                // Stalled: keep the forwarded operands, whose producers move on.
                e_valid <= !stop;
                e_a <= a;
                e_b <= b;
                e_phase <= phase_next;
                ms <= ms_next;
                hstamp <= hstamp_next;
                xs <= xs_next;
                ts <= ts_next;
            end

            // decode
            d_valid <= !stop;
            d_pc <= imem_addr;

            if (fault) begin
                running <= 1'b0;
                error <= 1'b1;
                err_code <= fault_code;
                fault_pc <= e_pc - cur_base;
                fault_base <= cur_base;
            end else if (finish) begin
                running <= 1'b0;
                done <= 1'b1;
                r0 <= ctl || e_exit_imm ? result : arg0;
                ctl_value_addr <= r_value_addr;
            end
          end
        end
    end

    // ================================================================== lanes 1..LANES-1
    // ALU slots beside lane 0 (docs/fpga-engine.md, "Lanes"): the plain ALU operations
    // but mul/div/mod, movsx, the byte swaps and the alu3 extension; lddw (a constant or
    // a map handle, src 0/1) with its second half in the next lane (lanes 1..LANES-2);
    // in lane 1, loads (ldx, ldxs, ldx_wide) through the second read ports of the data
    // and map memories, which never fault (the scheduler puts there only loads proven in
    // bounds; one hoisted above a jump may read anything, its value dead). An all-zero
    // slot is empty (and so is an lddw's second half). Each lane keeps its own execute,
    // memory and write-back registers, moving when lane 0's do.
    assign lane_weight[7:0] = (d_cls == C_LDX || d_cls == C_STX) && d_mode == 3'd7 ? d_imm[15:8]    // ldx_wide, stx_wide
                            : (d_cls == C_JMP || d_cls == C_JMP32) && d_code == 4'he ? {4'd0, d_imm[27:24]}   // jcc_add
                            : ((d_cls == C_ALU || d_cls == C_ALU64) && d_code == 4'he) || d_op == 8'h9d ? 8'd2
                            : LANES > 1 && d_op == 8'd0 ? 8'd0 : 8'd1;      // an empty lane 0
    assign lane_bad[0] = 1'b0;
    reg [7:0] bundle_weight;
    integer wi;
    always @* begin
        bundle_weight = 8'd0;
        for (wi = 0; wi < LANES; wi = wi + 1) bundle_weight = bundle_weight + lane_weight[8*wi +: 8];
    end
    wire [LANES-1:0] lane_mw;           // lanes' memory or write-back stage holds a result
    assign lane_mw[0] = 1'b0;
    assign lanes_busy = |lane_mw;
    assign fe_v[0] = 1'b0;              // lane 0 is the call or exit itself
    assign fe_ld[0] = 1'b0;
    assign fe_rd[3:0] = 4'd0;
    generate
        if (LANES == 1) begin : no_port_b
            assign dmem_b_en = 1'b0;
            assign dmem_b_addr = {(PKT_AW + 1){1'b0}};
            assign mmem_b_en = mmem_en2;
            assign mmem_b_addr = {mmem_row2, 3'b000};
        end
    endgenerate
    assign fe_val[63:0] = 64'd0;

    genvar lk;
    generate
        for (lk = 1; lk < LANES; lk = lk + 1) begin : lane
            // ---------------------------------------------------------- decode
            wire [63:0] q    = imem_q0[64*lk +: 64];
            wire [7:0]  op   = q[7:0];
            wire [3:0]  dst  = q[11:8];
            wire [3:0]  src  = q[15:12];
            wire [15:0] off  = q[31:16];
            wire [31:0] imm  = q[63:32];
            wire [2:0]  cls  = op[2:0];
            wire [3:0]  code = op[7:4];
            wire        x    = op[3];
            wire        is_alu = cls == C_ALU || cls == C_ALU64;
            wire        used = op != 8'd0;
            wire [2:0]  mode = op[7:5];
            wire [1:0]  sz = op[4:3];
            localparam  LOADS = lk == 1;            // lane 1 has the second read port
            localparam  WIDE = lk + 1 < LANES;      // an lddw's second half in lane lk + 1
            wire [31:0] hi;
            if (WIDE) begin : hi_next
                assign hi = imem_q0[64*(lk+1)+32 +: 32];
            end else begin : hi_none
                assign hi = 32'd0;
            end
            reg         ok, is32, swap, ctxrd, ld, konst;
            reg  [1:0]  sel, ext_bits;
            reg  [3:0]  ra, rb, aop;
            always @* begin
                ok = 1'b0;
                ctxrd = 1'b0;
                ld = 1'b0;
                konst = 1'b0;
                is32 = cls == C_ALU;
                swap = 1'b0;
                sel = 2'd0;
                ext_bits = imm == 32'd16 ? 2'd0 : imm == 32'd32 ? 2'd1 : 2'd2;
                ra = dst;
                rb = src;
                aop = code;
                if (is_alu) begin
                    if (code == 4'hd) begin
                        ok = 1'b1;              // le/be/bswap, RFC 9669 §4.2
                        sel = 2'd2;
                        swap = is32 ? x : 1'b1;
                        is32 = 1'b0;
                    end else if (code == 4'hb && x && off != 16'd0) begin
                        ok = 1'b1;              // movsx
                        sel = 2'd1;
                        ext_bits = off == 16'd8 ? 2'd0 : off == 16'd16 ? 2'd1 : 2'd2;
                    end else if (op == 8'hf7) begin
                        ok = 1'b1;              // ctx_read: rd = xdp_md field imm
                        ctxrd = 1'b1;
                    end else if (code == 4'he) begin
                        ok = off[15:8] == 8'd0 && alu3_op_ok(off[3:0]) && off[3:0] != 4'h2;
                        ra = src;               // alu3: rd = rs op (rt or imm)
                        rb = off[7:4];
                        aop = off[3:0];
                    end else begin
                        ok = off == 16'd0 && code != 4'h2 && code != 4'h3 && code != 4'h9 && code != 4'hf;
                    end
                end else if (LOADS && cls == C_LDX && (mode == 3'd3 || (mode == 3'd4 && sz != 2'd3) || mode == 3'd7)) begin
                    ok = 1'b1;                  // ldx, ldxs, ldx_wide (mode 7): rd = [rs + off]
                    ld = 1'b1;
                    ra = src;
                end else if (WIDE && op == 8'h18 && (src == 4'd0 || src == 4'd1)) begin
                    ok = 1'b1;                  // lddw: a constant or the handle of map imm (as lane 0's)
                    konst = 1'b1;
                end
            end
            assign lane_bad[lk] = used && !ok;
            assign lane_weight[8*lk +: 8] = !used ? 8'd0 : cls == C_LDX && mode == 3'd7 ? imm[15:8]
                                          : is_alu && code == 4'he ? 8'd2 : 8'd1;

            // ---------------------------------------------------------- execute
            reg         ev;
            /* verilator lint_off UNUSEDSIGNAL */
            reg         l_read;         // lane 1's read for the bundle in execute is issued
            reg         l_got;          // ... it was issued last cycle: its word is on the port
            reg  [63:0] lq;             // ... the word, kept while the bundle stays in execute
            /* verilator lint_on UNUSEDSIGNAL */
            reg         e_lld, e_lsgn, e_lbswap, e_lsix, e_lk;
            reg  [1:0]  e_lsz;
            reg  [15:0] e_loff;
            reg  [1:0]  e_sel, e_ext;
            reg  [3:0]  e_aop, e_lra, e_lrb, e_lrd;
            reg         e_l32, e_lswap, e_limm, e_lctx;
            reg  [63:0] e_imm, e_la, e_lb;
            wire [63:0] la = fwd_pick(e_lra, e_la, fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
            wire [63:0] lb = fwd_pick(e_lrb, e_lb, fm_v, fm_rd, fm_val, fw_v, fw_rd, fw_val);
            wire [63:0] y;
            bpf_alu #(.MUL(0)) alu (
                .sel(e_sel), .op(e_aop), .is32(e_l32), .a(la), .b(e_limm ? e_imm : lb),
                .ext_bits(e_ext), .swap(e_lswap), .y(y)
            );

            // lane 1's load: the address translation of lane 0's (regions by the upper
            // half: the packet buffer, a stack frame, map m's slot i), without the bounds
            // check; read in the bundle's first execute cycle (before a helper call in
            // lane 0 writes anything), the data held by the memory's output register
            // (the other lanes have none of it: their e_lld is 0)
            /* verilator lint_off UNUSEDSIGNAL */
            wire [63:0] laddr = la + {{48{e_loff[15]}}, e_loff};
            wire [31:0] lr = laddr[63:32];
            wire        l_map = lr[31:28] == REGION_MAPV;
            wire [3:0]  lm = lr[27:24];
            // issued in the first cycle the bundle is in execute and not held by an atomic's
            // write (a_hold), so before a helper call in lane 0 starts; the word is kept
            // (lq): the map helpers' probes use the map memory's second port after it
            wire        l_issue = ev && e_lld && !l_read && !a_hold;
            /* verilator lint_on UNUSEDSIGNAL */
            if (LOADS) begin : port_b
                assign dmem_b_en = l_issue && !l_map;
                assign dmem_b_addr = dmem_place(laddr);
                assign mmem_b_en = (l_issue && l_map) || mmem_en2;
                assign mmem_b_addr = mmem_en2 ? {mmem_row2, 3'b000} : map_place(mt_base[lm], mt_shift[lm], laddr);
            end

            // ---------------------------------------------------------- memory, write-back
            reg         mv, wv;
            reg  [3:0]  mrd, wrd;
            reg  [63:0] mval, wval;
            reg         ml, ml_map, ml_sgn, ml_bswap, ml_six;
            reg  [1:0]  ml_sz;
            wire [63:0] lport = ml_map ? mmem_b_rdata : dmem_b_rdata;
            wire [63:0] ml_val = align_load(l_got ? lport : lq, ml_sz, ml_sgn, ml_bswap, ml_six);
            wire [63:0] m_out = ml ? ml_val : mval;
            assign fm_v[lk] = mv;
            assign fm_rd[4*lk +: 4] = mrd;
            assign fm_val[64*lk +: 64] = m_out;
            assign fw_v[lk] = wv;
            assign fw_rd[4*lk +: 4] = wrd;
            assign fw_val[64*lk +: 64] = wval;
            assign lane_mw[lk] = mv || wv;
            assign fe_v[lk] = ev;
            assign fe_ld[lk] = e_lld;
            assign fe_rd[4*lk +: 4] = e_lrd;
            // a ctx_read's value is ready in execute too: an exit or a call in the same bundle reads it
            wire [63:0] lval = e_lctx ? ctx_field(e_imm[4:0], pkt_data, pkt_end, pkt_meta, ifindex_q, rxq_q) : e_lk ? e_imm : y;
            assign fe_val[64*lk +: 64] = lval;

            always @(posedge clk) begin
                if (rst || !(running || launch)) begin
                    ev <= 1'b0;
                    mv <= 1'b0;
                    wv <= 1'b0;
                    l_read <= 1'b0;
                    l_got <= 1'b0;
                end else begin
                    wv <= mv && !fault;
                    wrd <= mrd;
                    wval <= m_out;
                    mv <= fire && ev && !tail_jump;
                    mrd <= e_lrd;
                    mval <= lval;
                    ml <= e_lld;
                    ml_map <= l_map;
                    ml_sgn <= e_lsgn;
                    ml_bswap <= e_lbswap;
                    ml_six <= e_lsix;
                    ml_sz <= e_lsz;
                    l_read <= !e_accept && (l_read || l_issue);
                    l_got <= l_issue;
                    if (l_got) lq <= lport;
                    if (e_accept) begin
                        ev <= (d_valid || launch) && !redirect && !stop && used && ok;
                        e_lld <= ld;
                        e_lk <= konst;
                        e_lsgn <= mode == 3'd4;
                        e_lbswap <= mode == 3'd7 && imm[0];
                        e_lsix <= mode == 3'd7 && sz == 2'd2;
                        e_lsz <= sz;
                        e_loff <= off;
                        e_sel <= sel;
                        e_ext <= ext_bits;
                        e_aop <= aop;
                        e_lra <= ra;
                        e_lrb <= rb;
                        e_lrd <= dst;
                        e_l32 <= is32;
                        e_lswap <= swap;
                        e_lctx <= ctxrd;
                        e_limm <= !x;
                        e_imm <= !konst ? {{32{imm[31]}}, imm} : src == 4'd1 ? {32'h100 + imm, 32'd0} : {hi, imm};
                        e_la <= launch ? start_reg(ra, start_r1, start_r2) : fwd_pick(ra, regs[ra], {LANES{1'b0}}, fm_rd, fm_val, fw_v, fw_rd, fw_val);
                        e_lb <= launch ? start_reg(rb, start_r1, start_r2) : fwd_pick(rb, regs[rb], {LANES{1'b0}}, fm_rd, fm_val, fw_v, fw_rd, fw_val);
                    end else begin
                        e_la <= la;
                        e_lb <= lb;
                    end
                end
            end
        end
    endgenerate
endmodule
