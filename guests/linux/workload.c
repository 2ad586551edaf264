/* An IPI-heavy Linux user program for the Linux guest (docs/linux.md "The workload"): static,
 * no libc, raw system calls. One thread per CPU, each pinned to its CPU, then ROUNDS rounds of:
 *   1. a token passed around the ring of threads with futexes: each thread sleeps in FUTEX_WAIT
 *      until its predecessor stores the token and FUTEX_WAKEs it, so every hand-off wakes a
 *      thread whose CPU went idle (a reschedule IPI);
 *   2. every thread spins over the shared pages while thread 0 write-protects them and gives
 *      write access back (mprotect), and unmaps and maps again a page they all read (munmap):
 *      TLB shootdown IPIs to the CPUs running the other threads;
 *   3. thread 0, still with everybody spinning, calls membarrier(PRIVATE_EXPEDITED): an IPI to
 *      every CPU running a thread of this process.
 *   4. idle wake-ups: threads 2k and 2k+1 take turns; one goes to sleep in FUTEX_WAIT, the
 *      other spins in user space until its CPU should have gone idle (a gap of 0 to 1.6 ms,
 *      varied) and wakes it: a reschedule IPI sent from a CPU that stayed in guest mode to one
 *      that has just halted, the moment AMD erratum #1235 loses (docs/avic.md). The waker spins
 *      until the sleeper answers and measures how long that took.
 * Every 10 rounds a heartbeat line; at the end the counts, and the CAL, TLB and RES lines of
 * /proc/interrupts. Usage: workload [ROUNDS [STALL_MS [WAKE_MS]]] (default 100 rounds; with
 * STALL_MS, a round that takes longer is reported as a stall, the field symptom of a lost
 * wake-up IPI, and the workload ends after it; with WAKE_MS, a wake-up of phase 4 not answered
 * within WAKE_MS is reported as a stall too, without ending the workload). Exit status 0 if every
 * check held, 2 after a round's stall. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_mmap 9
#define SYS_mprotect 10
#define SYS_munmap 11
#define SYS_sched_yield 24
#define SYS_clone 56
#define SYS_exit 60
#define SYS_futex 202
#define SYS_sched_setaffinity 203
#define SYS_sched_getaffinity 204
#define SYS_exit_group 231
#define SYS_clock_gettime 228
#define SYS_nanosleep 35
#define SYS_membarrier 324

#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define CLONE_THREAD_FLAGS 0x00050f00 /* VM FS FILES SIGHAND THREAD SYSVSEM */
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED 8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16
#define CLOCK_MONOTONIC 1
#define EAGAIN 11
#define EINTR 4

#define MAX_THREADS 64
#define STACK_SIZE 65536
#define PAGE 4096
#define SHARED_PAGES 8
#define MPROTECTS_PER_ROUND 2
#define HEARTBEAT_EVERY 10
#define WAKEUPS_PER_ROUND 24 /* phase 4: 12 each way in every pair, one per gap below */
#define LATE_WAKE_MS 100     /* phase 4: a wake-up answered later than this is counted as late */

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* ---- output ---------------------------------------------------------------------------------- */

static void put(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	sys3(SYS_write, 1, s, n);
}

static char *fmt_u(char *p, unsigned long v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* line("a", 1, "b", 2, ..., NULL): text and numbers alternating, then a newline */
static void line(const char *t0, long v0, const char *t1, long v1, const char *t2, long v2,
		 const char *t3, long v3)
{
	char buf[256], *p = buf;
	const char *t[4] = {t0, t1, t2, t3};
	long v[4] = {v0, v1, v2, v3};
	for (int i = 0; i < 4 && t[i]; i++) {
		for (const char *s = t[i]; *s; s++)
			*p++ = *s;
		if (v[i] >= 0)
			p = fmt_u(p, (unsigned long)v[i]);
	}
	*p++ = '\n';
	sys3(SYS_write, 1, buf, p - buf);
}

static inline unsigned long rdtsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (unsigned long)hi << 32 | lo;
}

static unsigned long now_ms(void)
{
	long ts[2];
	sys3(SYS_clock_gettime, CLOCK_MONOTONIC, ts, 0);
	return (unsigned long)ts[0] * 1000 + (unsigned long)ts[1] / 1000000;
}

/* ---- threads --------------------------------------------------------------------------------- */

struct shared {
	volatile int token[MAX_THREADS]; /* futex words: the round a thread may take its turn in */
	volatile int phase_arrived;      /* spin barrier */
	volatile int phase_gen;
	volatile int spin_stop;          /* thread 0 ends the spinning phase */
	volatile int pinned;             /* threads that pinned themselves */
	volatile int done;               /* threads that finished */
	volatile int failures;
	volatile long handoffs;
	int nthreads, rounds;
	unsigned long stall_ms;     /* 0: no stall check */
	volatile int stop_after;    /* a stall ends the workload after this round */
	unsigned long slowest_ms;   /* the slowest round so far */
	int slowest_round;
	volatile uint8_t *pages; /* SHARED_PAGES pages every thread touches */
	volatile uint8_t *victim; /* the page unmapped and mapped again */
	/* phase 4, per thread: the wake-up it sleeps for (futex word), the one it announced it
	 * sleeps for, the last one it answered */
	volatile int wake[MAX_THREADS], asleep[MAX_THREADS], answered[MAX_THREADS];
	unsigned long tsc_per_ms;
	unsigned phases;                /* bit n-1: phase n runs */
	unsigned long wake_ms;          /* 0: no wake-up stall check */
	volatile long wakeups, late_wakeups, stalled_wakeups;
	volatile unsigned long slowest_wake_us;
};

static struct shared S;
static uint8_t stacks[MAX_THREADS][STACK_SIZE] __attribute__((aligned(16)));

static void fail(const char *what, long value)
{
	__atomic_fetch_add(&S.failures, 1, __ATOMIC_SEQ_CST);
	line("workload: FAIL ", -1, what, value, NULL, 0, NULL, 0);
}

static void futex_wait(volatile int *w, int val)
{
	sys6(SYS_futex, (long)w, FUTEX_WAIT_PRIVATE, val, 0, 0, 0);
}

static void futex_wake(volatile int *w)
{
	sys6(SYS_futex, (long)w, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

static void barrier(void)
{
	int gen = __atomic_load_n(&S.phase_gen, __ATOMIC_ACQUIRE);
	if (__atomic_add_fetch(&S.phase_arrived, 1, __ATOMIC_ACQ_REL) == S.nthreads) {
		__atomic_store_n(&S.phase_arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&S.phase_gen, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&S.phase_gen, __ATOMIC_ACQUIRE) == gen)
		__asm__ volatile("pause");
}

static void wait_for(volatile int *w, int want)
{
	int v;
	while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) != want)
		futex_wait(w, v);
}

/* Phase 1: thread 0 hands the token to thread 1, each thread waits for it and hands it on, and
 * thread 0 waits for it to come back: nthreads hand-offs per round, each a FUTEX_WAKE of a
 * thread sleeping on another CPU. token[i] counts the rounds in which thread i got it. */
static void ring(int self, int round)
{
	int next = (self + 1) % S.nthreads;
	if (self != 0)
		wait_for(&S.token[self], round + 1);
	S.pages[(self % SHARED_PAGES) * PAGE] = (uint8_t)round; /* each thread writes its page */
	__atomic_add_fetch(&S.handoffs, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&S.token[next], round + 1, __ATOMIC_RELEASE);
	futex_wake(&S.token[next]);
	if (self == 0)
		wait_for(&S.token[0], round + 1);
}

/* Phase 2 and 3: everybody reads the shared pages while thread 0 changes their mappings. */
static unsigned long mprotects, munmaps, membarriers;

static void shootdowns(int self, int round)
{
	barrier();
	if (self == 0) {
		for (int k = 0; k < MPROTECTS_PER_ROUND; k++) {
			if (sys3(SYS_mprotect, S.pages, SHARED_PAGES * PAGE, PROT_READ))
				fail("mprotect read-only, errno ", 0);
			if (sys3(SYS_mprotect, S.pages, SHARED_PAGES * PAGE, PROT_READ | PROT_WRITE))
				fail("mprotect read-write, errno ", 0);
			mprotects += 2;
		}
		/* the victim page: threads only read it between barriers while it is mapped */
		if (sys3(SYS_munmap, S.victim, PAGE, 0))
			fail("munmap ", 0);
		long p = sys6(SYS_mmap, (long)S.victim, PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != (long)S.victim)
			fail("mmap again ", p);
		S.victim[0] = (uint8_t)(round + 1);
		munmaps++;
		long r = sys3(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
		if (r)
			fail("membarrier ", -r);
		membarriers++;
		__atomic_store_n(&S.spin_stop, round + 1, __ATOMIC_RELEASE);
	} else {
		unsigned sum = 0;
		while (__atomic_load_n(&S.spin_stop, __ATOMIC_ACQUIRE) != round + 1) {
			for (int p = 0; p < SHARED_PAGES; p++)
				sum += S.pages[p * PAGE];
			__asm__ volatile("pause");
		}
		(void)sum;
	}
	barrier();
	if (S.victim[0] != (uint8_t)(round + 1))
		fail("victim page content after munmap/mmap, round ", round);
}

/* Phase 4: in each pair (2k, 2k+1; an odd last thread sits out) the threads take turns: the
 * sleeper announces the wake-up it waits for and sleeps in FUTEX_WAIT, its CPU goes idle (HLT);
 * the waker spins in user space, without a system call or any other exit, for a gap after the
 * announcement, then wakes it. The gaps cover the time the sleeper's CPU takes to halt under
 * TCG, so some wake-ups reach a CPU that has just left guest mode while the waker has not: the
 * window of erratum #1235 (docs/avic.md). The waker then spins until the sleeper answers: a
 * wake-up not answered within WAKE_MS is reported as a stall, and when it is answered; the
 * workload goes on (a host that starves a QEMU thread for seconds delays a wake-up as long). */
static const unsigned gap_us[WAKEUPS_PER_ROUND / 2] = {0,    100,  200,  400,  700,  1000,
						       1400, 1800, 2200, 2600, 3000, 3500};

/* "workload: STALL: round R: CPU P <what> the wake-up from CPU S after MS ms (gap G us)" */
static void stall_line(int round, int peer, const char *what, int self, unsigned long ms,
		       unsigned gap)
{
	char buf[160], *p = buf;
	const char *t[] = {"workload: STALL: round ", ": CPU ", " ", " the wake-up from CPU ",
			   " after ", " ms (gap ", " us)\n"};
	for (int i = 0; i < 7; i++) {
		for (const char *c = t[i]; *c; c++)
			*p++ = *c;
		if (i == 0)
			p = fmt_u(p, (unsigned long)round);
		else if (i == 1)
			p = fmt_u(p, (unsigned long)peer);
		else if (i == 2)
			for (const char *c = what; *c; c++)
				*p++ = *c;
		else if (i == 3)
			p = fmt_u(p, (unsigned long)self);
		else if (i == 4)
			p = fmt_u(p, ms);
		else if (i == 5)
			p = fmt_u(p, gap);
	}
	sys3(SYS_write, 1, buf, p - buf);
}

static void spin_us(unsigned long us)
{
	unsigned long end = rdtsc() + us * S.tsc_per_ms / 1000;
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

static void wakeups(int self, int round)
{
	int peer = self ^ 1;
	if (peer >= S.nthreads)
		return;
	for (int j = 0; j < WAKEUPS_PER_ROUND; j++) {
		int seq = round * WAKEUPS_PER_ROUND + j + 1;
		bool sleeper = (self & 1) == (j & 1);
		if (sleeper) {
			__atomic_store_n(&S.asleep[self], seq, __ATOMIC_RELEASE);
			wait_for(&S.wake[self], seq);
			__atomic_store_n(&S.answered[self], seq, __ATOMIC_RELEASE);
			continue;
		}
		while (__atomic_load_n(&S.asleep[peer], __ATOMIC_ACQUIRE) != seq)
			__asm__ volatile("pause");
		spin_us(gap_us[j / 2]);
		unsigned long t0 = rdtsc();
		__atomic_store_n(&S.wake[peer], seq, __ATOMIC_RELEASE);
		futex_wake(&S.wake[peer]);
		bool reported = false;
		unsigned long limit = S.wake_ms * S.tsc_per_ms;
		while (__atomic_load_n(&S.answered[peer], __ATOMIC_ACQUIRE) != seq) {
			if (limit && !reported && rdtsc() - t0 > limit) {
				stall_line(round + 1, peer, "has not taken", self, S.wake_ms, gap_us[j / 2]);
				reported = true;
			}
			__asm__ volatile("pause");
		}
		unsigned long us = (rdtsc() - t0) * 1000 / S.tsc_per_ms;
		__atomic_add_fetch(&S.wakeups, 1, __ATOMIC_RELAXED);
		if (us > LATE_WAKE_MS * 1000)
			__atomic_add_fetch(&S.late_wakeups, 1, __ATOMIC_RELAXED);
		unsigned long slowest = __atomic_load_n(&S.slowest_wake_us, __ATOMIC_RELAXED);
		while (us > slowest && !__atomic_compare_exchange_n(&S.slowest_wake_us, &slowest, us,
								     false, __ATOMIC_RELAXED,
								     __ATOMIC_RELAXED))
			;
		if (reported) {
			stall_line(round + 1, peer, "took", self, us / 1000, gap_us[j / 2]);
			__atomic_add_fetch(&S.stalled_wakeups, 1, __ATOMIC_RELAXED);
		}
	}
}

static int thread_main(int self)
{
	unsigned long mask[MAX_THREADS / 64 + 1] = {0};
	mask[self / 64] = 1ul << (self % 64);
	long r = sys3(SYS_sched_setaffinity, 0, sizeof(mask), mask);
	if (r)
		fail("sched_setaffinity, -errno ", -r);
	__atomic_add_fetch(&S.pinned, 1, __ATOMIC_RELEASE);
	barrier();
	unsigned long start = now_ms(), round_start = start;
	for (int round = 0; round < S.rounds; round++) {
		if (S.phases & 1)
			ring(self, round);
		if (S.phases & 6)
			shootdowns(self, round); /* phases 2 and 3 */
		if (S.phases & 8)
			wakeups(self, round);
		if (self == 0) {
			unsigned long t = now_ms(), took = t - round_start;
			round_start = t;
			if (took > S.slowest_ms) {
				S.slowest_ms = took;
				S.slowest_round = round + 1;
			}
			if (S.stall_ms && took > S.stall_ms && S.stop_after < 0) {
				line("workload: STALL: round ", round + 1, " took ", (long)took,
				     " ms (limit ", (long)S.stall_ms, " ms)", -1);
				__atomic_store_n(&S.stop_after, round + 1, __ATOMIC_RELEASE);
			}
		}
		barrier(); /* everybody sees stop_after before deciding to go on */
		if (__atomic_load_n(&S.stop_after, __ATOMIC_ACQUIRE) >= 0)
			break;
		if (self == 0 && (round + 1) % HEARTBEAT_EVERY == 0)
			line("workload: heartbeat round ", round + 1, " of ", S.rounds, " at ",
			     (long)(now_ms() - start), " ms", -1);
	}
	__atomic_add_fetch(&S.done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* clone() for a thread: the child starts on its own stack with nothing but the registers, so it
 * takes its index from RBX, which the kernel preserves, and calls thread_main from assembly. */
__attribute__((noreturn)) static void thread_entry(long self)
{
	thread_main((int)self);
	for (;;)
		sys3(SYS_exit, 0, 0, 0);
}

static long spawn(int self)
{
	uint8_t *top = stacks[self] + STACK_SIZE;
	register void (*fn)(long) __asm__("r12") = thread_entry;
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov %%rbx, %%rdi\n\t"
			 "and $-16, %%rsp\n\t"
			 "call *%%r12\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(SYS_clone), "D"(CLONE_THREAD_FLAGS), "S"(top), "d"(0), "b"((long)self),
			   "r"(fn)
			 : "rcx", "r11", "memory");
	return ret;
}

/* ---- /proc/interrupts ------------------------------------------------------------------------ */

static char procbuf[16384];

/* Prints the lines of /proc/interrupts starting with "CAL:", "TLB:" and "RES:" (after spaces),
 * and puts the sum of each one's per-CPU counts in out[0], out[1], out[2]. */
static void read_ipi_counts(unsigned long out[3], bool print)
{
	static const char *names[3] = {"CAL:", "TLB:", "RES:"};
	long fd = sys3(SYS_open, "/proc/interrupts", 0, 0);
	if (fd < 0) {
		fail("open /proc/interrupts, -errno ", -fd);
		return;
	}
	long n = 0, r;
	while (n < (long)sizeof(procbuf) - 1 &&
	       (r = sys3(SYS_read, fd, procbuf + n, sizeof(procbuf) - 1 - n)) > 0)
		n += r;
	sys3(SYS_close, fd, 0, 0);
	procbuf[n] = 0;
	for (char *l = procbuf; *l;) {
		char *e = l;
		while (*e && *e != '\n')
			e++;
		char *s = l;
		while (*s == ' ')
			s++;
		for (int k = 0; k < 3; k++) {
			const char *nm = names[k];
			int i = 0;
			while (nm[i] && s[i] == nm[i])
				i++;
			if (nm[i])
				continue;
			unsigned long sum = 0;
			for (char *q = s + 4; q < e;) {
				while (q < e && *q == ' ')
					q++;
				if (q >= e || *q < '0' || *q > '9')
					break;
				unsigned long v = 0;
				while (q < e && *q >= '0' && *q <= '9')
					v = v * 10 + (unsigned long)(*q++ - '0');
				sum += v;
			}
			out[k] = sum;
			if (!print)
				continue;
			put("workload: /proc/interrupts ");
			sys3(SYS_write, 1, s, e - s);
			put("\n");
		}
		l = *e ? e + 1 : e;
	}
}

static int parse_uint(const char *s, int def)
{
	if (!s || !*s)
		return def;
	int v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v > 0 ? v : def;
}

static int count_cpus(void)
{
	unsigned long mask[MAX_THREADS / 64 + 1] = {0};
	long r = sys3(SYS_sched_getaffinity, 0, sizeof(mask), mask);
	if (r <= 0)
		return 1;
	int n = 0;
	for (unsigned i = 0; i < MAX_THREADS; i++)
		n += (mask[i / 64] >> (i % 64)) & 1;
	return n;
}

/* The TSC's rate against CLOCK_MONOTONIC over 50 ms of sleep (the gaps of phase 4). */
static unsigned long tsc_per_ms(void)
{
	long req[2] = {0, 50 * 1000 * 1000};
	unsigned long m0 = now_ms(), t0 = rdtsc();
	sys3(SYS_nanosleep, req, 0, 0);
	unsigned long m1 = now_ms(), t1 = rdtsc();
	return m1 > m0 ? (t1 - t0) / (m1 - m0) : 1000000;
}

static unsigned long ipis_before[3];

static int workload_main(int argc, char **argv)
{
	S.rounds = parse_uint(argc > 1 ? argv[1] : NULL, 100);
	S.stall_ms = (unsigned long)parse_uint(argc > 2 ? argv[2] : NULL, 0);
	S.wake_ms = (unsigned long)parse_uint(argc > 3 ? argv[3] : NULL, (int)S.stall_ms);
	S.tsc_per_ms = tsc_per_ms();
	S.phases = 0;
	for (const char *c = argc > 4 ? argv[4] : ""; *c; c++)
		if (*c >= '1' && *c <= '4')
			S.phases |= 1u << (*c - '1');
	if (!S.phases)
		S.phases = 0xf;
	S.stop_after = -1;
	S.nthreads = count_cpus();
	if (S.nthreads > MAX_THREADS)
		S.nthreads = MAX_THREADS;
	long q = sys3(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		fail("membarrier PRIVATE_EXPEDITED not offered, query ", q);
	long r = sys3(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
	if (r)
		fail("membarrier register, -errno ", -r);
	long p = sys6(SYS_mmap, 0, (SHARED_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096) {
		fail("mmap, -errno ", -p);
		return 1;
	}
	S.pages = (volatile uint8_t *)p;
	S.victim = S.pages + SHARED_PAGES * PAGE;
	S.victim[0] = 0;
	line("workload: ", S.nthreads, " threads (one per CPU, pinned), ", S.rounds, " rounds", -1,
	     NULL, 0);
	read_ipi_counts(ipis_before, false);
	for (int i = 1; i < S.nthreads; i++) {
		long t = spawn(i);
		if (t < 0)
			fail("clone, -errno ", -t);
	}
	thread_main(0);
	while (__atomic_load_n(&S.done, __ATOMIC_ACQUIRE) != S.nthreads)
		sys3(SYS_sched_yield, 0, 0, 0);
	int rounds_run = S.stop_after >= 0 ? S.stop_after : S.rounds;
	line("workload: slowest round ", S.slowest_round, " took ", (long)S.slowest_ms, " ms", -1,
	     NULL, 0);
	long expect = S.phases & 1 ? (long)rounds_run * S.nthreads : 0;
	line("workload: handoffs ", S.handoffs, " (expected ", expect, ")", -1, NULL, 0);
	if (S.handoffs != expect)
		fail("handoff count ", S.handoffs);
	if (S.stop_after >= 0)
		line("workload: stopped after the stall in round ", S.stop_after, " of ", S.rounds,
		     NULL, 0, NULL, 0);
	long pairs = S.phases & 8 ? S.nthreads / 2 : 0;
	line("workload: wake-ups after a gap ", S.wakeups, " (expected ",
	     (long)rounds_run * pairs * WAKEUPS_PER_ROUND, "), slowest ",
	     (long)(S.slowest_wake_us / 1000), " ms", -1);
	line("workload: wake-ups answered after more than ", LATE_WAKE_MS, " ms: ", S.late_wakeups,
	     ", after more than ", (long)S.wake_ms, " ms (stalls): ", S.stalled_wakeups);
	if (S.wakeups != (long)rounds_run * pairs * WAKEUPS_PER_ROUND)
		fail("wake-up count ", S.wakeups);
	line("workload: mprotects ", (long)mprotects, " munmaps ", (long)munmaps, " membarriers ",
	     (long)membarriers, NULL, 0);
	if (S.pinned != S.nthreads)
		fail("threads pinned ", S.pinned);
	unsigned long ipis[3] = {0, 0, 0};
	read_ipi_counts(ipis, true);
	line("workload: IPIs during the workload: CAL ", (long)(ipis[0] - ipis_before[0]), " TLB ",
	     (long)(ipis[1] - ipis_before[1]), " RES ", (long)(ipis[2] - ipis_before[2]), NULL, 0);
	if (S.failures)
		line("workload: FAILED, failures ", S.failures, NULL, 0, NULL, 0, NULL, 0);
	else if (S.stop_after >= 0)
		put("workload: stalled\n");
	else
		put("workload: passed\n");
	return S.failures ? 1 : S.stop_after >= 0 ? 2 : 0;
}

/* The process entry: the kernel leaves argc at (%rsp), argv after it. */
__attribute__((used)) static void start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	int status = workload_main(argc, argv);
	for (;;)
		sys3(SYS_exit_group, status, 0, 0);
}

__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call start_c\n"
	"	ud2\n");
