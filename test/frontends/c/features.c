// C features the frontend lowers, each a raw program over 64 bytes of memory (m), run by
// features.test.ts under bpfoff and clang -O2 -target bpf: r0 and the memory must agree.
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define RAW(n) SEC("raw/" #n) long n(unsigned char *m, long len)

struct pair { __u16 lo; __u16 hi; };
struct rec { __u8 kind; __u32 value; struct pair p; __u8 tag[3]; };
struct flags { __u8 a : 1, b : 3, c : 4; __u16 d : 12; __s8 e : 4; };
enum color { RED = 1, GREEN = 4, BLUE = GREEN * 2, LAST = -1 };
typedef int (*unused_fn)(int);
const volatile __u32 table[4] = { 10, 20, 30, 40 };
__u64 hits;
static int scale = 3;

static __always_inline int classify(__u32 x)
{
	switch (x & 7) {
	case 0:
		return 100;
	case 1:
	case 2:
		return 200 + x;
	case 3 ... 5:
		x *= 2;
		/* fall through */
	case 6:
		return 300 + x;
	default:
		break;
	}
	return -1;
}

static __attribute__((noinline)) __u32 sum_bytes(const __u8 *p, int n)
{
	__u32 s = 0;
	for (int i = 0; i < n; i++)
		s += p[i];
	return s;
}

RAW(switch_cases) { return classify(m[0]) + classify(m[1]) * 3; }

RAW(goto_loop)
{
	int i = 0, acc = 0;
again:
	acc += m[i] ^ i;
	if (++i < 8)
		goto again;
	return acc;
}

RAW(while_do)
{
	__u32 x = *(__u32 *)m, steps = 0;
	while (x > 1 && steps < 40) {
		x = (x & 1) ? 3 * x + 1 : x / 2;
		steps++;
	}
	do {
		steps += 100;
	} while (steps < 50);
	return steps * 1000 + (x & 0xff);
}

RAW(unrolled)
{
	long acc = 0;
#pragma unroll
	for (int i = 0; i < 6; i++) {
		if (m[i] == 0x55)
			continue;
		if (m[i] == 0xaa)
			break;
		acc = acc * 31 + m[i];
	}
	return acc;
}

RAW(structs)
{
	struct rec r = { .kind = m[0], .p = { .hi = 7 }, .tag = { 1, 2 } };
	struct rec copy;
	r.value = *(__u32 *)(m + 4);
	copy = r;
	copy.p.lo = (__u16)(copy.value >> 3);
	struct pair q = (struct pair){ .lo = m[9], .hi = m[10] };
	return copy.kind + copy.value + copy.p.lo * 3 + copy.p.hi + copy.tag[1] + copy.tag[2] + q.lo * 5 + q.hi + sizeof(struct rec) * 1000;
}

RAW(bitfields)
{
	struct flags f = { 0 };
	f.a = m[0];
	f.b = m[1];
	f.c = m[2];
	f.d = *(__u16 *)(m + 3);
	f.e = m[5];
	struct flags *g = (struct flags *)(m + 8);
	g->b = f.c;
	g->e = -3;
	return f.a + f.b * 2 + f.c * 16 + f.d * 256 + f.e * 100000 + g->a;
}

RAW(enums_and_arrays)
{
	enum color c = (m[0] & 1) ? BLUE : LAST;
	int arr[5] = { [2] = 9, [4] = c };
	__u8 idx = m[1] % 5;
	arr[idx] += m[2];
	return arr[0] + arr[1] * 2 + arr[2] * 3 + arr[3] * 4 + arr[4] * 5 + (c < 0) + table[m[3] & 3];
}

RAW(builtins)
{
	__u8 buf[12];
	__builtin_memcpy(buf, m, sizeof(buf));
	__builtin_memset(m + 20, 0x5a, 7);
	__builtin_memmove(m + 1, m, 8);
	long r = buf[0] != m[1];
	r += __builtin_bswap16(*(__u16 *)buf) + __builtin_bswap32(*(__u32 *)(buf + 4)) * 3;
	r += __builtin_bswap64(*(__u64 *)buf) >> 40;
	r += bpf_ntohs(*(__u16 *)(buf + 2)) + bpf_htonl(0x01020304);
	return r;
}

RAW(atomics)
{
	__u64 *p = (__u64 *)(m + 16);
	__u32 *q = (__u32 *)(m + 24);
	__sync_fetch_and_add(p, 5);
	long old = __sync_fetch_and_add(q, 3);
	__sync_fetch_and_or(p, 0x100);
	long x = __sync_fetch_and_xor(q, 0xff);
	__atomic_fetch_and(p, ~1ull, __ATOMIC_RELAXED);
	long y = __sync_val_compare_and_swap(q, x ^ 0xff, 77);
	__sync_fetch_and_add(&hits, 1);
	return old + x * 3 + y * 7 + hits + scale;
}

RAW(pointers)
{
	__u16 *w = (__u16 *)m;
	__u16 *end = w + 8;
	long s = 0;
	for (__u16 *p = w; p < end; p += 2)
		s += *p;
	long d = end - w;
	unsigned char *c = &m[3];
	c[1] = c[-1] + 1;
	return s + d * 1000 + (c - m) + m[4] + (sum_bytes(m, 4) << 20);
}

RAW(conditionals)
{
	int a = (signed char)m[0], b = m[1];
	int r = a < b ? a : b;
	r += (a && b) + (a || !b) * 2 + (a ?: 42);
	unsigned u = a;
	r += u > 5;            /* signed a converted to unsigned */
	r += (long)a < 5u;     /* long holds every unsigned int: a signed compare */
	r += a < sizeof(int);  /* int to unsigned long */
	return r + ({ int t = a * 2; t + 1; });
}

RAW(shifts_and_casts)
{
	__s8 s = m[0];
	__u8 u = m[0];
	long r = (s >> 1) + (u >> 1) + ((unsigned)s >> 28) + (s << 3) + (u << 20);
	r += (__s16)(u * 300) + (__u16)(s * 300) + (int)(__u32)s + (long)(unsigned long)(__s32)s;
	r ^= ~u + -s;
	return r;
}

char LICENSE[] SEC("license") = "GPL";
