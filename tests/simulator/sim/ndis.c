/*
 * Simulated NDIS: the miniport driver's registration and unload, one adapter's lifetime
 * (initialize, restart, pause, halt, shutdown, PnP events), its attributes, configuration
 * (the adapter's registry values), OID requests, status indications, memory charged to NDIS
 * handles and read/write locks. Packets are in nbl.c.
 *
 * NDIS rules checked: handles and object headers as documented; attributes set during
 * MiniportInitializeEx (registration first, both required); no resource left behind by a failed
 * initialize, by halt (adapter) or by unload (driver); pause completes only with every send
 * completed and every indicated receive returned; OID results within the buffer and
 * BytesNeeded set on a short buffer; pended requests, pauses and restarts completed once.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "sim.h"

extern DRIVER_INITIALIZE GsDriverEntry; /* driver/krt.c: the image entry point */

typedef enum adapter_state {
    AD_NONE,
    AD_INITIALIZING,
    AD_PAUSED,
    AD_RESTARTING,
    AD_RUNNING,
    AD_PAUSING,
    AD_HALTING
} adapter_state;

static const char *state_name(adapter_state s)
{
    static const char *const names[] = {"none",    "initializing", "paused", "restarting",
                                        "running", "pausing",      "halting"};
    return names[s];
}

typedef struct sim_driver {
    int loaded;
    int registered;
    sim_block *handle; /* NdisMiniportDriverHandle */
    sim_block *object; /* DRIVER_OBJECT + extension */
    sim_block *path;   /* RegistryPath */
    NDIS_HANDLE context;
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;
} sim_driver;

typedef struct sim_adapter {
    adapter_state state;
    sim_block *handle; /* MiniportAdapterHandle */
    sim_block *params; /* NDIS_MINIPORT_INIT_PARAMETERS */
    NDIS_HANDLE context;
    int registration_set;
    int general_set;
    int pause_done;
    int restart_done;
    NDIS_STATUS restart_status;
    /* the outstanding OID request */
    sim_block *oid_block;
    sim_block *oid_buffer;
    int oid_direct;
    ULONG oid_serial;
} sim_adapter;

static sim_driver driver;
static sim_adapter adapter;

/* ---- Handles ----------------------------------------------------------------------------------
 */

int sim_ndis_driver_handle(NDIS_HANDLE handle)
{
    return driver.registered && driver.handle != NULL && handle == driver.handle->ptr;
}

int sim_ndis_adapter_handle(NDIS_HANDLE handle)
{
    return adapter.state != AD_NONE && handle == adapter.handle->ptr;
}

sim_owner sim_ndis_owner_of(NDIS_HANDLE handle, const void *site, const char *fn)
{
    if (sim_ndis_adapter_handle(handle)) {
        return SIM_OWNER_ADAPTER;
    }
    if (sim_ndis_driver_handle(handle)) {
        return SIM_OWNER_DRIVER;
    }
    sim_violation(site, "%s: %p is neither the miniport driver handle nor a live adapter handle",
                  fn, handle);
}

NDIS_HANDLE sim_ndis_adapter_context(void)
{
    return adapter.context;
}

int sim_ndis_adapter_running(void)
{
    return adapter.state == AD_RUNNING;
}

int sim_ndis_adapter_exists(void)
{
    return adapter.state != AD_NONE;
}

static void require_adapter_handle(const void *site, NDIS_HANDLE handle, const char *fn)
{
    if (!sim_ndis_adapter_handle(handle)) {
        sim_violation(site, "%s: %p is not a live miniport adapter handle", fn, handle);
    }
}

static void check_header(const void *site, const NDIS_OBJECT_HEADER *h, UCHAR type, UCHAR revision,
                         USHORT size, const char *what)
{
    if (h->Type != type || h->Revision < revision || h->Size < size) {
        sim_violation(site,
                      "%s: header type 0x%02X revision %u size %u; expected type 0x%02X, "
                      "revision %u, size %u",
                      what, h->Type, h->Revision, h->Size, type, revision, size);
    }
}

/* ---- Version ------------------------------------------------------------------------------- */

static UINT NTAPI sim_NdisGetVersion(VOID)
{
    return sim_ndis_version;
}
SIM_EXPORT(NdisGetVersion);

/* ---- Driver registration ------------------------------------------------------------------ */

static NDIS_STATUS NTAPI sim_NdisMRegisterMiniportDriver(
    PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, NDIS_HANDLE MiniportDriverContext,
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS chars, PNDIS_HANDLE NdisMiniportDriverHandle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisMRegisterMiniportDriver", PASSIVE_LEVEL);
    if (driver.object == NULL || DriverObject != driver.object->ptr ||
        RegistryPath != driver.path->ptr) {
        sim_violation(site, "NdisMRegisterMiniportDriver: not DriverEntry's DriverObject and "
                            "RegistryPath");
    }
    if (driver.registered) {
        sim_violation(site, "NdisMRegisterMiniportDriver called twice");
    }
    if (chars->Header.Type != NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS) {
        sim_violation(site, "NdisMRegisterMiniportDriver: header type 0x%02X", chars->Header.Type);
    }
    UINT running_minor = sim_ndis_version & 0xFFFF;
    UCHAR minor = chars->MinorNdisVersion;
    USHORT need = chars->Header.Revision >= NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2
                      ? NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2
                      : NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    if (chars->Header.Size < need) {
        sim_violation(site,
                      "NdisMRegisterMiniportDriver: header size %u for revision %u (at "
                      "least %u)",
                      chars->Header.Size, chars->Header.Revision, need);
    }
    if (minor >= 20 && chars->Header.Revision < NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2) {
        sim_violation(site,
                      "NdisMRegisterMiniportDriver: NDIS 6.%u characteristics need "
                      "revision 2",
                      minor);
    }
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    if (chars->MajorNdisVersion != 6 || (minor != 0 && minor != 1 && minor != 20 && minor != 30) ||
        (sim_ndis_version >> 16) != 6 || minor > running_minor) {
        status = NDIS_STATUS_BAD_VERSION;
    } else if (!chars->InitializeHandlerEx || !chars->HaltHandlerEx || !chars->UnloadHandler ||
               !chars->PauseHandler || !chars->RestartHandler || !chars->OidRequestHandler ||
               !chars->SendNetBufferListsHandler || !chars->ReturnNetBufferListsHandler ||
               !chars->CancelSendHandler || !chars->DevicePnPEventNotifyHandler ||
               !chars->ShutdownHandlerEx || !chars->CancelOidRequestHandler) {
        status = NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    sim_event("register status=0x%08lX ndis=%u.%u driver=%u.%u revision=%u flags=0x%lx "
              "direct-oid=%s hang=%s reset=%s",
              (unsigned long)status, chars->MajorNdisVersion, minor, chars->MajorDriverVersion,
              chars->MinorDriverVersion, chars->Header.Revision, (unsigned long)chars->Flags,
              chars->Header.Revision >= 2 && chars->DirectOidRequestHandler ? "yes" : "no",
              chars->CheckForHangHandlerEx ? "yes" : "no", chars->ResetHandlerEx ? "yes" : "no");
    if (status == NDIS_STATUS_SUCCESS && sim_inject_failure("NdisMRegisterMiniportDriver")) {
        status = NDIS_STATUS_RESOURCES;
    }
    if (status != NDIS_STATUS_SUCCESS) {
        *NdisMiniportDriverHandle = NULL;
        return status;
    }
    memset(&driver.chars, 0, sizeof(driver.chars));
    memcpy(&driver.chars, chars, need);
    driver.context = MiniportDriverContext;
    driver.handle = sim_alloc(SIM_OBJECT, 64, 0, SIM_OWNER_NONE, site, 1, "NDIS driver handle");
    driver.registered = 1;
    *NdisMiniportDriverHandle = driver.handle->ptr;
    return NDIS_STATUS_SUCCESS;
}
SIM_EXPORT(NdisMRegisterMiniportDriver);

static VOID NTAPI sim_NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisMDeregisterMiniportDriver", PASSIVE_LEVEL);
    if (!sim_ndis_driver_handle(NdisMiniportDriverHandle)) {
        sim_violation(site, "NdisMDeregisterMiniportDriver(%p): not the registered driver handle",
                      NdisMiniportDriverHandle);
    }
    if (adapter.state != AD_NONE) {
        sim_violation(site, "NdisMDeregisterMiniportDriver with an adapter not halted");
    }
    /* Configuration handles opened with the driver handle are valid until here. */
    if (sim_report_leaks_of(SIM_CONFIG, SIM_OWNER_DRIVER, "NdisMDeregisterMiniportDriver")) {
        sim_fail_pending();
    }
    driver.registered = 0;
    sim_release(driver.handle, site);
    sim_event("deregister");
}
SIM_EXPORT(NdisMDeregisterMiniportDriver);

NTSTATUS sim_ndis_load(void)
{
    sim_frame frame;
    char path[256];
    if (driver.loaded) {
        sim_script_error("the driver is already loaded");
    }
    driver.object = sim_alloc(SIM_OBJECT, sizeof(DRIVER_OBJECT) + sizeof(DRIVER_EXTENSION), 0,
                              SIM_OWNER_NONE, NULL, 1, "driver object");
    PDRIVER_OBJECT obj = driver.object->ptr;
    obj->Type = IO_TYPE_DRIVER;
    obj->Size = sizeof(DRIVER_OBJECT);
    obj->DriverExtension = (PDRIVER_EXTENSION)(obj + 1);
    obj->DriverExtension->DriverObject = obj;

    host_format(path, sizeof(path), "%s", sim_service_path);
    size_t n = strlen(path);
    driver.path = sim_alloc(SIM_OBJECT, sizeof(UNICODE_STRING) + (n + 1) * sizeof(WCHAR), 0,
                            SIM_OWNER_NONE, NULL, 1, "RegistryPath");
    PUNICODE_STRING us = driver.path->ptr;
    us->Buffer = (PWSTR)(us + 1);
    for (size_t i = 0; i <= n; i++) {
        us->Buffer[i] = (WCHAR)(unsigned char)path[i];
    }
    us->Length = (USHORT)(n * sizeof(WCHAR));
    us->MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));

    sim_enter(&frame, "DriverEntry", PASSIVE_LEVEL);
    frame.routine = (const void *)GsDriverEntry;
    NTSTATUS status = GsDriverEntry(obj, us);
    sim_leave(&frame);
    sim_event("load status=0x%08lX", (unsigned long)status);
    if (!NT_SUCCESS(status)) {
        if (driver.registered) {
            sim_violation(NULL, "DriverEntry failed (0x%08lX) but left the miniport registered",
                          (unsigned long)status);
        }
        if (sim_report_leaks(SIM_OWNER_DRIVER, "failed DriverEntry") > 0) {
            sim_fail_pending();
        }
        return status;
    }
    if (!driver.registered) {
        sim_violation(NULL, "DriverEntry succeeded without registering the miniport driver");
    }
    driver.loaded = 1;
    return status;
}

void sim_ndis_unload(void)
{
    sim_frame frame;
    if (!driver.loaded) {
        sim_script_error("the driver is not loaded");
    }
    if (sim_io_open_handles() > 0) {
        sim_script_error("unload with handles open: Windows unloads a driver only once its "
                         "device objects are gone; close them first");
    }
    if (adapter.state != AD_NONE) {
        sim_event("unload halts the adapter first");
        sim_ndis_halt();
    }
    sim_enter(&frame, "MiniportDriverUnload", PASSIVE_LEVEL);
    frame.routine = (const void *)driver.chars.UnloadHandler;
    driver.chars.UnloadHandler(driver.object->ptr);
    sim_leave(&frame);
    if (driver.registered) {
        sim_violation(NULL, "MiniportDriverUnload returned without NdisMDeregisterMiniportDriver");
    }
    sim_io_check_unload();
    sim_report_leaks(SIM_OWNER_DRIVER, "unload");
    sim_report_leaks(SIM_OWNER_ADAPTER, "unload");
    sim_fail_pending();
    driver.loaded = 0;
    sim_release(driver.object, NULL);
    sim_release(driver.path, NULL);
    sim_event("unload done");
}

/* ---- Adapter lifetime ---------------------------------------------------------------------- */

static void adapter_gone(void)
{
    sim_release(adapter.handle, NULL);
    sim_release(adapter.params, NULL);
    memset(&adapter, 0, sizeof(adapter));
}

/* What TCP/IP does once bound: the packet filter (directed, multicast, broadcast). */
void sim_ndis_bind(void)
{
    ULONG filter =
        NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
    sim_ndis_oid(NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER,
                 (const unsigned char *)&filter, sizeof(filter), 0, 0);
}

void sim_ndis_initialize(int restart)
{
    sim_frame frame;
    if (!driver.loaded) {
        sim_script_error("load the driver first");
    }
    if (adapter.state != AD_NONE) {
        sim_script_error("the adapter exists (one adapter is simulated)");
    }
    memset(&adapter, 0, sizeof(adapter));
    adapter.handle =
        sim_alloc(SIM_OBJECT, 64, 0, SIM_OWNER_NONE, NULL, 1, "NDIS miniport adapter handle");
    adapter.params = sim_alloc(SIM_OBJECT, sizeof(NDIS_MINIPORT_INIT_PARAMETERS), 0, SIM_OWNER_NONE,
                               NULL, 1, "init parameters");
    PNDIS_MINIPORT_INIT_PARAMETERS p = adapter.params->ptr;
    p->Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS;
    p->Header.Revision = NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1;
    p->Header.Size = sizeof(NDIS_MINIPORT_INIT_PARAMETERS);
    p->IfIndex = 17;
    p->NetLuid.Info.IfType = 53; /* IF_TYPE_PROP_VIRTUAL */
    p->NetLuid.Info.NetLuidIndex = 1;
    adapter.state = AD_INITIALIZING;

    sim_enter(&frame, "MiniportInitializeEx", PASSIVE_LEVEL);
    frame.routine = (const void *)driver.chars.InitializeHandlerEx;
    NDIS_STATUS status = driver.chars.InitializeHandlerEx(adapter.handle->ptr, driver.context, p);
    sim_leave(&frame);
    sim_event("init status=0x%08lX", (unsigned long)status);
    if (status == NDIS_STATUS_PENDING) {
        sim_violation(NULL, "MiniportInitializeEx returned NDIS_STATUS_PENDING; it completes "
                            "synchronously");
    }
    if (status != NDIS_STATUS_SUCCESS) {
        size_t leaks = sim_report_leaks(SIM_OWNER_ADAPTER, "failed MiniportInitializeEx");
        if (leaks == 0 && sim_nbl_held() > 0) {
            sim_problem(NULL, "failed MiniportInitializeEx left indicated receives");
        }
        sim_fail_pending();
        adapter_gone();
        return;
    }
    if (!adapter.registration_set || !adapter.general_set) {
        sim_violation(NULL, "MiniportInitializeEx succeeded without setting the %s attributes",
                      adapter.registration_set ? "general" : "registration");
    }
    adapter.state = AD_PAUSED;
    if (restart) {
        sim_ndis_restart();
    }
}

/* Runs the system until `done` is set (a pended pause or restart). */
static void run_until(int *done, const char *what)
{
    while (!*done) {
        if (sim_run_deferred() == 0) {
            sim_violation(NULL, "%s returned NDIS_STATUS_PENDING and never completed", what);
        }
    }
}

static void check_quiet(const char *when)
{
    if (sim_nbl_sends_outstanding() > 0) {
        sim_violation(NULL, "%s completed with %zu sent NET_BUFFER_LISTs not completed", when,
                      sim_nbl_sends_outstanding());
    }
    if (sim_nbl_held() > 0) {
        sim_violation(NULL, "%s completed with %zu indicated NET_BUFFER_LISTs not yet returned",
                      when, sim_nbl_held());
    }
}

void sim_ndis_pause(void)
{
    sim_frame frame;
    NDIS_MINIPORT_PAUSE_PARAMETERS params;
    if (adapter.state != AD_RUNNING) {
        sim_script_error("pause: the adapter is %s", state_name(adapter.state));
    }
    memset(&params, 0, sizeof(params));
    params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    params.Header.Revision = NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1;
    params.Header.Size = sizeof(params);
    params.PauseReason = NDIS_PAUSE_NDIS_INTERNAL;
    adapter.state = AD_PAUSING;
    adapter.pause_done = 0;
    sim_enter(&frame, "MiniportPause", PASSIVE_LEVEL);
    frame.routine = (const void *)driver.chars.PauseHandler;
    NDIS_STATUS status = driver.chars.PauseHandler(adapter.context, &params);
    sim_leave(&frame);
    sim_event("pause status=0x%08lX", (unsigned long)status);
    if (status == NDIS_STATUS_PENDING) {
        run_until(&adapter.pause_done, "MiniportPause");
    } else if (status != NDIS_STATUS_SUCCESS) {
        sim_violation(NULL, "MiniportPause returned 0x%08lX; it must succeed or pend",
                      (unsigned long)status);
    }
    check_quiet("pause");
    adapter.state = AD_PAUSED;
}

static VOID NTAPI sim_NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisMPauseComplete", DISPATCH_LEVEL);
    require_adapter_handle(site, MiniportAdapterHandle, "NdisMPauseComplete");
    if (adapter.state != AD_PAUSING || adapter.pause_done) {
        sim_violation(site, "NdisMPauseComplete without a pended pause (adapter %s)",
                      state_name(adapter.state));
    }
    adapter.pause_done = 1;
    sim_event("pause-complete");
}
SIM_EXPORT(NdisMPauseComplete);

void sim_ndis_restart(void)
{
    sim_frame frame;
    NDIS_MINIPORT_RESTART_PARAMETERS params;
    if (adapter.state != AD_PAUSED) {
        sim_script_error("restart: the adapter is %s", state_name(adapter.state));
    }
    memset(&params, 0, sizeof(params));
    params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    params.Header.Revision = NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1;
    params.Header.Size = sizeof(params);
    adapter.state = AD_RESTARTING;
    adapter.restart_done = 0;
    sim_enter(&frame, "MiniportRestart", PASSIVE_LEVEL);
    frame.routine = (const void *)driver.chars.RestartHandler;
    NDIS_STATUS status = driver.chars.RestartHandler(adapter.context, &params);
    sim_leave(&frame);
    if (status == NDIS_STATUS_PENDING) {
        run_until(&adapter.restart_done, "MiniportRestart");
        status = adapter.restart_status;
    }
    sim_event("restart status=0x%08lX", (unsigned long)status);
    adapter.state = status == NDIS_STATUS_SUCCESS ? AD_RUNNING : AD_PAUSED;
}

static VOID NTAPI sim_NdisMRestartComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisMRestartComplete", DISPATCH_LEVEL);
    require_adapter_handle(site, MiniportAdapterHandle, "NdisMRestartComplete");
    if (adapter.state != AD_RESTARTING || adapter.restart_done) {
        sim_violation(site, "NdisMRestartComplete without a pended restart");
    }
    adapter.restart_done = 1;
    adapter.restart_status = Status;
}
SIM_EXPORT(NdisMRestartComplete);

static VOID NTAPI sim_NdisMResetComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status,
                                         BOOLEAN AddressingReset)
{
    const void *site = SIM_SITE();
    require_adapter_handle(site, MiniportAdapterHandle, "NdisMResetComplete");
    sim_event("reset-complete status=0x%08lX addressing=%d", (unsigned long)Status,
              (int)AddressingReset);
}
SIM_EXPORT(NdisMResetComplete);

void sim_ndis_halt(void)
{
    sim_frame frame;
    if (adapter.state == AD_NONE) {
        sim_script_error("halt: no adapter");
    }
    if (adapter.state == AD_RUNNING) {
        sim_ndis_pause(); /* NDIS pauses a running adapter before halting it */
    }
    if (adapter.oid_block != NULL) {
        sim_violation(NULL, "halt: an OID request is still pending in the miniport");
    }
    adapter.state = AD_HALTING;
    sim_enter(&frame, "MiniportHaltEx", PASSIVE_LEVEL);
    frame.routine = (const void *)driver.chars.HaltHandlerEx;
    driver.chars.HaltHandlerEx(adapter.context, NdisHaltDeviceDisabled);
    sim_leave(&frame);
    sim_event("halt done");
    check_quiet("halt");
    size_t pending = sim_io_pending_irps();
    if (pending > 0) {
        sim_io_report();
        sim_problem(NULL, "MiniportHaltEx left %zu IRP(s) pending", pending);
    }
    sim_report_leaks(SIM_OWNER_ADAPTER, "halt");
    sim_fail_pending();
    adapter_gone();
}

void sim_ndis_pnp(NDIS_DEVICE_PNP_EVENT event)
{
    sim_frame frame;
    NET_DEVICE_PNP_EVENT ev;
    if (adapter.state == AD_NONE || adapter.state == AD_INITIALIZING) {
        sim_script_error("pnp: no initialized adapter");
    }
    memset(&ev, 0, sizeof(ev));
    ev.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    ev.Header.Revision = 1; /* NET_DEVICE_PNP_EVENT_REVISION_1 */
    ev.Header.Size = sizeof(ev);
    ev.DevicePnPEvent = event;
    sim_enter(&frame, "MiniportDevicePnPEventNotify", PASSIVE_LEVEL);
    frame.routine = (const void *)driver.chars.DevicePnPEventNotifyHandler;
    driver.chars.DevicePnPEventNotifyHandler(adapter.context, &ev);
    sim_leave(&frame);
    sim_event("pnp done event=%d", (int)event);
}

void sim_ndis_shutdown(void)
{
    sim_frame frame;
    if (adapter.state == AD_NONE || adapter.state == AD_INITIALIZING) {
        sim_script_error("shutdown: no initialized adapter");
    }
    sim_enter(&frame, "MiniportShutdownEx", PASSIVE_LEVEL);
    frame.routine = (const void *)driver.chars.ShutdownHandlerEx;
    driver.chars.ShutdownHandlerEx(adapter.context, NdisShutdownPowerOff);
    sim_leave(&frame);
    sim_event("shutdown done");
}

void sim_ndis_hang_check(void)
{
    sim_frame frame;
    if (adapter.state != AD_RUNNING && adapter.state != AD_PAUSED) {
        sim_script_error("hang-check: the adapter is %s", state_name(adapter.state));
    }
    if (driver.chars.CheckForHangHandlerEx == NULL) {
        sim_event("hang-check none");
        return;
    }
    sim_enter(&frame, "MiniportCheckForHangEx", PASSIVE_LEVEL);
    frame.routine = (const void *)driver.chars.CheckForHangHandlerEx;
    BOOLEAN hung = driver.chars.CheckForHangHandlerEx(adapter.context);
    sim_leave(&frame);
    sim_event("hang-check hung=%d", (int)hung);
}

void sim_ndis_reset(void)
{
    sim_frame frame;
    BOOLEAN addressing = FALSE;
    if (adapter.state != AD_RUNNING && adapter.state != AD_PAUSED) {
        sim_script_error("reset: the adapter is %s", state_name(adapter.state));
    }
    if (driver.chars.ResetHandlerEx == NULL) {
        sim_event("reset none");
        return;
    }
    sim_enter(&frame, "MiniportResetEx", DISPATCH_LEVEL);
    frame.routine = (const void *)driver.chars.ResetHandlerEx;
    NDIS_STATUS status = driver.chars.ResetHandlerEx(adapter.context, &addressing);
    sim_leave(&frame);
    sim_event("reset status=0x%08lX addressing=%d", (unsigned long)status, (int)addressing);
}

void sim_ndis_state(void)
{
    sim_event("state adapter %s sends-outstanding=%zu receives-held=%zu", state_name(adapter.state),
              sim_nbl_sends_outstanding(), sim_nbl_held());
    sim_io_report();
}

/* ---- Attributes
 * ---------------------------------------------------------------------------------- */

static void mac_text(const UCHAR *mac, USHORT len, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (USHORT i = 0; i < len && n + 4 < cap; i++) {
        n += host_format(out + n, cap - n, i ? ":%02x" : "%02x", mac[i]);
    }
}

static NDIS_STATUS NTAPI sim_NdisMSetMiniportAttributes(
    NDIS_HANDLE NdisMiniportHandle, PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisMSetMiniportAttributes", PASSIVE_LEVEL);
    require_adapter_handle(site, NdisMiniportHandle, "NdisMSetMiniportAttributes");
    if (adapter.state != AD_INITIALIZING) {
        sim_violation(site, "NdisMSetMiniportAttributes outside MiniportInitializeEx");
    }
    const NDIS_OBJECT_HEADER *h = &MiniportAttributes->RegistrationAttributes.Header;
    if (h->Type == NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES) {
        const NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES *r =
            &MiniportAttributes->RegistrationAttributes;
        check_header(site, h, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
                     NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
                     NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
                     "registration attributes");
        if (adapter.registration_set) {
            sim_violation(site, "registration attributes set twice");
        }
        if (r->MiniportAdapterContext == NULL) {
            sim_violation(site, "registration attributes without a MiniportAdapterContext");
        }
        adapter.context = r->MiniportAdapterContext;
        adapter.registration_set = 1;
        sim_event("attributes registration revision=%u flags=0x%lx hang-seconds=%u "
                  "interface=%d",
                  h->Revision, (unsigned long)r->AttributeFlags, r->CheckForHangTimeInSeconds,
                  (int)r->InterfaceType);
        return NDIS_STATUS_SUCCESS;
    }
    if (h->Type == NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES) {
        const NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *g = &MiniportAttributes->GeneralAttributes;
        char perm[64], cur[64], oids[1024];
        check_header(site, h, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
                     NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1,
                     NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1,
                     "general attributes");
        if (!adapter.registration_set) {
            sim_violation(site, "general attributes set before the registration attributes");
        }
        if (adapter.general_set) {
            sim_violation(site, "general attributes set twice");
        }
        if (h->Revision >= NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 &&
            h->Size < NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2) {
            sim_violation(site, "general attributes revision 2 with size %u", h->Size);
        }
        if (g->MacAddressLength > NDIS_MAX_PHYS_ADDRESS_LENGTH) {
            sim_violation(site, "general attributes: MacAddressLength %u", g->MacAddressLength);
        }
        if (g->SupportedOidListLength % sizeof(NDIS_OID) != 0 ||
            (g->SupportedOidListLength != 0 &&
             (g->SupportedOidList == NULL || sim_block_holding(g->SupportedOidList) == NULL
                  ? 0
                  : sim_live_range(g->SupportedOidList, g->SupportedOidListLength) == NULL))) {
            sim_violation(site,
                          "general attributes: SupportedOidList %p / %lu bytes is not "
                          "readable",
                          (void *)g->SupportedOidList, (unsigned long)g->SupportedOidListLength);
        }
        size_t n = 0;
        oids[0] = '\0';
        for (ULONG i = 0; g->SupportedOidList && i < g->SupportedOidListLength / sizeof(NDIS_OID);
             i++) {
            n += host_format(oids + n, sizeof(oids) - n, i ? ",%08lx" : "%08lx",
                             (unsigned long)g->SupportedOidList[i]);
        }
        mac_text(g->PermanentMacAddress, g->MacAddressLength, perm, sizeof(perm));
        mac_text(g->CurrentMacAddress, g->MacAddressLength, cur, sizeof(cur));
        adapter.general_set = 1;
        sim_event("attributes general revision=%u flags=0x%lx media=%d physical=%d mtu=%lu "
                  "xmit=%llu rcv=%llu connect=%d duplex=%d lookahead=%lu mac-options=0x%lx "
                  "filters=0x%lx multicast=%lu permanent=%s current=%s access=%d direction=%d "
                  "connection=%d iftype=%d connector=%d statistics=0x%lx pause=%lu "
                  "pm=%s pm-ex=%s rss=%s oids=%s",
                  h->Revision, (unsigned long)g->Flags, (int)g->MediaType,
                  (int)g->PhysicalMediumType, (unsigned long)g->MtuSize,
                  (unsigned long long)g->MaxXmitLinkSpeed, (unsigned long long)g->MaxRcvLinkSpeed,
                  (int)g->MediaConnectState, (int)g->MediaDuplexState,
                  (unsigned long)g->LookaheadSize, (unsigned long)g->MacOptions,
                  (unsigned long)g->SupportedPacketFilters, (unsigned long)g->MaxMulticastListSize,
                  perm, cur, (int)g->AccessType, (int)g->DirectionType, (int)g->ConnectionType,
                  (int)g->IfType, (int)g->IfConnectorPresent, (unsigned long)g->SupportedStatistics,
                  (unsigned long)g->SupportedPauseFunctions,
                  g->PowerManagementCapabilities ? "yes" : "no",
                  h->Revision >= 2 && g->PowerManagementCapabilitiesEx ? "yes" : "no",
                  g->RecvScaleCapabilities ? "yes" : "no", oids);
        return NDIS_STATUS_SUCCESS;
    }
    sim_violation(site, "NdisMSetMiniportAttributes: attributes of type 0x%02X are not simulated",
                  h->Type);
}
SIM_EXPORT(NdisMSetMiniportAttributes);

/* ---- Configuration ------------------------------------------------------------------------- */

typedef struct sim_config {
    sim_store store;
    sim_owner owner;
    sim_block *values[64]; /* what NdisReadConfiguration handed out */
    size_t count;
} sim_config;

static sim_config *config_of(const void *site, NDIS_HANDLE handle, const char *fn)
{
    char where[300];
    sim_block *b = sim_block_at(handle);
    if (b == NULL || b->kind != SIM_CONFIG || b->extra == NULL) {
        sim_violation(site, "%s(%p): not a configuration handle", fn, handle);
    }
    if (!b->live) {
        sim_violation(site, "%s(%p): the configuration handle was closed at %s", fn, handle,
                      sim_where(b->free_site, where, sizeof(where)));
    }
    return b->extra;
}

static NDIS_STATUS NTAPI sim_NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject,
                                                     PNDIS_HANDLE ConfigurationHandle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisOpenConfigurationEx", PASSIVE_LEVEL);
    check_header(site, &ConfigObject->Header, NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
                 NDIS_CONFIGURATION_OBJECT_REVISION_1, NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
                 "NDIS_CONFIGURATION_OBJECT");
    sim_owner owner = sim_ndis_owner_of(ConfigObject->NdisHandle, site, "NdisOpenConfigurationEx");
    if (ConfigObject->Flags != 0) {
        sim_violation(site, "NdisOpenConfigurationEx: Flags 0x%lx (filter instances only)",
                      (unsigned long)ConfigObject->Flags);
    }
    if (sim_inject_failure("NdisOpenConfigurationEx")) {
        return NDIS_STATUS_RESOURCES;
    }
    sim_block *b = sim_alloc(SIM_CONFIG, 64, 0, owner, site, 1, "configuration handle");
    sim_config *c = host_malloc(sizeof(*c));
    c->store = owner == SIM_OWNER_ADAPTER ? SIM_STORE_ADAPTER : SIM_STORE_PARAMETERS;
    c->owner = owner;
    b->extra = c;
    *ConfigurationHandle = b->ptr;
    return NDIS_STATUS_SUCCESS;
}
SIM_EXPORT(NdisOpenConfigurationEx);

static VOID NTAPI sim_NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisCloseConfiguration", PASSIVE_LEVEL);
    sim_config *c = config_of(site, ConfigurationHandle, "NdisCloseConfiguration");
    for (size_t i = 0; i < c->count; i++) {
        sim_release(c->values[i], site);
    }
    c->count = 0;
    sim_release(sim_block_at(ConfigurationHandle), site);
}
SIM_EXPORT(NdisCloseConfiguration);

static sim_block *config_value(const void *site, sim_config *c, size_t size, const char *what)
{
    if (c->count == sizeof(c->values) / sizeof(c->values[0])) {
        sim_violation(site, "more than %zu values read through one configuration handle", c->count);
    }
    sim_block *b = sim_alloc(SIM_OBJECT, size, 0, SIM_OWNER_NONE, site, 1, what);
    c->values[c->count++] = b;
    return b;
}

/* A registry string (UTF-16 with NUL) parsed as an integer in base 10 or 16. */
static int parse_integer(const sim_value *v, int base, ULONG *out)
{
    ULONG value = 0;
    size_t chars = v->len / 2, i = 0;
    const WCHAR *s = (const WCHAR *)v->data;
    while (i < chars && s[i] == ' ') {
        i++;
    }
    if (base == 16 && i + 1 < chars && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        i += 2;
    }
    size_t digits = 0;
    for (; i < chars && s[i] != 0; i++, digits++) {
        WCHAR c = s[i];
        int d = c >= '0' && c <= '9'                 ? c - '0'
                : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                     : -1;
        if (d < 0) {
            return 0;
        }
        value = value * (ULONG)base + (ULONG)d;
    }
    *out = value;
    return digits > 0;
}

static VOID NTAPI sim_NdisReadConfiguration(PNDIS_STATUS Status,
                                            PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                                            NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
                                            NDIS_PARAMETER_TYPE ParameterType)
{
    const void *site = SIM_SITE();
    char name[80];
    sim_irql_at_most(site, "NdisReadConfiguration", PASSIVE_LEVEL);
    sim_config *c = config_of(site, ConfigurationHandle, "NdisReadConfiguration");
    sim_unicode_to_ascii(Keyword, name, sizeof(name));
    const sim_value *v = sim_reg_find(c->store, Keyword->Buffer, Keyword->Length / sizeof(WCHAR));
    *ParameterValue = NULL;
    *Status = NDIS_STATUS_FAILURE;
    if (v == NULL) {
        sim_event("config read %s missing", name);
        return;
    }
    sim_block *b = config_value(site, c, sizeof(NDIS_CONFIGURATION_PARAMETER) + v->len + 2,
                                "configuration value");
    PNDIS_CONFIGURATION_PARAMETER p = b->ptr;
    unsigned char *data = (unsigned char *)(p + 1);
    memcpy(data, v->data, v->len);
    if (v->type == REG_DWORD) {
        p->ParameterType = NdisParameterInteger;
        memcpy(&p->ParameterData.IntegerData, v->data, sizeof(ULONG));
    } else if (v->type == REG_SZ && (ParameterType == NdisParameterInteger ||
                                     ParameterType == NdisParameterHexInteger)) {
        ULONG value;
        if (!parse_integer(v, ParameterType == NdisParameterHexInteger ? 16 : 10, &value)) {
            sim_event("config read %s unparsable", name);
            return;
        }
        p->ParameterType = ParameterType;
        p->ParameterData.IntegerData = value;
    } else if (v->type == REG_SZ || v->type == REG_MULTI_SZ) {
        p->ParameterType = v->type == REG_SZ ? NdisParameterString : NdisParameterMultiString;
        p->ParameterData.StringData.Buffer = (PWSTR)data;
        p->ParameterData.StringData.Length = (USHORT)(v->len >= 2 ? v->len - 2 : 0);
        p->ParameterData.StringData.MaximumLength = (USHORT)v->len;
    } else {
        p->ParameterType = NdisParameterBinary;
        p->ParameterData.BinaryData.Buffer = data;
        p->ParameterData.BinaryData.Length = (USHORT)v->len;
    }
    sim_event("config read %s type=%d", name, (int)p->ParameterType);
    *ParameterValue = p;
    *Status = NDIS_STATUS_SUCCESS;
}
SIM_EXPORT(NdisReadConfiguration);

static VOID NTAPI sim_NdisReadNetworkAddress(PNDIS_STATUS Status, PVOID *NetworkAddress,
                                             PUINT NetworkAddressLength,
                                             NDIS_HANDLE ConfigurationHandle)
{
    const void *site = SIM_SITE();
    unsigned char bytes[32];
    char text[80];
    sim_irql_at_most(site, "NdisReadNetworkAddress", PASSIVE_LEVEL);
    sim_config *c = config_of(site, ConfigurationHandle, "NdisReadNetworkAddress");
    if (c->owner != SIM_OWNER_ADAPTER) {
        sim_violation(site, "NdisReadNetworkAddress needs an adapter's configuration handle");
    }
    *Status = NDIS_STATUS_FAILURE;
    *NetworkAddress = NULL;
    *NetworkAddressLength = 0;
    const sim_value *v = sim_reg_find_ascii(c->store, "NetworkAddress");
    if (v == NULL || v->type != REG_SZ) {
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i + 1 < v->len && n + 1 < sizeof(text); i += 2) {
        if (v->data[i] == 0) {
            break;
        }
        text[n++] = (char)v->data[i];
    }
    text[n] = '\0';
    long len = sim_parse_hex(text, bytes, sizeof(bytes));
    if (len <= 0) {
        return;
    }
    sim_block *b = config_value(site, c, (size_t)len, "network address");
    memcpy(b->ptr, bytes, (size_t)len);
    *NetworkAddress = b->ptr;
    *NetworkAddressLength = (UINT)len;
    *Status = NDIS_STATUS_SUCCESS;
}
SIM_EXPORT(NdisReadNetworkAddress);

/* ---- Memory charged to NDIS handles ------------------------------------------------------------
 */

#define NDIS_MEMORY_MARK ((void *)(ULONG_PTR)2)

static PVOID NTAPI sim_NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length,
                                                         ULONG Tag, EX_POOL_PRIORITY Priority)
{
    const void *site = SIM_SITE();
    (void)Priority;
    sim_irql_at_most(site, "NdisAllocateMemoryWithTagPriority", DISPATCH_LEVEL);
    sim_owner owner = sim_ndis_owner_of(NdisHandle, site, "NdisAllocateMemoryWithTagPriority");
    if (Length == 0 || sim_inject_failure("NdisAllocateMemoryWithTagPriority")) {
        return NULL;
    }
    sim_block *b = sim_alloc(SIM_MEMORY, Length, Tag, owner, site, 0, "NDIS memory");
    b->extra = NDIS_MEMORY_MARK;
    return b->ptr;
}
SIM_EXPORT(NdisAllocateMemoryWithTagPriority);

static sim_block *ndis_memory(const void *site, PVOID va, const char *fn)
{
    char where[300];
    sim_block *b = sim_block_at(va);
    if (b == NULL || b->kind != SIM_MEMORY || b->extra != NDIS_MEMORY_MARK) {
        sim_violation(site, "%s(%p): not memory from NdisAllocateMemoryWithTagPriority", fn, va);
    }
    if (!b->live) {
        sim_violation(site, "%s(%p): freed twice; first at %s (script line %d)", fn, va,
                      sim_where(b->free_site, where, sizeof(where)), b->free_line);
    }
    sim_nbl_check_free(b, site, fn);
    return b;
}

static VOID NTAPI sim_NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle, PVOID VirtualAddress,
                                                    ULONG Tag)
{
    const void *site = SIM_SITE();
    char a[8], t[8];
    sim_irql_at_most(site, "NdisFreeMemoryWithTagPriority", DISPATCH_LEVEL);
    sim_block *b = ndis_memory(site, VirtualAddress, "NdisFreeMemoryWithTagPriority");
    sim_owner owner = sim_ndis_owner_of(NdisHandle, site, "NdisFreeMemoryWithTagPriority");
    if (owner != b->owner) {
        sim_violation(site, "NdisFreeMemoryWithTagPriority: freed with another handle than it "
                            "was allocated with");
    }
    if (Tag != b->tag) {
        sim_violation(site, "NdisFreeMemoryWithTagPriority: tag '%s'; allocated with '%s'",
                      sim_tag_text(Tag, a), sim_tag_text(b->tag, t));
    }
    sim_release(b, site);
}
SIM_EXPORT(NdisFreeMemoryWithTagPriority);

static VOID NTAPI sim_NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisFreeMemory", DISPATCH_LEVEL);
    sim_block *b = ndis_memory(site, VirtualAddress, "NdisFreeMemory");
    if (MemoryFlags != 0) {
        sim_violation(site,
                      "NdisFreeMemory: MemoryFlags 0x%x for memory from "
                      "NdisAllocateMemoryWithTagPriority (must be 0)",
                      MemoryFlags);
    }
    if (Length != b->size && Length != 0) {
        sim_violation(site, "NdisFreeMemory: Length %u; the block has %zu bytes", Length, b->size);
    }
    sim_release(b, site);
}
SIM_EXPORT(NdisFreeMemory);

/* ---- Read/write locks --------------------------------------------------------------------------
 */

typedef struct sim_rwlock {
    int readers;
    int writer;
} sim_rwlock;

static PNDIS_RW_LOCK_EX NTAPI sim_NdisAllocateRWLock(NDIS_HANDLE NdisHandle)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisAllocateRWLock", DISPATCH_LEVEL);
    sim_owner owner = sim_ndis_owner_of(NdisHandle, site, "NdisAllocateRWLock");
    if (sim_inject_failure("NdisAllocateRWLock")) {
        return NULL;
    }
    sim_block *b = sim_alloc(SIM_RWLOCK, 64, 0, owner, site, 1, "NDIS_RW_LOCK_EX");
    b->extra = host_malloc(sizeof(sim_rwlock));
    return b->ptr;
}
SIM_EXPORT(NdisAllocateRWLock);

static sim_rwlock *rwlock_of(const void *site, PNDIS_RW_LOCK_EX lock, const char *fn)
{
    sim_block *b = sim_block_at(lock);
    if (b == NULL || b->kind != SIM_RWLOCK || !b->live) {
        sim_violation(site, "%s(%p): not a live lock from NdisAllocateRWLock", fn, (void *)lock);
    }
    return b->extra;
}

static VOID NTAPI sim_NdisFreeRWLock(PNDIS_RW_LOCK_EX Lock)
{
    const void *site = SIM_SITE();
    sim_rwlock *l = rwlock_of(site, Lock, "NdisFreeRWLock");
    if (l->readers || l->writer) {
        sim_violation(site, "NdisFreeRWLock: the lock is held");
    }
    sim_release(sim_block_at(Lock), site);
}
SIM_EXPORT(NdisFreeRWLock);

static void rw_acquire(const void *site, PNDIS_RW_LOCK_EX lock, PLOCK_STATE_EX state, UCHAR flags,
                       int write)
{
    const char *fn = write ? "NdisAcquireRWLockWrite" : "NdisAcquireRWLockRead";
    sim_rwlock *l = rwlock_of(site, lock, fn);
    if (flags & NDIS_RWL_AT_DISPATCH_LEVEL) {
        if (sim_irql != DISPATCH_LEVEL) {
            sim_violation(site, "%s with NDIS_RWL_AT_DISPATCH_LEVEL at IRQL %u", fn,
                          (unsigned)sim_irql);
        }
    } else {
        sim_irql_at_most(site, fn, DISPATCH_LEVEL);
    }
    sim_lock_acquired(lock, write ? SIM_LOCK_RW_WRITE : SIM_LOCK_RW_READ, site);
    if (write) {
        l->writer = 1;
    } else {
        l->readers++;
    }
    state->OldIrql = sim_irql;
    state->LockState = write ? 2 : 1;
    state->Flags = flags;
    sim_irql = DISPATCH_LEVEL;
}

static VOID NTAPI sim_NdisAcquireRWLockRead(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState,
                                            UCHAR Flags)
{
    rw_acquire(SIM_SITE(), Lock, LockState, Flags, 0);
}
SIM_EXPORT(NdisAcquireRWLockRead);

static VOID NTAPI sim_NdisAcquireRWLockWrite(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState,
                                             UCHAR Flags)
{
    rw_acquire(SIM_SITE(), Lock, LockState, Flags, 1);
}
SIM_EXPORT(NdisAcquireRWLockWrite);

static VOID NTAPI sim_NdisReleaseRWLock(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState)
{
    const void *site = SIM_SITE();
    sim_rwlock *l = rwlock_of(site, Lock, "NdisReleaseRWLock");
    int write = LockState->LockState == 2;
    if (LockState->LockState != 1 && LockState->LockState != 2) {
        sim_violation(site, "NdisReleaseRWLock: the LOCK_STATE_EX is not from an acquisition");
    }
    if (sim_irql != DISPATCH_LEVEL) {
        sim_violation(site, "NdisReleaseRWLock at IRQL %u", (unsigned)sim_irql);
    }
    sim_lock_released(Lock, write ? SIM_LOCK_RW_WRITE : SIM_LOCK_RW_READ, site);
    if (write) {
        l->writer = 0;
    } else {
        l->readers--;
    }
    LockState->LockState = 0;
    sim_irql = LockState->OldIrql;
}
SIM_EXPORT(NdisReleaseRWLock);

/* ---- OID requests -----------------------------------------------------------------------------
 */

static void oid_report(PNDIS_OID_REQUEST req, NDIS_STATUS status)
{
    char hex[2 * 1024 + 1] = "";
    const char *type = req->RequestType == NdisRequestQueryInformation ||
                               req->RequestType == NdisRequestQueryStatistics
                           ? "query"
                       : req->RequestType == NdisRequestSetInformation ? "set"
                                                                       : "method";
    UINT written = 0, read = 0, needed = 0, length = 0;
    PVOID buf = NULL;
    if (req->RequestType == NdisRequestSetInformation) {
        read = req->DATA.SET_INFORMATION.BytesRead;
        needed = req->DATA.SET_INFORMATION.BytesNeeded;
        length = req->DATA.SET_INFORMATION.InformationBufferLength;
    } else if (req->RequestType == NdisRequestMethod) {
        written = req->DATA.METHOD_INFORMATION.BytesWritten;
        read = req->DATA.METHOD_INFORMATION.BytesRead;
        needed = req->DATA.METHOD_INFORMATION.BytesNeeded;
        length = req->DATA.METHOD_INFORMATION.OutputBufferLength;
        buf = req->DATA.METHOD_INFORMATION.InformationBuffer;
    } else {
        written = req->DATA.QUERY_INFORMATION.BytesWritten;
        needed = req->DATA.QUERY_INFORMATION.BytesNeeded;
        length = req->DATA.QUERY_INFORMATION.InformationBufferLength;
        buf = req->DATA.QUERY_INFORMATION.InformationBuffer;
    }
    if (written > length) {
        sim_violation(NULL, "OID 0x%08lX: BytesWritten %u exceeds the %u-byte buffer",
                      (unsigned long)req->DATA.QUERY_INFORMATION.Oid, written, length);
    }
    if (read > length) {
        sim_violation(NULL, "OID 0x%08lX: BytesRead %u exceeds the %u-byte buffer",
                      (unsigned long)req->DATA.QUERY_INFORMATION.Oid, read, length);
    }
    if ((status == NDIS_STATUS_INVALID_LENGTH || status == NDIS_STATUS_BUFFER_TOO_SHORT) &&
        needed <= length) {
        sim_violation(NULL,
                      "OID 0x%08lX: status 0x%08lX with BytesNeeded %u for a %u-byte "
                      "buffer (BytesNeeded must say how much is needed)",
                      (unsigned long)req->DATA.QUERY_INFORMATION.Oid, (unsigned long)status, needed,
                      length);
    }
    if (status == NDIS_STATUS_SUCCESS && buf != NULL) {
        sim_hex(buf, written, hex, sizeof(hex));
    }
    sim_event("oid %s 0x%08lX status=0x%08lX written=%u read=%u needed=%u%s%s", type,
              (unsigned long)req->DATA.QUERY_INFORMATION.Oid, (unsigned long)status, written, read,
              needed, hex[0] ? " data=" : "", hex);
}

static void oid_done(void)
{
    sim_release(adapter.oid_block, NULL);
    if (adapter.oid_buffer) {
        sim_release(adapter.oid_buffer, NULL);
    }
    adapter.oid_block = NULL;
    adapter.oid_buffer = NULL;
}

void sim_ndis_oid(NDIS_REQUEST_TYPE type, NDIS_OID oid, const unsigned char *in, ULONG in_len,
                  ULONG out_len, int direct)
{
    sim_frame frame;
    if (adapter.state == AD_NONE || adapter.state == AD_INITIALIZING ||
        adapter.state == AD_HALTING) {
        sim_script_error("oid: no initialized adapter");
    }
    if (adapter.oid_block != NULL) {
        sim_script_error("oid: a request is still pending (NDIS sends one at a time)");
    }
    if (direct && (driver.chars.Header.Revision < 2 || !driver.chars.DirectOidRequestHandler)) {
        sim_script_error("oid: the driver has no direct OID handler");
    }
    ULONG size = in_len > out_len ? in_len : out_len;
    adapter.oid_block = sim_alloc(SIM_OBJECT, sizeof(NDIS_OID_REQUEST), 0, SIM_OWNER_NONE, NULL, 1,
                                  "NDIS_OID_REQUEST");
    adapter.oid_buffer =
        size ? sim_alloc(SIM_OBJECT, size, 0, SIM_OWNER_NONE, NULL, 0, "OID information buffer")
             : NULL;
    adapter.oid_direct = direct;
    PNDIS_OID_REQUEST req = adapter.oid_block->ptr;
    PVOID buf = adapter.oid_buffer ? adapter.oid_buffer->ptr : NULL;
    if (in_len) {
        memcpy(buf, in, in_len);
    }
    req->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    req->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    req->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    req->RequestType = type;
    req->RequestId = (PVOID)(ULONG_PTR)++adapter.oid_serial;
    req->RequestHandle = adapter.handle->ptr;
    req->Timeout = 0;
    if (type == NdisRequestSetInformation) {
        req->DATA.SET_INFORMATION.Oid = oid;
        req->DATA.SET_INFORMATION.InformationBuffer = buf;
        req->DATA.SET_INFORMATION.InformationBufferLength = in_len;
    } else if (type == NdisRequestMethod) {
        req->DATA.METHOD_INFORMATION.Oid = oid;
        req->DATA.METHOD_INFORMATION.InformationBuffer = buf;
        req->DATA.METHOD_INFORMATION.InputBufferLength = in_len;
        req->DATA.METHOD_INFORMATION.OutputBufferLength = out_len;
    } else {
        req->DATA.QUERY_INFORMATION.Oid = oid;
        req->DATA.QUERY_INFORMATION.InformationBuffer = buf;
        req->DATA.QUERY_INFORMATION.InformationBufferLength = out_len;
    }
    /* Direct OID requests come at IRQL <= DISPATCH_LEVEL: the simulation uses the worst. */
    sim_enter(&frame, direct ? "MiniportDirectOidRequest" : "MiniportOidRequest",
              direct ? DISPATCH_LEVEL : PASSIVE_LEVEL);
    frame.routine = direct ? (const void *)driver.chars.DirectOidRequestHandler
                           : (const void *)driver.chars.OidRequestHandler;
    NDIS_STATUS status = direct ? driver.chars.DirectOidRequestHandler(adapter.context, req)
                                : driver.chars.OidRequestHandler(adapter.context, req);
    sim_leave(&frame);
    if (status == NDIS_STATUS_PENDING) {
        if (adapter.oid_block != NULL) {
            sim_event("oid 0x%08lX pending", (unsigned long)oid);
        }
        return;
    }
    if (adapter.oid_block == NULL) {
        sim_violation(NULL,
                      "the OID request was completed with NdisMOidRequestComplete but the "
                      "handler returned 0x%08lX instead of NDIS_STATUS_PENDING",
                      (unsigned long)status);
    }
    oid_report(req, status);
    oid_done();
}

static VOID NTAPI sim_NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle,
                                              PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisMOidRequestComplete", DISPATCH_LEVEL);
    require_adapter_handle(site, MiniportAdapterHandle, "NdisMOidRequestComplete");
    if (adapter.oid_block == NULL || OidRequest != adapter.oid_block->ptr || adapter.oid_direct) {
        sim_violation(site, "NdisMOidRequestComplete(%p): not the outstanding OID request",
                      (void *)OidRequest);
    }
    if (Status == NDIS_STATUS_PENDING) {
        sim_violation(site, "NdisMOidRequestComplete with NDIS_STATUS_PENDING");
    }
    oid_report(OidRequest, Status);
    oid_done();
}
SIM_EXPORT(NdisMOidRequestComplete);

static VOID NTAPI sim_NdisMDirectOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                    PNDIS_OID_REQUEST OidRequest,
                                                    NDIS_STATUS Status)
{
    const void *site = SIM_SITE();
    sim_irql_at_most(site, "NdisMDirectOidRequestComplete", DISPATCH_LEVEL);
    require_adapter_handle(site, MiniportAdapterHandle, "NdisMDirectOidRequestComplete");
    if (adapter.oid_block == NULL || OidRequest != adapter.oid_block->ptr || !adapter.oid_direct) {
        sim_violation(site,
                      "NdisMDirectOidRequestComplete(%p): not the outstanding direct OID "
                      "request",
                      (void *)OidRequest);
    }
    oid_report(OidRequest, Status);
    oid_done();
}
SIM_EXPORT(NdisMDirectOidRequestComplete);

/* ---- Status indications -----------------------------------------------------------------------
 */

static VOID NTAPI sim_NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle,
                                            PNDIS_STATUS_INDICATION StatusIndication)
{
    const void *site = SIM_SITE();
    char hex[512];
    sim_irql_at_most(site, "NdisMIndicateStatusEx", DISPATCH_LEVEL);
    require_adapter_handle(site, MiniportAdapterHandle, "NdisMIndicateStatusEx");
    PNDIS_STATUS_INDICATION s = StatusIndication;
    check_header(site, &s->Header, NDIS_OBJECT_TYPE_STATUS_INDICATION,
                 NDIS_STATUS_INDICATION_REVISION_1, NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
                 "NDIS_STATUS_INDICATION");
    if (s->SourceHandle != MiniportAdapterHandle) {
        sim_violation(site, "NdisMIndicateStatusEx: SourceHandle %p is not the adapter handle",
                      s->SourceHandle);
    }
    if (adapter.state == AD_HALTING) {
        sim_violation(site, "NdisMIndicateStatusEx during MiniportHaltEx");
    }
    if (!adapter.registration_set) {
        sim_violation(site, "NdisMIndicateStatusEx before the registration attributes are set");
    }
    if (s->StatusBufferSize != 0 &&
        (s->StatusBuffer == NULL ||
         (sim_block_holding(s->StatusBuffer) != NULL &&
          sim_live_range(s->StatusBuffer, s->StatusBufferSize) == NULL))) {
        sim_violation(site, "NdisMIndicateStatusEx: status buffer %p / %lu bytes not readable",
                      s->StatusBuffer, (unsigned long)s->StatusBufferSize);
    }
    if (s->StatusCode == NDIS_STATUS_LINK_STATE) {
        const NDIS_LINK_STATE *ls = s->StatusBuffer;
        if (s->StatusBufferSize < sizeof(NDIS_LINK_STATE)) {
            sim_violation(site,
                          "link state indication with a %lu-byte buffer (NDIS_LINK_STATE "
                          "is %zu)",
                          (unsigned long)s->StatusBufferSize, sizeof(NDIS_LINK_STATE));
        }
        check_header(site, &ls->Header, NDIS_OBJECT_TYPE_DEFAULT, NDIS_LINK_STATE_REVISION_1,
                     NDIS_SIZEOF_LINK_STATE_REVISION_1, "NDIS_LINK_STATE");
        sim_event("status link connect=%d duplex=%d xmit=%llu rcv=%llu pause=%d autoneg=0x%lx",
                  (int)ls->MediaConnectState, (int)ls->MediaDuplexState,
                  (unsigned long long)ls->XmitLinkSpeed, (unsigned long long)ls->RcvLinkSpeed,
                  (int)ls->PauseFunctions, (unsigned long)ls->AutoNegotiationFlags);
        return;
    }
    sim_hex(s->StatusBuffer, s->StatusBufferSize, hex, sizeof(hex));
    sim_event("status code=0x%08lX data=%s", (unsigned long)s->StatusCode, hex);
}
SIM_EXPORT(NdisMIndicateStatusEx);

/* ---- Data-path handlers ---------------------------------------------------------------------- */

void sim_ndis_send(PNET_BUFFER_LIST nbls, ULONG flags)
{
    sim_current->routine = (const void *)driver.chars.SendNetBufferListsHandler;
    driver.chars.SendNetBufferListsHandler(adapter.context, nbls, NDIS_DEFAULT_PORT_NUMBER, flags);
}

void sim_ndis_return(PNET_BUFFER_LIST nbls, ULONG flags)
{
    sim_current->routine = (const void *)driver.chars.ReturnNetBufferListsHandler;
    driver.chars.ReturnNetBufferListsHandler(adapter.context, nbls, flags);
}

void sim_ndis_cancel_send(PVOID cancel_id)
{
    sim_current->routine = (const void *)driver.chars.CancelSendHandler;
    driver.chars.CancelSendHandler(adapter.context, cancel_id);
}

/* ---- Deferred work --------------------------------------------------------------------------- */

int sim_ndis_deferred(void)
{
    return sim_nbl_return_held();
}
