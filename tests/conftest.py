import os

# Qt (later) must never look for a display; set before anything imports it.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
