//! Configuration files: `dpolint.toml` (keys at the top level), `.dpolint.toml`, or a
//! `[tool.dpolint]` table in `pyproject.toml` (the same keys).
//!
//! [`discover`] walks up from a directory and reads the first file it finds; [`load`] reads one named
//! file (`--config PATH`). Nothing is merged across files, as in ruff. Command-line flags beat the
//! file: see [`Config::rule_set`] for how the rule selection is put together.
//!
//! A configuration that cannot be trusted is an error ([`Error::Config`]) naming the file, the line
//! and column, and the dotted key: a TOML syntax error, an unknown key (a misspelt key is never
//! ignored silently; the nearest known key is suggested) or a bad value.
//!
//! ```toml
//! # dpolint.toml
//! target = "fireworks"
//! select = ["DPO0", "DPO1", "DPO2", "DPO301"]
//! ignore = ["special-token"]
//! max-per-rule = 50
//! max-tokens = 8192
//!
//! [severity]
//! DPO403 = "error"   # duplicates fail the check here
//! DPO006 = "off"
//!
//! [per-file-ignores]
//! "legacy/*.jsonl" = ["DPO103"]
//! ```
//!
//! The file is parsed with `toml`'s span-keeping document parser ([`DeTable`]) rather than with serde:
//! every key and every value keeps its byte range, so an error points at the offending key or array
//! element, and unknown keys are found by walking the table rather than lost in `#[serde(flatten)]`.

use std::fmt::Write as _;
use std::fs;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Error;
use crate::rules::{Rule, RuleSet, Severity, Target};

/// The names a configuration file may have, in the order each directory is searched.
///
/// `pyproject.toml` counts only when it holds a `[tool.dpolint]` table.
pub const FILE_NAMES: [&str; 3] = ["dpolint.toml", ".dpolint.toml", "pyproject.toml"];

/// Every key a configuration may hold (kebab-case, like ruff's).
pub const KEYS: [&str; 9] = [
    "target",
    "select",
    "ignore",
    "per-file-ignores",
    "severity",
    "max-per-rule",
    "max-tokens",
    "tokenizer",
    "deny-warnings",
];

/// The settings read from one configuration file. Every key is optional: a key that is absent
/// leaves the command line's default (or flag) in force.
///
/// Command-line flags beat the file: `--target`, `--select`, `--max-per-rule`, `--max-tokens`,
/// `--tokenizer` replace the file's value when given, `--ignore` adds to the file's `ignore`, and
/// `--deny-warnings` turns it on whatever the file says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The file the settings were read from (empty for [`Config::default`], which means "no file").
    pub path: PathBuf,
    /// `target`: the provider whose rules apply.
    pub target: Option<Target>,
    /// `select`: rule selectors (codes, prefixes, names, `ALL`); `None` when the key is absent.
    /// Each one is known to resolve.
    pub select: Option<Vec<String>>,
    /// `ignore`: rule selectors never reported. Each one is known to resolve.
    pub ignore: Vec<String>,
    /// `per-file-ignores`: rules turned off for the files that match a glob.
    pub per_file_ignores: PerFileIgnores,
    /// `severity`: the overrides, resolved to rules, in the order they apply (least specific
    /// selector first, then file order), so that `DPO104` beats `DPO1` beats `ALL`.
    pub severity: Vec<SeverityOverride>,
    /// `max-per-rule`: findings drawn per rule per file by the human formats (0 means all).
    pub max_per_rule: Option<usize>,
    /// `max-tokens`: the context budget DPO304 checks examples against (at least 1).
    pub max_tokens: Option<u64>,
    /// `tokenizer`: a Hugging Face `tokenizer.json`; a relative path is resolved against the
    /// configuration file's directory. The file is not opened here.
    pub tokenizer: Option<PathBuf>,
    /// `deny-warnings`: whether a warning fails the check (exit code 1).
    pub deny_warnings: Option<bool>,
}

/// One entry of the `severity` table: `DPO104 = "warning"`, `DPO1 = "info"`, `invalid-role = "off"`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeverityOverride {
    /// The selector as written (the table's key).
    pub selector: String,
    /// The rules it names.
    pub rules: Vec<Rule>,
    /// Whether it names one rule by its exact code or name. Only an exact override turns on a rule
    /// that the target leaves off (as with `select`); a prefix or `ALL` changes the level of the
    /// rules that are on.
    pub exact: bool,
    /// The new severity; `None` for `"off"`.
    pub severity: Option<Severity>,
}

impl Config {
    /// The rules to report on `target`, with their severities, after the command line's selectors.
    ///
    /// 1. `select`: the command line's `--select` when given, else the file's `select`, else the
    ///    target's defaults.
    /// 2. `ignore`: the file's `ignore` and the command line's `--ignore`, together.
    /// 3. `severity` overrides, on the rules that step 1 selects and step 2 does not ignore: `"off"`
    ///    turns a rule off; a level sets it, and turns on a rule the target leaves off when the
    ///    override names that rule exactly (`DPO204 = "error"`).
    ///
    /// `per-file-ignores` are applied afterwards, per file ([`PerFileIgnores::apply`]).
    pub fn rule_set(&self, target: Target, cli_select: &[String], cli_ignore: &[String]) -> Result<RuleSet, Error> {
        let select: &[String] =
            if cli_select.is_empty() { self.select.as_deref().unwrap_or_default() } else { cli_select };
        let ignore: Vec<String> = self.ignore.iter().chain(cli_ignore).cloned().collect();
        let selected = RuleSet::from_selectors(target, select, &ignore).map_err(Error::InvalidOptions)?;
        let candidates = if select.is_empty() { vec![true; Rule::ALL.len()] } else { matched_by(select) };
        let ignored = matched_by(&ignore);
        let mut set = selected.clone();
        for entry in &self.severity {
            for &rule in &entry.rules {
                let index = rule.index();
                if candidates[index] && !ignored[index] && (entry.exact || selected.is_enabled(rule)) {
                    set.set_severity(rule, entry.severity);
                }
            }
        }
        Ok(set)
    }
}

/// Which rules any of `selectors` names, by rule index. The selectors are known to resolve.
fn matched_by(selectors: &[String]) -> Vec<bool> {
    let mut matched = vec![false; Rule::ALL.len()];
    for selector in selectors {
        if let Some((rules, _)) = expand(selector) {
            for rule in rules {
                matched[rule.index()] = true;
            }
        }
    }
    matched
}

/// The rules a selector names and whether it names one exactly; `None` when it names nothing.
fn expand(selector: &str) -> Option<(Vec<Rule>, bool)> {
    crate::rules::resolve_selector(selector).ok()
}

/// Rules turned off for some files: the `per-file-ignores` table.
///
/// A pattern is a glob (`*`, `?`, `[...]`, `{a,b}`, `**`); `*` does not cross a `/`. A pattern
/// without `/` matches a file's name in any directory (`"train.jsonl"`, `"*.jsonl"`); a pattern with
/// `/` matches the file's path relative to the configuration file's directory
/// (`"data/legacy/*.jsonl"`, `"**/raw/*.jsonl"`), or its absolute path when the pattern starts with `/`.
/// Standard input (`-`) matches nothing.
#[derive(Clone, Debug, Default)]
pub struct PerFileIgnores {
    /// The configuration file's directory, absolute (lexically: `..` removed, links kept).
    base: PathBuf,
    /// The same directory with links resolved, when it exists.
    canonical_base: Option<PathBuf>,
    entries: Vec<PerFileIgnore>,
}

#[derive(Clone, Debug)]
struct PerFileIgnore {
    pattern: String,
    matcher: GlobMatcher,
    /// Whether the pattern matches the whole path (it has a `/`) rather than the file name.
    whole_path: bool,
    rules: Vec<Rule>,
}

impl PartialEq for PerFileIgnores {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base && self.patterns().eq(other.patterns())
    }
}

impl Eq for PerFileIgnores {}

impl PerFileIgnores {
    /// Whether there are no patterns.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The patterns as written, each with the rules it turns off, in file order.
    pub fn patterns(&self) -> impl Iterator<Item = (&str, &[Rule])> {
        self.entries.iter().map(|entry| (entry.pattern.as_str(), entry.rules.as_slice()))
    }

    /// The rules turned off for `file` (relative to the current directory, or absolute; it need not
    /// exist), in code order without repeats.
    #[must_use]
    pub fn ignored(&self, file: &Path) -> Vec<Rule> {
        if self.entries.is_empty() || file.as_os_str() == "-" {
            return Vec::new();
        }
        let Some(name) = file.file_name() else { return Vec::new() };
        let absolute = lexical_absolute(file);
        // The path relative to the configuration directory, lexically, and again with links
        // resolved on both sides (a dataset reached through a symlinked directory still matches).
        let mut relative: Vec<PathBuf> =
            absolute.strip_prefix(&self.base).ok().map(Path::to_path_buf).into_iter().collect();
        if let (Some(base), Some(parent)) = (&self.canonical_base, absolute.parent())
            && let Ok(parent) = parent.canonicalize()
            && let Ok(path) = parent.join(name).strip_prefix(base)
        {
            relative.push(path.to_path_buf());
        }
        let mut rules: Vec<Rule> = Vec::new();
        for entry in &self.entries {
            let matched = if !entry.whole_path {
                entry.matcher.is_match(name)
            } else if entry.pattern.starts_with('/') {
                entry.matcher.is_match(&absolute)
            } else {
                relative.iter().any(|path| entry.matcher.is_match(path))
            };
            if matched {
                rules.extend(&entry.rules);
            }
        }
        rules.sort_unstable();
        rules.dedup();
        rules
    }

    /// Turns off in `rules` the rules ignored for `file` (see [`PerFileIgnores::ignored`]).
    pub fn apply(&self, file: &Path, rules: &mut RuleSet) {
        for rule in self.ignored(file) {
            rules.set_severity(rule, None);
        }
    }
}

/// Finds and reads the configuration that applies in `start` (the working directory): in `start`
/// and then each directory above it, the first of `dpolint.toml`, `.dpolint.toml`, or a
/// `pyproject.toml` that holds a `[tool.dpolint]` table (one without it is passed over). `None` when
/// no directory up to the root has one.
///
/// A `pyproject.toml` that is not valid TOML is an error: whether it configures dpolint cannot be told.
pub fn discover(start: &Path) -> Result<Option<Config>, Error> {
    for directory in lexical_absolute(start).ancestors() {
        for name in FILE_NAMES {
            let path = directory.join(name);
            if !path.is_file() {
                continue;
            }
            let text = read(&path)?;
            let document = Document::parse(&path, &text)?;
            let config = if name == "pyproject.toml" {
                match document.tool_table()? {
                    Some(table) => document.config(table, "tool.dpolint.")?,
                    None => continue,
                }
            } else {
                document.config(document.root.get_ref(), "")?
            };
            return Ok(Some(config));
        }
    }
    Ok(None)
}

/// Reads the configuration file at `path` (`--config PATH`). A file named `pyproject.toml` is read
/// from its `[tool.dpolint]` table, which must be there; any other name is read as top-level keys.
pub fn load(path: &Path) -> Result<Config, Error> {
    let text = read(path)?;
    let document = Document::parse(path, &text)?;
    if path.file_name().is_some_and(|name| name == "pyproject.toml") {
        let Some(table) = document.tool_table()? else {
            return Err(document.error(
                0..0,
                "tool.dpolint",
                "the file has no `[tool.dpolint]` table; dpolint reads its settings from that table of a pyproject.toml".into(),
            ));
        };
        document.config(table, "tool.dpolint.")
    } else {
        document.config(document.root.get_ref(), "")
    }
}

fn read(path: &Path) -> Result<String, Error> {
    let bytes = fs::read(path).map_err(|source| Error::io(path, source))?;
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&error.into_bytes()[..offset]).into_owned();
        let (line, column) = line_column(&text, offset);
        Error::Config {
            path: path.to_path_buf(),
            line,
            column,
            key: None,
            message: "the file is not valid UTF-8".into(),
        }
    })
}

/// A parsed file: its text (for line numbers) and its table of spanned keys and values.
struct Document<'a> {
    path: &'a Path,
    text: &'a str,
    root: Spanned<DeTable<'a>>,
}

impl<'a> Document<'a> {
    fn parse(path: &'a Path, text: &'a str) -> Result<Self, Error> {
        match DeTable::parse(text) {
            Ok(root) => Ok(Document { path, text, root }),
            Err(error) => {
                let offset = error.span().map_or(0, |span| span.start);
                let (line, column) = line_column(text, offset);
                Err(Error::Config {
                    path: path.to_path_buf(),
                    line,
                    column,
                    key: None,
                    message: format!("invalid TOML: {}", error.message()),
                })
            }
        }
    }

    #[cold]
    fn error(&self, span: Range<usize>, key: &str, message: String) -> Error {
        let (line, column) = line_column(self.text, span.start);
        Error::Config { path: self.path.to_path_buf(), line, column, key: Some(key.to_owned()), message }
    }

    /// The `[tool.dpolint]` table of a `pyproject.toml`, if there is one.
    fn tool_table(&self) -> Result<Option<&DeTable<'a>>, Error> {
        let Some(DeValue::Table(tool)) = self.root.get_ref().get("tool").map(Spanned::get_ref) else {
            return Ok(None);
        };
        match tool.get("dpolint") {
            None => Ok(None),
            Some(value) => match value.get_ref() {
                DeValue::Table(table) => Ok(Some(table)),
                other => Err(self.error(
                    value.span(),
                    "tool.dpolint",
                    format!("`tool.dpolint` must be a table, found {}", article(other.type_str())),
                )),
            },
        }
    }

    /// Reads the settings of `table`; `prefix` is what the table's keys are written under
    /// (`tool.dpolint.` in a pyproject.toml), for error messages.
    fn config(&self, table: &DeTable<'a>, prefix: &str) -> Result<Config, Error> {
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut config = Config {
            path: self.path.to_path_buf(),
            per_file_ignores: PerFileIgnores {
                base: lexical_absolute(directory),
                canonical_base: directory.canonicalize().ok(),
                entries: Vec::new(),
            },
            ..Config::default()
        };
        for (key, value) in in_file_order(table) {
            let name = key.get_ref().as_ref();
            let dotted = format!("{prefix}{}", key_part(name));
            match name {
                "target" => {
                    let word = self.string(&dotted, value)?;
                    let target = word
                        .parse()
                        .map_err(|message| self.error(value.span(), &dotted, format!("`{dotted}`: {message}")))?;
                    config.target = Some(target);
                }
                "select" => {
                    let selectors = self.selectors(&dotted, value)?;
                    if selectors.is_empty() {
                        return Err(self.error(
                            value.span(),
                            &dotted,
                            format!("`{dotted}` is empty, which selects no rule; remove the key to check the target's default rules"),
                        ));
                    }
                    config.select = Some(selectors);
                }
                "ignore" => config.ignore = self.selectors(&dotted, value)?,
                "per-file-ignores" => {
                    config.per_file_ignores.entries = self.per_file_ignores(&dotted, value)?;
                }
                "severity" => config.severity = self.severities(&dotted, value)?,
                "max-per-rule" => {
                    let number = self.integer(&dotted, value, 0, "an integer, 0 or more (0 draws every finding)")?;
                    config.max_per_rule = Some(usize::try_from(number).unwrap_or(usize::MAX));
                }
                "max-tokens" => {
                    let number = self.integer(&dotted, value, 1, "a positive integer (a count of tokens)")?;
                    config.max_tokens = Some(number);
                }
                "tokenizer" => {
                    let path = self.string(&dotted, value)?;
                    if path.trim().is_empty() {
                        return Err(self.error(
                            value.span(),
                            &dotted,
                            format!("`{dotted}` is empty: give the path of a Hugging Face tokenizer.json"),
                        ));
                    }
                    config.tokenizer = Some(directory.join(path));
                }
                "deny-warnings" => match value.get_ref() {
                    DeValue::Boolean(flag) => config.deny_warnings = Some(*flag),
                    other => return Err(self.wrong_type(&dotted, value, "a boolean (true or false)", other)),
                },
                // ruff's `extend-select` adds to the defaults; here `select` with a prefix does that job.
                "extend-select" => {
                    return Err(self.error(
                        key.span(),
                        &dotted,
                        format!("unknown key `{dotted}`: dpolint has no `extend-select`; list every selector you want in `{prefix}select` (the target's defaults are off unless selected)"),
                    ));
                }
                _ => {
                    let hint = suggestion(name, &KEYS).map_or_else(
                        || format!(" (known keys: {})", KEYS.join(", ")),
                        |known| format!(" (did you mean `{prefix}{known}`?)"),
                    );
                    return Err(self.error(key.span(), &dotted, format!("unknown key `{dotted}`{hint}")));
                }
            }
        }
        Ok(config)
    }

    fn wrong_type(&self, key: &str, value: &Spanned<DeValue<'_>>, expected: &str, found: &DeValue<'_>) -> Error {
        self.error(value.span(), key, format!("`{key}` must be {expected}, found {}", article(found.type_str())))
    }

    fn string<'v>(&self, key: &str, value: &'v Spanned<DeValue<'_>>) -> Result<&'v str, Error> {
        match value.get_ref() {
            DeValue::String(text) => Ok(text.as_ref()),
            other => Err(self.wrong_type(key, value, "a string", other)),
        }
    }

    fn integer(&self, key: &str, value: &Spanned<DeValue<'_>>, minimum: u64, expected: &str) -> Result<u64, Error> {
        let DeValue::Integer(integer) = value.get_ref() else {
            return Err(self.wrong_type(key, value, expected, value.get_ref()));
        };
        let number = i128::from_str_radix(integer.as_str(), integer.radix()).ok();
        match number.and_then(|number| u64::try_from(number).ok()) {
            Some(number) if number >= minimum => Ok(number),
            _ => Err(self.error(value.span(), key, format!("`{key}` must be {expected}, found {integer}"))),
        }
    }

    /// An array of rule selectors, each checked to resolve.
    fn selectors(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<Vec<String>, Error> {
        let expected =
            "an array of rule selectors (codes like \"DPO104\", prefixes like \"DPO1\", names like \"invalid-role\")";
        let DeValue::Array(array) = value.get_ref() else {
            return Err(self.wrong_type(key, value, expected, value.get_ref()));
        };
        let mut selectors = Vec::with_capacity(array.len());
        for element in array {
            let DeValue::String(selector) = element.get_ref() else {
                return Err(self.wrong_type(key, element, expected, element.get_ref()));
            };
            self.check_selector(key, element.span(), selector)?;
            selectors.push(selector.to_string());
        }
        Ok(selectors)
    }

    fn check_selector(&self, key: &str, span: Range<usize>, selector: &str) -> Result<(), Error> {
        // `RuleSet::from_selectors` owns the selector grammar and its messages; the target does not
        // change which selectors resolve.
        match RuleSet::from_selectors(Target::Fireworks, &[selector.to_owned()], &[]) {
            Ok(_) => Ok(()),
            Err(message) => Err(self.error(span, key, format!("`{key}`: {message}"))),
        }
    }

    fn per_file_ignores(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<Vec<PerFileIgnore>, Error> {
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.wrong_type(key, value, "a table of glob = [rule selectors]", value.get_ref()));
        };
        let mut entries = Vec::with_capacity(table.len());
        for (pattern_key, selectors) in in_file_order(table) {
            let written = pattern_key.get_ref().as_ref();
            let dotted = format!("{key}.{}", key_part(written));
            let pattern = written.strip_prefix("./").unwrap_or(written);
            let glob = GlobBuilder::new(pattern).literal_separator(true).build().map_err(|error| {
                self.error(
                    pattern_key.span(),
                    &dotted,
                    format!("`{dotted}`: invalid glob `{written}`: {}", error.kind()),
                )
            })?;
            if pattern.is_empty() {
                return Err(self.error(pattern_key.span(), &dotted, format!("`{dotted}`: the glob is empty")));
            }
            let selectors = self.selectors(&dotted, selectors)?;
            let mut rules: Vec<Rule> =
                selectors.iter().filter_map(|selector| expand(selector)).flat_map(|(rules, _)| rules).collect();
            rules.sort_unstable();
            rules.dedup();
            entries.push(PerFileIgnore {
                pattern: written.to_owned(),
                matcher: glob.compile_matcher(),
                whole_path: pattern.contains('/'),
                rules,
            });
        }
        Ok(entries)
    }

    fn severities(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<Vec<SeverityOverride>, Error> {
        const WORDS: [&str; 4] = ["error", "warning", "info", "off"];
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.wrong_type(key, value, "a table of rule selector = severity", value.get_ref()));
        };
        let mut overrides = Vec::with_capacity(table.len());
        for (selector_key, word_value) in in_file_order(table) {
            let selector = selector_key.get_ref().as_ref();
            let dotted = format!("{key}.{}", key_part(selector));
            self.check_selector(&dotted, selector_key.span(), selector)?;
            let word = self.string(&dotted, word_value)?;
            let severity = match word {
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "info" => Some(Severity::Info),
                "off" => None,
                _ => {
                    let hint =
                        suggestion(word, &WORDS).map(|known| format!(" (did you mean `{known}`?)")).unwrap_or_default();
                    return Err(self.error(
                        word_value.span(),
                        &dotted,
                        format!("`{dotted}`: unknown severity `{word}`{hint}: use \"error\", \"warning\", \"info\" or \"off\""),
                    ));
                }
            };
            let (rules, exact) = expand(selector).unwrap_or_default();
            overrides.push(SeverityOverride { selector: selector.to_owned(), rules, exact, severity });
        }
        // A stable sort keeps file order among equally specific selectors.
        overrides.sort_by_key(|entry| specificity(&entry.selector, entry.exact));
        Ok(overrides)
    }
}

/// How narrowly a selector names rules: `ALL` < `DPO` < `DPO1` < `DPO10` < an exact code or name.
fn specificity(selector: &str, exact: bool) -> usize {
    if exact {
        usize::MAX
    } else if selector.trim().eq_ignore_ascii_case("ALL") {
        0
    } else {
        selector.trim().len()
    }
}

/// A table's entries in the order they are written (the parser keeps them sorted by key).
fn in_file_order<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(&'t Spanned<toml::de::DeString<'i>>, &'t Spanned<DeValue<'i>>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// One component of a dotted key, quoted when TOML would need quotes for it.
fn key_part(key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        key.to_owned()
    } else {
        let mut quoted = String::with_capacity(key.len() + 2);
        quoted.push('"');
        for c in key.chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                c if c.is_control() => {
                    let _ = write!(quoted, "\\u{:04X}", u32::from(c));
                }
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        quoted
    }
}

/// The known word nearest to `word`, when it is near enough to be a slip (case, `_` for `-`, a
/// letter or two).
fn suggestion<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let normalized = word.to_ascii_lowercase().replace('_', "-");
    known
        .iter()
        .map(|&candidate| (candidate, strsim::levenshtein(&normalized, candidate)))
        .filter(|&(candidate, distance)| {
            distance <= 2.max(candidate.len() / 4) || (normalized.len() >= 3 && candidate.starts_with(&normalized))
        })
        .min_by_key(|&(_, distance)| distance)
        .map(|(candidate, _)| candidate)
}

fn article(type_name: &str) -> String {
    let article = if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {type_name}")
}

/// The 1-based line and column (in Unicode scalar values) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

/// `path` made absolute against the current directory, with `.` and `..` removed lexically (a path
/// that does not exist is fine; links are not resolved).
fn lexical_absolute(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut normalized = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other),
        }
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(directory: &Path, name: &str, text: &str) -> PathBuf {
        let path = directory.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    /// Loads `text` as a dpolint.toml and returns its error as (line, column, key, message).
    fn error_of(text: &str) -> (usize, usize, Option<String>, String) {
        let directory = tempfile::tempdir().unwrap();
        let path = write(directory.path(), "dpolint.toml", text);
        match load(&path) {
            Err(Error::Config { path: named, line, column, key, message }) => {
                assert_eq!(named, path);
                (line, column, key, message)
            }
            other => panic!("expected a config error for {text:?}, got {other:?}"),
        }
    }

    fn strings(selectors: &[&str]) -> Vec<String> {
        selectors.iter().map(|&selector| selector.to_owned()).collect()
    }

    #[test]
    fn reads_every_key() {
        let directory = tempfile::tempdir().unwrap();
        let path = write(
            directory.path(),
            "dpolint.toml",
            r#"
target = "openai"
select = ["DPO1", "invalid-role"]
ignore = ["DPO006"]
max-per-rule = 0
max-tokens = 8_192
tokenizer = "models/tokenizer.json"
deny-warnings = true

[severity]
DPO403 = "error"
DPO1 = "info"

[per-file-ignores]
"legacy/*.jsonl" = ["DPO103", "DPO104"]
"#,
        );
        let config = load(&path).unwrap();
        assert_eq!(config.path, path);
        assert_eq!(config.target, Some(Target::OpenAi));
        assert_eq!(config.select, Some(strings(&["DPO1", "invalid-role"])));
        assert_eq!(config.ignore, strings(&["DPO006"]));
        assert_eq!(config.max_per_rule, Some(0));
        assert_eq!(config.max_tokens, Some(8192));
        assert_eq!(config.tokenizer, Some(directory.path().join("models/tokenizer.json")));
        assert_eq!(config.deny_warnings, Some(true));
        // Least specific first, whatever the file order.
        let order: Vec<&str> = config.severity.iter().map(|entry| entry.selector.as_str()).collect();
        assert_eq!(order, ["DPO1", "DPO403"]);
        assert!(config.severity[1].exact && !config.severity[0].exact);
        assert_eq!(
            config.severity[0].rules.len(),
            Rule::ALL.iter().filter(|rule| rule.code().starts_with("DPO1")).count()
        );
        let patterns: Vec<(&str, &[Rule])> = config.per_file_ignores.patterns().collect();
        assert_eq!(patterns, [("legacy/*.jsonl", &[Rule::UnknownField, Rule::InvalidRole][..])]);
    }

    #[test]
    fn an_empty_file_is_a_config_with_nothing_set() {
        let directory = tempfile::tempdir().unwrap();
        let path = write(directory.path(), "dpolint.toml", "# nothing yet\n");
        let config = load(&path).unwrap();
        assert_eq!(
            config,
            Config { path: path.clone(), per_file_ignores: config.per_file_ignores.clone(), ..Config::default() }
        );
        assert!(config.per_file_ignores.is_empty());
    }

    #[test]
    fn discovery_prefers_dpolint_toml_then_hidden_then_pyproject() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        write(root, "pyproject.toml", "[tool.dpolint]\nmax-tokens = 3\n");
        assert_eq!(discover(root).unwrap().unwrap().max_tokens, Some(3));
        write(root, ".dpolint.toml", "max-tokens = 2\n");
        assert_eq!(discover(root).unwrap().unwrap().max_tokens, Some(2));
        write(root, "dpolint.toml", "max-tokens = 1\n");
        let config = discover(root).unwrap().unwrap();
        assert_eq!(config.max_tokens, Some(1));
        assert_eq!(config.path.file_name().unwrap(), "dpolint.toml");
    }

    #[test]
    fn discovery_walks_up_and_the_nearest_file_wins() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        write(root, "dpolint.toml", "max-tokens = 10\n");
        let deep = root.join("a/b/c");
        fs::create_dir_all(&deep).unwrap();
        let config = discover(&deep).unwrap().unwrap();
        assert_eq!(config.max_tokens, Some(10));
        assert_eq!(config.path, lexical_absolute(&root.join("dpolint.toml")));
        // A nearer file wins, and nothing is merged from the outer one.
        write(&root.join("a"), ".dpolint.toml", "deny-warnings = true\n");
        let config = discover(&deep).unwrap().unwrap();
        assert_eq!((config.max_tokens, config.deny_warnings), (None, Some(true)));
        // `..` in the start directory is walked lexically.
        let config = discover(&deep.join("../../..")).unwrap().unwrap();
        assert_eq!(config.max_tokens, Some(10));
    }

    #[test]
    fn a_pyproject_without_the_table_is_passed_over() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        write(root, "dpolint.toml", "max-tokens = 7\n");
        write(&root.join("project"), "pyproject.toml", "[project]\nname = \"x\"\n[tool.ruff]\nline-length = 100\n");
        let config = discover(&root.join("project")).unwrap().unwrap();
        assert_eq!(config.max_tokens, Some(7));
        // With the table, even empty, it is the configuration and the walk stops there.
        write(&root.join("project"), "pyproject.toml", "[project]\nname = \"x\"\n[tool.dpolint]\n");
        let config = discover(&root.join("project")).unwrap().unwrap();
        assert_eq!(config.max_tokens, None);
        assert!(config.path.ends_with("project/pyproject.toml"));
    }

    #[test]
    fn no_file_anywhere_is_none() {
        // The temporary directory's ancestors may hold a configuration on a developer's machine;
        // this only holds where they do not, so look at what the walk would find first.
        let directory = tempfile::tempdir().unwrap();
        let outer = discover(directory.path().parent().unwrap()).unwrap();
        assert_eq!(discover(directory.path()).unwrap().map(|config| config.path), outer.map(|config| config.path));
    }

    #[test]
    fn pyproject_errors_name_the_dotted_key() {
        let directory = tempfile::tempdir().unwrap();
        let path = write(
            directory.path(),
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.dpolint]\nselec = [\"DPO1\"]\n",
        );
        let error = discover(directory.path()).unwrap_err();
        let Error::Config { line, column, key, message, path: named } = &error else { panic!("{error:?}") };
        assert_eq!((*line, *column, key.as_deref()), (5, 1, Some("tool.dpolint.selec")));
        assert_eq!(named, &lexical_absolute(&path));
        assert_eq!(message, "unknown key `tool.dpolint.selec` (did you mean `tool.dpolint.select`?)");
        assert_eq!(error.to_string(), format!("{}:5:1: {message}", named.display()));
    }

    #[test]
    fn an_explicit_pyproject_needs_the_table() {
        let directory = tempfile::tempdir().unwrap();
        let path = write(directory.path(), "pyproject.toml", "[project]\nname = \"x\"\n");
        let error = load(&path).unwrap_err();
        assert!(matches!(&error, Error::Config { key: Some(key), line: 1, .. } if key == "tool.dpolint"), "{error:?}");
        let path = write(directory.path(), "pyproject.toml", "[tool]\ndpolint = 3\n");
        let error = load(&path).unwrap_err();
        assert!(matches!(&error, Error::Config { line: 2, column: 11, .. }), "{error:?}");
        // Any other name is read as top-level keys, even when it holds a `tool` table.
        let path = write(directory.path(), "custom.toml", "[tool.dpolint]\nselect = [\"DPO1\"]\n");
        let error = load(&path).unwrap_err();
        assert!(
            matches!(&error, Error::Config { key: Some(key), line: 1, column: 2, .. } if key == "tool"),
            "{error:?}"
        );
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let directory = tempfile::tempdir().unwrap();
        let error = load(&directory.path().join("nope.toml")).unwrap_err();
        assert!(matches!(error, Error::Io { .. }), "{error:?}");
    }

    #[test]
    fn unknown_keys_name_their_line_and_suggest_the_nearest() {
        let (line, column, key, message) = error_of("target = \"fireworks\"\n\nmax_tokens = 5\n");
        assert_eq!((line, column, key.as_deref()), (3, 1, Some("max_tokens")));
        assert_eq!(message, "unknown key `max_tokens` (did you mean `max-tokens`?)");
        let (_, _, _, message) = error_of("Select = []\n");
        assert!(message.contains("did you mean `select`?"), "{message}");
        let (_, _, _, message) = error_of("colour = true\n");
        assert!(message.starts_with("unknown key `colour` (known keys: target, select,"), "{message}");
        // The first unknown key in the file, not in key order.
        let (line, _, key, _) = error_of("zzz = 1\naaa = 2\n");
        assert_eq!((line, key.as_deref()), (1, Some("zzz")));
        // Inside a table header, and under a quoted key.
        let (line, column, key, _) = error_of("[severity]\nDPO104 = \"off\"\n\n[sevrity]\nDPO1 = \"info\"\n");
        assert_eq!((line, column, key.as_deref()), (4, 2, Some("sevrity")));
        let (_, _, key, _) = error_of("\"a b\" = 1\n");
        assert_eq!(key.as_deref(), Some("\"a b\""));
    }

    #[test]
    fn bad_values_name_the_value() {
        let cases: &[(&str, usize, usize, &str, &str)] = &[
            ("target = \"fire\"\n", 1, 10, "target", "unknown target `fire`"),
            ("target = 1\n", 1, 10, "target", "must be a string, found an integer"),
            ("select = [\"DPO1\",\n  \"DPO9\"]\n", 2, 3, "select", "unknown rule selector `DPO9`"),
            ("select = \"DPO1\"\n", 1, 10, "select", "must be an array of rule selectors"),
            ("select = []\n", 1, 10, "select", "is empty"),
            ("ignore = [\"invalid-rol\"]\n", 1, 11, "ignore", "did you mean `invalid-role`?"),
            ("ignore = [1]\n", 1, 11, "ignore", "found an integer"),
            ("max-per-rule = -1\n", 1, 16, "max-per-rule", "found -1"),
            ("max-per-rule = 2.5\n", 1, 16, "max-per-rule", "found a float"),
            ("max-tokens = 0\n", 1, 14, "max-tokens", "a positive integer"),
            ("max-tokens = 99999999999999999999999\n", 1, 14, "max-tokens", "a positive integer"),
            ("tokenizer = \"\"\n", 1, 13, "tokenizer", "is empty"),
            ("deny-warnings = \"yes\"\n", 1, 17, "deny-warnings", "must be a boolean"),
            ("extend-select = [\"DPO1\"]\n", 1, 1, "extend-select", "list every selector you want in `select`"),
            ("[severity]\nDPO999 = \"error\"\n", 2, 1, "severity.DPO999", "unknown rule selector `DPO999`"),
            (
                "[severity]\nDPO104 = \"warn\"\n",
                2,
                10,
                "severity.DPO104",
                "unknown severity `warn` (did you mean `warning`?)",
            ),
            ("[severity]\nDPO104 = false\n", 2, 10, "severity.DPO104", "must be a string"),
            ("severity = [\"DPO1\"]\n", 1, 12, "severity", "must be a table"),
            (
                "[per-file-ignores]\n\"a/[b.jsonl\" = [\"DPO1\"]\n",
                2,
                1,
                "per-file-ignores.\"a/[b.jsonl\"",
                "invalid glob",
            ),
            (
                "[per-file-ignores]\n\"*.jsonl\" = [\"DPO7\"]\n",
                2,
                14,
                "per-file-ignores.\"*.jsonl\"",
                "unknown rule selector",
            ),
            ("[per-file-ignores]\n\"*.jsonl\" = \"DPO1\"\n", 2, 13, "per-file-ignores.\"*.jsonl\"", "must be an array"),
            ("[tool.dpolint]\n", 1, 2, "tool", "unknown key `tool`"),
        ];
        for &(text, line, column, key, needle) in cases {
            let (got_line, got_column, got_key, message) = error_of(text);
            assert_eq!((got_line, got_column, got_key.as_deref()), (line, column, Some(key)), "{text:?}: {message}");
            assert!(message.contains(needle), "{text:?}: {message:?} lacks {needle:?}");
            assert!(message.contains(&format!("`{key}`")), "{text:?}: {message:?} does not name `{key}`");
        }
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let (line, column, key, message) = error_of("target = \"fireworks\"\nselect = [\"DPO1\",\nignore = []\n");
        assert_eq!((line, column, key), (3, 8, None));
        assert!(message.starts_with("invalid TOML: "), "{message}");
        let (line, _, _, message) = error_of("max-tokens = 1\nmax-tokens = 2\n");
        assert_eq!(line, 2);
        assert!(message.contains("duplicate key"), "{message}");
        // Columns count characters, not bytes.
        let (line, column, _, _) = error_of("# é\n[severity]\n\"é\" = \"error\"\n");
        assert_eq!((line, column), (3, 1));
        let (line, column, _, _) = error_of("[per-file-ignores]\n\"é/*.jsonl\" = [\"DPO1\", \"nope\"]\n");
        assert_eq!((line, column), (2, 24));
    }

    #[test]
    fn invalid_utf8_is_a_config_error() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("dpolint.toml");
        fs::write(&path, b"target = \"fireworks\"\nselect = [\"\xff\"]\n").unwrap();
        let error = load(&path).unwrap_err();
        assert!(matches!(&error, Error::Config { line: 2, column: 12, key: None, .. }), "{error:?}");
    }

    fn config(text: &str) -> Config {
        let directory = tempfile::tempdir().unwrap();
        load(&write(directory.path(), "dpolint.toml", text)).unwrap()
    }

    #[test]
    fn command_line_select_replaces_the_file_and_ignores_add_up() {
        let config = config("select = [\"DPO1\"]\nignore = [\"DPO104\"]\n");
        let set = config.rule_set(Target::Fireworks, &[], &[]).unwrap();
        assert!(set.is_enabled(Rule::MissingField));
        assert!(!set.is_enabled(Rule::InvalidRole));
        assert!(!set.is_enabled(Rule::InvalidJson));
        let set = config.rule_set(Target::Fireworks, &strings(&["DPO0"]), &strings(&["DPO003"])).unwrap();
        assert!(set.is_enabled(Rule::InvalidUtf8));
        assert!(!set.is_enabled(Rule::InvalidJson), "the command line's ignore");
        assert!(!set.is_enabled(Rule::MissingField), "the command line's select replaces the file's");
        assert!(!set.is_enabled(Rule::InvalidRole), "the file's ignore still applies");
        let error = config.rule_set(Target::Fireworks, &strings(&["DPO9"]), &[]).unwrap_err();
        assert!(matches!(error, Error::InvalidOptions(_)), "{error:?}");
        // No file: the target's defaults.
        assert_eq!(
            Config::default().rule_set(Target::Fireworks, &[], &[]).unwrap(),
            RuleSet::defaults(Target::Fireworks)
        );
    }

    #[test]
    fn severity_overrides() {
        let config = config("[severity]\nDPO403 = \"error\"\nDPO006 = \"off\"\nconsecutive-roles = \"info\"\n");
        let set = config.rule_set(Target::Fireworks, &[], &[]).unwrap();
        assert_eq!(set.severity(Rule::DuplicateExample), Some(Severity::Error));
        assert_eq!(set.severity(Rule::CarriageReturn), None);
        assert_eq!(set.severity(Rule::ConsecutiveRoles), Some(Severity::Info), "an exact override turns a rule on");
        assert_eq!(set.severity(Rule::InvalidRole), Some(Severity::Error), "untouched");
        // The command line's ignore beats the file's severity.
        let set = config.rule_set(Target::Fireworks, &[], &strings(&["DPO403"])).unwrap();
        assert_eq!(set.severity(Rule::DuplicateExample), None);
        // An override does not bring back a rule that `select` leaves out.
        let set = config.rule_set(Target::Fireworks, &strings(&["DPO1"]), &[]).unwrap();
        assert_eq!(set.severity(Rule::DuplicateExample), None);
        assert_eq!(set.severity(Rule::ConsecutiveRoles), None);
        // ... but does turn on one that a selected prefix names.
        let set = config.rule_set(Target::Fireworks, &strings(&["DPO2"]), &[]).unwrap();
        assert_eq!(set.severity(Rule::ConsecutiveRoles), Some(Severity::Info));
    }

    #[test]
    fn the_most_specific_severity_wins_whatever_the_order() {
        let config = config("[severity]\nDPO104 = \"warning\"\nDPO1 = \"info\"\nALL = \"off\"\nDPO2 = \"warning\"\n");
        let set = config.rule_set(Target::Fireworks, &[], &[]).unwrap();
        assert_eq!(set.severity(Rule::InvalidRole), Some(Severity::Warning));
        assert_eq!(set.severity(Rule::MissingField), Some(Severity::Info));
        assert_eq!(set.severity(Rule::MultiTurn), Some(Severity::Warning));
        assert_eq!(
            set.severity(Rule::ConsecutiveRoles),
            None,
            "a prefix does not turn on a rule the target leaves off"
        );
        assert_eq!(set.severity(Rule::InvalidJson), None);
    }

    #[test]
    fn expand_agrees_with_rule_set_selectors() {
        let mut selectors: Vec<String> = ["ALL", "all", "DPO", "dpo1", "DPO10", " DPO104 "].map(String::from).to_vec();
        for rule in Rule::ALL {
            selectors.push(rule.code().to_owned());
            selectors.push(rule.name().to_owned());
            selectors.push(rule.code()[..4].to_owned());
        }
        for target in Target::ALL {
            for selector in &selectors {
                let set = RuleSet::from_selectors(target, std::slice::from_ref(selector), &[]).unwrap();
                let (rules, exact) = expand(selector).unwrap();
                for &rule in Rule::ALL {
                    let expected = rules.contains(&rule) && (exact || rule.default_severity(target).is_some());
                    assert_eq!(set.is_enabled(rule), expected, "{selector} {rule} on {target}");
                }
            }
        }
        assert!(expand("DPO9").is_none());
        assert!(expand("invalid-rol").is_none());
    }

    #[test]
    fn per_file_ignores_match_names_anywhere_and_paths_from_the_config_directory() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        let path = write(
            root,
            "dpolint.toml",
            "[per-file-ignores]\n\"legacy.jsonl\" = [\"DPO103\"]\n\"data/*.jsonl\" = [\"DPO1\"]\n\"./raw/**/*.jsonl\" = [\"blank-line\"]\n",
        );
        let ignores = load(&path).unwrap().per_file_ignores;
        assert!(!ignores.is_empty());
        assert_eq!(ignores.ignored(&root.join("x/y/legacy.jsonl")), [Rule::UnknownField]);
        assert_eq!(ignores.ignored(&root.join("legacy.jsonl")), [Rule::UnknownField]);
        let data = ignores.ignored(&root.join("data/train.jsonl"));
        assert!(data.contains(&Rule::InvalidRole) && !data.contains(&Rule::InvalidJson), "{data:?}");
        // `*` does not cross a `/`, and the pattern is anchored at the config directory.
        assert!(ignores.ignored(&root.join("data/deep/train.jsonl")).is_empty());
        assert!(ignores.ignored(&root.join("other/data/train.jsonl")).is_empty());
        assert_eq!(ignores.ignored(&root.join("raw/a/b/c.jsonl")), [Rule::BlankLine]);
        assert_eq!(ignores.ignored(&root.join("raw/c.jsonl")), [Rule::BlankLine]);
        // Overlapping patterns add up, without repeats; `..` is resolved; the file need not exist.
        let both = ignores.ignored(&root.join("raw/../data/legacy.jsonl"));
        assert!(both.contains(&Rule::UnknownField) && both.contains(&Rule::MissingField), "{both:?}");
        assert!(both.windows(2).all(|pair| pair[0] < pair[1]), "{both:?}");
        assert!(ignores.ignored(Path::new("-")).is_empty());
        let mut set = RuleSet::defaults(Target::Fireworks);
        ignores.apply(&root.join("raw/x.jsonl"), &mut set);
        assert!(!set.is_enabled(Rule::BlankLine));
        assert!(set.is_enabled(Rule::InvalidRole));
    }

    #[test]
    fn per_file_ignores_match_relative_paths_and_links() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        let path = write(root, "project/dpolint.toml", "[per-file-ignores]\n\"data/*.jsonl\" = [\"DPO103\"]\n");
        let ignores = load(&path).unwrap().per_file_ignores;
        // Relative to the current directory (the tests' working directory is the crate root).
        let cwd = std::env::current_dir().unwrap();
        let relative = pathdiff(&root.join("project/data/a.jsonl"), &cwd);
        assert_eq!(ignores.ignored(&relative), [Rule::UnknownField], "{}", relative.display());
        // Through a symlinked directory that leads into the project.
        #[cfg(unix)]
        {
            fs::create_dir_all(root.join("project/data")).unwrap();
            std::os::unix::fs::symlink(root.join("project"), root.join("link")).unwrap();
            assert_eq!(ignores.ignored(&root.join("link/data/a.jsonl")), [Rule::UnknownField]);
            let linked = load(&root.join("link/dpolint.toml")).unwrap().per_file_ignores;
            assert_eq!(linked.ignored(&root.join("project/data/a.jsonl")), [Rule::UnknownField]);
        }
    }

    /// `path` relative to `base` with `..` steps (both absolute).
    fn pathdiff(path: &Path, base: &Path) -> PathBuf {
        let path: Vec<Component> = path.components().collect();
        let base: Vec<Component> = base.components().collect();
        let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
        let mut relative = PathBuf::new();
        for _ in common..base.len() {
            relative.push("..");
        }
        for component in &path[common..] {
            relative.push(component);
        }
        relative
    }

    #[test]
    fn per_file_ignores_are_send_sync_clone_debug() {
        fn assert_traits<T: Clone + std::fmt::Debug + Send + Sync>() {}
        assert_traits::<PerFileIgnores>();
        assert_traits::<Config>();
    }

    #[test]
    fn keys_are_quoted_when_toml_would_quote_them() {
        assert_eq!(key_part("max-tokens"), "max-tokens");
        assert_eq!(key_part("data/*.jsonl"), "\"data/*.jsonl\"");
        assert_eq!(key_part("a\"b"), "\"a\\\"b\"");
        assert_eq!(key_part(""), "\"\"");
    }
}
