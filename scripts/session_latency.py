#!/usr/bin/env python3
"""Keystroke latency of the real session in tmux, at ImageNet scale (issue 23's goals).

Builds a folder of 1,000 labelled images (one per ImageNet class name, copies of the demo
pictures: the figures are about time, not accuracy), opens `clip-tui session` on it with
ImageNet's names, OpenAI's 80 templates as A and its 7 as B, in a tmux window of the given
size, waits for the cold open to settle, then types keys inside A's first template ("a bad
|photo of a {}.": every key changes every class's prompt) and reads the screen:

- first scores: the typed text is on screen and the status reads "scored in" again (the
  engine's first stage is in; "scoring…" or "encoding N/M" before it);
- settled: also the bootstrap interval ("[…]" until then) and the edited line's figures
  (a "…" until then) are in.

Then a burst of six keys 100 ms apart: last key to settled. The screen is read every 10 ms
through one tmux client in control mode (`tmux -C`): a `tmux capture-pane` process per
read cost enough CPU to slow the session it measured on a 2-core machine.

    python3 scripts/session_latency.py --threads 1 [--keys 8] [--size 80x24] [--work DIR]

Prints JSON. OPENBLAS_CORETYPE and the like pass through from the environment.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tmux(socket, *args):
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, check=True).stdout


class Control:
    """One tmux client in control mode: commands in, their output between %begin and %end."""

    def __init__(self, socket):
        self.p = subprocess.Popen(
            ["tmux", "-L", socket, "-C", "attach", "-t", "s"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def run(self, command):
        self.p.stdin.write(command + "\n")
        self.p.stdin.flush()
        out, inside = [], False
        for line in self.p.stdout:
            if line.startswith("%begin"):
                inside, out = True, []
            elif line.startswith("%end") or line.startswith("%error"):
                if inside:
                    return "".join(out)
            elif inside:
                out.append(line)
        raise SystemExit("tmux control client ended")

    def close(self):
        self.p.kill()


def make_images(folder):
    labels = [l.strip() for l in open(os.path.join(ROOT, "Prompts/imagenet-labels.txt")) if l.strip() and not l.startswith("#")]
    demo = sorted(
        os.path.join(r, f) for r, _, fs in os.walk(os.path.join(ROOT, "Images/demo")) for f in fs
        if f.lower().endswith((".png", ".jpg", ".jpeg")))
    for i, name in enumerate(labels):
        d = os.path.join(folder, name.replace("/", " "))
        os.makedirs(d, exist_ok=True)
        src = demo[i % len(demo)]
        dst = os.path.join(d, "0" + os.path.splitext(src)[1])
        if not os.path.exists(dst):
            shutil.copy(src, dst)
    return len(os.listdir(folder))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keys", type=int, default=12)
    ap.add_argument("--size", default="80x24")
    ap.add_argument("--work", help="folder for the images (kept for the next run), the cache and the session state (made afresh)")
    ap.add_argument("--no-cache", action="store_true", help="run the session without its embedding cache")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/clip-tui"))
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="clip-tui-latency-")
    images = os.path.join(work, "images")
    os.makedirs(images, exist_ok=True)
    count = make_images(images)
    # A fresh cache and session each run: a second run's keys would find the first run's
    # prompts cached. (The images' embeddings are few: 80 distinct pictures.)
    for stale in ("cache.sqlite", "cache.sqlite-wal", "cache.sqlite-shm"):
        if os.path.exists(os.path.join(work, stale)):
            os.remove(os.path.join(work, stale))
    shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)
    width, height = args.size.split("x")
    socket = f"latency-{os.getpid()}"
    command = (
        f"cd '{ROOT}' && XDG_STATE_HOME='{work}/state' '{args.binary}' session --threads {args.threads} "
        + ("--no-cache " if args.no_cache else f"--cache '{work}/cache.sqlite' ") + f"--images '{images}' --labels Prompts/imagenet-labels.txt "
        f"--templates Prompts/imagenet-templates-80.txt --templates-b Prompts/imagenet-templates-7.txt")
    tmux(socket, "new-session", "-d", "-s", "s", "-x", width, "-y", height, command)
    time.sleep(0.5)
    control = Control(socket)
    screen = lambda: control.run("capture-pane -p -t s")
    keys = lambda *k: control.run("send-keys -t s " + " ".join(k))
    try:
        start = time.monotonic()

        def wait(condition, timeout=600):
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                s = screen()
                if condition(s):
                    return s
                time.sleep(0.01)
            raise SystemExit("timed out; screen:\n" + screen())

        def line_with(s, text):
            # A long line is cut at the pane's edge: its start is matched.
            return next((l for l in s.splitlines() if text[:30] in l), None)

        def first_in(s, text):
            return line_with(s, text) is not None and "scored in" in s and "scoring" not in s and "encoding" not in s

        def settled(s, text):
            line = line_with(s, text)
            return first_in(s, text) and "[…]" not in s and line is not None and not line.rstrip("│ ").endswith("…")

        wait(lambda s: settled(s, "a bad photo of a {}."))
        opened = time.monotonic() - start
        keys("Enter")
        time.sleep(0.3)
        keys("Home")
        for _ in range(6):
            keys("Right")
        time.sleep(0.3)
        typed = ""
        first, last = [], []
        for i in range(args.keys):
            # Real words, as a person types them: each key changes the token at the edit
            # point (a made-up word's leading BPE pieces would stay and be reused).
            key = "very old and "[i % 13]
            typed += key
            text = f"a bad {typed}photo of a {{}}."
            t0 = time.monotonic()
            keys("-l", "'" + key + "'")
            got_first = None
            while True:
                s = screen()
                now = time.monotonic() - t0
                if got_first is None and first_in(s, text):
                    got_first = now
                if settled(s, text):
                    first.append(1000 * (got_first if got_first is not None else now))
                    last.append(1000 * now)
                    break
                if now > 60:
                    raise SystemExit("a key did not settle in 60 s; screen:\n" + s)
                time.sleep(0.01)
            time.sleep(0.2)
        # A burst: six keys 100 ms apart, the last one's settled scores.
        burst = " small"
        for key in burst:
            keys("-l", "'" + key + "'")
            t_last = time.monotonic()
            time.sleep(0.1)
        typed += burst
        text = f"a bad {typed}photo of a {{}}."
        s = wait(lambda s: settled(s, text), timeout=60)
        burst_ms = 1000 * (time.monotonic() - t_last)
        status = (line_with(s, "scored in") or "").strip()
        keys("Escape")
        report = {
            "threads": args.threads, "size": args.size, "images": count, "keys": args.keys,
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
            "open_settled_s": round(opened, 1),
            "first_ms": [round(x) for x in first], "settled_ms": [round(x) for x in last],
            "first_ms_median": round(statistics.median(first)), "settled_ms_median": round(statistics.median(last)),
            "burst_last_key_settled_ms": round(burst_ms), "last_status": status,
        }
        print(json.dumps(report, indent=1))
    finally:
        control.close()
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
