/*
 * Deliberately defective C for tests/analyze: `nox -s analyze` must report each marked line.
 * Plain C (no kernel headers), so it compiles with any tree's flags, like driver/core.
 */
#include <stddef.h>

int tap_buggy_null(const int *p);
unsigned tap_buggy_depth(unsigned n);
unsigned tap_buggy_sum(const unsigned char *p, size_t n);
int tap_buggy_sign(int x);

int tap_buggy_null(const int *p)
{
    const int *q = NULL;
    if (p == NULL)
        return *q; /* BUG clang-analyzer-core.NullDereference */
    return *p;
}

unsigned tap_buggy_depth(unsigned n) /* BUG misc-no-recursion */
{
    return n == 0 ? 0 : 1 + tap_buggy_depth(n - 1);
}

unsigned tap_buggy_sum(const unsigned char *p, size_t n)
{
    unsigned sum;
    for (size_t i = 0; i < n; ++i)
        sum += p[i]; /* BUG clang-analyzer-core.uninitialized.Assign */
    return sum;      /* BUG clang-analyzer-core.uninitialized.UndefReturn */
}

int tap_buggy_sign(int x)
{
    if (x < 0) /* BUG bugprone-branch-clone */
        return -1;
    else
        return -1;
}
