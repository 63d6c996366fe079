; The TAP-Windows6 installer: one x86 program carrying the driver for i386, amd64 and arm64,
; installing the native one at run time.
;
; Built by `nox -s package` (site_scons/tapbuild/package/nsis.py), which passes every name with -D:
;   PRODUCT_NAME PRODUCT_PUBLISHER PRODUCT_VERSION VI_VERSION COMPONENT_ID UNINSTALL_KEY
;   DIST (the dist/ folder) STAGE (license, artwork, utility scripts) OUTFILE
;   ARCH_<arch> for each architecture carried, CAT_<arch> where a catalog exists,
;   SIGN_COMMAND (optional: signs the installer and the uninstaller, "%1" is the file).
;
; Command line (TAP-Windows 9.x's options): /S silent; /D=<folder> install folder;
; /SELECT_TAP=0|1, /SELECT_UTILITIES=0|1 and /SELECT_SDK=0|1 choose the sections (all default
; to 1; /SELECT_TAP=0 installs without the driver section, as 9.x does).
;
; Exit codes: 0 installed; 1 cancelled, or refused (Windows older than 7, no driver for this
; processor); 2 the driver step (tapinstall) failed. Each failure's message also goes to the
; standard error when the installer has one (a silent install started with its output captured).

Unicode true
ManifestDPIAware true
ManifestSupportedOS all
RequestExecutionLevel admin
SetCompressor /SOLID lzma
SetDateSave off
CRCCheck on
XPStyle on

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "StrFunc.nsh"
!include "WinVer.nsh"
!include "x64.nsh"

${StrStr}

!ifndef PRODUCT_NAME | PRODUCT_VERSION | COMPONENT_ID | DIST | STAGE | OUTFILE | UNINSTALL_KEY
  !error "run through `nox -s package`: it defines the product names and folders"
!endif

!ifdef SIGN_COMMAND
  !finalize '${SIGN_COMMAND} "%1"' = 0
  !uninstfinalize '${SIGN_COMMAND} "%1"' = 0
!endif

Name "${PRODUCT_NAME} ${PRODUCT_VERSION}"
OutFile "${OUTFILE}"
BrandingText "${PRODUCT_NAME} ${PRODUCT_VERSION}"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VI_VERSION}"
VIFileVersion "${VI_VERSION}"
VIAddVersionKey /LANG=1033 "ProductName" "${PRODUCT_NAME}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${PRODUCT_VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VI_VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${PRODUCT_NAME} ${PRODUCT_VERSION} installer"
VIAddVersionKey /LANG=1033 "CompanyName" "${PRODUCT_PUBLISHER}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "${PRODUCT_PUBLISHER}; MIT License"

!define MUI_ICON "${STAGE}\tap.ico"
!define MUI_UNICON "${STAGE}\tap.ico"
!define MUI_HEADERIMAGE
!define MUI_HEADERIMAGE_RIGHT
!define MUI_HEADERIMAGE_BITMAP "${STAGE}\header.bmp"
!define MUI_HEADERIMAGE_UNBITMAP "${STAGE}\header.bmp"
!define MUI_WELCOMEFINISHPAGE_BITMAP "${STAGE}\wizard.bmp"
!define MUI_UNWELCOMEFINISHPAGE_BITMAP "${STAGE}\wizard.bmp"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC

!define MUI_WELCOMEPAGE_TITLE "${PRODUCT_NAME} ${PRODUCT_VERSION}"
!define MUI_WELCOMEPAGE_TEXT "This installs the ${PRODUCT_NAME} virtual network adapter driver \
  (${COMPONENT_ID}), used by OpenVPN and other VPN programs.$\r$\n$\r$\nAdapters that exist \
  already are updated to this driver and keep their settings.$\r$\n$\r$\n$_CLICK"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "${STAGE}\LICENSE.txt"
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

Var NativeArch
Var Upgrading

Var Message

; $Message and a line end on the standard error, when the installer was started with one (a GUI
; program has none otherwise): what a silent install leaves in its caller's log.
Function WriteStdErr
  Push $0
  Push $1
  Push $2
  System::Call 'kernel32::GetStdHandle(i -12) p .r0'
  ${If} $0 P<> 0
  ${AndIf} $0 P<> -1
    StrCpy $1 "$Message$\r$\n"
    System::Call 'kernel32::lstrlenA(m r1) i .r2'
    System::Call 'kernel32::WriteFile(p r0, m r1, i r2, *i .r1, p 0)'
  ${EndIf}
  Pop $2
  Pop $1
  Pop $0
FunctionEnd

; A failure: exit code CODE, MESSAGE in a message box (answered OK when silent) and on the
; standard error.
!macro Fail CODE MESSAGE
  StrCpy $Message "${MESSAGE}"
  SetErrorLevel ${CODE}
  Call WriteStdErr
  MessageBox MB_OK|MB_ICONSTOP "$Message" /SD IDOK
!macroend

; The files of one architecture; only the native one runs at install time.
!macro DriverFiles ARCH
  SetOutPath "$INSTDIR\bin"
  File "${DIST}\${ARCH}\tapinstall.exe"
  SetOutPath "$INSTDIR\driver"
  File "${DIST}\${ARCH}\OemVista.inf"
  File "${DIST}\${ARCH}\${COMPONENT_ID}.sys"
  !ifdef CAT_${ARCH}
    File "${DIST}\${ARCH}\${COMPONENT_ID}.cat"
  !else
    Delete "$INSTDIR\driver\${COMPONENT_ID}.cat"  ; a signed build's, which this one's files no longer match
  !endif
!macroend

; tapinstall exit codes: 0 done, 1 done but a reboot is needed, anything else failed.
!macro CheckTapinstall WHAT
  Pop $0
  ${If} $0 == 1
    SetRebootFlag true
  ${ElseIf} $0 != 0
    DetailPrint "tapinstall ${WHAT} failed (exit code $0)"
    !insertmacro Fail 2 "Could not ${WHAT} the ${PRODUCT_NAME} driver (tapinstall exit code \
      $0). See the details of this installation; $INSTDIR\Uninstall.exe removes it."
    Abort
  ${EndIf}
!macroend

; First, so that a failed driver step leaves an installation its uninstaller removes.
Section "-Register"
  SetOutPath "$INSTDIR"
  WriteUninstaller "$INSTDIR\Uninstall.exe"
  WriteRegStr HKLM "Software\${PRODUCT_NAME}" "" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT_NAME} ${PRODUCT_VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${PRODUCT_VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "${PRODUCT_PUBLISHER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\Uninstall.exe,0"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "TAP Virtual Ethernet Adapter" SecDriver
  SectionIn RO
  ${If} $NativeArch == "arm64"
    !ifdef ARCH_arm64
      !insertmacro DriverFiles arm64
    !endif
  ${ElseIf} $NativeArch == "amd64"
    !ifdef ARCH_amd64
      !insertmacro DriverFiles amd64
    !endif
  ${Else}
    !ifdef ARCH_i386
      !insertmacro DriverFiles i386
    !endif
  ${EndIf}

  ; Existing adapters with our hardware id are updated, otherwise one adapter is created.
  DetailPrint "Looking for ${COMPONENT_ID} adapters"
  nsExec::ExecToStack '"$INSTDIR\bin\tapinstall.exe" hwids ${COMPONENT_ID}'
  Pop $0
  Pop $1
  ${If} $0 != 0
    DetailPrint "tapinstall hwids failed (exit code $0): $1"
    !insertmacro Fail 2 "Could not list the network adapters (tapinstall exit code $0); \
      $INSTDIR\Uninstall.exe removes this installation."
    Abort
  ${EndIf}
  ${StrStr} $2 $1 "${COMPONENT_ID}"
  ${If} $2 != ""
    DetailPrint "Updating the ${COMPONENT_ID} driver of the existing adapters"
    nsExec::ExecToLog '"$INSTDIR\bin\tapinstall.exe" update "$INSTDIR\driver\OemVista.inf" ${COMPONENT_ID}'
    !insertmacro CheckTapinstall "update"
  ${Else}
    DetailPrint "Installing the ${COMPONENT_ID} driver and one adapter"
    nsExec::ExecToLog '"$INSTDIR\bin\tapinstall.exe" install "$INSTDIR\driver\OemVista.inf" ${COMPONENT_ID}'
    !insertmacro CheckTapinstall "install"
  ${EndIf}
SectionEnd

Section "TAP Utilities" SecUtilities
  SetOutPath "$INSTDIR\bin"
  File "${STAGE}\addtap.bat"
  File "${STAGE}\deltapall.bat"
  CreateDirectory "$SMPROGRAMS\${PRODUCT_NAME}\Utilities"
  CreateShortCut "$SMPROGRAMS\${PRODUCT_NAME}\Utilities\Add a new TAP virtual ethernet adapter.lnk" \
    "$INSTDIR\bin\addtap.bat" "" "$INSTDIR\Uninstall.exe"
  CreateShortCut "$SMPROGRAMS\${PRODUCT_NAME}\Utilities\Delete ALL TAP virtual ethernet adapters.lnk" \
    "$INSTDIR\bin\deltapall.bat" "" "$INSTDIR\Uninstall.exe"
  CreateShortCut "$SMPROGRAMS\${PRODUCT_NAME}\Uninstall ${PRODUCT_NAME}.lnk" "$INSTDIR\Uninstall.exe"
SectionEnd

Section "TAP SDK" SecSDK
  SetOutPath "$INSTDIR\include"
  File "${DIST}\include\tap-windows.h"
SectionEnd

Section "-Size"
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDriver} "The virtual network adapter driver and tapinstall."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecUtilities} "Scripts and Start menu entries to add an adapter or remove them all."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecSDK} "tap-windows.h, the header programs use to talk to the driver."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

; /SELECT_<NAME>=0 clears a section, =1 selects it.
!macro SelectOption NAME SECTION
  ${GetOptions} $R0 "/SELECT_${NAME}=" $R1
  ${IfNot} ${Errors}
    ${If} $R1 == "0"
      !insertmacro UnselectSection ${SECTION}
    ${Else}
      !insertmacro SelectSection ${SECTION}
    ${EndIf}
  ${EndIf}
!macroend

; The old TAP-Windows 9.x installer kept an icon and a license.txt beside its uninstaller; the
; rest of its layout (bin\, driver\, include\, Uninstall.exe) is this one's and is overwritten.
; This installer shows the license on a page and installs no license file of its own.
Function RemoveOldLeftovers
  ${If} $Upgrading != ""
    DetailPrint "Upgrading ${PRODUCT_NAME} $Upgrading in $INSTDIR"
    Delete "$INSTDIR\icon.ico"
    Delete "$INSTDIR\license.txt"
  ${EndIf}
FunctionEnd

Function .onInit
  SetShellVarContext all
  ${IfNot} ${AtLeastWin7}
    !insertmacro Fail 1 "${PRODUCT_NAME} needs Windows 7 or later."
    Quit
  ${EndIf}

  ${If} ${IsNativeARM64}
    StrCpy $NativeArch "arm64"
  ${ElseIf} ${IsNativeAMD64}
    StrCpy $NativeArch "amd64"
  ${ElseIf} ${IsNativeIA32}
    StrCpy $NativeArch "i386"
  ${Else}
    StrCpy $NativeArch "unsupported"
  ${EndIf}
  StrCpy $0 ""
  !ifdef ARCH_i386
    ${If} $NativeArch == "i386"
      StrCpy $0 "carried"
    ${EndIf}
  !endif
  !ifdef ARCH_amd64
    ${If} $NativeArch == "amd64"
      StrCpy $0 "carried"
    ${EndIf}
  !endif
  !ifdef ARCH_arm64
    ${If} $NativeArch == "arm64"
      StrCpy $0 "carried"
    ${EndIf}
  !endif
  ${If} $0 == ""
    !insertmacro Fail 1 "This installer has no driver for this computer's processor \
      ($NativeArch); it carries ${ARCH_LIST}."
    Quit
  ${EndIf}

  ${If} ${RunningX64}
    SetRegView 64
  ${EndIf}

  ; An installed copy (this installer's or the old 9.x one's): upgrade it in place.
  ReadRegStr $Upgrading HKLM "${UNINSTALL_KEY}" "DisplayVersion"
  ReadRegStr $0 HKLM "Software\${PRODUCT_NAME}" ""
  ${If} $INSTDIR == ""
    ${If} $0 != ""
      StrCpy $INSTDIR $0
    ${ElseIf} ${RunningX64}
      StrCpy $INSTDIR "$PROGRAMFILES64\${PRODUCT_NAME}"
    ${Else}
      StrCpy $INSTDIR "$PROGRAMFILES\${PRODUCT_NAME}"
    ${EndIf}
  ${EndIf}

  ${GetParameters} $R0
  ClearErrors
  !insertmacro SelectOption TAP ${SecDriver}
  !insertmacro SelectOption UTILITIES ${SecUtilities}
  !insertmacro SelectOption SDK ${SecSDK}
  ClearErrors
FunctionEnd

Function .onInstSuccess
  Call RemoveOldLeftovers
FunctionEnd

Function un.onInit
  SetShellVarContext all
  ${If} ${RunningX64}
    SetRegView 64
  ${EndIf}
FunctionEnd

Section "Uninstall"
  ${If} ${FileExists} "$INSTDIR\bin\tapinstall.exe"  ; not after /SELECT_TAP=0
    DetailPrint "Removing all ${COMPONENT_ID} adapters"
    nsExec::ExecToLog '"$INSTDIR\bin\tapinstall.exe" remove ${COMPONENT_ID}'
    Pop $0
    ${If} $0 == 1
      SetRebootFlag true
    ${ElseIf} $0 != 0
      DetailPrint "tapinstall remove exited with $0; removing the files anyway"
    ${EndIf}
  ${EndIf}

  Delete "$INSTDIR\bin\tapinstall.exe"
  Delete "$INSTDIR\bin\addtap.bat"
  Delete "$INSTDIR\bin\deltapall.bat"
  Delete "$INSTDIR\driver\OemVista.inf"
  Delete "$INSTDIR\driver\${COMPONENT_ID}.sys"
  Delete "$INSTDIR\driver\${COMPONENT_ID}.cat"
  Delete "$INSTDIR\include\tap-windows.h"
  ; The old 9.x installer's icon and license.txt, should an upgrade have left them.
  Delete "$INSTDIR\icon.ico"
  Delete "$INSTDIR\license.txt"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR\bin"
  RMDir "$INSTDIR\driver"
  RMDir "$INSTDIR\include"
  RMDir "$INSTDIR"

  Delete "$SMPROGRAMS\${PRODUCT_NAME}\Utilities\Add a new TAP virtual ethernet adapter.lnk"
  Delete "$SMPROGRAMS\${PRODUCT_NAME}\Utilities\Delete ALL TAP virtual ethernet adapters.lnk"
  Delete "$SMPROGRAMS\${PRODUCT_NAME}\Uninstall ${PRODUCT_NAME}.lnk"
  RMDir "$SMPROGRAMS\${PRODUCT_NAME}\Utilities"
  RMDir "$SMPROGRAMS\${PRODUCT_NAME}"

  DeleteRegKey HKLM "Software\${PRODUCT_NAME}"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
SectionEnd
