"""Product metadata of the TAP-Windows6 driver (the role of the old version.m4).

Plain constants. An override module given with ``scons override=FILE.py`` (or the nox
sessions' ``--override``) may set any subset of these names; see docs/building.md, Overrides.
"""

PRODUCT_NAME = "TAP-Windows"
PRODUCT_PACKAGE_NAME = "tap-windows"
PRODUCT_PUBLISHER = "OpenVPN Technologies, Inc."
PRODUCT_VERSION = "9.27.0"

# Component id: hardware id, service name, <id>.sys and <id>.cat all derive from it.
PRODUCT_TAP_WIN_COMPONENT_ID = "tap0901"

# Driver version (DriverVer, version resources, GET_VERSION).
PRODUCT_TAP_WIN_MAJOR = 9
PRODUCT_TAP_WIN_MINOR = 27
PRODUCT_TAP_WIN_REVISION = 0
PRODUCT_TAP_WIN_BUILD = 0

PRODUCT_TAP_WIN_PROVIDER = "TAP-Windows Provider V9"
PRODUCT_TAP_WIN_CHARACTERISTICS = 0x1  # NCF_VIRTUAL; compared with == by some software
PRODUCT_TAP_WIN_DEVICE_DESCRIPTION = "TAP-Windows Adapter V9"
PRODUCT_TAP_WIN_RELDATE = "09/27/2026"  # MM/DD/YYYY, as DriverVer wants
