/*
 * The simulated I/O manager: the device objects NdisRegisterDeviceEx creates, file handles
 * opened on them (with the device's SDDL and DO_EXCLUSIVE enforced), IRPs built as the I/O
 * manager builds them for CreateFile, ReadFile, WriteFile, DeviceIoControl, CancelIo and
 * CloseHandle, their completion, cancellation, and the cancel-safe queue (IoCsq*).
 *
 * IRP rules checked (those of the I/O manager and Driver Verifier's I/O checks):
 * - every IRP is completed exactly once, with a status other than STATUS_PENDING, no cancel
 *   routine set, an Information no larger than the buffer, at IRQL <= DISPATCH_LEVEL;
 * - a dispatch routine returns STATUS_PENDING only after IoMarkIrpPending, and otherwise
 *   returns the status it completed the IRP with, having completed it;
 * - nothing touches an IRP or its buffers after completion (their pages are decommitted);
 * - no IRP of a file object is still pending once its IRP_MJ_CLEANUP has completed.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "sim.h"

#define MAX_NAME 160

typedef struct sim_device {
    PDEVICE_OBJECT obj;
    sim_block *obj_block;
    sim_block *handle_block; /* the NdisDeviceHandle, charged to the driver */
    char name[MAX_NAME];
    char link[MAX_NAME];
    PDRIVER_DISPATCH major[IRP_MJ_MAXIMUM_FUNCTION + 1];
    char sddl[256];
    int registered;
    size_t files;
    struct sim_device *next;
} sim_device;

typedef struct sim_file {
    char name[32];
    PFILE_OBJECT obj;
    sim_block *block;
    sim_device *dev;
    int open; /* the handle is open */
    struct sim_file *next;
} sim_file;

enum irp_state { IRP_DISPATCHING, IRP_PENDING, IRP_DONE };

typedef struct sim_irp {
    char name[40];
    PIRP irp;
    sim_block *block;
    sim_file *file;
    UCHAR major;
    ULONG code;
    ULONG in_len, out_len;
    sim_block *sysbuf;  /* SystemBuffer */
    sim_block *userbuf; /* the application's buffer */
    sim_block *mdl;     /* MdlAddress */
    sim_block *extra;   /* IRP_MJ_CREATE's security context */
    enum irp_state state;
    int marked_pending; /* SL_PENDING_RETURNED when completed */
    PIO_CSQ csq;        /* in a cancel-safe queue */
    NTSTATUS status;
    ULONG_PTR info;
    const void *complete_site;
    int complete_line;
    unsigned char *result; /* the output the application receives */
    size_t result_len;
    struct sim_irp *next;
} sim_irp;

static sim_device *devices;
static sim_file *files;
static sim_irp *irps;
static sim_irp *free_irps; /* set history off: records of finished IRPs, for reuse */
static unsigned irp_serial;

/* The cancel spin lock (IoAcquireCancelSpinLock). */
static KSPIN_LOCK cancel_lock;

static const char *major_name(UCHAR major)
{
    switch (major) {
    case IRP_MJ_CREATE:
        return "CREATE";
    case IRP_MJ_CLOSE:
        return "CLOSE";
    case IRP_MJ_READ:
        return "READ";
    case IRP_MJ_WRITE:
        return "WRITE";
    case IRP_MJ_DEVICE_CONTROL:
        return "DEVICE_CONTROL";
    case IRP_MJ_CLEANUP:
        return "CLEANUP";
    default:
        return "OTHER";
    }
}

/* ---- Devices (NdisRegisterDeviceEx) ------------------------------------------------------- */

static void copy_name(const void *site, PNDIS_STRING s, char *out, const char *what)
{
    if (s == NULL || s->Buffer == NULL || s->Length == 0 || (s->Length & 1) ||
        s->Length > s->MaximumLength) {
        sim_violation(site, "NdisRegisterDeviceEx: %s is not a valid counted string", what);
    }
    if (s->Length / sizeof(WCHAR) >= MAX_NAME) {
        sim_violation(site, "NdisRegisterDeviceEx: %s is too long", what);
    }
    sim_unicode_to_ascii(s, out, MAX_NAME);
}

static sim_device *device_by_name(const char *name, int links)
{
    for (sim_device *d = devices; d; d = d->next) {
        if (!d->registered) {
            continue;
        }
        const char *n = links ? d->link : d->name;
        if (_stricmp(n, name) == 0) {
            return d;
        }
    }
    return NULL;
}

static NDIS_STATUS NTAPI sim_NdisRegisterDeviceEx(NDIS_HANDLE NdisHandle,
                                                  PNDIS_DEVICE_OBJECT_ATTRIBUTES attrs,
                                                  PDEVICE_OBJECT *pDeviceObject,
                                                  PNDIS_HANDLE NdisDeviceHandle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisRegisterDeviceEx", PASSIVE_LEVEL);
    if (!sim_ndis_driver_handle(NdisHandle)) {
        sim_violation(site,
                      "NdisRegisterDeviceEx: NdisHandle %p is not the miniport driver "
                      "handle",
                      NdisHandle);
    }
    if (attrs->Header.Type != NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES ||
        attrs->Header.Revision != NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 ||
        attrs->Header.Size < NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1) {
        sim_violation(site,
                      "NdisRegisterDeviceEx: attributes header type %u revision %u size "
                      "%u",
                      attrs->Header.Type, attrs->Header.Revision, attrs->Header.Size);
    }
    if (sim_inject_failure("NdisRegisterDeviceEx")) {
        *pDeviceObject = NULL;
        return NDIS_STATUS_RESOURCES;
    }
    sim_device *d = host_malloc(sizeof(*d));
    copy_name(site, attrs->DeviceName, d->name, "DeviceName");
    if (attrs->SymbolicName != NULL) {
        copy_name(site, attrs->SymbolicName, d->link, "SymbolicName");
    }
    if (_strnicmp(d->name, "\\Device\\", 8) != 0) {
        sim_violation(site, "NdisRegisterDeviceEx: DeviceName %s is not under \\Device\\", d->name);
    }
    if (device_by_name(d->name, 0) != NULL ||
        (d->link[0] != '\0' && device_by_name(d->link, 1) != NULL)) {
        host_free(d);
        sim_event("device-register status=0x%08lX", (unsigned long)STATUS_OBJECT_NAME_COLLISION);
        *pDeviceObject = NULL;
        return STATUS_OBJECT_NAME_COLLISION;
    }
    if (attrs->MajorFunctions == NULL) {
        sim_violation(site, "NdisRegisterDeviceEx: no MajorFunctions");
    }
    memcpy(d->major, attrs->MajorFunctions, sizeof(d->major));
    if (attrs->DefaultSDDLString != NULL) {
        sim_unicode_to_ascii(attrs->DefaultSDDLString, d->sddl, sizeof(d->sddl));
    }

    size_t ext = (attrs->ExtensionSize + 15) & ~(size_t)15;
    char what[64];
    host_format(what, sizeof(what), "device object %s", d->name);
    /* IoCreateDevice zeroes the device extension; NDIS's reference does not say so of the
     * reserved extension: `set extension-fill pattern` finds a driver relying on it. */
    d->obj_block = sim_alloc(SIM_OBJECT, sizeof(DEVICE_OBJECT) + ext, 0, SIM_OWNER_NONE, site,
                             !sim_extension_pattern, what);
    PDEVICE_OBJECT obj = d->obj_block->ptr;
    memset(obj, 0, sizeof(DEVICE_OBJECT));
    obj->Type = IO_TYPE_DEVICE;
    obj->Size = (USHORT)(sizeof(DEVICE_OBJECT) + ext);
    obj->ReferenceCount = 0;
    obj->DeviceType = FILE_DEVICE_NETWORK;
    obj->StackSize = 1;
    obj->Flags = 0;
    obj->DeviceExtension = attrs->ExtensionSize ? (PVOID)(obj + 1) : NULL;
    d->obj = obj;
    d->handle_block = sim_alloc(SIM_DEVICE, 16, 0, SIM_OWNER_DRIVER, site, 1, what);
    d->handle_block->extra = d;
    d->registered = 1;
    d->next = devices;
    devices = d;
    *pDeviceObject = obj;
    *NdisDeviceHandle = d->handle_block->ptr;
    sim_event("device-register name=%s link=%s sddl=%s extension=%lu", d->name,
              d->link[0] ? d->link : "-", d->sddl[0] ? d->sddl : "-",
              (unsigned long)attrs->ExtensionSize);
    return NDIS_STATUS_SUCCESS;
}
SIM_EXPORT(NdisRegisterDeviceEx);

static void device_free_if_unused(sim_device *d)
{
    if (!d->registered && d->files == 0 && d->obj_block->live) {
        sim_release(d->obj_block, NULL);
    }
}

static VOID NTAPI sim_NdisDeregisterDeviceEx(NDIS_HANDLE NdisDeviceHandle)
{
    const void *site = SIM_SITE();
    char where[300];
    sim_irql_at_most(site, "NdisDeregisterDeviceEx", PASSIVE_LEVEL);
    sim_block *b = sim_block_at(NdisDeviceHandle);
    if (b == NULL || b->kind != SIM_DEVICE) {
        sim_violation(site, "NdisDeregisterDeviceEx(%p): not a device handle", NdisDeviceHandle);
    }
    if (!b->live) {
        sim_violation(site, "NdisDeregisterDeviceEx(%p): deregistered twice; first at %s",
                      NdisDeviceHandle, sim_where(b->free_site, where, sizeof(where)));
    }
    sim_device *d = b->extra;
    d->registered = 0;
    sim_release(b, site);
    sim_event("device-deregister name=%s open-files=%zu", d->name, d->files);
    device_free_if_unused(d);
}
SIM_EXPORT(NdisDeregisterDeviceEx);

static PVOID NTAPI sim_NdisGetDeviceReservedExtension(PDEVICE_OBJECT DeviceObject)
{
    for (sim_device *d = devices; d; d = d->next) {
        if (d->obj == DeviceObject) {
            return DeviceObject->DeviceExtension;
        }
    }
    sim_violation(SIM_SITE(),
                  "NdisGetDeviceReservedExtension(%p): not a device of "
                  "NdisRegisterDeviceEx",
                  (void *)DeviceObject);
}
SIM_EXPORT(NdisGetDeviceReservedExtension);

/* ---- Access check: the subset of SDDL device objects use ----------------------------------- */

/* Accounts of the simulated callers' tokens. */
static int caller_has(sim_caller caller, const char *sid)
{
    static const char *const user[] = {"WD", "AU", "BU", "IU", NULL};
    static const char *const admin[] = {"WD", "AU", "BU", "IU", "BA", NULL};
    static const char *const system[] = {"WD", "AU", "BA", "SY", NULL};
    const char *const *set = caller == SIM_CALLER_USER    ? user
                             : caller == SIM_CALLER_ADMIN ? admin
                                                          : system;
    for (; *set; set++) {
        if (strcmp(*set, sid) == 0) {
            return 1;
        }
    }
    return 0;
}

static ACCESS_MASK parse_rights(const char *s, size_t n)
{
    ACCESS_MASK mask = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (size_t i = 2; i < n; i++) {
            char c = s[i];
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : 0;
            mask = mask << 4 | (ACCESS_MASK)v;
        }
        return mask;
    }
    for (size_t i = 0; i + 1 < n; i += 2) {
        const char code[3] = {s[i], s[i + 1], 0};
        if (strcmp(code, "GA") == 0) {
            mask |= GENERIC_ALL;
        } else if (strcmp(code, "GR") == 0) {
            mask |= GENERIC_READ;
        } else if (strcmp(code, "GW") == 0) {
            mask |= GENERIC_WRITE;
        } else if (strcmp(code, "GX") == 0) {
            mask |= GENERIC_EXECUTE;
        } else if (strcmp(code, "RC") == 0) {
            mask |= READ_CONTROL;
        } else if (strcmp(code, "SD") == 0) {
            mask |= DELETE;
        } else if (strcmp(code, "WD") == 0) {
            mask |= WRITE_DAC;
        } else if (strcmp(code, "WO") == 0) {
            mask |= WRITE_OWNER;
        }
    }
    return mask;
}

/*
 * Whether the caller gets `access` under the device's SDDL ("D:P" and (A|D;;rights;;;SID)
 * entries). With no SDDL the simulation grants SYSTEM and Administrators only (the most
 * restrictive reading of NDIS's default for device objects).
 */
static int access_granted(const sim_device *d, sim_caller caller, ACCESS_MASK access)
{
    const char *sddl = d->sddl[0] ? d->sddl : "D:P(A;;GA;;;SY)(A;;GA;;;BA)";
    ACCESS_MASK allowed = 0, denied = 0;
    const char *p = strchr(sddl, '(');
    while (p != NULL) {
        const char *end = strchr(p, ')');
        if (end == NULL) {
            break;
        }
        /* (type;flags;rights;object;inherit;sid) */
        const char *field[6];
        size_t len[6];
        const char *q = p + 1;
        int k = 0;
        for (; k < 6; k++) {
            const char *semi = memchr(q, ';', (size_t)(end - q));
            field[k] = q;
            len[k] = (size_t)((semi ? semi : end) - q);
            if (semi == NULL) {
                k++;
                break;
            }
            q = semi + 1;
        }
        if (k == 6) {
            char sid[8] = {0};
            memcpy(sid, field[5], len[5] < 7 ? len[5] : 7);
            if (caller_has(caller, sid)) {
                ACCESS_MASK m = parse_rights(field[2], len[2]);
                if (len[0] == 1 && field[0][0] == 'A') {
                    allowed |= m;
                } else if (len[0] == 1 && field[0][0] == 'D') {
                    denied |= m;
                }
            }
        }
        p = strchr(end, '(');
    }
    if (allowed & GENERIC_ALL) {
        allowed |= GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE;
    }
    if (denied & GENERIC_ALL) {
        denied |= GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE;
    }
    return (access & denied) == 0 && (access & ~allowed) == 0;
}

/* ---- IRPs ------------------------------------------------------------------------------------ */

static sim_irp *irp_record(const PIRP irp)
{
    for (sim_irp *r = irps; r; r = r->next) {
        if (r->irp == irp) {
            return r;
        }
    }
    return NULL;
}

static sim_irp *irp_by_name(const char *name)
{
    for (sim_irp *r = irps; r; r = r->next) {
        if (strcmp(r->name, name) == 0) {
            return r;
        }
    }
    return NULL;
}

static sim_file *file_by_name(const char *name)
{
    for (sim_file *f = files; f; f = f->next) {
        if (f->open && strcmp(f->name, name) == 0) {
            return f;
        }
    }
    return NULL;
}

static sim_irp *irp_new(sim_file *file, UCHAR major, const char *name)
{
    sim_irp *r = free_irps;
    CCHAR stack = file->dev->obj->StackSize;
    char serial[12];

    if (r != NULL) {
        free_irps = r->next;
        memset(r, 0, sizeof(*r));
    } else {
        r = host_malloc(sizeof(*r));
    }
    irp_serial++;
    if (name && name[0]) {
        if (irp_by_name(name) != NULL) {
            sim_script_error("IRP name %s used twice", name);
        }
        sim_concat(r->name, sizeof(r->name), name, (char *)NULL);
    } else {
        sim_concat(r->name, sizeof(r->name), "#", sim_decimal(irp_serial, serial), (char *)NULL);
    }
    if (stack < 1) {
        sim_violation(NULL, "device %s has StackSize %d", file->dev->name, (int)stack);
    }
    r->block = sim_alloc(SIM_OBJECT, IoSizeOfIrp(stack), 0, SIM_OWNER_NONE, NULL, 1, "IRP");
    sim_concat(r->block->what, sizeof(r->block->what), "IRP ", r->name, " (", major_name(major),
               ")", (char *)NULL);
    PIRP irp = r->block->ptr;
    /* As IoInitializeIrp: the stack locations follow the IRP; none is current yet. */
    irp->Type = IO_TYPE_IRP;
    irp->Size = IoSizeOfIrp(stack);
    irp->StackCount = stack;
    irp->CurrentLocation = (CHAR)(stack + 1);
    irp->Tail.Overlay.CurrentStackLocation = (PIO_STACK_LOCATION)(irp + 1) + stack;
    InitializeListHead(&irp->ThreadListEntry);
    irp->RequestorMode = UserMode;
    irp->Tail.Overlay.OriginalFileObject = file->obj;
    irp->IoStatus.Status = STATUS_SUCCESS; /* what the I/O manager leaves before dispatch */
    r->irp = irp;
    r->file = file;
    r->major = major;
    r->state = IRP_DISPATCHING;
    r->next = irps;
    irps = r;

    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->MajorFunction = major;
    sp->DeviceObject = file->dev->obj;
    sp->FileObject = file->obj;
    return r;
}

static sim_block *object_buffer(ULONG length, const char *what, const unsigned char *data)
{
    if (length == 0) {
        return NULL;
    }
    sim_block *b = sim_alloc(SIM_OBJECT, length, 0, SIM_OWNER_NONE, NULL,
                             data != NULL ? SIM_FILL_NONE : SIM_FILL_PATTERN, what);
    if (data != NULL) {
        memcpy(b->ptr, data, length);
    }
    return b;
}

/* An MDL for the application's buffer as the I/O manager makes for direct I/O: pages locked,
 * not mapped into system space. */
static sim_block *user_mdl(sim_block *buf, const char *what)
{
    sim_block *b = sim_alloc(SIM_OBJECT, sizeof(MDL) + 2 * sizeof(PFN_NUMBER), 0, SIM_OWNER_NONE,
                             NULL, 1, what);
    PMDL mdl = b->ptr;
    MmInitializeMdl(mdl, buf->ptr, buf->size);
    mdl->MdlFlags = MDL_PAGES_LOCKED;
    return b;
}

static void release_if(sim_block *b)
{
    if (b != NULL && b->live) {
        sim_release(b, NULL);
    }
}

static void report_completion(sim_irp *r, const unsigned char *data, size_t len)
{
    char hex[2 * 4096 + 1];
    sim_hex(data, len, hex, sizeof(hex));
    sim_event("irp %s %s done status=0x%08lX info=%llu%s%s", r->name, major_name(r->major),
              (unsigned long)r->status, (unsigned long long)r->info, len ? " data=" : "", hex);
}

static void file_closed(sim_file *f);

/* What the application sees of a completed IRP, taken before its memory goes away. */
static void capture(sim_irp *r)
{
    const unsigned char *data = NULL;
    ULONG method = r->code & 3;

    if (!NT_ERROR(r->status) && r->info > 0) {
        if (r->major == IRP_MJ_READ) {
            ULONG flags = r->file->dev->obj->Flags;
            data = (flags & DO_BUFFERED_IO) && r->sysbuf ? r->sysbuf->ptr
                   : r->userbuf                          ? r->userbuf->ptr
                                                         : NULL;
        } else if (r->major == IRP_MJ_DEVICE_CONTROL && r->out_len != 0) {
            /* METHOD_BUFFERED: Information bytes of the system buffer reach the caller's
             * output buffer; with no output buffer nothing is copied. */
            data = method == METHOD_BUFFERED ? (r->sysbuf ? r->sysbuf->ptr : NULL)
                                             : (r->userbuf ? r->userbuf->ptr : NULL);
        }
    }
    /* Quiet (the benchmark's loops): nothing reports it. */
    if (data != NULL && !sim_quiet) {
        r->result_len = r->info;
        r->result = host_malloc(r->result_len);
        memcpy(r->result, data, r->result_len);
    }
    release_if(r->sysbuf);
    release_if(r->userbuf);
    release_if(r->mdl);
    release_if(r->extra);
    sim_release(r->block, r->complete_site);
}

/* set history off: a finished IRP leaves the list (it is near its head: the newest first)
 * and its record is reused. */
static void forget(sim_irp *r)
{
    for (sim_irp **p = &irps; *p != NULL; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            host_free(r->result);
            r->next = free_irps;
            free_irps = r;
            return;
        }
    }
}

/* The application learns the result: report it; handles open or close. */
static void finish(sim_irp *r)
{
    report_completion(r, r->result, r->result_len);
    sim_file *f = r->file;
    if (r->major == IRP_MJ_CREATE) {
        if (NT_SUCCESS(r->status)) {
            f->open = 1;
        } else {
            f->dev->files--;
            release_if(f->block);
            device_free_if_unused(f->dev);
        }
        sim_event("open %s status=0x%08lX", f->name, (unsigned long)r->status);
    } else if (r->major == IRP_MJ_CLOSE) {
        file_closed(f);
    }
    if (!sim_history) {
        forget(r);
    }
}

static VOID FASTCALL sim_IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
    const void *site = SIM_SITE();
    char where[300];
    (void)PriorityBoost;
    sim_irql_at_most(site, "IoCompleteRequest", DISPATCH_LEVEL);
    sim_irp *r = irp_record(Irp);
    if (r == NULL) {
        sim_violation(site, "IoCompleteRequest(%p): not an IRP of the I/O manager", (void *)Irp);
    }
    if (r->state == IRP_DONE) {
        sim_violation(site,
                      "IoCompleteRequest: IRP %s (%s) completed twice; first at %s (script "
                      "line %d)",
                      r->name, major_name(r->major),
                      sim_where(r->complete_site, where, sizeof(where)), r->complete_line);
    }
    if (Irp->IoStatus.Status == STATUS_PENDING) {
        sim_violation(site, "IoCompleteRequest: IRP %s (%s) completed with STATUS_PENDING", r->name,
                      major_name(r->major));
    }
    if (r->csq != NULL) {
        sim_violation(site,
                      "IoCompleteRequest: IRP %s (%s) completed while still in the "
                      "cancel-safe queue %p",
                      r->name, major_name(r->major), (void *)r->csq);
    }
    if (Irp->CancelRoutine != NULL) {
        sim_violation(site,
                      "IoCompleteRequest: IRP %s (%s) completed with its cancel routine "
                      "still set",
                      r->name, major_name(r->major));
    }
    if (Irp->CurrentLocation != 1 ||
        Irp->Tail.Overlay.CurrentStackLocation != (PIO_STACK_LOCATION)((PUCHAR)Irp + sizeof(IRP))) {
        sim_violation(site,
                      "IoCompleteRequest: IRP %s has its stack location moved (current "
                      "location %d)",
                      r->name, (int)Irp->CurrentLocation);
    }
    ULONG_PTR info = Irp->IoStatus.Information;
    NTSTATUS status = Irp->IoStatus.Status;
    /* A METHOD_BUFFERED IOCTL without an output buffer has no copy back (no
     * IRP_INPUT_OPERATION): the I/O manager only reports Information, as Windows does. */
    int reported_only = r->major == IRP_MJ_DEVICE_CONTROL && (r->code & 3) == METHOD_BUFFERED &&
                        !(Irp->Flags & IRP_INPUT_OPERATION);
    if (!NT_ERROR(status) && !reported_only) {
        ULONG limit = r->major == IRP_MJ_READ || r->major == IRP_MJ_DEVICE_CONTROL ? r->out_len
                      : r->major == IRP_MJ_WRITE                                   ? r->in_len
                                                                                   : ~0UL;
        if (r->major != IRP_MJ_CREATE && info > limit) {
            sim_violation(site,
                          "IoCompleteRequest: IRP %s (%s) Information %llu exceeds the "
                          "%lu-byte buffer",
                          r->name, major_name(r->major), (unsigned long long)info,
                          (unsigned long)limit);
        }
    }
    r->marked_pending = (IoGetCurrentIrpStackLocation(Irp)->Control & SL_PENDING_RETURNED) != 0;
    r->status = status;
    r->info = info;
    r->complete_site = site;
    r->complete_line = sim_line_number;
    enum irp_state was = r->state;
    r->state = IRP_DONE;
    capture(r); /* the IRP and its buffers are gone from here on */
    if (was == IRP_PENDING) {
        finish(r);
    }
}
SIM_EXPORT(IofCompleteRequest);

/* IoCallDriver from the I/O manager: dispatch at PASSIVE_LEVEL, then the return rules. */
static void call_driver(sim_irp *r)
{
    static const char *const names[] = {
        [IRP_MJ_CREATE] = "IRP_MJ_CREATE dispatch",
        [IRP_MJ_CLOSE] = "IRP_MJ_CLOSE dispatch",
        [IRP_MJ_READ] = "IRP_MJ_READ dispatch",
        [IRP_MJ_WRITE] = "IRP_MJ_WRITE dispatch",
        [IRP_MJ_DEVICE_CONTROL] = "IRP_MJ_DEVICE_CONTROL dispatch",
        [IRP_MJ_CLEANUP] = "IRP_MJ_CLEANUP dispatch",
    };
    sim_device *d = r->file->dev;
    PIRP irp = r->irp;
    PDRIVER_DISPATCH dispatch = d->major[r->major];
    char frame_name[128]; /* for messages */
    sim_frame frame;

    irp->CurrentLocation--;
    irp->Tail.Overlay.CurrentStackLocation--;
    if (dispatch == NULL) {
        irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
        irp->IoStatus.Information = 0;
        sim_IofCompleteRequest(irp, IO_NO_INCREMENT);
        finish(r);
        return;
    }
    const char *name = r->major < sizeof(names) / sizeof(names[0]) ? names[r->major] : NULL;
    sim_enter(&frame, name != NULL ? name : "IRP_MJ_OTHER dispatch", PASSIVE_LEVEL);
    frame.irp = r->name; /* named when a message needs it */
    frame.routine = (const void *)dispatch;
    NTSTATUS ret = dispatch(d->obj, irp);
    sim_leave(&frame);
    if (ret == STATUS_PENDING) {
        int marked = r->state == IRP_DONE
                         ? r->marked_pending
                         : (IoGetCurrentIrpStackLocation(irp)->Control & SL_PENDING_RETURNED) != 0;
        if (!marked) {
            sim_violation(frame.routine, "%s returned STATUS_PENDING without IoMarkIrpPending",
                          sim_frame_label(&frame, frame_name, sizeof(frame_name)));
        }
        if (r->state == IRP_DONE) {
            finish(r);
        } else {
            r->state = IRP_PENDING;
            sim_event("irp %s %s pending", r->name, major_name(r->major));
        }
        return;
    }
    if (r->state != IRP_DONE) {
        sim_violation(frame.routine,
                      "%s returned 0x%08lX without completing the IRP (only "
                      "STATUS_PENDING leaves it to complete later)",
                      sim_frame_label(&frame, frame_name, sizeof(frame_name)), (unsigned long)ret);
    }
    if (r->marked_pending) {
        sim_violation(frame.routine, "%s marked the IRP pending but returned 0x%08lX",
                      sim_frame_label(&frame, frame_name, sizeof(frame_name)), (unsigned long)ret);
    }
    if (ret != r->status) {
        sim_violation(frame.routine, "%s returned 0x%08lX but completed the IRP with 0x%08lX",
                      sim_frame_label(&frame, frame_name, sizeof(frame_name)), (unsigned long)ret,
                      (unsigned long)r->status);
    }
    finish(r);
}

/* ---- The application's side ---------------------------------------------------------------------
 */

static sim_device *resolve_path(const char *path)
{
    char link[MAX_NAME + 32];
    if (_strnicmp(path, "\\\\.\\Global\\", 11) == 0) {
        host_format(link, sizeof(link), "\\DosDevices\\Global\\%s", path + 11);
    } else if (_strnicmp(path, "\\\\.\\", 4) == 0) {
        host_format(link, sizeof(link), "\\DosDevices\\%s", path + 4);
    } else {
        return device_by_name(path, 0);
    }
    sim_device *d = device_by_name(link, 1);
    if (d == NULL && _strnicmp(link, "\\DosDevices\\Global\\", 19) == 0) {
        /* \DosDevices\X and \DosDevices\Global\X name the same global link. */
        char short_link[MAX_NAME + 32];
        host_format(short_link, sizeof(short_link), "\\DosDevices\\%s", link + 19);
        d = device_by_name(short_link, 1);
    }
    return d;
}

const char *sim_io_default_device(int diag, char *buf, size_t cap)
{
    const sim_value *v = sim_reg_find_ascii(SIM_STORE_ADAPTER, "NetCfgInstanceId");
    char guid[64] = "";
    if (v != NULL && v->type == REG_SZ) {
        size_t n = 0;
        for (size_t i = 0; i + 1 < v->len && n + 1 < sizeof(guid); i += 2) {
            if (v->data[i] == 0) {
                break;
            }
            guid[n++] = (char)v->data[i];
        }
        guid[n] = '\0';
    }
    host_format(buf, cap, "\\\\.\\Global\\%s.%s", guid, diag ? "tapdiag" : "tap");
    return buf;
}

void sim_io_open(const char *handle, const char *path, sim_caller caller, ACCESS_MASK access)
{
    if (file_by_name(handle) != NULL) {
        sim_script_error("handle %s is already open", handle);
    }
    sim_device *d = resolve_path(path);
    if (d == NULL) {
        sim_event("open %s status=0x%08lX", handle, (unsigned long)STATUS_OBJECT_NAME_NOT_FOUND);
        return;
    }
    if (!access_granted(d, caller, access)) {
        sim_event("open %s status=0x%08lX", handle, (unsigned long)STATUS_ACCESS_DENIED);
        return;
    }
    if ((d->obj->Flags & DO_EXCLUSIVE) && d->files > 0) {
        sim_event("open %s status=0x%08lX", handle, (unsigned long)STATUS_ACCESS_DENIED);
        return;
    }
    sim_file *f = host_malloc(sizeof(*f));
    char what[64];
    host_format(f->name, sizeof(f->name), "%s", handle);
    host_format(what, sizeof(what), "file object %s", handle);
    f->block = sim_alloc(SIM_OBJECT, sizeof(FILE_OBJECT), 0, SIM_OWNER_NONE, NULL, 1, what);
    f->obj = f->block->ptr;
    f->obj->Type = IO_TYPE_FILE;
    f->obj->Size = sizeof(FILE_OBJECT);
    f->obj->DeviceObject = d->obj;
    f->dev = d;
    f->next = files;
    files = f;
    d->files++;

    char irp_name[48];
    host_format(irp_name, sizeof(irp_name), "%s.create", handle);
    sim_irp *r = irp_new(f, IRP_MJ_CREATE, irp_name);
    host_format(what, sizeof(what), "security context of %s", handle);
    r->extra = sim_alloc(SIM_OBJECT, sizeof(IO_SECURITY_CONTEXT) + sizeof(ACCESS_STATE), 0,
                         SIM_OWNER_NONE, NULL, 1, what);
    PIO_SECURITY_CONTEXT sc = r->extra->ptr;
    PACCESS_STATE as = (PACCESS_STATE)(sc + 1);
    as->OriginalDesiredAccess = access;
    as->PreviouslyGrantedAccess = access;
    sc->AccessState = as;
    sc->DesiredAccess = access;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(r->irp);
    sp->Parameters.Create.SecurityContext = sc;
    sp->Parameters.Create.Options = (FILE_OPEN << 24) | FILE_NON_DIRECTORY_FILE;
    sp->Parameters.Create.ShareAccess = 0;
    call_driver(r);
}

static size_t pending_for(const sim_file *f)
{
    size_t n = 0;
    for (sim_irp *r = irps; r; r = r->next) {
        n += r->file == f && r->state != IRP_DONE;
    }
    return n;
}

static void file_closed(sim_file *f)
{
    f->open = 0;
    f->dev->files--;
    release_if(f->block);
    device_free_if_unused(f->dev);
}

void sim_io_close(const char *handle)
{
    sim_file *f = file_by_name(handle);
    char irp_name[48];
    if (f == NULL) {
        sim_script_error("no open handle %s", handle);
    }
    host_format(irp_name, sizeof(irp_name), "%s.cleanup", handle);
    call_driver(irp_new(f, IRP_MJ_CLEANUP, irp_name));
    size_t left = pending_for(f);
    if (left > 0) {
        for (sim_irp *r = irps; r; r = r->next) {
            if (r->file == f && r->state != IRP_DONE) {
                sim_problem(NULL, "IRP %s (%s) of handle %s still pending after IRP_MJ_CLEANUP",
                            r->name, major_name(r->major), handle);
            }
        }
        sim_fail_pending();
    }
    host_format(irp_name, sizeof(irp_name), "%s.close", handle);
    call_driver(irp_new(f, IRP_MJ_CLOSE, irp_name));
}

/* A read (data NULL) or write IRP of length bytes on handle, its buffers as the device's I/O
 * method gives them (buffered: a system buffer; direct: an MDL of the user buffer). */
static void transfer(const char *handle, int read, const unsigned char *data, ULONG length,
                     const char *irp_name)
{
    sim_file *f = file_by_name(handle);
    if (f == NULL) {
        sim_script_error("no open handle %s", handle);
    }
    sim_irp *r = irp_new(f, read ? IRP_MJ_READ : IRP_MJ_WRITE, irp_name);
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(r->irp);
    if (read) {
        sp->Parameters.Read.Length = length;
        r->out_len = length;
    } else {
        sp->Parameters.Write.Length = length;
        r->in_len = length;
    }
    r->userbuf = object_buffer(length, read ? "read buffer" : "write buffer", data);
    r->irp->UserBuffer = r->userbuf ? r->userbuf->ptr : NULL;
    ULONG flags = f->dev->obj->Flags;
    if (flags & DO_BUFFERED_IO) {
        r->sysbuf =
            object_buffer(length, read ? "read system buffer" : "write system buffer", data);
        r->irp->AssociatedIrp.SystemBuffer = r->sysbuf ? r->sysbuf->ptr : NULL;
        r->irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (read ? IRP_INPUT_OPERATION : 0);
    } else if ((flags & DO_DIRECT_IO) && r->userbuf) {
        r->mdl = user_mdl(r->userbuf, read ? "read MDL" : "write MDL");
        r->irp->MdlAddress = r->mdl->ptr;
    }
    call_driver(r);
}

void sim_io_read(const char *handle, ULONG length, const char *irp_name)
{
    transfer(handle, 1, NULL, length, irp_name);
}

void sim_io_write(const char *handle, const unsigned char *data, ULONG length, const char *irp_name)
{
    transfer(handle, 0, data, length, irp_name);
}

void sim_io_ioctl(const char *handle, ULONG code, const unsigned char *in, ULONG in_len,
                  ULONG out_len, const char *irp_name)
{
    sim_file *f = file_by_name(handle);
    if (f == NULL) {
        sim_script_error("no open handle %s", handle);
    }
    sim_irp *r = irp_new(f, IRP_MJ_DEVICE_CONTROL, irp_name);
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(r->irp);
    sp->Parameters.DeviceIoControl.IoControlCode = code;
    sp->Parameters.DeviceIoControl.InputBufferLength = in_len;
    sp->Parameters.DeviceIoControl.OutputBufferLength = out_len;
    r->code = code;
    r->in_len = in_len;
    r->out_len = out_len;
    switch (code & 3) {
    case METHOD_BUFFERED: {
        ULONG size = in_len > out_len ? in_len : out_len;
        r->sysbuf = object_buffer(size, "ioctl system buffer", NULL);
        if (r->sysbuf && in_len) {
            memcpy(r->sysbuf->ptr, in, in_len);
        }
        r->irp->AssociatedIrp.SystemBuffer = r->sysbuf ? r->sysbuf->ptr : NULL;
        r->userbuf = object_buffer(out_len, "ioctl output buffer", NULL);
        r->irp->UserBuffer = r->userbuf ? r->userbuf->ptr : NULL;
        r->irp->Flags |=
            IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (out_len ? IRP_INPUT_OPERATION : 0);
        break;
    }
    case METHOD_IN_DIRECT:
    case METHOD_OUT_DIRECT:
        r->sysbuf = object_buffer(in_len, "ioctl input buffer", in);
        r->irp->AssociatedIrp.SystemBuffer = r->sysbuf ? r->sysbuf->ptr : NULL;
        r->userbuf = object_buffer(out_len, "ioctl output buffer", NULL);
        if (r->userbuf) {
            r->mdl = user_mdl(r->userbuf, "ioctl MDL");
            r->irp->MdlAddress = r->mdl->ptr;
        }
        break;
    default: /* METHOD_NEITHER */
        r->sysbuf = object_buffer(in_len, "ioctl input buffer (user)", in);
        sp->Parameters.DeviceIoControl.Type3InputBuffer = r->sysbuf ? r->sysbuf->ptr : NULL;
        r->userbuf = object_buffer(out_len, "ioctl output buffer", NULL);
        r->irp->UserBuffer = r->userbuf ? r->userbuf->ptr : NULL;
        break;
    }
    call_driver(r);
}

/* ---- Cancellation ---------------------------------------------------------------------------- */

static VOID NTAPI sim_IoAcquireCancelSpinLock(PKIRQL Irql)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "IoAcquireCancelSpinLock", DISPATCH_LEVEL);
    sim_lock_acquired(&cancel_lock, SIM_LOCK_CANCEL, site);
    *Irql = sim_irql;
    sim_irql = DISPATCH_LEVEL;
}
SIM_EXPORT(IoAcquireCancelSpinLock);

static VOID NTAPI sim_IoReleaseCancelSpinLock(KIRQL Irql)
{
    const void *site = SIM_SITE();
    sim_lock_released(&cancel_lock, SIM_LOCK_CANCEL, site);
    if (sim_irql != DISPATCH_LEVEL) {
        sim_violation(site, "IoReleaseCancelSpinLock at IRQL %u", (unsigned)sim_irql);
    }
    sim_irql = Irql;
}
SIM_EXPORT(IoReleaseCancelSpinLock);

/* IoCancelIrp, as CancelIo or the end of the issuing thread does it. */
void sim_io_cancel(const char *irp_name)
{
    sim_irp *r = irp_by_name(irp_name);
    sim_frame frame;
    char frame_name[64];

    if (r == NULL) {
        sim_script_error("no IRP named %s", irp_name);
    }
    if (r->state != IRP_PENDING) {
        sim_event("cancel %s result=not-pending", irp_name);
        return;
    }
    PIRP irp = r->irp;
    KIRQL irql = sim_irql;
    sim_lock_acquired(&cancel_lock, SIM_LOCK_CANCEL, NULL);
    irp->Cancel = TRUE;
    PDRIVER_CANCEL routine = InterlockedExchangePointer((PVOID *)&irp->CancelRoutine, NULL);
    if (routine == NULL) {
        sim_lock_released(&cancel_lock, SIM_LOCK_CANCEL, NULL);
        sim_event("cancel %s result=no-cancel-routine", irp_name);
        return;
    }
    irp->CancelIrql = irql;
    host_format(frame_name, sizeof(frame_name), "cancel routine (IRP %s)", r->name);
    sim_enter(&frame, frame_name, DISPATCH_LEVEL);
    frame.routine = (const void *)routine;
    frame.irql = irql; /* it returns after IoReleaseCancelSpinLock(Irp->CancelIrql) */
    frame.locks--;     /* ... and without the cancel spin lock */
    routine(r->file->dev->obj, irp);
    if (sim_lock_held(&cancel_lock)) {
        sim_violation(frame.routine, "%s returned without releasing the cancel spin lock",
                      frame_name);
    }
    sim_leave(&frame);
    sim_event("cancel %s result=%s", irp_name, r->state == IRP_DONE ? "completed" : "pending");
}

/* ---- Cancel-safe queues ---------------------------------------------------------------------- */

static PIO_CSQ csq_of(PIRP irp)
{
    PVOID ctx = irp->Tail.Overlay.DriverContext[3];
    if (ctx != NULL && ((PIO_CSQ_IRP_CONTEXT)ctx)->Type == IO_TYPE_CSQ_IRP_CONTEXT) {
        return ((PIO_CSQ_IRP_CONTEXT)ctx)->Csq;
    }
    return ctx;
}

static void csq_detach(PIRP irp)
{
    PVOID ctx = irp->Tail.Overlay.DriverContext[3];
    if (ctx != NULL && ((PIO_CSQ_IRP_CONTEXT)ctx)->Type == IO_TYPE_CSQ_IRP_CONTEXT) {
        ((PIO_CSQ_IRP_CONTEXT)ctx)->Irp = NULL;
    }
    irp->Tail.Overlay.DriverContext[3] = NULL;
    sim_irp *r = irp_record(irp);
    if (r != NULL) {
        r->csq = NULL;
    }
}

static sim_irp *csq_member(const void *site, PIO_CSQ csq, PIRP irp, const char *what)
{
    sim_irp *r = irp_record(irp);
    if (r == NULL || r->state == IRP_DONE || r->csq != csq) {
        sim_violation(site, "%s returned %p, which is not an IRP in this cancel-safe queue", what,
                      (void *)irp);
    }
    return r;
}

static VOID NTAPI csq_cancel_routine(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    KIRQL irql;
    (void)DeviceObject;
    PIO_CSQ csq = csq_of(Irp);
    sim_IoReleaseCancelSpinLock(Irp->CancelIrql);
    csq->CsqAcquireLock(csq, &irql);
    csq->CsqRemoveIrp(csq, Irp);
    csq_detach(Irp);
    csq->CsqReleaseLock(csq, irql);
    csq->CsqCompleteCanceledIrp(csq, Irp);
}

static NTSTATUS NTAPI sim_IoCsqInitialize(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP CsqInsertIrp,
                                          PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                                          PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp,
                                          PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                                          PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                                          PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)
{
    Csq->Type = IO_TYPE_CSQ;
    Csq->CsqInsertIrp = CsqInsertIrp;
    Csq->CsqRemoveIrp = CsqRemoveIrp;
    Csq->CsqPeekNextIrp = CsqPeekNextIrp;
    Csq->CsqAcquireLock = CsqAcquireLock;
    Csq->CsqReleaseLock = CsqReleaseLock;
    Csq->CsqCompleteCanceledIrp = CsqCompleteCanceledIrp;
    Csq->ReservePointer = NULL;
    return STATUS_SUCCESS;
}
SIM_EXPORT(IoCsqInitialize);

static NTSTATUS NTAPI sim_IoCsqInitializeEx(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP_EX CsqInsertIrp,
                                            PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                                            PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp,
                                            PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                                            PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                                            PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)
{
    sim_IoCsqInitialize(Csq, (PIO_CSQ_INSERT_IRP)(PVOID)CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp,
                        CsqAcquireLock, CsqReleaseLock, CsqCompleteCanceledIrp);
    Csq->Type = IO_TYPE_CSQ_EX;
    return STATUS_SUCCESS;
}
SIM_EXPORT(IoCsqInitializeEx);

/*
 * Cancellation races, injected: IoCancelIrp from "another processor" at the one moment the
 * single-threaded simulation cannot otherwise reach -- just before the IRP enters a
 * cancel-safe queue, or just after the queue handed it to the driver (its cancel routine
 * already cleared, so the cancel only sets Irp->Cancel).
 */
static char race_irp[40];
static int race_at; /* 1: before insert, 2: after removal */

void sim_io_race_cancel(const char *irp_name, int before_insert)
{
    host_format(race_irp, sizeof(race_irp), "%s", irp_name);
    race_at = before_insert ? 1 : 2;
}

static void race(PIRP irp, int at)
{
    sim_irp *r = irp_record(irp);
    if (race_at != at || r == NULL || strcmp(r->name, race_irp) != 0) {
        return;
    }
    race_at = 0;
    irp->Cancel = TRUE; /* IoCancelIrp finds no cancel routine to call */
    sim_event("race cancel %s %s", r->name, at == 1 ? "before-insert" : "after-remove");
}

static NTSTATUS csq_insert(const void *site, PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context,
                           PVOID InsertContext)
{
    KIRQL irql;
    NTSTATUS status = STATUS_SUCCESS;
    sim_irp *r = irp_record(Irp);

    if (Csq->Type != IO_TYPE_CSQ && Csq->Type != IO_TYPE_CSQ_EX) {
        sim_violation(site, "IoCsqInsertIrp: queue %p is not initialized (IoCsqInitialize)",
                      (void *)Csq);
    }
    if (r == NULL || r->state == IRP_DONE) {
        sim_violation(site, "IoCsqInsertIrp(%p): not a live IRP", (void *)Irp);
    }
    if (r->csq != NULL) {
        sim_violation(site, "IoCsqInsertIrp: IRP %s is already in a cancel-safe queue", r->name);
    }
    race(Irp, 1);
    Csq->CsqAcquireLock(Csq, &irql);
    if (Csq->Type == IO_TYPE_CSQ_EX) {
        status = ((PIO_CSQ_INSERT_IRP_EX)(PVOID)Csq->CsqInsertIrp)(Csq, Irp, InsertContext);
        if (!NT_SUCCESS(status)) {
            Csq->CsqReleaseLock(Csq, irql);
            return status;
        }
    } else {
        Csq->CsqInsertIrp(Csq, Irp);
    }
    if (Context != NULL) {
        Context->Type = IO_TYPE_CSQ_IRP_CONTEXT;
        Context->Irp = Irp;
        Context->Csq = Csq;
        Irp->Tail.Overlay.DriverContext[3] = Context;
    } else {
        Irp->Tail.Overlay.DriverContext[3] = Csq;
    }
    r->csq = Csq;
    IoMarkIrpPending(Irp);
    (void)InterlockedExchangePointer((PVOID *)&Irp->CancelRoutine, (PVOID)csq_cancel_routine);
    if (Irp->Cancel && InterlockedExchangePointer((PVOID *)&Irp->CancelRoutine, NULL) != NULL) {
        Csq->CsqRemoveIrp(Csq, Irp);
        csq_detach(Irp);
        Csq->CsqReleaseLock(Csq, irql);
        Csq->CsqCompleteCanceledIrp(Csq, Irp);
        return status;
    }
    Csq->CsqReleaseLock(Csq, irql);
    return status;
}

static VOID NTAPI sim_IoCsqInsertIrp(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context)
{
    (void)csq_insert(SIM_SITE(), Csq, Irp, Context, NULL);
}
SIM_EXPORT(IoCsqInsertIrp);

static NTSTATUS NTAPI sim_IoCsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context,
                                           PVOID InsertContext)
{
    return csq_insert(SIM_SITE(), Csq, Irp, Context, InsertContext);
}
SIM_EXPORT(IoCsqInsertIrpEx);

static PIRP NTAPI sim_IoCsqRemoveIrp(PIO_CSQ Csq, PIO_CSQ_IRP_CONTEXT Context)
{
    KIRQL irql;
    PIRP irp;
    Csq->CsqAcquireLock(Csq, &irql);
    irp = Context->Irp;
    if (irp != NULL) {
        if (InterlockedExchangePointer((PVOID *)&irp->CancelRoutine, NULL) != NULL) {
            Csq->CsqRemoveIrp(Csq, irp);
            csq_detach(irp);
        } else {
            irp = NULL; /* being cancelled */
        }
    }
    Csq->CsqReleaseLock(Csq, irql);
    if (irp != NULL) {
        race(irp, 2);
    }
    return irp;
}
SIM_EXPORT(IoCsqRemoveIrp);

static PIRP NTAPI sim_IoCsqRemoveNextIrp(PIO_CSQ Csq, PVOID PeekContext)
{
    const void *site = SIM_SITE();
    KIRQL irql;
    Csq->CsqAcquireLock(Csq, &irql);
    PIRP irp = Csq->CsqPeekNextIrp(Csq, NULL, PeekContext);
    while (irp != NULL) {
        csq_member(site, Csq, irp, "CsqPeekNextIrp");
        if (InterlockedExchangePointer((PVOID *)&irp->CancelRoutine, NULL) != NULL) {
            Csq->CsqRemoveIrp(Csq, irp);
            csq_detach(irp);
            break;
        }
        irp = Csq->CsqPeekNextIrp(Csq, irp, PeekContext);
    }
    Csq->CsqReleaseLock(Csq, irql);
    if (irp != NULL) {
        race(irp, 2);
    }
    return irp;
}
SIM_EXPORT(IoCsqRemoveNextIrp);

/* ---- State and checks ---------------------------------------------------------------------- */

int sim_io_deferred(void)
{
    return 0;
}

size_t sim_io_pending_irps(void)
{
    size_t n = 0;
    for (sim_irp *r = irps; r; r = r->next) {
        n += r->state != IRP_DONE;
    }
    return n;
}

size_t sim_io_open_handles(void)
{
    size_t n = 0;
    for (sim_file *f = files; f; f = f->next) {
        n += f->open;
    }
    return n;
}

void sim_io_report(void)
{
    for (sim_irp *r = irps; r; r = r->next) {
        if (r->state != IRP_DONE) {
            sim_event("state irp %s %s pending", r->name, major_name(r->major));
        }
    }
    for (sim_file *f = files; f; f = f->next) {
        if (f->open) {
            sim_event("state handle %s open on %s", f->name, f->dev->name);
        }
    }
    for (sim_device *d = devices; d; d = d->next) {
        if (d->registered) {
            sim_event("state device %s flags=0x%lx", d->name, (unsigned long)d->obj->Flags);
        }
    }
}

void sim_io_check_unload(void)
{
    for (sim_irp *r = irps; r; r = r->next) {
        if (r->state != IRP_DONE) {
            sim_problem(NULL, "unload: IRP %s (%s) still pending", r->name, major_name(r->major));
        }
    }
}
