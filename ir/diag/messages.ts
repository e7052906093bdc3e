// Every user-facing diagnostic message, by code. Messages take positional arguments
// {0}, {1}, ... so that tests and tools can match on the code and not on wording.
export const MESSAGES = {
  // Encoding (ir/bpf/codec.ts)
  "enc-length": "program size {0} bytes is not a multiple of 8 (one BPF instruction is 8 bytes)",
  "enc-empty": "program has no instructions",
  "enc-opcode": "unknown opcode 0x{0}",
  "enc-field": "{0} field must be {1} for {2} (it is {3})",
  "enc-variant": "no {0} form has {1}",
  "enc-lddw-truncated": "lddw needs a second instruction slot, but the program ends",
  "enc-lddw-second": "second slot of lddw must have opcode, registers and offset zero",
  "enc-register": "register r{0} does not exist (r0-r10)",
  "enc-jump-range": "jump target {0} is outside the program (0..{1})",
  "enc-jump-lddw": "jump target {0} is the second slot of an lddw",
  "enc-write-r10": "r10 is the read-only frame pointer and cannot be written",
  "enc-imm-range": "immediate {0} does not fit in 32 bits",
  "enc-off-range": "offset {0} does not fit in 16 bits",
  // Assembler (frontends/bpf/asm)
  "asm-syntax": "{0}",
  "asm-mnemonic": "unknown mnemonic '{0}'",
  "asm-operands": "Invalid number of operands for {0}: expected {1}",
  "asm-operand": "operand {0} of {1} must be {2}",
  "asm-register": "Invalid register '{0}'",
  "asm-label": "undefined label '{0}'",
  "asm-label-dup": "label '{0}' is defined twice",
  "asm-imm-range": "immediate {0} is out of range for {1}",
  "asm-off-range": "offset {0} does not fit in 16 bits",
  "asm-map": "unknown map '{0}'",
  // Interpreter (runtime/interp)
  "run-mem": "{0}-byte {1} at address 0x{2} is outside every memory region",
  "run-readonly": "{0}-byte store to read-only {1} at 0x{2}",
  "run-helper": "unknown helper function {0}",
  "run-helper-fail": "helper {0} failed: {1}",
  "run-callx": "callx target {0} is not a helper",
  "run-steps": "program did not finish within {0} instructions",
  "run-depth": "call depth exceeds {0} frames",
  "run-fell-off": "execution ran past the last instruction",
  "run-map": "lddw refers to map {0}, but the program has {1} maps",
  "run-tail-call": "tail call to a program that is not loaded",
  // Files and formats
  "io-read": "cannot read {0}: {1}",
  "io-write": "cannot write {0}: {1}",
  "io-format": "{0}",
  "pcap-format": "{0}",
  "elf-format": "{0}",
  // ELF loader (frontends/bpf/elf)
  "elf-reloc-type": "section {0}: unsupported relocation type {1} at offset 0x{2}",
  "elf-reloc": "section {0}: relocation at offset 0x{1}: {2}",
  "elf-map": "map '{0}': {1}",
  "elf-map-type": "map '{0}' has type {1}, which bpfoff does not model",
  "map-format": "{0}",
  "map-op": "{0}",
  // Map definitions (runtime/maps): a size, kind or flag the map kind does not allow.
  "map-def": "map '{0}' ({1}): {2}",
  "cli-usage": "{0}",
} as const;

export type DiagCode = keyof typeof MESSAGES;
