/*
 * tapinstall: process entry point and console output, without a C runtime.
 *
 * The program links with -nostdlib (or /NODEFAULTLIB): it imports only kernel32, setupapi,
 * newdev and cfgmgr32, all part of every Windows since 7, so it runs where no Visual C++ or
 * Universal C runtime is installed.
 *
 * SPDX-License-Identifier: MIT
 */
#include "win.h"

void *WinAlloc(size_t bytes)
{
    return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, bytes);
}

void WinFree(void *p)
{
    if (p != NULL)
        HeapFree(GetProcessHeap(), 0, p);
}

/* ---- console -------------------------------------------------------------------------- */

#define WRITE_CHUNK 128

static void WriteBytes(HANDLE h, const char *bytes, DWORD len)
{
    while (len != 0) {
        DWORD written = 0;
        if (!WriteFile(h, bytes, len, &written, NULL) || written == 0)
            return;
        bytes += written;
        len -= written;
    }
}

/*
 * A console gets UTF-16 as is. A pipe or file (an installer capturing the output) gets the
 * console output code page (the OEM code page when there is no console), with CR LF line
 * ends, as a C-runtime program in text mode would write it.
 */
static void ConsoleWrite(void *ctx, TiStream stream, const TiChar *text, size_t len)
{
    HANDLE h = GetStdHandle(stream == TI_STREAM_OUT ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
    DWORD mode;
    (void)ctx;
    if (h == NULL || h == INVALID_HANDLE_VALUE)
        return;
    if (GetConsoleMode(h, &mode)) {
        while (len != 0) {
            DWORD n = len > 4096 ? 4096 : (DWORD)len;
            DWORD written = 0;
            if (!WriteConsoleW(h, text, n, &written, NULL) || written == 0)
                return;
            text += written;
            len -= written;
        }
        return;
    }

    UINT cp = GetConsoleOutputCP();
    if (cp == 0)
        cp = CP_OEMCP;
    while (len != 0) {
        WCHAR wide[2 * WRITE_CHUNK];
        char bytes[4 * 2 * WRITE_CHUNK];
        size_t take = len > WRITE_CHUNK ? WRITE_CHUNK : len;
        /* Keep a surrogate pair together. */
        if (take < len && take > 1 && text[take - 1] >= 0xD800 && text[take - 1] < 0xDC00)
            --take;
        int n = 0;
        for (size_t i = 0; i < take; ++i) {
            if (text[i] == '\n')
                wide[n++] = L'\r';
            wide[n++] = text[i];
        }
        int bytesLen = WideCharToMultiByte(cp, 0, wide, n, bytes, (int)sizeof bytes, NULL, NULL);
        if (bytesLen > 0)
            WriteBytes(h, bytes, (DWORD)bytesLen);
        text += take;
        len -= take;
    }
}

/* ---- entry ---------------------------------------------------------------------------- */

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static int Run(void)
{
    static const TiPlatform platform = {
        NULL,      ConsoleWrite, WinInfPath, WinEnumerate, WinStatus,   WinRemove,
        WinCreate, WinDiscard,   WinRelease, WinUpdate,    WinDescribe,
    };
    const TiChar *cmdline = GetCommandLineW();
    TiChar *strings = WinAlloc(ArgsSplitChars(cmdline) * sizeof(TiChar));
    TiChar **argv = (TiChar **)WinAlloc(ArgsSplitMax(cmdline) * sizeof(TiChar *));
    int rc;
    if (strings == NULL || argv == NULL)
        rc = TI_EXIT_FAIL;
    else
        rc = TiMain(ArgsSplit(cmdline, strings, argv), argv, &platform);
    WinFree((void *)argv);
    WinFree(strings);
    return rc;
}

/* The image entry point (linked with -e / /ENTRY): no C runtime start-up runs before it.
 * It holds no arrays, so the stack protector leaves it alone while RtInit changes the guard. */
void WINAPI TapinstallStart(void);
void WINAPI TapinstallStart(void)
{
    RtInit();
    ExitProcess((UINT)Run());
}
