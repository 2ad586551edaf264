/* Parsing doorbell's command line into kernel_config (kernel/config.h). */
#ifndef BOOT_CONFIG_H
#define BOOT_CONFIG_H

#include "kernel/config.h"

void config_parse(struct kernel_config *c, const char *cmdline);
/* The console UART console= names (COM1 unless console=com2), read before anything is printed;
 * config_parse() reports a bad value later. */
uint16_t config_console_port(const char *cmdline);
/* After config_parse(): true (having said why and what to do) when the command line had a bad
 * option and no `lenient`, and the boot must stop before any VM runs. */
bool config_refused(const struct kernel_config *c);

#endif
