/*
 * tapinstall: the Windows layer (SetupAPI, newdev, cfgmgr32, the console).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPINSTALL_WIN_H
#define TAPINSTALL_WIN_H

#ifndef UNICODE
#define UNICODE
#endif
#ifndef _UNICODE
#define _UNICODE
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif

#include <windows.h>

#include "ti.h"

/* Memory from the process heap (zeroed); NULL when out of memory. */
void *WinAlloc(size_t bytes);
void WinFree(void *p);

/* Seeds the stack protector's guard; runs first, from the entry point (win_rt.c). */
void RtInit(void);

/* The device operations of TiPlatform (win_devices.c). */
int WinInfPath(void *ctx, const TiChar *inf, TiChar *full, size_t cap, TiError *error);
int WinEnumerate(void *ctx, TiDeviceFn fn, void *arg, TiError *error);
int WinStatus(void *ctx, const TiDevice *device, TiStatus *status, TiError *error);
int WinRemove(void *ctx, const TiDevice *device, int *reboot, TiError *error);
int WinCreate(void *ctx, const TiChar *inf, const TiChar *hwid, void **token, TiChar *instanceId,
              size_t cap, TiError *error);
int WinDiscard(void *ctx, void *token, TiError *error);
void WinRelease(void *ctx, void *token);
int WinUpdate(void *ctx, const TiChar *inf, const TiChar *hwid, int *reboot, TiError *error);
size_t WinDescribe(void *ctx, uint32_t code, TiChar *buf, size_t cap);

#endif /* TAPINSTALL_WIN_H */
