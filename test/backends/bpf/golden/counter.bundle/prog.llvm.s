<main>:
w2 = *(u32 *)(r1 + 0)
w3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
r0 = 2
if r4 > r3 goto +4
w1 = *(u8 *)(r2 + 0)
r1 &= 3
call 2
r0 = 2
exit
<count>:
*(u32 *)(r10 - 4) = w1
r2 = r10
r2 += -4
r1 = hits ll
call 1
if r0 == 0 goto +2
r1 = 1
lock *(u64 *)(r0 + 0) += r1
exit
