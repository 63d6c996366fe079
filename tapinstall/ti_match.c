/*
 * tapinstall: matching devices against the ids given on the command line.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ti.h"

static TiChar Fold(TiChar c)
{
    return (c >= 'A' && c <= 'Z') ? (TiChar)(c + ('a' - 'A')) : c;
}

/*
 * Iterative glob with one backtrack point (the last '*' seen): never recursive, and at worst
 * quadratic in the lengths, whatever the pattern.
 */
int MatchGlob(const TiChar *pattern, const TiChar *text)
{
    const TiChar *p = pattern;
    const TiChar *t = text;
    const TiChar *starP = NULL;
    const TiChar *starT = NULL;

    while (*t != 0) {
        if (*p == '*') {
            starP = ++p;
            starT = t;
            continue;
        }
        if (*p != 0 && Fold(*p) == Fold(*t)) {
            ++p;
            ++t;
            continue;
        }
        if (starP == NULL)
            return 0;
        /* Let the last star swallow one more character and retry from there. */
        p = starP;
        t = ++starT;
    }
    while (*p == '*')
        ++p;
    return *p == 0;
}

/* The id without a leading "root\" (case-blind), or NULL when it has none. */
static const TiChar *AfterRoot(const TiChar *id)
{
    static const char root[] = "root\\";
    size_t i;
    for (i = 0; root[i] != '\0'; ++i) {
        if (Fold(id[i]) != (TiChar)root[i])
            return NULL;
    }
    return id + i;
}

static int MatchIdList(const TiChar *pattern, const TiChar *ids)
{
    if (ids == NULL)
        return 0;
    for (const TiChar *id = ids; *id != 0;) {
        const TiChar *rest = AfterRoot(id);
        if (MatchGlob(pattern, id) || (rest != NULL && MatchGlob(pattern, rest)))
            return 1;
        while (*id != 0)
            ++id;
        ++id;
    }
    return 0;
}

int MatchDevice(const TiChar *pattern, const TiChar *instanceId, const TiChar *hardwareIds,
                const TiChar *compatibleIds)
{
    if (pattern[0] == '@')
        return instanceId != NULL && MatchGlob(pattern + 1, instanceId);
    return MatchIdList(pattern, hardwareIds) || MatchIdList(pattern, compatibleIds);
}
