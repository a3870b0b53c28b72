//! Wall-clock times for people and for records: RFC 3339 in UTC with
//! milliseconds for records (`2026-03-01T14:03:07.250Z`), the local date
//! and time for human lines (`2026-03-01 15:03:07`).
//!
//! chrono's local time zone needs its `clock` feature and a crate this
//! build does not have; the C library already knows the zone (`TZ`,
//! `/etc/localtime`), so its `localtime_r` gives the offset.

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

/// `2026-03-01T14:03:07.250Z`.
pub(crate) fn rfc3339_utc(at: SystemTime) -> String {
    DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `2026-03-01 15:03:07` in the local time zone (UTC where it cannot be
/// told).
pub(crate) fn local(at: SystemTime) -> String {
    let utc = DateTime::<Utc>::from(at);
    let offset = utc_offset(utc.timestamp())
        .and_then(FixedOffset::east_opt)
        .unwrap_or(FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("0 is in range")));
    utc.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Seconds east of UTC of the local time zone at `secs` since the epoch.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
))]
fn utc_offset(secs: i64) -> Option<i32> {
    // time_t is 32 bits on some targets.
    #[allow(clippy::useless_conversion)]
    let time: libc::time_t = secs.try_into().ok()?;
    let mut tm = std::mem::MaybeUninit::<libc::tm>::zeroed();
    // SAFETY: `localtime_r` reads `time` and writes only `tm`, both valid
    // for the call; it is thread-safe. It reads the time zone from the
    // environment, which urlcheck never changes (`set_var` is unsafe and
    // never called).
    let filled = unsafe { libc::localtime_r(&time, tm.as_mut_ptr()) };
    if filled.is_null() {
        return None;
    }
    // SAFETY: `localtime_r` succeeded, so it filled `tm`.
    let tm = unsafe { tm.assume_init() };
    i32::try_from(tm.tm_gmtoff).ok()
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
)))]
fn utc_offset(_secs: i64) -> Option<i32> {
    None
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
