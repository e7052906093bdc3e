// bpfoff's own XDP architecture: p4c's xdp model plus user metadata M that flows from
// the parser through the pipeline (the parser can record what it saw, e.g. a VLAN count).
// Verdicts as in xdp_model.p4 (frontends/p4/arch.ts).
#ifndef _BPFOFF_XDP_P4_
#define _BPFOFF_XDP_P4_

#include <xdp_model.p4>

parser XdpParser<H, M>(packet_in packet, out H headers, inout M meta, in xdp_input imd);
control XdpPipeline<H, M>(inout H headers, inout M meta, in xdp_input imd, out xdp_output omd);
control XdpDeparser<H, M>(in H headers, in M meta, packet_out packet);

package XdpSwitch<H, M>(XdpParser<H, M> p, XdpPipeline<H, M> s, XdpDeparser<H, M> d);

#endif
