/* bpfoff native ABI: what code built by `bpfoff build --target x86_64|arm64` expects of
 * its host process. The layout is the one in backends/common/native-abi.ts (a test
 * compiles this header and compares every offset).
 *
 *   uint64_t prog(void *ctx, uint64_t len, struct bpfoff_rt *rt);
 *
 * raw programs: ctx = the input memory, len = its length (BPF r1, r2).
 * XDP programs: ctx = struct bpfoff_xdp_md whose data/data_end/data_meta are host
 * pointers below 4 GiB (bpfoff_frame_alloc gives such memory), len = 0.
 * System V AMD64 on x86-64, AAPCS64 on arm64. The code is position-independent and
 * refers to nothing outside itself: helpers, maps and bounds come through rt.
 */
#ifndef BPFOFF_NATIVE_H
#define BPFOFF_NATIVE_H
#include <stddef.h>
#include <stdint.h>

#define BPFOFF_HELPER_SLOTS 72
#define BPFOFF_MAX_MAPS 64
#define BPFOFF_STACK_BYTES 4096

struct bpfoff_rt;
/* A helper by Linux number: BPF r1-r5, then the runtime. */
typedef uint64_t (*bpfoff_helper_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct bpfoff_rt *);
/* info: instruction index (bits 0-23), access size (24-27), store (28), fault kind (29-31). */
typedef void (*bpfoff_check_fn)(struct bpfoff_rt *, uint64_t addr, uint64_t info);

struct bpfoff_map {
  uint8_t *values;      /* array maps: max_entries values of `stride` bytes */
  uint32_t max_entries;
  uint32_t stride;      /* value_size rounded up to 8, plus an 8-byte guard gap */
  uint32_t kind;        /* Linux map type (BPF_MAP_TYPE_*) */
  uint32_t key_size;
  uint32_t value_size;
  uint32_t flags;
  void *impl;           /* the runtime's own state (hash tables) */
  uint64_t reserved;
};

struct bpfoff_rt {
  uint64_t region_lo, region_hi; /* input memory, or the packet window [data_meta, data_end) */
  uint64_t stack_lo, stack_hi;   /* set by the program's prologue */
  uint64_t call_limit;           /* lowest r10 from which a bpf-to-bpf call may be made */
  bpfoff_check_fn check;         /* slow path of a bounds check; does not return on a fault */
  bpfoff_check_fn fault;         /* never returns */
  uint64_t pc;                   /* instruction index of the helper call in progress */
  uint64_t value_lo, value_hi;   /* the value the last map lookup found: checked inline */
  uint64_t stack_zeroed;         /* lowest stack address zeroed in this run (set by the code) */
  bpfoff_helper_fn helpers[BPFOFF_HELPER_SLOTS];
  struct bpfoff_map maps[BPFOFF_MAX_MAPS];
};

/* struct xdp_md as the program reads it (include/uapi/linux/bpf.h), pointers below 4 GiB. */
struct bpfoff_xdp_md {
  uint32_t data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex;
};

typedef uint64_t (*bpfoff_prog_fn)(void *ctx, uint64_t len, struct bpfoff_rt *rt);

/* ------------------------------------------------------------------ the C runtime (runtime/native/bpfoff_runtime.c) */

struct bpfoff_map_def {
  uint32_t kind, key_size, value_size, max_entries, flags;
};

/* Why a run stopped early. */
struct bpfoff_fault {
  uint32_t kind;  /* 0 bad access, 1 call depth, 2 fell off, 3 read-only store, 4 helper failure, 5 timeout, 6 tail call to a missing program */
  uint32_t pc, size, store;
  uint64_t addr;
};

struct bpfoff_env;

struct bpfoff_env *bpfoff_env_new(uint32_t nmaps, const struct bpfoff_map_def *defs, uint32_t seed);
void bpfoff_env_free(struct bpfoff_env *env);
struct bpfoff_rt *bpfoff_env_rt(struct bpfoff_env *env);
/* Control plane: bpf_map_update_elem's semantics; 0 or -errno. */
int64_t bpfoff_map_update(struct bpfoff_env *env, uint32_t map, const void *key, const void *value, uint64_t flags);
/* TCAM maps (0x7c01) take entries here instead: value/mask/priority -> data, BPF_ANY
 * semantics on (value & mask, mask, priority); 0, -ENOSPC or -EINVAL. */
int64_t bpfoff_tcam_insert(struct bpfoff_env *env, uint32_t map, const void *value, const void *mask, uint32_t priority, const void *data);
/* Entries in the interpreter's order (array, prog_array, devmap: by index; hash: insertion;
 * lru: least recent first; tcam: match order, the key followed by its mask and u32 priority).
 * Start with *cursor = 0; returns 0 after the last. */
int bpfoff_map_next(struct bpfoff_env *env, uint32_t map, uint64_t *cursor, const uint8_t **key, const uint8_t **value);
uint32_t bpfoff_map_count(struct bpfoff_env *env, uint32_t map);
/* Tail calls: the tail-call entry of every program of the object by index (the code
 * address after each program's prologue; prog.h's BPFOFF_TAIL_ENTRIES gives their
 * offsets from the entry symbol). 0 or -1 (out of memory). */
int bpfoff_env_programs(struct bpfoff_env *env, uint32_t n, const uint64_t *entries);
/* Host state the interpreter carries between runs. */
void bpfoff_env_clock(struct bpfoff_env *env, uint64_t time_ns, uint64_t step_ns);

/* One raw run: 0 and *r0, or -1 with *fault filled in. */
int bpfoff_run_raw(struct bpfoff_env *env, bpfoff_prog_fn prog, uint8_t *mem, uint64_t len, uint64_t *r0, struct bpfoff_fault *fault);

struct bpfoff_xdp_result {
  uint64_t r0;
  const uint8_t *data;  /* the frame as the program left it */
  uint32_t len;
  int64_t redirect_ifindex; /* -1: none */
};
/* One XDP run over a frame (copied into a buffer below 4 GiB with 256 bytes of head- and tailroom). */
int bpfoff_run_xdp(struct bpfoff_env *env, bpfoff_prog_fn prog, const uint8_t *frame, uint32_t len, uint32_t ifindex, struct bpfoff_xdp_result *out, struct bpfoff_fault *fault);

#endif
