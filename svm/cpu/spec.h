/* Speculation controls around the world switch (docs/hardware.md "Speculation"): which barriers
 * and controls the CPU offers (CPUID Fn8000_0008_EBX, Fn8000_000A_EDX, Fn8000_0021_EAX; APM
 * vol. 3, appendix E), when an IBPB is due, and how a guest's SPEC_CTRL reaches the CPU.
 *
 * - IBPB (PRED_CMD bit 0) when a host CPU switches from a vCPU of one VM to a vCPU of another:
 *   branch predictions trained by one VM's guest code are never used by the next VM's.
 * - The return stack buffer is overwritten after every #VMEXIT, by svm_world_switch() before its
 *   RET (rsb_fill, svm/cpu/rsb_fill.S):
 *   return predictions the guest left are not followed by the host.
 * - A guest's SPEC_CTRL (IBRS, STIBP, SSBD, offered when the CPU has them) is in force while it
 *   runs: in the VMCB's SPEC_CTRL field (save area offset 2E0h) on a CPU with V_SPEC_CTRL,
 *   which VMRUN loads and #VMEXIT saves, else written into the MSR around VMRUN and the host's
 *   value written back after the exit.
 * The decisions are pure functions (host unit test: tests/unit/test_spec.c); the MSR writes are in
 * svm/cpu/spec_ctrl.c. */
#ifndef SVM_CPU_SPEC_H
#define SVM_CPU_SPEC_H

#include "kernel/types.h"

#define MSR_SPEC_CTRL 0x48u
#define SPEC_CTRL_IBRS BIT(0)
#define SPEC_CTRL_STIBP BIT(1)
#define SPEC_CTRL_SSBD BIT(2)
#define MSR_PRED_CMD 0x49u
#define PRED_CMD_IBPB BIT(0)

/* Fn8000_0008_EBX */
#define SPEC_88_IBPB BIT(12)
#define SPEC_88_IBRS BIT(14)
#define SPEC_88_STIBP BIT(15)
#define SPEC_88_SSBD BIT(24)
#define SPEC_88_BTC_NO BIT(29)   /* not affected by branch type confusion (Retbleed) */
#define SPEC_88_IBPB_RET BIT(30) /* IBPB also clears return address predictions */
/* Fn8000_000A_EDX */
#define SPEC_8A_V_SPEC_CTRL BIT(20)
/* Fn8000_0021_EAX */
#define SPEC_821_SBPB BIT(27)    /* PRED_CMD bit 7: selective branch predictor barrier */
#define SPEC_821_SRSO_NO BIT(29) /* not affected by speculative return stack overflow */

/* The CPUID words the decisions read (0 for a leaf the CPU does not have). */
struct spec_cpuid {
	uint32_t family;   /* display family (Fn0000_0001_EAX) */
	uint32_t ebx_88;   /* Fn8000_0008_EBX */
	uint32_t edx_8a;   /* Fn8000_000A_EDX */
	uint32_t eax_821;  /* Fn8000_0021_EAX */
};

enum spec_ctrl_mode {
	SPEC_CTRL_NONE, /* no SPEC_CTRL bit offered: the guest has no SPEC_CTRL, nothing switched */
	SPEC_CTRL_VMCB, /* V_SPEC_CTRL: VMRUN loads the guest's value from the VMCB */
	SPEC_CTRL_SWAP, /* MSR written before VMRUN and after #VMEXIT when guest and host differ */
};

struct spec_caps {
	bool ibpb;            /* PRED_CMD.IBPB */
	bool ibpb_ret;        /* ... which also flushes return predictions (SRSO: IBPB is enough) */
	uint64_t ctrl_bits;   /* SPEC_CTRL bits the CPU has (SPEC_CTRL_IBRS | STIBP | SSBD) */
	enum spec_ctrl_mode mode;
	bool retbleed;        /* family 17h without BTC_NO: Zen1/Zen2 branch type confusion */
	bool srso;            /* family 17h or 19h without SRSO_NO: Zen1-Zen4 */
};

/* What the CPU offers and what it is exposed to. */
struct spec_caps spec_caps_decode(const struct spec_cpuid *c);

/* VM tags: VM id + 1; 0 = no vCPU has run on this CPU yet. An IBPB is due when the CPU offers it
 * and the vCPU about to run belongs to a different VM than the last one that ran on this CPU
 * (vCPUs of the same VM trust each other; the host's own code is not a VM). */
bool spec_ibpb_due(const struct spec_caps *c, uint32_t last_vm_tag, uint32_t next_vm_tag);

/* Whether a guest's WRMSR to SPEC_CTRL with this value is one the CPU takes (else #GP). */
bool spec_ctrl_write_ok(const struct spec_caps *c, uint64_t value);

/* Whether the MSR must be written around VMRUN for a guest with this value (SWAP mode only). */
static inline bool spec_ctrl_swap_due(const struct spec_caps *c, uint64_t guest, uint64_t host)
{
	return c->mode == SPEC_CTRL_SWAP && guest != host;
}

/* --- hardware side (svm/cpu/spec_ctrl.c) --- */

extern struct spec_caps spec_caps;

/* Boot CPU, once: reads CPUID into spec_caps (a test hook may then change it). */
void spec_init(void);
/* The `spec:` lines: what is on, what is exposed. */
void spec_print(void);
const char *spec_ctrl_mode_name(enum spec_ctrl_mode m);
/* Every CPU before it runs a guest: its host SPEC_CTRL value. */
void spec_cpu_init(void);
/* vcpu_load(): the IBPB between VMs; true when one was issued. */
bool spec_vcpu_load(uint32_t vm_tag);
/* A guest's PRED_CMD write with IBPB set. */
void spec_ibpb(void);

/* Overwrites the return stack buffer with 32 entries that point at a speculation trap
 * (svm/cpu/rsb_fill.S). */
void rsb_fill(void);

/* Around svm_world_switch(): the guest's SPEC_CTRL in, the host's back, the RSB filled. */
void spec_guest_enter(uint64_t guest_ctrl);
void spec_guest_exit(uint64_t guest_ctrl);

#endif
