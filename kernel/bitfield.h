/* Hardware words described once: a layout is a field list (name, lowest bit, width), and the
 * get/set accessors are generated from it, seL4 style, so no shift or mask is written twice. A
 * field is either a number (get returns it shifted down) or an address (get and set keep it in
 * place, the low bits being the alignment). Used by the AVIC tables (avic/avic_table.h), the
 * IOMMU's structures (iommu/) and the VMCB's control words (svm/vmcb.h). */
#ifndef KERNEL_BITFIELD_H
#define KERNEL_BITFIELD_H

#include "kernel/types.h"

/* Accessors for one field of a `word_t` word: prefix_get_name(w) and prefix_set_name(w, value).
 * A value wider than the field is truncated to it, never spilled into the neighbours. */
#define BITFIELD_MASK(word_t, lo, width) ((word_t)((((word_t)1 << ((width)-1)) << 1) - 1) << (lo))

#define BITFIELD_NUMBER_FIELD(word_t, prefix, name, lo, width)                                   \
	static inline word_t prefix##_get_##name(word_t w)                                         \
	{                                                                                          \
		return (w & BITFIELD_MASK(word_t, lo, width)) >> (lo);                           \
	}                                                                                          \
	static inline word_t prefix##_set_##name(word_t w, word_t value)                           \
	{                                                                                          \
		return (w & ~BITFIELD_MASK(word_t, lo, width)) |                                 \
		       ((value << (lo)) & BITFIELD_MASK(word_t, lo, width));                     \
	}

#define BITFIELD_ADDRESS_FIELD(word_t, prefix, name, lo, width)                                  \
	static inline word_t prefix##_get_##name(word_t w)                                         \
	{                                                                                          \
		return w & BITFIELD_MASK(word_t, lo, width);                                     \
	}                                                                                          \
	static inline word_t prefix##_set_##name(word_t w, word_t address)                         \
	{                                                                                          \
		return (w & ~BITFIELD_MASK(word_t, lo, width)) |                                 \
		       (address & BITFIELD_MASK(word_t, lo, width));                             \
	}

/* One field list entry F(word type, accessor prefix, name, lowest bit, width, NUMBER|ADDRESS). */
#define BITFIELD(word_t, prefix, name, lo, width, kind)                                    \
	BITFIELD_##kind##_FIELD(word_t, prefix, name, lo, width)

#endif
