/*
 * Documented NDIS functions the simulator implements that the driver's declarations
 * (driver/decl) do not declare (yet): the driver may start calling them. Declared exactly as
 * the NDIS reference gives them, so a later declaration in driver/decl is the same one.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

/* MiniportPause / MiniportRestart / MiniportResetEx returned NDIS_STATUS_PENDING. */
DECLSPEC_IMPORT VOID NTAPI NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle);
DECLSPEC_IMPORT VOID NTAPI NdisMRestartComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                NDIS_STATUS Status);
/* MiniportDirectOidRequest returned NDIS_STATUS_PENDING. */
DECLSPEC_IMPORT VOID NTAPI NdisMDirectOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                         PNDIS_OID_REQUEST OidRequest,
                                                         NDIS_STATUS Status);
DECLSPEC_IMPORT VOID NTAPI NdisMResetComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status,
                                              BOOLEAN AddressingReset);

#if defined(_X86_)
/* i386: the 64-bit division helpers ntoskrnl exports (driver/krt.c forwards clang's to them). */
long long __stdcall _alldiv(long long Dividend, long long Divisor);
unsigned long long __stdcall _aulldiv(unsigned long long Dividend, unsigned long long Divisor);
long long __stdcall _allrem(long long Dividend, long long Divisor);
unsigned long long __stdcall _aullrem(unsigned long long Dividend, unsigned long long Divisor);
#endif
