/*
 * tap-windows.h - the contract between the TAP-Windows6 driver and user space.
 *
 * Applications (OpenVPN, tapctl, other VPN clients) compile against these names; their
 * meaning and numeric values are fixed. The header declares macros only, so it compiles in
 * user mode (with or without windows.h, before or after it), in the driver, and in the
 * driver's portable core, which includes nothing but <stdint.h>, <stddef.h>, <stdbool.h>.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_WINDOWS_H
#define TAP_WINDOWS_H

/*
 * Device I/O control codes: CTL_CODE(FILE_DEVICE_UNKNOWN, request, method, FILE_ANY_ACCESS).
 * Where the Windows headers have defined CTL_CODE, use it; otherwise compute the same value
 * (device type 0x22 in bits 16-31, access 0 in bits 14-15, function in bits 2-13, method in
 * bits 0-1) without defining any Windows name, so that including windows.h or winioctl.h
 * later does not clash.
 */
#if defined(CTL_CODE) && defined(FILE_DEVICE_UNKNOWN) && defined(FILE_ANY_ACCESS)
#define TAP_WIN_CONTROL_CODE(request, method)                                                      \
    CTL_CODE(FILE_DEVICE_UNKNOWN, request, method, FILE_ANY_ACCESS)
#else
#define TAP_WIN_CONTROL_CODE(request, method)                                                      \
    ((0x22UL << 16) | (0x0UL << 14) | ((unsigned long)(request) << 2) | (unsigned long)(method))
#endif

/* METHOD_BUFFERED (0), under a name of our own for the codes below. */
#define TAP_WIN_METHOD_BUFFERED_ 0

/* Present in all versions. */
#define TAP_WIN_IOCTL_GET_MAC               TAP_WIN_CONTROL_CODE(1, TAP_WIN_METHOD_BUFFERED_)
#define TAP_WIN_IOCTL_GET_VERSION           TAP_WIN_CONTROL_CODE(2, TAP_WIN_METHOD_BUFFERED_)
#define TAP_WIN_IOCTL_GET_MTU               TAP_WIN_CONTROL_CODE(3, TAP_WIN_METHOD_BUFFERED_)
#define TAP_WIN_IOCTL_GET_INFO              TAP_WIN_CONTROL_CODE(4, TAP_WIN_METHOD_BUFFERED_)
#define TAP_WIN_IOCTL_CONFIG_POINT_TO_POINT TAP_WIN_CONTROL_CODE(5, TAP_WIN_METHOD_BUFFERED_)
#define TAP_WIN_IOCTL_SET_MEDIA_STATUS      TAP_WIN_CONTROL_CODE(6, TAP_WIN_METHOD_BUFFERED_)
#define TAP_WIN_IOCTL_CONFIG_DHCP_MASQ      TAP_WIN_CONTROL_CODE(7, TAP_WIN_METHOD_BUFFERED_)
#define TAP_WIN_IOCTL_GET_LOG_LINE          TAP_WIN_CONTROL_CODE(8, TAP_WIN_METHOD_BUFFERED_)
#define TAP_WIN_IOCTL_CONFIG_DHCP_SET_OPT   TAP_WIN_CONTROL_CODE(9, TAP_WIN_METHOD_BUFFERED_)

/* Added in 8.2. */
#define TAP_WIN_IOCTL_CONFIG_TUN TAP_WIN_CONTROL_CODE(10, TAP_WIN_METHOD_BUFFERED_)

/* Added in 9.x: 802.1Q priority/VLAN tags on frames read by the application. */
#define TAP_WIN_IOCTL_PRIORITY_BEHAVIOR TAP_WIN_CONTROL_CODE(11, TAP_WIN_METHOD_BUFFERED_)

#define TAP_PRIORITY_BEHAVIOR_NOPRIORITY 0 /* never add a tag */
#define TAP_PRIORITY_BEHAVIOR_ENABLED    1 /* add one when priority or VLAN is non-zero */
#define TAP_PRIORITY_BEHAVIOR_ADDALWAYS  2 /* always add one */
#define TAP_PRIORITY_BEHAVIOR_MAX        2

/* Registry keys of network adapters (class GUID of the Net class). */
#define ADAPTER_KEY                                                                                \
    "SYSTEM\\CurrentControlSet\\Control\\Class\\{4D36E972-E325-11CE-BFC1-08002BE10318}"
#define NETWORK_CONNECTIONS_KEY                                                                    \
    "SYSTEM\\CurrentControlSet\\Control\\Network\\{4D36E972-E325-11CE-BFC1-08002BE10318}"

/* Device names: applications open USERMODEDEVICEDIR "{GUID}" TAP_WIN_SUFFIX. */
#define USERMODEDEVICEDIR "\\\\.\\Global\\"
#define SYSDEVICEDIR      "\\Device\\"
#define USERDEVICEDIR     "\\DosDevices\\Global\\"
#define TAP_WIN_SUFFIX    ".tap"

#endif /* TAP_WINDOWS_H */
