/*
 * tapc_text.c - text building and the debug log ring.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tapc_text.h"

void tapc_text_init(tapc_text *t, char *buf, size_t cap)
{
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    t->overflow = cap == 0;
    if (cap > 0)
        buf[0] = '\0';
}

static void text_char(tapc_text *t, char c)
{
    if (t->cap == 0 || t->len + 1 >= t->cap) {
        t->overflow = true;
        return;
    }
    t->buf[t->len++] = c;
    t->buf[t->len] = '\0';
}

void tapc_text_str(tapc_text *t, const char *s)
{
    while (*s != '\0')
        text_char(t, *s++);
}

/* Decimal by subtracting powers of ten: no 64-bit division (which i386 kernels lack). */
void tapc_text_u64(tapc_text *t, uint64_t v)
{
    static const uint64_t pow10[20] = {
        10000000000000000000u,
        1000000000000000000u,
        100000000000000000u,
        10000000000000000u,
        1000000000000000u,
        100000000000000u,
        10000000000000u,
        1000000000000u,
        100000000000u,
        10000000000u,
        1000000000u,
        100000000u,
        10000000u,
        1000000u,
        100000u,
        10000u,
        1000u,
        100u,
        10u,
        1u,
    };
    bool started = false;
    unsigned i;

    for (i = 0; i < 20; i++) {
        unsigned digit = 0;
        while (v >= pow10[i]) {
            v -= pow10[i];
            digit++;
        }
        if (digit != 0 || started || i == 19) {
            text_char(t, (char)('0' + digit));
            started = true;
        }
    }
}

void tapc_text_hex(tapc_text *t, uint32_t v, unsigned digits)
{
    static const char hex[] = "0123456789abcdef";
    unsigned i;

    if (digits > 8)
        digits = 8;
    for (i = digits; i > 0; i--)
        text_char(t, hex[(v >> ((i - 1) * 4)) & 0xFu]);
}

void tapc_text_ip4(tapc_text *t, uint32_t ip)
{
    unsigned i;

    for (i = 0; i < 4; i++) {
        if (i)
            text_char(t, '.');
        tapc_text_u64(t, (ip >> (24 - 8 * i)) & 0xFFu);
    }
}

void tapc_text_mac(tapc_text *t, const uint8_t mac[6])
{
    unsigned i;

    for (i = 0; i < 6; i++) {
        if (i)
            text_char(t, ':');
        tapc_text_hex(t, mac[i], 2);
    }
}

void tapc_text_fmt(tapc_text *t, const char *fmt, const uint32_t *args, size_t nargs)
{
    size_t next = 0;

    for (; *fmt != '\0'; fmt++) {
        char c = *fmt;
        if (c != '%' || fmt[1] == '\0') {
            text_char(t, c);
            continue;
        }
        c = *++fmt;
        if (c == '%') {
            text_char(t, '%');
            continue;
        }
        if (next >= nargs || args == NULL) {
            text_char(t, '?');
            continue;
        }
        switch (c) {
        case 'u':
            tapc_text_u64(t, args[next]);
            break;
        case 'x':
            tapc_text_hex(t, args[next], 8);
            break;
        case 'I':
            tapc_text_ip4(t, args[next]);
            break;
        default:
            text_char(t, '?');
            break;
        }
        next++;
    }
}

void tapc_log_init(tapc_log *log)
{
    tapc_memset(log, 0, sizeof *log);
}

void tapc_log_write(tapc_log *log, const char *fmt, const uint32_t *args, size_t nargs)
{
    uint32_t slot;
    tapc_text t;
    uint32_t seq[1];

    if (log->count == TAPC_LOG_LINES) {
        log->head = (log->head + 1u) % TAPC_LOG_LINES;
        log->count--;
        log->lost++;
    }
    slot = (log->head + log->count) % TAPC_LOG_LINES;
    tapc_text_init(&t, log->lines[slot], TAPC_LOG_LINE_MAX);
    seq[0] = log->seq++;
    tapc_text_fmt(&t, "%u ", seq, 1);
    tapc_text_fmt(&t, fmt, args, nargs);
    log->count++;
}

size_t tapc_log_peek(const tapc_log *log)
{
    const char *line;
    size_t n = 0;

    if (log->count == 0)
        return 0;
    line = log->lines[log->head];
    while (n < TAPC_LOG_LINE_MAX - 1 && line[n] != '\0')
        n++;
    return n + 1;
}

bool tapc_log_pop(tapc_log *log, char *out, size_t cap, size_t *written)
{
    size_t n = tapc_log_peek(log);

    if (n == 0 || out == NULL || cap < n)
        return false;
    tapc_memcpy(out, log->lines[log->head], n);
    out[n - 1] = '\0';
    *written = n;
    log->head = (log->head + 1u) % TAPC_LOG_LINES;
    log->count--;
    return true;
}
