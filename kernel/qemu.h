/* Leaving QEMU with a status. QEMU's isa-debug-exit device (port 0xf4) makes QEMU exit with
 * (value << 1) | 1. It is only written when fw_cfg says we run under QEMU, so real hardware
 * never sees writes to port 0xf4. */
#ifndef KERNEL_QEMU_H
#define KERNEL_QEMU_H

#include "kernel/types.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4
/* Values doorbell itself writes; QEMU's exit status is (value << 1) | 1. A guest's own code C
 * is passed through unchanged (issue "QEMU-compatible guest platform"), so these stay above the
 * small codes test kernels use. */
#define QEMU_EXIT_SUCCESS 0x00 /* every VM passed (or none ran): status 1 */
#define QEMU_EXIT_CONFIG 0x7b /* doorbell refused its command line or policy: status 247 */
#define QEMU_EXIT_VM_FAILED 0x7c /* a VM failed: status 249 */
#define QEMU_EXIT_TIMEOUT 0x7d /* a VM exceeded its time limit: status 251 */
#define QEMU_EXIT_GUEST_FAULT 0x7e /* a VM was stopped by a fatal fault: status 253 */
#define QEMU_EXIT_PANIC 0x7f /* the hypervisor failed: status 255 */

bool qemu_detect(void);
bool qemu_present(void);
void qemu_exit(uint32_t value);

#endif
