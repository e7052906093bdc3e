// Verilator testbench for bpf_engine: runs a batch of cases in one process, resetting the
// engine between them, and prints one line of results per case. It checks nothing: the
// TypeScript side (backends/fpga/sim.ts) compares the lines with the interpreter.
//
//   usage: tb CASES [VCD]
//   VCD (only in the model built with --trace, sim.ts buildEngineModel({ trace: true })):
//        a waveform of every signal of the engine over the whole batch, two time units a cycle
//   CASES: one case per line, fields separated by spaces:
//     NAME ROM MEM R1 R2 MAX_CYCLES [MODE IFINDEX RXQ KEEP [MAPS MAPBYTES]]
//   ROM  the program image: one 64-bit slot per line, 16 hex digits, LANES slots a bundle
//        (written through prog_addr = slot index)
//   MEM  the input memory (raw) or the frame (xdp): hex bytes separated by white space,
//        or "-" for none
//   R1, R2 hex initial values of r1 and r2 (raw only); MAX_CYCLES decimal (then: status timeout)
//   MODE raw (default) or xdp: the frame goes after 256 bytes of headroom, r1 = xdp_md;
//        after the run the transmit stream is drained (tx_ready low one cycle in four) and
//        must carry the frame the host port reads back (else the testbench exits with 3);
//        xdp-stream: the same, the frame sent through the receive stream (64-bit beats,
//        sop/eop, an idle cycle after every third beat) and mem_len = rx_frame_len
//        (a stream that does not end in rx_frame_done with the frame's length: err=14)
//   IFINDEX, RXQ decimal ingress_ifindex and rx_queue_index of xdp_md
//   KEEP 1: no reset before this case, so the helper unit's clock and random state go on
//        from the previous case (packets of one stream, as the interpreter's host state)
//   MAPS the maps before the run, or "-" (the map memory and table stay as they are; a
//        reset clears the table): lines "t IDX HEX" (a map table entry, bpf_core.v) and
//        "r ROW HEX" (a 64-bit row of the map value memory, byte 0 in bits 7:0), "k IDX KIND"
//        (the map's kind beside the table: 1 prog_array, 2 devmap) and "p IDX BASE LEN" (the
//        program table: program IDX of the object at ROM slot BASE, LEN slots)
//   MAPBYTES decimal: the first MAPBYTES bytes of the map memory are printed after the run
//   MODE ctl: no program (ROM "-"): MEM is a file of map commands, one a line,
//        "OP MAP FLAGS VSIZE KEY VALUE [MASK PRIORITY]" (OP 1 lookup, 2 update, 3 delete; MAP
//        the table index; FLAGS decimal; VSIZE the map's value size; KEY and VALUE hex bytes
//        or "-"; MASK hex and PRIORITY decimal for a TCAM's insert (update) and delete),
//        each run by the engine's map sequence (ctl_*): key and value written to stack
//        frame 7 at offsets 0 and 24, mask and priority (u32) to stack frame 6 at offsets
//        0 and 16, through the host port, ctl_start pulsed, done or error
//        awaited; the line ends in " ctl=" and one item per command, comma-separated:
//        "STATUS:R0HEX[:VALUEHEX]" (STATUS d done, e<code> error, t timeout; VALUEHEX the
//        value a successful lookup found, read from the map memory at ctl_value_addr)
//   output, one line per case:
//     NAME status=done|error|timeout err=N pc=N base=N r0=HEX cycles=N retired=N mem=HEX[ maps=HEX][ redirect=N][ ctl=ITEMS]
//   redirect: the run redirected (bpf_redirect with flags 0, or bpf_redirect_map found its target); N the last target
//   maps (when MAPBYTES > 0) is the map memory after the run; mem is the buffer's [data, data_end) after the run: the input memory (raw), the frame (xdp)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "Vbpf_engine.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

namespace {

#if VM_TRACE
VerilatedVcdC* gTrace = nullptr;   // the waveform, when asked for
#endif
uint64_t gTime = 0;

constexpr unsigned kInputRow = 512;   // host row of the input buffer (2**(PKT_AW-3))
constexpr unsigned kStackRows = 512;  // 8 frames x 512 bytes
constexpr unsigned kInputBytes = 4096;
constexpr unsigned kRomSlots = 4096 * 4;  // ROM words: 4096 bundles of up to 4 slots (sim.ts checks the model's own)
constexpr unsigned kXdpHeadroom = 256;   // XDP_PACKET_HEADROOM; as much tailroom is kept free

void tick(Vbpf_engine& top) {
    top.clk = 0;
    top.eval();
#if VM_TRACE
    if (gTrace) gTrace->dump(gTime);
#endif
    gTime++;
    top.clk = 1;
    top.eval();
#if VM_TRACE
    if (gTrace) gTrace->dump(gTime);
#endif
    gTime++;
}

// A comment "// entry N" says that the entry program is the ROM's first N bundles (the
// other programs, which tail calls reach through the program table, follow it).
std::vector<uint64_t> readRom(const std::string& path, size_t& entryLen) {
    std::ifstream in(path);
    if (!in) {
        std::cerr << "tb: cannot open " << path << "\n";
        std::exit(2);
    }
    std::vector<uint64_t> words;
    std::string w;
    entryLen = SIZE_MAX;
    while (in >> w) {
        if (w.rfind("//", 0) == 0) {
            std::getline(in, w);
            std::istringstream c(w);
            std::string key;
            size_t n = 0;
            if ((c >> key >> n) && key == "entry") entryLen = n;
            continue;
        }
        words.push_back(std::stoull(w, nullptr, 16));
    }
    return words;
}

std::vector<uint8_t> readBytes(const std::string& path) {
    std::vector<uint8_t> bytes;
    if (path == "-") return bytes;
    std::ifstream in(path);
    if (!in) {
        std::cerr << "tb: cannot open " << path << "\n";
        std::exit(2);
    }
    std::string b;
    while (in >> b) bytes.push_back(static_cast<uint8_t>(std::stoul(b, nullptr, 16)));
    return bytes;
}

void loadMaps(Vbpf_engine& top, const std::string& path) {
    if (path == "-") return;
    std::ifstream in(path);
    if (!in) {
        std::cerr << "tb: cannot open " << path << "\n";
        std::exit(2);
    }
    std::string kind, at, word;
    while (in >> kind >> at >> word) {
        const uint64_t v = std::stoull(word, nullptr, 16);
        if (kind == "p") {
            std::string len;
            in >> len;
            top.ptab_we = 1;
            top.ptab_idx = static_cast<uint8_t>(std::stoul(at));
            top.ptab_base = static_cast<uint16_t>(v);
            top.ptab_len = static_cast<uint16_t>(std::stoul(len, nullptr, 16));
            tick(top);
            top.ptab_we = 0;
        } else if (kind == "k") {
            top.map_kind_we = 1;
            top.map_idx = static_cast<uint8_t>(std::stoul(at));
            top.map_kind = static_cast<uint8_t>(v);
            tick(top);
            top.map_kind_we = 0;
        } else if (kind == "t") {
            top.map_we = 1;
            top.map_idx = static_cast<uint8_t>(std::stoul(at));
            top.map_wdata = v;
            tick(top);
            top.map_we = 0;
        } else {
            top.host_en = 1;
            top.host_we = 1;
            top.host_map = 1;
            top.host_map_row = static_cast<uint32_t>(std::stoul(at));
            top.host_wdata = v;
            tick(top);
            top.host_en = 0;
            top.host_we = 0;
            top.host_map = 0;
        }
    }
}

void printMaps(Vbpf_engine& top, unsigned bytes) {
    if (bytes == 0) return;
    std::printf(" maps=");
    for (unsigned r = 0; r * 8 < bytes; r++) {
        top.host_en = 1;
        top.host_map = 1;
        top.host_map_row = r;
        tick(top);
        top.host_en = 0;
        top.host_map = 0;
        const uint64_t v = top.host_rdata;
        for (unsigned k = 0; k < 8 && r * 8 + k < bytes; k++) std::printf("%02x", static_cast<unsigned>((v >> (8 * k)) & 0xff));
    }
}

std::vector<uint8_t> hexBytes(const std::string& hex) {
    std::vector<uint8_t> out;
    if (hex == "-") return out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    return out;
}

constexpr unsigned kCtlRow = 7 * 64;    // stack frame 7: the map commands' key (offset 0) and value (offset 24)
constexpr unsigned kCtlKeyMax = 24;
constexpr unsigned kCtlValueMax = 512 - kCtlKeyMax;
constexpr unsigned kCtlTcamRow = 6 * 64; // stack frame 6: a TCAM entry's mask (offset 0) and priority (offset 16)

// Bytes into consecutive 64-bit host rows from `row` (byte 0 in bits 7:0), zero-padded.
void writeRows(Vbpf_engine& top, unsigned row, const std::vector<uint8_t>& bytes) {
    top.host_en = 1;
    top.host_we = 1;
    for (size_t r = 0; r * 8 < bytes.size(); r++) {
        uint64_t w = 0;
        for (unsigned b = 0; b < 8 && r * 8 + b < bytes.size(); b++) w |= static_cast<uint64_t>(bytes[r * 8 + b]) << (8 * b);
        top.host_row = static_cast<uint16_t>(row + r);
        top.host_wdata = w;
        tick(top);
    }
    top.host_en = 0;
    top.host_we = 0;
}

// Map commands between runs (MODE ctl): see the header.
void runControl(Vbpf_engine& top, const std::string& name, const std::string& cmdPath, uint64_t maxCycles, bool keep,
                const std::string& mapsPath, unsigned mapBytes) {
    std::ifstream in(cmdPath);
    if (!in) {
        std::cerr << "tb: cannot open " << cmdPath << "\n";
        std::exit(2);
    }
    top.start = 0;
    top.ctl_start = 0;
    top.host_en = 0;
    top.host_we = 0;
    top.host_map = 0;
    top.map_we = 0;
    top.rx_valid = 0;
    if (!keep) {
        top.rst = 1;
        tick(top);
        tick(top);
        top.rst = 0;
    }
    loadMaps(top, mapsPath);
    std::string items;
    uint64_t total = 0;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        unsigned op = 0, map = 0, vsize = 0;
        uint32_t flags = 0;
        std::string key, value, mask;
        uint32_t priority = 0;
        if (!(f >> op >> map >> flags >> vsize >> key >> value)) continue;
        if (f >> mask >> priority) {
            const std::vector<uint8_t> m = hexBytes(mask);
            if (m.size() > 16) {
                std::cerr << "tb: a TCAM mask is longer than 16 bytes\n";
                std::exit(2);
            }
            std::vector<uint8_t> scratch(24, 0);
            std::copy(m.begin(), m.end(), scratch.begin());
            for (unsigned b = 0; b < 4; b++) scratch[16 + b] = static_cast<uint8_t>(priority >> (8 * b));
            writeRows(top, kCtlTcamRow, scratch);
        }
        const std::vector<uint8_t> k = hexBytes(key), v = hexBytes(value);
        if (k.size() > kCtlKeyMax || v.size() > kCtlValueMax) {
            std::cerr << "tb: a map command's key (" << kCtlKeyMax << ") or value (" << kCtlValueMax << " bytes) is too long\n";
            std::exit(2);
        }
        // key and value into stack frame 7, zero-padded to whole rows
        std::vector<uint8_t> scratch(kCtlKeyMax + ((v.size() + 7) & ~size_t{7}), 0);
        std::copy(k.begin(), k.end(), scratch.begin());
        std::copy(v.begin(), v.end(), scratch.begin() + kCtlKeyMax);
        writeRows(top, kCtlRow, scratch);
        top.ctl_op = static_cast<uint8_t>(op);
        top.ctl_map = static_cast<uint8_t>(map);
        top.ctl_flags = flags;
        top.ctl_start = 1;
        tick(top);
        top.ctl_start = 0;
        uint64_t n = 0;
        while (!top.done && !top.error && n < maxCycles) {
            tick(top);
            n++;
        }
        total += top.cycles;
        char head[64];
        std::snprintf(head, sizeof head, "%s%s:%llx", items.empty() ? "" : ",",
                      top.done ? "d" : top.error ? ("e" + std::to_string(static_cast<unsigned>(top.err_code))).c_str() : "t",
                      static_cast<unsigned long long>(top.r0));
        items += head;
        if (!top.done && !top.error) {
            top.rst = 1;
            tick(top);
            top.rst = 0;
            continue;
        }
        if (top.done && op == 1 && top.r0 != 0) {
            items += ":";
            const unsigned at = top.ctl_value_addr;   // a slot start: a multiple of 8
            for (unsigned b = 0; b < vsize; b += 8) {
                top.host_en = 1;
                top.host_map = 1;
                top.host_map_row = (at + b) / 8;
                tick(top);
                top.host_en = 0;
                top.host_map = 0;
                const uint64_t w = top.host_rdata;
                for (unsigned j = 0; j < 8 && b + j < vsize; j++) {
                    char hx[3];
                    std::snprintf(hx, sizeof hx, "%02x", static_cast<unsigned>((w >> (8 * j)) & 0xff));
                    items += hx;
                }
            }
        }
    }
    std::printf("%s status=done err=0 pc=0 base=0 r0=0 cycles=%llu retired=0 mem=", name.c_str(), static_cast<unsigned long long>(total));
    printMaps(top, mapBytes);
    std::printf(" ctl=%s\n", items.c_str());
}

void runCase(Vbpf_engine& top, const std::string& name, const std::string& romPath, const std::string& memPath,
             uint64_t r1, uint64_t r2, uint64_t maxCycles, bool xdp, bool stream, uint32_t ifindex, uint32_t rxq, bool keep,
             const std::string& mapsPath, unsigned mapBytes) {
    size_t entryLen = SIZE_MAX;
    const std::vector<uint64_t> rom = readRom(romPath, entryLen);
    const std::vector<uint8_t> mem = readBytes(memPath);
    const unsigned base = xdp ? kXdpHeadroom : 0;
    if (rom.size() > kRomSlots || mem.size() + (xdp ? 2 * kXdpHeadroom : 0) > kInputBytes) {
        std::printf("%s status=error err=15 pc=0 base=0 r0=0 cycles=0 retired=0 mem=\n", name.c_str());
        return;
    }
    top.start = 0;
    top.prog_we = 0;
    top.host_en = 0;
    top.host_we = 0;
    top.host_map = 0;
    top.map_we = 0;
    top.map_kind_we = 0;
    top.ptab_we = 0;
    top.rx_valid = 0;
    top.tx_ready = 0;
    if (!keep) {
        top.rst = 1;
        tick(top);
        tick(top);
        top.rst = 0;
    }
    loadMaps(top, mapsPath);

    for (size_t i = 0; i < rom.size(); i++) {
        top.prog_we = 1;
        top.prog_addr = static_cast<uint16_t>(i);
        top.prog_wdata = rom[i];
        tick(top);
    }
    top.prog_we = 0;
    top.prog_len = static_cast<uint16_t>(entryLen < rom.size() ? entryLen : rom.size());

    // The interpreter's stacks start zeroed; so does the engine's, for identical results.
    top.host_en = 1;
    top.host_we = 1;
    top.host_wdata = 0;
    for (unsigned r = 0; r < kStackRows; r++) {
        top.host_row = r;
        tick(top);
    }
    // base is a multiple of 8: the input starts on a row
    const unsigned memRows = static_cast<unsigned>((mem.size() + 7) / 8);
    for (unsigned r = 0; r < memRows && !stream; r++) {
        uint64_t v = 0;
        for (unsigned k = 0; k < 8 && r * 8 + k < mem.size(); k++) v |= static_cast<uint64_t>(mem[r * 8 + k]) << (8 * k);
        top.host_row = kInputRow + base / 8 + r;
        top.host_wdata = v;
        tick(top);
    }
    top.host_en = 0;
    top.host_we = 0;

    uint32_t memLen = static_cast<uint32_t>(mem.size());
    if (stream) {
        const unsigned beats = memRows == 0 ? 1 : memRows;
        bool framed = false;
        for (unsigned r = 0; r < beats; r++) {
            if (r % 3 == 2) tick(top);  // an idle cycle: rx_valid low
            uint64_t v = 0;
            unsigned n = 0;
            for (unsigned k = 0; k < 8 && r * 8 + k < mem.size(); k++, n++) v |= static_cast<uint64_t>(mem[r * 8 + k]) << (8 * k);
            top.rx_valid = 1;
            top.rx_data = v;
            top.rx_sop = r == 0;
            top.rx_eop = r + 1 == beats;
            top.rx_keep = static_cast<uint8_t>(n == 8 ? 0xff : (1u << n) - 1);
            top.eval();
            if (!top.rx_ready) {
                std::cerr << "tb: rx_ready low while the engine is idle\n";
                std::exit(2);
            }
            tick(top);
            top.rx_valid = 0;
            if (top.rx_frame_done) framed = true;
        }
        top.eval();
        if (!framed || top.rx_overflow || top.rx_frame_len != mem.size()) {
            std::printf("%s status=error err=14 pc=0 base=0 r0=0 cycles=0 retired=0 mem=\n", name.c_str());
            return;
        }
        memLen = top.rx_frame_len;
    }

    top.r1_init = r1;
    top.r2_init = r2;
    top.mem_len = memLen;
    top.xdp_mode = xdp;
    top.ingress_ifindex = ifindex;
    top.rx_queue_index = rxq;
    top.start = 1;
    tick(top);
    top.start = 0;
    uint64_t n = 0;
    while (!top.done && !top.error && n < maxCycles) {
        tick(top);
        n++;
    }
    // XDP: drain the transmit stream with back-pressure (tx_ready low one cycle in four);
    // it must carry exactly the bytes the host port reads back below.
    std::vector<uint8_t> sent;
    bool txFramed = true;
    if (xdp && top.done) {
        unsigned beats = 0;
        bool ended = false;
        for (unsigned cyc = 0; !ended && cyc < 4 * kInputBytes; cyc++) {
            top.tx_ready = cyc % 4 != 2;
            top.eval();
            if (top.tx_valid && top.tx_ready) {
                if (top.tx_sop != (beats == 0)) txFramed = false;
                for (unsigned k = 0; k < 8; k++) {
                    if ((top.tx_keep >> k) & 1) sent.push_back(static_cast<uint8_t>((top.tx_data >> (8 * k)) & 0xff));
                }
                if (!top.tx_eop && top.tx_keep != 0xff) txFramed = false;
                if (top.tx_verdict != static_cast<uint32_t>(top.r0)) txFramed = false;
                if (top.tx_ifindex != (top.r0 == 4 && top.redirect_valid ? top.redirect_ifindex : 0)) txFramed = false;
                ended = top.tx_eop;
                beats++;
            }
            tick(top);
        }
        top.tx_ready = 0;
        tick(top);
        if (!ended || top.tx_active) txFramed = false;
    }
    const char* status = top.done ? "done" : top.error ? "error" : "timeout";
    std::printf("%s status=%s err=%u pc=%u base=%u r0=%llx cycles=%llu retired=%llu mem=", name.c_str(), status,
                static_cast<unsigned>(top.err_code), static_cast<unsigned>(top.fault_pc), static_cast<unsigned>(top.fault_base),
                static_cast<unsigned long long>(top.r0), static_cast<unsigned long long>(top.cycles),
                static_cast<unsigned long long>(top.retired));
    // The frame (or input memory) as the program left it: buffer bytes [data, data_end).
    unsigned from = top.pkt_data, to = top.pkt_end;
    if (!top.done && !top.error) {
        // Stop a runaway program: reset before reading the memory back.
        top.rst = 1;
        tick(top);
        top.rst = 0;
        from = base;
        to = base + static_cast<unsigned>(mem.size());
    }
    if (to > kInputBytes) to = kInputBytes;
    std::vector<uint8_t> frame;
    for (unsigned r = from / 8; r * 8 < to; r++) {
        top.host_en = 1;
        top.host_row = kInputRow + r;
        tick(top);
        top.host_en = 0;
        const uint64_t v = top.host_rdata;
        for (unsigned k = 0; k < 8; k++) {
            const unsigned at = r * 8 + k;
            if (at >= from && at < to) {
                frame.push_back(static_cast<uint8_t>((v >> (8 * k)) & 0xff));
                std::printf("%02x", static_cast<unsigned>((v >> (8 * k)) & 0xff));
            }
        }
    }
    if (xdp && top.done && (!txFramed || sent != frame)) {
        std::fflush(stdout);
        std::cerr << "\ntb: " << name << ": the transmit stream (" << sent.size() << " bytes" << (txFramed ? "" : ", badly framed")
                  << ") differs from the frame read back (" << frame.size() << " bytes)\n";
        std::exit(3);
    }
    // read before the map memory is, which takes more cycles
    const bool redirected = top.done && top.redirect_valid;
    const unsigned redirectIfindex = top.redirect_ifindex;
    printMaps(top, mapBytes);
    if (redirected) std::printf(" redirect=%u", redirectIfindex);
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    if (argc < 2 || argc > 3) {
        std::cerr << "usage: tb CASES [VCD]\n";
        return 2;
    }
    std::ifstream cases(argv[1]);
    if (!cases) {
        std::cerr << "tb: cannot open " << argv[1] << "\n";
        return 2;
    }
    auto top = std::make_unique<Vbpf_engine>();
    if (argc == 3) {
#if VM_TRACE
        Verilated::traceEverOn(true);
        gTrace = new VerilatedVcdC;
        top->trace(gTrace, 99);
        gTrace->open(argv[2]);
#else
        std::cerr << "tb: this model was built without --trace: no waveform\n";
        return 2;
#endif
    }
    std::string line;
    bool first = true;
    while (std::getline(cases, line)) {
        if (line.empty()) continue;
        std::istringstream f(line);
        std::string name, rom, mem, r1, r2;
        uint64_t maxCycles = 0;
        if (!(f >> name >> rom >> mem >> r1 >> r2 >> maxCycles)) {
            std::cerr << "tb: bad case line: " << line << "\n";
            return 2;
        }
        std::string mode = "raw";
        uint32_t ifindex = 0, rxq = 0;
        unsigned keep = 0, mapBytes = 0;
        std::string maps = "-";
        if ((f >> mode) && !(f >> ifindex >> rxq >> keep)) {
            std::cerr << "tb: bad case line: " << line << "\n";
            return 2;
        }
        if ((f >> maps) && !(f >> mapBytes)) {
            std::cerr << "tb: bad case line: " << line << "\n";
            return 2;
        }
        if (mode == "ctl") {
            runControl(*top, name, mem, maxCycles, keep != 0 && !first, maps, mapBytes);
            first = false;
            continue;
        }
        if (mode != "raw" && mode != "xdp" && mode != "xdp-stream") {
            std::cerr << "tb: bad mode " << mode << ": " << line << "\n";
            return 2;
        }
        runCase(*top, name, rom, mem, std::stoull(r1, nullptr, 16), std::stoull(r2, nullptr, 16), maxCycles,
                mode != "raw", mode == "xdp-stream", ifindex, rxq, keep != 0 && !first, maps, mapBytes);
        first = false;
    }
    std::fflush(stdout);
    top->final();
#if VM_TRACE
    if (gTrace) {
        gTrace->close();
        delete gTrace;
    }
#endif
    return 0;
}
