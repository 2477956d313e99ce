//! HTTP Digest authentication as Atlas does it for programmatic API keys: RFC 2617 MD5 with
//! `qop="auth"`, realm `MMS Public API`. Whether a nonce may be used again is configurable,
//! because servers differ: reusable with a rising `nc` (the kind case), stale after a number of
//! uses (answered with `stale=true`), or good for one request only, a reuse answered with a
//! fresh challenge and `stale=false` (MongoDB's own Go clients fetch a challenge per request, so
//! nothing in Atlas promises more).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use md5::{Digest as _, Md5};
use secrecy::{ExposeSecret, SecretString};

/// The realm Atlas challenges with.
pub(crate) const REALM: &str = "MMS Public API";

/// Nonces remembered at most; the oldest are forgotten first (and then answered as stale).
const MAX_NONCES: usize = 100_000;

/// Why a request's digest credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No `Authorization: Digest` header, or one that cannot be read.
    Missing,
    /// Wrong user, password, realm or `uri`: a fresh challenge with `stale=false`.
    Credentials,
    /// Right credentials but a nonce that is unknown or used up: `stale=true`.
    Stale,
    /// Right credentials, but a single-use nonce used again: `stale=false`, as if the answer
    /// were wrong.
    Reused,
    /// A `nc` already seen for this nonce: a replay.
    Replay,
}

#[derive(Debug, Default)]
struct NonceState {
    uses: u64,
    seen: HashSet<u32>,
}

#[derive(Debug, Default)]
struct Nonces {
    by_value: HashMap<String, NonceState>,
    order: VecDeque<String>,
}

/// How often a nonce may be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NonceReuse {
    /// Any number of times, each with a new `nc`.
    #[default]
    Unlimited,
    /// This many times; after that it is stale (`stale=true`).
    StaleAfter(u64),
    /// Once; a second use is refused with `stale=false`.
    Once,
}

/// Digest verifier for one API key.
#[derive(Debug)]
pub(crate) struct DigestAuth {
    username: String,
    /// MD5(username:realm:password), so the password itself is not kept around.
    ha1: String,
    reuse: NonceReuse,
    nonces: Mutex<Nonces>,
}

fn md5_hex(data: &str) -> String {
    format!("{:x}", Md5::digest(data.as_bytes()))
}

impl DigestAuth {
    /// A verifier for `username` (the public key) and `password` (the private key).
    pub fn new(username: &str, password: &SecretString, reuse: NonceReuse) -> Self {
        DigestAuth {
            username: username.to_owned(),
            ha1: md5_hex(&format!("{username}:{REALM}:{}", password.expose_secret())),
            reuse,
            nonces: Mutex::new(Nonces::default()),
        }
    }

    /// A `WWW-Authenticate` value with a fresh nonce, remembered for later requests.
    pub fn challenge(&self, stale: bool) -> String {
        let nonce = format!("{:032x}", fastrand::u128(..));
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        if nonces.order.len() >= MAX_NONCES
            && let Some(old) = nonces.order.pop_front()
        {
            nonces.by_value.remove(&old);
        }
        nonces.order.push_back(nonce.clone());
        nonces.by_value.insert(nonce.clone(), NonceState::default());
        format!(
            "Digest realm=\"{REALM}\", domain=\"\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\", stale={stale}"
        )
    }

    /// Forgets the nonce an `Authorization` header answered, so it and every request still
    /// carrying it are answered as stale.
    pub fn expire(&self, header: Option<&str>) {
        let Some(params) = header
            .and_then(|h| strip_scheme(h, "Digest"))
            .map(parse_params)
        else {
            return;
        };
        if let Some((_, nonce)) = params.iter().find(|(k, _)| k.eq_ignore_ascii_case("nonce")) {
            let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
            nonces.by_value.remove(nonce);
        }
    }

    /// Checks an `Authorization` header for a request; `uri` is the request's path and query.
    pub fn verify(&self, header: Option<&str>, method: &str, uri: &str) -> Result<(), Refusal> {
        let params = header
            .and_then(|h| strip_scheme(h, "Digest"))
            .map(parse_params)
            .ok_or(Refusal::Missing)?;
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let (Some(user), Some(realm), Some(nonce), Some(their_uri), Some(response)) = (
            get("username"),
            get("realm"),
            get("nonce"),
            get("uri"),
            get("response"),
        ) else {
            return Err(Refusal::Missing);
        };
        let (Some(qop), Some(nc), Some(cnonce)) = (get("qop"), get("nc"), get("cnonce")) else {
            return Err(Refusal::Credentials);
        };
        if get("algorithm").is_some_and(|a| !a.eq_ignore_ascii_case("MD5"))
            || !qop.eq_ignore_ascii_case("auth")
        {
            return Err(Refusal::Credentials);
        }
        if user != self.username || realm != REALM || their_uri != uri {
            return Err(Refusal::Credentials);
        }
        let ha2 = md5_hex(&format!("{method}:{their_uri}"));
        let expected = md5_hex(&format!("{}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}", self.ha1));
        if !expected.eq_ignore_ascii_case(response) {
            return Err(Refusal::Credentials);
        }
        let count = u32::from_str_radix(nc, 16).map_err(|_| Refusal::Credentials)?;
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        let Some(state) = nonces.by_value.get_mut(nonce) else {
            return Err(Refusal::Stale);
        };
        match self.reuse {
            NonceReuse::StaleAfter(max) if state.uses >= max => return Err(Refusal::Stale),
            NonceReuse::Once if state.uses >= 1 => return Err(Refusal::Reused),
            _ => {}
        }
        if !state.seen.insert(count) {
            return Err(Refusal::Replay);
        }
        state.uses += 1;
        Ok(())
    }
}

/// The parameters after `scheme` in an `Authorization` header, if it uses that scheme.
pub(crate) fn strip_scheme<'h>(header: &'h str, scheme: &str) -> Option<&'h str> {
    let header = header.trim_start();
    let (first, rest) = header.split_once(char::is_whitespace)?;
    first.eq_ignore_ascii_case(scheme).then_some(rest.trim())
}

/// `a="x, y", b=z` → [(a, "x, y"), (b, z)], honouring quotes and backslash escapes.
fn parse_params(input: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() && chars.peek().is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A client-side answer to a challenge, written from RFC 2617 independently of the server.
    pub(crate) fn respond(
        challenge: &str,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        nc: u32,
    ) -> String {
        let params = parse_params(strip_scheme(challenge, "Digest").unwrap());
        let nonce = &params.iter().find(|(k, _)| k == "nonce").unwrap().1;
        let cnonce = "0a4f113b";
        let nc = format!("{nc:08x}");
        let ha1 = md5_hex(&format!("{user}:{REALM}:{password}"));
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        let response = md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
        format!(
            "Digest username=\"{user}\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"{uri}\", \
             qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\", algorithm=MD5"
        )
    }

    fn auth(reuse: NonceReuse) -> DigestAuth {
        DigestAuth::new("pub", &SecretString::from("priv"), reuse)
    }

    #[test]
    fn accepts_a_correct_answer_and_rejects_the_rest() {
        let d = auth(NonceReuse::Unlimited);
        let c = d.challenge(false);
        assert!(c.contains("stale=false") && c.contains("qop=\"auth\""));
        let uri = "/api/atlas/v2/orgs?pageNum=1";
        let ok = respond(&c, "pub", "priv", "GET", uri, 1);
        assert_eq!(d.verify(Some(&ok), "GET", uri), Ok(()));
        // The same nonce again with the next nc is fine; the same nc is a replay.
        let next = respond(&c, "pub", "priv", "GET", uri, 2);
        assert_eq!(d.verify(Some(&next), "GET", uri), Ok(()));
        assert_eq!(d.verify(Some(&ok), "GET", uri), Err(Refusal::Replay));
        let wrong = respond(&c, "pub", "nope", "GET", uri, 3);
        assert_eq!(
            d.verify(Some(&wrong), "GET", uri),
            Err(Refusal::Credentials)
        );
        let other_uri = respond(&c, "pub", "priv", "GET", "/api/atlas/v2/orgs", 4);
        assert_eq!(
            d.verify(Some(&other_uri), "GET", uri),
            Err(Refusal::Credentials)
        );
        assert_eq!(d.verify(None, "GET", uri), Err(Refusal::Missing));
        assert_eq!(
            d.verify(Some("Basic abc"), "GET", uri),
            Err(Refusal::Missing)
        );
    }

    #[test]
    fn unknown_or_used_up_nonces_are_stale() {
        let d = auth(NonceReuse::StaleAfter(2));
        let c = d.challenge(false);
        let uri = "/x";
        for nc in 1..=2 {
            let h = respond(&c, "pub", "priv", "GET", uri, nc);
            assert_eq!(d.verify(Some(&h), "GET", uri), Ok(()));
        }
        let third = respond(&c, "pub", "priv", "GET", uri, 3);
        assert_eq!(d.verify(Some(&third), "GET", uri), Err(Refusal::Stale));
        let forged = c.replace("nonce=\"", "nonce=\"ff");
        let h = respond(&forged, "pub", "priv", "GET", uri, 1);
        assert_eq!(d.verify(Some(&h), "GET", uri), Err(Refusal::Stale));
    }

    #[test]
    fn a_single_use_nonce_used_again_is_refused_as_not_stale() {
        let d = auth(NonceReuse::Once);
        let c = d.challenge(false);
        let first = respond(&c, "pub", "priv", "GET", "/x", 1);
        assert_eq!(d.verify(Some(&first), "GET", "/x"), Ok(()));
        let again = respond(&c, "pub", "priv", "GET", "/x", 2);
        assert_eq!(d.verify(Some(&again), "GET", "/x"), Err(Refusal::Reused));
    }

    #[test]
    fn an_expired_nonce_is_stale() {
        let d = auth(NonceReuse::Unlimited);
        let c = d.challenge(false);
        let first = respond(&c, "pub", "priv", "GET", "/x", 1);
        assert_eq!(d.verify(Some(&first), "GET", "/x"), Ok(()));
        d.expire(Some(&first));
        let next = respond(&c, "pub", "priv", "GET", "/x", 2);
        assert_eq!(d.verify(Some(&next), "GET", "/x"), Err(Refusal::Stale));
        d.expire(None);
        d.expire(Some("Bearer abc"));
    }

    #[test]
    fn parses_quoted_parameters() {
        let p = parse_params(r#"a="x, \"y\"", b=z ,c="""#);
        assert_eq!(
            p,
            vec![
                ("a".into(), "x, \"y\"".into()),
                ("b".into(), "z".into()),
                ("c".into(), String::new())
            ]
        );
    }
}
