# Test guests: Multiboot v1 ELF32 kernels, each guests/<name>.c linked with the runtime in
# guests/lib/ into build/guests/<name>.elf. Included by the top-level Makefile (paths are relative
# to the repository root); `make -f guests/guests.mk guests` also works on its own.

GUESTS_BUILD  := $(or $(BUILD),build)/guests
GUESTS_CC     := $(or $(CC),gcc)
GUESTS_CFLAGS := -m32 -ffreestanding -fno-pic -fno-stack-protector -O2 -Wall -Wextra -Werror \
	-std=gnu11 -I. -fno-builtin -fcf-protection=none -fno-asynchronous-unwind-tables -g
GUESTS_LDFLAGS := -m elf_i386 -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	-T guests/lib/guest.ld

# The runtime, plus the hypervisor's own formatter and string functions (built here for i386).
GUESTS_LIB_SRC := $(sort $(wildcard guests/lib/*.c guests/lib/*.S)) kernel/format.c kernel/string.c
GUESTS_LIB_OBJ := $(patsubst %,$(GUESTS_BUILD)/obj/%.o,$(basename $(GUESTS_LIB_SRC)))
GUESTS_NAMES   := $(sort $(basename $(notdir $(wildcard guests/*.c))))
GUESTS_ELFS    := $(patsubst %,$(GUESTS_BUILD)/%.elf,$(GUESTS_NAMES))

.PHONY: guests
.SECONDARY: $(GUESTS_LIB_OBJ) $(patsubst %,$(GUESTS_BUILD)/obj/guests/%.o,$(GUESTS_NAMES))
guests: $(GUESTS_ELFS)

$(GUESTS_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC32    $<"
	@$(GUESTS_CC) $(GUESTS_CFLAGS) -MMD -MP -c $< -o $@

$(GUESTS_BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS32    $<"
	@$(GUESTS_CC) $(GUESTS_CFLAGS) -MMD -MP -c $< -o $@

# A guest with its own linker script guests/<name>.ld (e.g. another load address) uses it.
guest_ld = $(or $(wildcard guests/$(1).ld),guests/lib/guest.ld)

.SECONDEXPANSION:
$(GUESTS_BUILD)/%.elf: $(GUESTS_BUILD)/obj/guests/%.o $(GUESTS_LIB_OBJ) $$(call guest_ld,%)
	@echo "  LD32    $@"
	@ld $(subst -T guests/lib/guest.ld,-T $(call guest_ld,$*),$(GUESTS_LDFLAGS)) -o $@ $< $(GUESTS_LIB_OBJ)
	@grub-file --is-x86-multiboot $@ || { echo "$@: not a Multiboot v1 image"; rm -f $@; exit 1; }

-include $(shell find $(GUESTS_BUILD)/obj -name '*.d' 2>/dev/null)

# The Linux guest's user side (docs/linux.md "The workload"): guests/linux/workload.c, a static
# x86-64 Linux program with no libc (raw system calls, general registers only), and the initramfs
# with it, guests/linux/init and Debian's busybox-static (tools/debian/initramfs.sh).
LINUX_WORKLOAD_CFLAGS := -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector \
	-fno-pie -no-pie -O2 -mgeneral-regs-only -fcf-protection=none -fno-asynchronous-unwind-tables \
	-Wall -Wextra -Werror -std=gnu11
LINUX_INITRD := $(GUESTS_BUILD)/linux/initrd.gz

.PHONY: linux-initrd
linux-initrd: $(LINUX_INITRD)

$(GUESTS_BUILD)/linux/workload: guests/linux/workload.c
	@mkdir -p $(dir $@)
	@echo "  CC64    $<"
	@$(GUESTS_CC) $(LINUX_WORKLOAD_CFLAGS) $< -o $@

$(LINUX_INITRD): $(GUESTS_BUILD)/linux/workload guests/linux/init tools/debian/initramfs.sh
	@rm -rf $(GUESTS_BUILD)/linux/tree && mkdir -p $(GUESTS_BUILD)/linux/tree
	@cp guests/linux/init $(GUESTS_BUILD)/linux/workload $(GUESTS_BUILD)/linux/tree/
	@echo "  CPIO    $@"
	@tools/debian/initramfs.sh $@ $(GUESTS_BUILD)/linux/tree >/dev/null
