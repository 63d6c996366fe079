/*
 * tapinstall: the portable core.
 *
 * Everything that needs no Windows lives behind this header: splitting the command line,
 * parsing it into a command, matching hardware ids, formatting the output and choosing the
 * exit code. The Windows layer (win_*.c) supplies a TiPlatform: the device operations
 * (SetupAPI, newdev, cfgmgr32) and the console. The host build links the same core with a
 * test platform (tests/tapinstall), so every rule here is exercised off Windows.
 *
 * Text is UTF-16 throughout (TiChar is WCHAR on Windows); messages written by the core itself
 * are plain ASCII literals.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPINSTALL_TI_H
#define TAPINSTALL_TI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && !defined(TI_EXPORT)
#define TI_EXPORT
#elif !defined(TI_EXPORT)
#define TI_EXPORT __attribute__((visibility("default")))
#endif

/* One UTF-16 code unit: the same type as WCHAR on Windows. */
typedef unsigned short TiChar;

/* Exit codes, as installers expect them (the old devcon-based tapinstall's). */
enum {
    TI_EXIT_OK = 0,
    TI_EXIT_REBOOT = 1,
    TI_EXIT_FAIL = 2,
    TI_EXIT_USAGE = 3,
};

/* Windows error codes the core explains with a hint (values from winerror.h/setupapi.h). */
#define TI_ERROR_FILE_NOT_FOUND  2u
#define TI_ERROR_PATH_NOT_FOUND  3u
#define TI_ERROR_ACCESS_DENIED   5u
#define TI_ERROR_NO_SUCH_DEVINST 0xE000020Bu
#define TI_ERROR_IN_WOW64        0xE0000235u

/* ---- command line --------------------------------------------------------------------- */

/*
 * Splits a Windows command line as the Microsoft C runtime does (whitespace separates; double
 * quotes group; 2n backslashes before a quote give n and the quote toggles, 2n+1 give n and a
 * literal quote; "" inside quotes is a literal quote; argv[0] ends at its closing quote or the
 * first whitespace, without escapes). Writes the arguments, each NUL-terminated, into
 * `strings` (room for ArgsSplitChars(cmdline) code units) and pointers into `argv` (room for
 * ArgsSplitMax(cmdline) entries, the last one NULL). Returns argc.
 */
TI_EXPORT size_t ArgsSplitChars(const TiChar *cmdline);
TI_EXPORT size_t ArgsSplitMax(const TiChar *cmdline);
TI_EXPORT size_t ArgsSplit(const TiChar *cmdline, TiChar *strings, TiChar **argv);

/* ---- hardware id matching ------------------------------------------------------------- */

/* Case-blind (ASCII) glob match: '*' matches any run of characters, including none. */
TI_EXPORT int MatchGlob(const TiChar *pattern, const TiChar *text);

/*
 * Whether a device matches one pattern. "@<instance id>" matches the device instance id;
 * anything else matches when one of its hardware or compatible ids equals the pattern or
 * "root\<pattern>" (case-blind, '*' wildcards). Id lists are REG_MULTI_SZ (may be NULL).
 */
TI_EXPORT int MatchDevice(const TiChar *pattern, const TiChar *instanceId,
                          const TiChar *hardwareIds, const TiChar *compatibleIds);

/* ---- platform ------------------------------------------------------------------------- */

typedef enum {
    TI_STREAM_OUT = 1,
    TI_STREAM_ERR = 2,
} TiStream;

/* Which call failed (an ASCII name) and the code it left: a Windows error code (what
 * GetLastError returns), or a CONFIGRET from a cfgmgr32 call when configRet is set. */
typedef struct {
    const char *call;
    uint32_t code;
    int configRet;
} TiError;

typedef struct {
    const TiChar *instanceId;
    const TiChar *name;          /* friendly name, else the description; may be NULL */
    const TiChar *hardwareIds;   /* REG_MULTI_SZ; may be NULL */
    const TiChar *compatibleIds; /* REG_MULTI_SZ; may be NULL */
    void *handle;                /* the platform's own reference */
} TiDevice;

typedef enum {
    TI_STATE_RUNNING,
    TI_STATE_STOPPED,
    TI_STATE_DISABLED,
    TI_STATE_PROBLEM,
} TiState;

typedef struct {
    TiState state;
    uint32_t problem; /* CM_PROB_* when state is TI_STATE_PROBLEM */
} TiStatus;

/* Called for each present device; a non-zero return stops the enumeration. */
typedef int (*TiDeviceFn)(void *arg, const TiDevice *device);

/* Every operation returns 0 on success, or non-zero with *error filled in. */
typedef struct {
    void *ctx;
    void (*write)(void *ctx, TiStream stream, const TiChar *text, size_t len);
    /* Full path of an existing INF file into full[cap]. */
    int (*infPath)(void *ctx, const TiChar *inf, TiChar *full, size_t cap, TiError *error);
    int (*enumerate)(void *ctx, TiDeviceFn fn, void *arg, TiError *error);
    int (*status)(void *ctx, const TiDevice *device, TiStatus *status, TiError *error);
    int (*remove)(void *ctx, const TiDevice *device, int *reboot, TiError *error);
    /* Creates and registers a root-enumerated device of the INF's class with one hardware id;
     * its instance id goes to instanceId[cap]. */
    int (*create)(void *ctx, const TiChar *inf, const TiChar *hwid, void **token,
                  TiChar *instanceId, size_t cap, TiError *error);
    /* Removes a device made by create (after a failed driver install); releases the token. */
    int (*discard)(void *ctx, void *token, TiError *error);
    void (*release)(void *ctx, void *token);
    /* Installs the INF's driver on every device with the hardware id. */
    int (*update)(void *ctx, const TiChar *inf, const TiChar *hwid, int *reboot, TiError *error);
    /* The system's text for an error code, without a trailing newline or period; 0 if none. */
    size_t (*describe)(void *ctx, uint32_t code, TiChar *buf, size_t cap);
} TiPlatform;

/* ---- the program ---------------------------------------------------------------------- */

/* Runs tapinstall with argv[0..argc) (argv[0] is the program) and returns the exit code. */
TI_EXPORT int TiMain(size_t argc, TiChar *const *argv, const TiPlatform *platform);

#ifdef __cplusplus
}
#endif

#endif /* TAPINSTALL_TI_H */
