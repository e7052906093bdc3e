# One hash lookup of the 4-byte key 10.1.2.3: its cycles against hash-base.s, with hash-0/1/3/m.json
# (an empty map; the key in its home slot; keys 12 and 33, which share its home slot, inserted
# first, so that the key sits two slots on; 12, 33 and 46 but not the key: a miss after three live slots).
.map t hash key=4 value=8 entries=16
stw [%r10-4], 0x0302010a
mov %r2, %r10
add %r2, -4
lddw %r1, map(t)
call 1
exit
