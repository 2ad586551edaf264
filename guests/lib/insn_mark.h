/* A mark for the outer QEMU's instruction-count plugin (tools/qemu/plugins/insn_marks.c,
 * docs/bench.md "Instructions per operation"): `nopl 0x6b72616d(%eax)`, a multi-byte NOP (AMD64
 * APM vol. 3, NOP) with a displacement no compiler emits. It does nothing on any CPU; under the
 * plugin, the instructions every emulated CPU has executed are printed when it runs. */
#ifndef GUESTS_LIB_INSN_MARK_H
#define GUESTS_LIB_INSN_MARK_H

static inline void insn_mark(void)
{
	__asm__ volatile("nopl 0x6b72616d(%%eax)" ::: "memory");
}

#endif
