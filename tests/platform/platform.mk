# The AVIC/IOMMU test platform: the patched QEMU (tools/qemu/) and the
# bare-metal probes that check it (tests/platform/).  Included from the
# top-level Makefile; paths are relative to the repository root.
#
#   make qemu-avic       build (or fetch from the cache) build/qemu/qemu-system-x86_64
#   make test-platform   build the probes and run each on the patched QEMU

PLATFORM_QEMU    := build/qemu/qemu-system-x86_64
PLATFORM_OUT     := build/platform
PLATFORM_IMAGE   := $(PLATFORM_OUT)/probe.bin
PLATFORM_ELF     := $(PLATFORM_OUT)/probe.elf
PLATFORM_CC      ?= gcc
PLATFORM_LD      ?= ld
PLATFORM_OBJCOPY ?= objcopy
PLATFORM_CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -ffreestanding -fno-pic \
	-fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none -fno-builtin
PLATFORM_SRCS    := boot.S hw.c vm.c probe.c avic_probe.c iommu_probe.c cpu_probe.c
PLATFORM_OBJS    := $(addprefix $(PLATFORM_OUT)/,$(addsuffix .o,$(basename $(PLATFORM_SRCS))))

.PHONY: qemu-avic test-platform

qemu-avic:
	tools/qemu/build.sh

$(PLATFORM_QEMU): qemu-avic

$(PLATFORM_OUT)/%.o: tests/platform/%.c tests/platform/*.h
	@mkdir -p $(PLATFORM_OUT)
	$(PLATFORM_CC) $(PLATFORM_CFLAGS) -c -o $@ $<

$(PLATFORM_OUT)/%.o: tests/platform/%.S
	@mkdir -p $(PLATFORM_OUT)
	$(PLATFORM_CC) $(PLATFORM_CFLAGS) -c -o $@ $<

$(PLATFORM_ELF): $(PLATFORM_OBJS) tests/platform/probe.ld
	$(PLATFORM_LD) -m elf_x86_64 -nostdlib -z max-page-size=0x1000 -z noexecstack \
		--no-warn-rwx-segments -T tests/platform/probe.ld -o $@ $(PLATFORM_OBJS)

$(PLATFORM_IMAGE): $(PLATFORM_ELF)
	$(PLATFORM_OBJCOPY) -O binary $< $@

test-platform: qemu-avic $(PLATFORM_IMAGE)
	tests/platform/run.sh $(PLATFORM_QEMU) $(PLATFORM_IMAGE) $(PLATFORM_OUT)
