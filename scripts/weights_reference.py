#!/usr/bin/env python3
"""A numpy reference for template weights, the fitted temperature and the reliability bins.

Builds a small fixture (8-dimensional unit embeddings, 4 classes, 7 templates of which two
are harmful: one's prompt for each class points at the next class; the other names one
wrong class in every prompt; 100 labelled images, 60 reference images), runs the same computations as clip-tui's
ScoringCore in float64 numpy, and writes inputs and results to
Tests/ScoringTests/Fixtures/weights/reference.json, which TemplateWeightsTests compares
against to 1e-6.

What it computes (the Swift side's doc comments give the reasons):
- the weighted ensemble: class vector sum_t w_t u_tc normalised, u_tc the sum of template
  t's prompt embeddings for class c (WeightedEnsemble);
- `fit` weights: L-BFGS on theta with w = softmax(theta), from equal weights, with the
  same line search and stops (WeightFitter), on k folds dealt out by SplitMix64 keys
  (CrossValidationFolds), and on every image;
- the fitted temperature: Newton's method in beta = 1/T inside a bracket, bisecting
  geometrically when a step leaves it (TemperatureFit), softmax and sigmoid;
- the reliability bins and ECE of the equal-weight scores (Metrics, 15 equal-width bins);
- ZPE weights (ZeroShotPromptWeights), with and without the reference images.

Usage: python3 scripts/weights_reference.py [OUT]   (numpy only)
"""
import json
import sys
from pathlib import Path

import numpy as np

M64 = (1 << 64) - 1
SCALE = 10.0
SIGMOID_BIAS = -5.0
FOLDS = 5
SEED = 7
BINS = 15


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        yield z ^ (z >> 31)


def folds(n, k, seed):
    gen = splitmix64(seed)
    keys = [next(gen) for _ in range(n)]
    order = sorted(range(n), key=lambda i: (keys[i], i))
    k = max(1, min(k, n))
    fold = [0] * n
    for rank, item in enumerate(order):
        fold[item] = rank % k
    return fold, k


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def make_fixture():
    rng = np.random.RandomState(2026)
    d, classes = 8, ["cat", "dog", "ship", "tree"]
    templates = ["a photo of a {}.", "a {}.", "art of the {}.", "a sketch of a {}.", "a toy {}.", "not a {} at all."]
    harmful = 5
    k = len(classes)
    mu = unit(rng.randn(k, d))
    offsets = [0.35, 0.5, 0.6, 0.7, 0.8, 0.3]
    prompts = {}
    for t, template in enumerate(templates):
        shift = rng.randn(d) * 0.3
        for c, name in enumerate(classes):
            target = mu[(c + 1) % k] if t == harmful else mu[c]
            e = unit(target + shift + rng.randn(d) * offsets[t])
            prompts[template.replace("{}", name)] = e.astype(np.float32)
    n = 100
    truth = rng.randint(0, k, size=n)
    images = unit(mu[truth] + rng.randn(n, d) * 0.9).astype(np.float32)
    # A second planted template names one wrong class in every prompt ("a cat or a {}"):
    # its prompts lean towards the first class, with a weak, noisy trace of their own.
    # ZPE, reading no truth, finds this one (its prompts separate the images less); the
    # first (each class swapped for the next, one to one) it cannot see as such, since
    # ZPE's scores do not change when classes are relabelled. Drawn from a second
    # generator so the inputs above stay as they were.
    rng2 = np.random.RandomState(2027)
    named = "a cat or a {}."
    templates.append(named)
    for c, name in enumerate(classes):
        e = unit(0.8 * mu[0] + 0.4 * mu[c] + rng2.randn(d) * 0.8)
        prompts[named.replace("{}", name)] = e.astype(np.float32)
    # Images standing for the pre-training data: any class, more spread, some off every class.
    m = 60
    reference = unit(np.vstack([mu[rng2.randint(0, k, size=m // 2)] + rng2.randn(m // 2, d) * 1.5, rng2.randn(m - m // 2, d)]))
    return classes, templates, harmful, prompts, images, truth, len(templates) - 1, reference.astype(np.float32)


def zpe(classes, templates, prompts, images, reference, scale):
    """Allingham et al. 2023, Section 3 and Algorithm 2, as the authors' notebook computes
    it (`get_weights`, debias 'both', or 'test' without reference images; `softmax_scores`):
    score_p = mean_x max_c [l(x,p,c) - (E_ref[l] + E_test[l]) / 2], w = softmax(score)."""
    X = images.astype(np.float64)
    scores = []
    for t in templates:
        Z = np.stack([prompts[t.replace("{}", c)].astype(np.float64) for c in classes])
        Z = unit(Z)
        L = scale * X @ Z.T
        mean = L.mean(axis=0)
        if reference is not None:
            mean = 0.5 * (mean + (scale * reference.astype(np.float64) @ Z.T).mean(axis=0))
        scores.append(float((L - mean).max(axis=1).mean()))
    scores = np.array(scores)
    return {"scores": scores.tolist(), "weights": softmax(scores).tolist()}


class Ensemble:
    def __init__(self, classes, templates, prompts, images):
        k, T = len(classes), len(templates)
        d = images.shape[1]
        self.U = np.zeros((T, k, d))
        for t, template in enumerate(templates):
            for c, name in enumerate(classes):
                self.U[t, c] = prompts[template.replace("{}", name)].astype(np.float64)
        X = images.astype(np.float64)
        self.P = np.einsum("xd,tcd->xtc", X, self.U)
        self.G = np.einsum("tcd,ucd->ctu", self.U, self.U)
        self.T, self.k, self.n = T, k, X.shape[0]

    def norms(self, w):
        return np.sqrt(np.maximum(0, np.einsum("t,ctu,u->c", w, self.G, w)))

    def cosines(self, w, rows=None):
        P = self.P if rows is None else self.P[rows]
        N = self.norms(w)
        S = np.einsum("xtc,t->xc", P, w)
        return np.where(N > 0, S / np.where(N > 0, N, 1), 0.0), N

    def objective(self, w, rows, truth, scale, bias):
        cos, N = self.cosines(w, rows)
        y = truth[rows]
        z = scale * cos + (bias or 0.0)
        m = max(1, len(rows))
        onehot = np.zeros_like(z)
        onehot[np.arange(len(rows)), y] = 1
        if bias is None:
            top = z.max(axis=1, keepdims=True)
            lse = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
            loss = (lse - z[np.arange(len(rows)), y]).sum()
            dz = np.exp(z - lse[:, None]) - onehot
        else:
            sp = lambda v: np.where(v > 0, v + np.log1p(np.exp(-np.abs(v))), np.log1p(np.exp(np.minimum(v, 0))))
            loss = np.where(onehot == 1, sp(-z), sp(z)).sum()
            dz = 1 / (1 + np.exp(-z)) - onehot
        r = dz * scale / m
        A = (r * cos).sum(axis=0)
        safe = np.where(N > 0, N, 1)
        rr = np.where(N > 0, r / safe, 0.0)
        g = np.einsum("xc,xtc->t", rr, self.P[rows])
        g -= np.einsum("c,ctu,u->t", np.where(N > 0, A / safe**2, 0.0), self.G, w)
        return loss / m, g


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def fit_weights(e, rows, truth, scale, bias, tolerance=1e-7, max_iterations=300, memory=10):
    """L-BFGS on theta, w = softmax(theta), as WeightFitter.fit does it step for step."""
    theta = np.zeros(e.T)
    w = softmax(theta)
    if e.T <= 1 or len(rows) == 0:
        return w, 0
    f, g = e.objective(w, rows, truth, scale, bias)
    theta_grad = lambda w, g: w * (g - float(w @ g))
    gt = theta_grad(w, g)
    pairs = []
    for iteration in range(max_iterations):
        if np.abs(gt).sum() < tolerance:
            return w, iteration
        q = gt.copy()
        alphas = [0.0] * len(pairs)
        for i in reversed(range(len(pairs))):
            s_i, y_i, rho_i = pairs[i]
            alphas[i] = rho_i * float(s_i @ q)
            q = q - alphas[i] * y_i
        gamma = float(pairs[-1][0] @ pairs[-1][1]) / float(pairs[-1][1] @ pairs[-1][1]) if pairs else 1.0
        r = gamma * q
        for i in range(len(pairs)):
            s_i, y_i, rho_i = pairs[i]
            b = rho_i * float(y_i @ r)
            r = r + s_i * (alphas[i] - b)
        direction = -r
        slope = float(gt @ direction)
        if not slope < 0:
            pairs = []
            direction = -gt
            slope = float(gt @ direction)
        step = 1.0
        accepted = None
        for _ in range(50):
            nxt = theta + step * direction
            wn = softmax(nxt)
            fn, gn = e.objective(wn, rows, truth, scale, bias)
            if fn <= f + 1e-4 * step * slope:
                accepted = (nxt, wn, fn, gn)
                break
            step /= 2
        if accepted is None:
            return w, iteration
        nxt, wn, fn, gn = accepted
        stalled = f - fn < 1e-12 * max(1.0, abs(f))
        gt_next = theta_grad(wn, gn)
        s, y = nxt - theta, gt_next - gt
        sy = float(s @ y)
        if sy > 1e-12 * float(y @ y):
            pairs.append((s, y, 1 / sy))
            if len(pairs) > memory:
                pairs.pop(0)
        theta, w, f, g, gt = nxt, wn, fn, gn, gt_next
        if stalled:
            return w, iteration + 1
    return w, max_iterations


def score(e, w, x, y, scale, bias):
    cos, _ = e.cosines(w, [x])
    cos = cos[0]
    best = int(np.argmax(cos))
    z = scale * cos + (bias or 0.0)
    if bias is None:
        top = z.max()
        nll = top + np.log(np.exp(z - top).sum()) - z[y]
    else:
        sp = lambda v: v + np.log1p(np.exp(-v)) if v > 0 else np.log1p(np.exp(v))
        nll = sum(sp(-z[c]) if c == y else sp(z[c]) for c in range(len(z)))
    return (1.0 if best == y else 0.0), float(nll)


def paired(d):
    d = np.asarray(d, dtype=np.float64)
    mean = d.mean()
    var = d.var(ddof=1) if len(d) > 1 else 0.0
    half = 1.959963984540054 * np.sqrt(var / max(1, len(d)))
    return {"mean": mean, "low": mean - half, "high": mean + half}


def weight_fit(e, truth, scale, bias):
    fold, k = folds(e.n, FOLDS, SEED)
    fitted = [None] * e.n
    fold_weights = []
    for f in range(k):
        train = [i for i in range(e.n) if fold[i] != f]
        test = [i for i in range(e.n) if fold[i] == f]
        w, _ = fit_weights(e, train or test, truth, scale, bias)
        fold_weights.append(w.tolist())
        for x in test:
            fitted[x] = score(e, w, x, truth[x], scale, bias)
    w_all, iterations = fit_weights(e, list(range(e.n)), truth, scale, bias)
    equal = [score(e, np.full(e.T, 1.0 / e.T), x, truth[x], scale, bias) for x in range(e.n)]
    return {
        "weights": w_all.tolist(),
        "iterations": iterations,
        "fold_weights": fold_weights,
        "held_out_top1": float(np.mean([a for a, _ in fitted])),
        "held_out_nll": float(np.mean([b for _, b in fitted])),
        "equal_top1": float(np.mean([a for a, _ in equal])),
        "equal_nll": float(np.mean([b for _, b in equal])),
        "top1_difference": paired([a[0] - b[0] for a, b in zip(fitted, equal)]),
        "nll_difference": paired([a[1] - b[1] for a, b in zip(fitted, equal)]),
    }


def nll_terms(z, y, sigmoid, beta):
    if sigmoid:
        s = np.where(np.arange(len(z)) == y, -z, z)
        p = 1 / (1 + np.exp(-beta * s))
        bs = beta * s
        f = np.where(bs > 0, bs + np.log1p(np.exp(-np.abs(bs))), np.log1p(np.exp(np.minimum(bs, 0)))).sum()
        return f, (s * p).sum(), (s * s * p * (1 - p)).sum()
    bz = beta * z
    top = bz.max()
    e = np.exp(bz - top)
    total = e.sum()
    mean = (e * z).sum() / total
    return top + np.log(total) - beta * z[y], mean - z[y], (e * z * z).sum() / total - mean * mean


def fit_beta(z, truth, rows, sigmoid):
    def derivs(b):
        d1 = d2 = 0.0
        for x in rows:
            _, a, c = nll_terms(z[x], truth[x], sigmoid, b)
            d1 += a
            d2 += c
        return d1, d2

    lo, hi = 1e-4, 1e4
    if derivs(hi)[0] <= 0:
        return hi
    if derivs(lo)[0] >= 0:
        return lo
    beta = 1.0
    for _ in range(200):
        d1, d2 = derivs(beta)
        if d1 > 0:
            hi = beta
        else:
            lo = beta
        nxt = beta - d1 / d2 if d2 > 0 else float("nan")
        if not (lo < nxt < hi):
            nxt = np.sqrt(lo * hi)
        if abs(1 / nxt - 1 / beta) < 1e-10 / beta:
            return nxt
        beta = nxt
    return beta


def mean_nll(z, truth, rows, sigmoid, beta):
    return float(np.mean([nll_terms(z[x], truth[x], sigmoid, beta)[0] for x in rows]))


def temperature_fit(z, truth, sigmoid):
    n = len(truth)
    rows = list(range(n))
    beta = fit_beta(z, truth, rows, sigmoid)
    fold, k = folds(n, FOLDS, SEED)
    total = 0.0
    for f in range(k):
        train = [i for i in rows if fold[i] != f]
        test = [i for i in rows if fold[i] == f]
        b = fit_beta(z, truth, train or test, sigmoid)
        total += mean_nll(z, truth, test, sigmoid, b) * len(test)
    return {
        "temperature": 1 / beta,
        "nll": mean_nll(z, truth, rows, sigmoid, beta),
        "nll_at_one": mean_nll(z, truth, rows, sigmoid, 1.0),
        "held_out_nll": total / n,
    }


def reliability(cos, truth, scale):
    z = scale * cos
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    confidence = p.max(axis=1)
    predicted = np.argmax(cos, axis=1)
    edges = confidence * BINS
    if np.any(np.abs(edges - np.round(edges)) < 1e-4):
        raise SystemExit("a confidence sits on a bin edge: float32 and float64 could bin it apart; change the fixture")
    bins = np.minimum(BINS - 1, np.floor(confidence * BINS).astype(int))
    out, ece = [], 0.0
    for b in range(BINS):
        sel = bins == b
        count = int(sel.sum())
        conf = float(confidence[sel].mean()) if count else 0.0
        acc = float((predicted[sel] == truth[sel]).mean()) if count else 0.0
        out.append({"low": b / BINS, "high": (b + 1) / BINS, "count": count, "confidence": conf, "accuracy": acc})
        ece += count / len(truth) * abs(conf - acc)
    return out, ece


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/ScoringTests/Fixtures/weights/reference.json")
    classes, templates, harmful, prompts, images, truth, named, reference = make_fixture()
    e = Ensemble(classes, templates, prompts, images)
    equal = np.full(e.T, 1.0 / e.T)
    cos, _ = e.cosines(equal)
    bins, ece = reliability(cos, truth, SCALE)
    softmax_logits = SCALE * cos
    sigmoid_logits = SCALE * cos + SIGMOID_BIAS
    result = {
        "note": "made by scripts/weights_reference.py; inputs are float32 values, results float64",
        "scale": SCALE,
        "sigmoid_bias": SIGMOID_BIAS,
        "folds": FOLDS,
        "seed": SEED,
        "classes": classes,
        "templates": templates,
        "harmful_template": templates[harmful],
        "named_wrong_class_template": templates[named],
        "reference_images": [[float(x) for x in row] for row in reference],
        "zpe_softmax": zpe(classes, templates, prompts, images, reference, SCALE),
        "zpe_no_reference": zpe(classes, templates, prompts, images, None, SCALE),
        "prompts": {p: [float(x) for x in v] for p, v in prompts.items()},
        "images": [[float(x) for x in row] for row in images],
        "truth": [int(t) for t in truth],
        "fit_softmax": weight_fit(e, truth, SCALE, None),
        "fit_sigmoid": weight_fit(e, truth, SCALE, SIGMOID_BIAS),
        "temperature_softmax": temperature_fit(softmax_logits, truth, False),
        "temperature_sigmoid": temperature_fit(sigmoid_logits, truth, True),
        "reliability": bins,
        "ece": ece,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    fs = result["fit_softmax"]
    print(f"wrote {out}: weights {np.round(fs['weights'], 4).tolist()} (swapped classes 6th, a wrong class named last), "
          f"held-out top-1 {fs['held_out_top1']:.3f} vs equal {fs['equal_top1']:.3f}, "
          f"T {result['temperature_softmax']['temperature']:.4f}, ECE {ece:.4f}; "
          f"ZPE {np.round(result['zpe_softmax']['weights'], 4).tolist()}")


if __name__ == "__main__":
    main()
