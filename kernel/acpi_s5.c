/* _S5 in AML (kernel/acpi_s5.h). */
#include "kernel/acpi_s5.h"

#define AML_NAME_OP     0x08
#define AML_ROOT_PREFIX 0x5c
#define AML_PACKAGE_OP  0x12
#define AML_ZERO_OP     0x00
#define AML_ONE_OP      0x01
#define AML_ONES_OP     0xff
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c

/* One package element at aml[*at]: a constant, advancing *at past it. */
static bool aml_integer(const uint8_t *aml, uint32_t len, uint32_t *at, uint32_t *value)
{
	if (*at >= len)
		return false;
	uint8_t op = aml[(*at)++];
	unsigned bytes = 0;
	switch (op) {
	case AML_ZERO_OP:
		*value = 0;
		return true;
	case AML_ONE_OP:
		*value = 1;
		return true;
	case AML_ONES_OP:
		*value = 0xffffffffu;
		return true;
	case AML_BYTE_PREFIX:
		bytes = 1;
		break;
	case AML_WORD_PREFIX:
		bytes = 2;
		break;
	case AML_DWORD_PREFIX:
		bytes = 4;
		break;
	default:
		return false;
	}
	if (len - *at < bytes)
		return false;
	*value = 0;
	for (unsigned i = 0; i < bytes; i++)
		*value |= (uint32_t)aml[*at + i] << (8 * i);
	*at += bytes;
	return true;
}

/* Parses the package after the NameSeg at aml[at] (PackageOp first). */
static bool s5_package(const uint8_t *aml, uint32_t len, uint32_t at, uint8_t *typa,
		       uint8_t *typb)
{
	if (at >= len || aml[at] != AML_PACKAGE_OP)
		return false;
	at++;
	if (at >= len)
		return false;
	/* PkgLength: bits 7:6 of its lead byte count the bytes that follow it (ACPI 6.5 §20.2.4) */
	uint32_t follow = aml[at] >> 6;
	at += 1 + follow;
	if (at >= len)
		return false;
	uint8_t elements = aml[at++];
	uint32_t a = 0, b = 0;
	if (elements < 1 || !aml_integer(aml, len, &at, &a))
		return false;
	if (elements >= 2 && !aml_integer(aml, len, &at, &b))
		return false;
	*typa = (uint8_t)(a & 7);
	*typb = (uint8_t)(b & 7);
	return true;
}

bool acpi_find_s5(const uint8_t *aml, uint32_t len, uint8_t *slp_typa, uint8_t *slp_typb)
{
	for (uint32_t i = 1; i + 4 <= len; i++) {
		if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != '5' || aml[i + 3] != '_')
			continue;
		/* a name declaration: NameOp right before, or NameOp and the root prefix */
		bool named = aml[i - 1] == AML_NAME_OP ||
			     (i >= 2 && aml[i - 1] == AML_ROOT_PREFIX && aml[i - 2] == AML_NAME_OP);
		if (named && s5_package(aml, len, i + 4, slp_typa, slp_typb))
			return true;
	}
	return false;
}
