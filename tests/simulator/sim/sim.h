/*
 * The driver simulator: a user-mode NDIS and I/O manager that runs the real TAP driver's
 * objects (compiled with the driver's own flags) inside a console program under wine64.
 *
 * The simulation includes the driver's kernel declarations (driver/decl/tapkernel.h), so both
 * sides agree on every layout. Every function of the driver's import table
 * (driver/imports.py) is implemented here with its documented contract and exported to the
 * driver as the `__imp_` pointer its dllimport calls load (SIM_EXPORT). What a contract forbids
 * is a violation: the run stops with the call site (symbolized from the program's PDB) and
 * exit code 3.
 *
 * Everything runs on one thread. Waits run the simulated system's deferred work (returning
 * indicated packets, queued work items) and fail as a deadlock when nothing can set the event.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "decl/tapkernel.h"

#include "host.h"
#include "sim_decls.h"

#define SIM_EXIT_VIOLATION 3
#define SIM_EXIT_SCRIPT    2

/* The driver's call site of a simulated function: its return address. */
#define SIM_SITE() __builtin_return_address(0)

/*
 * The pointer a dllimport call of `name` loads, set to the simulation's `sim_name`; the
 * compiler checks that the two have the same type.
 *
 * i386 decorates that pointer's name with the calling convention and the argument bytes
 * (__imp__Name@8, __imp_@Name@8), which C cannot spell: there SIM_EXPORT makes the pointer
 * `sim_ptr_name`, and the build writes the decorated pointers, and the direct thunks an import
 * library would give, from driver/imports.py (tests/simulator/SConscript: sim_imports.c).
 */
#define SIM_CHECK_TYPE(name)                                                                       \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&name), __typeof__(&sim_##name)),       \
                   "sim_" #name " must have the type of the driver's " #name)
#if defined(_X86_)
#define SIM_EXPORT(name)                                                                           \
    SIM_CHECK_TYPE(name);                                                                          \
    __typeof__(&name) const sim_ptr_##name __asm__("sim_ptr_" #name) = sim_##name
#else
#define SIM_EXPORT(name)                                                                           \
    SIM_CHECK_TYPE(name);                                                                          \
    __typeof__(&name) const __imp_##name = sim_##name
#endif

/* ---- Reporting ------------------------------------------------------------------------------- */

/* One event line of the output (none while sim_quiet is set: the benchmark's loops). */
void sim_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int sim_quiet;
/* A contract violation: printed with the call site and the context; the run fails at the next
 * sim_fail_pending (sim_violation: at once). */
void sim_problem(const void *site, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
__attribute__((noreturn)) void sim_violation(const void *site, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sim_fail_pending(void);
/* A bad script line: exit code 2. */
__attribute__((noreturn)) void sim_script_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* "Function+0x12 (file.c:34)". */
const char *sim_where(const void *site, char *buf, size_t cap);
/* The strings up to NULL, concatenated into buf (cut at cap, always NUL-terminated): the
 * per-request names, without the cost of printf. Returns the length. */
size_t sim_concat(char *buf, size_t cap, ...);
/* n in decimal into buf (at least 11 bytes); returns buf. */
const char *sim_decimal(unsigned long n, char *buf);

/* The script line being run (for messages). */
extern int sim_line_number;
extern char sim_line_text[];

/* ---- Driver call frames and the IRQL ------------------------------------------------------ */

/*
 * Every call into the driver runs in a frame: the routine's role (for messages), the IRQL the
 * simulation calls it at, and the locks held on entry. On return the IRQL must be back and no
 * lock taken inside may still be held.
 */
typedef struct sim_frame {
    const char *name;
    const char *irp;     /* the IRP a dispatch routine runs for (its name, named in messages) */
    const void *routine; /* the driver's routine, named as the site of what it returns with */
    KIRQL irql;
    size_t locks;
    struct sim_frame *prev;
} sim_frame;

extern sim_frame *sim_current;
extern KIRQL sim_irql;

void sim_enter(sim_frame *frame, const char *name, KIRQL irql);
/* "IRP_MJ_READ dispatch (IRP r1)": the frame's name for messages. */
const char *sim_frame_label(const sim_frame *frame, char *buf, size_t cap);
void sim_leave(sim_frame *frame);
/* The caller's IRQL must be <= max (>= min). */
void sim_irql_at_most(const void *site, const char *fn, KIRQL max);
void sim_irql_between(const void *site, const char *fn, KIRQL min, KIRQL max);
void sim_set_irql(KIRQL irql);

/* Held locks (spin locks, the cancel spin lock, NDIS read/write locks). */
typedef enum sim_lock_kind {
    SIM_LOCK_SPIN,
    SIM_LOCK_CANCEL,
    SIM_LOCK_RW_READ,
    SIM_LOCK_RW_WRITE
} sim_lock_kind;

void sim_lock_acquired(const void *lock, sim_lock_kind kind, const void *site);
void sim_lock_released(const void *lock, sim_lock_kind kind, const void *site);
int sim_lock_held(const void *lock);
size_t sim_locks_held(void);
const char *sim_lock_kind_name(sim_lock_kind kind);

/* ---- Tracked memory and objects ------------------------------------------------------------ */

typedef enum sim_kind {
    SIM_MEMORY,   /* NdisAllocateMemoryWithTagPriority, ExAllocatePoolWithTag */
    SIM_NBL_POOL, /* NdisAllocateNetBufferListPool */
    SIM_NBL,      /* a NET_BUFFER_LIST from a driver's pool */
    SIM_NBL_CTX,  /* NdisAllocateNetBufferListContext */
    SIM_MDL,      /* NdisAllocateMdl, IoAllocateMdl */
    SIM_RWLOCK,   /* NdisAllocateRWLock */
    SIM_CONFIG,   /* NdisOpenConfigurationEx handles and the values read through them */
    SIM_DEVICE,   /* NdisRegisterDeviceEx */
    SIM_KEY,      /* ZwOpenKey handles */
    SIM_WORKITEM, /* NdisAllocateIoWorkItem, IoAllocateWorkItem */
    SIM_TIMER,    /* NdisAllocateTimerObject */
    SIM_OBJECT    /* the simulation's own objects the driver sees (IRPs, buffers, NBLs it sends) */
} sim_kind;

/* What a resource is charged to: the NDIS handle it was allocated with. */
typedef enum sim_owner { SIM_OWNER_NONE, SIM_OWNER_DRIVER, SIM_OWNER_ADAPTER } sim_owner;

typedef struct sim_block {
    sim_kind kind;
    int live;
    void *ptr;
    size_t size;
    void *base; /* the guarded region */
    size_t span;
    ULONG tag;
    sim_owner owner;
    const void *alloc_site;
    const void *free_site;
    int alloc_line;
    int free_line;
    char what[48]; /* "IRP r1 (READ)", "NBL pool", ... */
    void *extra;   /* kind-specific bookkeeping of the simulation (NULL in a new block) */
    struct sim_block *next_free; /* set history off: the free heap blocks of one size */
} sim_block;

/* sim_alloc's fill: the pattern (what a driver's new pool block holds), zeroes, or nothing
 * (the caller writes every byte at once). */
#define SIM_FILL_PATTERN 0
#define SIM_FILL_ZERO    1
#define SIM_FILL_NONE    2

/* A guarded block (pattern-filled unless zero is set: SIM_FILL_*). */
sim_block *sim_alloc(sim_kind kind, size_t size, ULONG tag, sim_owner owner, const void *site,
                     int zero, const char *what);
/* The newest block that starts at ptr (live or freed), or NULL. */
sim_block *sim_block_at(const void *ptr);
/* The block whose region (with its guard page) holds addr, or NULL. */
sim_block *sim_block_holding(const void *addr);
/* Frees: checks the head pattern, decommits, keeps the record for later faults. */
void sim_release(sim_block *block, const void *site);
/* [p, p + len) lies inside one live block. */
sim_block *sim_live_range(const void *p, size_t len);
/* Live driver resources charged to an owner: one problem each; returns the count. */
size_t sim_report_leaks(sim_owner owner, const char *when);
/* The same for one kind of resource. */
size_t sim_report_leaks_of(sim_kind kind, sim_owner owner, const char *when);
/* Live blocks of a kind (all owners). */
size_t sim_count_live(sim_kind kind);
const char *sim_kind_name(sim_kind kind);
const char *sim_tag_text(ULONG tag, char buf[8]);

/* ---- Injected failures ---------------------------------------------------------------------- */

/* 1 when this failable call (an allocation, mapping or registration) is to fail. */
int sim_inject_failure(const char *fn);
/* The n-th failable call from now fails (0: none). */
void sim_fail_nth(unsigned long n);
unsigned long sim_failable_calls(void);

/* ---- Simulated time ------------------------------------------------------------------------ */

extern ULONG64 sim_time_100ns; /* since boot */
void sim_advance(ULONG64 delta_100ns);

/* ---- Deferred work (what the rest of the system does while the driver waits) ---------------- */

/* Runs one round of deferred work; returns the number of actions taken. */
int sim_run_deferred(void);
int sim_ndis_deferred(void);
int sim_io_deferred(void);

/* ---- Registry ---------------------------------------------------------------------------------
 */

typedef enum sim_store { SIM_STORE_ADAPTER, SIM_STORE_SERVICE, SIM_STORE_PARAMETERS } sim_store;

typedef struct sim_value {
    char name[64];
    ULONG type; /* REG_SZ, REG_DWORD, REG_BINARY, REG_MULTI_SZ */
    unsigned char *data;
    size_t len; /* bytes (REG_SZ: UTF-16 with its NUL) */
    struct sim_value *next;
} sim_value;

void sim_reg_set(sim_store store, const char *name, ULONG type, const void *data, size_t len);
void sim_reg_delete(sim_store store, const char *name);
/* Case-insensitive lookup by a counted UTF-16 name. */
const sim_value *sim_reg_find(sim_store store, const WCHAR *name, size_t chars);
const sim_value *sim_reg_find_ascii(sim_store store, const char *name);

/* ---- Strings ------------------------------------------------------------------------------------
 */

void sim_unicode_to_ascii(const UNICODE_STRING *u, char *out, size_t cap);
int sim_unicode_equals(const UNICODE_STRING *u, const char *ascii);
void sim_hex(const void *data, size_t len, char *out, size_t cap);
/* Parses hex digits (spaces, ':' and '-' allowed between bytes); returns the byte count or -1. */
long sim_parse_hex(const char *text, unsigned char *out, size_t cap);

/* ---- The simulated system's settings ----------------------------------------------------------
 */

extern UINT sim_ndis_version; /* NdisGetVersion */
extern ULONG sim_os_major;    /* RtlGetVersion */
extern ULONG sim_os_minor;
extern ULONG sim_os_build;
extern int sim_return_at_dispatch; /* receive returns and send completions come at DISPATCH */
extern int sim_return_sync;        /* receive returns come inside the indication call */
extern char sim_service_path[256]; /* DriverEntry's RegistryPath (the service key) */
extern size_t sim_data_limit;      /* at most this many bytes of data per event (set data-limit) */
/* set history on|off. On (the default): every completed IRP, every sent list and every freed
 * block keeps its record, so later messages can name it (double completion, use after free).
 * Off (the benchmark, with set guard off): they are forgotten -- their records and heap
 * memory are reused for the next of their kind -- so the simulation's own work per request
 * stays constant; a late use of a freed block may then go unnoticed or be named as the block
 * that reused its memory. */
extern int sim_history;
extern int sim_extension_pattern; /* device extensions pattern-filled, not zeroed */

/* ---- The parts, as the script drives them -------------------------------------------------- */

/* kernel.c */
void sim_kernel_check_idle(const char *when);

/* io.c: devices and file handles */
typedef enum sim_caller { SIM_CALLER_USER, SIM_CALLER_ADMIN, SIM_CALLER_SYSTEM } sim_caller;
void sim_io_open(const char *handle, const char *path, sim_caller caller, ACCESS_MASK access);
void sim_io_close(const char *handle);
void sim_io_read(const char *handle, ULONG length, const char *irp_name);
void sim_io_write(const char *handle, const unsigned char *data, ULONG length,
                  const char *irp_name);
void sim_io_ioctl(const char *handle, ULONG code, const unsigned char *in, ULONG in_len,
                  ULONG out_len, const char *irp_name);
void sim_io_cancel(const char *irp_name);
void sim_io_race_cancel(const char *irp_name, int before_insert);
void sim_io_report(void);
size_t sim_io_pending_irps(void);
size_t sim_io_open_handles(void);
void sim_io_check_unload(void);
const char *sim_io_default_device(int diag, char *buf, size_t cap);

/* ndis.c: the driver and its adapter */
NTSTATUS sim_ndis_load(void);
void sim_ndis_unload(void);
void sim_ndis_initialize(int restart);
void sim_ndis_bind(void);
void sim_ndis_halt(void);
void sim_ndis_pause(void);
void sim_ndis_restart(void);
void sim_ndis_oid(NDIS_REQUEST_TYPE type, NDIS_OID oid, const unsigned char *in, ULONG in_len,
                  ULONG out_len, int direct);
void sim_ndis_pnp(NDIS_DEVICE_PNP_EVENT event);
void sim_ndis_shutdown(void);
void sim_ndis_hang_check(void);
void sim_ndis_reset(void);
int sim_ndis_adapter_running(void);
int sim_ndis_adapter_exists(void);
int sim_ndis_driver_handle(NDIS_HANDLE handle);
int sim_ndis_adapter_handle(NDIS_HANDLE handle);
sim_owner sim_ndis_owner_of(NDIS_HANDLE handle, const void *site, const char *fn);
NDIS_HANDLE sim_ndis_adapter_context(void);
void sim_ndis_state(void);

/* nbl.c: packets */
typedef struct sim_send_options {
    int dispatch; /* send at DISPATCH_LEVEL */
    ULONG split;  /* MDL size (0: one MDL per frame) */
    ULONG offset; /* unused bytes before the data in the first MDL */
    int unmapped; /* MDLs not mapped to system space (the driver must map them) */
    int vlan;     /* -1: no 802.1Q metadata */
    int priority;
    int same_nbl; /* all frames as NET_BUFFERs of one NET_BUFFER_LIST */
    ULONG repeat; /* that many sends of the same lists (0: one) */
} sim_send_options;

void sim_nbl_send(const unsigned char *const *frames, const ULONG *lengths, size_t count,
                  const sim_send_options *options);
void sim_nbl_hold(int hold);
int sim_nbl_return_held(void);
size_t sim_nbl_held(void);
size_t sim_nbl_sends_outstanding(void);
void sim_nbl_cancel_send(ULONG_PTR cancel_id);
void sim_nbl_idle(void);
/* A block about to be freed must not hold data of a list NDIS owns. */
void sim_nbl_check_free(sim_block *block, const void *site, const char *fn);

/* ndis.c: calls into the miniport's data-path handlers (frames set up by the caller) */
void sim_ndis_send(PNET_BUFFER_LIST nbls, ULONG flags);

/* bench.c: the data-path benchmark (the bench command) */
void sim_bench(const char *handle, ULONG n, const unsigned char *send, ULONG send_len,
               const unsigned char *write, ULONG write_len, const unsigned char *tun,
               size_t tun_len);
void sim_ndis_return(PNET_BUFFER_LIST nbls, ULONG flags);
void sim_ndis_cancel_send(PVOID cancel_id);
