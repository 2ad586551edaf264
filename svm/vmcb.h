/* The Virtual Machine Control Block (AMD APM vol. 2 §15.5 and Appendix B, "Layout of VMCB"):
 * a 4 KiB page, control area at 0x000 and state-save area at 0x400. Every field carries its
 * byte offset; _Static_asserts pin the layout. */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include "kernel/bitfield.h"
#include "kernel/types.h"

struct vmcb_seg {
	uint16_t selector; /* +0x0 */
	uint16_t attrib;   /* +0x2: packed attributes (APM Table B-2) */
	uint32_t limit;    /* +0x4 */
	uint64_t base;     /* +0x8 */
};

struct vmcb_control {
	uint16_t intercept_cr_read;   /* 0x000 */
	uint16_t intercept_cr_write;  /* 0x002 */
	uint16_t intercept_dr_read;   /* 0x004 */
	uint16_t intercept_dr_write;  /* 0x006 */
	uint32_t intercept_exceptions; /* 0x008 */
	uint32_t intercept_misc1;     /* 0x00c: INTR, NMI, ..., SHUTDOWN (vector 3) */
	uint32_t intercept_misc2;     /* 0x010: VMRUN, VMMCALL, ... (vector 4) */
	uint32_t intercept_misc3;     /* 0x014: INVLPGB, ... (vector 5) */
	uint8_t reserved_018[0x03c - 0x018];
	uint16_t pause_filter_threshold; /* 0x03c */
	uint16_t pause_filter_count;  /* 0x03e */
	uint64_t iopm_base_pa;        /* 0x040 */
	uint64_t msrpm_base_pa;       /* 0x048 */
	uint64_t tsc_offset;          /* 0x050 */
	uint32_t asid;                /* 0x058 */
	uint8_t tlb_control;          /* 0x05c */
	uint8_t reserved_05d[3];
	uint64_t int_ctl;             /* 0x060: V_TPR, V_IRQ, V_INTR_PRIO, ..., AVIC enable (bit 31) */
	uint64_t int_state;           /* 0x068: bit 0 interrupt shadow, bit 1 guest IF (GIF) */
	uint64_t exit_code;           /* 0x070 */
	uint64_t exit_info1;          /* 0x078 */
	uint64_t exit_info2;          /* 0x080 */
	uint64_t exit_int_info;       /* 0x088 */
	uint64_t np_control;          /* 0x090: bit 0 NP_ENABLE */
	uint64_t avic_vapic_bar;      /* 0x098 */
	uint64_t ghcb_pa;             /* 0x0a0 */
	uint64_t event_inj;           /* 0x0a8 */
	uint64_t n_cr3;               /* 0x0b0 */
	uint64_t lbr_virt;            /* 0x0b8 */
	uint32_t clean_bits;          /* 0x0c0 */
	uint32_t reserved_0c4;
	uint64_t next_rip;            /* 0x0c8: nRIP, with NRIP save */
	uint8_t insn_len;             /* 0x0d0: with decode assists */
	uint8_t insn_bytes[15];       /* 0x0d1 */
	uint64_t avic_backing_page;   /* 0x0e0 */
	uint64_t reserved_0e8;
	uint64_t avic_logical_table;  /* 0x0f0 */
	uint64_t avic_physical_table; /* 0x0f8: table PA | max index (bits 11:0) */
	uint64_t reserved_100;
	uint64_t vmsa_pa;             /* 0x108 */
	uint8_t reserved_110[0x400 - 0x110];
};

struct vmcb_save {
	struct vmcb_seg es;           /* 0x400 */
	struct vmcb_seg cs;           /* 0x410 */
	struct vmcb_seg ss;           /* 0x420 */
	struct vmcb_seg ds;           /* 0x430 */
	struct vmcb_seg fs;           /* 0x440 */
	struct vmcb_seg gs;           /* 0x450 */
	struct vmcb_seg gdtr;         /* 0x460 */
	struct vmcb_seg ldtr;         /* 0x470 */
	struct vmcb_seg idtr;         /* 0x480 */
	struct vmcb_seg tr;           /* 0x490 */
	uint8_t reserved_4a0[0x4cb - 0x4a0];
	uint8_t cpl;                  /* 0x4cb */
	uint32_t reserved_4cc;
	uint64_t efer;                /* 0x4d0 */
	uint8_t reserved_4d8[0x548 - 0x4d8];
	uint64_t cr4;                 /* 0x548 */
	uint64_t cr3;                 /* 0x550 */
	uint64_t cr0;                 /* 0x558 */
	uint64_t dr7;                 /* 0x560 */
	uint64_t dr6;                 /* 0x568 */
	uint64_t rflags;              /* 0x570 */
	uint64_t rip;                 /* 0x578 */
	uint8_t reserved_580[0x5d8 - 0x580];
	uint64_t rsp;                 /* 0x5d8 */
	uint64_t s_cet;               /* 0x5e0 */
	uint64_t ssp;                 /* 0x5e8 */
	uint64_t isst_addr;           /* 0x5f0 */
	uint64_t rax;                 /* 0x5f8 */
	uint64_t star;                /* 0x600 */
	uint64_t lstar;               /* 0x608 */
	uint64_t cstar;               /* 0x610 */
	uint64_t sfmask;              /* 0x618 */
	uint64_t kernel_gs_base;      /* 0x620 */
	uint64_t sysenter_cs;         /* 0x628 */
	uint64_t sysenter_esp;        /* 0x630 */
	uint64_t sysenter_eip;        /* 0x638 */
	uint64_t cr2;                 /* 0x640 */
	uint8_t reserved_648[0x668 - 0x648];
	uint64_t g_pat;               /* 0x668 */
	uint64_t dbgctl;              /* 0x670 */
	uint64_t br_from;             /* 0x678 */
	uint64_t br_to;               /* 0x680 */
	uint64_t last_excp_from;      /* 0x688 */
	uint64_t last_excp_to;        /* 0x690 */
	uint8_t reserved_698[0x6e0 - 0x698];
	uint64_t spec_ctrl;           /* 0x6e0: the guest's SPEC_CTRL with V_SPEC_CTRL (svm/cpu/spec.h) */
	uint8_t reserved_6e8[0x1000 - 0x6e8];
};

struct vmcb {
	struct vmcb_control control; /* 0x000 */
	struct vmcb_save save;       /* 0x400 */
};

_Static_assert(offsetof(struct vmcb, control.iopm_base_pa) == 0x040, "VMCB iopm");
_Static_assert(offsetof(struct vmcb, control.int_ctl) == 0x060, "VMCB int_ctl");
_Static_assert(offsetof(struct vmcb, control.exit_code) == 0x070, "VMCB exit_code");
_Static_assert(offsetof(struct vmcb, control.np_control) == 0x090, "VMCB np_control");
_Static_assert(offsetof(struct vmcb, control.avic_vapic_bar) == 0x098, "VMCB V_APIC_BAR");
_Static_assert(offsetof(struct vmcb, control.event_inj) == 0x0a8, "VMCB EVENTINJ");
_Static_assert(offsetof(struct vmcb, control.n_cr3) == 0x0b0, "VMCB N_CR3");
_Static_assert(offsetof(struct vmcb, control.next_rip) == 0x0c8, "VMCB nRIP");
_Static_assert(offsetof(struct vmcb, control.avic_backing_page) == 0x0e0, "VMCB AVIC backing");
_Static_assert(offsetof(struct vmcb, control.avic_logical_table) == 0x0f0, "VMCB AVIC logical");
_Static_assert(offsetof(struct vmcb, control.avic_physical_table) == 0x0f8, "VMCB AVIC physical");
_Static_assert(offsetof(struct vmcb, save.es) == 0x400, "VMCB save area");
_Static_assert(offsetof(struct vmcb, save.spec_ctrl) == 0x6e0, "VMCB SPEC_CTRL");
_Static_assert(offsetof(struct vmcb, save.cpl) == 0x4cb, "VMCB CPL");
_Static_assert(offsetof(struct vmcb, save.efer) == 0x4d0, "VMCB EFER");
_Static_assert(offsetof(struct vmcb, save.cr4) == 0x548, "VMCB CR4");
_Static_assert(offsetof(struct vmcb, save.rflags) == 0x570, "VMCB RFLAGS");
_Static_assert(offsetof(struct vmcb, save.rip) == 0x578, "VMCB RIP");
_Static_assert(offsetof(struct vmcb, save.rsp) == 0x5d8, "VMCB RSP");
_Static_assert(offsetof(struct vmcb, save.rax) == 0x5f8, "VMCB RAX");
_Static_assert(offsetof(struct vmcb, save.cr2) == 0x640, "VMCB CR2");
_Static_assert(offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB G_PAT");
_Static_assert(sizeof(struct vmcb) == 0x1000, "VMCB is one page");

/* intercept_misc1 (APM Table B-1, offset 0x0c) */
#define INTERCEPT_INTR BIT(0)
#define INTERCEPT_NMI BIT(1)
#define INTERCEPT_SMI BIT(2)
#define INTERCEPT_INIT BIT(3)
#define INTERCEPT_VINTR BIT(4)
#define INTERCEPT_CR0_SEL BIT(5)
#define INTERCEPT_RDPMC BIT(15)
#define INTERCEPT_IRET BIT(20)
#define INTERCEPT_INTN BIT(21)
#define INTERCEPT_INVD BIT(22)
#define INTERCEPT_PAUSE BIT(23)
#define INTERCEPT_HLT BIT(24)
#define INTERCEPT_INVLPGA_ BIT(26)
#define INTERCEPT_IOIO_PROT BIT(27)
#define INTERCEPT_MSR_PROT BIT(28)
#define INTERCEPT_TASK_SWITCH BIT(29)
#define INTERCEPT_FERR_FREEZE BIT(30)
#define INTERCEPT_SHUTDOWN BIT(31)
#define INTERCEPT_CPUID BIT(18)
/* intercept_misc2 (offset 0x10) */
#define INTERCEPT_VMRUN BIT(0)
#define INTERCEPT_VMMCALL BIT(1)
#define INTERCEPT_VMLOAD BIT(2)
#define INTERCEPT_VMSAVE BIT(3)
#define INTERCEPT_STGI BIT(4)
#define INTERCEPT_CLGI BIT(5)
#define INTERCEPT_SKINIT BIT(6)
#define INTERCEPT_RDTSCP BIT(7)
#define INTERCEPT_ICEBP BIT(8)
#define INTERCEPT_WBINVD BIT(9)
#define INTERCEPT_MONITOR BIT(10)
#define INTERCEPT_MWAIT BIT(11)
#define INTERCEPT_XSETBV BIT(13)
#define INTERCEPT_RDPRU BIT(14)

/* The virtual interrupt control word int_ctl, offset 060h (APM vol. 2 Table B-1):
 * int_ctl_get_v_irq(w), int_ctl_set_avic_enable(w, 1), ... */
#define INT_CTL_FIELDS(F)                                                                          \
	F(uint64_t, int_ctl, v_tpr, 0, 8, NUMBER)                                                  \
	F(uint64_t, int_ctl, v_irq, 8, 1, NUMBER)          /* a virtual interrupt is pending */    \
	F(uint64_t, int_ctl, v_intr_prio, 16, 4, NUMBER)                                           \
	F(uint64_t, int_ctl, v_ign_tpr, 20, 1, NUMBER)                                             \
	F(uint64_t, int_ctl, v_intr_masking, 24, 1, NUMBER) /* the guest's IF masks virtual only */ \
	F(uint64_t, int_ctl, avic_enable, 31, 1, NUMBER)                                           \
	F(uint64_t, int_ctl, v_intr_vector, 32, 8, NUMBER)
INT_CTL_FIELDS(BITFIELD)

/* int_state, offset 068h */
#define INT_STATE_FIELDS(F) F(uint64_t, int_state, shadow, 0, 1, NUMBER)
INT_STATE_FIELDS(BITFIELD)

#define NP_ENABLE BIT(0)
#define TLB_CONTROL_DO_NOTHING 0
#define TLB_CONTROL_FLUSH_ALL 1
#define TLB_CONTROL_FLUSH_ASID 3

/* EVENTINJ and EXITINTINFO, one layout (APM vol. 2 §15.20, Figure 15-6). */
#define EVENT_FIELDS(F)                                                                            \
	F(uint64_t, event, vector, 0, 8, NUMBER)                                                   \
	F(uint64_t, event, type, 8, 3, NUMBER) /* enum event_type */                               \
	F(uint64_t, event, error_valid, 11, 1, NUMBER)                                             \
	F(uint64_t, event, valid, 31, 1, NUMBER)                                                   \
	F(uint64_t, event, error_code, 32, 32, NUMBER)
EVENT_FIELDS(BITFIELD)

enum event_type { EVENT_INTR = 0, EVENT_NMI = 2, EVENT_EXCEPTION = 3, EVENT_SOFT_INT = 4 };

/* A valid event of that type and vector, without an error code. */
static inline uint64_t event_make(enum event_type type, uint8_t vector)
{
	return event_set_valid(event_set_type(event_set_vector(0, vector), type), 1);
}

/* The same with an error code pushed. */
static inline uint64_t event_make_with_error(enum event_type type, uint8_t vector, uint32_t error)
{
	return event_set_error_code(event_set_error_valid(event_make(type, vector), 1), error);
}

/* Exit codes (APM Appendix C) */
#define VMEXIT_CR0_WRITE 0x010
#define VMEXIT_CR4_WRITE 0x014
#define VMEXIT_CR8_WRITE 0x018
#define VMEXIT_EXCP_BASE 0x040
#define VMEXIT_INTR 0x060
#define VMEXIT_NMI 0x061
#define VMEXIT_SMI 0x062
#define VMEXIT_INIT 0x063
#define VMEXIT_VINTR 0x064
#define VMEXIT_CR0_SEL_WRITE 0x065
#define VMEXIT_RDTSC 0x06e
#define VMEXIT_RDPMC 0x06f
#define VMEXIT_PUSHF 0x070
#define VMEXIT_POPF 0x071
#define VMEXIT_CPUID 0x072
#define VMEXIT_RSM 0x073
#define VMEXIT_IRET 0x074
#define VMEXIT_SWINT 0x075
#define VMEXIT_INVD 0x076
#define VMEXIT_PAUSE 0x077
#define VMEXIT_HLT 0x078
#define VMEXIT_INVLPG 0x079
#define VMEXIT_INVLPGA 0x07a
#define VMEXIT_IOIO 0x07b
#define VMEXIT_MSR 0x07c
#define VMEXIT_TASK_SWITCH 0x07d
#define VMEXIT_FERR_FREEZE 0x07e
#define VMEXIT_SHUTDOWN 0x07f
#define VMEXIT_VMRUN 0x080
#define VMEXIT_VMMCALL 0x081
#define VMEXIT_VMLOAD 0x082
#define VMEXIT_VMSAVE 0x083
#define VMEXIT_STGI 0x084
#define VMEXIT_CLGI 0x085
#define VMEXIT_SKINIT 0x086
#define VMEXIT_RDTSCP 0x087
#define VMEXIT_ICEBP 0x088
#define VMEXIT_WBINVD 0x089
#define VMEXIT_MONITOR 0x08a
#define VMEXIT_MWAIT 0x08b
#define VMEXIT_MWAIT_COND 0x08c
#define VMEXIT_XSETBV 0x08d
#define VMEXIT_RDPRU 0x08e
#define VMEXIT_NPF 0x400
#define VMEXIT_AVIC_INCOMPLETE_IPI 0x401
#define VMEXIT_AVIC_NOACCEL 0x402
#define VMEXIT_INVALID 0xffffffffu /* compare as 32 bits: QEMU 7.2 writes 0x00000000ffffffff */

/* IOIO EXITINFO1 (APM vol. 2 §15.10.2, Figure 15-2): ioio_info_get_port(info), ... */
#define IOIO_INFO_FIELDS(F)                                                                        \
	F(uint64_t, ioio_info, in, 0, 1, NUMBER)    /* IN/INS, else OUT/OUTS */                    \
	F(uint64_t, ioio_info, str, 2, 1, NUMBER)   /* INS/OUTS */                                 \
	F(uint64_t, ioio_info, rep, 3, 1, NUMBER)   /* with a REP prefix */                        \
	F(uint64_t, ioio_info, sz8, 4, 1, NUMBER)   /* operand size, one-hot */                    \
	F(uint64_t, ioio_info, sz16, 5, 1, NUMBER)                                                 \
	F(uint64_t, ioio_info, sz32, 6, 1, NUMBER)                                                 \
	F(uint64_t, ioio_info, a16, 7, 1, NUMBER)   /* address size, one-hot */                    \
	F(uint64_t, ioio_info, a32, 8, 1, NUMBER)                                                  \
	F(uint64_t, ioio_info, a64, 9, 1, NUMBER)                                                  \
	F(uint64_t, ioio_info, seg, 10, 3, NUMBER)  /* INS/OUTS segment (with decode assists) */   \
	F(uint64_t, ioio_info, port, 16, 16, NUMBER)
IOIO_INFO_FIELDS(BITFIELD)

/* The operand size in bytes (1, 2 or 4). */
static inline unsigned ioio_info_size(uint64_t info)
{
	return ioio_info_get_sz32(info) ? 4 : ioio_info_get_sz16(info) ? 2 : 1;
}

/* The mask of the address size INS/OUTS use for rSI/rDI/rCX. */
static inline uint64_t ioio_info_address_mask(uint64_t info)
{
	return ioio_info_get_a16(info) ? 0xffffull : ioio_info_get_a32(info) ? 0xffffffffull : ~0ull;
}

/* #NPF EXITINFO1: the page-fault error code of the nested walk (APM vol. 2 §15.25.6). */
#define NPF_INFO_FIELDS(F)                                                                         \
	F(uint64_t, npf_info, present, 0, 1, NUMBER)                                               \
	F(uint64_t, npf_info, write, 1, 1, NUMBER)                                                 \
	F(uint64_t, npf_info, user, 2, 1, NUMBER)                                                  \
	F(uint64_t, npf_info, reserved_bit, 3, 1, NUMBER)                                          \
	F(uint64_t, npf_info, fetch, 4, 1, NUMBER)                                                 \
	F(uint64_t, npf_info, final_gpa, 32, 1, NUMBER)  /* the guest's final physical address */ \
	F(uint64_t, npf_info, table_walk, 33, 1, NUMBER) /* a guest page-table access */
NPF_INFO_FIELDS(BITFIELD)

/* Segment attribute encoding helpers: type | S | DPL | P | AVL | L | D/B | G (APM Table B-2) */
#define SEG_ATTR(type, s, dpl, p, l, db, g)                                                        \
	((type) | ((s) << 4) | ((dpl) << 5) | ((p) << 7) | ((l) << 9) | ((db) << 10) | ((g) << 11))

#endif
