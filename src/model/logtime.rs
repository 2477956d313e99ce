//! When a database authentication happened, read from an access-log entry in every form Atlas
//! has been seen to send, and written back in the same form.
//!
//! Atlas's spec calls an entry's `timestamp` ISO 8601 in UTC, but real answers carry Java's
//! `Date#toString` (`Thu Feb 05 09:24:59 GMT 2026`: second precision, a zone abbreviation,
//! in old documentation an unpadded hour and a US zone), and `logLine` is mongod's own log
//! line: a JSON document whose `t.$date` holds the exact instant (MongoDB 4.4 and later), or
//! older text whose first word is an ISO 8601 time. [`entry_time`] reads them in that order of
//! trust. The simulated Atlas uses the writing half ([`java_date`], [`moved_time`],
//! [`moved_log_line`]) to age its worlds and write synthetic entries without changing a form.

use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

/// When an access-log entry happened: `logLine`'s `t.$date` when the line is a JSON log line;
/// else `timestamp` as Java's `Date#toString`, RFC 3339, or ISO 8601 with or without offset
/// (none means UTC); else the ISO 8601 time that starts a text log line. `None` when no form
/// can be read.
pub fn entry_time(timestamp: Option<&str>, log_line: Option<&str>) -> Option<Timestamp> {
    log_line
        .and_then(json_line_time)
        .or_else(|| timestamp.and_then(timestamp_time))
        .or_else(|| log_line.and_then(text_line_time))
}

/// A `timestamp` value in any of its forms.
fn timestamp_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    JavaDate::parse(text)
        .map(|d| d.at())
        .or_else(|| Iso::parse(text).map(|i| i.at))
}

/// `text` as Java's `Date#toString` prints `at` in `zone` (a name [`entry_time`] reads, e.g.
/// `GMT`, `EDT`, `+0530`): `Thu Feb 05 09:24:59 GMT 2026`. `None` for a zone it would not
/// read back.
pub fn java_date(at: Timestamp, zone: &str) -> Option<String> {
    let offset = zone_offset(zone)?;
    Some(print_java(at, offset, zone, (true, true)))
}

/// The same `timestamp` text with its moment moved by `by`, in the same form: a Java date
/// keeps its zone abbreviation (and offset) and hour padding, an ISO 8601 time its offset
/// notation and fractional digits. `None` when `text` is not a time.
pub fn moved_time(text: &str, by: SignedDuration) -> Option<String> {
    if let Some(d) = JavaDate::parse(text) {
        let at = d.at().checked_add(by).ok()?;
        return Some(print_java(at, d.offset, d.zone, d.padded));
    }
    let iso = Iso::parse(text)?;
    Some(iso.print(iso.at.checked_add(by).ok()?))
}

/// The same `logLine` with its time moved by `by` and every other byte kept: `t.$date` of a
/// JSON line (a string keeps its notation; epoch milliseconds stay milliseconds), or the ISO
/// 8601 time at the start of a text line. `None` when the line holds no time that
/// [`entry_time`] would read.
pub fn moved_log_line(line: &str, by: SignedDuration) -> Option<String> {
    if let Some(at) = json_line_time(line) {
        let moved = move_json_date(line, by)?;
        // Found by text: prove it is the instant the line is read as.
        return (json_line_time(&moved) == at.checked_add(by).ok()).then_some(moved);
    }
    let end = line.find(char::is_whitespace)?;
    let iso = Iso::parse(&line[..end])?;
    let at = iso.at.checked_add(by).ok()?;
    Some(format!("{}{}", iso.print(at), &line[end..]))
}

/// `t.$date` of a JSON log line: an ISO 8601 string, epoch milliseconds, or extended JSON's
/// `{"$numberLong": "<ms>"}`.
fn json_line_time(line: &str) -> Option<Timestamp> {
    #[derive(Deserialize)]
    struct Line {
        t: Option<Stamp>,
    }
    #[derive(Deserialize)]
    struct Stamp {
        #[serde(rename = "$date")]
        date: Option<serde_json::Value>,
    }
    if !line.trim_start().starts_with('{') {
        return None;
    }
    let line: Line = serde_json::from_str(line).ok()?;
    match line.t?.date? {
        serde_json::Value::String(s) => Iso::parse(&s).map(|i| i.at),
        serde_json::Value::Number(n) => Timestamp::from_millisecond(n.as_i64()?).ok(),
        serde_json::Value::Object(o) => {
            let ms = o.get("$numberLong")?.as_str()?.parse().ok()?;
            Timestamp::from_millisecond(ms).ok()
        }
        _ => None,
    }
}

/// The ISO 8601 time that starts a text log line (`2019-07-25T19:13:39.316+0000 I  ACCESS ...`).
fn text_line_time(line: &str) -> Option<Timestamp> {
    let line = line.trim_start();
    let end = line.find(char::is_whitespace).unwrap_or(line.len());
    Iso::parse(&line[..end]).map(|i| i.at)
}

/// Rewrites the first `"$date"` value of a JSON line (the `t` field leads every mongod line).
fn move_json_date(line: &str, by: SignedDuration) -> Option<String> {
    let key = line.find("\"$date\"")? + "\"$date\"".len();
    let colon = key + line[key..].find(':')?;
    let start = colon + 1 + (line[colon + 1..].len() - line[colon + 1..].trim_start().len());
    let rest = &line[start..];
    let (from, to, value) = if let Some(inner) = rest.strip_prefix('"') {
        let len = inner.find('"')?;
        let iso = Iso::parse(&inner[..len])?;
        (
            start + 1,
            start + 1 + len,
            iso.print(iso.at.checked_add(by).ok()?),
        )
    } else {
        // Milliseconds, bare or as {"$numberLong": "<ms>"}: the first run of digits.
        let digits = rest.find(|c: char| c.is_ascii_digit() || c == '-')?;
        let len = rest[digits..]
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(rest.len() - digits);
        let ms: i64 = rest[digits..digits + len].parse().ok()?;
        let moved = ms.checked_add(i64::try_from(by.as_millis()).ok()?)?;
        (start + digits, start + digits + len, moved.to_string())
    };
    Some(format!("{}{value}{}", &line[..from], &line[to..]))
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Zone abbreviations Java prints and their fixed offsets in hours. The US ones are the zones
/// Atlas's documentation shows; `CST` is read as US Central, though Java prints China Standard
/// Time the same way (a JSON `logLine`, when present, settles the instant anyway). Any other
/// abbreviation is ambiguous and is not read.
const ZONES: [(&str, i8); 11] = [
    ("GMT", 0),
    ("UTC", 0),
    ("UT", 0),
    ("EST", -5),
    ("EDT", -4),
    ("CST", -6),
    ("CDT", -5),
    ("MST", -7),
    ("MDT", -6),
    ("PST", -8),
    ("PDT", -7),
];

/// The offset of a Java zone: an abbreviation of [`ZONES`], or a numeric offset alone
/// (`+0530`, `+05:30`) or after `GMT`/`UTC` (`GMT+05:30`, Java's name for a fixed zone).
fn zone_offset(zone: &str) -> Option<Offset> {
    if let Some((_, hours)) = ZONES.iter().find(|(n, _)| n.eq_ignore_ascii_case(zone)) {
        return Offset::from_hours(*hours).ok();
    }
    let numeric = zone
        .strip_prefix("GMT")
        .or_else(|| zone.strip_prefix("UTC"))
        .unwrap_or(zone);
    numeric_offset(numeric).map(|(offset, _)| offset)
}

/// How an ISO 8601 offset was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OffsetForm {
    /// None: the time is read as UTC.
    Absent,
    /// `Z`.
    Zulu,
    /// `+05:30`.
    Extended,
    /// `+0530`.
    Basic,
    /// `+05`.
    Hours,
}

/// `+05:30`, `+0530` or `+05` (any sign); the offset and its notation.
fn numeric_offset(text: &str) -> Option<(Offset, OffsetForm)> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &text[1..];
    let (hours, minutes, form) = match (body.len(), body.as_bytes().get(2)) {
        (5, Some(b':')) => (&body[..2], &body[3..], OffsetForm::Extended),
        (4, _) => (&body[..2], &body[2..], OffsetForm::Basic),
        (2, _) => (body, "00", OffsetForm::Hours),
        _ => return None,
    };
    let hours: i32 = digits(hours, 2..=2)?;
    let minutes: i32 = digits(minutes, 2..=2)?;
    if minutes >= 60 {
        return None;
    }
    let offset = Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()?;
    Some((offset, form))
}

/// `text` as a number when it is only ASCII digits, as many as `count` allows.
fn digits(text: &str, count: std::ops::RangeInclusive<usize>) -> Option<i32> {
    (count.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Java's `Date#toString`: `EEE MMM d HH:mm:ss zzz yyyy`. The weekday must be a weekday's name
/// but is not checked against the date: Atlas's own documentation example names the wrong one.
struct JavaDate<'a> {
    civil: DateTime,
    offset: Offset,
    zone: &'a str,
    /// Whether the day and the hour were written with two digits.
    padded: (bool, bool),
}

impl<'a> JavaDate<'a> {
    fn parse(text: &'a str) -> Option<JavaDate<'a>> {
        let mut words = text.split_ascii_whitespace();
        let mut next = || words.next();
        let (weekday, month, day, time, zone, year) =
            (next()?, next()?, next()?, next()?, next()?, next()?);
        if next().is_some() || !WEEKDAYS.iter().any(|w| w.eq_ignore_ascii_case(weekday)) {
            return None;
        }
        let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? + 1;
        let mut hms = time.split(':');
        let (hour, minute, second) = (hms.next()?, hms.next()?, hms.next()?);
        if hms.next().is_some() {
            return None;
        }
        let civil = DateTime::new(
            i16::try_from(digits(year, 4..=4)?).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(digits(day, 1..=2)?).ok()?,
            i8::try_from(digits(hour, 1..=2)?).ok()?,
            i8::try_from(digits(minute, 2..=2)?).ok()?,
            i8::try_from(digits(second, 2..=2)?).ok()?,
            0,
        )
        .ok()?;
        Some(JavaDate {
            civil,
            offset: zone_offset(zone)?,
            zone,
            padded: (day.len() == 2, hour.len() == 2),
        })
    }

    fn at(&self) -> Timestamp {
        // A civil time at a fixed offset within jiff's range always has an instant; the
        // fallback only guards the range's very ends.
        self.offset
            .to_timestamp(self.civil)
            .unwrap_or(Timestamp::MIN)
    }
}

/// `at` as Java's `Date#toString` in a zone, with the day and hour padded or not.
fn print_java(at: Timestamp, offset: Offset, zone: &str, padded: (bool, bool)) -> String {
    let t = offset.to_datetime(at);
    let weekday = WEEKDAYS[usize::from(t.weekday().to_monday_zero_offset().unsigned_abs())];
    let month = MONTHS[usize::from(t.month().unsigned_abs()) - 1];
    let pad = |n: i8, two: bool| {
        if two {
            format!("{n:02}")
        } else {
            n.to_string()
        }
    };
    format!(
        "{weekday} {month} {} {}:{:02}:{:02} {zone} {:04}",
        pad(t.day(), padded.0),
        pad(t.hour(), padded.1),
        t.minute(),
        t.second(),
        t.year()
    )
}

/// An ISO 8601 date-time (RFC 3339 is one), remembering how it was written.
struct Iso {
    at: Timestamp,
    offset: Offset,
    form: OffsetForm,
    /// Between date and time: `T`, `t` or a space.
    separator: char,
    /// Digits after the seconds, at most 9.
    fraction: usize,
}

impl Iso {
    fn parse(text: &str) -> Option<Iso> {
        let b = text.as_bytes();
        if b.len() < 19 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
            return None;
        }
        let separator = char::from(b[10]);
        if !matches!(separator, 'T' | 't' | ' ') {
            return None;
        }
        let (body, offset, form) = if let Some(body) = text.strip_suffix(['Z', 'z']) {
            (body, Offset::UTC, OffsetForm::Zulu)
        } else if let Some(sign) = text[11..].rfind(['+', '-']) {
            let (offset, form) = numeric_offset(&text[11 + sign..])?;
            (&text[..11 + sign], offset, form)
        } else {
            (text, Offset::UTC, OffsetForm::Absent)
        };
        let civil: DateTime = body.parse().ok()?;
        let fraction = body[11..]
            .find(['.', ','])
            .map_or(0, |dot| body[12 + dot..].len().min(9));
        Some(Iso {
            at: offset.to_timestamp(civil).ok()?,
            offset,
            form,
            separator,
            fraction,
        })
    }

    /// `at` written as this time was.
    fn print(&self, at: Timestamp) -> String {
        let t = self.offset.to_datetime(at);
        let mut out = format!(
            "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            self.separator,
            t.hour(),
            t.minute(),
            t.second()
        );
        if self.fraction > 0 {
            out.push('.');
            out.push_str(&format!("{:09}", t.subsec_nanosecond())[..self.fraction]);
        }
        let seconds = self.offset.seconds();
        let sign = if seconds < 0 { '-' } else { '+' };
        let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
        match self.form {
            OffsetForm::Absent => {}
            OffsetForm::Zulu => out.push('Z'),
            OffsetForm::Extended => out.push_str(&format!("{sign}{h:02}:{m:02}")),
            OffsetForm::Basic => out.push_str(&format!("{sign}{h:02}{m:02}")),
            OffsetForm::Hours => out.push_str(&format!("{sign}{h:02}")),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn stamp(s: &str) -> Option<Timestamp> {
        entry_time(Some(s), None)
    }

    #[test]
    fn java_dates_as_atlas_sends_them() {
        assert_eq!(
            stamp("Thu Feb 05 09:24:59 GMT 2026"),
            Some(ts("2026-02-05T09:24:59Z"))
        );
        assert_eq!(
            stamp("Thu Feb 05 09:24:59 UTC 2026"),
            Some(ts("2026-02-05T09:24:59Z"))
        );
        // The old documentation's example: unpadded hour, US Eastern daylight time, and a
        // weekday that does not match the date.
        assert_eq!(
            stamp("Sun Jul 25 9:14:42 EDT 2019"),
            Some(ts("2019-07-25T13:14:42Z"))
        );
        assert_eq!(
            stamp("Mon Jan 5 9:00:00 EST 2026"),
            Some(ts("2026-01-05T14:00:00Z"))
        );
        for (zone, hours) in [
            ("CST", 6),
            ("CDT", 5),
            ("MST", 7),
            ("MDT", 6),
            ("PST", 8),
            ("PDT", 7),
        ] {
            let text = format!("Wed Mar 04 10:00:00 {zone} 2026");
            let want = ts("2026-03-04T10:00:00Z") + SignedDuration::from_hours(hours);
            assert_eq!(stamp(&text), Some(want), "{text}");
        }
        for zone in ["+0530", "+05:30", "GMT+05:30", "UTC+0530"] {
            let text = format!("Thu Feb 05 15:00:00 {zone} 2026");
            assert_eq!(stamp(&text), Some(ts("2026-02-05T09:30:00Z")), "{text}");
        }
        assert_eq!(
            stamp("Thu Feb 05 01:00:00 -08:00 2026"),
            Some(ts("2026-02-05T09:00:00Z"))
        );
    }

    #[test]
    fn java_dates_that_cannot_be_read() {
        for text in [
            "Thu Feb 05 09:24:59 CET 2026",   // ambiguous abbreviation
            "Thu Feb 30 09:24:59 GMT 2026",   // no such day
            "Thu Foo 05 09:24:59 GMT 2026",   // no such month
            "Xyz Feb 05 09:24:59 GMT 2026",   // no such weekday
            "Thu Feb 05 09:24 GMT 2026",      // no seconds
            "Thu Feb 05 09:24:59 GMT",        // no year
            "Thu Feb 05 09:24:59 GMT 2026 x", // trailing word
            "Thu Feb 05 09:24:59 +5 2026",    // offset without minutes
            "yesterday",
            "",
        ] {
            assert_eq!(stamp(text), None, "{text:?}");
        }
    }

    #[test]
    fn iso_times_with_and_without_offset_or_fraction() {
        let at = ts("2026-11-19T10:00:00Z");
        assert_eq!(stamp("2026-11-19T10:00:00Z"), Some(at));
        assert_eq!(stamp("2026-11-19T10:00:00+00:00"), Some(at));
        assert_eq!(stamp("2026-11-19T12:00:00+02:00"), Some(at));
        assert_eq!(stamp("2026-11-19T05:00:00-0500"), Some(at));
        assert_eq!(stamp("2026-11-19T10:00:00"), Some(at), "no offset is UTC");
        assert_eq!(stamp("2026-11-19 10:00:00"), Some(at));
        assert_eq!(
            stamp("2026-11-19T10:00:00.123Z"),
            Some(at + SignedDuration::from_millis(123))
        );
        assert_eq!(
            stamp("2026-11-19T10:00:00.5"),
            Some(at + SignedDuration::from_millis(500))
        );
        for text in [
            "2026-11-19",
            "2026-11-19T25:00:00Z",
            "2026-11-19T10:00:00+5",
        ] {
            assert_eq!(stamp(text), None, "{text:?}");
        }
    }

    #[test]
    fn log_line_time_wins_then_timestamp_then_text_line() {
        let json = r#"{"t":{"$date":"2026-02-05T09:24:59.284+00:00"},"s":"I","c":"ACCESS","id":5286306,"attr":{"user":"app"}}"#;
        let exact = ts("2026-02-05T09:24:59.284Z");
        assert_eq!(entry_time(None, Some(json)), Some(exact));
        assert_eq!(
            entry_time(Some("Thu Feb 05 09:24:59 GMT 2026"), Some(json)),
            Some(exact),
            "the log line carries milliseconds"
        );
        let long = r#"{"t":{"$date":{"$numberLong":"1770283499284"}},"msg":"x"}"#;
        assert_eq!(entry_time(None, Some(long)), Some(exact));
        let number = r#"{"t":{"$date":1770283499284}}"#;
        assert_eq!(entry_time(None, Some(number)), Some(exact));

        let text = "2019-07-25T19:13:39.316+0000 I  ACCESS   [conn1893] SASL SCRAM-SHA-1 authentication failed for app on admin";
        let from_text = ts("2019-07-25T19:13:39.316Z");
        assert_eq!(entry_time(None, Some(text)), Some(from_text));
        assert_eq!(
            entry_time(Some("Sun Jul 25 9:14:42 EDT 2019"), Some(text)),
            Some(ts("2019-07-25T13:14:42Z")),
            "a text line is the last resort"
        );
        // A JSON line without a readable date falls back to the timestamp.
        assert_eq!(
            entry_time(
                Some("2026-01-01T00:00:00Z"),
                Some(r#"{"t":{"$date":"soon"}}"#)
            ),
            Some(ts("2026-01-01T00:00:00Z"))
        );
        assert_eq!(entry_time(Some("soon"), Some("not a log line")), None);
        assert_eq!(entry_time(None, None), None);
    }

    #[test]
    fn java_dates_print_as_java_does() {
        let at = ts("2026-02-05T09:24:59Z");
        assert_eq!(
            java_date(at, "GMT").as_deref(),
            Some("Thu Feb 05 09:24:59 GMT 2026")
        );
        assert_eq!(
            java_date(at, "EST").as_deref(),
            Some("Thu Feb 05 04:24:59 EST 2026")
        );
        assert_eq!(java_date(at, "CET"), None);
        for zone in ["GMT", "UTC", "EDT", "PST", "+0530", "GMT-03:00"] {
            let text = java_date(at, zone).unwrap();
            assert_eq!(stamp(&text), Some(at), "{text}");
        }
    }

    #[test]
    fn moved_times_keep_their_form() {
        let day = SignedDuration::from_hours(24);
        let cases = [
            (
                "Thu Feb 05 09:24:59 GMT 2026",
                "Fri Feb 06 09:24:59 GMT 2026",
            ),
            ("Wed Jul 24 9:14:42 EDT 2019", "Thu Jul 25 9:14:42 EDT 2019"),
            ("Sun Jan 4 9:00:00 EST 2026", "Mon Jan 5 9:00:00 EST 2026"),
            (
                "Wed Jul 24 19:14:42 EDT 2019",
                "Thu Jul 25 19:14:42 EDT 2019",
            ),
            (
                "Thu Feb 05 15:00:00 GMT+05:30 2026",
                "Fri Feb 06 15:00:00 GMT+05:30 2026",
            ),
            ("2026-02-05T09:24:59Z", "2026-02-06T09:24:59Z"),
            (
                "2026-02-05T09:24:59.250+02:00",
                "2026-02-06T09:24:59.250+02:00",
            ),
            ("2026-02-05T09:24:59-0500", "2026-02-06T09:24:59-0500"),
            ("2026-02-05 09:24:59", "2026-02-06 09:24:59"),
        ];
        for (from, to) in cases {
            assert_eq!(moved_time(from, day).as_deref(), Some(to), "{from}");
        }
        // A wrong weekday is read past, and written right.
        assert_eq!(
            moved_time("Sun Jul 25 9:14:42 EDT 2019", -day).as_deref(),
            Some("Wed Jul 24 9:14:42 EDT 2019")
        );
        assert_eq!(moved_time("2026-01-01", day), None);
        assert_eq!(moved_time("storefront-main", day), None);
    }

    #[test]
    fn moved_log_lines_change_only_their_time() {
        let day = SignedDuration::from_hours(24);
        let json = r#"{"t":{"$date":"2026-02-05T09:24:59.284+00:00"},"s":"I",  "c":"ACCESS","attr":{"user":"app","$date":"x"}}"#;
        let moved = moved_log_line(json, day).unwrap();
        assert_eq!(moved, json.replace("2026-02-05T09", "2026-02-06T09"));
        let spaced = r#"{"t": {"$date" : {"$numberLong": "1770283499284"}}}"#;
        assert_eq!(
            moved_log_line(spaced, day).unwrap(),
            spaced.replace("1770283499284", "1770369899284")
        );
        let text = "2019-07-25T19:13:39.316+0000 I  ACCESS   [conn1893] SASL failed";
        assert_eq!(
            moved_log_line(text, -day).unwrap(),
            text.replace("2019-07-25", "2019-07-24")
        );
        assert_eq!(moved_log_line("no time here", day), None);
        assert_eq!(moved_log_line(r#"{"msg":"no t"}"#, day), None);
    }
}
