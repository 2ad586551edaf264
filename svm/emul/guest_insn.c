#include "svm/emul/guest_insn.h"
#include "kernel/format.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "svm/vmcb.h"

#define SEG_ATTR_L BIT(9)
#define SEG_ATTR_DB BIT(10)

static enum cpu_mode guest_mode(const struct vmcb_save *s)
{
	if (!(s->cr0 & CR0_PE))
		return CPU_MODE_REAL16;
	if ((s->efer & EFER_LMA) && (s->cs.attrib & SEG_ATTR_L))
		return CPU_MODE_LONG64;
	return (s->cs.attrib & SEG_ATTR_DB) ? CPU_MODE_PROT32 : CPU_MODE_PROT16;
}

int guest_insn_read(const struct vmcb *vmcb, bool decode_assists, guest_read_fn rd, void *ctx,
		    struct insn *insn, char *why, size_t why_size)
{
	const struct vmcb_save *s = &vmcb->save;
	struct guest_paging p = {s->cr0, s->cr3, s->cr4, s->efer};
	enum cpu_mode mode = guest_mode(s);
	uint64_t linear = s->rip + (mode == CPU_MODE_LONG64 ? 0 : s->cs.base);
	if (mode != CPU_MODE_LONG64)
		linear &= 0xffffffffu;
	uint8_t bytes[15];
	uint32_t pf_error = 0;
	size_t got;
	const struct vmcb_control *c = &vmcb->control;
	if (decode_assists && c->insn_len && c->insn_len <= sizeof(bytes)) {
		/* Decode assists: on #NPF the CPU saved the bytes it fetched (APM §15.33.3) */
		memcpy(bytes, c->insn_bytes, c->insn_len);
		got = c->insn_len;
	} else {
		got = guest_read_virt(&p, linear, bytes, sizeof(bytes), WALK_FETCH, rd, ctx,
				      &pf_error);
	}
	if (!got) {
		format(why, why_size, "cannot fetch the instruction at RIP 0x%lx (linear 0x%lx)",
		       s->rip, linear);
		return -1;
	}
	if (decode_insn(bytes, got, mode, insn)) {
		format(why, why_size, "cannot decode the instruction at RIP 0x%lx (%02x %02x %02x %02x)",
		       s->rip, bytes[0], bytes[1], bytes[2], bytes[3]);
		return -1;
	}
	return 0;
}
