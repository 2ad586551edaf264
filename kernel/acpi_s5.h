/* The sleep type values of the S5 (soft-off) state: the DSDT's `Name (_S5, Package () {SLP_TYPa,
 * SLP_TYPb, ...})` found in its AML byte code without an interpreter (ACPI 6.5 §7.4.2, §16.2:
 * NameOp 08h, an optional root prefix 5Ch, the NameSeg "_S5_", PackageOp 12h, PkgLength,
 * NumElements, then each element as ZeroOp 00h, OneOp 01h, OnesOp FFh, or BytePrefix 0Ah, WordPrefix
 * 0Bh, DWordPrefix 0Ch with its constant). Host unit test: tests/unit/test_acpi_s5.c. */
#ifndef KERNEL_ACPI_S5_H
#define KERNEL_ACPI_S5_H

#include "kernel/types.h"

/* The first _S5 package in aml[0..len): true with SLP_TYPa and SLP_TYPb (0 when the package has
 * one element; only the low 3 bits are meaningful, PM1_CNT bits 12:10). False when there is none
 * or its encoding is not one of the above. */
bool acpi_find_s5(const uint8_t *aml, uint32_t len, uint8_t *slp_typa, uint8_t *slp_typb);

#endif
