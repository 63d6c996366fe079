/*
 * The project's NDIS 6.20/6.30 miniport declarations for zig (mingw-w64) builds, by topic.
 * Included through driver/decl/tapkernel.h only; never include mingw-w64's ddk/ndis.h (an
 * NDIS 5 header that conflicts with ntddndis.h).
 */
#pragma once

#include "kernel.h"
#include "ndis_base.h"
#include "ndis_support.h"
#include "ndis_nbl.h"
#include "ndis_oid.h"
#include "ndis_config.h"
#include "ndis_device.h"
#include "ndis_miniport.h"
