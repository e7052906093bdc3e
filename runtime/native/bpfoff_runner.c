/* bpfoff-native-run CODE IN OUT: loads a code blob built by bpfoff (x86_64 or arm64,
 * whichever this runner was compiled for), the maps and the inputs from IN, runs the
 * program (raw once, or XDP over every frame, map state carried from frame to frame)
 * and writes the results and the final map contents to OUT. backends/common/native-run.ts
 * writes IN and reads OUT; both formats are little-endian and described there.
 */
#define _GNU_SOURCE
#include "bpfoff_native.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifdef BPFOFF_LINKED_PROG
uint64_t bpfoff_linked_prog(void *ctx, uint64_t len, struct bpfoff_rt *rt);
#endif

#define BPFOFF_MAP_TCAM 0x7c01

static void die(const char *why) {
  fprintf(stderr, "bpfoff-native-run: %s\n", why);
  exit(2);
}

/* The run file being read. */
struct reader {
  const uint8_t *p, *end;
};

static const uint8_t *take(struct reader *in, size_t n) {
  if ((size_t)(in->end - in->p) < n) die("input file truncated");
  const uint8_t *p = in->p;
  in->p += n;
  return p;
}
static uint32_t u32(struct reader *in) { uint32_t v; memcpy(&v, take(in, 4), 4); return v; }
static uint64_t u64(struct reader *in) { uint64_t v; memcpy(&v, take(in, 8), 8); return v; }

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) die("cannot open an input file");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) die("cannot read an input file");
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void w32(FILE *out, uint32_t v) { fwrite(&v, 4, 1, out); }
static void w64(FILE *out, uint64_t v) { fwrite(&v, 8, 1, out); }

static void on_alarm(int sig) {
  (void)sig;
  _exit(3); /* the run did not finish in time: the caller reports it */
}

int main(int argc, char **argv) {
  if (argc != 4) die("usage: bpfoff-native-run CODE IN OUT");
  size_t code_len, in_len;
  uint8_t *code = read_file(argv[1], &code_len);
  uint8_t *input = read_file(argv[2], &in_len);
  struct reader run = {input, input + in_len}, *in = &run;
  if (memcmp(take(in, 4), "BPFN", 4) != 0 || u32(in) != 2) die("not a bpfoff native run file");
  uint32_t mode = u32(in), nmaps = u32(in), seed = u32(in), ifindex = u32(in), timeout = u32(in), repeat = u32(in);
  uint64_t time_ns = u64(in), step_ns = u64(in);
  uint32_t nprogs = u32(in);
  uint64_t *progs = calloc(nprogs ? nprogs : 1, sizeof *progs);
  for (uint32_t i = 0; i < nprogs; i++) progs[i] = u32(in);
  if (nmaps > BPFOFF_MAX_MAPS) die("too many maps");
  struct bpfoff_map_def defs[BPFOFF_MAX_MAPS];
  uint32_t counts[BPFOFF_MAX_MAPS];
  for (uint32_t i = 0; i < nmaps; i++) {
    defs[i].kind = u32(in), defs[i].key_size = u32(in), defs[i].value_size = u32(in), defs[i].max_entries = u32(in), defs[i].flags = u32(in);
    counts[i] = u32(in);
  }
  struct bpfoff_env *env = bpfoff_env_new(nmaps, defs, seed);
  if (!env) die("cannot set up the runtime");
  bpfoff_env_clock(env, time_ns, step_ns);
  for (uint32_t i = 0; i < nmaps; i++)
    for (uint32_t e = 0; e < counts[i]; e++) {
      if (defs[i].kind == BPFOFF_MAP_TCAM) {
        const uint8_t *k = take(in, defs[i].key_size), *mask = take(in, defs[i].key_size);
        uint32_t priority = u32(in);
        if (bpfoff_tcam_insert(env, i, k, mask, priority, take(in, defs[i].value_size)) != 0) die("a map entry does not fit its map");
        continue;
      }
      const uint8_t *k = take(in, defs[i].key_size), *v = take(in, defs[i].value_size);
      if (bpfoff_map_update(env, i, k, v, 0) != 0) die("a map entry does not fit its map");
    }

#ifdef BPFOFF_LINKED_PROG
  /* bench/native.mjs: the program's C source compiled by the host compiler and linked in. */
  (void)code;
  bpfoff_prog_fn prog = bpfoff_linked_prog;
#else
  /* The code, executable (W^X: written, then made read-execute). */
  size_t page = (size_t)sysconf(_SC_PAGESIZE), size = (code_len + page - 1) / page * page;
  uint8_t *text = mmap(NULL, size ? size : page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (text == MAP_FAILED) die("mmap failed");
  memcpy(text, code, code_len);
  if (mprotect(text, size ? size : page, PROT_READ | PROT_EXEC) != 0) die("mprotect failed");
  __builtin___clear_cache((char *)text, (char *)text + code_len);
  bpfoff_prog_fn prog = (bpfoff_prog_fn)(uintptr_t)text;
  for (uint32_t i = 0; i < nprogs; i++) progs[i] += (uint64_t)(uintptr_t)text;
  if (bpfoff_env_programs(env, nprogs, progs) != 0) die("out of memory");
#endif

  FILE *out = fopen(argv[3], "wb");
  if (!out) die("cannot write the output file");
  signal(SIGALRM, on_alarm);
  if (timeout) alarm(timeout);
  struct bpfoff_fault fault;
  memset(&fault, 0, sizeof fault);
  int status = 0;
  uint32_t failed_at = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (mode == 0) {
    uint32_t has_mem = u32(in), len = u32(in);
    uint8_t *mem = has_mem ? malloc(len ? len : 1) : NULL;
    if (has_mem) memcpy(mem, take(in, len), len);
    uint64_t r0 = 0;
    status = bpfoff_run_raw(env, prog, mem, len, &r0, &fault);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    w32(out, status ? 1 : 0);
    w32(out, fault.kind), w32(out, fault.pc), w32(out, fault.size), w32(out, fault.store), w64(out, fault.addr), w32(out, 0);
    w64(out, r0);
    w32(out, has_mem ? len : 0);
    if (has_mem) fwrite(mem, 1, len, out);
  } else {
    uint32_t nframes = u32(in);
    const uint8_t **frames = calloc(nframes ? nframes : 1, sizeof *frames);
    uint32_t *lens = calloc(nframes ? nframes : 1, sizeof *lens);
    for (uint32_t i = 0; i < nframes; i++) lens[i] = u32(in), frames[i] = take(in, lens[i]);
    struct bpfoff_xdp_result *res = calloc(nframes ? nframes : 1, sizeof *res);
    uint8_t **copies = calloc(nframes ? nframes : 1, sizeof *copies);
    uint32_t done = 0;
    /* repeat > 1: the benchmark (bench/native.mjs) runs the frames that many times over. */
    for (uint32_t r = 0; r < (repeat ? repeat : 1) && !status; r++)
      for (uint32_t i = 0; i < nframes; i++) {
        if (bpfoff_run_xdp(env, prog, frames[i], lens[i], ifindex, &res[i], &fault)) {
          status = 1;
          failed_at = i;
          break;
        }
        if (r == 0) {
          copies[i] = malloc(res[i].len ? res[i].len : 1);
          memcpy(copies[i], res[i].data, res[i].len);
          done = i + 1;
        }
      }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    w32(out, status ? 1 : 0);
    w32(out, fault.kind), w32(out, fault.pc), w32(out, fault.size), w32(out, fault.store), w64(out, fault.addr), w32(out, failed_at);
    w32(out, done);
    for (uint32_t i = 0; i < done; i++) {
      w64(out, res[i].r0);
      w64(out, (uint64_t)res[i].redirect_ifindex);
      w32(out, res[i].len);
      fwrite(copies[i], 1, res[i].len, out);
    }
  }
  alarm(0);
  for (uint32_t i = 0; i < nmaps; i++) {
    w32(out, bpfoff_map_count(env, i));
    uint64_t cursor = 0;
    const uint8_t *k, *v;
    while (bpfoff_map_next(env, i, &cursor, &k, &v)) {
      fwrite(k, 1, defs[i].key_size, out);
      if (defs[i].kind == BPFOFF_MAP_TCAM) fwrite(k + defs[i].key_size, 1, defs[i].key_size + 4, out); /* mask, priority */
      fwrite(v, 1, defs[i].value_size, out);
    }
  }
  w64(out, (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)(t1.tv_nsec - t0.tv_nsec));
  fclose(out);
  bpfoff_env_free(env);
  return 0;
}
