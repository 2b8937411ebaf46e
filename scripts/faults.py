#!/usr/bin/env python3
"""Fault injection against the built clip-tui (Python standard library, tmux; root for the
tmpfs and read-only trials). Prints one table row per fault: trials, what survived, and
what the next run reported.

  swift build -c release && python3 scripts/faults.py [--trials-scale 1.0] [--only NAME]

Faults:
  cache-kill      SIGKILL at a random moment of `embed` (model load, encoding, batch insert)
                  into a cache that holds two models; then both models' scores are checked
                  against scores computed with no cache at all
  cache-full      the cache on a tmpfs too small for it (16 KiB to 256 KiB)
  cache-readonly  the cache file and folder read-only (run as nobody)
  cache-corrupt   1 to 8 random pages of the cache overwritten with noise or zeros
  session-kill    SIGKILL while typing in a session (autosave 0.3 s after each edit)
  session-full    the session file and an export on a full tmpfs
  terminal        SIGINT, SIGTERM, SIGHUP, a SIGWINCH storm, a crash on the encoder thread:
                  `stty -g` before and after, in tmux
  model-replaced  the model's weights replaced under a running session
"""
import argparse, json, os, random, shutil, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "clip-tui")
DEMO = os.path.join(ROOT, "Models", "clip-demo")
TINY = os.path.join(ROOT, "Tests", "CLIPTests", "Fixtures", "clip-tiny", "model")
IMAGES = os.path.join(ROOT, "Images", "demo")
MORE = os.path.join(ROOT, "Tests", "ImagingTests", "Fixtures", "pngsuite")
LABELS = os.path.join(ROOT, "Prompts", "demo-labels.txt")
TEMPLATES = os.path.join(ROOT, "Prompts", "demo-templates-good.txt")
rng = random.Random(1)
rows = []


def run(args, user=None, env=None, timeout=120):
    cmd = [BIN] + args
    if user:
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + cmd
    e = dict(os.environ, **(env or {}))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)


def scores(model, images, cache=None, user=None):
    args = ["eval", "--model", model, "--images", images, "--labels", LABELS, "--templates", TEMPLATES, "--format", "json"]
    args += ["--cache", cache] if cache else ["--no-cache"]
    r = run(args, user=user)
    if r.returncode != 0:
        return None, r.stderr
    out = json.loads(r.stdout)
    return {i["path"]: i["probs"] for i in out["images"]}, r.stderr


def same(a, b, tol=1e-5):
    return a is not None and b is not None and a.keys() == b.keys() and all(
        all(abs(x - y) <= tol for x, y in zip(a[k], b[k])) for k in a)


def row(name, trials, survived, notes):
    rows.append((name, trials, survived, notes))
    print(f"{name:16} {trials:5} trials  {survived:5} survived  {notes}", flush=True)


REFERENCE = {}


def reference(model, images):
    key = (model, images)
    if key not in REFERENCE:
        REFERENCE[key], err = scores(model, images)
        assert REFERENCE[key] is not None, err
    return REFERENCE[key]


def base_cache(path):
    """A cache holding both models' embeddings of the demo images."""
    for m in (DEMO, TINY):
        r = run(["embed", IMAGES, "--model", m, "--cache", path])
        assert r.returncode == 0, r.stderr


def check_all(cache, user=None):
    """Both models, both folders, against the no-cache reference; returns (ok, stderr)."""
    errs = []
    for m in (DEMO, TINY):
        for imgs in (IMAGES, MORE):
            got, err = scores(m, imgs, cache, user=user)
            errs.append(err)
            if not same(got, reference(m, imgs)):
                return False, "".join(errs)
    return True, "".join(errs)


def cache_kill(n):
    work = tempfile.mkdtemp(prefix="faults-kill-")
    base = os.path.join(work, "base.sqlite")
    base_cache(base)
    t0 = time.time()
    run(["embed", MORE, "--model", DEMO, "--cache", os.path.join(work, "timing.sqlite")])
    duration = time.time() - t0
    ok = 0
    notes = {}
    for i in range(n):
        cache = os.path.join(work, f"c{i}.sqlite")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(base + suffix):
                shutil.copy(base + suffix, cache + suffix)
        model = (DEMO, TINY)[i % 2]
        p = subprocess.Popen([BIN, "embed", MORE, "--model", model, "--cache", cache], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, duration * 1.1))
        p.send_signal(signal.SIGKILL)
        p.wait()
        good, err = check_all(cache)
        ok += good
        for line in err.splitlines():
            if "cache" in line:
                notes[line.split(":")[-1].strip()[:60]] = notes.get(line.split(":")[-1].strip()[:60], 0) + 1
        for f in os.listdir(work):
            if f.startswith(f"c{i}.sqlite"):
                os.remove(os.path.join(work, f))
    shutil.rmtree(work)
    row("cache-kill", n, ok, f"SIGKILL within the first {duration * 1.1:.1f} s of embed; scores of both models equal the no-cache scores; reports: {notes or 'none needed'}")


def mount_tmpfs(size):
    d = tempfile.mkdtemp(prefix="faults-tmpfs-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", d], check=True)
    return d


def cache_full(n):
    sizes = ["16k", "32k", "64k", "128k", "256k"]
    ok = 0
    reported = 0
    for i in range(n):
        d = mount_tmpfs(sizes[i % len(sizes)])
        try:
            cache = os.path.join(d, "c.sqlite")
            good, err = check_all(cache)
            ok += good
            reported += ("full" in err or "cache" in err)
        finally:
            subprocess.run(["umount", d])
            os.rmdir(d)
    row("cache-full", n, ok, f"tmpfs of 16–256 KiB; scores right every time, the cache trouble said on stderr in {reported}")


def cache_readonly(n):
    ok = 0
    said = 0
    for i in range(n):
        work = tempfile.mkdtemp(prefix="faults-ro-")
        os.chmod(work, 0o755)
        cache = os.path.join(work, "c.sqlite")
        base_cache(cache)
        run(["cache", "stats", "--cache", cache])  # checkpoint the WAL
        for f in os.listdir(work):
            os.chmod(os.path.join(work, f), 0o444)
        os.chmod(work, 0o555)
        good, err = check_all(cache, user="nobody")
        ok += good
        said += "reading it only" in err or "running without the cache" in err
        os.chmod(work, 0o755)
        shutil.rmtree(work)
    row("cache-readonly", n, ok, f"file 0444 in a 0555 folder, run as nobody; read-only use said in {said}")


def cache_corrupt(n):
    work = tempfile.mkdtemp(prefix="faults-corrupt-")
    base = os.path.join(work, "base.sqlite")
    base_cache(base)
    run(["embed", MORE, "--model", DEMO, "--cache", base])
    run(["cache", "stats", "--cache", base])
    for suffix in ("-wal", "-shm"):
        if os.path.exists(base + suffix):
            os.remove(base + suffix)
    size = os.path.getsize(base)
    pages = size // 4096
    ok = 0
    outcomes = {"rebuilt": 0, "rows dropped": 0, "not noticed, nothing wrong served": 0}
    for i in range(n):
        cache = os.path.join(work, f"c{i}.sqlite")
        data = bytearray(open(base, "rb").read())
        for _ in range(rng.choice([1, 1, 2, 8])):
            p = rng.randrange(pages)
            data[p * 4096:(p + 1) * 4096] = bytes(4096) if rng.random() < 0.3 else os.urandom(4096)
        open(cache, "wb").write(data)
        good, err = check_all(cache)
        ok += good
        if "moved to" in err:
            outcomes["rebuilt"] += 1
        elif "damaged cache entries" in err:
            outcomes["rows dropped"] += 1
        else:
            outcomes["not noticed, nothing wrong served"] += 1
        for f in os.listdir(work):
            if f.startswith(f"c{i}.sqlite"):
                os.remove(os.path.join(work, f))
    shutil.rmtree(work)
    row("cache-corrupt", n, ok, f"{pages} pages; outcomes {outcomes}")


class Tmux:
    def __init__(self):
        self.socket = f"clip-tui-faults-{os.getpid()}"

    def __call__(self, *args):
        return subprocess.run(["tmux", "-L", self.socket] + list(args), capture_output=True, text=True).stdout

    def screen(self):
        return self("capture-pane", "-p", "-t", "f")

    def wait(self, cond, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            s = self.screen()
            if cond(s):
                return s
            time.sleep(0.1)
        return None

    def kill(self):
        self("kill-server")


def session_command(work, extra="", env=""):
    return (f"stty -g > {work}/stty.before; {env} {BIN} session --model {DEMO} --images {IMAGES} --labels {LABELS} "
            f"--templates {TEMPLATES} --session {work}/session.json --cache {work}/cache.sqlite {extra}; "
            f"echo EXIT=$? > {work}/exit; stty -g > {work}/stty.after; echo CLIP-TUI-EXITED; sleep 600")


def pid_of_session(work):
    """The clip-tui process itself (not the shell tmux runs it in)."""
    out = subprocess.run(["pgrep", "-f", "--", f"--session {work}/session.json"], capture_output=True, text=True).stdout.split()
    pids = []
    for p in out:
        try:
            if os.readlink(f"/proc/{p}/exe").endswith("clip-tui"):
                pids.append(int(p))
        except OSError:
            pass
    return pids


def session_kill(n):
    ok = 0
    lost_window = [0.0]
    for i in range(n):
        work = tempfile.mkdtemp(prefix="faults-session-")
        t = Tmux()
        try:
            t("new-session", "-d", "-s", "f", "-x", "120", "-y", "36", session_command(work))
            t.wait(lambda s: "scored in" in s)
            t("send-keys", "-t", "f", "Enter")
            typed, times = "", []
            deadline = time.time() + rng.uniform(0.2, 2.0)
            while time.time() < deadline:
                ch = rng.choice("abcdefgh ")
                typed += ch
                t("send-keys", "-t", "f", "-l", ch)
                times.append(time.time())
                time.sleep(rng.uniform(0.01, 0.15))
            for pid in pid_of_session(work):
                os.kill(pid, signal.SIGKILL)
            killed = time.time()
            time.sleep(0.3)
            path = f"{work}/session.json"
            doc = json.load(open(path)) if os.path.exists(path) else None
            # Intact: it parses, and its first template is the original plus a prefix of
            # what was typed (the last complete autosave).
            first = doc["templates_a"][0] if doc else None
            original = open(TEMPLATES).read().splitlines()
            original = [l for l in original if l.strip() and not l.startswith("#")][0]
            if doc is None:
                # Killed before the first autosave: nothing was on disk to lose.
                ok += not os.path.exists(path)
                print(f"  session-kill trial {i}: no session file yet (typed {len(typed)} keys)", file=sys.stderr)
            elif first.startswith(original) and typed.startswith(first[len(original):]):
                ok += 1
                kept = len(first) - len(original)
                if kept < len(typed):
                    lost_window[0] = max(lost_window[0], killed - times[kept])
            else:
                print(f"  session-kill trial {i}: saved {first!r}, typed {typed!r}", file=sys.stderr)
            tmp = [f for f in os.listdir(work) if f.endswith(".tmp")]
        finally:
            t.kill()
            shutil.rmtree(work, ignore_errors=True)
    row("session-kill", n, ok, f"SIGKILL 0.2–2 s into typing; session.json parses and holds a prefix of the typing; the keys lost were all typed in the last {lost_window[0]:.2f} s")


def session_full(n):
    ok = 0
    said = 0
    for i in range(n):
        d = mount_tmpfs("64k")
        work = tempfile.mkdtemp(prefix="faults-sfull-")
        t = Tmux()
        try:
            sess = os.path.join(d, "session.json")
            export = os.path.join(d, "export.json")
            t("new-session", "-d", "-s", "f", "-x", "120", "-y", "36",
              session_command(work).replace(f"--session {work}/session.json", f"--session {sess}"))
            t.wait(lambda s: "scored in" in s)
            t("send-keys", "-t", "f", "Enter"); t("send-keys", "-t", "f", "-l", " v1"); t("send-keys", "-t", "f", "Escape")
            time.sleep(1.0)
            t("send-keys", "-t", "f", "e"); t.wait(lambda s: "export to:" in s)
            t("send-keys", "-t", "f", "C-u"); t("send-keys", "-t", "f", "-l", export); t("send-keys", "-t", "f", "Enter")
            t.wait(lambda s: "exported to" in s)
            before_session = open(sess).read()
            before_export = open(export).read()
            # Fill the disk, then edit and export again.
            fd = os.open(os.path.join(d, "filler"), os.O_WRONLY | os.O_CREAT)
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError:
                pass
            os.close(fd)
            t("send-keys", "-t", "f", "Enter"); t("send-keys", "-t", "f", "-l", " v2" * 200); t("send-keys", "-t", "f", "Escape")
            s1 = t.wait(lambda s: "cannot write" in s or "No space" in s, timeout=5)
            t("send-keys", "-t", "f", "e"); t.wait(lambda s: "export to:" in s)
            t("send-keys", "-t", "f", "C-u"); t("send-keys", "-t", "f", "-l", export); t("send-keys", "-t", "f", "Enter")
            s2 = t.wait(lambda s: "cannot write" in s or "No space" in s, timeout=5)
            said += bool(s1) + bool(s2)
            intact = json.loads(open(sess).read()) == json.loads(before_session) and open(export).read() == before_export
            leftovers = [f for f in os.listdir(d) if f.endswith(".tmp")]
            t("send-keys", "-t", "f", "q")
            t.wait(lambda s: "CLIP-TUI-EXITED" in s, timeout=10)
            ok += intact and not leftovers
        finally:
            t.kill()
            subprocess.run(["umount", d]); os.rmdir(d)
            shutil.rmtree(work, ignore_errors=True)
    row("session-full", n, ok, f"64 KiB tmpfs filled after a first autosave and export; both files intact, no temp files left; the failure shown on screen {said}/{2 * n} times")


def terminal(n):
    cases = [("SIGINT", signal.SIGINT), ("SIGTERM", signal.SIGTERM), ("SIGHUP", signal.SIGHUP), ("SIGWINCH storm", None), ("encoder crash", "crash")]
    results = {}
    for name, sig in cases:
        ok = 0
        for i in range(n):
            work = tempfile.mkdtemp(prefix="faults-term-")
            t = Tmux()
            try:
                env = "CLIP_TUI_FAULT=crash-encoder" if sig == "crash" else ""
                t("new-session", "-d", "-s", "f", "-x", "120", "-y", "36", session_command(work, env=env))
                if sig == "crash":
                    # Typing asks the encoder thread for new prompts: it crashes there.
                    t.wait(lambda s: "scored in" in s)
                    t("send-keys", "-t", "f", "Enter"); t("send-keys", "-t", "f", "-l", " crash-now")
                elif sig is None:
                    t.wait(lambda s: "scored in" in s)
                    pids = pid_of_session(work)
                    for k in range(300):
                        if k % 10 == 0:
                            t("resize-window", "-t", "f", "-x", str(rng.randint(60, 160)), "-y", str(rng.randint(15, 50)))
                        for pid in pids:
                            os.kill(pid, signal.SIGWINCH)
                    t("resize-window", "-t", "f", "-x", "120", "-y", "36")
                    alive = t.wait(lambda s: "scored in" in s, timeout=10) is not None
                    t("send-keys", "-t", "f", "q")
                else:
                    t.wait(lambda s: "scored in" in s)
                    for pid in pid_of_session(work):
                        os.kill(pid, sig)
                done = t.wait(lambda s: "CLIP-TUI-EXITED" in s, timeout=20)
                before = open(f"{work}/stty.before").read() if os.path.exists(f"{work}/stty.before") else "?"
                after = open(f"{work}/stty.after").read() if os.path.exists(f"{work}/stty.after") else "!"
                good = done is not None and before == after
                if sig is None:
                    good = good and alive
                if sig == "crash":
                    # It must have died of the crash (not exited cleanly) and still restored.
                    good = good and "EXIT=0" not in open(f"{work}/exit").read()
                ok += good
            finally:
                t.kill()
                shutil.rmtree(work, ignore_errors=True)
        results[name] = ok
    row("terminal", n * len(cases), sum(results.values()), "stty -g equal before and after: " + ", ".join(f"{k} {v}/{n}" for k, v in results.items()))


def model_replaced(n):
    ok = 0
    for i in range(n):
        work = tempfile.mkdtemp(prefix="faults-model-")
        t = Tmux()
        try:
            model = os.path.join(work, "model")
            shutil.copytree(DEMO, model)
            t("new-session", "-d", "-s", "f", "-x", "120", "-y", "36",
              session_command(work).replace(f"--model {DEMO}", f"--model {model}"))
            t.wait(lambda s: "scored in" in s)
            # "Retrained" weights: every 4 KiB of the data changed, header kept; written to a
            # temporary name and renamed over, as a training script saving would.
            data = bytearray(open(os.path.join(model, "model.safetensors"), "rb").read())
            start = 8 + int.from_bytes(data[:8], "little")
            for k in range(start + 1024, len(data), 4096):
                data[k] ^= 0x01
            open(os.path.join(model, "new.tmp"), "wb").write(data)
            os.rename(os.path.join(model, "new.tmp"), os.path.join(model, "model.safetensors"))
            # An edit makes the engine look (it checks at most once a second).
            time.sleep(1.2)
            t("send-keys", "-t", "f", "Enter"); t("send-keys", "-t", "f", "-l", " again"); t("send-keys", "-t", "f", "Escape")
            seen = t.wait(lambda s: "model changed on disk" in s, timeout=10) is not None
            t("send-keys", "-t", "f", "q")
            t.wait(lambda s: "CLIP-TUI-EXITED" in s, timeout=10)
            # The cache now holds embeddings under two fingerprints, never one model's under the other.
            r = run(["eval", "--model", model, "--images", IMAGES, "--labels", LABELS, "--templates", TEMPLATES,
                     "--cache", f"{work}/cache.sqlite", "--format", "json"])
            fresh = run(["eval", "--model", model, "--images", IMAGES, "--labels", LABELS, "--templates", TEMPLATES,
                         "--no-cache", "--format", "json"])
            stats = run(["cache", "stats", "--cache", f"{work}/cache.sqlite"]).stdout
            a = {x["path"]: x["probs"] for x in json.loads(r.stdout)["images"]}
            b = {x["path"]: x["probs"] for x in json.loads(fresh.stdout)["images"]}
            if not (seen and same(a, b) and stats.count("model ") == 2):
                print(f"  model-replaced trial {i}: seen {seen}, same {same(a, b)}, stats {stats!r}", file=sys.stderr)
            ok += seen and same(a, b) and stats.count("model ") == 2
        finally:
            t.kill()
            shutil.rmtree(work, ignore_errors=True)
    row("model-replaced", n, ok, "weights renamed over under a running session: the screen says so; afterwards the new weights' scores from the cache equal fresh ones (two fingerprints in the cache)")


FAULTS = {"cache-kill": (cache_kill, 40), "cache-full": (cache_full, 10), "cache-readonly": (cache_readonly, 3),
          "cache-corrupt": (cache_corrupt, 40), "session-kill": (session_kill, 15), "session-full": (session_full, 3),
          "terminal": (terminal, 3), "model-replaced": (model_replaced, 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials-scale", type=float, default=1.0)
    ap.add_argument("--only", action="append")
    a = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: swift build -c release")
    for name, (fn, n) in FAULTS.items():
        if a.only and name not in a.only:
            continue
        fn(max(1, int(n * a.trials_scale)))
    print("\n| fault | trials | survived | notes |\n| --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |")


if __name__ == "__main__":
    main()
