/*
 * TAP-Windows6 driver entry.
 *
 * For now a minimal kernel entry: DriverEntry logs and registers the unload routine. The
 * NDIS 6 miniport registration and the adapter grow on this file.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD TapDriverUnload;

static VOID NTAPI TapDriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "tap: driver unloaded\n");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "tap: driver loaded\n");
    DriverObject->DriverUnload = TapDriverUnload;
    return STATUS_SUCCESS;
}
