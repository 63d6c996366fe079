/*
 * driver.c - DriverEntry: the NDIS version to register, the run-time memory choices, the
 * service key's TapDiag switch, the miniport registration; unload deregisters.
 *
 * NDIS 6.20 is registered on exactly 6.20 (Windows 7), 6.30 on anything newer; below 6.20 the
 * driver does not load. ARM64 Windows starts at NDIS 6.50: there the driver always registers
 * 6.30 and refuses anything older.
 */
#include "tap.h"
#include "tapc_product.h"

#define TAP_NDIS_VERSION(major, minor) (((UINT)(major) << 16) | (UINT)(minor))
#define TAP_NDIS_620                   TAP_NDIS_VERSION(6, 20)
#define TAP_NDIS_630                   TAP_NDIS_VERSION(6, 30) /* Windows 8 */

#if defined(_M_ARM64) || defined(__aarch64__)
#define TAP_NDIS_MINIMUM TAP_NDIS_630
#else
#define TAP_NDIS_MINIMUM TAP_NDIS_620
#endif

DRIVER_INITIALIZE DriverEntry;
static MINIPORT_UNLOAD TapDriverUnload;

NDIS_HANDLE TapDriverHandle;
UINT TapNdisVersion;
UCHAR TapNdisMinor;
ULONG TapMdlNoExecute;
BOOLEAN TapDiagEnabled;

/* NonPagedPoolNx exists from Windows 8 on; Windows 7 knows only executable non-paged pool. */
static POOL_TYPE TapPoolType = NonPagedPoolExecute;

PVOID TapAlloc(SIZE_T Size)
{
    return ExAllocatePoolWithTag(TapPoolType, Size, TAP_POOL_TAG);
}

VOID TapFree(PVOID Memory)
{
    ExFreePoolWithTag(Memory, TAP_POOL_TAG);
}

/* The REG_DWORD TapDiag of the service key; 0 when absent or of another type. PASSIVE_LEVEL. */
static ULONG TapDriverReadTapDiag(PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"TapDiag");
    OBJECT_ATTRIBUTES attributes;
    HANDLE key;
    union {
        KEY_VALUE_PARTIAL_INFORMATION Info;
        UCHAR Bytes[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
    } value;
    ULONG length = 0;
    ULONG result = 0;

    InitializeObjectAttributes(&attributes, RegistryPath, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE,
                               NULL, NULL);
    if (!NT_SUCCESS(ZwOpenKey(&key, KEY_QUERY_VALUE, &attributes))) {
        return 0;
    }
    if (NT_SUCCESS(ZwQueryValueKey(key, &name, KeyValuePartialInformation, &value, sizeof(value),
                                   &length)) &&
        value.Info.Type == REG_DWORD && value.Info.DataLength == sizeof(ULONG)) {
        NdisMoveMemory(&result, value.Info.Data, sizeof(result));
    }
    ZwClose(key);
    return result;
}

/* PASSIVE_LEVEL; NDIS calls it after the last adapter halted. */
static VOID NTAPI TapDriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (TapDriverHandle != NULL) {
        NdisMDeregisterMiniportDriver(TapDriverHandle);
        TapDriverHandle = NULL;
    }
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "tap: driver unloaded\n");
}

/* PASSIVE_LEVEL. */
NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;
    NDIS_STATUS status;

    TapNdisVersion = NdisGetVersion();
    if (TapNdisVersion < TAP_NDIS_MINIMUM) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "tap: NDIS %u.%u is older than %u.%u; not loading\n", TapNdisVersion >> 16,
                   TapNdisVersion & 0xFFFF, TAP_NDIS_MINIMUM >> 16, TAP_NDIS_MINIMUM & 0xFFFF);
        return STATUS_NDIS_BAD_VERSION;
    }
    TapNdisMinor = (UCHAR)(TapNdisVersion == TAP_NDIS_620 ? 20 : 30);
    if (TapNdisVersion >= TAP_NDIS_630) {
        TapPoolType = NonPagedPoolNx;
        TapMdlNoExecute = MdlMappingNoExecute;
    }
    TapDiagEnabled = TapDriverReadTapDiag(RegistryPath) != 0;

    NdisZeroMemory(&chars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.MajorNdisVersion = 6;
    chars.MinorNdisVersion = TapNdisMinor;
    chars.MajorDriverVersion = TAP_DRIVER_MAJOR_VERSION;
    chars.MinorDriverVersion = TAP_DRIVER_MINOR_VERSION;
    chars.InitializeHandlerEx = TapAdapterInitialize;
    chars.HaltHandlerEx = TapAdapterHalt;
    chars.UnloadHandler = TapDriverUnload;
    chars.PauseHandler = TapAdapterPause;
    chars.RestartHandler = TapAdapterRestart;
    chars.OidRequestHandler = TapOidRequest;
    chars.SendNetBufferListsHandler = TapDataSend;
    chars.ReturnNetBufferListsHandler = TapDataReturn;
    chars.CancelSendHandler = TapDataCancelSend;
    chars.CheckForHangHandlerEx = TapAdapterCheckForHang;
    chars.ResetHandlerEx = TapAdapterReset;
    chars.DevicePnPEventNotifyHandler = TapAdapterPnPEventNotify;
    chars.ShutdownHandlerEx = TapAdapterShutdown;
    chars.CancelOidRequestHandler = TapOidCancelRequest;
    chars.DirectOidRequestHandler = TapOidDirectRequest;
    chars.CancelDirectOidRequestHandler = TapOidCancelDirectRequest;

    status =
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars, &TapDriverHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "tap: NdisMRegisterMiniportDriver failed: 0x%08X\n", (ULONG)status);
        TapDriverHandle = NULL;
        return status;
    }
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL,
               "tap: driver loaded as an NDIS %u.%u miniport\n", (UINT)chars.MajorNdisVersion,
               (UINT)chars.MinorNdisVersion);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "tap: running NDIS %u.%u, TapDiag %u\n",
               TapNdisVersion >> 16, TapNdisVersion & 0xFFFF, (UINT)TapDiagEnabled);
    return STATUS_SUCCESS;
}
