/* IOMMU command encoders (AMD IOMMU spec #48882 §2.4). */
#include "iommu/command.h"

static struct iommu_command command_new(uint64_t opcode)
{
	struct iommu_command c = {{0, 0}};
	c.q[0] = iommu_command_q0_set_opcode(0, opcode);
	return c;
}

struct iommu_command command_completion_wait(uint64_t store_pa, uint64_t data)
{
	struct iommu_command c = command_new(IOMMU_CMD_COMPLETION_WAIT);
	c.q[0] = iommu_command_q0_set_store(c.q[0], 1);
	c.q[0] = iommu_command_q0_set_store_address(c.q[0], store_pa);
	c.q[1] = data;
	return c;
}

struct iommu_command command_invalidate_devtab_entry(uint16_t device_id)
{
	struct iommu_command c = command_new(IOMMU_CMD_INVALIDATE_DEVTAB_ENTRY);
	c.q[0] = iommu_command_q0_set_device_id(c.q[0], device_id);
	return c;
}

struct iommu_command command_invalidate_iommu_pages(uint16_t domain_id)
{
	struct iommu_command c = command_new(IOMMU_CMD_INVALIDATE_IOMMU_PAGES);
	c.q[0] = iommu_command_q0_set_domain_id(c.q[0], domain_id);
	c.q[1] = iommu_command_q1_set_size(0, 1);
	c.q[1] = iommu_command_q1_set_pde(c.q[1], 1);
	c.q[1] = iommu_command_q1_set_address(c.q[1], IOMMU_INVALIDATE_ALL_PAGES_ADDRESS);
	return c;
}

struct iommu_command command_invalidate_interrupt_table(uint16_t device_id)
{
	struct iommu_command c = command_new(IOMMU_CMD_INVALIDATE_INTERRUPT_TABLE);
	c.q[0] = iommu_command_q0_set_device_id(c.q[0], device_id);
	return c;
}

struct iommu_command command_invalidate_iommu_all(void)
{
	return command_new(IOMMU_CMD_INVALIDATE_IOMMU_ALL);
}
