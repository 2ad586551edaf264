/* test-race=wake (tests only): widens the windows of the race between a sender's wake-up of a
 * vCPU and that vCPU blocking again, so that a QEMU test hits in one run what the IPI storm hits
 * once in many (tests/qemu/guests.py doorbell-ipi-storm-race, docs/guests.md). Without the
 * option every call returns at once. */
#ifndef SVM_TEST_RACE_H
#define SVM_TEST_RACE_H

#include "kernel/types.h"

enum test_race_point {
	/* A wake-up by the delivery protocol, mostly a sender's that found its target not loaded:
	 * as if the host had descheduled the sender's CPU there (1 in 4 times, 2 to 10 ms). */
	TEST_RACE_WAKE,
	/* A vCPU that left its run loop to wait (BLOCKED or WAIT_SIPI), before it is put (1 in 2
	 * times, 0.5 to 1.5 ms). */
	TEST_RACE_PUT,
	TEST_RACE_POINTS
};

void test_race_delay(enum test_race_point p);
/* "test-race: N wakes delayed, M puts delayed" once the VMs have ended, if the option is on. */
void test_race_report(void);

#endif
