/*
 * The merge module's custom-action DLL: MsiEvaluate (immediate) and MsiProcess (deferred,
 * rollback and commit). No C runtime: only msi.dll and system DLLs (kernel32, advapi32,
 * ntdll, setupapi, newdev), see imports.py.
 *
 * MsiEvaluate reads the module's TapDriver table (one row per merged TAP module), decides per
 * row with the portable logic in plan.c and hands each deferred action its script through
 * the property of the same name. MsiProcess runs the script it is given.
 */
#include <windows.h>

#include <msi.h>
#include <msiquery.h>
#include <newdev.h>
#include <setupapi.h>

#include "plan.h"

#define TEXT_MAX   1024 /* paths, keys, names (code units) */
#define SCRIPT_MAX 8192 /* one script */

__declspec(dllimport) LONG WINAPI RtlGetVersion(OSVERSIONINFOW *info);
#ifdef __MINGW32__
/* Windows Vista and later; mingw-w64's setupapi.h does not declare it. */
__declspec(dllimport) BOOL WINAPI SetupGetInfDriverStoreLocationW(const WCHAR *file, void *platform,
                                                                  const WCHAR *locale, WCHAR *out,
                                                                  DWORD size, DWORD *needed);
#endif

/* The compiler may emit calls to these for structure copies and zeroing (declared by
 * windows.h's string headers). */
void *memset(void *dst, int c, size_t n)
{
    volatile unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}
void *memcpy(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

static void *Alloc(size_t bytes)
{
    return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, bytes);
}

static void Free(void *p)
{
    if (p)
        HeapFree(GetProcessHeap(), 0, p);
}

static void Copy(WCHAR *dst, size_t cap, const WCHAR *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < cap; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

/* ---- logging ---------------------------------------------------------------------------- */

static void Log(MSIHANDLE install, const WCHAR *what, const WCHAR *detail)
{
    MSIHANDLE rec = MsiCreateRecord(2);
    if (!rec)
        return;
    MsiRecordSetStringW(rec, 0, L"TAP merge module: [1] [2]");
    MsiRecordSetStringW(rec, 1, what);
    MsiRecordSetStringW(rec, 2, detail ? detail : L"");
    MsiProcessMessage(install, INSTALLMESSAGE_INFO, rec);
    MsiCloseHandle(rec);
}

static void LogDecision(MSIHANDLE install, const WCHAR *hwid, enum tap_decision d)
{
    WCHAR name[32];
    const char *s = tap_decision_name(d);
    size_t i = 0;
    for (; s[i] && i + 1 < 32; i++)
        name[i] = (WCHAR)s[i];
    name[i] = 0;
    Log(install, hwid, name);
}

/* ---- registry state: HKLM\<key> Clients (multi-string), Version, Published -------------- */

static HKEY OpenState(const WCHAR *key, BOOL create)
{
    HKEY h = NULL;
    REGSAM sam = KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_WOW64_64KEY;
    LONG rc = create ? RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, sam, NULL, &h, NULL)
                     : RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, sam, &h);
    return rc == ERROR_SUCCESS ? h : NULL;
}

static void ReadString(HKEY h, const WCHAR *name, WCHAR *out, DWORD cap)
{
    DWORD type = 0, bytes = (cap - 1) * sizeof(WCHAR);
    out[0] = 0;
    if (!h || RegQueryValueExW(h, name, NULL, &type, (BYTE *)out, &bytes) != ERROR_SUCCESS ||
        (type != REG_SZ && type != REG_MULTI_SZ)) {
        out[0] = 0;
        bytes = 0;
    }
    out[bytes / sizeof(WCHAR)] = 0;
    if (bytes / sizeof(WCHAR) + 1 < cap)
        out[bytes / sizeof(WCHAR) + 1] = 0; /* multi-string: double terminator */
}

static LONG WriteString(HKEY h, const WCHAR *name, const WCHAR *value, DWORD type, size_t units)
{
    /* NOLINTNEXTLINE(bugprone-misplaced-widening-cast): on i386 size_t and DWORD are both 32-bit */
    return RegSetValueExW(h, name, 0, type, (const BYTE *)value, (DWORD)(units * sizeof(WCHAR)));
}

/* Count the clients, and whether product is one. */
static unsigned CountClients(const WCHAR *clients, const WCHAR *product, int *is_client)
{
    unsigned n = 0;
    *is_client = 0;
    for (const WCHAR *p = clients; *p; p += tap_wcslen(p) + 1) {
        n++;
        if (product && lstrcmpiW(p, product) == 0)
            *is_client = 1;
    }
    return n;
}

/* Add or remove product in the Clients multi-string. */
static UINT UpdateClients(const WCHAR *key, const WCHAR *product, const WCHAR *version, BOOL add)
{
    WCHAR *old = Alloc(SCRIPT_MAX * sizeof(WCHAR));
    WCHAR *neu = Alloc(SCRIPT_MAX * sizeof(WCHAR));
    UINT rc = ERROR_INSTALL_FAILURE;
    size_t len = 0;
    HKEY h = NULL;
    if (!old || !neu)
        goto cleanup;
    h = OpenState(key, add);
    if (!h) {
        rc = add ? ERROR_INSTALL_FAILURE : ERROR_SUCCESS;
        goto cleanup;
    }
    ReadString(h, L"Clients", old, SCRIPT_MAX - 1);
    for (const WCHAR *p = old; *p; p += tap_wcslen(p) + 1) {
        size_t n = tap_wcslen(p);
        if (lstrcmpiW(p, product) == 0 || len + n + 2 >= SCRIPT_MAX)
            continue;
        Copy(neu + len, n + 1, p);
        len += n + 1;
    }
    if (add) {
        size_t n = tap_wcslen(product);
        if (len + n + 2 >= SCRIPT_MAX)
            goto cleanup;
        Copy(neu + len, n + 1, product);
        len += n + 1;
    }
    neu[len++] = 0;
    if (WriteString(h, L"Clients", neu, REG_MULTI_SZ, len) != ERROR_SUCCESS)
        goto cleanup;
    if (add && version && *version &&
        WriteString(h, L"Version", version, REG_SZ, tap_wcslen(version) + 1) != ERROR_SUCCESS)
        goto cleanup;
    rc = ERROR_SUCCESS;
cleanup:
    if (h)
        RegCloseKey(h);
    Free(old);
    Free(neu);
    return rc;
}

static UINT SetStateValue(const WCHAR *key, const WCHAR *name, const WCHAR *value)
{
    HKEY h = OpenState(key, TRUE);
    LONG rc;
    if (!h)
        return ERROR_INSTALL_FAILURE;
    if (value && *value)
        rc = WriteString(h, name, value, REG_SZ, tap_wcslen(value) + 1);
    else {
        rc = RegDeleteValueW(h, name);
        if (rc == ERROR_FILE_NOT_FOUND)
            rc = ERROR_SUCCESS;
    }
    RegCloseKey(h);
    return rc == ERROR_SUCCESS ? ERROR_SUCCESS : ERROR_INSTALL_FAILURE;
}

/* ---- driver store and devices ----------------------------------------------------------- */

/* Does the multi-string list of hardware ids contain hwid (case-insensitive)? */
static BOOL HasHardwareId(const WCHAR *ids, const WCHAR *hwid)
{
    for (const WCHAR *p = ids; *p; p += tap_wcslen(p) + 1) {
        const WCHAR *tail = p;
        /* root\tap0901 (tapctl) as well as tap0901 (tapinstall) */
        for (const WCHAR *q = p; *q; q++)
            if (*q == L'\\')
                tail = q + 1;
        if (lstrcmpiW(p, hwid) == 0 || lstrcmpiW(tail, hwid) == 0)
            return TRUE;
    }
    return FALSE;
}

static UINT RemoveDevices(MSIHANDLE install, const WCHAR *hwid)
{
    HDEVINFO set = SetupDiGetClassDevsW(NULL, NULL, NULL, DIGCF_ALLCLASSES);
    WCHAR *ids = Alloc(TEXT_MAX * sizeof(WCHAR));
    SP_DEVINFO_DATA dev;
    UINT rc = ERROR_SUCCESS;
    if (set == INVALID_HANDLE_VALUE || !ids) {
        rc = ERROR_INSTALL_FAILURE;
        goto cleanup;
    }
    dev.cbSize = sizeof(dev);
    for (DWORD i = 0; SetupDiEnumDeviceInfo(set, i, &dev); i++) {
        BOOL reboot = FALSE;
        DWORD type = 0;
        ids[0] = ids[1] = 0;
        if (!SetupDiGetDeviceRegistryPropertyW(set, &dev, SPDRP_HARDWAREID, &type, (BYTE *)ids,
                                               (TEXT_MAX - 2) * sizeof(WCHAR), NULL) ||
            type != REG_MULTI_SZ || !HasHardwareId(ids, hwid))
            continue;
        if (DiUninstallDevice(NULL, set, &dev, 0, &reboot))
            Log(install, L"removed an adapter", hwid);
        else {
            Log(install, L"could not remove an adapter", hwid);
            rc = ERROR_INSTALL_FAILURE;
        }
    }
cleanup:
    if (set != INVALID_HANDLE_VALUE)
        SetupDiDestroyDeviceInfoList(set);
    Free(ids);
    return rc;
}

static const WCHAR *FileName(const WCHAR *path)
{
    const WCHAR *name = path;
    for (const WCHAR *p = path; *p; p++)
        if (*p == L'\\' || *p == L'/')
            name = p + 1;
    return name;
}

static UINT InstallDriver(MSIHANDLE install, const WCHAR *inf, const WCHAR *hwid, const WCHAR *key)
{
    WCHAR published[MAX_PATH];
    BOOL reboot = FALSE;
    published[0] = 0;
    if (!SetupCopyOEMInfW(inf, NULL, SPOST_PATH, 0, published, MAX_PATH, NULL, NULL)) {
        Log(install, L"could not add the driver to the driver store", inf);
        return ERROR_INSTALL_FAILURE;
    }
    Log(install, L"driver package in the store:", FileName(published));
    if (SetStateValue(key, L"Published", FileName(published)) != ERROR_SUCCESS)
        return ERROR_INSTALL_FAILURE;
    if (!UpdateDriverForPlugAndPlayDevicesW(NULL, hwid, inf, INSTALLFLAG_FORCE, &reboot)) {
        DWORD err = GetLastError();
        if (err != ERROR_NO_SUCH_DEVINST) {
            Log(install, L"could not update the adapters", hwid);
            return ERROR_INSTALL_FAILURE;
        }
    }
    return ERROR_SUCCESS;
}

static UINT DeletePackage(MSIHANDLE install, const WCHAR *published, const WCHAR *key)
{
    WCHAR current[MAX_PATH];
    HKEY h = OpenState(key, FALSE);
    ReadString(h, L"Published", current, MAX_PATH);
    if (h)
        RegCloseKey(h);
    if (!*published || lstrcmpiW(current, published) == 0)
        return ERROR_SUCCESS;
    if (!SetupUninstallOEMInfW(published, SUOI_FORCEDELETE, NULL))
        Log(install, L"could not delete an old driver package", published);
    return ERROR_SUCCESS;
}

static UINT RemoveDriver(MSIHANDLE install, const WCHAR *hwid, const WCHAR *key)
{
    WCHAR published[MAX_PATH];
    HKEY h = OpenState(key, FALSE);
    UINT rc = RemoveDevices(install, hwid);
    ReadString(h, L"Published", published, MAX_PATH);
    if (h)
        RegCloseKey(h);
    if (*published && !SetupUninstallOEMInfW(published, SUOI_FORCEDELETE, NULL))
        Log(install, L"could not delete the driver package", published);
    SetStateValue(key, L"Published", NULL);
    SetStateValue(key, L"Version", NULL);
    return rc;
}

static UINT RestoreDriver(MSIHANDLE install, const WCHAR *old, const WCHAR *hwid, const WCHAR *key)
{
    WCHAR *path = Alloc(TEXT_MAX * sizeof(WCHAR));
    WCHAR current[MAX_PATH];
    HKEY h = OpenState(key, FALSE);
    BOOL reboot = FALSE;
    UINT rc = ERROR_SUCCESS;
    ReadString(h, L"Published", current, MAX_PATH);
    if (h)
        RegCloseKey(h);
    if (path && SetupGetInfDriverStoreLocationW(old, NULL, NULL, path, TEXT_MAX, NULL))
        UpdateDriverForPlugAndPlayDevicesW(NULL, hwid, path, INSTALLFLAG_FORCE, &reboot);
    else {
        Log(install, L"could not find the previous driver package", old);
        rc = ERROR_INSTALL_FAILURE;
    }
    if (*current && lstrcmpiW(current, old) != 0)
        SetupUninstallOEMInfW(current, SUOI_FORCEDELETE, NULL);
    SetStateValue(key, L"Published", old);
    Free(path);
    return rc;
}

/* ---- MsiProcess ------------------------------------------------------------------------- */

static UINT RunStep(MSIHANDLE install, tap_wchar step, WCHAR **f, size_t n)
{
    switch (step) {
    case TAP_STEP_INSTALL:
        return n == 3 ? InstallDriver(install, f[0], f[1], f[2]) : ERROR_INVALID_DATA;
    case TAP_STEP_REMOVE:
        return n == 2 ? RemoveDriver(install, f[0], f[1]) : ERROR_INVALID_DATA;
    case TAP_STEP_RESTORE:
        return n == 3 ? RestoreDriver(install, f[0], f[1], f[2]) : ERROR_INVALID_DATA;
    case TAP_STEP_DELETE:
        return n == 2 ? DeletePackage(install, f[0], f[1]) : ERROR_INVALID_DATA;
    case TAP_STEP_ADDREF:
        return n == 3 ? UpdateClients(f[0], f[1], f[2], TRUE) : ERROR_INVALID_DATA;
    case TAP_STEP_RELEASE:
        return n == 2 ? UpdateClients(f[0], f[1], NULL, FALSE) : ERROR_INVALID_DATA;
    case TAP_STEP_VERSION:
        return n == 2 ? SetStateValue(f[0], L"Version", f[1]) : ERROR_INVALID_DATA;
    default:
        return ERROR_INVALID_DATA;
    }
}

UINT __stdcall MsiProcess(MSIHANDLE install)
{
    WCHAR *script = Alloc(SCRIPT_MAX * sizeof(WCHAR));
    DWORD len = SCRIPT_MAX;
    UINT rc = ERROR_SUCCESS;
    BOOL best_effort =
        MsiGetMode(install, MSIRUNMODE_ROLLBACK) || MsiGetMode(install, MSIRUNMODE_COMMIT);
    struct tap_reader reader;
    tap_wchar *fields[TAP_MAX_FIELDS];
    size_t count;
    tap_wchar step;
    if (!script)
        return ERROR_INSTALL_FAILURE;
    if (MsiGetPropertyW(install, L"CustomActionData", script, &len) != ERROR_SUCCESS) {
        Free(script);
        return ERROR_INSTALL_FAILURE;
    }
    reader.next = (tap_wchar *)script;
    while ((step = tap_script_next(&reader, fields, &count)) != 0) {
        UINT r = RunStep(install, step, (WCHAR **)fields, count);
        if (r != ERROR_SUCCESS && !best_effort) {
            rc = ERROR_INSTALL_FAILURE;
            break;
        }
    }
    Free(script);
    return rc;
}

/* ---- MsiEvaluate ------------------------------------------------------------------------ */

enum {
    COL_COMPONENT = 1,
    COL_INF,
    COL_INF10,
    COL_HWID,
    COL_VERSION,
    COL_KEY,
    COL_PROCESS_INSTALL,
    COL_ROLLBACK_INSTALL,
    COL_COMMIT_INSTALL,
    COL_PROCESS_REMOVE,
    COL_ROLLBACK_REMOVE
};
enum { COL_COUNT = COL_ROLLBACK_REMOVE };

struct row {
    WCHAR col[COL_COUNT + 1][TEXT_MAX / 4];
    WCHAR inf[TEXT_MAX];
    WCHAR product[64];
    WCHAR clients[SCRIPT_MAX];
    WCHAR store_version[64];
    WCHAR published[MAX_PATH];
    tap_wchar run[SCRIPT_MAX], rollback[SCRIPT_MAX], commit[SCRIPT_MAX];
};

static UINT FilePath(MSIHANDLE install, const WCHAR *file_key, WCHAR *out, DWORD cap)
{
    WCHAR fmt[TEXT_MAX / 4 + 4];
    MSIHANDLE rec = MsiCreateRecord(1);
    UINT rc;
    fmt[0] = L'[';
    fmt[1] = L'#';
    Copy(fmt + 2, TEXT_MAX / 4, file_key);
    Copy(fmt + 2 + tap_wcslen(fmt + 2), 2, L"]");
    MsiRecordSetStringW(rec, 0, fmt);
    rc = MsiFormatRecordW(install, rec, out, &cap);
    MsiCloseHandle(rec);
    return rc == ERROR_SUCCESS && out[0] ? ERROR_SUCCESS : ERROR_INSTALL_FAILURE;
}

static UINT EvaluateRow(MSIHANDLE install, struct row *r, unsigned os_major)
{
    struct tap_facts facts;
    struct tap_plan_input in;
    struct tap_buffer run = {r->run, SCRIPT_MAX, 0, 0};
    struct tap_buffer rollback = {r->rollback, SCRIPT_MAX, 0, 0};
    struct tap_buffer commit = {r->commit, SCRIPT_MAX, 0, 0};
    INSTALLSTATE installed = INSTALLSTATE_UNKNOWN, action = INSTALLSTATE_UNKNOWN;
    DWORD len = 64;
    enum tap_decision d;
    int install_side;
    HKEY h;

    if (MsiGetComponentStateW(install, r->col[COL_COMPONENT], &installed, &action) != ERROR_SUCCESS)
        return ERROR_INSTALL_FAILURE;
    MsiGetPropertyW(install, L"ProductCode", r->product, &len);
    h = OpenState(r->col[COL_KEY], FALSE);
    ReadString(h, L"Clients", r->clients, SCRIPT_MAX - 1);
    ReadString(h, L"Version", r->store_version, 64);
    ReadString(h, L"Published", r->published, MAX_PATH);
    if (h)
        RegCloseKey(h);

    facts.installed = installed;
    facts.action = action;
    facts.module_version = tap_version_parse(r->col[COL_VERSION]);
    facts.store_version = tap_version_parse(r->store_version);
    facts.clients = CountClients(r->clients, r->product, &facts.is_client);
    d = tap_decide(&facts);
    LogDecision(install, r->col[COL_HWID], d);

    r->inf[0] = 0;
    if (d != TAP_NONE && d != TAP_ADDREF && d != TAP_RELEASE) {
        const WCHAR *file =
            tap_use_win10(os_major, r->col[COL_INF][0] != 0) ? r->col[COL_INF10] : r->col[COL_INF];
        if (FilePath(install, file, r->inf, TEXT_MAX) != ERROR_SUCCESS)
            return ERROR_INSTALL_FAILURE;
    }
    in.inf = r->inf;
    in.hwid = r->col[COL_HWID];
    in.key = r->col[COL_KEY];
    in.product = r->product;
    in.version = r->col[COL_VERSION];
    in.published = r->published;
    in.old_version = r->store_version;
    if (tap_plan(d, &in, &run, &rollback, &commit) != 0)
        return ERROR_INSTALL_FAILURE;

    install_side = d != TAP_UNINSTALL && d != TAP_RELEASE;
    MsiSetPropertyW(install, r->col[install_side ? COL_PROCESS_INSTALL : COL_PROCESS_REMOVE],
                    r->run);
    MsiSetPropertyW(install, r->col[install_side ? COL_ROLLBACK_INSTALL : COL_ROLLBACK_REMOVE],
                    r->rollback);
    if (install_side)
        MsiSetPropertyW(install, r->col[COL_COMMIT_INSTALL], r->commit);
    return ERROR_SUCCESS;
}

UINT __stdcall MsiEvaluate(MSIHANDLE install)
{
    static const WCHAR query[] =
        L"SELECT `TapDriver`, `Component_`, `Inf`, `Inf10`, `HardwareId`, `Version`, `StateKey`, "
        L"`ProcessInstall`, `RollbackInstall`, `CommitInstall`, `ProcessRemove`, `RollbackRemove` "
        L"FROM `TapDriver`";
    MSIHANDLE db = MsiGetActiveDatabase(install), view = 0, rec = 0;
    struct row *r = Alloc(sizeof(*r));
    OSVERSIONINFOW os;
    UINT rc = ERROR_INSTALL_FAILURE;

    os.dwOSVersionInfoSize = sizeof(os);
    os.dwMajorVersion = 6;
    RtlGetVersion(&os);
    if (!db || !r || MsiDatabaseOpenViewW(db, query, &view) != ERROR_SUCCESS ||
        MsiViewExecute(view, 0) != ERROR_SUCCESS)
        goto cleanup;
    while (MsiViewFetch(view, &rec) == ERROR_SUCCESS) {
        /* Field 1 is the row key; the columns start at Component_ (field 2). */
        for (unsigned c = 1; c <= COL_COUNT; c++) {
            DWORD len = TEXT_MAX / 4;
            r->col[c][0] = 0;
            if (MsiRecordGetStringW(rec, c + 1, r->col[c], &len) != ERROR_SUCCESS)
                r->col[c][0] = 0;
        }
        MsiCloseHandle(rec);
        rec = 0;
        if (EvaluateRow(install, r, os.dwMajorVersion) != ERROR_SUCCESS)
            goto cleanup;
    }
    rc = ERROR_SUCCESS;
cleanup:
    if (view)
        MsiCloseHandle(view);
    if (db)
        MsiCloseHandle(db);
    Free(r);
    return rc;
}
