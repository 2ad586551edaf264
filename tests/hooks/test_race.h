/* test-race=wake (tests only): widens the windows of the race between a sender's wake-up of a
 * vCPU and that vCPU blocking again, so that a QEMU test hits in one run what the IPI storm hits
 * once in many (tests/qemu/guests.py doorbell-ipi-storm-race, docs/guests.md). Without the
 * option every call returns at once. */
#ifndef TESTS_HOOKS_TEST_RACE_H
#define TESTS_HOOKS_TEST_RACE_H

#include "svm/vm/test_hooks.h"

void test_race_point_delay(enum test_race_point p);
/* "test-race: N wakes delayed, M puts delayed" once the VMs have ended, if the option is on. */
void test_race_report(void);

#endif
