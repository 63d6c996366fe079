/*
 * tapc_product.h - what version.py gives the driver's code: the version that GET_VERSION,
 * OID_GEN_VENDOR_DRIVER_VERSION and the miniport characteristics report, and the vendor
 * description. A driver build generates tap_product.h (TAP_HAVE_PRODUCT_H); a bare host build
 * passes the numbers with -D or takes the defaults. Only the files that report these values
 * include this header, so a version change recompiles those files alone.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPC_PRODUCT_H
#define TAPC_PRODUCT_H

#if defined(TAP_HAVE_PRODUCT_H)
#include "tap_product.h" /* the driver build's, from version.py (and its override) */
#endif
#ifndef TAP_DRIVER_MAJOR_VERSION
#define TAP_DRIVER_MAJOR_VERSION 0
#endif
#ifndef TAP_DRIVER_MINOR_VERSION
#define TAP_DRIVER_MINOR_VERSION 0
#endif
#ifndef TAP_VENDOR_DESCRIPTION
#define TAP_VENDOR_DESCRIPTION "TAP-Windows Adapter V9"
#endif

#endif
