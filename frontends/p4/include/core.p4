// bpfoff's core.p4: the declarations P4-16 (specification 1.2.x, Appendix "core.p4")
// requires every program to see, written for bpfoff. Lowering gives the externs below
// their meaning (frontends/p4/lower.ts).

// §7.1.4: the standard errors, numbered from 0 in this order.
error {
    NoError,
    PacketTooShort,
    NoMatch,
    StackOutOfBounds,
    HeaderTooShort,
    ParserTimeout,
    ParserInvalidArgument
}

// §15.1: packet extraction (a varbit field must be the last of its header).
extern packet_in {
    void extract<T>(out T hdr);
    void extract<T>(out T variableSizeHeader, in bit<32> variableFieldSizeInBits);
    T lookahead<T>();
    void advance(in bit<32> sizeInBits);
    bit<32> length();
}

// §15.2: the deparser's output.
extern packet_out {
    void emit<T>(in T hdr);
}

// §12.8.3: a parser check: reject with the error when the condition is false.
extern void verify(in bool check, in error toSignal);

// §14.1.1: the action every table may name.
action NoAction() {}

// §14.2.1.1: the standard match kinds (range and optional are added by architectures; bpfoff adds range here).
match_kind {
    exact,
    ternary,
    lpm,
    range
}

// Externs of bpfoff's own (the issue's "counters, registers, hash, checksum"), shaped as in
// the PSA/v1model libraries so that existing code reads naturally.
enum CounterType { packets, bytes }

// An array of 64-bit counters indexed by bit<32>; a BPF array map named <control>_<instance>.
extern counter {
    counter(bit<32> size, CounterType type);
    void count(in bit<32> index);
}

// An array of T (at most 64 bits); a BPF array map named <control>_<instance>.
extern register<T> {
    register(bit<32> size);
    void read(out T result, in bit<32> index);
    void write(in bit<32> index, in T value);
}

// §12.11 value sets: `value_set<T>(size) name;` in a parser declares a set of at most
// `size` values of T (bit<W>, or a struct of bit<W> fields matching a select's keys), which
// the control plane fills; a select case that names it matches its members. bpfoff reads the
// declaration as an instantiation of this extern: a hash map named <parser>_<name>.
extern value_set<T> {
    value_set(bit<32> size);
}

enum HashAlgorithm { identity, csum16, xor16, crc16, crc32 }

// result = base + (hash(data) % max) when max > 0, else base + hash(data). crc16 and crc32
// are bmv2's (CRC-16/ARC and CRC-32, reflected) over the bytes of data's fields
// concatenated (a whole number of bytes).
extern void hash<O, T, D, M>(out O result, in HashAlgorithm algo, in T base, in D data, in M max);

// The Internet checksum (RFC 1071) of the fields of data, concatenated.
extern bit<16> checksum16<D>(in D data);
