//! `full`: miette's graphical report, one finding at a time, drawn from the source line each
//! diagnostic carries (the file is never read again).

use std::fmt;
use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};

use super::{Cap, Render, RenderOptions, dataset_line, total_line};
use crate::diagnostic::Diagnostic;
use crate::rules::Severity;
use crate::span::{SourceLine, count_scalars};
use crate::validate::{DatasetSummary, Sink, Summary};

pub(super) struct FullRenderer<'w> {
    writer: Box<dyn Write + 'w>,
    handler: GraphicalReportHandler,
    cap: Cap,
    quiet: bool,
}

impl<'w> FullRenderer<'w> {
    pub(super) fn new(writer: Box<dyn Write + 'w>, options: &RenderOptions) -> Self {
        let theme = match (options.unicode, options.color) {
            (true, true) => GraphicalTheme::unicode(),
            (true, false) => GraphicalTheme::unicode_nocolor(),
            (false, true) => {
                GraphicalTheme { characters: miette::ThemeCharacters::ascii(), ..GraphicalTheme::unicode() }
            }
            (false, false) => GraphicalTheme::none(),
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(options.width)
            .with_links(false)
            .with_context_lines(0)
            .tab_width(1);
        FullRenderer { writer, handler, cap: Cap::new(options.max_per_rule), quiet: options.quiet }
    }
}

impl Sink for FullRenderer<'_> {
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> io::Result<()> {
        if !self.cap.admit(&diagnostic) {
            return Ok(());
        }
        let view = View::new(&diagnostic);
        let mut text = String::new();
        self.handler.render_report(&mut text, &view).map_err(io::Error::other)?;
        write!(self.writer, "{text}")?;
        writeln!(self.writer)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn finish_dataset(&mut self, summary: &DatasetSummary) -> io::Result<()> {
        for line in self.cap.take_overflow() {
            writeln!(self.writer, "{line}")?;
        }
        if !self.quiet {
            writeln!(self.writer, "{}", dataset_line(summary))?;
        }
        self.writer.flush()
    }
}

impl Render for FullRenderer<'_> {
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if summary.datasets > 1 && !self.quiet {
            writeln!(self.writer, "{}", total_line(summary))?;
        }
        self.writer.flush()
    }
}

/// A diagnostic as miette sees it.
struct View<'a> {
    diagnostic: &'a Diagnostic,
    code: String,
    message: String,
    help: Option<String>,
    source: Option<LineSource<'a>>,
}

impl<'a> View<'a> {
    fn new(diagnostic: &'a Diagnostic) -> Self {
        let mut help = diagnostic.help.clone();
        // Related places on other lines are not in the drawn snippet: name them in the help.
        for related in &diagnostic.related {
            let shown_in_snippet = related.file.is_none() && Some(related.location.line) == diagnostic.line();
            if !shown_in_snippet {
                let file = related.file.as_deref().unwrap_or(&diagnostic.file);
                let note =
                    format!("{}: {}:{}:{}", related.message, file, related.location.line, related.location.column);
                help = Some(match help {
                    Some(help) => format!("{help}\n{note}"),
                    None => note,
                });
            }
        }
        let source = diagnostic.source.as_ref().zip(diagnostic.location).map(|(line, location)| LineSource {
            name: &diagnostic.file,
            line,
            primary_column: location.column,
        });
        // Without a source line there is no `[file:line:col]` header: name the place in the message.
        let message = match (&source, diagnostic.location) {
            (Some(_), _) => diagnostic.message.clone(),
            (None, Some(location)) => {
                format!("{}:{}:{}: {}", diagnostic.file, location.line, location.column, diagnostic.message)
            }
            (None, None) => format!("{}: {}", diagnostic.file, diagnostic.message),
        };
        View {
            diagnostic,
            code: format!("{} {}", diagnostic.rule.code(), diagnostic.rule.name()),
            message,
            help,
            source,
        }
    }
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for View<'_> {}

impl miette::Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let source = self.source.as_ref()?;
        let pointer = self.diagnostic.pointer.as_deref().filter(|pointer| !pointer.is_empty());
        let labels = source.line.labels.iter().enumerate().map(move |(index, label)| {
            let text = if index == 0 { pointer.map(|pointer| format!("at {pointer}")) } else { label.message.clone() };
            let span = SourceSpan::new(label.start.into(), label.len);
            if index == 0 {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            }
        });
        Some(Box::new(labels))
    }
}

/// Serves a [`SourceLine`] to miette with the real line number and columns.
struct LineSource<'a> {
    name: &'a str,
    line: &'a SourceLine,
    primary_column: u64,
}

impl SourceCode for LineSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        _: usize,
        _: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let text = self.line.text.as_bytes();
        let primary_start = self.line.labels.first().map_or(0, |label| label.start);
        let column = if span.offset() == primary_start {
            self.primary_column
        } else {
            // Characters before the span in the displayed text, less a leading `…`.
            let shown = count_scalars(&text[..span.offset().min(text.len())]) as u64;
            let clipped = u64::from(self.line.text.starts_with('…'));
            self.line.first_column + shown - clipped
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            text,
            SourceSpan::new(0.into(), text.len()),
            (self.line.line - 1) as usize,
            column.saturating_sub(1) as usize,
            1,
        )))
    }
}
