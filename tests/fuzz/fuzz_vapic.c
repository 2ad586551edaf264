// sources: avic/vlapic/vapic.c avic/vlapic/apic_route.c
/* Fuzz target for the virtual local APIC's register interface (avic/vlapic/vapic.c), what a guest
 * reaches with xAPIC MMIO writes, x2APIC WRMSR and IA32_APIC_BASE writes, together with the
 * delivery of the IPIs those writes send (ICR decoding and routing, avic/vlapic/apic_route.c).
 *
 * Input: the number of vCPUs (1-4), then operations, one byte each (bits 3:0 the operation, 7:4
 * the vCPU) and its operands: MMIO write (register index, 4-byte value), MMIO read, x2APIC MSR
 * write (0x800 + byte, 8-byte value) and read, IA32_APIC_BASE write (8-byte value, MAXPHYADDR
 * 32-52), interrupt arrival (vector, trigger), the CPU taking the pending interrupt, time passing
 * (2 bytes of bus ticks, then every timer is polled), INIT. An IPI a write sends is decoded with
 * apic_icr_decode() and routed with apic_route_message(); fixed and lowest-priority messages are
 * posted to their targets with vapic_deliver_fixed().
 * Invariants, after every operation: no vector below 16 is ever requested or in service; a
 * pending vector is of a higher class than the PPR; a timer's deadline is never in the past once
 * polled; its current count is never above TMICT; x2APIC MSRs #GP outside x2APIC mode; reads of
 * ESR and the ID give what the mode allows; an EOI reports a vector that was in service. */
#include <stdlib.h>
#include <string.h>

#include "avic/vlapic/apic_regs.h"
#include "avic/vlapic/apic_route.h"
#include "avic/vlapic/vapic.h"
#include "tests/fuzz/fuzz.h"

#define MAX_VCPUS 4

static uint8_t pages[MAX_VCPUS][APIC_PAGE_SIZE] __attribute__((aligned(4096)));
static struct vapic vapics[MAX_VCPUS];
static unsigned n;
static uint64_t now;

static bool vector_bit(const uint8_t *page, unsigned base, unsigned vector)
{
	return apic_reg_read(page, base + (vector / 32) * 16) & (1u << (vector % 32));
}

static void check_vapic(unsigned i)
{
	const struct vapic *v = &vapics[i];
	for (unsigned vec = 0; vec < APIC_FIRST_LEGAL_VECTOR; vec++) {
		FUZZ_CHECK(!vector_bit(v->page, APIC_IRR, vec), "vCPU %u: illegal vector %u requested",
		           i, vec);
		FUZZ_CHECK(!vector_bit(v->page, APIC_ISR, vec), "vCPU %u: illegal vector %u in service",
		           i, vec);
	}
	int irr = vapic_highest_irr(v->page), isr = vapic_highest_isr(v->page);
	FUZZ_CHECK(irr >= -1 && irr < 256 && isr >= -1 && isr < 256, "vCPU %u: IRR %d ISR %d", i,
	           irr, isr);
	int pending = vapic_pending_vector(v->page);
	if (pending >= 0)
		FUZZ_CHECK(pending == irr && (pending >> 4) > (vapic_ppr(v->page) >> 4),
		           "vCPU %u: pending %d with IRR %d and PPR %#x", i, pending, irr,
		           vapic_ppr(v->page));
	uint64_t deadline = vapic_timer_deadline(v);
	FUZZ_CHECK(deadline == VAPIC_TIMER_NONE || deadline >= v->timer.start,
	           "vCPU %u: deadline %llu before the timer started", i,
	           (unsigned long long)deadline);
	if (!v->x2apic && v->enabled_hw) {
		uint32_t tmict = apic_reg_read(v->page, APIC_TMICT);
		uint32_t count = vapic_timer_current_count(v, now);
		FUZZ_CHECK(count <= tmict || count == v->timer.start_count,
		           "vCPU %u: current count %u above TMICT %u", i, count, tmict);
	}
}

/* Delivers what a write asked for: an IPI to its targets. */
static void apply(unsigned from, const struct vapic_effects *fx, int isr_before_eoi)
{
	if (fx->eoi_vector >= 0)
		FUZZ_CHECK(fx->eoi_vector == isr_before_eoi, "vCPU %u: EOI of %d, %d was in service",
		           from, fx->eoi_vector, isr_before_eoi);
	if (!fx->send_ipi)
		return;
	struct apic_route_vcpu r[MAX_VCPUS];
	for (unsigned i = 0; i < n; i++)
		vapic_route_info(&vapics[i], &r[i]);
	struct apic_icr m = apic_icr_decode(fx->icr, vapics[from].x2apic);
	uint64_t targets = apic_route_message(r, n, from, &m, vapics[from].x2apic);
	FUZZ_CHECK(targets < (1ull << n), "IPI from vCPU %u to %#llx", from,
	           (unsigned long long)targets);
	if (m.delivery_mode == APIC_DM_LOWEST)
		FUZZ_CHECK((targets & (targets - 1)) == 0, "lowest priority IPI to %#llx",
		           (unsigned long long)targets);
	if (m.delivery_mode != APIC_DM_FIXED && m.delivery_mode != APIC_DM_LOWEST)
		return;
	FUZZ_CHECK(m.vector >= APIC_FIRST_LEGAL_VECTOR, "vCPU %u sent illegal vector %u", from,
	           m.vector);
	for (unsigned i = 0; i < n; i++)
		if (targets & (1ull << i))
			vapic_deliver_fixed(&vapics[i], m.vector, m.level_trigger);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_stream s = {data, size};
	struct vapic_effects fx;
	n = 1 + (unsigned)fuzz_take(&s, 1) % MAX_VCPUS;
	now = 0;
	for (unsigned i = 0; i < n; i++) {
		memset(&vapics[i], 0, sizeof(vapics[i]));
		vapics[i].page = pages[i];
		vapic_reset(&vapics[i], i, i == 0);
	}
	while (s.left) {
		uint8_t op = (uint8_t)fuzz_take(&s, 1);
		unsigned i = (op >> 4) % n;
		struct vapic *v = &vapics[i];
		int isr = vapic_highest_isr(v->page);
		uint64_t value;
		memset(&fx, 0, sizeof(fx));
		fx.eoi_vector = -1;
		switch (op & 15) {
		case 0: { /* xAPIC MMIO write */
			unsigned offset = (unsigned)fuzz_take(&s, 1) << 4;
			uint32_t w = (uint32_t)fuzz_take(&s, 4);
			if (!v->x2apic && v->enabled_hw) /* else the caller does not route it here */
				vapic_write(v, offset, w, now, &fx);
			break;
		}
		case 1: {
			unsigned offset = (unsigned)fuzz_take(&s, 1) << 4;
			if (!v->x2apic && v->enabled_hw) {
				uint32_t r = vapic_read(v, offset, now);
				if (offset == APIC_TMCCT)
					FUZZ_CHECK(r <= apic_reg_read(v->page, APIC_TMICT) ||
					               r == v->timer.start_count,
					           "TMCCT %u above TMICT", r);
			}
			break;
		}
		case 2: {
			uint32_t msr = 0x800 + (uint32_t)fuzz_take(&s, 1);
			value = fuzz_take(&s, 8);
			enum vapic_status st = vapic_msr_write(v, msr, value, now, &fx);
			FUZZ_CHECK(v->x2apic || st == VAPIC_GP, "WRMSR %#x outside x2APIC mode: no #GP",
			           msr);
			break;
		}
		case 3: {
			uint32_t msr = 0x800 + (uint32_t)fuzz_take(&s, 1);
			enum vapic_status st = vapic_msr_read(v, msr, now, &value);
			FUZZ_CHECK(v->x2apic || st == VAPIC_GP, "RDMSR %#x outside x2APIC mode: no #GP",
			           msr);
			if (st == VAPIC_OK && msr == 0x802)
				FUZZ_CHECK(value == vapic_id(v), "x2APIC ID %#llx, not %#x",
				           (unsigned long long)value, vapic_id(v));
			break;
		}
		case 4: {
			value = fuzz_take(&s, 8);
			unsigned maxphy = 32 + (unsigned)fuzz_take(&s, 1) % 21;
			uint64_t before = vapic_base_read(v);
			enum vapic_status st = vapic_base_write(v, value, maxphy, &fx);
			if (st == VAPIC_GP)
				FUZZ_CHECK(vapic_base_read(v) == before, "#GP base write changed the MSR");
			else
				FUZZ_CHECK((vapic_base_read(v) >> maxphy) == 0,
				           "APIC base %#llx beyond MAXPHYADDR %u",
				           (unsigned long long)vapic_base_read(v), maxphy);
			break;
		}
		case 5: {
			uint8_t vector = (uint8_t)fuzz_take(&s, 1);
			vapic_deliver_fixed(v, vector, fuzz_take(&s, 1) & 1);
			break;
		}
		case 6: {
			int vec = vapic_pending_vector(v->page);
			if (vec >= 0)
				vapic_accept(v->page, (uint8_t)vec);
			break;
		}
		case 7:
			now += fuzz_take(&s, 2);
			for (unsigned k = 0; k < n; k++) {
				vapic_timer_poll(&vapics[k], now);
				uint64_t d = vapic_timer_deadline(&vapics[k]);
				FUZZ_CHECK(d == VAPIC_TIMER_NONE || d > now,
				           "vCPU %u: deadline %llu not after now %llu once polled", k,
				           (unsigned long long)d, (unsigned long long)now);
			}
			break;
		case 8:
			vapic_init_signal(v);
			break;
		default: /* the common register writes once more, to make them likelier */
			if (!v->x2apic && v->enabled_hw)
				vapic_write(v, 0x300, (uint32_t)fuzz_take(&s, 4), now, &fx);
			break;
		}
		apply(i, &fx, isr);
		for (unsigned k = 0; k < n; k++)
			check_vapic(k);
	}
	return 0;
}

const struct fuzz_target fuzz_target = {
	.name = "vapic",
	.iterations = 30000,
	.max_len = 512,
};
