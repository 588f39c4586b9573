"""The frozen app's entry point (packaging/ffmot.spec): the same as the `ffmot` command."""

from ffmot.app import main

if __name__ == "__main__":
    raise SystemExit(main())
