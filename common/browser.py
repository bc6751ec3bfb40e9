"""The distribution's Chromium, driven by Playwright (never a browser Playwright downloads);
the flags keep it from calling out to a network this machine does not have."""
import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
