/*
 * tapinstall: device operations on SetupAPI, newdev and cfgmgr32 (all wide-char).
 *
 * install = SetupDiCreateDeviceInfo + the HARDWAREID property + DIF_REGISTERDEVICE, then
 *           UpdateDriverForPlugAndPlayDevices; update = the latter alone;
 * remove  = DIF_REMOVE (global scope) on each matching present device;
 * listing = every present device of every class, with its ids and name.
 *
 * SPDX-License-Identifier: MIT
 */
#include "win.h"
#include "ti_out.h"

#include <cfgmgr32.h>
#include <newdev.h>
#include <setupapi.h>

#define INSTANCE_ID_CHARS (MAX_DEVICE_ID_LEN + 1)

typedef struct {
    HDEVINFO set;
    SP_DEVINFO_DATA data;
} WinDeviceRef;

static int Fail(TiError *error, const char *call)
{
    error->call = call;
    error->code = GetLastError();
    error->configRet = 0;
    return -1;
}

static int FailWith(TiError *error, const char *call, DWORD code)
{
    error->call = call;
    error->code = code;
    error->configRet = 0;
    return -1;
}

/* ---- INF ------------------------------------------------------------------------------ */

int WinInfPath(void *ctx, const TiChar *inf, TiChar *full, size_t cap, TiError *error)
{
    (void)ctx;
    DWORD n = GetFullPathNameW(inf, (DWORD)cap, full, NULL);
    if (n == 0)
        return Fail(error, "GetFullPathName");
    if (n >= cap)
        return FailWith(error, "GetFullPathName", ERROR_FILENAME_EXCED_RANGE);
    DWORD attributes = GetFileAttributesW(full);
    if (attributes == INVALID_FILE_ATTRIBUTES)
        return Fail(error, "GetFileAttributes");
    if (attributes & FILE_ATTRIBUTE_DIRECTORY)
        return FailWith(error, "opening the INF (a directory)", ERROR_FILE_NOT_FOUND);
    return 0;
}

/* ---- listing -------------------------------------------------------------------------- */

/* A string or multi-string property, NUL-terminated twice; NULL when absent. */
static TiChar *GetTextProperty(HDEVINFO set, SP_DEVINFO_DATA *data, DWORD property)
{
    DWORD type = 0;
    DWORD size = 0;
    SetupDiGetDeviceRegistryPropertyW(set, data, property, &type, NULL, 0, &size);
    if (size == 0 || (type != REG_SZ && type != REG_MULTI_SZ))
        return NULL;
    /* Two spare characters keep it terminated whatever the registry held. */
    TiChar *text = WinAlloc(size + 2 * sizeof(TiChar));
    if (text == NULL)
        return NULL;
    if (!SetupDiGetDeviceRegistryPropertyW(set, data, property, &type, (BYTE *)text, size, NULL)) {
        WinFree(text);
        return NULL;
    }
    return text;
}

int WinEnumerate(void *ctx, TiDeviceFn fn, void *arg, TiError *error)
{
    (void)ctx;
    HDEVINFO set = SetupDiGetClassDevsW(NULL, NULL, NULL, DIGCF_ALLCLASSES | DIGCF_PRESENT);
    if (set == INVALID_HANDLE_VALUE)
        return Fail(error, "SetupDiGetClassDevs");

    int rc = 0;
    for (DWORD index = 0;; ++index) {
        WinDeviceRef ref;
        TiChar instance[INSTANCE_ID_CHARS];
        ref.set = set;
        ref.data.cbSize = sizeof ref.data;
        if (!SetupDiEnumDeviceInfo(set, index, &ref.data)) {
            if (GetLastError() != ERROR_NO_MORE_ITEMS)
                rc = Fail(error, "SetupDiEnumDeviceInfo");
            break;
        }
        if (!SetupDiGetDeviceInstanceIdW(set, &ref.data, instance, INSTANCE_ID_CHARS, NULL))
            continue; /* gone meanwhile */

        TiChar *name = GetTextProperty(set, &ref.data, SPDRP_FRIENDLYNAME);
        if (name == NULL)
            name = GetTextProperty(set, &ref.data, SPDRP_DEVICEDESC);
        TiChar *hardware = GetTextProperty(set, &ref.data, SPDRP_HARDWAREID);
        TiChar *compatible = GetTextProperty(set, &ref.data, SPDRP_COMPATIBLEIDS);
        TiDevice device;
        device.instanceId = instance;
        device.name = name;
        device.hardwareIds = hardware;
        device.compatibleIds = compatible;
        device.handle = &ref;
        int stop = fn(arg, &device);
        WinFree(compatible);
        WinFree(hardware);
        WinFree(name);
        if (stop)
            break;
    }
    SetupDiDestroyDeviceInfoList(set);
    return rc;
}

int WinStatus(void *ctx, const TiDevice *device, TiStatus *status, TiError *error)
{
    (void)ctx;
    const WinDeviceRef *ref = (const WinDeviceRef *)device->handle;
    ULONG flags = 0;
    ULONG problem = 0;
    CONFIGRET cr = CM_Get_DevNode_Status(&flags, &problem, ref->data.DevInst, 0);
    if (cr != CR_SUCCESS) {
        error->call = "CM_Get_DevNode_Status";
        error->code = (uint32_t)cr;
        error->configRet = 1;
        return -1;
    }
    status->problem = 0;
    if (flags & DN_HAS_PROBLEM) {
        status->state = problem == CM_PROB_DISABLED ? TI_STATE_DISABLED : TI_STATE_PROBLEM;
        status->problem = (uint32_t)problem;
    } else if (flags & DN_STARTED)
        status->state = TI_STATE_RUNNING;
    else
        status->state = TI_STATE_STOPPED;
    return 0;
}

/* ---- remove --------------------------------------------------------------------------- */

static int RemoveDevice(HDEVINFO set, SP_DEVINFO_DATA *data, int *reboot, TiError *error)
{
    SP_REMOVEDEVICE_PARAMS params;
    memset(&params, 0, sizeof params);
    params.ClassInstallHeader.cbSize = sizeof params.ClassInstallHeader;
    params.ClassInstallHeader.InstallFunction = DIF_REMOVE;
    params.Scope = DI_REMOVEDEVICE_GLOBAL;
    if (!SetupDiSetClassInstallParamsW(set, data, &params.ClassInstallHeader, sizeof params)) {
        /* Wine's SetupAPI does not implement this call. DIF_REMOVE without parameters is a
         * global removal for the default handler, so try that before giving up. */
        TiError setError;
        Fail(&setError, "SetupDiSetClassInstallParams");
        if (!SetupDiCallClassInstaller(DIF_REMOVE, set, data)) {
            *error = setError;
            return -1;
        }
    } else if (!SetupDiCallClassInstaller(DIF_REMOVE, set, data))
        return Fail(error, "SetupDiCallClassInstaller(DIF_REMOVE)");

    SP_DEVINSTALL_PARAMS_W install;
    memset(&install, 0, sizeof install);
    install.cbSize = sizeof install;
    if (reboot != NULL) {
        *reboot = SetupDiGetDeviceInstallParamsW(set, data, &install) &&
                  (install.Flags & (DI_NEEDREBOOT | DI_NEEDRESTART)) != 0;
    }
    return 0;
}

int WinRemove(void *ctx, const TiDevice *device, int *reboot, TiError *error)
{
    (void)ctx;
    WinDeviceRef *ref = (WinDeviceRef *)device->handle;
    return RemoveDevice(ref->set, &ref->data, reboot, error);
}

/* ---- install -------------------------------------------------------------------------- */

int WinCreate(void *ctx, const TiChar *inf, const TiChar *hwid, void **token, TiChar *instanceId,
              size_t cap, TiError *error)
{
    (void)ctx;
    GUID classGuid;
    WCHAR className[MAX_CLASS_NAME_LEN];
    if (!SetupDiGetINFClassW(inf, &classGuid, className, MAX_CLASS_NAME_LEN, NULL))
        return Fail(error, "SetupDiGetINFClass");

    WinDeviceRef *ref = WinAlloc(sizeof *ref);
    size_t idLen = TextLen(hwid);
    /* REG_MULTI_SZ: the id, its terminator and the list's. */
    size_t idsBytes = (idLen + 2) * sizeof(TiChar);
    TiChar *ids = WinAlloc(idsBytes);
    if (ref == NULL || ids == NULL) {
        WinFree(ids);
        WinFree(ref);
        return FailWith(error, "HeapAlloc", ERROR_NOT_ENOUGH_MEMORY);
    }
    memcpy(ids, hwid, idLen * sizeof(TiChar));

    int rc = -1;
    ref->set = SetupDiCreateDeviceInfoList(&classGuid, NULL);
    if (ref->set == INVALID_HANDLE_VALUE) {
        Fail(error, "SetupDiCreateDeviceInfoList");
        goto cleanup;
    }
    ref->data.cbSize = sizeof ref->data;
    if (!SetupDiCreateDeviceInfoW(ref->set, className, &classGuid, NULL, NULL, DICD_GENERATE_ID,
                                  &ref->data)) {
        Fail(error, "SetupDiCreateDeviceInfo");
        goto cleanup;
    }
    if (!SetupDiSetDeviceRegistryPropertyW(ref->set, &ref->data, SPDRP_HARDWAREID, (BYTE *)ids,
                                           (DWORD)idsBytes)) {
        Fail(error, "SetupDiSetDeviceRegistryProperty(HARDWAREID)");
        goto cleanup;
    }
    if (!SetupDiCallClassInstaller(DIF_REGISTERDEVICE, ref->set, &ref->data)) {
        Fail(error, "SetupDiCallClassInstaller(DIF_REGISTERDEVICE)");
        goto cleanup;
    }
    if (!SetupDiGetDeviceInstanceIdW(ref->set, &ref->data, instanceId, (DWORD)cap, NULL)) {
        TiError ignored;
        Fail(error, "SetupDiGetDeviceInstanceId");
        RemoveDevice(ref->set, &ref->data, NULL, &ignored);
        goto cleanup;
    }
    *token = ref;
    ref = NULL;
    rc = 0;

cleanup:
    if (ref != NULL) {
        /* Destroying the list drops a device that was created but never registered. */
        if (ref->set != INVALID_HANDLE_VALUE)
            SetupDiDestroyDeviceInfoList(ref->set);
        WinFree(ref);
    }
    WinFree(ids);
    return rc;
}

void WinRelease(void *ctx, void *token)
{
    (void)ctx;
    WinDeviceRef *ref = (WinDeviceRef *)token;
    if (ref == NULL)
        return;
    SetupDiDestroyDeviceInfoList(ref->set);
    WinFree(ref);
}

int WinDiscard(void *ctx, void *token, TiError *error)
{
    WinDeviceRef *ref = (WinDeviceRef *)token;
    int rc = RemoveDevice(ref->set, &ref->data, NULL, error);
    WinRelease(ctx, token);
    return rc;
}

int WinUpdate(void *ctx, const TiChar *inf, const TiChar *hwid, int *reboot, TiError *error)
{
    (void)ctx;
    BOOL needReboot = FALSE;
    if (!UpdateDriverForPlugAndPlayDevicesW(NULL, hwid, inf, INSTALLFLAG_FORCE, &needReboot))
        return Fail(error, "UpdateDriverForPlugAndPlayDevices");
    *reboot = needReboot != FALSE;
    return 0;
}

/* ---- messages ------------------------------------------------------------------------- */

static size_t FormatSystem(DWORD code, TiChar *buf, size_t cap)
{
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
                             0, buf, (DWORD)cap, NULL);
    /* One line: no trailing blanks, line ends or period. */
    while (n != 0 &&
           (buf[n - 1] == ' ' || buf[n - 1] == '\r' || buf[n - 1] == '\n' || buf[n - 1] == '.'))
        --n;
    for (DWORD i = 0; i < n; ++i) {
        if (buf[i] == '\r' || buf[i] == '\n')
            buf[i] = ' ';
    }
    return n;
}

size_t WinDescribe(void *ctx, uint32_t code, TiChar *buf, size_t cap)
{
    (void)ctx;
    size_t n = FormatSystem(code, buf, cap);
    /* SetupAPI's own codes (0xE000xxxx) are in the message table as HRESULTs. */
    if (n == 0 && (code & 0xE0000000u) == 0xE0000000u)
        n = FormatSystem(0x800F0000u | (code & 0xFFFFu), buf, cap);
    return n;
}
