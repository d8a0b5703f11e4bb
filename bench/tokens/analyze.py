#!/usr/bin/env python3
"""Compare dpolint's token estimate with the real counts, and try candidate estimators.

    analyze.py WORK OUT.md       (OUT.md "-": standard output)

Reads WORK/docs.jsonl, WORK/counts.tsv (count.py) and WORK/estimates.txt (the Rust estimate, one
line per document), and writes the tables of RESULTS.md to OUT.md.

Ratios are estimate / real: below 1 the estimate is short (the dangerous side for a too-long
warning). "under 10%" is the share of documents with estimate < 0.9 x real; "under 25%" with
estimate < 0.75 x real; "over 25%" with estimate > 1.25 x real. Percentiles are numpy's default
(linear interpolation).

The prototypes (section P) are Python, clearly not dpolint: every candidate is a table of 256
weights in eighths of a token, one per byte value (continuation bytes weigh 0), summed over the
text's bytes and rounded up; so is the current estimate, and the script first checks that its
table reproduces the Rust estimate for every document.
"""

import csv
import json
import sys
from pathlib import Path

import numpy as np

TOKENIZERS = {
    "cl100k_base": "cl100k",
    "o200k_base": "o200k",
    "llama3": "Llama 3",
    "qwen3": "Qwen",
    "mistral_tekken": "Tekken",
    "mistral_v3_spm": "Mistral v3",
}


# --- byte-weight tables (eighths of a token) --------------------------------------------------


def lut_current():
    """dpolint today: ASCII 1/4, lead bytes of 2-byte characters 1/2, of 3- and 4-byte ones 1."""
    w = np.zeros(256)
    w[0x00:0x80] = 2
    w[0xC0:0xE0] = 4
    w[0xE0:0x100] = 8
    return w


ASCII_PUNCT = [c for c in range(0x21, 0x7F) if not chr(c).isalnum()]
ASCII_CONTROL = [c for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x20)] + [0x7F]


def lut_steps():
    """The recommended change R1, one step at a time (each step keeps the ones before it), then a
    step that was tried and is not recommended."""
    steps = []
    w = lut_current()
    steps.append(("current", w.copy()))
    w[ASCII_PUNCT] = 3
    w[ASCII_CONTROL] = 3
    steps.append(("+ ASCII punctuation and controls 3/8", w.copy()))
    w[0x30:0x3A] = 4
    steps.append(("+ digits 1/2", w.copy()))
    w[0x0A] = 3
    steps.append(("+ newline 3/8", w.copy()))
    w[0xC0:0xCE] = 8
    steps.append(("+ Latin 2-byte characters (lead C0-CD) 1", w.copy()))
    w[0xF0:0x100] = 16
    steps.append(("+ 4-byte characters 2 = **R1**", w.copy()))
    w[0xE1] = 12
    steps.append(("(not recommended) R1 + U+1000-1FFF (lead E1) 1.5", w.copy()))
    return steps


def lut_r1():
    return lut_steps()[-2][1]


GROUPS = {  # byte classes for the per-tokenizer fits (the floor of any byte-weight table)
    "letter": [c for c in range(0x80) if chr(c).isalpha()],
    "digit": list(range(0x30, 0x3A)),
    "space/tab": [0x20, 0x09],
    "newline": [0x0A],
    "punct/control": ASCII_PUNCT + ASCII_CONTROL,
    "lead C0-CD": list(range(0xC0, 0xCE)),
    "lead CE-DF": list(range(0xCE, 0xE0)),
    "lead E0": [0xE0],
    "lead E1": [0xE1],
    "lead E2": [0xE2],
    "lead E3-ED": list(range(0xE3, 0xEE)),
    "lead EE-EF": [0xEE, 0xEF],
    "lead F0-FF": list(range(0xF0, 0x100)),
}


# --- statistics -------------------------------------------------------------------------------


def ratio_stats(est, real):
    r = est / real
    return {
        "docs": len(r),
        "real": int(real.sum()),
        "est": int(est.sum()),
        "ratio": est.sum() / real.sum(),
        "median": np.median(r),
        "p10": np.percentile(r, 10),
        "p90": np.percentile(r, 90),
        "under10": np.mean(r < 0.9),
        "under25": np.mean(r < 0.75),
        "over25": np.mean(r > 1.25),
    }


def balanced(est, real, cat, cats):
    """Category-balanced summary: the mean over categories of each category's mean |log ratio| and
    shares, so that no category counts more because it has more documents."""
    out = {"mlog": [], "under10": [], "under25": [], "over25": []}
    for c in cats:
        r = est[cat == c] / real[cat == c]
        out["mlog"].append(np.mean(np.abs(np.log(r))))
        out["under10"].append(np.mean(r < 0.9))
        out["under25"].append(np.mean(r < 0.75))
        out["over25"].append(np.mean(r > 1.25))
    return {k: float(np.mean(v)) for k, v in out.items()}


def pct(x):
    return f"{100 * x:.0f}%"


def main(work: Path, out_path: Path):
    docs = [json.loads(line) for line in open(work / "docs.jsonl", encoding="utf-8")]
    rows = list(csv.DictReader(open(work / "counts.tsv"), delimiter="\t"))
    rust = np.array([int(x) for x in open(work / "estimates.txt")], dtype=float)
    assert len(docs) == len(rows) == len(rust), "docs, counts and estimates disagree in length"
    cat = np.array([d["cat"] for d in docs])
    sub = np.array([d["sub"] for d in docs])
    cats = sorted(set(cat))
    real = {t: np.array([int(r[t]) for r in rows], dtype=float) for t in TOKENIZERS}
    chars = np.array([int(r["chars"]) for r in rows])
    nbytes = np.array([int(r["bytes"]) for r in rows])
    hist = np.stack([np.bincount(np.frombuffer(d["text"].encode(), np.uint8), minlength=256) for d in docs]).astype(
        float
    )

    def lut_estimate(w):
        return np.ceil(hist @ w / 8)

    # Which Python table the Rust estimate is: the weights before R1 (this study's "current"), or
    # R1 itself (adopted after the study). One of them must match on every document.
    shipped = next(
        (name for name, table in (("current", lut_current()), ("R1", lut_r1())) if np.all(lut_estimate(table) == rust)),
        None,
    )
    assert shipped, "the Rust estimate matches neither the current weights nor R1 on every document"

    out = []
    w = out.append

    # Corpus.
    w("## Corpus\n")
    w("| category | docs | sources | characters | median chars | bytes/char |")
    w("|---|---:|---|---:|---:|---:|")
    for c in cats:
        m = cat == c
        subs = sorted(set(sub[m]))
        shown = ", ".join(subs) if len(subs) <= 7 else f"{len(subs)} languages"
        w(
            f"| {c} | {m.sum()} | {shown} | {chars[m].sum():,} | {int(np.median(chars[m])):,} | {nbytes[m].sum() / chars[m].sum():.2f} |"
        )
    w(f"| **all** | {len(docs)} | | {chars.sum():,} | {int(np.median(chars)):,} | {nbytes.sum() / chars.sum():.2f} |")
    w("")

    # Overview.
    w("## Overview: total estimate / total real tokens (share of documents under by more than 10%)\n")
    w("| category | " + " | ".join(TOKENIZERS.values()) + " |")
    w("|---|" + "---:|" * len(TOKENIZERS))
    for c in cats + ["all"]:
        m = np.ones(len(cat), bool) if c == "all" else cat == c
        cells = []
        for t in TOKENIZERS:
            s = ratio_stats(rust[m], real[t][m])
            cells.append(f"{s['ratio']:.2f} ({pct(s['under10'])})")
        w(f"| {'**all**' if c == 'all' else c} | " + " | ".join(cells) + " |")
    w("")

    # Per tokenizer.
    for t, label in TOKENIZERS.items():
        w(f"## {label} (`{t}`): dpolint's estimate (Rust)\n")
        w(
            "| category | docs | real tokens | estimate | ratio | median | p10 | p90 | under 10% | under 25% | over 25% |"
        )
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in cats + ["all"]:
            m = np.ones(len(cat), bool) if c == "all" else cat == c
            s = ratio_stats(rust[m], real[t][m])
            name = "**all**" if c == "all" else c
            w(
                f"| {name} | {s['docs']} | {s['real']:,} | {s['est']:,} | {s['ratio']:.2f} | {s['median']:.2f} | "
                f"{s['p10']:.2f} | {s['p90']:.2f} | {pct(s['under10'])} | {pct(s['under25'])} | {pct(s['over25'])} |"
            )
        w("")

    # Breakdowns.
    w("## Breakdowns (total ratio, current estimate)\n")
    w("| category / source | docs | " + " | ".join(TOKENIZERS.values()) + " |")
    w("|---|---:|" + "---:|" * len(TOKENIZERS))
    for c in ("en-prose", "en-tech", "markdown", "json", "eu-latin", "zh", "ja"):
        for s_ in sorted(set(sub[cat == c])):
            m = (cat == c) & (sub == s_)
            w(
                f"| {c} / {s_} | {m.sum()} | "
                + " | ".join(f"{rust[m].sum() / real[t][m].sum():.2f}" for t in TOKENIZERS)
                + " |"
            )
    # udhr by dominant script
    import collections
    import unicodedata

    def script(text):
        counter = collections.Counter(unicodedata.name(ch, "?").split(" ")[0] for ch in text if ch.isalpha())
        return counter.most_common(1)[0][0] if counter else "?"

    scr = np.array([script(d["text"]) if d["cat"] == "udhr-world" else "" for d in docs])
    counts = collections.Counter(scr[cat == "udhr-world"])
    other = np.zeros(len(cat), bool)
    for s_, n in counts.most_common():
        m = (cat == "udhr-world") & (scr == s_)
        if n >= 5:
            w(
                f"| udhr-world / {s_.lower()} script | {n} | "
                + " | ".join(f"{rust[m].sum() / real[t][m].sum():.2f}" for t in TOKENIZERS)
                + " |"
            )
        else:
            other |= m
    if other.any():
        w(
            f"| udhr-world / {len([1 for s_, n in counts.items() if n < 5])} other scripts | {other.sum()} | "
            + " | ".join(f"{rust[other].sum() / real[t][other].sum():.2f}" for t in TOKENIZERS)
            + " |"
        )
    w("")

    # Length.
    w("## Spread by document length (all categories; p10-p90 of the per-document ratio)\n")
    w("| characters | docs | " + " | ".join(TOKENIZERS.values()) + " |")
    w("|---|---:|" + "---:|" * len(TOKENIZERS))
    for lo, hi in ((0, 800), (800, 2000), (2000, 10**9)):
        m = (chars >= lo) & (chars < hi)
        label = f"{lo}-{hi}" if hi < 10**9 else f"{lo}+"
        w(
            f"| {label} | {m.sum()} | "
            + " | ".join(
                f"{np.percentile(rust[m] / real[t][m], 10):.2f}-{np.percentile(rust[m] / real[t][m], 90):.2f}"
                for t in TOKENIZERS
            )
            + " |"
        )
    w("")

    # Prototypes.
    w("## P. Prototype estimators (Python, not dpolint)\n")
    w(f"The Python table of the {shipped} weights reproduces the Rust estimate exactly on all {len(docs)} documents.\n")
    w(
        "Category-balanced: each cell is the mean over the 14 categories of: mean |ln(estimate/real)|, "
        "then the shares under by >10%, under by >25%, over by >25%.\n"
    )
    w("| estimator | " + " | ".join(TOKENIZERS.values()) + " |")
    w("|---|" + "---|" * len(TOKENIZERS))
    steps = lut_steps()
    for name, lut in steps:
        e = lut_estimate(lut)
        cells = []
        for t in TOKENIZERS:
            b = balanced(e, real[t], cat, cats)
            cells.append(f"{b['mlog']:.3f} / {pct(b['under10'])} / {pct(b['under25'])} / {pct(b['over25'])}")
        w(f"| {name} | " + " | ".join(cells) + " |")
    # Floor: the best byte-class table fitted to each tokenizer alone.
    from scipy.optimize import lsq_linear

    A = np.stack([hist[:, idx].sum(1) for idx in GROUPS.values()], 1)
    catw = np.array([1 / np.sum(cat == c) for c in cat])
    fits = {}
    cells = []
    for t in TOKENIZERS:
        s = np.sqrt(catw) / real[t]
        x = lsq_linear(A * s[:, None], real[t] * s, bounds=(0, np.inf)).x
        fits[t] = x
        b = balanced(np.maximum(1, np.ceil(A @ x)), real[t], cat, cats)
        cells.append(f"{b['mlog']:.3f} / {pct(b['under10'])} / {pct(b['under25'])} / {pct(b['over25'])}")
    w("| *floor: best table fitted to this tokenizer alone* | " + " | ".join(cells) + " |")
    w("")
    w("Weights of those per-tokenizer fits (tokens per byte of the class; a lead byte stands for its character):\n")
    w("| class | " + " | ".join(TOKENIZERS.values()) + " | R1 |")
    w("|---|" + "---:|" * (len(TOKENIZERS) + 1))
    r1 = lut_r1()
    for i, (g, idx) in enumerate(GROUPS.items()):
        w(f"| {g} | " + " | ".join(f"{fits[t][i]:.2f}" for t in TOKENIZERS) + f" | {r1[idx[0]] / 8:.3g} |")
    w("")

    e = lut_estimate(r1)
    w("### R1 per category: total ratio (under 10% / under 25%)\n")
    w("| category | " + " | ".join(TOKENIZERS.values()) + " |")
    w("|---|" + "---:|" * len(TOKENIZERS))
    for c in cats + ["all"]:
        m = np.ones(len(cat), bool) if c == "all" else cat == c
        cells = []
        for t in TOKENIZERS:
            s = ratio_stats(e[m], real[t][m])
            cells.append(f"{s['ratio']:.2f} ({pct(s['under10'])} / {pct(s['under25'])})")
        w(f"| {'**all**' if c == 'all' else c} | " + " | ".join(cells) + " |")
    w("")
    w("### R1 on the udhr-world scripts: total ratio, current -> R1\n")
    w("| script | docs | " + " | ".join(TOKENIZERS.values()) + " |")
    w("|---|---:|" + "---:|" * len(TOKENIZERS))
    for s_, n in counts.most_common():
        if n >= 5:
            m = (cat == "udhr-world") & (scr == s_)
            w(
                f"| {s_.lower()} | {n} | "
                + " | ".join(
                    f"{rust[m].sum() / real[t][m].sum():.2f} -> {e[m].sum() / real[t][m].sum():.2f}" for t in TOKENIZERS
                )
                + " |"
            )
    w("")
    w("### Current per category, same layout\n")
    w("| category | " + " | ".join(TOKENIZERS.values()) + " |")
    w("|---|" + "---:|" * len(TOKENIZERS))
    for c in cats + ["all"]:
        m = np.ones(len(cat), bool) if c == "all" else cat == c
        cells = []
        for t in TOKENIZERS:
            s = ratio_stats(rust[m], real[t][m])
            cells.append(f"{s['ratio']:.2f} ({pct(s['under10'])} / {pct(s['under25'])})")
        w(f"| {'**all**' if c == 'all' else c} | " + " | ".join(cells) + " |")
    w("")

    text = "\n".join(out) + "\n"
    if str(out_path) == "-":
        sys.stdout.write(text)
    else:
        out_path.write_text(text)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
