; Inno Setup script: the ffmot installer for Windows (Inno Setup 6.3 or newer).
; Built by packaging\windows\build.ps1 on a Windows build machine; NOT built or tested on the
; Linux machines where ffmot is developed.
;
; By default it installs for the person running it, with no administrator rights, into
;   %LOCALAPPDATA%\Programs\ffmot
; with a Start menu entry (and, if ticked, a desktop icon) for ffmot-gui.exe, and ffmot.exe
; (the command line) beside it.
;
; IT deploying it without questions:
;   ffmot-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
;       per user, into %LOCALAPPDATA%\Programs\ffmot, for whoever runs it (a login script)
;   ffmot-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /ALLUSERS
;       machine-wide, into %ProgramFiles%\ffmot, from an elevated prompt or a deployment tool
;       (PrivilegesRequiredOverridesAllowed below lets /ALLUSERS or the dialog choose it)
;   add /LOG="C:\path\ffmot-setup.log" for a log, /DIR="..." for another folder.
; Uninstall silently: "%LOCALAPPDATA%\Programs\ffmot\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES
; People's data (the database, settings, the log) live in their own profile, never in the
; program folder, and an uninstall leaves them there.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  ; the PyInstaller one-folder output (packaging\ffmot.spec)
  #define SourceDir "..\..\dist\ffmot"
#endif

[Setup]
; A fixed id: an upgrade replaces the earlier version instead of installing beside it.
AppId={{6E7A1C52-3F0B-4D8E-9A61-2C4B7F0D9E13}
AppName=ffmot
AppVersion={#AppVersion}
AppVerName=ffmot {#AppVersion}
AppPublisher=Functional Fitness MOT
VersionInfoVersion={#AppVersion}
; Per-user by default, no administrator rights: {autopf} is then {localappdata}\Programs.
PrivilegesRequired=lowest
; ...and IT may still install machine-wide: /ALLUSERS on the command line, or the dialog.
PrivilegesRequiredOverridesAllowed=commandline dialog
DefaultDirName={autopf}\ffmot
DefaultGroupName=ffmot
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=ffmot-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\ffmot-gui.exe
UninstallDisplayName=ffmot {#AppVersion}
CloseApplications=yes
RestartApplications=no
; A code-signing certificate, if the build machine has one (see build.ps1):
; SignTool=ffmotsign $f

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade must not leave an older version's libraries beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\ffmot"; Filename: "{app}\ffmot-gui.exe"; WorkingDir: "{userdocs}"
Name: "{autodesktop}\ffmot"; Filename: "{app}\ffmot-gui.exe"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Run]
Filename: "{app}\ffmot-gui.exe"; Description: "{cm:LaunchProgram,ffmot}"; Flags: nowait postinstall skipifsilent
