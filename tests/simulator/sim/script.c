/*
 * The simulator's entry point and its command language: one command per line on stdin (or in
 * the file named by the first argument), `#` starts a comment. Every effect is an output line
 * (see docs/driver.md, Driver simulator); a violation ends
 * the run with exit code 3, a bad script line with 2, the end of the script with 0.
 *
 *   set ndis 6.20|6.30|...      NdisGetVersion's answer (default 6.82); unless set os says
 *                                otherwise the Windows that ships it (6.20: 7, 6.30: 8, ...)
 *   set os 6.1|6.2|10.0 [build]  RtlGetVersion's answer (default 10.0.19045)
 *   set service NAME             the service name in DriverEntry's RegistryPath
 *   set return-irql passive|dispatch   IRQL of receive returns (default dispatch)
 *   set return sync|deferred     receive returns inside the indication call (as when the
 *                                protocol returns at once) or after it (default)
 *   set data-limit N             print at most N bytes of data per event
 *   set extension-fill zero|pattern   device extensions as IoCreateDevice leaves them (zero,
 *                                the default) or filled with a pattern
 *   set guard on|off             blocks the driver sees before a guard page and decommitted when
 *                                freed (on, the default), or plain heap (off: the benchmark)
 *   set history on|off           records of completed IRPs, sent lists and freed blocks kept
 *                                for later messages (on, the default), or forgotten and reused
 *                                (off: the benchmark; sim.h: sim_history)
 *   reg|svc|svcparam NAME sz TEXT | dword N | binary HEX | multi_sz A,B | delete
 *                                the adapter's registry key, the service key, its Parameters
 *   load | unload | halt | pause | restart | shutdown | hang-check | reset
 *   init [paused] [nobind]       initialize, restart, and bind TCP/IP (it sets the packet
 *                                filter to directed|multicast|broadcast) | bind
 *   pnp surprise-removed|removed|query-removed|query-stopped|stopped|power-profile
 *   open H [user|admin|system] [diag] [path=P] [access=r|w|rw]
 *   close H | read H LEN [NAME] [count=N] | write H HEX [NAME] | cancel NAME
 *   ioctl H CODE [in=HEX] [out=N] [name=NAME]
 *   race-cancel NAME insert|remove  IoCancelIrp on another processor just before IRP NAME
 *                                enters a cancel-safe queue, or just after it leaves one
 *   send HEX... [dispatch] [split=N] [offset=N] [unmapped] [vlan=V] [priority=P] [one-nbl]
 *        [repeat=N]
 *   cancel-send ID
 *   oid query OID OUTLEN | oid set OID HEX | oid method OID HEX OUTLEN   [direct]
 *   hold on|off | return | advance MS | state | check | echo TEXT
 *   bench H N SEND_HEX WRITE_HEX [tun=HEX]   the data-path benchmark (sim/bench.c)
 *   fail-nth N                   the N-th allocation, mapping or registration from now fails
 *                                (0: none) | failpoints (how many such calls so far)
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define MAX_ARGS 40
#define MAX_LINE 65536

static char line[MAX_LINE];
static unsigned char bytes[4][8192];

static ULONG number(const char *text, const char *what)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 0);
    if (*text == '\0' || *end != '\0' || v > 0xFFFFFFFFULL) {
        sim_script_error("%s: not a number: %s", what, text);
    }
    return (ULONG)v;
}

static size_t hex_arg(const char *text, unsigned char *out, size_t cap, const char *what)
{
    if (strcmp(text, "-") == 0) {
        return 0;
    }
    long n = sim_parse_hex(text, out, cap);
    if (n < 0) {
        sim_script_error("%s: not hex bytes (at most %zu): %.40s", what, cap, text);
    }
    return (size_t)n;
}

/* key=value option of a command, or NULL. */
static const char *option(char **argv, int argc, int from, const char *key)
{
    size_t n = strlen(key);
    for (int i = from; i < argc; i++) {
        if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=') {
            return argv[i] + n + 1;
        }
    }
    return NULL;
}

static int flag(char **argv, int argc, int from, const char *word)
{
    for (int i = from; i < argc; i++) {
        if (strcmp(argv[i], word) == 0) {
            return 1;
        }
    }
    return 0;
}

static void need(int argc, int n, const char *usage)
{
    if (argc < n) {
        sim_script_error("usage: %s", usage);
    }
}

static void registry(sim_store store, char **argv, int argc)
{
    need(argc, 3, "reg NAME sz TEXT | dword N | binary HEX | multi_sz A,B | delete");
    const char *name = argv[1], *type = argv[2];
    if (strcmp(type, "delete") == 0) {
        sim_reg_delete(store, name);
        return;
    }
    need(argc, 4, "reg NAME TYPE VALUE");
    if (strcmp(type, "dword") == 0) {
        ULONG v = number(argv[3], "dword");
        sim_reg_set(store, name, REG_DWORD, &v, sizeof(v));
    } else if (strcmp(type, "binary") == 0) {
        size_t n = hex_arg(argv[3], bytes[0], sizeof(bytes[0]), "binary");
        sim_reg_set(store, name, REG_BINARY, bytes[0], n);
    } else if (strcmp(type, "sz") == 0 || strcmp(type, "multi_sz") == 0) {
        int multi = type[0] == 'm';
        /* The rest of the line (a REG_SZ may hold spaces); multi_sz splits at commas. */
        const char *text = argv[3];
        size_t len = strlen(text);
        WCHAR w[1024];
        size_t n = 0;
        for (size_t i = 0; i < len && n + 2 < sizeof(w) / sizeof(w[0]); i++) {
            w[n++] = multi && text[i] == ',' ? 0 : (WCHAR)(unsigned char)text[i];
        }
        w[n++] = 0;
        if (multi) {
            w[n++] = 0;
        }
        sim_reg_set(store, name, multi ? REG_MULTI_SZ : REG_SZ, w, n * sizeof(WCHAR));
    } else {
        sim_script_error("registry type %s; accepted: sz, dword, binary, multi_sz, delete", type);
    }
}

/* The Windows version that ships an NDIS version. */
static void os_of_ndis(ULONG major, ULONG minor)
{
    if (major != 6 || minor >= 50) {
        sim_os_major = 10, sim_os_minor = 0, sim_os_build = 19045;
    } else if (minor >= 40) {
        sim_os_major = 6, sim_os_minor = 3, sim_os_build = 9600;
    } else if (minor >= 30) {
        sim_os_major = 6, sim_os_minor = 2, sim_os_build = 9200;
    } else if (minor >= 20) {
        sim_os_major = 6, sim_os_minor = 1, sim_os_build = 7601;
    } else {
        sim_os_major = 6, sim_os_minor = 0, sim_os_build = 6002;
    }
}

static void set_command(char **argv, int argc)
{
    static int os_set;
    need(argc, 3, "set ndis|os|service|return-irql VALUE");
    const char *what = argv[1], *value = argv[2];
    if (strcmp(what, "ndis") == 0 || strcmp(what, "os") == 0) {
        const char *dot = strchr(value, '.');
        if (dot == NULL) {
            sim_script_error("set %s: MAJOR.MINOR", what);
        }
        ULONG major = (ULONG)strtoul(value, NULL, 10), minor = (ULONG)strtoul(dot + 1, NULL, 10);
        if (what[0] == 'n') {
            sim_ndis_version = (UINT)(major << 16 | minor);
            if (!os_set) {
                os_of_ndis(major, minor);
            }
        } else {
            os_set = 1;
            sim_os_major = major;
            sim_os_minor = minor;
            sim_os_build = argc > 3      ? number(argv[3], "build")
                           : major >= 10 ? 19045
                           : minor == 1  ? 7601
                           : minor == 2  ? 9200
                                         : 9600;
        }
    } else if (strcmp(what, "service") == 0) {
        host_format(sim_service_path, sizeof(sim_service_path),
                    "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\%s", value);
    } else if (strcmp(what, "return") == 0) {
        sim_return_sync = strcmp(value, "sync") == 0;
    } else if (strcmp(what, "extension-fill") == 0) {
        sim_extension_pattern = strcmp(value, "pattern") == 0;
    } else if (strcmp(what, "data-limit") == 0) {
        sim_data_limit = number(value, "data-limit");
    } else if (strcmp(what, "return-irql") == 0) {
        sim_return_at_dispatch = strcmp(value, "dispatch") == 0;
    } else if (strcmp(what, "guard") == 0) {
        host_set_guard_pages(strcmp(value, "off") != 0);
    } else if (strcmp(what, "history") == 0) {
        sim_history = strcmp(value, "off") != 0;
    } else {
        sim_script_error("set %s: accepted ndis, os, service, return, return-irql, data-limit, "
                         "extension-fill, guard, history",
                         what);
    }
}

static void send_command(char **argv, int argc)
{
    const unsigned char *frames[16];
    ULONG lengths[16];
    size_t count = 0;
    sim_send_options o;
    memset(&o, 0, sizeof(o));
    o.vlan = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "dispatch") == 0) {
            o.dispatch = 1;
        } else if (strcmp(a, "unmapped") == 0) {
            o.unmapped = 1;
        } else if (strcmp(a, "one-nbl") == 0) {
            o.same_nbl = 1;
        } else if (strncmp(a, "split=", 6) == 0) {
            o.split = number(a + 6, "split");
        } else if (strncmp(a, "offset=", 7) == 0) {
            o.offset = number(a + 7, "offset");
        } else if (strncmp(a, "vlan=", 5) == 0) {
            o.vlan = (int)number(a + 5, "vlan");
        } else if (strncmp(a, "repeat=", 7) == 0) {
            o.repeat = number(a + 7, "repeat");
        } else if (strncmp(a, "priority=", 9) == 0) {
            o.priority = (int)number(a + 9, "priority");
        } else {
            if (count == 16) {
                sim_script_error("send: at most 16 frames");
            }
            unsigned char *buf = host_malloc(8192);
            lengths[count] = (ULONG)hex_arg(a, buf, 8192, "frame");
            frames[count++] = buf;
        }
    }
    if (o.vlan >= 0 && (o.vlan > 4095 || o.priority > 7)) {
        sim_script_error("send: vlan 0..4095, priority 0..7");
    }
    sim_nbl_send(frames, lengths, count, &o);
    for (size_t i = 0; i < count; i++) {
        host_free((void *)frames[i]);
    }
}

static void bench_command(char **argv, int argc)
{
    need(argc, 5, "bench H N SEND_HEX WRITE_HEX [tun=HEX]");
    const char *tun = option(argv, argc, 5, "tun");
    size_t send_len = hex_arg(argv[3], bytes[0], sizeof(bytes[0]), "bench send frame");
    size_t write_len = hex_arg(argv[4], bytes[1], sizeof(bytes[1]), "bench write frame");
    size_t tun_len = tun ? hex_arg(tun, bytes[2], sizeof(bytes[2]), "tun") : 0;
    sim_bench(argv[1], number(argv[2], "frames"), bytes[0], (ULONG)send_len, bytes[1],
              (ULONG)write_len, bytes[2], tun_len);
}

static void oid_command(char **argv, int argc)
{
    need(argc, 4, "oid query OID OUTLEN | oid set OID HEX | oid method OID HEX OUTLEN [direct]");
    int direct = flag(argv, argc, 4, "direct");
    NDIS_OID oid = number(argv[2], "OID");
    if (strcmp(argv[1], "query") == 0) {
        sim_ndis_oid(NdisRequestQueryInformation, oid, NULL, 0, number(argv[3], "length"), direct);
    } else if (strcmp(argv[1], "set") == 0) {
        size_t n = hex_arg(argv[3], bytes[0], sizeof(bytes[0]), "set data");
        sim_ndis_oid(NdisRequestSetInformation, oid, bytes[0], (ULONG)n, 0, direct);
    } else if (strcmp(argv[1], "method") == 0) {
        need(argc, 5, "oid method OID HEX OUTLEN");
        size_t n = hex_arg(argv[3], bytes[0], sizeof(bytes[0]), "method data");
        sim_ndis_oid(NdisRequestMethod, oid, bytes[0], (ULONG)n, number(argv[4], "length"), direct);
    } else {
        sim_script_error("oid %s: accepted query, set, method", argv[1]);
    }
}

static void open_command(char **argv, int argc)
{
    char path[300];
    need(argc, 2, "open H [user|admin|system] [diag] [path=P] [access=r|w|rw]");
    sim_caller caller = flag(argv, argc, 2, "user")     ? SIM_CALLER_USER
                        : flag(argv, argc, 2, "system") ? SIM_CALLER_SYSTEM
                                                        : SIM_CALLER_ADMIN;
    const char *p = option(argv, argc, 2, "path");
    if (p == NULL) {
        p = sim_io_default_device(flag(argv, argc, 2, "diag"), path, sizeof(path));
    }
    const char *a = option(argv, argc, 2, "access");
    ACCESS_MASK access = GENERIC_READ | GENERIC_WRITE;
    if (a != NULL) {
        access = strcmp(a, "r") == 0   ? GENERIC_READ
                 : strcmp(a, "w") == 0 ? GENERIC_WRITE
                                       : GENERIC_READ | GENERIC_WRITE;
    }
    sim_io_open(argv[1], p, caller, access);
}

static NDIS_DEVICE_PNP_EVENT pnp_event(const char *name)
{
    static const struct {
        const char *name;
        NDIS_DEVICE_PNP_EVENT event;
    } events[] = {
        {"query-removed", NdisDevicePnPEventQueryRemoved},
        {"removed", NdisDevicePnPEventRemoved},
        {"surprise-removed", NdisDevicePnPEventSurpriseRemoved},
        {"query-stopped", NdisDevicePnPEventQueryStopped},
        {"stopped", NdisDevicePnPEventStopped},
        {"power-profile", NdisDevicePnPEventPowerProfileChanged},
    };
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        if (strcmp(events[i].name, name) == 0) {
            return events[i].event;
        }
    }
    sim_script_error("pnp %s: unknown event", name);
}

static void run(char **argv, int argc)
{
    const char *c = argv[0];
    if (strcmp(c, "set") == 0) {
        set_command(argv, argc);
    } else if (strcmp(c, "reg") == 0) {
        registry(SIM_STORE_ADAPTER, argv, argc);
    } else if (strcmp(c, "svc") == 0) {
        registry(SIM_STORE_SERVICE, argv, argc);
    } else if (strcmp(c, "svcparam") == 0) {
        registry(SIM_STORE_PARAMETERS, argv, argc);
    } else if (strcmp(c, "load") == 0) {
        sim_ndis_load();
    } else if (strcmp(c, "unload") == 0) {
        sim_ndis_unload();
    } else if (strcmp(c, "init") == 0) {
        int paused = flag(argv, argc, 1, "paused");
        sim_ndis_initialize(!paused);
        if (!paused && !flag(argv, argc, 1, "nobind") && sim_ndis_adapter_running()) {
            sim_ndis_bind();
        }
    } else if (strcmp(c, "bind") == 0) {
        sim_ndis_bind();
    } else if (strcmp(c, "halt") == 0) {
        sim_ndis_halt();
    } else if (strcmp(c, "pause") == 0) {
        sim_ndis_pause();
    } else if (strcmp(c, "restart") == 0) {
        sim_ndis_restart();
    } else if (strcmp(c, "shutdown") == 0) {
        sim_ndis_shutdown();
    } else if (strcmp(c, "hang-check") == 0) {
        sim_ndis_hang_check();
    } else if (strcmp(c, "reset") == 0) {
        sim_ndis_reset();
    } else if (strcmp(c, "pnp") == 0) {
        need(argc, 2, "pnp EVENT");
        sim_ndis_pnp(pnp_event(argv[1]));
    } else if (strcmp(c, "open") == 0) {
        open_command(argv, argc);
    } else if (strcmp(c, "close") == 0) {
        need(argc, 2, "close H");
        sim_io_close(argv[1]);
    } else if (strcmp(c, "read") == 0) {
        need(argc, 3, "read H LEN [NAME] [count=N]");
        const char *count = option(argv, argc, 3, "count");
        const char *name = argc > 3 && strchr(argv[3], '=') == NULL ? argv[3] : NULL;
        if (count == NULL) {
            sim_io_read(argv[1], number(argv[2], "length"), name);
        } else {
            char numbered[64];
            for (ULONG i = 1, n = number(count, "count"); i <= n; i++) {
                host_format(numbered, sizeof(numbered), "%s.%lu", name ? name : "read",
                            (unsigned long)i);
                sim_io_read(argv[1], number(argv[2], "length"), numbered);
                sim_nbl_idle();
            }
        }
    } else if (strcmp(c, "write") == 0) {
        need(argc, 3, "write H HEX [NAME]");
        size_t n = hex_arg(argv[2], bytes[0], sizeof(bytes[0]), "write data");
        sim_io_write(argv[1], bytes[0], (ULONG)n, argc > 3 ? argv[3] : NULL);
    } else if (strcmp(c, "ioctl") == 0) {
        need(argc, 3, "ioctl H CODE [in=HEX] [out=N] [name=NAME]");
        const char *in = option(argv, argc, 3, "in");
        const char *out = option(argv, argc, 3, "out");
        size_t n = in ? hex_arg(in, bytes[0], sizeof(bytes[0]), "in") : 0;
        sim_io_ioctl(argv[1], number(argv[2], "code"), bytes[0], (ULONG)n,
                     out ? number(out, "out") : 0, option(argv, argc, 3, "name"));
    } else if (strcmp(c, "cancel") == 0) {
        need(argc, 2, "cancel NAME");
        sim_io_cancel(argv[1]);
    } else if (strcmp(c, "race-cancel") == 0) {
        need(argc, 3, "race-cancel NAME insert|remove");
        if (strcmp(argv[2], "insert") != 0 && strcmp(argv[2], "remove") != 0) {
            sim_script_error("race-cancel: insert or remove");
        }
        sim_io_race_cancel(argv[1], strcmp(argv[2], "insert") == 0);
    } else if (strcmp(c, "send") == 0) {
        need(argc, 2, "send HEX...");
        send_command(argv, argc);
    } else if (strcmp(c, "cancel-send") == 0) {
        need(argc, 2, "cancel-send ID");
        sim_nbl_cancel_send(number(argv[1], "id"));
    } else if (strcmp(c, "oid") == 0) {
        oid_command(argv, argc);
    } else if (strcmp(c, "hold") == 0) {
        need(argc, 2, "hold on|off");
        sim_nbl_hold(strcmp(argv[1], "on") == 0);
    } else if (strcmp(c, "return") == 0) {
        sim_event("returned count=%d", sim_nbl_return_held());
    } else if (strcmp(c, "advance") == 0) {
        need(argc, 2, "advance MS");
        sim_advance((ULONG64)number(argv[1], "milliseconds") * 10000);
    } else if (strcmp(c, "fail-nth") == 0) {
        need(argc, 2, "fail-nth N");
        sim_fail_nth(number(argv[1], "N"));
    } else if (strcmp(c, "failpoints") == 0) {
        sim_event("failpoints count=%lu", sim_failable_calls());
    } else if (strcmp(c, "state") == 0) {
        sim_ndis_state();
    } else if (strcmp(c, "check") == 0) {
        sim_kernel_check_idle("check");
        sim_event("check ok");
    } else if (strcmp(c, "bench") == 0) {
        bench_command(argv, argc);
    } else if (strcmp(c, "echo") == 0) {
        sim_event("echo %s", argc > 1 ? argv[1] : "");
    } else {
        sim_script_error("unknown command %s", c);
    }
}

static int takes_text(char **args, int n)
{
    if (n == 1 && strcmp(args[0], "echo") == 0) {
        return 1;
    }
    return n == 3 &&
           (strcmp(args[0], "reg") == 0 || strcmp(args[0], "svc") == 0 ||
            strcmp(args[0], "svcparam") == 0) &&
           (strcmp(args[2], "sz") == 0 || strcmp(args[2], "multi_sz") == 0);
}

/* Splits a line into words; a line starting with # is a comment. A REG_SZ value and echo's
 * text run to the end of the line. */
static int tokenize(char *s, char **args)
{
    int n = 0;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (*s == '#') {
        return 0;
    }
    while (*s != '\0' && n < MAX_ARGS) {
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '\0') {
            break;
        }
        if (takes_text(args, n)) {
            args[n++] = s;
            size_t len = strlen(s);
            while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
                s[--len] = '\0';
            }
            break;
        }
        args[n++] = s;
        while (*s != '\0' && *s != ' ' && *s != '\t') {
            s++;
        }
        if (*s != '\0') {
            *s++ = '\0';
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    host_init();
    if (argc > 1 && !host_open_script(argv[1])) {
        host_line("SCRIPT-ERROR cannot open %s", argv[1]);
        host_exit(SIM_EXIT_SCRIPT);
    }
    sim_event("sim ready");
    host_flush(); /* so no output at all means main was never reached (tests/wine.py) */
    while (host_read_line(line, sizeof(line))) {
        char *args[MAX_ARGS];
        sim_line_number++;
        host_format(sim_line_text, 512, "%s", line);
        int n = tokenize(line, args);
        if (n == 0) {
            continue;
        }
        run(args, n);
        sim_nbl_idle();
        sim_kernel_check_idle("after the command");
        sim_fail_pending();
    }
    sim_event("end");
    host_exit(0);
}
