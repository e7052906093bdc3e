<main>:
w2 = *(u32 *)(r1 + 0)
w1 = *(u32 *)(r1 + 4)
r5 = r2
r5 += 1
if r5 > r1 goto +14
w1 = *(u8 *)(r2 + 0)
r1 &= 3
*(u32 *)(r10 - 4) = w1
r2 = r10
r2 += -4
r1 = hits ll
call 1
r1 = r0
if r1 == 0 goto +4
r0 = 1
lock *(u64 *)(r1 + 0) += r0
r0 = 2
exit
r0 = 2
exit
