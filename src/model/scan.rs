//! Where a snapshot file's top-level members lie, found while the file is read, so that its
//! large parts can be parsed on separate threads without the JSON parser first passing over the
//! whole file on one thread to find them.
//!
//! The scan is fed the file in order, a piece at a time ([`TopLevel::feed`]). It checks the
//! top level itself: one object, whitespace, colons and commas where JSON allows them, and keys
//! without escapes. Inside a value it follows only strings and brackets, to find where the
//! value ends; the value's text is then parsed whole by `serde_json`, which checks every byte of
//! it. Whatever the scan does not expect makes it give up, and the file is then read the way it
//! always was (see `file::parse`).

use std::ops::Range;

/// One member of the top-level object: where its key (without the quotes) and its value lie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Member {
    pub(super) key: Range<usize>,
    pub(super) value: Range<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the opening brace.
    Open,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After `,`: a key.
    Key,
    /// Inside a key.
    InKey,
    /// After a key: `:`.
    Colon,
    /// After `:`: a value.
    Value,
    /// Inside an object, array or string value.
    Nested,
    /// Inside a number, `true`, `false` or `null`.
    Scalar,
    /// After a value: `,` or `}`.
    After,
    /// After the closing brace: only whitespace.
    Closed,
    /// Something the scan does not expect.
    GaveUp,
}

/// The scan of a JSON document's top level.
pub(super) struct TopLevel {
    state: State,
    /// The offset in the document of the next byte fed.
    at: usize,
    /// Where the key or value under way began.
    start: usize,
    /// The key of the value under way.
    key: Range<usize>,
    /// Brackets open in the value under way.
    depth: usize,
    in_string: bool,
    /// The last byte fed was a backslash inside a string.
    escaped: bool,
    members: Vec<Member>,
}

impl TopLevel {
    pub(super) fn new() -> TopLevel {
        TopLevel {
            state: State::Open,
            at: 0,
            start: 0,
            key: 0..0,
            depth: 0,
            in_string: false,
            escaped: false,
            members: Vec::new(),
        }
    }

    /// The members, when the document was one object and the scan found nothing it does not
    /// expect at its top level.
    pub(super) fn finish(self) -> Option<Vec<Member>> {
        (self.state == State::Closed).then_some(self.members)
    }

    /// Scans the next piece of the document.
    pub(super) fn feed(&mut self, piece: &[u8]) {
        let base = self.at;
        let mut i = 0;
        while i < piece.len() {
            match self.state {
                State::GaveUp => break,
                State::Nested => i = self.nested(piece, i, base),
                State::InKey => match memchr::memchr2(b'"', b'\\', &piece[i..]) {
                    None => i = piece.len(),
                    Some(n) if piece[i + n] == b'"' => {
                        self.key = self.start..base + i + n;
                        self.state = State::Colon;
                        i += n + 1;
                    }
                    // A key with an escape is left to serde.
                    Some(_) => self.state = State::GaveUp,
                },
                State::Scalar => {
                    if matches!(piece[i], b',' | b'}') || is_space(piece[i]) {
                        // The byte that ends the scalar is read again after it.
                        self.end_value(base + i);
                    } else {
                        i += 1;
                    }
                }
                state => {
                    let b = piece[i];
                    i += 1;
                    if is_space(b) {
                        continue;
                    }
                    let here = base + i - 1;
                    self.state = match (state, b) {
                        (State::Open, b'{') => State::FirstKey,
                        (State::FirstKey | State::Key, b'"') => {
                            self.start = here + 1;
                            State::InKey
                        }
                        (State::FirstKey, b'}') | (State::After, b'}') => State::Closed,
                        (State::Colon, b':') => State::Value,
                        (State::Value, b'"') => {
                            self.start = here;
                            self.depth = 0;
                            self.in_string = true;
                            State::Nested
                        }
                        (State::Value, b'{' | b'[') => {
                            self.start = here;
                            self.depth = 1;
                            State::Nested
                        }
                        (State::Value, b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
                            self.start = here;
                            State::Scalar
                        }
                        (State::After, b',') => State::Key,
                        _ => State::GaveUp,
                    };
                }
            }
        }
        self.at = base + piece.len();
    }

    /// Follows an object, array or string value from `i` in the piece, and returns where it
    /// stopped: at the end of the piece, or after the value's last byte.
    fn nested(&mut self, piece: &[u8], mut i: usize, base: usize) -> usize {
        while i < piece.len() {
            if self.escaped {
                self.escaped = false;
                i += 1;
            } else if self.in_string {
                let Some(n) = memchr::memchr2(b'"', b'\\', &piece[i..]) else {
                    return piece.len();
                };
                i += n + 1;
                if piece[i - 1] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                    // A string value ends at its closing quote.
                    if self.depth == 0 {
                        self.end_value(base + i);
                        return i;
                    }
                }
            } else {
                let b = piece[i];
                i += 1;
                match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    // Outside a string the depth is at least one. A closing bracket of the
                    // wrong kind ends the value too soon; serde then refuses its text.
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            self.end_value(base + i);
                            return i;
                        }
                    }
                    _ => {}
                }
            }
        }
        i
    }

    fn end_value(&mut self, end: usize) {
        self.members.push(Member {
            key: self.key.clone(),
            value: self.start..end,
        });
        self.state = State::After;
    }
}

/// JSON's whitespace.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The members of a whole document, scanned at once.
pub(super) fn members(bytes: &[u8]) -> Option<Vec<Member>> {
    let mut scan = TopLevel::new();
    scan.feed(bytes);
    scan.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON object's entries as `serde_json` finds them, in order and duplicates kept: each
    /// key with its value's text.
    struct Entries(Vec<(String, String)>);

    impl<'de> serde::Deserialize<'de> for Entries {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Entries;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Entries, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) =
                        map.next_entry::<String, Box<serde_json::value::RawValue>>()?
                    {
                        out.push((k, v.get().to_string()));
                    }
                    Ok(Entries(out))
                }
            }
            d.deserialize_map(Visit)
        }
    }

    fn by_serde(doc: &str) -> Vec<(String, String)> {
        serde_json::from_str::<Entries>(doc).unwrap().0
    }

    fn scanned(doc: &str, piece: usize) -> Option<Vec<(String, String)>> {
        let mut scan = TopLevel::new();
        for p in doc.as_bytes().chunks(piece.max(1)) {
            scan.feed(p);
        }
        let members = scan.finish()?;
        Some(
            members
                .into_iter()
                .map(|m| (doc[m.key].to_string(), doc[m.value].to_string()))
                .collect(),
        )
    }

    const DOCS: &[&str] = &[
        r#"{}"#,
        r#" { } "#,
        r#"{"a":1}"#,
        "{\n  \"schema_version\" : 3 ,\r\n\t\"meta\":{\"x\":[1,{\"y\":\"}\"}]}, \"s\":\"a\\\"b\\\\\"}\n",
        r#"{"a":[],"b":{},"c":"","d":true,"e":false,"f":null,"g":-1.5e3,"h":[[["]"]]]}"#,
        r#"{"a":"\\","b":"\\\\\"","c":["\u0022",{"\"":"["}],"a":2}"#,
        r#"{"principals":[{"key":"user:x","name":"O'Brien {admin}","tags":["[","]"]}],"grants":[]}"#,
    ];

    #[test]
    fn members_are_those_serde_finds_whatever_the_pieces() {
        for doc in DOCS {
            let expected = by_serde(doc);
            for piece in [1, 2, 3, 5, 7, 64, doc.len()] {
                assert_eq!(
                    scanned(doc, piece).as_ref(),
                    Some(&expected),
                    "{doc:?} in pieces of {piece}"
                );
            }
        }
    }

    #[test]
    fn what_the_scan_does_not_expect_makes_it_give_up() {
        for doc in [
            "",
            "[]",
            "{",
            r#"{"a":1"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":}"#,
            r#"{,"a":1}"#,
            r#"{"a":1}x"#,
            r#"{"a":1}}"#,
            r#"{"a":[1]]}"#,
            r#"{"a":"open}"#,
            r#"{"a\"b":1}"#,
            r#"{"a":1 "b":2}"#,
            "\u{feff}{}",
            r#"{a:1}"#,
            r#"{"a":[1,2}"#,
        ] {
            for piece in [1, 3, doc.len().max(1)] {
                let scan = scanned(doc, piece);
                // Either it gives up, or what it found is refused by serde when parsed.
                if let Some(members) = scan {
                    assert!(
                        members
                            .iter()
                            .any(|(_, v)| serde_json::from_str::<serde::de::IgnoredAny>(v).is_err()),
                        "{doc:?}: {members:?}"
                    );
                }
            }
        }
    }
}
