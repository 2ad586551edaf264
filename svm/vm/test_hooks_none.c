/* The image users boot has no test hooks (svm/vm/test_hooks.h); the test image links
 * tests/hooks/test_hooks.c in this file's place. */
#include "svm/vm/test_hooks.h"

const struct test_hooks *test_hooks(void)
{
	return NULL;
}
