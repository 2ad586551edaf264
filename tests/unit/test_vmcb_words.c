// sources:
/* The VMCB's control words as field lists (svm/vmcb.h): the accessors give the APM's encodings,
 * and no two fields of one word overlap. */
#include "svm/vmcb.h"
#include "kernel/x86.h"
#include "tests/unit/check.h"

/* Every field list, folded into one mask per word: a bit claimed twice is a layout error. */
static uint64_t claimed, overlap;
#define CLAIM(word_t, prefix, name, lo, width, kind)                                               \
	do {                                                                                       \
		uint64_t m_ = BITFIELD_MASK(uint64_t, lo, width);                                  \
		overlap |= claimed & m_;                                                           \
		claimed |= m_;                                                                     \
	} while (0);

#define NO_OVERLAP(LIST)                                                                           \
	do {                                                                                       \
		claimed = overlap = 0;                                                             \
		LIST(CLAIM)                                                                        \
		CHECK_EQ(overlap, 0);                                                              \
	} while (0)

int main(void)
{
	NO_OVERLAP(INT_CTL_FIELDS);
	NO_OVERLAP(INT_STATE_FIELDS);
	NO_OVERLAP(EVENT_FIELDS);
	NO_OVERLAP(IOIO_INFO_FIELDS);
	NO_OVERLAP(NPF_INFO_FIELDS);

	/* EVENTINJ (APM §15.20): an NMI is type 2 vector 2, valid in bit 31 */
	CHECK_EQ(event_make(EVENT_NMI, VECTOR_NMI), 0x80000202ull);
	/* #GP with error code 0x18: EV (bit 11) and the code in bits 63:32 */
	CHECK_EQ(event_make_with_error(EVENT_EXCEPTION, VECTOR_GP, 0x18), 0x0000001880000b0dull);
	CHECK_EQ(event_make(EVENT_INTR, 0x41), 0x80000041ull);
	uint64_t e = event_make_with_error(EVENT_EXCEPTION, VECTOR_PF, 0xffffffffu);
	CHECK(event_get_valid(e) && event_get_error_valid(e));
	CHECK_EQ(event_get_type(e), EVENT_EXCEPTION);
	CHECK_EQ(event_get_vector(e), VECTOR_PF);
	CHECK_EQ(event_get_error_code(e), 0xffffffffu);
	CHECK(!event_get_valid(0));

	/* IOIO EXITINFO1 (APM §15.10.2): OUT DX, AL to 3F8h; REP INSW with 32-bit addresses */
	uint64_t out = 0x03f80010ull;
	CHECK_EQ(ioio_info_get_port(out), 0x3f8);
	CHECK(!ioio_info_get_in(out) && !ioio_info_get_str(out));
	CHECK_EQ(ioio_info_size(out), 1);
	uint64_t insw = (0x60ull << 16) | BIT(8) | BIT(5) | BIT(3) | BIT(2) | BIT(0);
	CHECK(ioio_info_get_in(insw) && ioio_info_get_str(insw) && ioio_info_get_rep(insw));
	CHECK_EQ(ioio_info_size(insw), 2);
	CHECK_EQ(ioio_info_address_mask(insw), 0xffffffffull);
	CHECK_EQ(ioio_info_size(BIT(6)), 4);
	CHECK_EQ(ioio_info_address_mask(BIT(9)), ~0ull);

	/* #NPF EXITINFO1: a write to a not-present page at the final GPA; a fetch */
	uint64_t npf = BIT(1) | BIT(32);
	CHECK(npf_info_get_write(npf) && npf_info_get_final_gpa(npf) && !npf_info_get_present(npf));
	CHECK(npf_info_get_fetch(BIT(4)) && !npf_info_get_write(BIT(4)));

	/* int_ctl: V_IRQ bit 8, priority 19:16, V_IGN_TPR 20, V_INTR_MASKING 24, AVIC 31 */
	uint64_t c = int_ctl_set_v_intr_prio(int_ctl_set_v_ign_tpr(int_ctl_set_v_irq(0, 1), 1), 0xf);
	CHECK_EQ(c, 0x001f0100ull);
	CHECK_EQ(int_ctl_set_v_intr_masking(0, 1), 0x01000000ull);
	CHECK_EQ(int_ctl_set_avic_enable(c, 1) & ~c, 0x80000000ull);
	CHECK_EQ(int_ctl_set_v_irq(c, 0), 0x001f0000ull);
	CHECK_EQ(int_state_set_shadow(3, 0), 2);
	return check_summary("vmcb_words");
}
