/*
 * tapinstall: splitting a Windows command line into arguments.
 *
 * The rules are those Microsoft documents for its C runtime ("Parsing C command-line
 * arguments"), so tapinstall sees the same arguments devcon did.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ti.h"

static int IsBlank(TiChar c)
{
    return c == ' ' || c == '\t';
}

size_t ArgsSplitChars(const TiChar *cmdline)
{
    size_t n = 0;
    while (cmdline[n] != 0)
        ++n;
    /* Every argument is at most as long as its source text, and each terminator replaces at
     * least one separator or quote, except the last one and an empty argv[0]. */
    return n + 2;
}

size_t ArgsSplitMax(const TiChar *cmdline)
{
    size_t n = 0;
    while (cmdline[n] != 0)
        ++n;
    /* argv[0] (even empty), then an argument per two source characters at most ("" x),
     * then the NULL. */
    return n / 2 + 3;
}

size_t ArgsSplit(const TiChar *cmdline, TiChar *strings, TiChar **argv)
{
    const TiChar *p = cmdline;
    TiChar *w = strings;
    size_t argc = 0;

    /* argv[0]: up to the closing quote, or the first blank; no escapes. */
    argv[argc++] = w;
    if (*p == '"') {
        ++p;
        while (*p != 0 && *p != '"')
            *w++ = *p++;
        if (*p == '"')
            ++p;
    } else {
        while (*p != 0 && !IsBlank(*p))
            *w++ = *p++;
    }
    *w++ = 0;

    for (;;) {
        while (IsBlank(*p))
            ++p;
        if (*p == 0)
            break;

        argv[argc++] = w;
        int quoted = 0;
        while (*p != 0 && (quoted || !IsBlank(*p))) {
            if (*p == '\\') {
                size_t slashes = 0;
                while (*p == '\\') {
                    ++slashes;
                    ++p;
                }
                if (*p == '"') {
                    for (size_t i = 0; i < slashes / 2; ++i)
                        *w++ = '\\';
                    if (slashes % 2 != 0) {
                        *w++ = '"';
                        ++p;
                    }
                    /* An even count leaves the quote to toggle below. */
                } else {
                    for (size_t i = 0; i < slashes; ++i)
                        *w++ = '\\';
                }
                continue;
            }
            if (*p == '"') {
                if (quoted && p[1] == '"') {
                    /* "" inside a quoted part is one literal quote. */
                    *w++ = '"';
                    p += 2;
                    continue;
                }
                quoted = !quoted;
                ++p;
                continue;
            }
            *w++ = *p++;
        }
        *w++ = 0;
    }
    argv[argc] = NULL;
    return argc;
}
