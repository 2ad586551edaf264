/* Floor 1, kernel/ (docs/architecture.md "Floors").
 * Owns: the host kernel: console, memory, paging, ACPI tables, LAPIC, timers, SMP, scheduler,
 *       traps.
 * May use: nothing above it; every other floor uses it. */
/* Basic types for freestanding code. Only the compiler's freestanding headers are used, so every
 * file that includes this builds both for the hypervisor and for the host unit tests. */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t; /* host physical address */
typedef uint64_t gpa_t;   /* guest physical address */
typedef uint64_t gva_t;   /* guest virtual address */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define BIT(n) (1ull << (n))
#define PAGE_SIZE 4096ull
#define LARGE_PAGE_SIZE (2ull << 20)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define PACKED __attribute__((packed))
#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))
/* The structure of type `type` whose member `member` is at ptr. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#endif
