// The architectures bpfoff lowers (include/*.p4), as data: which package, the role of each
// of its blocks, and how the program's verdict is formed. lower.ts reads only this table.
//   ebpfFilter (p4c ebpf_model.p4): parser, filter(inout H, out bool accept);
//     parser reject -> XDP_DROP; accept -> XDP_PASS, else XDP_DROP. No deparser: the packet
//     leaves as it came (p4c's ebpf filter does not write headers back either).
//   xdp (p4c xdp_model.p4): parser, switch(inout H, in xdp_input, out xdp_output), deparser;
//     the verdict is omd.output_action (xdp_action has the kernel's numbering);
//     XDP_REDIRECT goes through bpf_redirect(omd.output_port, 0).
//   XdpSwitch (include/bpfoff_xdp.p4): as xdp, with user metadata M given to every block.

export type BlockRole = "parser" | "filter" | "switch" | "deparser";

export interface Architecture {
  readonly package: string;
  readonly blocks: readonly BlockRole[];
  readonly verdict: "accept-bool" | "xdp-output";
  /** Whether user metadata (the package's second type parameter) is passed to every block. */
  readonly metadata: boolean;
}

export const ARCHITECTURES: readonly Architecture[] = [
  { package: "ebpfFilter", blocks: ["parser", "filter"], verdict: "accept-bool", metadata: false },
  { package: "xdp", blocks: ["parser", "switch", "deparser"], verdict: "xdp-output", metadata: false },
  { package: "XdpSwitch", blocks: ["parser", "switch", "deparser"], verdict: "xdp-output", metadata: true },
];

/** XDP verdicts (include/uapi/linux/bpf.h enum xdp_action). */
export const XDP = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
