# doorbell — build, run and test. `make run` and `make test` are the two commands a newcomer needs;
# both install the Debian packages they depend on first (`make deps`).

CC        ?= gcc
BUILD     := build
PYTHON    := python3
QEMU      ?= qemu-system-x86_64
OVMF_CODE ?= /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS ?= /usr/share/OVMF/OVMF_VARS_4M.fd
FONT      ?= /usr/share/consolefonts/Lat15-Fixed16.psf.gz

# Freestanding hypervisor code: position independent so the same objects link into both the
# GNU-EFI application (relocated by the firmware) and the Multiboot2 ELF (identity mapped at 2 MiB).
KCFLAGS := -std=gnu11 -ffreestanding -fno-builtin -fno-stack-protector -fno-stack-check \
	-mno-red-zone -mgeneral-regs-only -fpic -fvisibility=hidden -fno-omit-frame-pointer \
	-fno-strict-aliasing -fcf-protection=none -fno-asynchronous-unwind-tables -mcx16 \
	-O2 -g -Wall -Wextra -Werror -I. -I$(BUILD)
EFI_CFLAGS := $(KCFLAGS) -fshort-wchar -DGNU_EFI_USE_MS_ABI -I/usr/include/efi -I/usr/include/efi/x86_64

# Every C and assembly file under the hypervisor's floors; boot/ adds its start-up (main.c, config.c,
# report.c).
KERNEL_C := $(sort $(shell find kernel svm avic iommu -name '*.c')) boot/main.c boot/config.c boot/report.c
KERNEL_S := $(sort $(shell find kernel svm avic iommu -name '*.S')) boot/trampoline.S
KERNEL_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(KERNEL_C)) $(patsubst %.S,$(BUILD)/obj/%.o,$(KERNEL_S)) \
	$(BUILD)/obj/font.o
ELF_OBJ := $(BUILD)/obj/boot/multiboot2_header.o $(BUILD)/obj/boot/multiboot2_entry.o \
	$(BUILD)/obj/boot/multiboot2.o $(BUILD)/obj/boot/multiboot2_info.o $(KERNEL_OBJ)
EFI_OBJ := $(BUILD)/obj/boot/efi_main.o $(KERNEL_OBJ)
# The test image (build/doorbell-test.elf/.efi): the same objects with the test hooks of
# tests/hooks/ in place of svm/vm/test_hooks_none.c (svm/vm/test_hooks.h). Only make test's
# stages that need a test-only option boot it; the image users boot has no test code.
HOOKS_C := $(sort $(wildcard tests/hooks/*.c))
TEST_KERNEL_OBJ := $(filter-out $(BUILD)/obj/svm/vm/test_hooks_none.o,$(KERNEL_OBJ)) \
	$(patsubst %.c,$(BUILD)/obj/%.o,$(HOOKS_C))
TEST_ELF_OBJ := $(filter-out $(KERNEL_OBJ),$(ELF_OBJ)) $(TEST_KERNEL_OBJ)
TEST_EFI_OBJ := $(BUILD)/obj/boot/efi_main.o $(TEST_KERNEL_OBJ)

.PHONY: soak all deps run test unit fuzz fuzz-deps fuzz-long bench chaos experiment compare test-insns kvm-linux clean help guests
.SECONDEXPANSION:
all: $(BUILD)/doorbell.elf $(BUILD)/doorbell.efi $(BUILD)/doorbell.iso \
	$(BUILD)/doorbell-test.elf $(BUILD)/doorbell-test.efi guests

# `make help`: the `##` lines of this Makefile, one per target and per variable.
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

# ---- settings fail closed ------------------------------------------------------------------
# A variable given on make's command line that the goal does not use is a typo or a mix-up
# (`make run GEUST=…`, `make bench AVIC=1`): refused before anything runs, with the list of the
# goal's variables. The build variables (CC, QEMU, OVMF_*, FONT) are accepted by every goal.
BUILD_VARS := CC QEMU OVMF_CODE OVMF_VARS FONT
RUN_VARS := GUEST INITRD VCPUS MEM ARGS VMOPTS OPTS SMP TIMEOUT AVIC ERRATUM HV KVM_OPTS
BENCH_VARS := BENCH_REPEAT
GIVEN_VARS := $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $v)),$v))
refuse_unused = $(if $(filter $(1),$(MAKECMDGOALS)),$(if $(filter-out $(2) $(BUILD_VARS),$(GIVEN_VARS)),\
	$(error make $(1): $(filter-out $(2) $(BUILD_VARS),$(GIVEN_VARS)) is not a setting of make $(1),\
	which takes $(or $(2),none of its own) (see make help))))
$(call refuse_unused,run,$(RUN_VARS))
$(call refuse_unused,bench,$(BENCH_VARS))
ifneq ($(filter bench,$(MAKECMDGOALS)),)
ifneq ($(BENCH_REPEAT),)
ifeq ($(filter $(BENCH_REPEAT),1 2 3 4 5 6 7 8 9 $(foreach t,1 2 3 4,$(foreach u,0 1 2 3 4 5 6 7 8 9,$(t)$(u))) 50),)
$(error make bench: BENCH_REPEAT=$(BENCH_REPEAT): expected a number of runs from 1 to 50)
endif
endif
endif
$(call refuse_unused,chaos,SEED OPS POLICY VCPUS)
$(call refuse_unused,experiment,NAME REPEAT RESULTS)
ifneq ($(filter experiment,$(MAKECMDGOALS)),)
ifeq ($(wildcard docs/experiments/$(NAME).toml),)
$(error make experiment: NAME=$(NAME): expected one of $(basename $(notdir $(wildcard docs/experiments/*.toml))) (docs/experiments/README.md))
endif
ifneq ($(REPEAT),)
ifeq ($(shell echo '$(REPEAT)' | grep -Ex '[1-9][0-9]?|100'),)
$(error make experiment: REPEAT=$(REPEAT): expected a number of repetitions from 1 to 100)
endif
endif
endif
$(call refuse_unused,soak,SOAK)
comma := ,
$(call refuse_unused,compare,GUESTS GUEST VCPUS ARGS ERRATUM TIMEOUT)
$(call refuse_unused,kvm-linux,)

# ---- dependencies --------------------------------------------------------------------------
DEB_PACKAGES := gcc make binutils python3 gnu-efi grub-pc-bin grub-efi-amd64-bin grub-common \
	xorriso mtools ovmf qemu-system-x86 console-setup-linux
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
		|| { echo "deps: apt-get install$$missing failed: run it by hand as root"; exit 1; }; \
	fi

# ---- hypervisor ----------------------------------------------------------------------------
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/boot/efi_main.o: boot/efi_main.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/font.c: $(FONT) tools/psf2c.py
	@mkdir -p $(BUILD)
	$(PYTHON) tools/psf2c.py $< $@

$(BUILD)/obj/font.o: $(BUILD)/font.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/doorbell.elf: $(ELF_OBJ) linker.ld
	ld -nostdlib -static -z max-page-size=4096 -z noexecstack -T linker.ld -o $@ $(ELF_OBJ)
	grub-file --is-x86-multiboot2 $@

$(BUILD)/doorbell-test.elf: $(TEST_ELF_OBJ) linker.ld
	ld -nostdlib -static -z max-page-size=4096 -z noexecstack -T linker.ld -o $@ $(TEST_ELF_OBJ)
	grub-file --is-x86-multiboot2 $@

EFI_LINK = ld -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined -z noexecstack \
	-T /usr/lib/elf_x86_64_efi.lds /usr/lib/crt0-efi-x86_64.o $(1) -o $@ -L/usr/lib -lgnuefi -lefi
$(BUILD)/doorbell.so: $(EFI_OBJ)
	$(call EFI_LINK,$(EFI_OBJ))

$(BUILD)/doorbell-test.so: $(TEST_EFI_OBJ)
	$(call EFI_LINK,$(TEST_EFI_OBJ))

$(BUILD)/doorbell.efi $(BUILD)/doorbell-test.efi: $(BUILD)/%.efi: $(BUILD)/%.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j .reloc \
		--target=efi-app-x86_64 --subsystem=10 $< $@

$(BUILD)/doorbell.iso: $(BUILD)/doorbell.elf tools/grub.cfg
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	cp $(BUILD)/doorbell.elf $(BUILD)/iso/boot/doorbell.elf
	cp tools/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso 2>/dev/null

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- host unit tests -----------------------------------------------------------------------
HOST_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -I. -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=all
UNIT_TESTS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_TESTS))

# Each test names the project sources it links in a "// sources: a.c b.c" line.
# A "// cflags: ..." line adds compiler flags, e.g. -Itests/fake for the fake arch (tests/fake/).
unit_sources = $(shell sed -n 's|^// sources[:] ||p' $(1))
unit_cflags = $(shell sed -n 's|^// cflags[:] ||p' $(1))
$(BUILD)/unit/%: tests/unit/%.c $$(call unit_sources,tests/unit/%.c) tests/unit/check.h $$(wildcard tests/fake/*.h tests/fake/kernel/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(call unit_cflags,$<) $(HOST_CFLAGS) $< $(call unit_sources,$<) -o $@

unit: $(UNIT_BINS)
	@$(PYTHON) tests/run_unit.py $(UNIT_BINS)

# ---- fuzz targets (tests/fuzz/README.md) ----------------------------------------------------
# Every tests/fuzz/fuzz_<name>.c names the project sources it links in a "// sources:" line, as the
# unit tests do. `make fuzz`: the standalone gcc/ASan/UBSan builds replay tests/fuzz/corpus/<name>
# and tests/fuzz/regressions/<name> and a bounded number of PRNG inputs (part of make test).
# `make fuzz-long [FUZZ_SECONDS=600] [FUZZ_TARGETS="acpi ivrs"]`: libFuzzer (clang) campaigns, one
# target at a time, logs and new inputs under build/fuzz/campaign/.
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SECONDS ?= 600
FUZZ_DEPS := tests/fuzz/driver.c tests/fuzz/fuzz.h
FUZZ_CLANG ?= clang
FUZZ_LF_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -I. -g -O1 -mcx16 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_DEB_PACKAGES := clang libclang-rt-14-dev

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(call unit_sources,tests/fuzz/fuzz_%.c) $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -fsanitize=pointer-overflow -DFUZZ_STANDALONE $< tests/fuzz/driver.c \
		$(call unit_sources,$<) -o $@

$(BUILD)/fuzz/libfuzzer/fuzz_%: tests/fuzz/fuzz_%.c $$(call unit_sources,tests/fuzz/fuzz_%.c) $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CLANG) $(FUZZ_LF_CFLAGS) $< tests/fuzz/driver.c $(call unit_sources,$<) -o $@

fuzz: $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
	@tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_NAMES)

fuzz-deps:
	@missing=""; for p in $(FUZZ_DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "fuzz-deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
		|| { echo "fuzz-deps: apt-get install$$missing failed: run it by hand as root"; exit 1; }; \
	fi

## make fuzz-long    libFuzzer campaigns, one target after the other (docs/fuzzing.md)
##   FUZZ_SECONDS=s    seconds per target (default 600)
##   FUZZ_TARGETS="…"  the targets (default all: acpi ivrs …)
fuzz-long: fuzz-deps
	@$(MAKE) --no-print-directory $(patsubst %,$(BUILD)/fuzz/libfuzzer/fuzz_%,$(FUZZ_TARGETS))
	@tests/fuzz/campaign.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- guests, the AVIC test platform ---------------------------------------------------------
guests:
-include guests/guests.mk
-include tests/platform/platform.mk
-include tests/model/model.mk

# ---- the two commands ------------------------------------------------------------------------
## make run          boot doorbell in QEMU with at most one guest; QEMU's status passes through
##   GUEST=file        the guest: a Multiboot v1/v2 ELF kernel or a Linux bzImage (none: doorbell
##                     boots and exits)
##   INITRD=file       with a bzImage GUEST: its initrd (a second module, docs/linux.md)
##   VCPUS=n           the guest's vCPUs, 1 to 16 (default 1)
##   MEM=size          the guest's RAM, 2M to 3G (default 64M)
##   ARGS="…"          the guest's command line
##   VMOPTS="…"        more VM options (README "VM options"), e.g. "trace=all cpus=1"
##   OPTS="…"          doorbell's options (README "Command-line options"); a bad one stops the boot
##   SMP=n             host CPUs QEMU gives doorbell, 1 to 16 (default 2)
##   TIMEOUT=s         doorbell stops the VM after s seconds, status 251 (default 120)
##   AVIC=1            the patched QEMU with AVIC (tools/qemu, built by make qemu-avic)
##   ERRATUM=1         with AVIC=1: erratum #1235 on (avic-erratum-1235=on)
##   HV=kvm            the guest under Linux KVM 6.1 in an L1 instead of doorbell (docs/kvm.md)
##   KVM_OPTS="…"      with HV=kvm: kvm-amd's parameters (default avic=1 with AVIC=1, else avic=0)
## make test         every test: unit, fuzz, QEMU boot paths, guests, AVIC platform, model
## make unit         the host unit tests (tests/unit)
## make fuzz         every fuzz target, deterministic replay (docs/fuzzing.md)
## make model        the delivery-protocol model checker (docs/model.md)
## make soak   the IPI storms at length on the project's QEMU (tests/qemu/soak.py; about 10-15 minutes)
##   SOAK=a,b,…        these soaks instead: ipi-storm-8vcpus, ipi-storm-100k, and the 10^6-IPI storms
##                     ipi-1m-soft, ipi-1m-errata, ipi-1m-standard (20-60 minutes each; docs/soak.md)
soak: deps all qemu-avic
	@SOAK="$(SOAK)" $(PYTHON) tests/qemu/run.py tests/qemu/soak.py

## make bench        the bench guest under soft, errata and standard, then the exit path's
##                   instructions with the trace off and on (docs/bench.md)
##   BENCH_REPEAT=n    runs of each configuration, 1 to 50 (default 5): median and spread
## make chaos        the chaos guest next to an IPI storm, one run per seed and policy (docs/chaos.md)
##   SEED=a,b,…        seeds (default 1)
##   OPS=n             operations per vCPU (default 1000)
##   POLICY=p,…        soft, errata, standard (default all three)
##   VCPUS=n           the chaos VM's vCPUs (default 2)
## make experiment  an experiment described by a file (docs/experiments/README.md): every
##                   repetition as CSV/JSON, median and spread, a chart; under nice -n 10
##   NAME=name         the file docs/experiments/NAME.toml: erratum, bench or storm
##   REPEAT=n          repetitions instead of the file's, 1 to 100 (recorded in the results)
##   RESULTS=dir       where the results go (default build/experiments/NAME)
## make compare      each guest directly under QEMU, under doorbell soft/errata/standard and under
##                   KVM 6.1 avic=0/avic=1 on one platform: results and the bench guest's exits
##                   per operation, table and chart (docs/compare.md, docs/kvm.md "make compare")
##   GUESTS=a,b        test guests (default bench,ipi,erratum; also smp4 hello ipi_storm ...)
##   GUEST=file        a Multiboot v1 kernel of yours too, with VCPUS=n (1-8) and ARGS="…"
##   ERRATUM=1         the platform with erratum #1235 on
##   TIMEOUT=s         seconds each guest may run (default 300)
##                   The default set writes docs/compare.md and docs/compare.png; any setting
##                   writes build/compare/compare.md and .png instead.
## make kvm-linux    Debian's Linux and the linux stage's workload under KVM 6.1 avic=1 (docs/kvm.md)
## make qemu-avic    build (or copy from ~/.cache/doorbell-qemu) the AVIC-capable QEMU
## make deps         install the Debian packages the build and tests need (as root)
## make clean        remove build/
## build variables (any goal): CC, QEMU, OVMF_CODE, OVMF_VARS, FONT
run: deps all $(if $(filter 1,$(AVIC)),qemu-avic)
	@case "$(HV)" in ""|doorbell|kvm) ;; *) echo "make run: HV=$(HV): expected HV=kvm or nothing (doorbell)"; exit 2 ;; esac
	@if [ -n '$(KVM_OPTS)' ] && [ "$(HV)" != kvm ]; then echo "make run: KVM_OPTS= is for HV=kvm"; exit 2; fi
	@if [ -n '$(VMOPTS)' ] && [ "$(HV)" = kvm ]; then echo "make run: VMOPTS= are doorbell's VM options: not for HV=kvm"; exit 2; fi
	@$(PYTHON) $(if $(filter kvm,$(HV)),tools/kvm/run.py --kvm-opts "$(KVM_OPTS)",tools/run.py --vmopts "$(VMOPTS)") --guest "$(GUEST)" --initrd "$(INITRD)" --vcpus "$(VCPUS)" --mem "$(MEM)" \
		--args "$(ARGS)" --opts "$(OPTS)" --smp "$(SMP)" --timeout "$(TIMEOUT)" \
		--avic "$(AVIC)" --erratum "$(ERRATUM)"; status=$$?; [ $$status -eq 1 ] # QEMU status 1: success (printed above)

test: deps all
	@tests/run_all.sh

# the chaos guest next to an IPI storm (tests/qemu/chaos.py, docs/chaos.md)
chaos: deps all qemu-avic
	@CHAOS_SEEDS="$(or $(SEED),1)" CHAOS_OPS="$(or $(OPS),1000)" \
		CHAOS_POLICIES="$(or $(POLICY),soft,errata,standard)" CHAOS_VCPUS="$(or $(VCPUS),2)" \
		$(PYTHON) tests/qemu/run.py tests/qemu/chaos.py

bench: deps all qemu-avic $(BUILD)/qemu/libinsn_marks.so
	@rm -rf $(BUILD)/tests/bench-*
	@# a failed repetition is reported by bench_report.py, not fatal to the table
	@BENCH_REPEAT="$(BENCH_REPEAT)" $(PYTHON) tests/qemu/run.py tests/qemu/bench.py || true
	@$(PYTHON) tools/bench_report.py
	@# instructions per operation, doorbell and KVM (docs/bench.md "Instructions per operation")
	@$(PYTHON) tools/bench_insns.py
	@# instructions per exit with the exit trace off and on (docs/bench.md "Exit-path instructions")
	@nice -n 10 $(PYTHON) tools/exit_cost.py

# make test's stage insns: the plugin's count between a guest's marks (tests/qemu/insns.py)
test-insns: qemu-avic guests $(BUILD)/qemu/libinsn_marks.so
	@$(PYTHON) tests/qemu/run.py tests/qemu/insns.py

# The outer QEMU's instruction-count plugin with marks, built against the pinned QEMU's plugin
# API header (tools/qemu/plugin_header.sh)
$(BUILD)/qemu/libinsn_marks.so: tools/qemu/plugins/insn_marks.c tools/qemu/plugin_header.sh
	@mkdir -p $(BUILD)/qemu/include
	@cp "$$(tools/qemu/plugin_header.sh)" $(BUILD)/qemu/include/qemu-plugin.h
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -shared -fPIC -I$(BUILD)/qemu/include $< -o $@

# the chart: tools/results.py (python3-matplotlib, installed with apt-get when missing)
COMPARE_OUT := $(if $(GUESTS)$(GUEST)$(VCPUS)$(ARGS)$(ERRATUM)$(TIMEOUT),$(BUILD)/compare/compare,docs/compare)
compare: deps all qemu-avic
	@$(PYTHON) tools/compare.py --guests "$(GUESTS)" --guest "$(GUEST)" --vcpus "$(VCPUS)" \
		--args "$(ARGS)" --erratum "$(ERRATUM)" --timeout "$(TIMEOUT)" \
		--out $(COMPARE_OUT).md --png $(COMPARE_OUT).png

experiment: deps all qemu-avic
	@nice -n 10 $(PYTHON) tools/experiment.py "$(NAME)" --repeat "$(REPEAT)" \
		$(if $(RESULTS),--results "$(RESULTS)")

# Linux under KVM (tests/qemu/linux_kvm.py): too slow for make test
kvm-linux: deps all qemu-avic
	@$(PYTHON) tests/qemu/run.py tests/qemu/linux_kvm.py

clean:
	rm -rf $(BUILD)
