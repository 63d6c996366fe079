/*
 * tapinstall: buffered text output for the portable core (no C runtime, no allocation).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPINSTALL_TI_OUT_H
#define TAPINSTALL_TI_OUT_H

#include "ti.h"

#define TI_OUT_BUFFER 256

typedef struct {
    const TiPlatform *platform;
    TiStream stream;
    size_t len;
    TiChar buf[TI_OUT_BUFFER];
} TiOut;

void OutInit(TiOut *out, const TiPlatform *platform, TiStream stream);
void OutFlush(TiOut *out);
void OutChar(TiOut *out, TiChar c);
/* UTF-16 text; NULL writes nothing. */
void OutText(TiOut *out, const TiChar *text);
void OutTextN(TiOut *out, const TiChar *text, size_t len);
/* A NUL-terminated ASCII literal. */
void OutAscii(TiOut *out, const char *text);
void OutUnsigned(TiOut *out, uint32_t value);
/* 0x followed by 8 upper-case hex digits. */
void OutHex32(TiOut *out, uint32_t value);
void OutSpaces(TiOut *out, size_t count);
void OutNewline(TiOut *out);

/* String helpers shared by the core modules. */
size_t TextLen(const TiChar *text);
/* Whether text equals the ASCII literal, case-blind. */
int TextIsAscii(const TiChar *text, const char *ascii);
/* Copies at most cap-1 units and terminates; returns the length copied. */
size_t TextCopy(TiChar *dst, size_t cap, const TiChar *src);

#endif /* TAPINSTALL_TI_OUT_H */
