/* Nested page tables (AMD APM vol. 2 §15.25): guest-physical to host-physical, one 4-level tree
 * per VM, 2 MiB pages where alignment allows. Every access through NPT counts as a user access,
 * so every level carries U. Guest-physical ranges left unmapped (MMIO: LAPIC, IOAPIC, holes)
 * make #NPF exits that go to the device dispatch. */
#ifndef SVM_NPT_H
#define SVM_NPT_H

#include "kernel/types.h"

struct npt {
	uint64_t root;  /* PML4 physical address: VMCB N_CR3 */
	uint64_t pages; /* table pages allocated, freed by npt_destroy */
};

bool npt_init(struct npt *n);
/* Maps [gpa, gpa+size) to [hpa, hpa+size) read/write/execute; false when out of memory. */
bool npt_map(struct npt *n, gpa_t gpa, uint64_t hpa, uint64_t size);
void npt_unmap_page(struct npt *n, gpa_t gpa);
/* The leaf entry for gpa, 0 when unmapped. */
uint64_t npt_lookup(const struct npt *n, gpa_t gpa);
void npt_destroy(struct npt *n);

#endif
