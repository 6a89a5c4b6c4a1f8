//! Human-facing times: an instant shown in a department's time zone, in the release's language.
//!
//! Swedish follows the Government Offices' press pages (`2 juni 2022 kl. 09.00`, no zone name:
//! the reader is in Sweden); English names the zone (`2 June 2022 at 09:00 CEST`) because its
//! readers often are not. The machine-readable form (for `<time datetime>`) is RFC 3339 with the
//! zone's offset at that instant, so an hour that occurs twice when daylight saving time ends is
//! still unambiguous there. chrono's `unstable-locales` feature is not needed for twelve month names.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use chrono_tz::Tz;

/// The zone used when a department's stored zone does not parse (it is validated on creation,
/// so this only guards against a hand-edited database).
pub const FALLBACK_ZONE: Tz = chrono_tz::Europe::Stockholm;

const SWEDISH_MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];

const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The IANA zone `name`, or [`FALLBACK_ZONE`] when it does not parse.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(FALLBACK_ZONE)
}

/// Whether `language` (a BCP 47 tag) is Swedish: `sv`, `sv-SE`, `sv-FI`…
pub fn is_swedish(language: &str) -> bool {
    let primary = language.split(['-', '_']).next().unwrap_or_default();
    primary.eq_ignore_ascii_case("sv")
}

/// `at` in zone `tz` for people reading `language`: Swedish for Swedish tags, English otherwise.
pub fn human(at: DateTime<Utc>, tz: Tz, language: &str) -> String {
    if is_swedish(language) {
        swedish(at, tz)
    } else {
        english(at, tz)
    }
}

/// A no-break space (U+00A0): between a day and its month, so that `2 juni` never wraps apart.
pub const NO_BREAK_SPACE: char = '\u{a0}';

/// `2 juni 2022 kl. 09.00`: day without a leading zero, lowercase month, 24-hour clock with a dot;
/// a no-break space between day and month.
pub fn swedish(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    format!(
        "{}{NO_BREAK_SPACE}{} {} kl. {:02}.{:02}",
        local.day(),
        SWEDISH_MONTHS[local.month0() as usize],
        local.year(),
        local.hour(),
        local.minute()
    )
}

/// "Stockholm, UTC+02:00": the zone's city and its offset at `at`, shown beside a local time
/// where a mistake costs an embargo or a deadline.
pub fn zone_and_offset(tz: Tz, at: DateTime<Utc>) -> String {
    let city = tz
        .name()
        .rsplit('/')
        .next()
        .unwrap_or(tz.name())
        .replace('_', " ");
    let offset = at.with_timezone(&tz).format("%:z");
    format!("{city}, UTC{offset}")
}

/// "2026-12-06 20:01 UTC": the instant in UTC, to the minute.
pub fn utc_minutes(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `2 June 2022 at 09:00 CEST`: the zone's abbreviation at that instant closes the string; a
/// no-break space between day and month.
pub fn english(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    format!(
        "{}{NO_BREAK_SPACE}{} {} at {:02}:{:02} {}",
        local.day(),
        ENGLISH_MONTHS[local.month0() as usize],
        local.year(),
        local.hour(),
        local.minute(),
        local.format("%Z")
    )
}

/// RFC 3339 in zone `tz` with its offset, whole seconds: `2022-06-02T09:00:00+02:00`.
pub fn machine(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// An HTTP date (RFC 9110 IMF-fixdate), as `Last-Modified` carries it.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("a valid UTC instant")
    }

    const STOCKHOLM: Tz = chrono_tz::Europe::Stockholm;

    #[test]
    fn the_zone_label_follows_daylight_saving_and_the_utc_instant_is_beside_it() {
        assert_eq!(
            zone_and_offset(STOCKHOLM, utc(2026, 6, 9, 7, 0)),
            "Stockholm, UTC+02:00"
        );
        assert_eq!(
            zone_and_offset(STOCKHOLM, utc(2026, 12, 6, 20, 1)),
            "Stockholm, UTC+01:00"
        );
        assert_eq!(
            zone_and_offset(chrono_tz::America::New_York, utc(2026, 12, 6, 20, 1)),
            "New York, UTC-05:00"
        );
        assert_eq!(utc_minutes(utc(2026, 12, 6, 20, 1)), "2026-12-06 20:01 UTC");
    }

    #[test]
    fn a_day_and_its_month_are_joined_by_a_no_break_space_so_they_never_wrap_apart() {
        let swedish = swedish(utc(2022, 6, 2, 7, 0), STOCKHOLM);
        let english = english(utc(2022, 6, 2, 7, 0), STOCKHOLM);
        assert!(swedish.starts_with("2\u{a0}juni "), "{swedish:?}");
        assert!(english.starts_with("2\u{a0}June "), "{english:?}");
    }

    #[test]
    fn the_example_release_reads_as_on_the_ministry_page() {
        assert_eq!(
            swedish(utc(2022, 6, 2, 7, 0), STOCKHOLM),
            "2\u{a0}juni 2022 kl. 09.00"
        );
        assert_eq!(
            english(utc(2022, 6, 2, 7, 0), STOCKHOLM),
            "2\u{a0}June 2022 at 09:00 CEST"
        );
        assert_eq!(
            machine(utc(2022, 6, 2, 7, 0), STOCKHOLM),
            "2022-06-02T09:00:00+02:00"
        );
    }

    #[test]
    fn the_clock_moves_forward_an_hour_on_27_march_2022_in_stockholm() {
        // 01:59:59 UTC+1 is followed by 03:00:00 UTC+2 (at 01:00 UTC).
        assert_eq!(
            swedish(utc(2022, 3, 27, 0, 30), STOCKHOLM),
            "27\u{a0}mars 2022 kl. 01.30"
        );
        assert_eq!(
            swedish(utc(2022, 3, 27, 1, 30), STOCKHOLM),
            "27\u{a0}mars 2022 kl. 03.30"
        );
        assert_eq!(
            machine(utc(2022, 3, 27, 1, 30), STOCKHOLM),
            "2022-03-27T03:30:00+02:00"
        );
        assert_eq!(
            english(utc(2022, 3, 27, 0, 30), STOCKHOLM),
            "27\u{a0}March 2022 at 01:30 CET"
        );
    }

    #[test]
    fn the_hour_that_repeats_on_30_october_2022_stays_unambiguous_in_machine_form() {
        // 02:30 local happens twice: first in summer time (00:30 UTC), then in winter time (01:30 UTC).
        let first = utc(2022, 10, 30, 0, 30);
        let second = utc(2022, 10, 30, 1, 30);
        assert_eq!(swedish(first, STOCKHOLM), "30\u{a0}oktober 2022 kl. 02.30");
        assert_eq!(swedish(second, STOCKHOLM), "30\u{a0}oktober 2022 kl. 02.30");
        assert_eq!(machine(first, STOCKHOLM), "2022-10-30T02:30:00+02:00");
        assert_eq!(machine(second, STOCKHOLM), "2022-10-30T02:30:00+01:00");
        assert_eq!(
            english(first, STOCKHOLM),
            "30\u{a0}October 2022 at 02:30 CEST"
        );
        assert_eq!(
            english(second, STOCKHOLM),
            "30\u{a0}October 2022 at 02:30 CET"
        );
    }

    #[test]
    fn every_swedish_month_name_is_lowercase_and_single_digit_days_have_no_leading_zero() {
        let names: Vec<String> = (1..=12)
            .map(|month| swedish(utc(2023, month, 5, 10, 5), chrono_tz::UTC))
            .collect();
        assert_eq!(names[0], "5\u{a0}januari 2023 kl. 10.05");
        assert_eq!(names[4], "5\u{a0}maj 2023 kl. 10.05");
        assert_eq!(names[11], "5\u{a0}december 2023 kl. 10.05");
        assert!(names.iter().all(|n| n == &n.to_lowercase()));
    }

    #[test]
    fn a_new_years_eve_instant_in_utc_is_already_the_next_year_in_stockholm() {
        assert_eq!(
            swedish(utc(2022, 12, 31, 23, 15), STOCKHOLM),
            "1\u{a0}januari 2023 kl. 00.15"
        );
    }

    #[test]
    fn swedish_is_chosen_for_every_swedish_tag_and_english_for_the_rest() {
        assert!(is_swedish("sv"));
        assert!(is_swedish("sv-FI"));
        assert!(is_swedish("SV"));
        assert!(!is_swedish("en"));
        assert!(!is_swedish("sme"));
        assert_eq!(
            human(utc(2022, 6, 2, 7, 0), STOCKHOLM, "en-GB"),
            "2\u{a0}June 2022 at 09:00 CEST"
        );
    }

    #[test]
    fn an_unknown_zone_falls_back_to_stockholm() {
        assert_eq!(zone("Mars/Olympus_Mons"), STOCKHOLM);
        assert_eq!(zone("Europe/Helsinki"), chrono_tz::Europe::Helsinki);
    }

    #[test]
    fn http_dates_are_imf_fixdate_in_gmt() {
        assert_eq!(
            http_date(utc(2022, 6, 2, 7, 0)),
            "Thu, 02 Jun 2022 07:00:00 GMT"
        );
    }
}
