; Inno Setup 6 script for KP Field on Windows: a per-user install (no administrator rights),
; a Start-menu entry, and an uninstaller that never deletes vaults unless the user asks.
;
; Build on Windows, after the PyInstaller build (which makes kpfield.exe and kpfield-gui.exe in
; one folder):
;   pyinstaller --noconfirm --clean packaging\pyinstaller\kpfield.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\kpfield.iss
; Signing: see docs/packaging.md ("Windows: Authenticode"); SignTool below is defined with
;   iscc /Ssigntool="signtool.exe sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /a $f" ...

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "KP Field"
#define AppId "org.kpcivilsociety.KPField"

[Setup]
; A stable GUID-like id so upgrades replace the old version in place.
AppId={{6F1C2A4E-6D39-4C55-9A0B-4B3A1F7C2E10}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Kimberley Process Civil Society Coalition
AppPublisherURL=https://www.kpcivilsociety.org/
DefaultDirName={localappdata}\Programs\KP Field
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per user: installs into the user's own profile, no UAC prompt, works on locked-down laptops.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=kpfield-{#AppVersion}-windows-x64-setup
SetupIconFile=..\icons\kpfield.ico
UninstallDisplayIcon={app}\kpfield-gui.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
#ifdef SignTool
SignTool=signtool
SignedUninstaller=yes
#endif

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "fr"; MessagesFile: "compiler:Languages\French.isl"
Name: "pt"; MessagesFile: "compiler:Languages\Portuguese.isl"

[Files]
; The whole one-folder build: kpfield-gui.exe (windowed), kpfield.exe (console), _internal\.
Source: "..\..\dist\kpfield\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\{#AppName}"; Filename: "{app}\kpfield-gui.exe"; AppUserModelID: "{#AppId}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\kpfield-gui.exe"; Tasks: desktopicon; AppUserModelID: "{#AppId}"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\kpfield-gui.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder. The vault lives in %LOCALAPPDATA%\KPCSC\kpfield (platformdirs),
; outside {app}, and is handled in [Code] below.
Type: filesandordirs; Name: "{app}\_internal"

[Code]
// The vault is never removed by default. A monitor who wants it gone must tick the box and
// confirm; then the app's own crypto-erase runs (key file first) before the program goes.
var
  EraseVault: Boolean;

function VaultDir(): String;
begin
  Result := ExpandConstant('{localappdata}\KPCSC\kpfield');
end;

function InitializeUninstall(): Boolean;
begin
  EraseVault := False;
  Result := True;
  if DirExists(VaultDir()) and not UninstallSilent() then
  begin
    if MsgBox('Your KP Field vault (reports, photos and keys) is kept unless you choose to erase it.' + #13#10 + #13#10 +
              'Erase the vault for ever as well? Nothing can be recovered afterwards.',
              mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      EraseVault := MsgBox('Really erase the vault in ' + VaultDir() + '?', mbError, MB_YESNO or MB_DEFBUTTON2) = IDYES;
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  ResultCode: Integer;
begin
  if (CurUninstallStep = usUninstall) and EraseVault then
    Exec(ExpandConstant('{app}\kpfield.exe'), 'wipe --yes', '', SW_HIDE, ewWaitUntilTerminated, ResultCode);
  // Qt's file dialog history (recent folders) is cleared by the app itself at every start and
  // quit; clear it once more here in case the app last ended in a crash.
  if CurUninstallStep = usPostUninstall then
    RegDeleteKeyIncludingSubkeys(HKEY_CURRENT_USER, 'Software\QtProject\OrganizationDefaults\FileDialog');
end;
