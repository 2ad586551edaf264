/* Guest page-table walker: translates a guest linear address to a guest-physical address the way
 * the guest's own MMU would, for every paging mode (SDM vol. 3, chapter 4; APM vol. 2, 5.2-5.3):
 * paging disabled, 32-bit (4 KiB and 4 MiB PSE/PSE-36 pages), PAE (4 KiB, 2 MiB), 4-level
 * (4 KiB, 2 MiB, 1 GiB) and 5-level (CR4.LA57). Used to fetch the bytes of an intercepted
 * instruction, since QEMU TCG provides no decode assists, and by the emulator for string forms.
 *
 * The walker reads guest page tables only: it never sets Accessed or Dirty bits. The guest's own
 * MMU sets them when it retries the access after the exit, so nothing observable is lost for the
 * fetches and emulated accesses this serves. SMAP (which depends on RFLAGS.AC) and protection keys
 * are not checked. */
#ifndef SVM_GUEST_WALK_H
#define SVM_GUEST_WALK_H

#include "kernel/types.h"

/* Control registers that select and configure paging, as in the VMCB save area. */
struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
};

/* Reads len bytes of guest-physical memory; false when gpa is not guest RAM. */
typedef bool (*guest_read_fn)(void *ctx, gpa_t gpa, void *buf, size_t len);

/* Access being translated; WALK_READ is 0, the others are flags. */
enum walk_access { WALK_READ = 0, WALK_WRITE = 1, WALK_USER = 2, WALK_FETCH = 4 };

/* #PF error code bits (SDM vol. 3, 4.7; APM vol. 2, 8.4.2). */
#define PF_ERROR_P    BIT(0) /* 0: not present; 1: protection or reserved-bit violation */
#define PF_ERROR_W    BIT(1) /* the access was a write */
#define PF_ERROR_U    BIT(2) /* the access was a user-mode (CPL 3) access */
#define PF_ERROR_RSVD BIT(3) /* a reserved bit was set in a paging-structure entry */
#define PF_ERROR_I    BIT(4) /* instruction fetch (with NXE and PAE, or with SMEP) */

/* *pf_error when no #PF is to be injected (see the results below). */
#define GUEST_WALK_NO_PF UINT32_MAX

/* guest_walk() results (negated). */
#define GUEST_WALK_EFAULT    1 /* the guest takes a #PF with *pf_error */
#define GUEST_WALK_ENONCANON 2 /* non-canonical address in long mode: #GP (or #SS), not #PF */
#define GUEST_WALK_ETABLE    3 /* a paging-structure entry is not in guest RAM (rd failed) */

/* Translates the linear address va for the given access (WALK_* flags) under paging state p.
 * 0 on success with *gpa set; otherwise a negative GUEST_WALK_E* code and *pf_error set to the #PF
 * error code the guest should see (P, W, U, RSVD, I/D bits per SDM vol. 3, 4.7), or to
 * GUEST_WALK_NO_PF when the result is not a page fault. */
int guest_walk(const struct guest_paging *p, gva_t va, unsigned access, guest_read_fn rd, void *ctx,
               gpa_t *gpa, uint32_t *pf_error);

/* Reads len bytes of guest-linear memory at va, crossing page boundaries. Returns the bytes read;
 * when fewer than len, *pf_error holds the error code of the #PF that stopped it, or
 * GUEST_WALK_NO_PF when it stopped for another reason (non-canonical address, page table or data
 * outside guest RAM). The name follows the project's interface list rather than the file prefix. */
size_t guest_read_virt(const struct guest_paging *p, gva_t va, void *buf, size_t len,
                       unsigned access, guest_read_fn rd, void *ctx, uint32_t *pf_error);

#endif
