//! On which pages a survey may open: include and exclude patterns over the page's path (never
//! its query or fragment), checked by the loader on the visitor's device. `*` stands for any run
//! of characters within one path segment, `**` for any run across segments; a pattern ending in
//! `/**` also takes the path before it (`/checkout/**` takes `/checkout`). A `!` before a
//! pattern excludes what it matches. With no include pattern, every page not excluded is in.
//!
//! The loader has no regex engine: it matches character by character, as `glob` here does,
//! and the server hands it the patterns already expanded (`for_loader`), so the two agree.

use super::FieldError;
use serde::{Deserialize, Serialize};

pub const MAX_PATTERNS: usize = 20;
pub const MAX_PATTERN_CHARS: usize = 200;
/// Wildcards per pattern: each one may make the match try every position of the path again.
pub const MAX_WILDCARDS: usize = 3;

/// A survey's page patterns, parsed. Empty: every page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct PageTargeting(Vec<String>);

impl TryFrom<Vec<String>> for PageTargeting {
    type Error = FieldError;
    fn try_from(patterns: Vec<String>) -> Result<Self, FieldError> {
        PageTargeting::parse(&patterns.join("\n"))
    }
}

impl From<PageTargeting> for Vec<String> {
    fn from(t: PageTargeting) -> Vec<String> {
        t.0
    }
}

/// How one page fares under a pattern set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageMatch {
    /// Included, by this pattern (`None`: there is no include pattern).
    In(Option<String>),
    /// Excluded by this `!` pattern.
    Excluded(String),
    /// No include pattern takes it.
    NotIncluded,
}

impl PageTargeting {
    /// Patterns one per line or separated by commas; blank ones are skipped, repeats dropped.
    pub fn parse(text: &str) -> Result<PageTargeting, FieldError> {
        let field = "pages";
        let mut patterns: Vec<String> = vec![];
        for raw in text
            .split(['\n', ','])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let path = raw.strip_prefix('!').unwrap_or(raw);
            let refuse = |why: &str| FieldError::new(field, format!("{raw}: {why}"));
            if raw.chars().count() > MAX_PATTERN_CHARS {
                return Err(refuse("is longer than 200 characters"));
            }
            if !path.starts_with('/') {
                return Err(refuse("must start with / (a path, as /checkout/**)"));
            }
            if path
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '!'))
            {
                return Err(refuse(
                    "must be a path alone: no spaces, query (?), fragment (#) or inner !",
                ));
            }
            // The browser's path is percent-encoded: a raw é would never match.
            if !path.is_ascii() {
                return Err(refuse(
                    "write other characters percent-encoded, as the address bar shows them (%C3%A9 for é)",
                ));
            }
            if path.contains("***") {
                return Err(refuse("* or ** only, never ***"));
            }
            if path.matches("**").count() + path.replace("**", "").matches('*').count()
                > MAX_WILDCARDS
            {
                return Err(refuse("at most 3 wildcards"));
            }
            if !patterns.iter().any(|p| p == raw) {
                patterns.push(raw.to_string());
            }
        }
        if patterns.len() > MAX_PATTERNS {
            return Err(FieldError::new(field, "at most 20 patterns"));
        }
        Ok(PageTargeting(patterns))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn patterns(&self) -> &[String] {
        &self.0
    }

    /// The patterns as the loader checks them: each `X/**` also as `X`, so that the loader
    /// needs no rule of its own for it.
    pub fn for_loader(&self) -> Vec<String> {
        let mut out = vec![];
        for p in &self.0 {
            if let Some(parent) = p.strip_suffix("/**").filter(|x| !x.is_empty() && *x != "!") {
                out.push(parent.to_string());
            }
            out.push(p.clone());
        }
        out
    }

    /// How `path` fares: the first exclude that matches wins, then the first include.
    pub fn check(&self, path: &str) -> PageMatch {
        let expanded = self.for_loader();
        let original = |expanded: &str| -> String {
            // The pattern as written that an expanded one came from.
            self.0
                .iter()
                .find(|p| p.as_str() == expanded || p.strip_suffix("/**") == Some(expanded))
                .cloned()
                .unwrap_or_else(|| expanded.to_string())
        };
        if let Some(x) = expanded
            .iter()
            .filter_map(|p| p.strip_prefix('!'))
            .find(|p| glob(p, path))
        {
            return PageMatch::Excluded(original(&format!("!{x}")));
        }
        let mut includes = expanded.iter().filter(|p| !p.starts_with('!')).peekable();
        if includes.peek().is_none() {
            return PageMatch::In(None);
        }
        match includes.find(|p| glob(p, path)) {
            Some(p) => PageMatch::In(Some(original(p))),
            None => PageMatch::NotIncluded,
        }
    }

    pub fn admits(&self, path: &str) -> bool {
        matches!(self.check(path), PageMatch::In(_))
    }

    /// The patterns in a line.
    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            "every page".into()
        } else {
            self.0.join(", ")
        }
    }
}

/// Whether `path` matches `pattern`: `**` any run, `*` any run without `/`, anything else
/// itself. One pass over the path per pattern character (never a backtracking search, so no
/// pattern or path can make it slow), as the loader's `glob` does in JavaScript.
pub fn glob(pattern: &str, path: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), path.as_bytes());
    // matched[j]: the pattern read so far matches the path's first j bytes.
    let mut matched = vec![false; s.len() + 1];
    matched[0] = true;
    let mut i = 0;
    while i < p.len() {
        if p[i] == b'*' {
            let across = p.get(i + 1) == Some(&b'*');
            i += usize::from(across);
            for j in 1..=s.len() {
                matched[j] = matched[j] || (matched[j - 1] && (across || s[j - 1] != b'/'));
            }
        } else {
            for j in (1..=s.len()).rev() {
                matched[j] = matched[j - 1] && s[j - 1] == p[i];
            }
            matched[0] = false;
        }
        i += 1;
    }
    matched[s.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn targeting(text: &str) -> PageTargeting {
        PageTargeting::parse(text).unwrap()
    }

    #[test]
    fn worked_examples() {
        let t = targeting("/checkout/**\n!/checkout/legal/**, /pricing, /blog/*/comments");
        assert_eq!(
            t.check("/checkout"),
            PageMatch::In(Some("/checkout/**".into()))
        );
        assert_eq!(
            t.check("/checkout/pay/card"),
            PageMatch::In(Some("/checkout/**".into()))
        );
        assert_eq!(
            t.check("/checkout/legal/terms"),
            PageMatch::Excluded("!/checkout/legal/**".into())
        );
        assert_eq!(
            t.check("/checkout/legal"),
            PageMatch::Excluded("!/checkout/legal/**".into())
        );
        assert_eq!(t.check("/pricing"), PageMatch::In(Some("/pricing".into())));
        assert_eq!(t.check("/pricing/"), PageMatch::NotIncluded);
        assert_eq!(t.check("/checkouts"), PageMatch::NotIncluded);
        assert!(t.admits("/blog/hello/comments"));
        assert!(
            !t.admits("/blog/2026/hello/comments"),
            "* stays in its segment"
        );
        // Excludes alone: every other page.
        let t = targeting("!/account/**");
        assert_eq!(t.check("/"), PageMatch::In(None));
        assert!(!t.admits("/account"));
        assert!(!t.admits("/account/orders/7"));
        assert!(targeting("").admits("/anything"));
        // No backtracking: the worst pattern over a long path is one pass per character.
        assert!(!glob("/**/**/**x", &"/a".repeat(5_000)));
        assert!(glob("/**/**/**a", &"/a".repeat(5_000)));
        assert_eq!(
            targeting("/a/**, !/a/b").for_loader(),
            ["/a", "/a/**", "!/a/b"]
        );
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        for bad in [
            "checkout",
            "/a b",
            "/search?q=x",
            "/a#b",
            "/a/***",
            "/*/*/*/*",
            "/a!b",
            "!",
            "/café",
        ] {
            let e = PageTargeting::parse(bad).unwrap_err();
            assert_eq!(e.field, "pages", "{bad}");
        }
        let many: Vec<String> = (0..21).map(|i| format!("/p{i}")).collect();
        assert!(PageTargeting::parse(&many.join(",")).is_err());
        assert!(PageTargeting::parse(&format!("/{}", "a".repeat(200))).is_err());
        // Stored patterns are parsed again when read.
        assert!(serde_json::from_str::<PageTargeting>(r#"["nope"]"#).is_err());
        assert_eq!(
            serde_json::from_str::<PageTargeting>(r#"["/a/**", "/a/**"]"#).unwrap(),
            targeting("/a/**")
        );
    }

    /// The same match written the obvious way: `*` and `**` turned into a regular expression.
    fn reference(pattern: &str, path: &str) -> bool {
        let mut re = String::from("^");
        let mut rest = pattern;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("**") {
                re.push_str(".*");
                rest = r;
            } else if let Some(r) = rest.strip_prefix('*') {
                re.push_str("[^/]*");
                rest = r;
            } else {
                let c = rest.chars().next().unwrap();
                re.push_str(&regex::escape(&c.to_string()));
                rest = &rest[c.len_utf8()..];
            }
        }
        re.push('$');
        regex::Regex::new(&re).unwrap().is_match(path)
    }

    proptest! {
        #[test]
        fn glob_agrees_with_a_regular_expression(
            pattern in "/[ab/*]{0,8}",
            path in "/[ab/]{0,10}",
        ) {
            prop_assume!(!pattern.contains("***"));
            prop_assert_eq!(glob(&pattern, &path), reference(&pattern, &path));
        }
    }
}
