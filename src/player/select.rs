//! Which audio stream to play when a file or stream offers several: the one asked for
//! (`--stream`), else the preferred language (`--lang`, else the locale's, else the first
//! stream's), and within it the highest bitrate not above `--max-bitrate`.
//!
//! Pure functions over a list of candidates, so the rules are testable without a decoder.

/// What the user asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--stream N`: this ASF stream number and no other.
    pub stream: Option<u16>,
    /// `--lang TAG` or the locale's language: a lower-case BCP 47 tag.
    pub language: Option<String>,
    /// `--max-bitrate`, in bits per second.
    pub max_bitrate: Option<u32>,
}

/// One playable audio stream, as the choice sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub number: u8,
    pub bitrate: u32,
    /// Lower-case BCP 47 tag, when the header says.
    pub language: Option<String>,
}

/// The candidate to play, by index into `cands` (sorted by stream number or not: the "first"
/// stream is the lowest number). `None` only when `cands` is empty or `--stream` names none.
pub fn pick(cands: &[Candidate], sel: &Selection) -> Option<usize> {
    if let Some(n) = sel.stream {
        return cands.iter().position(|c| u16::from(c.number) == n);
    }
    let language = pick_language(cands, sel.language.as_deref())?;
    best_within(cands, sel.max_bitrate, |c| c.language == language)
}

/// The language to play: the preferred one if a stream has it (BCP 47 lookup), else the first
/// stream's.
fn pick_language(cands: &[Candidate], preferred: Option<&str>) -> Option<Option<String>> {
    if let Some(p) = preferred
        && let Some(c) = lookup(cands, p)
    {
        return Some(c.language.clone());
    }
    cands
        .iter()
        .min_by_key(|c| c.number)
        .map(|c| c.language.clone())
}

/// RFC 4647 lookup: the tag itself, then ever shorter prefixes (`pt-br` → `pt`), each matching
/// a stream's tag equal to it or extending it (`pt` matches `pt-br`).
fn lookup<'a>(cands: &'a [Candidate], preferred: &str) -> Option<&'a Candidate> {
    let mut p = preferred.to_ascii_lowercase();
    loop {
        if let Some(c) = cands
            .iter()
            .filter(|c| c.language.as_deref().is_some_and(|l| tag_matches(&p, l)))
            .min_by_key(|c| c.number)
        {
            return Some(c);
        }
        let cut = p.rfind('-')?;
        p.truncate(cut);
    }
}

/// Whether `tag` is `prefix` or a more specific form of it.
pub fn tag_matches(prefix: &str, tag: &str) -> bool {
    // Tags come from files: compare bytes, so that no text can split a character.
    let (t, p) = (tag.as_bytes(), prefix.as_bytes());
    !p.is_empty()
        && t.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
        && t.get(p.len()).is_none_or(|b| *b == b'-')
}

/// Among the candidates `keep` accepts, the highest bitrate not above `cap`; when all are above
/// it, the lowest (something must play).
pub fn best_within(
    cands: &[Candidate],
    cap: Option<u32>,
    keep: impl Fn(&Candidate) -> bool,
) -> Option<usize> {
    let kept = || cands.iter().enumerate().filter(|(_, c)| keep(c));
    kept()
        .filter(|(_, c)| cap.is_none_or(|m| c.bitrate <= m))
        .max_by_key(|(_, c)| (c.bitrate, std::cmp::Reverse(c.number)))
        .or_else(|| kept().min_by_key(|(_, c)| (c.bitrate, c.number)))
        .map(|(i, _)| i)
}

/// The user's language from the locale: the first set of `LC_ALL`, `LC_MESSAGES`, `LANG`,
/// as a BCP 47 tag (`pt_BR.UTF-8` → `pt-br`). `C` and `POSIX` state no preference.
pub fn locale_language(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| var(k))
        .find(|v| !v.is_empty())?;
    // language[_territory][.codeset][@modifier]
    let base = value.split(['.', '@']).next().unwrap_or("");
    if base.is_empty() || base == "C" || base == "POSIX" {
        return None;
    }
    Some(base.replace('_', "-").to_ascii_lowercase())
}

/// The languages on offer, each once, in stream-number order.
pub fn languages(cands: &[Candidate]) -> Vec<String> {
    let mut sorted: Vec<&Candidate> = cands.iter().collect();
    sorted.sort_by_key(|c| c.number);
    let mut out: Vec<String> = Vec::new();
    for l in sorted.iter().filter_map(|c| c.language.clone()) {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

/// The language after `current` in [`languages`], wrapping around; `None` with fewer than two.
pub fn next_language(cands: &[Candidate], current: Option<&str>) -> Option<String> {
    let all = languages(cands);
    if all.len() < 2 {
        return None;
    }
    let i = current
        .and_then(|c| all.iter().position(|l| l == c))
        .map_or(0, |i| (i + 1) % all.len());
    Some(all[i].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(number: u8, kbps: u32, language: Option<&str>) -> Candidate {
        Candidate {
            number,
            bitrate: kbps * 1000,
            language: language.map(str::to_string),
        }
    }

    fn sel(language: Option<&str>, max_kbps: Option<u32>) -> Selection {
        Selection {
            stream: None,
            language: language.map(str::to_string),
            max_bitrate: max_kbps.map(|k| k * 1000),
        }
    }

    #[test]
    fn the_highest_bitrate_within_the_cap() {
        let mbr = [c(1, 64, None), c(2, 32, None), c(3, 128, None)];
        assert_eq!(pick(&mbr, &sel(None, None)), Some(2));
        assert_eq!(pick(&mbr, &sel(None, Some(100))), Some(0));
        assert_eq!(pick(&mbr, &sel(None, Some(64))), Some(0));
        // Everything above the cap: the lowest.
        assert_eq!(pick(&mbr, &sel(None, Some(8))), Some(1));
    }

    #[test]
    fn a_stream_number_overrides_everything() {
        let mbr = [c(1, 64, Some("en")), c(2, 32, Some("de"))];
        let s = Selection {
            stream: Some(2),
            ..sel(Some("en"), None)
        };
        assert_eq!(pick(&mbr, &s), Some(1));
        let s = Selection {
            stream: Some(9),
            ..Selection::default()
        };
        assert_eq!(pick(&mbr, &s), None);
    }

    #[test]
    fn languages_match_by_prefix_and_fall_back_to_the_first_stream() {
        let two = [
            c(1, 64, Some("en-us")),
            c(2, 32, Some("en-us")),
            c(3, 64, Some("pt-br")),
            c(4, 32, Some("pt-br")),
        ];
        assert_eq!(pick(&two, &sel(Some("pt"), None)), Some(2));
        assert_eq!(pick(&two, &sel(Some("pt-PT"), None)), Some(2));
        assert_eq!(pick(&two, &sel(Some("pt"), Some(40))), Some(3));
        assert_eq!(pick(&two, &sel(Some("en"), None)), Some(0));
        assert_eq!(pick(&two, &sel(Some("fr"), None)), Some(0));
        assert_eq!(pick(&two, &sel(None, None)), Some(0));
        assert!(!tag_matches("pt", "ptx"));
        assert!(tag_matches("EN", "en-us"));
        assert!(!tag_matches("e", "é-x") && !tag_matches("é", "e"));
    }

    #[test]
    fn the_locale_gives_a_tag() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            locale_language(env(&[("LANG", "pt_BR.UTF-8")])),
            Some("pt-br".into())
        );
        assert_eq!(
            locale_language(env(&[("LANG", "de_DE"), ("LC_MESSAGES", "fr_FR@euro")])),
            Some("fr-fr".into())
        );
        assert_eq!(
            locale_language(env(&[("LC_ALL", ""), ("LANG", "en_GB.UTF-8")])),
            Some("en-gb".into())
        );
        assert_eq!(locale_language(env(&[("LC_ALL", "C.UTF-8")])), None);
        assert_eq!(locale_language(env(&[("LANG", "POSIX")])), None);
        assert_eq!(locale_language(env(&[])), None);
    }

    #[test]
    fn the_language_key_cycles() {
        let two = [
            c(1, 64, Some("en")),
            c(2, 64, Some("de")),
            c(3, 32, Some("en")),
        ];
        assert_eq!(languages(&two), vec!["en", "de"]);
        assert_eq!(next_language(&two, Some("en")), Some("de".into()));
        assert_eq!(next_language(&two, Some("de")), Some("en".into()));
        assert_eq!(next_language(&two[..1], Some("en")), None);
    }
}
