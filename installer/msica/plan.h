/*
 * The merge module's decisions, in portable C (no Windows headers): the host compiles this
 * file for the tests, the custom-action DLL (msica.c) for Windows.
 *
 * MsiEvaluate gathers facts (component states, the driver version this module carries and
 * the one recorded as installed, which products use the driver), tap_decide() turns them into
 * a decision, and tap_plan() into three scripts for the deferred MsiProcess: what to do, how
 * to roll it back, and what to finish on commit. A script is text: one step per line, fields
 * separated by '|' (a character that no path, hardware id or product code contains).
 */
#ifndef TAP_MSICA_PLAN_H
#define TAP_MSICA_PLAN_H

#include <stddef.h>
#include <stdint.h>

typedef uint16_t tap_wchar; /* UTF-16 code unit: WCHAR on Windows */

/* Windows Installer component states (INSTALLSTATE_* values). */
enum {
    TAP_STATE_UNKNOWN = -1,
    TAP_STATE_ADVERTISED = 1,
    TAP_STATE_ABSENT = 2,
    TAP_STATE_LOCAL = 3,
    TAP_STATE_SOURCE = 4,
    TAP_STATE_DEFAULT = 5,
};

enum tap_decision {
    TAP_NONE,      /* nothing changes for this product */
    TAP_INSTALL,   /* no product has the driver yet: install it */
    TAP_UPGRADE,   /* this module's driver is newer than the installed one */
    TAP_REINSTALL, /* same version, this product repairs it */
    TAP_ADDREF,    /* another product installed this or a newer version: only count us in */
    TAP_UNINSTALL, /* the last product using the driver goes: remove it */
    TAP_RELEASE,   /* this product goes, others still use the driver: count us out */
};

struct tap_facts {
    int installed;           /* the driver component's installed state */
    int action;              /* its requested action (TAP_STATE_UNKNOWN: no change) */
    uint64_t module_version; /* the version this module carries (tap_version_parse) */
    uint64_t store_version;  /* the version recorded as installed, 0 when none */
    unsigned clients;        /* products recorded as using the driver */
    int is_client;           /* this product is one of them */
};

/* Steps of a script (the first field of a line). */
/* I|inf|hwid|key: add the package to the driver store, update present devices, record the
 *                published name (oemNN.inf) under key */
#define TAP_STEP_INSTALL 'I'
/* X|hwid|key: remove the devices and the package recorded under key */
#define TAP_STEP_REMOVE 'X'
/* B|published|hwid|key: put devices back on an older store package, drop the newer one */
#define TAP_STEP_RESTORE 'B'
/* D|published|key: delete a store package unless it is the one recorded under key */
#define TAP_STEP_DELETE 'D'
/* +|key|product|version: record product as a client (and version, unless empty) */
#define TAP_STEP_ADDREF '+'
/* -|key|product: remove product from the clients */
#define TAP_STEP_RELEASE '-'
/* V|key|version: record the installed version */
#define TAP_STEP_VERSION 'V'

#define TAP_MAX_FIELDS 4

/* The strings a plan is made of; all zero-terminated UTF-16. */
struct tap_plan_input {
    const tap_wchar *inf;         /* full path of the INF to install (win7 or win10 variant) */
    const tap_wchar *hwid;        /* the component id, e.g. tap0901 */
    const tap_wchar *key;         /* registry key (HKLM) that keeps the clients and version */
    const tap_wchar *product;     /* this product's ProductCode */
    const tap_wchar *version;     /* this module's driver version, a.b.c.d */
    const tap_wchar *published;   /* the store package installed now (oemNN.inf), may be empty */
    const tap_wchar *old_version; /* the version recorded now, may be empty */
};

struct tap_buffer {
    tap_wchar *data;
    size_t capacity; /* in code units, terminator included */
    size_t length;
    int overflow; /* set when something did not fit; data stays terminated */
};

/* "a.b.c.d" (1-4 numbers of at most 65535) -> a<<48 | b<<32 | c<<16 | d; 0 when invalid. */
uint64_t tap_version_parse(const tap_wchar *text);

enum tap_decision tap_decide(const struct tap_facts *facts);

/* Which INF variant: the win10 one on Windows 10 and later, or when there is no other. */
int tap_use_win10(unsigned os_major, int have_win7_variant);

/* Build the three scripts for a decision; returns 0, or -1 when a buffer overflowed or an
 * input contains '|' or a line break. */
int tap_plan(enum tap_decision decision, const struct tap_plan_input *in, struct tap_buffer *run,
             struct tap_buffer *rollback, struct tap_buffer *commit);

/* Append one step; fields[0..count) may not contain '|', '\n' or '\r'. Returns 0 or -1. */
int tap_script_add(struct tap_buffer *script, tap_wchar step, const tap_wchar *const *fields,
                   size_t count);

/* Reading a script in place: each call splits the next line at its '|'s (overwriting them
 * with terminators) and returns the step, or 0 at the end. fields[i] point into the script. */
struct tap_reader {
    tap_wchar *next;
};
tap_wchar tap_script_next(struct tap_reader *reader, tap_wchar **fields, size_t *count);

const char *tap_decision_name(enum tap_decision decision);

size_t tap_wcslen(const tap_wchar *s);

#endif
