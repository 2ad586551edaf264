/* Interrupt message destinations: which local APICs an ICR, IOAPIC or MSI message reaches (Intel
 * SDM vol. 3 11.6.2 "Determining IPI Destination", 11.12.10 x2APIC logical mode; AMD APM vol. 2
 * 16.6), lowest-priority arbitration, and the AVIC logical APIC ID table index (APM 15.29.3.2).
 *
 * Everything works on a plain array describing the vCPUs of one VM, indexed as the caller indexes
 * its vCPUs; results are bitmaps of those indexes. */
#ifndef AVIC_APIC_ROUTE_H
#define AVIC_APIC_ROUTE_H

#include "kernel/types.h"

#define APIC_ROUTE_MAX_VCPUS 64
#define APIC_ROUTE_NO_SELF   0xFFFFFFFFu /* self_index of a message no local APIC sent */

/* What routing needs to know of one local APIC (vapic_route_info() fills it from a vapic). */
struct apic_route_vcpu {
	uint32_t apic_id; /* plain ID: the x2APIC ID, or ID register bits 31:24 in xAPIC mode */
	uint32_t ldr;     /* LDR register as held in the page */
	uint32_t dfr;     /* DFR register (xAPIC mode; all ones in x2APIC mode) */
	bool x2apic;      /* APIC in x2APIC mode */
	bool hw_enabled;  /* IA32_APIC_BASE.EN: a disabled APIC receives nothing */
	bool sw_enabled;  /* SVR bit 8 */
	uint8_t ppr;      /* processor priority, for lowest-priority arbitration */
	uint8_t arb_id;   /* arbitration ID, the tie-break (the APIC ID on P4 and later) */
};

/* An ICR, or an IOAPIC/MSI message expressed as one (shorthand none). */
struct apic_icr {
	uint8_t vector;
	uint8_t delivery_mode; /* APIC_DM_* */
	bool logical;          /* destination mode */
	bool level_assert;     /* ICR bit 14 */
	bool level_trigger;    /* trigger mode, ICR bit 15 */
	uint8_t shorthand;     /* APIC_SHORTHAND_* */
	uint32_t dest;         /* 8-bit xAPIC or 32-bit x2APIC destination */
	bool init_deassert;    /* INIT, level trigger, de-assert: no effect on P4/AMD and later */
};

/* Decodes an ICR: xAPIC ICR_HI:ICR_LO (destination in bits 63:56) or the x2APIC 64-bit ICR
 * (destination in bits 63:32), as struct vapic_effects reports it. */
struct apic_icr apic_icr_decode(uint64_t icr, bool x2apic);

/* The APICs a destination addresses, before acceptance rules. x2apic_mode is the message format:
 * a 32-bit destination with broadcast 0xFFFFFFFF, or 8 bits with broadcast 0xFF. Physical mode
 * compares the APIC ID. Logical mode is interpreted per receiver: an x2APIC receiver matches
 * cluster dest[31:16] and a bit of dest[15:0] against its LDR; an xAPIC receiver applies its DFR
 * model to dest[7:0] (flat: LDR[31:24] & dest; cluster: high nibble equal or 0xF, and a common
 * bit in the low nibble). An xAPIC-format 0xFF reaches every x2APIC receiver in either mode, as
 * KVM does for IOAPIC and MSI messages. Shorthands ignore dest; self_index may be
 * APIC_ROUTE_NO_SELF. n <= APIC_ROUTE_MAX_VCPUS. */
uint64_t apic_route_dest(const struct apic_route_vcpu *v, unsigned n, unsigned self_index,
                         uint32_t dest, bool logical, unsigned shorthand, bool x2apic_mode);

/* Drops the targets that would not accept a message of `delivery_mode`: a hardware-disabled APIC
 * accepts nothing; a software-disabled one accepts only NMI, SMI, INIT and start-up (SDM
 * 11.4.7.2), so fixed, lowest-priority and ExtINT messages skip it. */
uint64_t apic_route_accepting(const struct apic_route_vcpu *v, unsigned n, uint64_t targets,
                              unsigned delivery_mode);

/* Lowest-priority arbitration among `targets`: the lowest PPR wins; ties go to the lowest arb_id,
 * then to the lowest index, so the choice is deterministic (no rotation, no focus processor).
 * Returns the index, or -1 if targets is empty. */
int apic_route_lowest_priority(const struct apic_route_vcpu *v, unsigned n, uint64_t targets);

/* The vCPUs that receive `m`: destination, acceptance, and for lowest priority the one winner.
 * INIT level de-assert reaches nobody. */
uint64_t apic_route_message(const struct apic_route_vcpu *v, unsigned n, unsigned self_index,
                            const struct apic_icr *m, bool x2apic_mode);

/* Index of an xAPIC logical ID in the AVIC logical APIC ID table (APM 15.29.3.2): flat model,
 * log2(LDR[31:24]); cluster model, cluster * 4 + log2(member bit). -1 unless exactly one bit is
 * set, for cluster 0xF (the broadcast cluster), or for an unknown DFR model. */
int apic_route_avic_logical_index(uint32_t ldr, uint32_t dfr);

#endif
