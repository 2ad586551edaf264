# The AVIC delivery model checker (tests/model, docs/model.md). Include from the top-level
# Makefile (`-include tests/model/model.mk`) or run alone: make -f tests/model/model.mk model
MODEL_BUILD   ?= build/model
MODEL_CC      ?= $(CC)
MODEL_CFLAGS  := -std=gnu11 -Wall -Wextra -Werror -I. -O2 -g
MODEL_TIMEOUT ?= 60
# The model's own files, and the project code it runs unchanged.
MODEL_SOURCES := $(sort $(wildcard tests/model/*.c)) avic/delivery.c avic/avic_policy.c \
	avic/avic_table.c avic/vlapic/vapic.c iommu/irte.c
MODEL_HEADERS := $(wildcard tests/model/*.h) avic/delivery.h avic/avic_policy.h avic/avic_table.h \
	avic/vlapic/vapic.h avic/vlapic/apic_regs.h iommu/irte.h

.PHONY: model
$(MODEL_BUILD)/model: $(MODEL_SOURCES) $(MODEL_HEADERS)
	@mkdir -p $(dir $@)
	$(MODEL_CC) $(MODEL_CFLAGS) $(MODEL_SOURCES) -o $@

model: $(MODEL_BUILD)/model
	@timeout $(MODEL_TIMEOUT) $(MODEL_BUILD)/model
