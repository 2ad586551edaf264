/* VM options (README "VM options"): each word checked, the first bad one named. */
#include "svm/vm/vm_options.h"
#include "kernel/cmdline.h"
#include "kernel/string.h"

/* trace=exits,ipi,sched,irte or all (svm/vm/trace.h) into a group mask */
static bool parse_trace_groups(const char *s, uint32_t *mask)
{
	static const struct {
		const char *name;
		uint32_t mask;
	} groups[] = {
		{"exits", TRACE_GROUP_EXITS}, {"ipi", TRACE_GROUP_IPI}, {"sched", TRACE_GROUP_SCHED},
		{"irte", TRACE_GROUP_IRTE},   {"all", TRACE_GROUP_ALL},
	};
	*mask = 0;
	while (*s) {
		char word[16];
		size_t n = 0;
		while (*s && *s != ',' && n < sizeof(word) - 1)
			word[n++] = *s++;
		word[n] = 0;
		if (*s && *s != ',')
			return false;
		if (*s == ',')
			s++;
		unsigned i = 0;
		while (i < ARRAY_SIZE(groups) && strcmp(word, groups[i].name))
			i++;
		if (i == ARRAY_SIZE(groups))
			return false;
		*mask |= groups[i].mask;
	}
	return *mask != 0;
}

/* cpus=0,2-3 */
static bool parse_cpu_list(const char *s, unsigned host_cpus, uint64_t *mask)
{
	*mask = 0;
	while (*s) {
		char num[8];
		uint64_t lo, hi;
		size_t n = 0;
		while (*s >= '0' && *s <= '9' && n < sizeof(num) - 1)
			num[n++] = *s++;
		num[n] = 0;
		if (!cmdline_parse_uint(num, &lo))
			return false;
		hi = lo;
		if (*s == '-') {
			s++;
			n = 0;
			while (*s >= '0' && *s <= '9' && n < sizeof(num) - 1)
				num[n++] = *s++;
			num[n] = 0;
			if (!cmdline_parse_uint(num, &hi) || hi < lo)
				return false;
		}
		if (hi >= host_cpus)
			return false;
		for (uint64_t c = lo; c <= hi; c++)
			*mask |= BIT(c);
		if (*s == ',')
			s++;
		else if (*s)
			return false;
	}
	return *mask != 0;
}

static bool vm_option(void *ctx, const char *key, const char *value)
{
	struct vm_options *o = ctx;
	uint64_t n;
	if (!strcmp(key, "vcpus")) {
		if (!cmdline_parse_uint(value, &n) || n < 1 || n > VM_MAX_VCPUS)
			o->error = "vcpus= must be 1 to 16";
		else
			o->vcpus = (unsigned)n;
	} else if (!strcmp(key, "mem")) {
		if (!cmdline_parse_size(value, &n) || n < VM_MIN_MEM || n > (3ull << 30))
			o->error = "mem= must be a size from 2M to 3G (e.g. mem=64M)";
		else
			o->mem = n;
	} else if (!strcmp(key, "cpus")) {
		if (!parse_cpu_list(value, o->host_cpus, &o->pin_mask))
			o->error = "cpus= must list online host CPUs, e.g. cpus=0 or cpus=1-3";
	} else if (!strcmp(key, "args")) {
		strlcpy(o->args, value, sizeof(o->args));
	} else if (!strcmp(key, "pci")) {
		if (o->pci_count == PASSTHROUGH_MAX_DEVICES)
			o->error = "pci= given more times than devices a VM can have (4)";
		else if (!cmdline_parse_pci_address(value, &o->pci[o->pci_count++]))
			o->error = "pci= must be a PCI address bus:device.function in hexadecimal, "
				   "e.g. pci=00:03.0";
	} else if (!strcmp(key, "replay")) {
		if (!strcmp(value, "failure"))
			o->replay = VM_LOG_REPLAY_FAILURE;
		else if (!strcmp(value, "all"))
			o->replay = VM_LOG_REPLAY_ALL;
		else if (!strcmp(value, "off"))
			o->replay = VM_LOG_REPLAY_OFF;
		else
			o->error = "replay= must be failure, all or off";
	} else if (!strcmp(key, "trace")) {
		if (!parse_trace_groups(value, &o->trace))
			o->error = "trace= must list exits, ipi, sched, irte or all, e.g. trace=exits,ipi";
	} else if (!strcmp(key, "trace-dump")) {
		o->trace_dump_given = true;
		if (!cmdline_parse_uint(value, &o->trace_dump) || o->trace_dump > TRACE_RECORDS)
			o->error = "trace-dump= must be a number of records from 0 to 2048";
	} else if (!strcmp(key, "name")) {
		strlcpy(o->name, value, sizeof(o->name));
	} else if (!strcmp(key, "initrd")) {
		if (!value[0] || strlen(value) >= sizeof(o->initrd))
			o->error = "initrd= must name a module (its first word on the GRUB module2 line, "
				   "or its file name in doorbell.cfg)";
		else
			strlcpy(o->initrd, value, sizeof(o->initrd));
	} else {
		strlcpy(o->bad_key, key, sizeof(o->bad_key));
		o->error = "unknown VM option";
	}
	return !o->error;
}

void vm_options_parse(struct vm_options *o, const char *name, const char *args,
		      unsigned host_cpus)
{
	*o = (struct vm_options){.vcpus = 1, .mem = VM_DEFAULT_MEM, .host_cpus = host_cpus,
				 .trace_dump = TRACE_DUMP_DEFAULT};
	strlcpy(o->name, name, sizeof(o->name));
	cmdline_each(args, vm_option, o);
	if (!o->error && o->trace_dump_given && !o->trace)
		o->error = "trace-dump= needs trace= (e.g. trace=exits,ipi)";
}

