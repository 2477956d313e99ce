//! Every kind of policy problem has a stable code (`P001` ...), printed with the problem and
//! listed in the README, so that a message can be looked up and a script can tell kinds apart
//! while the wording of messages improves. A code, once given, keeps its meaning and is never
//! reused.

use std::fmt;

macro_rules! codes {
    ($( $variant:ident = $code:literal, $summary:literal; )*) => {
        /// What kind of problem a policy has.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &[Code] = &[$(Code::$variant),*];

            /// The code as printed: `P001`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// One line on what the code means, as the README lists it.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }
        }
    };
}

codes! {
    Syntax = "P001", "TOML the parser cannot read (an unclosed header, string or table).";
    Unquoted = "P002", "A text value without quotes.";
    DuplicateKey = "P003", "A key given twice in one table.";
    OpenList = "P004", "A list with a missing comma or closing bracket.";
    UnknownKey = "P005", "A key or table the policy does not have (the nearest known name or the table it belongs in is suggested).";
    WrongType = "P006", "A value of the wrong type: text where a number is expected, a single table where a list of tables is, and so on.";
    OutOfRange = "P007", "A threshold outside the range the rules accept.";
    OwnerBounds = "P008", "`min_org_owners` above `max_org_owners`.";
    BadRoleName = "P009", "An empty role name, or one with spaces around it.";
    BadTag = "P010", "A production tag that is not `key=value` with both sides non-empty.";
    UnknownRule = "P011", "A rule id the catalogue does not have (the nearest id is suggested).";
    UnknownSeverity = "P012", "A severity other than critical, high, medium, low, info or off.";
    MissingField = "P013", "An exemption without one of rule, principal, reason and expires.";
    EmptyText = "P014", "An exemption's reason, owner or ticket given but empty.";
    BadPrincipal = "P015", "An exemption's principal that is neither a principal key nor a glob starting with `*`.";
    BadScope = "P016", "An exemption's scope that is not `org:<id>` or `project:<id>`.";
    BadGlob = "P017", "A principal or scope glob that does not compile.";
    BadDate = "P018", "An exemption's expiry that is not a calendar date `YYYY-MM-DD` (a time, a text, an impossible day).";
    UnknownDecision = "P019", "A `[review] require_comment` entry other than Keep, Revoke or Modify.";
    BadDomain = "P020", "A `[federation]` entry that is not a bare domain (`example.com`) or org id (no `@`, spaces or scheme).";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_are_unique_numbered_in_order_and_never_blank() {
        let printed: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let unique: BTreeSet<&str> = printed.iter().copied().collect();
        assert_eq!(
            unique.len(),
            printed.len(),
            "a code is given twice: {printed:?}"
        );
        for (i, code) in printed.iter().enumerate() {
            assert_eq!(
                *code,
                format!("P{:03}", i + 1),
                "codes are P001, P002, ... in order"
            );
        }
        for c in Code::ALL {
            assert!(c.summary().ends_with('.'), "{c}: {}", c.summary());
        }
    }

    /// The README's table of policy problems lists every code with its summary, and no code the
    /// tool does not have.
    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../../README.md");
        for c in Code::ALL {
            let row = format!("| `{c}` | {} |", c.summary());
            assert!(readme.contains(&row), "README lacks the row:\n{row}");
        }
        let listed = readme.lines().filter(|l| l.starts_with("| `P0")).count();
        assert_eq!(
            listed,
            Code::ALL.len(),
            "README lists codes the tool does not have"
        );
    }
}
