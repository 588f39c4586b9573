#!/usr/bin/env bash
# Builds ffmot for macOS: dist/ffmot.app (the desktop app; the command line is
# ffmot.app/Contents/MacOS/ffmot) and dist/ffmot-VERSION-macos.dmg.
# Run on a Mac (Apple silicon, macOS 13 or newer: PySide6 6.11's oldest) from the repository's
# top folder:   bash packaging/macos/build.sh
#
# Needs: Python 3.11 (python.org's universal installer, or Homebrew's python@3.11) as python3.11.
# NOT built or tested on the Linux machines where ffmot is developed; only the Linux bundle is
# (make dist dist-check).
# Signing and notarising: set FFMOT_CODESIGN_IDENTITY ("Developer ID Application: ...") and, to
# notarise, FFMOT_NOTARY_PROFILE (a `xcrun notarytool store-credentials` profile).
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' ffmot/__init__.py)
echo "ffmot $version"

venv=build/venv-macos
rm -rf "$venv"
python3.11 -m venv "$venv"
py="$venv/bin/python"
"$py" -m pip install --quiet --upgrade pip
# The runtime exactly as locked (hashes checked), then ffmot itself and the build tools.
"$py" -m pip install --quiet --require-hashes -r requirements/macos.txt
"$py" -m pip install --quiet --no-deps .
"$py" -m pip install --quiet -c constraints.txt pyinstaller pyinstaller-hooks-contrib macholib altgraph

# The icon, from the SVG the app uses (PyInstaller turns a PNG into an .icns with Pillow).
"$py" packaging/make_icon.py build/ffmot-icon.png
export FFMOT_ICON="$PWD/build/ffmot-icon.png"

"$py" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
  packaging/ffmot.spec

app=dist/ffmot.app
test "$(defaults read "$PWD/$app/Contents/Info" CFBundleIdentifier)" = uk.ac.gcu.ffmot
out=$("$app/Contents/MacOS/ffmot" --version)
test "$out" = "ffmot $version" || { echo "ffmot --version said: $out" >&2; exit 1; }
"$app/Contents/MacOS/ffmot" score --test grip --sex female --age 70 --value 22 --json >/dev/null

if [ -n "${FFMOT_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp \
    --sign "$FFMOT_CODESIGN_IDENTITY" "$app"
  codesign --verify --strict --verbose=2 "$app"
fi

dmg="dist/ffmot-$version-macos.dmg"
rm -f "$dmg"
hdiutil create -volname "ffmot $version" -srcfolder "$app" -ov -format UDZO "$dmg"
if [ -n "${FFMOT_CODESIGN_IDENTITY:-}" ] && [ -n "${FFMOT_NOTARY_PROFILE:-}" ]; then
  codesign --sign "$FFMOT_CODESIGN_IDENTITY" --timestamp "$dmg"
  xcrun notarytool submit "$dmg" --keychain-profile "$FFMOT_NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
fi
echo "built $app and $dmg"
