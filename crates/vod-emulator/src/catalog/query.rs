//! The filters of a listing, typed: the fields GetVideoList and SearchMedia filter on, what each
//! field allows, and one matcher.
//!
//! Why one list: the SearchMedia `Match` parser and the matcher used to keep their own lists of
//! field names, and drifted (`Tags` was accepted and never compared, so a tag query silently
//! matched nothing). Here the parser turns every accepted clause into a [`Clause`] variant, and
//! [`Clause::matches`] handles every variant exhaustively: a field cannot be accepted without being
//! compared. Times are compared as times (RFC 3339 parsed to seconds), never as strings.
//!
//! The `Match` syntax follows the media search protocol
//! (https://help.aliyun.com/document_detail/86991.html): clauses joined by `and`;
//! exact `Field = value`; fuzzy `Field = 'value'`; multi-value `Field in ('a','b')`; range
//! `Field = ('lo','hi')` where `(`/`)` exclude the bound and `[`/`]` include it, and an empty
//! bound is open ("如果只有左边界或右边界,对应右边界或左边界值为空即可"). Which syntax each field allows
//! follows the VOD search docs (https://help.aliyun.com/document_detail/99179.html lists
//! VideoId, CateId, StorageLocation, Title, Tags as filters; "if a field supports only fuzzy
//! match, a multi-value query on it is fuzzy too"). Not supported here: `or` groups. The error
//! code for an invalid expression (`InvalidParameter.Match`, 400) is not documented [unverified].

use std::ops::Bound;

use super::super::ServiceError;

/// A field a listing can filter on. The one list both the parser and the matcher use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    VideoId,
    Title,
    Tags,
    Status,
    CateId,
    StorageLocation,
    CreationTime,
    ModificationTime,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::VideoId,
        Field::Title,
        Field::Tags,
        Field::Status,
        Field::CateId,
        Field::StorageLocation,
        Field::CreationTime,
        Field::ModificationTime,
    ];

    /// The field's name in a `Match` expression.
    pub fn name(self) -> &'static str {
        match self {
            Field::VideoId => "VideoId",
            Field::Title => "Title",
            Field::Tags => "Tags",
            Field::Status => "Status",
            Field::CateId => "CateId",
            Field::StorageLocation => "StorageLocation",
            Field::CreationTime => "CreationTime",
            Field::ModificationTime => "ModificationTime",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Builds the clause for `self <op> rhs`, or says why the service refuses it.
    fn clause(self, rhs: Rhs) -> Result<Clause, ServiceError> {
        let name = self.name();
        let values = |rhs: Rhs| -> Result<Vec<String>, ServiceError> {
            match rhs {
                Rhs::Bare(v) | Rhs::Quoted(v) => Ok(vec![v]),
                Rhs::List(vs) => Ok(vs),
                Rhs::Range(_) => Err(bad_match(&format!("{name} has no range query"))),
            }
        };
        let time = |rhs: Rhs| -> Result<TimeRange, ServiceError> {
            match rhs {
                Rhs::Range(r) => TimeRange::parse(&r),
                _ => Err(bad_match(&format!(
                    "{name} takes a range: {name} = ('lo','hi')"
                ))),
            }
        };
        Ok(match self {
            Field::VideoId => Clause::VideoId(values(rhs)?),
            Field::Title => Clause::Title(values(rhs)?),
            Field::Tags => Clause::Tags(values(rhs)?),
            Field::Status => Clause::Status(values(rhs)?),
            Field::CateId => Clause::CateId(
                values(rhs)?
                    .iter()
                    .map(|v| v.parse::<i64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| bad_match("CateId values are integers"))?,
            ),
            Field::StorageLocation => Clause::StorageLocation(values(rhs)?),
            Field::CreationTime => Clause::CreationTime(time(rhs)?),
            Field::ModificationTime => Clause::ModificationTime(time(rhs)?),
        })
    }
}

/// A time range in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub low: Bound<i64>,
    pub high: Bound<i64>,
}

impl TimeRange {
    pub const ALL: TimeRange = TimeRange {
        low: Bound::Unbounded,
        high: Bound::Unbounded,
    };

    /// `[start, end)`, GetVideoList's StartTime/EndTime window.
    pub fn half_open(start: Option<i64>, end: Option<i64>) -> TimeRange {
        TimeRange {
            low: start.map_or(Bound::Unbounded, Bound::Included),
            high: end.map_or(Bound::Unbounded, Bound::Excluded),
        }
    }

    fn parse(r: &RawRange) -> Result<TimeRange, ServiceError> {
        let bound = |v: &Option<String>, closed: bool| -> Result<Bound<i64>, ServiceError> {
            match v {
                None => Ok(Bound::Unbounded),
                Some(t) => {
                    let s = seconds(t).ok_or_else(|| {
                        bad_match(&format!("`{t}` is not a time (yyyy-MM-ddTHH:mm:ssZ)"))
                    })?;
                    Ok(if closed {
                        Bound::Included(s)
                    } else {
                        Bound::Excluded(s)
                    })
                }
            }
        };
        Ok(TimeRange {
            low: bound(&r.low, r.low_closed)?,
            high: bound(&r.high, r.high_closed)?,
        })
    }

    pub fn contains(&self, t: i64) -> bool {
        (match self.low {
            Bound::Included(l) => t >= l,
            Bound::Excluded(l) => t > l,
            Bound::Unbounded => true,
        }) && (match self.high {
            Bound::Included(h) => t <= h,
            Bound::Excluded(h) => t < h,
            Bound::Unbounded => true,
        })
    }

    /// Both ranges at once.
    pub fn intersect(self, other: TimeRange) -> TimeRange {
        let low = match (self.low, other.low) {
            (Bound::Unbounded, b) | (b, Bound::Unbounded) => b,
            (a, b) => {
                let key = |x: Bound<i64>| match x {
                    Bound::Included(v) => (v, 0),
                    Bound::Excluded(v) => (v, 1),
                    Bound::Unbounded => unreachable!(),
                };
                if key(a) >= key(b) { a } else { b }
            }
        };
        let high = match (self.high, other.high) {
            (Bound::Unbounded, b) | (b, Bound::Unbounded) => b,
            (a, b) => {
                let key = |x: Bound<i64>| match x {
                    Bound::Included(v) => (v, 1),
                    Bound::Excluded(v) => (v, 0),
                    Bound::Unbounded => unreachable!(),
                };
                if key(a) <= key(b) { a } else { b }
            }
        };
        TimeRange { low, high }
    }
}

/// Unix seconds of an RFC 3339 timestamp.
pub fn seconds(text: &str) -> Option<i64> {
    crate::timefmt::parse(text).map(|t| t.unix_timestamp())
}

/// One condition of a listing. Within a clause the values are alternatives; clauses all hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// The video ID is one of these.
    VideoId(Vec<String>),
    /// The title contains one of these (fuzzy).
    Title(Vec<String>),
    /// One of the video's tags is one of these (each tag compared whole) [the tag comparison
    /// of the real service is not documented: unverified].
    Tags(Vec<String>),
    /// The status is one of these.
    Status(Vec<String>),
    /// The category is one of these.
    CateId(Vec<i64>),
    /// The storage location is one of these.
    StorageLocation(Vec<String>),
    CreationTime(TimeRange),
    ModificationTime(TimeRange),
}

/// What a clause needs to know of a video.
pub trait Subject {
    fn video_id(&self) -> &str;
    fn title(&self) -> &str;
    fn has_tag(&self, tag: &str) -> bool;
    fn status(&self) -> &str;
    fn category(&self) -> Option<i64>;
    fn storage_location(&self) -> &str;
    fn created(&self) -> i64;
    fn modified(&self) -> i64;
}

impl Clause {
    pub fn field(&self) -> Field {
        match self {
            Clause::VideoId(_) => Field::VideoId,
            Clause::Title(_) => Field::Title,
            Clause::Tags(_) => Field::Tags,
            Clause::Status(_) => Field::Status,
            Clause::CateId(_) => Field::CateId,
            Clause::StorageLocation(_) => Field::StorageLocation,
            Clause::CreationTime(_) => Field::CreationTime,
            Clause::ModificationTime(_) => Field::ModificationTime,
        }
    }

    pub fn matches(&self, v: &impl Subject) -> bool {
        match self {
            Clause::VideoId(ids) => ids.iter().any(|i| i == v.video_id()),
            Clause::Title(parts) => parts.iter().any(|p| v.title().contains(p.as_str())),
            Clause::Tags(tags) => tags.iter().any(|t| v.has_tag(t)),
            Clause::Status(s) => s.iter().any(|s| s == v.status()),
            Clause::CateId(c) => v.category().is_some_and(|own| c.contains(&own)),
            Clause::StorageLocation(l) => l.iter().any(|l| l == v.storage_location()),
            Clause::CreationTime(r) => r.contains(v.created()),
            Clause::ModificationTime(r) => r.contains(v.modified()),
        }
    }
}

/// All clauses of one listing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub clauses: Vec<Clause>,
}

impl Filter {
    pub fn matches(&self, v: &impl Subject) -> bool {
        self.clauses.iter().all(|c| c.matches(v))
    }

    /// The creation-time range every match lies in.
    pub fn created(&self) -> TimeRange {
        self.clauses.iter().fold(TimeRange::ALL, |r, c| match c {
            Clause::CreationTime(t) => r.intersect(*t),
            _ => r,
        })
    }
}

pub fn bad_match(why: &str) -> ServiceError {
    ServiceError::new(
        400,
        "InvalidParameter.Match",
        format!("The specified parameter Match is not valid: {why}"),
    )
}

/// The right-hand side of a clause, as written.
#[derive(Debug, Clone, PartialEq)]
enum Rhs {
    Bare(String),
    Quoted(String),
    List(Vec<String>),
    Range(RawRange),
}

#[derive(Debug, Clone, PartialEq)]
struct RawRange {
    low: Option<String>,
    low_closed: bool,
    high: Option<String>,
    high_closed: bool,
}

/// Parses a SearchMedia `Match` expression.
pub fn parse_match(text: &str) -> Result<Filter, ServiceError> {
    let mut clauses = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .ok_or_else(|| bad_match("expected `Field = value`"))?;
        let name = &rest[..end];
        let field = Field::from_name(name)
            .ok_or_else(|| bad_match(&format!("field {name} is not searchable")))?;
        let after = rest[end..].trim_start();
        let (rhs, tail) = if let Some(list) = strip_word(after, "in") {
            let inner = list
                .trim_start()
                .strip_prefix('(')
                .ok_or_else(|| bad_match("`in` takes a list ('a','b')"))?;
            let (inner, tail) = inner
                .split_once(')')
                .ok_or_else(|| bad_match("unclosed ("))?;
            (Rhs::List(quoted_list(inner)?), tail)
        } else {
            let after = after
                .strip_prefix('=')
                .ok_or_else(|| bad_match(&format!("expected `=` or `in` after {name}")))?
                .trim_start();
            if let Some(open) = after.chars().next().filter(|c| *c == '(' || *c == '[') {
                let inner = &after[1..];
                let close = inner
                    .find([')', ']'])
                    .ok_or_else(|| bad_match(&format!("unclosed {open}")))?;
                let ends: Vec<&str> = inner[..close].split(',').collect();
                let [low, high] =
                    <[&str; 2]>::try_from(ends).map_err(|_| bad_match("a range has two ends"))?;
                let end = |v: &str| -> Result<Option<String>, ServiceError> {
                    let v = v.trim();
                    if v.is_empty() {
                        return Ok(None);
                    }
                    let q = v
                        .strip_prefix('\'')
                        .and_then(|v| v.strip_suffix('\''))
                        .ok_or_else(|| bad_match("range ends are quoted"))?;
                    Ok((!q.is_empty()).then(|| q.to_string()))
                };
                let range = RawRange {
                    low: end(low)?,
                    low_closed: open == '[',
                    high: end(high)?,
                    high_closed: inner[close..].starts_with(']'),
                };
                (Rhs::Range(range), &inner[close + 1..])
            } else if let Some(q) = after.strip_prefix('\'') {
                let (value, tail) = q
                    .split_once('\'')
                    .ok_or_else(|| bad_match("unclosed quote"))?;
                (Rhs::Quoted(value.to_string()), tail)
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                if end == 0 {
                    return Err(bad_match(&format!("{name} has no value")));
                }
                (Rhs::Bare(after[..end].to_string()), &after[end..])
            }
        };
        clauses.push(field.clause(rhs)?);
        let tail = tail.trim_start();
        rest = if tail.is_empty() {
            ""
        } else {
            strip_word(tail, "and")
                .ok_or_else(|| bad_match("clauses are joined with `and`"))?
                .trim_start()
        };
    }
    Ok(Filter { clauses })
}

/// `text` after the keyword `word` (any case) followed by a space or `(`.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    (head.eq_ignore_ascii_case(word) && rest.starts_with(|c: char| c.is_whitespace() || c == '('))
        .then_some(rest)
}

fn quoted_list(inner: &str) -> Result<Vec<String>, ServiceError> {
    inner
        .split(',')
        .map(|v| {
            let v = v.trim();
            v.strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .map(String::from)
                .ok_or_else(|| bad_match("values are quoted"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        seconds(s).unwrap()
    }

    #[test]
    fn parses_every_field_into_its_clause() {
        let f = parse_match("Status in ('Normal','Checking') and CreationTime = ('2018-07-01T08:00:00Z','2018-08-01T08:00:00Z') and CateId = 1000 and Title = 'tmp' and Tags in ('a','b') and VideoId = abc and StorageLocation = 'x.oss' and ModificationTime = ['2018-07-01T08:00:00+08:00',]").unwrap();
        assert_eq!(
            f.clauses,
            vec![
                Clause::Status(vec!["Normal".into(), "Checking".into()]),
                Clause::CreationTime(TimeRange {
                    low: Bound::Excluded(t("2018-07-01T08:00:00Z")),
                    high: Bound::Excluded(t("2018-08-01T08:00:00Z")),
                }),
                Clause::CateId(vec![1000]),
                Clause::Title(vec!["tmp".into()]),
                Clause::Tags(vec!["a".into(), "b".into()]),
                Clause::VideoId(vec!["abc".into()]),
                Clause::StorageLocation(vec!["x.oss".into()]),
                Clause::ModificationTime(TimeRange {
                    low: Bound::Included(t("2018-07-01T00:00:00Z")),
                    high: Bound::Unbounded,
                }),
            ]
        );
        // Every field of the list parses.
        for f in Field::ALL {
            let e = match f {
                Field::CreationTime | Field::ModificationTime => {
                    format!("{} = ['2020-01-01T00:00:00Z','')", f.name())
                }
                Field::CateId => format!("{} = 7", f.name()),
                _ => format!("{} = 'x'", f.name()),
            };
            assert_eq!(parse_match(&e).unwrap().clauses[0].field(), f, "{e}");
        }
    }

    #[test]
    fn refuses_what_the_service_refuses() {
        for bad in [
            "Status in ('Normal'",
            "Status = 'a' or CateId = 1",
            "Description = 'x'",
            "CateId = abc",
            "CreationTime = '2020-01-01T00:00:00Z'",
            "CreationTime = ('yesterday','2020-01-01T00:00:00Z')",
            "Status = ('a','b')",
            "Title",
        ] {
            let e = parse_match(bad).unwrap_err();
            assert_eq!(e.code, "InvalidParameter.Match", "{bad}");
        }
    }

    #[test]
    fn ranges_compare_times_not_strings() {
        let f = parse_match("CreationTime = ['2024-01-01T08:00:00+08:00','2024-01-01T00:00:01Z')")
            .unwrap();
        let r = f.created();
        assert!(r.contains(t("2024-01-01T00:00:00Z")));
        assert!(!r.contains(t("2024-01-01T00:00:01Z")));
        assert!(!r.contains(t("2023-12-31T23:59:59Z")));
    }
}
