# Builds ffmot for Windows: the PyInstaller one-folder app (dist\ffmot\ffmot.exe and
# ffmot-gui.exe) and the per-user installer (dist\ffmot-VERSION-setup.exe).
# Run on a Windows 10/11 x64 build machine from the repository's top folder:
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#
# Needs: Python 3.11 x64 (python.org, "py" launcher) and Inno Setup 6.3+ (ISCC.exe on PATH or in
# its default folder). NOT built or tested on the Linux machines where ffmot is developed; only
# the Linux bundle is (make dist dist-check).
# Signing: set $env:FFMOT_SIGNTOOL to a signtool command line ending in the file to sign, e.g.
#   signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /a
# and the two programs and the installer are signed.

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest
$root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $root

function Run($exe, [string[]]$argv) {
    & $exe @argv
    if ($LASTEXITCODE -ne 0) { throw "$exe $($argv -join ' ') failed ($LASTEXITCODE)" }
}

$version = (Select-String -Path ffmot\__init__.py -Pattern '__version__ = "(.+)"').Matches[0].Groups[1].Value
Write-Host "ffmot $version"

# A build venv: the runtime exactly as locked (hashes checked), then the build tools.
$venv = Join-Path $root "build\venv-windows"
if (Test-Path $venv) { Remove-Item -Recurse -Force $venv }
Run py @("-3.11", "-m", "venv", $venv)
$py = Join-Path $venv "Scripts\python.exe"
Run $py @("-m", "pip", "install", "--quiet", "--upgrade", "pip")
Run $py @("-m", "pip", "install", "--quiet", "--require-hashes", "-r", "requirements\windows.txt")
Run $py @("-m", "pip", "install", "--quiet", "--no-deps", ".")
Run $py @("-m", "pip", "install", "--quiet", "-c", "constraints.txt",
          "pyinstaller", "pyinstaller-hooks-contrib", "pefile", "pywin32-ctypes", "altgraph")

# The icon, from the SVG the app uses (PyInstaller turns a PNG into an .ico with Pillow).
$icon = Join-Path $root "build\ffmot-icon.png"
Run $py @("packaging\make_icon.py", $icon)
$env:FFMOT_ICON = $icon

Run $py @("-m", "PyInstaller", "--noconfirm", "--clean", "--distpath", "dist",
          "--workpath", "build\pyinstaller", "packaging\ffmot.spec")

# A quick look that it runs at all, with no Python on PATH.
$out = & dist\ffmot\ffmot.exe --version
if ($LASTEXITCODE -ne 0 -or $out -ne "ffmot $version") { throw "dist\ffmot\ffmot.exe --version: $out" }
& dist\ffmot\ffmot.exe score --test grip --sex female --age 70 --value 22 --json | Out-Null
if ($LASTEXITCODE -ne 0) { throw "dist\ffmot\ffmot.exe score failed" }

function Sign($file) {
    if ($env:FFMOT_SIGNTOOL) {
        $parts = $env:FFMOT_SIGNTOOL -split ' '
        Run $parts[0] (@($parts[1..($parts.Length - 1)]) + @($file))
    }
}
Sign "dist\ffmot\ffmot.exe"
Sign "dist\ffmot\ffmot-gui.exe"

$iscc = (Get-Command ISCC.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
if (-not (Test-Path $iscc)) { throw "Inno Setup 6 (ISCC.exe) not found" }
Run $iscc @("/DAppVersion=$version", "packaging\windows\ffmot.iss")
$setup = "dist\ffmot-$version-setup.exe"
Sign $setup
Write-Host "built $setup"
Write-Host "silent per-user install: $setup /VERYSILENT /SUPPRESSMSGBOXES /NORESTART"
