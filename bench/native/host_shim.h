/* bench/native.mjs: an XDP example's C source (examples/NAME/prog.c) compiled by the host
 * compiler with gcc -O2, the ceiling native code from bpfoff is measured against. The
 * libbpf helper declarations (bpf_helper_defs.h: pointers to fixed addresses) are shadowed
 * by function-like macros that call the same runtime helpers through the same table as
 * bpfoff's code, so both run on runtime/native with the same maps and the same frames.
 * Benchmark-only: the runtime pointer is a global, set on entry to each run.
 */
#include <stdint.h>
#include "bpfoff_native.h"

extern struct bpfoff_rt *bpfoff_shim_rt;
/* The example's maps (its global map definitions) in object order: rt->maps' order. */
extern void *const bpfoff_shim_maps[];
extern const unsigned bpfoff_shim_nmaps;

static inline uint64_t bpfoff_shim_map(const void *m) {
  for (unsigned i = 0; i < bpfoff_shim_nmaps; i++)
    if (bpfoff_shim_maps[i] == m) return (uint64_t)(uintptr_t)&bpfoff_shim_rt->maps[i];
  return 0;
}

#define BPFOFF_SHIM_CALL(id, a, b, c, d) \
  bpfoff_shim_rt->helpers[id]((uint64_t)(uintptr_t)(a), (uint64_t)(uintptr_t)(b), (uint64_t)(uintptr_t)(c), (uint64_t)(d), 0, bpfoff_shim_rt)
#define bpf_map_lookup_elem(m, k) ((void *)(uintptr_t)BPFOFF_SHIM_CALL(1, bpfoff_shim_map(m), k, 0, 0))
#define bpf_map_update_elem(m, k, v, f) ((long)BPFOFF_SHIM_CALL(2, bpfoff_shim_map(m), k, v, f))
#define bpf_map_delete_elem(m, k) ((long)BPFOFF_SHIM_CALL(3, bpfoff_shim_map(m), k, 0, 0))
#define bpf_redirect(i, f) ((long)BPFOFF_SHIM_CALL(23, i, f, 0, 0))
#define bpf_xdp_adjust_head(x, d) ((long)BPFOFF_SHIM_CALL(44, x, (int64_t)(d), 0, 0))
#define bpf_xdp_adjust_tail(x, d) ((long)BPFOFF_SHIM_CALL(65, x, (int64_t)(d), 0, 0))
