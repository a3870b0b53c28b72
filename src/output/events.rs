//! With `--watch`: the writer of events, one line per change of a URL's
//! health, in human, JSON Lines or CSV. JSON Lines and CSV records are the
//! one-shot record plus `event`, `previous`, `previous_for_ms` and `at`
//! (when, RFC 3339 in UTC); a human line starts with the local time.
//!
//! ```text
//! 2026-03-01 09:12:00  UP    200  https://a.test/health  (first check)
//! 2026-03-01 12:24:00  DOWN  503  https://a.test/health  status 503, expected 200-299 (was up 3h 12m)
//! ```
//!
//! Events are few; each is written and flushed at once, on a thread of its
//! own so that a slow reader of stdout never stalls the checks.

use std::io::{self, Write};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use console::Style;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::config::Format;
use crate::output::local_time::{local, rfc3339_utc};
use crate::output::reporters::Escaped;
use crate::results::{Event, Health, Record};
use crate::stop::{Stop, StopReason};
use crate::text::{escape_control, format_span, format_status};

/// Writes events to `out` in `format`.
pub(crate) struct EventWriter<W: Write> {
    format: Format,
    out: W,
    styles: Styles,
    header_written: bool,
}

struct Styles {
    up: Style,
    down: Style,
    dim: Style,
    reason: Style,
}

/// A JSON Lines event: the record's fields, then the event's.
#[derive(Serialize)]
struct JsonEvent<'a> {
    #[serde(flatten)]
    record: Record<'a>,
    event: Health,
    previous: Health,
    previous_for_ms: u64,
    at: String,
}

impl<W: Write> EventWriter<W> {
    pub(crate) fn new(format: Format, color: bool, out: W) -> Self {
        let style = |s: Style| s.force_styling(color);
        EventWriter {
            format,
            out,
            styles: Styles {
                up: style(Style::new().green()),
                down: style(Style::new().red().bold()),
                dim: style(Style::new().dim()),
                reason: style(Style::new().red()),
            },
            header_written: false,
        }
    }

    /// Write the CSV header now, so that a reader has it before any event.
    pub(crate) fn start(&mut self) -> io::Result<()> {
        self.header()?;
        self.out.flush()
    }

    /// Write the CSV header, once.
    fn header(&mut self) -> io::Result<()> {
        if self.format == Format::Csv && !self.header_written {
            self.header_written = true;
            let mut header = csv::Writer::from_writer(Vec::new());
            let fields = Record::FIELDS.iter().chain(Event::FIELDS.iter());
            header.write_record(fields).map_err(io::Error::other)?;
            let header = header
                .into_inner()
                .map_err(|e| io::Error::other(e.to_string()))?;
            self.out.write_all(&header)?;
        }
        Ok(())
    }

    /// Write one event and flush it: one write per line, never half a record.
    pub(crate) fn write(&mut self, event: &Event) -> io::Result<()> {
        self.header()?;
        let line = match self.format {
            Format::Jsonl => self.json(event)?,
            Format::Csv => self.csv(event)?,
            _ => self.human(event).into_bytes(),
        };
        self.out.write_all(&line)?;
        self.out.flush()
    }

    fn json(&self, event: &Event) -> io::Result<Vec<u8>> {
        let mut line = serde_json::to_vec(&JsonEvent {
            record: event.result.record(),
            event: event.health,
            previous: event.previous,
            previous_for_ms: event.previous_for_ms(),
            at: rfc3339_utc(event.at),
        })
        .map_err(io::Error::other)?;
        line.push(b'\n');
        Ok(line)
    }

    fn csv(&self, event: &Event) -> io::Result<Vec<u8>> {
        let safe = Escaped::new(event.result.record());
        let mut row = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        row.serialize((
            safe.record(),
            event.health.as_str(),
            event.previous.as_str(),
            event.previous_for_ms(),
            rfc3339_utc(event.at),
        ))
        .map_err(io::Error::other)?;
        row.into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }

    fn human(&self, event: &Event) -> String {
        let result = &event.result;
        let verdict = match event.health {
            Health::Down => self.styles.down.apply_to("DOWN"),
            _ => self.styles.up.apply_to("UP  "),
        };
        let mut line = format!(
            "{}  {verdict}  {:>3}  {}",
            self.styles.dim.apply_to(local(event.at)),
            format_status(result.status),
            escape_control(&result.url)
        );
        if let Some(failure) = &result.failure {
            let reason = escape_control(&failure.reason()).into_owned();
            line.push_str(&format!("  {}", self.styles.reason.apply_to(reason)));
        }
        let was = match event.previous {
            Health::Unknown => "(first check)".to_string(),
            previous => format!(
                "(was {} {})",
                previous.as_str(),
                format_span(event.previous_for)
            ),
        };
        let gap = if result.failure.is_some() { " " } else { "  " };
        line.push_str(&format!("{gap}{}\n", self.styles.dim.apply_to(was)));
        line
    }
}

/// The thread that writes events to stdout. A closed stdout stops the
/// watcher quietly; another write error stops it with that error.
pub(crate) struct EventThread {
    thread: JoinHandle<io::Result<()>>,
}

impl EventThread {
    pub(crate) fn spawn(
        mut writer: EventWriter<Box<dyn Write + Send>>,
        mut events: mpsc::Receiver<Event>,
        stop: Arc<Stop>,
    ) -> anyhow::Result<Self> {
        let thread = std::thread::Builder::new()
            .name("urlcheck-events".into())
            .spawn(move || {
                let mut written = writer.start();
                while written.is_ok()
                    && let Some(event) = events.blocking_recv()
                {
                    written = writer.write(&event);
                }
                match written {
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                        stop.trigger(StopReason::Output);
                        Ok(())
                    }
                    Err(e) => {
                        stop.trigger(StopReason::Output);
                        Err(e)
                    }
                    Ok(()) => Ok(()),
                }
            })
            .context("cannot start the output thread")?;
        Ok(EventThread { thread })
    }

    /// Wait until every event sent is written (the sender must be gone).
    pub(crate) fn join(self) -> anyhow::Result<()> {
        match self.thread.join() {
            Ok(written) => written.context("cannot write to stdout"),
            Err(_) => anyhow::bail!("the output thread stopped unexpectedly"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use std::time::Duration;

    fn event(health: Health, previous: Health, previous_for: Duration) -> Event {
        let result = match health {
            Health::Down => testing::failed(),
            _ => testing::passed(),
        };
        Event {
            result,
            health,
            previous,
            previous_for,
            // 2026-03-01T14:03:07.250Z
            at: std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(1_772_373_787_250),
        }
    }

    fn render(format: Format, events: &[Event]) -> String {
        let mut writer = EventWriter::new(format, false, Vec::new());
        for e in events {
            writer.write(e).unwrap_or_else(|e| panic!("{e}"));
        }
        String::from_utf8(writer.out).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn human_lines_say_what_changed_and_for_how_long_it_was_before() {
        let text = render(
            Format::Human,
            &[
                event(Health::Up, Health::Unknown, Duration::from_millis(20)),
                event(
                    Health::Down,
                    Health::Up,
                    Duration::from_secs(3 * 3600 + 720),
                ),
            ],
        );
        let lines: Vec<&str> = text.lines().collect();
        // The local time first: the machine's zone, whatever it is.
        let at =
            local(std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(1_772_373_787_250));
        assert_eq!(
            lines[0],
            format!("{at}  UP    200  https://a.test/  (first check)")
        );
        assert!(
            lines[1].starts_with(&format!("{at}  DOWN  ")),
            "{}",
            lines[1]
        );
        assert!(lines[1].ends_with(" (was up 3h 12m)"), "{}", lines[1]);
    }

    #[test]
    fn jsonl_events_are_records_with_the_event_fields() {
        let text = render(
            Format::Jsonl,
            &[event(Health::Down, Health::Up, Duration::from_millis(1500))],
        );
        let value: serde_json::Value =
            serde_json::from_str(text.trim_end()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(value["event"], "down");
        assert_eq!(value["previous"], "up");
        assert_eq!(value["previous_for_ms"], 1500);
        assert_eq!(value["at"], "2026-03-01T14:03:07.250Z");
        assert_eq!(value["ok"], false);
        for field in Record::FIELDS {
            assert!(value.get(field).is_some(), "{field} missing");
        }
    }

    #[test]
    fn csv_events_have_the_record_columns_then_the_event_columns() {
        let text = render(
            Format::Csv,
            &[event(Health::Up, Health::Down, Duration::from_secs(60))],
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap_or_else(|e| panic!("{e}")).clone();
        assert_eq!(header.len(), Record::FIELDS.len() + 4);
        assert_eq!(&header[header.len() - 4], "event");
        assert_eq!(&header[header.len() - 1], "at");
        let row = reader
            .records()
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("no row in {text}"));
        assert_eq!(row.len(), header.len());
        assert_eq!(&row[header.len() - 4], "up");
        assert_eq!(&row[header.len() - 3], "down");
        assert_eq!(&row[header.len() - 2], "60000");
        assert_eq!(&row[header.len() - 1], "2026-03-01T14:03:07.250Z");
    }
}
