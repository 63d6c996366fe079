/*
 * tapinstall: buffered text output for the portable core.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ti_out.h"

void OutInit(TiOut *out, const TiPlatform *platform, TiStream stream)
{
    out->platform = platform;
    out->stream = stream;
    out->len = 0;
}

void OutFlush(TiOut *out)
{
    if (out->len != 0)
        out->platform->write(out->platform->ctx, out->stream, out->buf, out->len);
    out->len = 0;
}

static int IsHighSurrogate(TiChar c)
{
    return c >= 0xD800 && c < 0xDC00;
}

void OutChar(TiOut *out, TiChar c)
{
    if (out->len == TI_OUT_BUFFER) {
        /* Never end a write between the two halves of a surrogate pair: the platform may
         * convert each write to another encoding on its own. */
        TiChar last = out->buf[TI_OUT_BUFFER - 1];
        if (IsHighSurrogate(last)) {
            out->len = TI_OUT_BUFFER - 1;
            OutFlush(out);
            out->buf[out->len++] = last;
        } else
            OutFlush(out);
    }
    out->buf[out->len++] = c;
}

void OutTextN(TiOut *out, const TiChar *text, size_t len)
{
    for (size_t i = 0; i < len; ++i)
        OutChar(out, text[i]);
}

void OutText(TiOut *out, const TiChar *text)
{
    if (text != NULL)
        OutTextN(out, text, TextLen(text));
}

void OutAscii(TiOut *out, const char *text)
{
    while (*text != '\0')
        OutChar(out, (TiChar)(unsigned char)*text++);
}

void OutUnsigned(TiOut *out, uint32_t value)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0);
    while (n != 0)
        OutChar(out, (TiChar)digits[--n]);
}

void OutHex32(TiOut *out, uint32_t value)
{
    static const char hex[] = "0123456789ABCDEF";
    OutAscii(out, "0x");
    for (int shift = 28; shift >= 0; shift -= 4)
        OutChar(out, (TiChar)hex[(value >> shift) & 0xFu]);
}

void OutSpaces(TiOut *out, size_t count)
{
    while (count-- != 0)
        OutChar(out, ' ');
}

void OutNewline(TiOut *out)
{
    OutChar(out, '\n');
}

size_t TextLen(const TiChar *text)
{
    size_t n = 0;
    while (text[n] != 0)
        ++n;
    return n;
}

static TiChar FoldAscii(TiChar c)
{
    return (c >= 'A' && c <= 'Z') ? (TiChar)(c + ('a' - 'A')) : c;
}

int TextIsAscii(const TiChar *text, const char *ascii)
{
    size_t i = 0;
    for (; ascii[i] != '\0'; ++i) {
        if (FoldAscii(text[i]) != FoldAscii((TiChar)(unsigned char)ascii[i]))
            return 0;
    }
    return text[i] == 0;
}

size_t TextCopy(TiChar *dst, size_t cap, const TiChar *src)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    while (n + 1 < cap && src[n] != 0) {
        dst[n] = src[n];
        ++n;
    }
    dst[n] = 0;
    return n;
}
