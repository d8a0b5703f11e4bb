//! Reads NUL-terminated UTF-8 documents from standard input and prints, one line per document,
//! `dpolint::stats::estimate_tokens` of it: the library's own estimate, not a re-implementation.

use std::io::{Read, Write};

fn main() {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).expect("read standard input");
    let input = input.strip_suffix(&[0]).unwrap_or(&input);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for document in input.split(|&byte| byte == 0) {
        let text = std::str::from_utf8(document).expect("documents are UTF-8");
        writeln!(out, "{}", dpolint::stats::estimate_tokens(text)).expect("write standard output");
    }
}
