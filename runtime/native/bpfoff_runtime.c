/* bpfoff's native runtime: the helper table, the maps and the bounds checks native code
 * calls through struct bpfoff_rt (bpfoff_native.h). Semantics follow the reference
 * interpreter (runtime/interp, runtime/helpers/table.ts, runtime/maps): the same errno
 * values, the same deterministic clock and xorshift32 random numbers, the same entry
 * order when maps are read back. A fault (a bad access, a helper given a bad pointer)
 * longjmps back to bpfoff_run_raw/bpfoff_run_xdp, which report it. No global state:
 * everything lives in a struct bpfoff_env.
 */
#define _GNU_SOURCE
#include "bpfoff_native.h"
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* include/uapi/linux/bpf.h map types and errno values the helpers return negated. */
enum { MT_HASH = 1, MT_ARRAY = 2, MT_PROG_ARRAY = 3, MT_PERCPU_HASH = 5, MT_PERCPU_ARRAY = 6, MT_LRU_HASH = 9, MT_LPM = 11, MT_DEVMAP = 14, MT_TCAM = 0x7c01 };
enum { ENOSPC_ = 28, EOPNOTSUPP_ = 95 };
enum { ENOENT_ = 2, E2BIG_ = 7, EEXIST_ = 17, EINVAL_ = 22 };
#define XDP_HEADROOM 256
#define XDP_TAILROOM 256
#define XDP_FRAME_RESERVED 40 /* sizeof(struct xdp_frame): adjust_head/meta keep out of it */
#define ETH_HLEN 14
#define XDP_BUF_BYTES 65536

/* Hash-like maps (hash, lru_hash, lpm_trie): a pool of max_entries entries, each key then
 * value, with an insertion sequence number giving the interpreter's order (JS Map order). */
struct table {
  uint32_t key_size, value_off, entry_bytes, count;
  uint64_t next_seq;
  uint8_t *pool;      /* max_entries entries of entry_bytes */
  uint64_t *seq;      /* 0: free */
  /* Open addressing over the pool (hash and LRU maps): 0 empty, TOMB deleted, else entry + 1.
   * Twice max_entries slots, rebuilt when tombstones pile up, so probes stay short. */
  uint32_t *index, mask, tombs, cap;
};
#define TOMB 0xffffffffu

struct bpfoff_env {
  struct bpfoff_rt rt; /* first: the code's rt pointer is the env */
  uint32_t nmaps;
  struct bpfoff_map_def defs[BPFOFF_MAX_MAPS];
  struct table tables[BPFOFF_MAX_MAPS];
  uint64_t time_ns, step_ns;
  uint32_t rng;
  jmp_buf unwind;
  struct bpfoff_fault fault;
  /* XDP state of the run in progress */
  int xdp;
  struct bpfoff_xdp_md md;
  uint8_t *xdp_buf;
  uint32_t xdp_len; /* headroom + frame + tailroom: how far adjust_tail may grow */
  int64_t redirect;
  uint32_t keybuf; /* array keys handed out by bpfoff_map_next */
  /* Tail calls: the entry (after the prologue) of every program of the object, by index. */
  uint32_t nprogs;
  uint64_t *progs;
  uint32_t tail_calls; /* in the run in progress */
};

/* MAX_TAIL_CALL_CNT (runtime/interp/interpreter.ts MAX_TAIL_CALLS). */
#define MAX_TAIL_CALLS 33

static struct bpfoff_env *env_of(struct bpfoff_rt *rt) { return (struct bpfoff_env *)rt; }

static void do_fault(struct bpfoff_env *env, uint32_t kind, uint32_t pc, uint64_t addr, uint32_t size, uint32_t store) {
  env->fault.kind = kind;
  env->fault.pc = pc;
  env->fault.addr = addr;
  env->fault.size = size;
  env->fault.store = store;
  longjmp(env->unwind, 1);
}

/* ------------------------------------------------------------------ bounds */

static int in(uint64_t addr, uint64_t size, uint64_t lo, uint64_t hi) { return addr >= lo && addr + size <= hi && addr + size >= addr; }

/* 0: valid; 1: outside every region; 2: a store to read-only memory. */
static int classify(struct bpfoff_env *env, uint64_t addr, uint64_t size, int store) {
  struct bpfoff_rt *rt = &env->rt;
  if (in(addr, size, rt->region_lo, rt->region_hi) || in(addr, size, rt->stack_lo, rt->stack_hi)) return 0;
  if (env->xdp && in(addr, size, (uint64_t)(uintptr_t)&env->md, (uint64_t)(uintptr_t)&env->md + sizeof env->md)) {
    /* The kernel converts 4-byte loads of the first six fields; nothing else is readable, nothing writable. */
    uint64_t off = addr - (uint64_t)(uintptr_t)&env->md;
    if (store) return 2;
    return size == 4 && off % 4 == 0 ? 0 : 1;
  }
  for (uint32_t i = 0; i < env->nmaps; i++) {
    struct bpfoff_map *m = &rt->maps[i];
    struct table *t = &env->tables[i];
    int ro = (m->flags & 0x80) != 0; /* BPF_F_RDONLY_PROG */
    if (m->values) {
      uint64_t lo = (uint64_t)(uintptr_t)m->values, hi = lo + (uint64_t)m->max_entries * m->stride;
      if (addr >= lo && addr < hi) {
        uint64_t off = (addr - lo) % m->stride;
        if (off + size > m->value_size) return 1;
        return ro && store ? 2 : 0;
      }
    } else if (t->pool) {
      uint64_t lo = (uint64_t)(uintptr_t)t->pool, hi = lo + (uint64_t)m->max_entries * t->entry_bytes;
      if (addr >= lo && addr < hi) {
        uint64_t e = (addr - lo) / t->entry_bytes, off = (addr - lo) % t->entry_bytes;
        if (!t->seq[e] || off < t->value_off || off - t->value_off + size > m->value_size) return 1;
        return ro && store ? 2 : 0;
      }
    }
  }
  return 1;
}

static void rt_check(struct bpfoff_rt *rt, uint64_t addr, uint64_t info) {
  struct bpfoff_env *env = env_of(rt);
  uint32_t size = (info >> 24) & 15, store = (info >> 28) & 1;
  int c = classify(env, addr, size, store);
  if (c) do_fault(env, c == 2 ? 3 : 0, info & 0xffffff, addr, size, store);
}

static void rt_fault(struct bpfoff_rt *rt, uint64_t addr, uint64_t info) {
  do_fault(env_of(rt), (info >> 29) & 7, info & 0xffffff, addr, (info >> 24) & 15, (info >> 28) & 1);
}

/* A buffer a helper reads or writes: faults at the helper call when it is not valid memory. */
static uint8_t *buffer(struct bpfoff_env *env, uint64_t addr, uint64_t size, int store) {
  if (size == 0) return (uint8_t *)(uintptr_t)addr;
  int c = classify(env, addr, size, store);
  if (c) do_fault(env, c == 2 ? 3 : 0, (uint32_t)env->rt.pc, addr, (uint32_t)size, store);
  return (uint8_t *)(uintptr_t)addr;
}

/* r1 of a map helper: a pointer to one of rt->maps (lddw map). */
static uint32_t map_arg(struct bpfoff_env *env, uint64_t addr) {
  uint64_t base = (uint64_t)(uintptr_t)env->rt.maps;
  if (addr < base || (addr - base) % sizeof(struct bpfoff_map) || (addr - base) / sizeof(struct bpfoff_map) >= env->nmaps)
    do_fault(env, 4, (uint32_t)env->rt.pc, addr, 0, 0);
  return (uint32_t)((addr - base) / sizeof(struct bpfoff_map));
}

/* ------------------------------------------------------------------ maps */

static uint8_t *entry(struct table *t, uint32_t e) { return t->pool + (uint64_t)e * t->entry_bytes; }

/* FNV-1a over the key bytes. */
static uint32_t hash_key(const uint8_t *key, uint32_t n) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n; i++) h = (h ^ key[i]) * 16777619u;
  return h;
}

/* The index slot holding key, or -1. */
static int64_t index_slot(struct table *t, const uint8_t *key) {
  for (uint32_t i = hash_key(key, t->key_size) & t->mask, probes = 0; probes <= t->mask; i = (i + 1) & t->mask, probes++) {
    uint32_t v = t->index[i];
    if (v == 0) return -1;
    if (v != TOMB && memcmp(entry(t, v - 1), key, t->key_size) == 0) return i;
  }
  return -1;
}

static void index_insert(struct table *t, uint32_t e) {
  uint32_t i = hash_key(entry(t, e), t->key_size) & t->mask;
  while (t->index[i] != 0 && t->index[i] != TOMB) i = (i + 1) & t->mask;
  if (t->index[i] == TOMB) t->tombs--;
  t->index[i] = e + 1;
}

static void index_remove(struct table *t, const uint8_t *key) {
  int64_t i = index_slot(t, key);
  if (i < 0) return;
  t->index[i] = TOMB;
  if (++t->tombs > (t->mask + 1) / 4) {
    memset(t->index, 0, ((size_t)t->mask + 1) * sizeof *t->index);
    t->tombs = 0;
    for (uint32_t e = 0; e < t->cap; e++)
      if (t->seq[e]) index_insert(t, e);
  }
}

static int64_t find(struct bpfoff_env *env, uint32_t map, const uint8_t *key) {
  struct table *t = &env->tables[map];
  if (t->index) {
    int64_t i = index_slot(t, key);
    return i < 0 ? -1 : (int64_t)t->index[i] - 1;
  }
  uint32_t n = env->rt.maps[map].max_entries;
  for (uint32_t e = 0; e < n; e++)
    if (t->seq[e] && memcmp(entry(t, e), key, t->key_size) == 0) return e;
  return -1;
}

/* LPM trie: the entry with the longest prefix (<= the key's) matching the key's data. */
static int64_t lpm_find(struct bpfoff_env *env, uint32_t map, const uint8_t *key) {
  struct table *t = &env->tables[map];
  uint32_t n = env->rt.maps[map].max_entries, plen = *(const uint32_t *)key;
  int64_t best = -1;
  uint32_t best_len = 0;
  for (uint32_t e = 0; e < n; e++) {
    if (!t->seq[e]) continue;
    const uint8_t *k = entry(t, e);
    uint32_t len = *(const uint32_t *)k, bits;
    if (len > plen || (best >= 0 && len < best_len)) continue;
    for (bits = 0; bits < len; bits++) {
      uint32_t byte = 4 + bits / 8, mask = 0x80 >> (bits % 8);
      if ((k[byte] ^ key[byte]) & mask) break;
    }
    if (bits == len && (best < 0 || len >= best_len)) best = e, best_len = len;
  }
  return best;
}

static void touch(struct table *t, uint32_t e) { t->seq[e] = ++t->next_seq; }

/* TCAM (runtime/maps/tcam.ts): rows in match order, priority descending then insertion,
 * in pool entries 0..count-1; a row is the value (value & mask), the mask, the u32
 * priority, then the data at value_off. A lookup takes the first row whose mask bits
 * equal the key's. */
static uint8_t *tcam_find(struct bpfoff_env *env, uint32_t map, const uint8_t *key) {
  struct table *t = &env->tables[map];
  uint32_t k = env->defs[map].key_size;
  for (uint32_t r = 0; r < t->count; r++) {
    const uint8_t *row = entry(t, r);
    uint32_t i = 0;
    while (i < k && (key[i] & row[k + i]) == row[i]) i++;
    if (i == k) return (uint8_t *)row + t->value_off;
  }
  return NULL;
}

int64_t bpfoff_tcam_insert(struct bpfoff_env *env, uint32_t map, const void *valuep, const void *maskp, uint32_t priority, const void *data) {
  struct table *t = &env->tables[map];
  struct bpfoff_map *m = &env->rt.maps[map];
  if (m->kind != MT_TCAM) return -EINVAL_;
  uint32_t k = m->key_size, p;
  const uint8_t *value = valuep, *mask = maskp;
  uint8_t canon[256];
  for (uint32_t i = 0; i < k; i++) canon[i] = value[i] & mask[i];
  uint32_t at = t->count;
  for (uint32_t r = 0; r < t->count; r++) {
    uint8_t *row = entry(t, r);
    memcpy(&p, row + 2 * k, 4);
    if (p == priority && memcmp(row, canon, k) == 0 && memcmp(row + k, mask, k) == 0) {
      memcpy(row + t->value_off, data, m->value_size); /* replacing the data keeps the row */
      return 0;
    }
    if (p < priority && at == t->count) at = r;
  }
  if (t->count >= m->max_entries) return -ENOSPC_;
  if (at < t->count) memmove(entry(t, at + 1), entry(t, at), (size_t)(t->count - at) * t->entry_bytes);
  uint8_t *row = entry(t, at);
  memset(row, 0, t->entry_bytes);
  memcpy(row, canon, k);
  memcpy(row + k, mask, k);
  memcpy(row + 2 * k, &priority, 4);
  memcpy(row + t->value_off, data, m->value_size);
  t->seq[t->count++] = 1;
  return 0;
}

static uint8_t *map_lookup(struct bpfoff_env *env, uint32_t map, const uint8_t *key) {
  struct bpfoff_map *m = &env->rt.maps[map];
  if (m->values) {
    uint32_t i = *(const uint32_t *)key;
    return i < m->max_entries ? m->values + (uint64_t)i * m->stride : NULL;
  }
  struct table *t = &env->tables[map];
  if (m->kind == MT_TCAM) return tcam_find(env, map, key);
  if (m->kind == MT_LPM) {
    int64_t e = lpm_find(env, map, key);
    return e < 0 ? NULL : entry(t, (uint32_t)e) + t->value_off;
  }
  int64_t e = find(env, map, key);
  if (e < 0) return NULL;
  if (m->kind == MT_LRU_HASH) touch(t, (uint32_t)e);
  return entry(t, (uint32_t)e) + t->value_off;
}

/* The LPM key's identity: prefix length and the data bits it covers. */
static void lpm_canon(uint8_t *dst, const uint8_t *key, uint32_t key_size) {
  uint32_t plen = *(const uint32_t *)key;
  memcpy(dst, key, key_size);
  for (uint32_t bit = plen; bit < (key_size - 4) * 8; bit++) dst[4 + bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
}

static int64_t map_delete(struct bpfoff_env *env, uint32_t map, const uint8_t *key);

int64_t bpfoff_map_update(struct bpfoff_env *env, uint32_t map, const void *keyp, const void *value, uint64_t flags) {
  struct bpfoff_map *m = &env->rt.maps[map];
  const uint8_t *key = keyp;
  if (!(flags == 0 || flags == 1 || flags == 2)) return -EINVAL_;
  if (m->kind == MT_TCAM) return -EOPNOTSUPP_; /* programs only read a TCAM; the control plane inserts */
  if (m->values) {
    uint32_t i = *(const uint32_t *)key;
    if (i >= m->max_entries) return -E2BIG_;
    if (flags == 1) return -EEXIST_;
    memcpy(m->values + (uint64_t)i * m->stride, value, m->value_size);
    return 0;
  }
  struct table *t = &env->tables[map];
  if (m->kind == MT_PROG_ARRAY || m->kind == MT_DEVMAP) {
    /* Slot arrays (runtime/maps/array.ts SLOT_RULES): prog_array takes BPF_ANY only;
     * every slot "exists" for NOEXIST; a devmap slot set to ifindex 0 is emptied. */
    uint32_t i = *(const uint32_t *)key, v;
    if (m->kind == MT_PROG_ARRAY && flags != 0) return -EINVAL_;
    if (i >= m->max_entries) return -E2BIG_;
    if (flags == 1) return -EEXIST_;
    memcpy(&v, value, 4);
    if (m->kind == MT_DEVMAP && v == 0) {
      if (find(env, map, key) >= 0) map_delete(env, map, key);
      return 0;
    }
    flags = 0;
  }
  uint8_t canon[256];
  if (m->kind == MT_LPM) {
    if (*(const uint32_t *)key > (m->key_size - 4) * 8) return -EINVAL_;
    lpm_canon(canon, key, m->key_size);
    key = canon;
  }
  int64_t e = find(env, map, key);
  if (e >= 0 && flags == 1) return -EEXIST_;
  if (e < 0 && flags == 2) return -ENOENT_;
  if (e >= 0) {
    memcpy(entry(t, (uint32_t)e) + t->value_off, value, m->value_size);
    if (m->kind == MT_LRU_HASH) touch(t, (uint32_t)e);
    return 0;
  }
  if (t->count >= m->max_entries) {
    if (m->kind != MT_LRU_HASH) return m->kind == MT_LPM ? -28 /* ENOSPC */ : -E2BIG_;
    uint32_t victim = 0;
    for (uint32_t i = 1; i < m->max_entries; i++)
      if (t->seq[i] && (!t->seq[victim] || t->seq[i] < t->seq[victim])) victim = i;
    if (t->index) index_remove(t, entry(t, victim));
    t->seq[victim] = 0;
    t->count--;
  }
  for (uint32_t i = 0; i < m->max_entries; i++) {
    if (t->seq[i]) continue;
    memcpy(entry(t, i), key, m->key_size);
    memcpy(entry(t, i) + t->value_off, value, m->value_size);
    touch(t, i);
    t->count++;
    if (t->index) index_insert(t, i);
    return 0;
  }
  return -E2BIG_;
}

static int64_t map_delete(struct bpfoff_env *env, uint32_t map, const uint8_t *key) {
  struct bpfoff_map *m = &env->rt.maps[map];
  if (m->values) return -EINVAL_;
  if (m->kind == MT_TCAM) return -EOPNOTSUPP_;
  struct table *t = &env->tables[map];
  uint8_t canon[256];
  if (m->kind == MT_LPM) {
    lpm_canon(canon, key, m->key_size);
    key = canon;
  }
  if (m->kind == MT_PROG_ARRAY || m->kind == MT_DEVMAP) {
    if (*(const uint32_t *)key >= m->max_entries) return m->kind == MT_DEVMAP ? -EINVAL_ : -E2BIG_;
    if (m->kind == MT_DEVMAP && find(env, map, key) < 0) return 0;
  }
  int64_t e = find(env, map, key);
  if (e < 0) return -ENOENT_;
  if (t->index) index_remove(t, key);
  t->seq[e] = 0;
  t->count--;
  return 0;
}

uint32_t bpfoff_map_count(struct bpfoff_env *env, uint32_t map) {
  struct bpfoff_map *m = &env->rt.maps[map];
  return m->values ? m->max_entries : env->tables[map].count;
}

int bpfoff_map_next(struct bpfoff_env *env, uint32_t map, uint64_t *cursor, const uint8_t **key, const uint8_t **value) {
  struct bpfoff_map *m = &env->rt.maps[map];
  if (m->values) {
    if (*cursor >= m->max_entries) return 0;
    env->keybuf = (uint32_t)*cursor; /* valid until the next call */
    *key = (const uint8_t *)&env->keybuf;
    *value = m->values + *cursor * m->stride;
    ++*cursor;
    return 1;
  }
  struct table *t = &env->tables[map];
  int64_t best = -1;
  if (m->kind == MT_TCAM) {
    /* Rows in match order; the key is followed by its mask and priority (bpfoff_native.h). */
    if (*cursor >= t->count) return 0;
    *key = entry(t, (uint32_t)*cursor);
    *value = *key + t->value_off;
    ++*cursor;
    return 1;
  }
  if (m->kind == MT_PROG_ARRAY || m->kind == MT_DEVMAP) {
    /* Slot arrays: by index, as the interpreter lists them; the cursor is the next index. */
    uint32_t bk = 0;
    for (uint32_t e = 0; e < m->max_entries; e++) {
      if (!t->seq[e]) continue;
      uint32_t k = *(const uint32_t *)entry(t, e);
      if (k >= *cursor && (best < 0 || k < bk)) best = e, bk = k;
    }
    if (best < 0) return 0;
    *cursor = (uint64_t)bk + 1;
    *key = entry(t, (uint32_t)best);
    *value = entry(t, (uint32_t)best) + t->value_off;
    return 1;
  }
  /* Entries by sequence number: the smallest above the last one given. */
  for (uint32_t e = 0; e < m->max_entries; e++)
    if (t->seq[e] > *cursor && (best < 0 || t->seq[e] < t->seq[best])) best = e;
  if (best < 0) return 0;
  *cursor = t->seq[best];
  *key = entry(t, (uint32_t)best);
  *value = entry(t, (uint32_t)best) + t->value_off;
  return 1;
}

/* ------------------------------------------------------------------ helpers (runtime/helpers/table.ts) */

#define HELPER(name) static uint64_t name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct bpfoff_rt *rt)
#define UNUSED (void)r1, (void)r2, (void)r3, (void)r4, (void)r5

HELPER(h_unknown) {
  UNUSED;
  do_fault(env_of(rt), 4, (uint32_t)rt->pc, 0, 0, 0);
  return 0;
}

HELPER(h_map_lookup_elem) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  uint32_t map = map_arg(env, r1);
  uint8_t *v = map_lookup(env, map, buffer(env, r2, env->defs[map].key_size, 0));
  /* The value window is checked inline for loads and stores alike: a read-only map's
   * values (BPF_F_RDONLY_PROG) stay with the slow check, which refuses stores. */
  if (v && !(env->defs[map].flags & 0x80)) {
    rt->value_lo = (uint64_t)(uintptr_t)v;
    rt->value_hi = rt->value_lo + env->defs[map].value_size;
  }
  return (uint64_t)(uintptr_t)v;
}

HELPER(h_map_update_elem) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  uint32_t map = map_arg(env, r1);
  const uint8_t *k = buffer(env, r2, env->defs[map].key_size, 0);
  const uint8_t *v = buffer(env, r3, env->defs[map].value_size, 0);
  return (uint64_t)bpfoff_map_update(env, map, k, v, r4 & 0xffffffffu);
}

HELPER(h_map_delete_elem) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  uint32_t map = map_arg(env, r1);
  return (uint64_t)map_delete(env, map, buffer(env, r2, env->defs[map].key_size, 0));
}

HELPER(h_ktime_get_ns) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  env->time_ns += env->step_ns;
  return env->time_ns;
}

/* xorshift32, as runtime/helpers/table.ts nextRandom. */
HELPER(h_get_prandom_u32) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  uint32_t x = env->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  env->rng = x;
  return x;
}

HELPER(h_get_smp_processor_id) {
  UNUSED;
  (void)rt;
  return 0;
}

/* bpf_tail_call(ctx, map, index): the target program's entry, for the code to jump to,
 * or a negative errno to fall through with (runtime/helpers/table.ts, interpreter.ts):
 * -EINVAL for a map of another kind, -ENOENT for an index past 32 bits, an empty slot,
 * or a call past MAX_TAIL_CALLS; a program the object lacks stops the run. */
HELPER(h_tail_call) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  uint32_t map = map_arg(env, r2);
  if (rt->maps[map].kind != MT_PROG_ARRAY) return (uint64_t)-EINVAL_;
  if (r3 > 0xffffffffu) return (uint64_t)-ENOENT_;
  uint32_t key = (uint32_t)r3;
  const uint8_t *v = map_lookup(env, map, (const uint8_t *)&key);
  if (!v) return (uint64_t)-ENOENT_;
  if (++env->tail_calls > MAX_TAIL_CALLS) return (uint64_t)-ENOENT_;
  uint32_t prog;
  memcpy(&prog, v, 4);
  if (prog >= env->nprogs) do_fault(env, 6, (uint32_t)rt->pc, prog, 0, 0);
  return env->progs[prog];
}

/* bpf_redirect_map(map, key, flags) (runtime/helpers/table.ts): a devmap slot that is set
 * makes the run's target its ifindex, XDP_REDIRECT; otherwise (an empty slot, a key past
 * the end, a map of another kind) the low two bits of flags, the target unchanged. */
HELPER(h_redirect_map) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  uint32_t map = map_arg(env, r1), key = (uint32_t)r2, ifindex;
  const uint8_t *v = rt->maps[map].kind == MT_DEVMAP ? map_lookup(env, map, (const uint8_t *)&key) : NULL;
  if (!v) return r3 & 3;
  memcpy(&ifindex, v, 4);
  env->redirect = ifindex;
  return 4;
}

/* net/core/filter.c: any flag makes bpf_redirect fail (XDP_ABORTED). */
HELPER(h_redirect) {
  UNUSED;
  if (r2 != 0) return 0;
  env_of(rt)->redirect = (int64_t)(r1 & 0xffffffffu);
  return 4;
}

static uint32_t csum_add(uint32_t sum, uint32_t word) {
  uint64_t s = (uint64_t)sum + word;
  return (uint32_t)(s > 0xffffffffu ? s - 0xffffffffu : s);
}

HELPER(h_csum_diff) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  if (r2 % 4 || r4 % 4 || r2 > 512 || r4 > 512 || r2 + r4 > 512) return (uint64_t)-EINVAL_;
  uint32_t sum = (uint32_t)r5, w;
  const uint8_t *a = buffer(env, r1, r2, 0), *b = buffer(env, r3, r4, 0);
  for (uint64_t i = 0; i < r2; i += 4) memcpy(&w, a + i, 4), sum = csum_add(sum, ~w);
  for (uint64_t i = 0; i < r4; i += 4) memcpy(&w, b + i, 4), sum = csum_add(sum, w);
  return sum;
}

/* The packet window moved: the inline checks follow it. */
static void sync_window(struct bpfoff_env *env) {
  env->rt.region_lo = env->md.data_meta;
  env->rt.region_hi = env->md.data_end;
}

/* Offsets into xdp_buf of meta, data, end (runtime/interp/xdp.ts works in the same terms). */
#define OFF(field) ((int64_t)env->md.field - (int64_t)(uintptr_t)env->xdp_buf)

HELPER(h_xdp_adjust_head) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  int64_t delta = (int32_t)r2, meta = OFF(data_meta), data = OFF(data) + delta, end = OFF(data_end);
  int64_t meta_len = OFF(data) - meta;
  if (data - meta_len < XDP_FRAME_RESERVED || data > end - ETH_HLEN) return (uint64_t)-EINVAL_;
  if (meta_len) memmove(env->xdp_buf + meta + delta, env->xdp_buf + meta, (size_t)meta_len);
  env->md.data_meta = (uint32_t)(uintptr_t)(env->xdp_buf + meta + delta);
  env->md.data = (uint32_t)(uintptr_t)(env->xdp_buf + data);
  sync_window(env);
  return 0;
}

HELPER(h_xdp_adjust_meta) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  int64_t meta = OFF(data_meta) + (int32_t)r2, data = OFF(data), len = data - meta;
  if (meta < XDP_FRAME_RESERVED || meta > data || len > 32 || (len & 3)) return (uint64_t)-EINVAL_;
  env->md.data_meta = (uint32_t)(uintptr_t)(env->xdp_buf + meta);
  sync_window(env);
  return 0;
}

HELPER(h_xdp_adjust_tail) {
  UNUSED;
  struct bpfoff_env *env = env_of(rt);
  int64_t end = OFF(data_end), nend = end + (int32_t)r2;
  if (nend > (int64_t)env->xdp_len || nend < OFF(data) + ETH_HLEN) return (uint64_t)-EINVAL_;
  if (nend > end) memset(env->xdp_buf + end, 0, (size_t)(nend - end));
  env->md.data_end = (uint32_t)(uintptr_t)(env->xdp_buf + nend);
  sync_window(env);
  return 0;
}

#undef OFF

/* The helper table by Linux number (enum bpf_func_id); the rest fault. */
static const struct { uint32_t id; bpfoff_helper_fn fn; } HELPERS[] = {
  {1, h_map_lookup_elem}, {2, h_map_update_elem}, {3, h_map_delete_elem}, {5, h_ktime_get_ns},
  {7, h_get_prandom_u32}, {8, h_get_smp_processor_id}, {12, h_tail_call}, {23, h_redirect}, {28, h_csum_diff}, {51, h_redirect_map},
  {44, h_xdp_adjust_head}, {54, h_xdp_adjust_meta}, {65, h_xdp_adjust_tail},
};

/* ------------------------------------------------------------------ environments and runs */

struct bpfoff_rt *bpfoff_env_rt(struct bpfoff_env *env) { return &env->rt; }

int bpfoff_env_programs(struct bpfoff_env *env, uint32_t n, const uint64_t *entries) {
  uint64_t *p = malloc((n ? n : 1) * sizeof *p);
  if (!p) return -1;
  memcpy(p, entries, n * sizeof *p);
  free(env->progs);
  env->progs = p;
  env->nprogs = n;
  return 0;
}

void bpfoff_env_clock(struct bpfoff_env *env, uint64_t time_ns, uint64_t step_ns) {
  env->time_ns = time_ns;
  env->step_ns = step_ns;
}

/* Memory below 4 GiB, so that xdp_md's 32-bit fields hold host pointers. */
static uint8_t *low_alloc(size_t bytes) {
#ifdef MAP_32BIT
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
#else
  void *p = mmap((void *)(uintptr_t)0x10000000u, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#endif
  if (p == MAP_FAILED || (uintptr_t)p + bytes > 0xffffffffu) return NULL;
  return p;
}

struct bpfoff_env *bpfoff_env_new(uint32_t nmaps, const struct bpfoff_map_def *defs, uint32_t seed) {
  if (nmaps > BPFOFF_MAX_MAPS) return NULL;
  struct bpfoff_env *env = calloc(1, sizeof *env);
  if (!env) return NULL;
  env->nmaps = nmaps;
  env->rng = seed ? seed : 1;
  env->time_ns = 1000000000ull;
  env->step_ns = 1000;
  env->rt.check = rt_check;
  env->rt.fault = rt_fault;
  for (uint32_t i = 0; i < BPFOFF_HELPER_SLOTS; i++) env->rt.helpers[i] = h_unknown;
  for (size_t i = 0; i < sizeof HELPERS / sizeof HELPERS[0]; i++) env->rt.helpers[HELPERS[i].id] = HELPERS[i].fn;
  for (uint32_t i = 0; i < nmaps; i++) {
    const struct bpfoff_map_def *d = &defs[i];
    struct bpfoff_map *m = &env->rt.maps[i];
    env->defs[i] = *d;
    m->max_entries = d->max_entries;
    m->stride = ((d->value_size + 7) & ~7u) + 8; /* + a guard gap: native-abi.ts valueStride */
    m->kind = d->kind;
    m->key_size = d->key_size;
    m->value_size = d->value_size;
    m->flags = d->flags;
    if (d->kind == MT_ARRAY || d->kind == MT_PERCPU_ARRAY) {
      m->values = calloc(d->max_entries ? d->max_entries : 1, m->stride);
    } else {
      struct table *t = &env->tables[i];
      t->key_size = d->key_size;
      t->value_off = d->kind == MT_TCAM ? (2 * d->key_size + 4 + 7) & ~7u : (d->key_size + 7) & ~7u;
      t->entry_bytes = t->value_off + m->stride;
      t->pool = calloc(d->max_entries ? d->max_entries : 1, t->entry_bytes);
      t->seq = calloc(d->max_entries ? d->max_entries : 1, sizeof(uint64_t));
      if (d->kind != MT_LPM && d->kind != MT_TCAM) {
        uint32_t slots = 2;
        while (slots < 2 * (uint64_t)d->max_entries) slots *= 2;
        t->mask = slots - 1;
        t->cap = d->max_entries;
        t->index = calloc(slots, sizeof *t->index);
      }
      m->impl = t;
    }
  }
  env->xdp_buf = low_alloc(XDP_BUF_BYTES);
  return env;
}

void bpfoff_env_free(struct bpfoff_env *env) {
  for (uint32_t i = 0; i < env->nmaps; i++) {
    free(env->rt.maps[i].values);
    free(env->tables[i].pool);
    free(env->tables[i].seq);
    free(env->tables[i].index);
  }
  if (env->xdp_buf) munmap(env->xdp_buf, XDP_BUF_BYTES);
  free(env->progs);
  free(env);
}

int bpfoff_run_raw(struct bpfoff_env *env, bpfoff_prog_fn prog, uint8_t *mem, uint64_t len, uint64_t *r0, struct bpfoff_fault *fault) {
  env->xdp = 0;
  env->tail_calls = 0;
  env->rt.value_lo = env->rt.value_hi = 0;
  env->rt.region_lo = (uint64_t)(uintptr_t)mem;
  const volatile uint64_t n = mem ? len : 0; /* read after setjmp */
  env->rt.region_hi = (uint64_t)(uintptr_t)mem + n;
  if (setjmp(env->unwind)) {
    *fault = env->fault;
    return -1;
  }
  *r0 = prog(mem, n, &env->rt);
  return 0;
}

int bpfoff_run_xdp(struct bpfoff_env *env, bpfoff_prog_fn prog, const uint8_t *frame, uint32_t len, uint32_t ifindex, struct bpfoff_xdp_result *out, struct bpfoff_fault *fault) {
  if (!env->xdp_buf || len + XDP_HEADROOM + XDP_TAILROOM > XDP_BUF_BYTES) {
    memset(fault, 0, sizeof *fault);
    fault->kind = 4;
    return -1;
  }
  uint8_t *buf = env->xdp_buf;
  memset(buf, 0, XDP_HEADROOM + len + XDP_TAILROOM);
  memcpy(buf + XDP_HEADROOM, frame, len);
  env->xdp = 1;
  env->tail_calls = 0;
  env->xdp_len = XDP_HEADROOM + len + XDP_TAILROOM;
  env->redirect = -1;
  env->md.data = env->md.data_meta = (uint32_t)(uintptr_t)(buf + XDP_HEADROOM);
  env->md.data_end = (uint32_t)(uintptr_t)(buf + XDP_HEADROOM + len);
  env->md.ingress_ifindex = ifindex;
  env->md.rx_queue_index = 0;
  env->md.egress_ifindex = 0;
  env->rt.region_lo = env->md.data_meta;
  env->rt.region_hi = env->md.data_end;
  env->rt.value_lo = env->rt.value_hi = 0;
  if (setjmp(env->unwind)) {
    *fault = env->fault;
    return -1;
  }
  out->r0 = prog(&env->md, 0, &env->rt);
  out->data = (const uint8_t *)(uintptr_t)env->md.data;
  out->len = env->md.data_end - env->md.data;
  out->redirect_ifindex = env->redirect;
  return 0;
}
