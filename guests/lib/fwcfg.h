/* QEMU's firmware configuration device on I/O ports 0x510 (selector) and 0x511 (data), as QEMU
 * docs/specs/fw_cfg.txt describes it; doorbell offers the same two items. */
#ifndef GUESTS_LIB_FWCFG_H
#define GUESTS_LIB_FWCFG_H

#include "kernel/types.h"

#define FW_CFG_SIGNATURE 0x00 /* "QEMU" */
#define FW_CFG_NB_CPUS   0x05 /* little-endian u16: the number of CPUs */

/* Whether the device answers with its signature. */
bool fwcfg_present(void);

/* Reads n bytes of item key from its start. */
void fwcfg_read(uint16_t key, void *buf, size_t n);

/* The number of CPUs, or 1 when there is no fw_cfg device. */
unsigned fwcfg_cpu_count(void);

#endif
