/*
 * tapc_text.h - bounded ASCII text building (no printf in the kernel core) and the debug
 * log ring that GET_LOG_LINE drains.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPC_TEXT_H
#define TAPC_TEXT_H

#include "tapc_base.h"

/* Text under construction: always NUL-terminated; overflow is sticky and truncates. */
typedef struct tapc_text {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
} tapc_text;

void tapc_text_init(tapc_text *t, char *buf, size_t cap);
void tapc_text_str(tapc_text *t, const char *s);
void tapc_text_u64(tapc_text *t, uint64_t v);
void tapc_text_hex(tapc_text *t, uint32_t v, unsigned digits);
void tapc_text_ip4(tapc_text *t, uint32_t ip);
void tapc_text_mac(tapc_text *t, const uint8_t mac[6]);
/*
 * A small format language over 32-bit arguments: %u decimal, %x hex, %I dotted IPv4, %%.
 * A directive with no argument left prints '?'.
 */
void tapc_text_fmt(tapc_text *t, const char *fmt, const uint32_t *args, size_t nargs);

#define TAPC_LOG_LINES    32
#define TAPC_LOG_LINE_MAX 96 /* bytes per line, NUL included */

/* The debug log: the last TAPC_LOG_LINES lines; older ones are overwritten. */
typedef struct tapc_log {
    char lines[TAPC_LOG_LINES][TAPC_LOG_LINE_MAX];
    uint32_t head;  /* oldest line */
    uint32_t count; /* lines held */
    uint32_t seq;   /* lines ever written (numbered in the text) */
    uint32_t lost;  /* lines overwritten before being read */
} tapc_log;

void tapc_log_init(tapc_log *log);
void tapc_log_write(tapc_log *log, const char *fmt, const uint32_t *args, size_t nargs);
/* Length (NUL included) of the oldest line, 0 when empty. */
size_t tapc_log_peek(const tapc_log *log);
/* Copy out and drop the oldest line; false (nothing copied) if empty or cap is too small. */
bool tapc_log_pop(tapc_log *log, char *out, size_t cap, size_t *written);

#endif /* TAPC_TEXT_H */
