//! Small deterministic tools for the synthetic estate: a seeded generator, Atlas-style ids,
//! RFC 3339 dates, the self links Atlas puts on items, and the word lists names are made of.

use serde::Serialize;

use crate::mock::world::RawItem;

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;

/// Where items' self links point, as in real Atlas answers.
const LINK_BASE: &str = "https://cloud.mongodb.com/api/atlas/v2";

/// splitmix64: tiny, fast, and the same sequence on every platform.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator for a seed; different seeds give unrelated sequences.
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng(seed ^ 0x5eed_a71a_5000_0000);
        rng.next();
        rng
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo).unwrap_or(0).saturating_add(1);
        lo + ((u128::from(self.next()) * u128::from(span)) >> 64) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An element chosen with the given weights (`(weight, value)`).
    pub fn weighted<'a, T>(&mut self, items: &'a [(u32, T)]) -> &'a T {
        let total: u32 = items.iter().map(|(w, _)| w).sum();
        let mut roll = self.below(total as usize) as u32;
        for (w, v) in items {
            if roll < *w {
                return v;
            }
            roll -= w;
        }
        &items[items.len() - 1].1
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..n)
            .map(|_| DIGITS[(self.next() & 15) as usize] as char)
            .collect()
    }

    /// `n` lowercase letters.
    pub fn letters(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| (b'a' + self.below(26) as u8) as char)
            .collect()
    }

    /// An IPv4 address in one of the documentation or private ranges.
    pub fn ip(&mut self) -> String {
        let prefix = *self.pick(&["198.51.100", "203.0.113", "192.0.2", "10.20.30", "172.16.5"]);
        format!("{prefix}.{}", self.range(1, 254))
    }
}

/// Mixes numbers into a seed.
pub(crate) fn seed(parts: &[u64]) -> u64 {
    parts.iter().fold(0xcbf2_9ce4_8422_2325, |h, p| {
        (h ^ p).wrapping_mul(0x0100_0000_01b3).rotate_left(17)
    })
}

/// A 24-hex Atlas id: creation second, a kind byte and a serial, so ids are unique per kind
/// and sort roughly by age as real ObjectIds do.
pub(crate) fn object_id(created: i64, kind: u8, serial: u64) -> String {
    format!(
        "{:08x}{kind:02x}{:014x}",
        created as u32,
        serial & 0x00ff_ffff_ffff_ffff
    )
}

/// An RFC 3339 UTC timestamp with whole seconds (`2026-03-01T12:00:00Z`).
pub(crate) fn rfc3339(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(DAY);
    let secs = epoch_seconds.rem_euclid(DAY);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// One `{href, rel}` link.
#[derive(Debug, Serialize)]
pub(crate) struct Link {
    href: String,
    rel: &'static str,
}

/// The `links` Atlas puts on an item: its own URL.
pub(crate) fn self_link(path: &str) -> [Link; 1] {
    [Link {
        href: format!("{LINK_BASE}{path}"),
        rel: "self",
    }]
}

/// The raw JSON of a generated item.
pub(crate) fn raw<T: Serialize>(item: &T) -> RawItem {
    // Generated items are plain structs of strings, numbers and lists: serialising them
    // cannot fail, and a world missing an item would be wrong in ways no test could see.
    serde_json::value::to_raw_value(item).expect("synthetic items serialise")
}

/// Company names, one per org (cycled with a number past the end).
pub(crate) const COMPANIES: &[&str] = &[
    "Acme Analytics",
    "Borealis Health",
    "Cobalt Payments",
    "Driftwood Media",
    "Evergreen Logistics",
    "Fjord Insurance",
    "Granite Retail",
    "Helios Energy",
    "Indigo Travel",
    "Juniper Learning",
    "Kestrel Robotics",
    "Lumen Biotech",
    "Meridian Bank",
    "Nimbus Gaming",
    "Orchid Foods",
    "Pinnacle Legal",
    "Quartz Telecom",
    "Redwood Realty",
    "Sable Security",
    "Tundra Mobility",
];

/// Given names.
pub(crate) const FIRST_NAMES: &[&str] = &[
    "ada", "ben", "chloe", "dev", "elena", "farid", "grace", "hiro", "ines", "jonas", "kemi",
    "liam", "maya", "nikos", "olga", "priya", "quinn", "rafael", "sara", "tomas", "uma", "victor",
    "wen", "ximena", "yusuf", "zoe", "amir", "bea", "carlos", "dana", "emil", "fatima", "gus",
    "hana", "ivan", "julia", "kai", "lena", "marco", "nadia",
];

/// Family names.
pub(crate) const LAST_NAMES: &[&str] = &[
    "adams", "berg", "costa", "dubois", "eriksen", "fischer", "garcia", "haddad", "ito", "jensen",
    "kowalski", "lopez", "moreau", "novak", "okafor", "patel", "quint", "rossi", "silva", "tanaka",
    "ueda", "varga", "weber", "xu", "yilmaz", "zhang", "abbott", "brooks", "chen", "diaz", "evans",
    "fox", "gupta", "hughes", "iqbal", "jones", "kim", "lind", "meyer", "nguyen",
];

/// Application names that projects, services and databases are named after.
pub(crate) const APPS: &[&str] = &[
    "orders",
    "payments",
    "catalog",
    "identity",
    "search",
    "ledger",
    "notifications",
    "analytics",
    "inventory",
    "shipping",
    "billing",
    "reporting",
    "crm",
    "mobile-api",
    "web",
    "pricing",
    "reviews",
    "loyalty",
    "fraud",
    "support",
];

/// Team names.
pub(crate) const TEAMS: &[&str] = &[
    "Platform",
    "Data Engineering",
    "Analytics",
    "SRE",
    "Security",
    "Payments Squad",
    "Mobile",
    "Growth",
    "Support Engineering",
    "ML Research",
    "Backend",
    "DBA",
    "Compliance",
    "Contractors",
];

/// ISO 3166-1 alpha-2 countries.
pub(crate) const COUNTRIES: &[&str] = &["US", "GB", "DE", "FR", "IN", "BR", "CA", "AU", "NL", "JP"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_agrees_with_jiff() {
        let mut rng = Rng::new(1);
        for _ in 0..2000 {
            let s = rng.range(-2_000_000_000, 4_000_000_000);
            let expected = jiff::Timestamp::from_second(s).unwrap().to_string();
            assert_eq!(rfc3339(s), expected);
        }
    }

    #[test]
    fn generator_is_deterministic_and_spread() {
        let a: Vec<u64> = (0..5).scan(Rng::new(9), |r, _| Some(r.next())).collect();
        let b: Vec<u64> = (0..5).scan(Rng::new(9), |r, _| Some(r.next())).collect();
        assert_eq!(a, b);
        let mut rng = Rng::new(2);
        let mut counts = [0; 4];
        for _ in 0..4000 {
            counts[rng.below(4)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(object_id(0x6650_0000, 3, 7), "665000000300000000000007");
    }
}
