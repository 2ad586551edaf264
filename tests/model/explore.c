/* Exhaustive depth-first search over every interleaving of the model's transitions, with a set
 * of visited states (128-bit hashes of system_key()) so each state is expanded once. Every path
 * ends in a state with no transition left (all bounds used up), where system_failure() judges
 * it. The path to the first failure is kept as its trace. */
#include "tests/model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPLORE_MAX_DEPTH 512
#define EXPLORE_KEY_BYTES 512

struct explore_hash {
	uint64_t a, b; /* a == 0: empty slot */
};

static struct {
	struct explore_hash *table;
	size_t capacity, used;
	struct explore_result *r;
	bool stop;
	char path[EXPLORE_MAX_DEPTH][MODEL_TEXT];
	char trace[EXPLORE_MAX_DEPTH + 1][MODEL_TEXT];
	unsigned trace_length;
} explore;

static void explore_hash_key(const uint8_t *key, size_t n, struct explore_hash *h)
{
	uint64_t a = 0xcbf29ce484222325ull; /* FNV-1a */
	uint64_t b = 0x9e3779b97f4a7c15ull; /* a multiply-xorshift mix, independent of a */
	for (size_t i = 0; i < n; i++) {
		a = (a ^ key[i]) * 0x100000001b3ull;
		b = (b ^ key[i]) * 0xff51afd7ed558ccdull;
		b ^= b >> 29;
	}
	h->a = a | 1;
	h->b = b;
}

static void explore_grow(void)
{
	size_t old_capacity = explore.capacity;
	struct explore_hash *old = explore.table;
	explore.capacity = old_capacity ? old_capacity * 2 : 1u << 16;
	explore.table = calloc(explore.capacity, sizeof(*explore.table));
	if (!explore.table) {
		fprintf(stderr, "model: out of memory for %zu states\n", explore.capacity);
		exit(2);
	}
	for (size_t i = 0; i < old_capacity; i++) {
		if (!old[i].a)
			continue;
		size_t j = old[i].b & (explore.capacity - 1);
		while (explore.table[j].a)
			j = (j + 1) & (explore.capacity - 1);
		explore.table[j] = old[i];
	}
	free(old);
}

/* True if the state was new (and is now recorded). */
static bool explore_visit(const struct model_state *s)
{
	uint8_t key[EXPLORE_KEY_BYTES];
	size_t n = system_key(s, key, sizeof(key));
	if (n > sizeof(key)) {
		fprintf(stderr, "model: state key of %zu bytes over %d\n", n, EXPLORE_KEY_BYTES);
		exit(2);
	}
	struct explore_hash h;
	explore_hash_key(key, n, &h);
	if (2 * (explore.used + 1) > explore.capacity)
		explore_grow();
	size_t j = h.b & (explore.capacity - 1);
	while (explore.table[j].a) {
		if (explore.table[j].a == h.a && explore.table[j].b == h.b)
			return false;
		j = (j + 1) & (explore.capacity - 1);
	}
	explore.table[j] = h;
	explore.used++;
	return true;
}

static void explore_dfs(const struct model_state *s, unsigned depth)
{
	if (explore.stop || !explore_visit(s))
		return;
	explore.r->states++;
	if (depth > explore.r->max_depth)
		explore.r->max_depth = depth;
	struct model_transition t[MODEL_MAX_TRANSITIONS];
	unsigned n = system_transitions(s, t);
	if (n == 0) {
		char text[MODEL_TEXT];
		enum model_failure f = system_failure(s, text);
		if (f != MODEL_FINE) {
			explore.r->failure = f;
			explore.stop = true;
			memcpy(explore.trace, explore.path, depth * sizeof(explore.path[0]));
			memcpy(explore.trace[depth], text, sizeof(text));
			explore.trace_length = depth + 1;
		}
		return;
	}
	if (depth == EXPLORE_MAX_DEPTH) {
		explore.r->depth_exceeded = true;
		explore.stop = true;
		return;
	}
	for (unsigned i = 0; i < n && !explore.stop; i++) {
		struct model_state next = *s;
		system_apply(&next, &t[i], explore.path[depth]);
		explore.r->transitions++;
		explore_dfs(&next, depth + 1);
	}
}

void explore_run(const struct model_config *c, struct explore_result *r, bool print_trace)
{
	static struct model_state initial;
	memset(r, 0, sizeof(*r));
	if (explore.table)
		memset(explore.table, 0, explore.capacity * sizeof(*explore.table));
	explore.used = 0;
	explore.r = r;
	explore.stop = false;
	explore.trace_length = 0;
	system_init(&initial, c);
	explore_dfs(&initial, 0);
	r->coverage = *system_coverage();
	if (print_trace && explore.trace_length) {
		for (unsigned i = 0; i < explore.trace_length; i++)
			printf("    %3u  %s\n", i + 1, explore.trace[i]);
	}
}
