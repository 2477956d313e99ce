//! How many of everything a synthetic estate of a given size holds, and how it is spread over
//! orgs and projects. Pure arithmetic, so the counts of even the largest size can be checked
//! without building it.

use std::fmt;
use std::str::FromStr;

/// The named sizes of synthetic estates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyntheticSize {
    /// 1 org, 5 projects, 60 users, 300 database users, 12 API keys, 6 service accounts,
    /// 2,000 events.
    Small,
    /// 3 orgs, 60 projects, 600 users, 6,000 database users, 120 API keys, 30 service
    /// accounts, 60,000 events.
    Medium,
    /// 10 orgs, 500 projects, 3,000 users, 30,000 database users, 600 API keys, 150 service
    /// accounts, 300,000 events.
    Large,
    /// 20 orgs, 2,000 projects, 10,000 users, 100,000 database users, 2,000 API keys, 500
    /// service accounts, 1,000,000 events.
    Xl,
}

/// A size name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown synthetic size `{0}`; expected one of: small, medium, large, xl")]
pub struct SyntheticSizeError(String);

impl FromStr for SyntheticSize {
    type Err = SyntheticSizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Ok(SyntheticSize::Small),
            "medium" => Ok(SyntheticSize::Medium),
            "large" => Ok(SyntheticSize::Large),
            "xl" => Ok(SyntheticSize::Xl),
            _ => Err(SyntheticSizeError(s.to_owned())),
        }
    }
}

impl fmt::Display for SyntheticSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyntheticSize::Small => "small",
            SyntheticSize::Medium => "medium",
            SyntheticSize::Large => "large",
            SyntheticSize::Xl => "xl",
        })
    }
}

/// The headline totals of a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Organizations.
    pub orgs: usize,
    /// Projects.
    pub projects: usize,
    /// Org users (rows of every `/orgs/{id}/users` listing, every membership status).
    pub users: usize,
    /// Database users.
    pub database_users: usize,
    /// Programmatic API keys.
    pub api_keys: usize,
    /// Service accounts.
    pub service_accounts: usize,
    /// Org and project events.
    pub events: usize,
}

impl SyntheticSize {
    /// The headline totals.
    pub fn totals(self) -> Totals {
        let t =
            |orgs, projects, users, database_users, api_keys, service_accounts, events| Totals {
                orgs,
                projects,
                users,
                database_users,
                api_keys,
                service_accounts,
                events,
            };
        match self {
            SyntheticSize::Small => t(1, 5, 60, 300, 12, 6, 2_000),
            SyntheticSize::Medium => t(3, 60, 600, 6_000, 120, 30, 60_000),
            SyntheticSize::Large => t(10, 500, 3_000, 30_000, 600, 150, 300_000),
            SyntheticSize::Xl => t(20, 2_000, 10_000, 100_000, 2_000, 500, 1_000_000),
        }
    }

    /// Weight of the first org against 1 for each other: one big org, so its user, key and
    /// event listings pass 500 items and clients must page.
    fn big_org_weight(self) -> u64 {
        match self {
            SyntheticSize::Small => 1,
            SyntheticSize::Medium => 14,
            SyntheticSize::Large => 9,
            SyntheticSize::Xl => 19,
        }
    }

    /// Database users of the first projects, the rest being spread evenly: a few projects
    /// with several pages of them.
    fn big_projects(self) -> &'static [usize] {
        match self {
            SyntheticSize::Small => &[],
            SyntheticSize::Medium => &[1201, 550],
            SyntheticSize::Large => &[2500, 1201, 800, 600],
            SyntheticSize::Xl => &[5000, 2500, 1201, 800, 600, 600],
        }
    }
}

/// Share of events that are org events (the rest are project events), in tenths.
const ORG_EVENT_TENTHS: usize = 3;

/// Where every item of a synthetic estate goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The totals this plan spreads.
    pub totals: Totals,
    /// Projects per org.
    pub projects: Vec<usize>,
    /// Org users per org.
    pub users: Vec<usize>,
    /// API keys per org.
    pub api_keys: Vec<usize>,
    /// Service accounts per org.
    pub service_accounts: Vec<usize>,
    /// Org events per org.
    pub org_events: Vec<usize>,
    /// Database users per project, projects numbered across orgs.
    pub database_users: Vec<usize>,
    /// Project events per project, projects numbered across orgs.
    pub project_events: Vec<usize>,
}

impl Plan {
    /// The plan of a size.
    pub fn new(size: SyntheticSize) -> Plan {
        let totals = size.totals();
        let org_weights: Vec<u64> = (0..totals.orgs)
            .map(|o| if o == 0 { size.big_org_weight() } else { 1 })
            .collect();
        let big = size.big_projects();
        let rest = totals.database_users - big.iter().sum::<usize>();
        let even: Vec<u64> = (big.len()..totals.projects)
            .map(|p| 2 + (p as u64 % 3))
            .collect();
        let mut database_users = big.to_vec();
        database_users.extend(split(rest, &even));
        let org_events = totals.events * ORG_EVENT_TENTHS / 10;
        // Event volume varies by project; the first project of each size is a busy one.
        let event_weights: Vec<u64> = (0..totals.projects as u64)
            .map(|p| if p == 0 { 40 } else { 2 + (p * 7) % 5 })
            .collect();
        Plan {
            totals,
            projects: split(totals.projects, &org_weights),
            users: split(totals.users, &org_weights),
            api_keys: split(totals.api_keys, &org_weights),
            service_accounts: split(totals.service_accounts, &org_weights),
            org_events: split(org_events, &org_weights),
            database_users,
            project_events: split(totals.events - org_events, &event_weights),
        }
    }
}

/// Splits `total` in proportion to `weights`, exactly (largest remainders get the rest).
pub(crate) fn split(total: usize, weights: &[u64]) -> Vec<usize> {
    let sum: u64 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let total = total as u64;
    let mut shares: Vec<usize> = weights.iter().map(|w| (total * w / sum) as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((total * weights[i]) % sum));
    let missing = total as usize - shares.iter().sum::<usize>();
    for &i in order.iter().take(missing) {
        shares[i] += 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: [SyntheticSize; 4] = [
        SyntheticSize::Small,
        SyntheticSize::Medium,
        SyntheticSize::Large,
        SyntheticSize::Xl,
    ];

    #[test]
    fn plans_add_up_to_their_totals() {
        for size in SIZES {
            let plan = Plan::new(size);
            let t = plan.totals;
            assert_eq!(plan.projects.len(), t.orgs);
            assert_eq!(plan.projects.iter().sum::<usize>(), t.projects, "{size}");
            assert_eq!(plan.users.iter().sum::<usize>(), t.users, "{size}");
            assert_eq!(plan.api_keys.iter().sum::<usize>(), t.api_keys, "{size}");
            assert_eq!(
                plan.service_accounts.iter().sum::<usize>(),
                t.service_accounts
            );
            assert_eq!(plan.database_users.len(), t.projects);
            assert_eq!(plan.database_users.iter().sum::<usize>(), t.database_users);
            let events: usize =
                plan.org_events.iter().sum::<usize>() + plan.project_events.iter().sum::<usize>();
            assert_eq!(events, t.events, "{size}");
            // Every org has projects, people and keys; the big projects sit in the first org.
            assert!(plan.projects.iter().all(|&n| n >= 1));
            assert!(plan.users.iter().all(|&n| n >= 8));
            assert!(plan.api_keys.iter().all(|&n| n >= 2));
            assert!(size.big_projects().len() <= plan.projects[0]);
        }
    }

    #[test]
    fn medium_and_up_need_paging() {
        for size in [
            SyntheticSize::Medium,
            SyntheticSize::Large,
            SyntheticSize::Xl,
        ] {
            let plan = Plan::new(size);
            assert!(plan.users[0] > 500, "{size}: {}", plan.users[0]);
            assert!(plan.database_users[0] > 1000, "{size}");
            assert!(plan.project_events[0] > 500, "{size}");
        }
        let xl = Plan::new(SyntheticSize::Xl);
        assert_eq!(xl.users[0], 5000);
        assert!(xl.api_keys[0] > 500);
    }

    #[test]
    fn sizes_parse_and_print() {
        for size in SIZES {
            assert_eq!(size.to_string().parse::<SyntheticSize>().unwrap(), size);
        }
        assert_eq!("XL".parse::<SyntheticSize>().unwrap(), SyntheticSize::Xl);
        let err = "huge".parse::<SyntheticSize>().unwrap_err().to_string();
        assert!(err.contains("`huge`") && err.contains("small, medium, large, xl"));
    }

    #[test]
    fn split_is_exact() {
        assert_eq!(split(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(split(600, &[14, 1, 1]), vec![525, 38, 37]);
        assert_eq!(split(0, &[1, 2]), vec![0, 0]);
    }
}
