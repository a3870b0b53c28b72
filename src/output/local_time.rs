//! Wall-clock times for people and for records: RFC 3339 in UTC with
//! milliseconds for records (`2026-03-01T14:03:07.250Z`), the local date
//! and time for human lines (`2026-03-01 15:03:07`).
//!
//! chrono reads the local time zone (`TZ`, `/etc/localtime`, or the
//! system's own on macOS and Windows).

use std::time::SystemTime;

use chrono::{DateTime, Local, SecondsFormat, Utc};

/// `2026-03-01T14:03:07.250Z`.
pub(crate) fn rfc3339_utc(at: SystemTime) -> String {
    DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `2026-03-01 15:03:07` in the local time zone.
pub(crate) fn local(at: SystemTime) -> String {
    DateTime::<Local>::from(at)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn records_get_utc_with_milliseconds() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_772_373_787_250);
        assert_eq!(rfc3339_utc(at), "2026-03-01T14:03:07.250Z");
    }

    #[test]
    fn people_get_the_local_time_to_the_second() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_772_373_787_250);
        let shown = local(at);
        // Whatever the zone of the machine: a date and a time.
        assert_eq!(shown.len(), "2026-03-01 14:03:07".len(), "{shown}");
        assert!(shown.ends_with(":07"), "{shown}");
    }
}
