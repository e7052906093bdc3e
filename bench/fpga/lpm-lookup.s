# One LPM lookup of 10.1.2.3/32 (key 8 bytes): its cycles against lpm-base.s, with lpm-0/1/3.json
# (an empty trie; 10.1.0.0/16; /16, /24 and /28 prefixes, so that /28 and /24 miss before /16 hits).
.map t lpm_trie key=8 value=8 entries=16
stw [%r10-8], 32
stw [%r10-4], 0x0302010a
mov %r2, %r10
add %r2, -8
lddw %r1, map(t)
call 1
exit
