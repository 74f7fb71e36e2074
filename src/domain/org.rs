//! The org chart: reading an import file (CSV, YAML or JSON) and checking its rows.
//!
//! A file is read row by row so one bad row never sinks the rest; only problems with the file
//! as a whole (empty, no `user_id` column, not CSV or YAML at all) are errors.

use super::ids::UserId;
use super::yaml;

mod levels;
pub use levels::check_levels;
use serde_yaml_ng::Value;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgFormat {
    Csv,
    /// YAML or JSON: JSON is YAML, so one parser reads both.
    Yaml,
}

impl OrgFormat {
    /// From a file name or content type when it says, else from the text itself.
    pub fn detect(file_name_or_content_type: Option<&str>, text: &str) -> OrgFormat {
        if let Some(hint) = file_name_or_content_type {
            let hint = hint.trim().to_ascii_lowercase();
            if hint.ends_with(".csv") || hint.contains("text/csv") {
                return OrgFormat::Csv;
            }
            let yaml_like = [".yaml", ".yml", ".json"].iter().any(|e| hint.ends_with(e))
                || hint.contains("json")
                || hint.contains("yaml");
            if yaml_like {
                return OrgFormat::Yaml;
            }
        }
        let start = strip_bom(text).trim_start();
        if start.starts_with(['[', '{', '-']) || start.starts_with("people:") {
            OrgFormat::Yaml
        } else {
            OrgFormat::Csv
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub user_id: UserId,
    pub name: Option<String>,
    pub email: Option<String>,
    pub team: Option<String>,
    pub group: Option<String>,
    pub manager_id: Option<UserId>,
    /// The framework track and level the person is on (checked by `check_levels`).
    pub track: Option<String>,
    pub level: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// As a person finds it: the spreadsheet row for CSV, the entry number for YAML/JSON.
    pub row: usize,
    /// As written in the file, when there was one.
    pub user_id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFile {
    /// (row number, row), in file order.
    pub rows: Vec<(usize, OrgRow)>,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgFileError {
    #[error("the file is empty; send a CSV with the header user_id,name,email,team,group,manager_id,track,level, or a YAML/JSON list of people")]
    Empty,
    #[error("the header has no user_id column (it has: {found}); add a user_id column with each person's Slack user id")]
    NoUserIdColumn { found: String },
    #[error("the file could not be read as CSV: {0}")]
    Csv(String),
    #[error("the file could not be read as YAML or JSON: {0}")]
    Yaml(String),
    #[error("expected a list of people, or a map with a `people:` list, but the file holds {0}")]
    YamlShape(String),
}

const MAX_FIELD_CHARS: usize = 200;
const COLUMNS: [&str; 8] = [
    "user_id",
    "name",
    "email",
    "team",
    "group",
    "manager_id",
    "track",
    "level",
];

pub fn read(text: &str, format: OrgFormat) -> Result<OrgFile, OrgFileError> {
    let text = strip_bom(text);
    if text.trim().is_empty() {
        return Err(OrgFileError::Empty);
    }
    let raw_rows = match format {
        OrgFormat::Csv => read_csv(text)?,
        OrgFormat::Yaml => read_yaml(text)?,
    };

    let mut file = OrgFile::default();
    // user id → the row that first brought it, so a duplicate can name it.
    let mut seen: HashMap<UserId, usize> = HashMap::new();
    for (row, raw) in raw_rows {
        match raw.and_then(|raw| validate(raw, &seen)) {
            Ok(org_row) => {
                seen.insert(org_row.user_id.clone(), row);
                file.rows.push((row, org_row));
            }
            Err((user_id, reason)) => file.rejected.push(RejectedRow {
                row,
                user_id,
                reason,
            }),
        }
    }
    Ok(file)
}

/// Excel writes a byte-order mark at the start of CSV files; it is not part of the header.
fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// One row's cells by column, trimmed, with empty cells as `None`.
type RawRow = [Option<String>; 8];
/// (the row's user id as written, why the row was rejected)
type Rejection = (Option<String>, String);
/// (row number, the row's cells or why they could not be read)
type ReadRows = Vec<(usize, Result<RawRow, Rejection>)>;

fn cell(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn read_csv(text: &str) -> Result<ReadRows, OrgFileError> {
    // Flexible: a spreadsheet often drops trailing empty cells, which just mean "none".
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| OrgFileError::Csv(e.to_string()))?
        .clone();
    let names: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    let index: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|column| names.iter().position(|n| n == column))
        .collect();
    if index[0].is_none() {
        return Err(OrgFileError::NoUserIdColumn {
            found: names.join(", "),
        });
    }

    let mut rows = Vec::new();
    let mut lines = Lines {
        text: text.as_bytes(),
        at: 0,
        line: 1,
    };
    for record in reader.records() {
        let record = record.map_err(|e| OrgFileError::Csv(e.to_string()))?;
        let row = record
            .position()
            .map_or(0, |p| lines.line_at(p.byte() as usize));
        // Spreadsheets export trailing rows of empty cells; they are not people.
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let raw: RawRow =
            std::array::from_fn(|i| index[i].and_then(|at| record.get(at)).and_then(cell));
        rows.push((row, Ok(raw)));
    }
    Ok(rows)
}

/// Line numbers as a spreadsheet counts them: `\r\n`, `\r` and `\n` each end a line (the csv
/// crate counts only `\n`, so a Windows or old Mac file would be numbered wrong).
struct Lines<'a> {
    text: &'a [u8],
    /// Bytes before this one are counted in `line`.
    at: usize,
    line: usize,
}

impl Lines<'_> {
    /// The line `byte` is on; `byte` never goes back.
    fn line_at(&mut self, byte: usize) -> usize {
        let end = byte.min(self.text.len()).max(self.at);
        for i in self.at..end {
            let b = self.text[i];
            if b == b'\r' || (b == b'\n' && (i == 0 || self.text[i - 1] != b'\r')) {
                self.line += 1;
            }
        }
        self.at = end;
        self.line
    }
}

fn read_yaml(text: &str) -> Result<ReadRows, OrgFileError> {
    let value: Value = yaml::from_str(text).map_err(OrgFileError::Yaml)?;
    let entries = match value {
        Value::Sequence(entries) => entries,
        Value::Mapping(mut map) => match map.remove("people") {
            Some(Value::Sequence(entries)) => entries,
            Some(other) => {
                return Err(OrgFileError::YamlShape(format!(
                    "`people:` as {}",
                    kind(&other)
                )))
            }
            None => {
                return Err(OrgFileError::YamlShape(
                    "a map without a `people:` key".into(),
                ))
            }
        },
        other => return Err(OrgFileError::YamlShape(kind(&other).into())),
    };
    Ok(entries
        .iter()
        .enumerate()
        .map(|(i, entry)| (i + 1, yaml_row(entry)))
        .collect())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::String(_) => "a single text value",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a map",
        Value::Tagged(_) => "a tagged value",
    }
}

fn yaml_row(entry: &Value) -> Result<RawRow, Rejection> {
    let Value::Mapping(map) = entry else {
        return Err((
            None,
            format!(
                "expected a map with user_id, name, email, team, group, manager_id, track and level, found {}",
                kind(entry)
            ),
        ));
    };
    let mut raw = RawRow::default();
    for (key, value) in map {
        let Some(key) = key.as_str().map(|k| k.trim().to_lowercase()) else {
            continue;
        };
        let Some(i) = COLUMNS.iter().position(|c| *c == key) else {
            continue;
        };
        raw[i] = match value {
            Value::Null => None,
            Value::String(s) => cell(s),
            Value::Number(n) => cell(&n.to_string()),
            Value::Bool(b) => cell(&b.to_string()),
            other => {
                let user_id = map.get("user_id").and_then(Value::as_str).and_then(cell);
                return Err((user_id, format!("{key} must be text, not {}", kind(other))));
            }
        };
    }
    Ok(raw)
}

fn validate(raw: RawRow, seen: &HashMap<UserId, usize>) -> Result<OrgRow, Rejection> {
    let [user_id, name, email, team, group, manager_id, track, level] = raw;
    let as_written = user_id
        .as_ref()
        .map(|u| u.chars().take(MAX_FIELD_CHARS).collect());
    let reject = |reason: String| Err((as_written.clone(), reason));

    let fields = [
        &user_id,
        &name,
        &email,
        &team,
        &group,
        &manager_id,
        &track,
        &level,
    ];
    for (column, value) in COLUMNS.iter().zip(fields) {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_FIELD_CHARS)
        {
            return reject(format!(
                "{column} is longer than {MAX_FIELD_CHARS} characters"
            ));
        }
    }
    let Some(user_id) = user_id else {
        return reject("user_id is empty".into());
    };
    let user_id = match UserId::parse(&user_id) {
        Ok(id) => id,
        Err(e) => return reject(format!("user_id: {e} (it looks like U012AB3CD)")),
    };
    let manager_id = match manager_id.as_deref().map(UserId::parse).transpose() {
        Ok(id) => id,
        Err(e) => return reject(format!("manager_id: {e} (it looks like U012AB3CD)")),
    };
    if manager_id.as_ref() == Some(&user_id) {
        return reject(format!(
            "{user_id} is their own manager; leave manager_id empty for the top of the chart"
        ));
    }
    if let Some(email) = &email {
        let well_formed = email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
        if !well_formed {
            return reject(format!("email '{email}' is not an email address"));
        }
    }
    if let Some(earlier) = seen.get(&user_id) {
        return reject(format!("{user_id} is already on row {earlier}"));
    }
    Ok(OrgRow {
        user_id,
        name,
        email,
        team,
        group,
        manager_id,
        track,
        level,
    })
}

/// Checks the rows read against each other and the org chart already stored (`existing`: user
/// id → stored manager id): every manager must be known, and no manager chain may loop.
pub fn check(file: OrgFile, existing: &HashMap<String, Option<String>>) -> OrgFile {
    let rows = file.rows;
    let in_file: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (_, row))| (row.user_id.as_str(), i))
        .collect();
    // The file's row wins over the stored one: it is what the chart will become.
    let manager_of = |id: &str| -> Option<String> {
        match in_file.get(id) {
            Some(&i) => rows[i].1.manager_id.as_ref().map(|m| m.as_str().to_owned()),
            None => existing.get(id).cloned().flatten(),
        }
    };

    let mut reasons: Vec<Option<String>> = vec![None; rows.len()];
    for (i, (_, row)) in rows.iter().enumerate() {
        let Some(manager) = &row.manager_id else {
            continue;
        };
        let manager = manager.as_str();
        if !in_file.contains_key(manager) && !existing.contains_key(manager) {
            reasons[i] = Some(format!(
                "manager {manager} is not in the org chart; add a row for them or leave manager_id empty"
            ));
        } else if let Some(chain) = loop_through(row.user_id.as_str(), &manager_of) {
            reasons[i] = Some(format!("manager chain loops: {}", chain.join(" → ")));
        }
    }

    // A manager whose row was rejected, and who is not stored already, would be missing from
    // the chart; so would everyone under them, one level per pass.
    loop {
        let mut changed = false;
        for (i, (_, row)) in rows.iter().enumerate() {
            if reasons[i].is_some() {
                continue;
            }
            let Some(manager) = &row.manager_id else {
                continue;
            };
            let Some(&m) = in_file.get(manager.as_str()) else {
                continue;
            };
            if reasons[m].is_some() && !existing.contains_key(manager.as_str()) {
                reasons[i] = Some(format!(
                    "manager {manager} (row {}) was rejected and is not in the org chart yet; fix their row first",
                    rows[m].0
                ));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }

    let mut checked = OrgFile {
        rows: Vec::new(),
        rejected: file.rejected,
    };
    for ((row_number, row), reason) in rows.into_iter().zip(reasons) {
        match reason {
            Some(reason) => checked.rejected.push(RejectedRow {
                row: row_number,
                user_id: Some(row.user_id.as_str().to_owned()),
                reason,
            }),
            None => checked.rows.push((row_number, row)),
        }
    }
    checked.rejected.sort_by_key(|r| r.row);
    checked
}

/// The chain from `start` back to itself (`start → … → start`), when `start` is on a loop.
fn loop_through(start: &str, manager_of: &impl Fn(&str) -> Option<String>) -> Option<Vec<String>> {
    let mut chain = vec![start.to_owned()];
    let mut seen = HashSet::from([start.to_owned()]);
    let mut at = start.to_owned();
    while let Some(next) = manager_of(&at) {
        chain.push(next.clone());
        if next == start {
            return Some(chain);
        }
        // A loop further up that `start` only leads into: the people on it get the rejection.
        if !seen.insert(next.clone()) {
            return None;
        }
        at = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (row, user id) kept, and (row, reason) rejected, for compact expectations.
    type Outcome = (Vec<(usize, String)>, Vec<(usize, String)>);
    type Stored = HashMap<String, Option<String>>;

    fn outcome(file: &OrgFile) -> Outcome {
        (
            file.rows
                .iter()
                .map(|(n, r)| (*n, r.user_id.to_string()))
                .collect(),
            file.rejected
                .iter()
                .map(|r| (r.row, r.reason.clone()))
                .collect(),
        )
    }

    fn kept(rows: &[(usize, &str)]) -> Vec<(usize, String)> {
        rows.iter().map(|(n, id)| (*n, id.to_string())).collect()
    }

    fn stored(pairs: &[(&str, Option<&str>)]) -> Stored {
        pairs
            .iter()
            .map(|(id, m)| (id.to_string(), m.map(str::to_owned)))
            .collect()
    }

    fn read_and_check(text: &str, existing: &Stored) -> OrgFile {
        let format = OrgFormat::detect(None, text);
        check(read(text, format).unwrap(), existing)
    }

    #[test]
    fn detects_the_format_from_name_type_or_text() {
        let table: &[(Option<&str>, &str, OrgFormat)] = &[
            (Some("org.csv"), "- a", OrgFormat::Csv),
            (Some("text/csv; charset=utf-8"), "[]", OrgFormat::Csv),
            (Some("Org.YAML"), "user_id", OrgFormat::Yaml),
            (Some("org.yml"), "user_id", OrgFormat::Yaml),
            (Some("org.json"), "user_id", OrgFormat::Yaml),
            (Some("application/json"), "user_id", OrgFormat::Yaml),
            (Some("application/x-yaml"), "user_id", OrgFormat::Yaml),
            (Some("export.txt"), "user_id,name\n", OrgFormat::Csv),
            (None, "  [{\"user_id\": \"U1\"}]", OrgFormat::Yaml),
            (None, "{\"people\": []}", OrgFormat::Yaml),
            (None, "- user_id: U1", OrgFormat::Yaml),
            (None, "people:\n  - user_id: U1", OrgFormat::Yaml),
            (None, "\u{feff}user_id,name\nU1,Ana", OrgFormat::Csv),
            (None, "name,user_id", OrgFormat::Csv),
        ];
        for (hint, text, expected) in table {
            assert_eq!(
                OrgFormat::detect(*hint, text),
                *expected,
                "{hint:?} {text:?}"
            );
        }
    }

    #[test]
    fn reads_csv_with_columns_in_any_order_quotes_and_extra_columns() {
        let text = "\u{feff}manager_id, Email ,user_id,name,team,group,desk\n\
                    ,ana@example.com,U1,\"Lima, Ana — Eng\",Platform,Engineering,3F\n\
                    U1,,U2,Bo,,,\n\
                    U1,bo@example.com,  U3  ,\"Cy \"\"CJ\"\" Doe\"\n";
        let file = read(text, OrgFormat::Csv).unwrap();
        assert!(file.rejected.is_empty(), "{:?}", file.rejected);
        let (n, ana) = &file.rows[0];
        assert_eq!(*n, 2);
        assert_eq!(ana.user_id.as_str(), "U1");
        assert_eq!(ana.name.as_deref(), Some("Lima, Ana — Eng"));
        assert_eq!(ana.email.as_deref(), Some("ana@example.com"));
        assert_eq!(ana.team.as_deref(), Some("Platform"));
        assert_eq!(ana.group.as_deref(), Some("Engineering"));
        assert_eq!(ana.manager_id, None);
        let (n, bo) = &file.rows[1];
        assert_eq!((*n, bo.email.as_ref(), bo.team.as_ref()), (3, None, None));
        assert_eq!(bo.manager_id.as_ref().map(UserId::as_str), Some("U1"));
        let (n, cy) = &file.rows[2];
        assert_eq!((*n, cy.user_id.as_str()), (4, "U3"));
        assert_eq!(cy.name.as_deref(), Some("Cy \"CJ\" Doe"));
    }

    #[test]
    fn csv_row_numbers_are_spreadsheet_rows() {
        // A quoted line break keeps the record on its first line; blank rows are skipped.
        let text = "user_id,name\nU1,\"two\nlines\"\n,\nbad,x\n";
        let file = read(text, OrgFormat::Csv).unwrap();
        assert_eq!(file.rows[0].0, 2);
        assert_eq!(file.rejected[0].row, 5);
        assert_eq!(file.rejected[0].user_id.as_deref(), Some("bad"));
    }

    #[test]
    fn csv_rows_are_numbered_whatever_ends_the_lines() {
        // Found by the property tests: csv counts only `\n`, so Windows files were numbered
        // one row early and old Mac files all on row 1.
        for eol in ["\n", "\r\n", "\r"] {
            let text = ["user_id,name", "U1,\"two", "lines\"", ",", "bad,x", ""].join(eol);
            let file = read(&text, OrgFormat::Csv).unwrap();
            assert_eq!(file.rows[0].0, 2, "{eol:?}");
            assert_eq!(file.rejected[0].row, 5, "{eol:?}");
        }
    }

    #[test]
    fn reads_yaml_lists_people_maps_and_json() {
        let texts = [
            "- user_id: U1\n  name: Ana\n- user_id: U2\n  manager_id: U1\n  extra: [1, 2]\n",
            "people:\n  - {user_id: U1, name: Ana}\n  - {user_id: U2, manager_id: U1, team: ~}\n",
            r#"[{"user_id": "U1", "name": "Ana"}, {"user_id": "U2", "manager_id": "U1", "team": null}]"#,
            r#"{"people": [{"user_id": "U1", "name": "Ana"}, {"user_id": "U2", "manager_id": "U1"}]}"#,
        ];
        for text in texts {
            let file = read_and_check(text, &HashMap::new());
            assert_eq!(
                outcome(&file),
                (kept(&[(1, "U1"), (2, "U2")]), vec![]),
                "{text}"
            );
            assert_eq!(file.rows[0].1.name.as_deref(), Some("Ana"));
            assert_eq!(file.rows[1].1.team, None);
        }
    }

    #[test]
    fn yaml_entries_that_are_not_people_are_rejected_one_by_one() {
        let text = "- U1\n- user_id: U2\n  team: [a, b]\n- name: Nobody\n- user_id: U3\n";
        let file = read(text, OrgFormat::Yaml).unwrap();
        let (rows, rejected) = outcome(&file);
        assert_eq!(rows, kept(&[(4, "U3")]));
        assert_eq!(rejected[0].0, 1);
        assert!(
            rejected[0].1.contains("found a single text value"),
            "{}",
            rejected[0].1
        );
        assert_eq!(rejected[1], (2, "team must be text, not a list".into()));
        assert_eq!(file.rejected[1].user_id.as_deref(), Some("U2"));
        assert_eq!(rejected[2], (3, "user_id is empty".into()));
    }

    #[test]
    fn rejects_bad_rows_and_keeps_going() {
        let long = "x".repeat(MAX_FIELD_CHARS + 1);
        let text = format!(
            "user_id,name,email,manager_id\n\
             U1,Ana,ana@example.com,\n\
             bob,Bob,,\n\
             U3,Cy,,boss\n\
             U4,Di,,U4\n\
             U5,Ed,ed.example.com,\n\
             U1,Ana again,,\n\
             U7,{long},,\n\
             ,Nameless,,\n\
             U9,Flo,@example.com,U1\n\
             W10,Gil,gil@example.com,U1\n"
        );
        let file = read(&text, OrgFormat::Csv).unwrap();
        let expected: &[(usize, &str)] = &[
            (
                3,
                "user_id: 'bob' is not a valid Slack user id (it looks like U012AB3CD)",
            ),
            (
                4,
                "manager_id: 'boss' is not a valid Slack user id (it looks like U012AB3CD)",
            ),
            (
                5,
                "U4 is their own manager; leave manager_id empty for the top of the chart",
            ),
            (6, "email 'ed.example.com' is not an email address"),
            (7, "U1 is already on row 2"),
            (8, "name is longer than 200 characters"),
            (9, "user_id is empty"),
            (10, "email '@example.com' is not an email address"),
        ];
        let (rows, rejected) = outcome(&file);
        assert_eq!(rows, kept(&[(2, "U1"), (11, "W10")]));
        let expected: Vec<(usize, String)> =
            expected.iter().map(|(n, r)| (*n, r.to_string())).collect();
        assert_eq!(rejected, expected);
    }

    #[test]
    fn a_duplicate_of_a_rejected_row_is_the_one_kept() {
        let file = read(
            "user_id,email\nU1,nope\nU1,ana@example.com\n",
            OrgFormat::Csv,
        )
        .unwrap();
        assert_eq!(outcome(&file).0, kept(&[(3, "U1")]));
    }

    #[test]
    fn whole_file_problems_are_errors_that_say_what_to_fix() {
        let table: &[(&str, OrgFormat, &str)] = &[
            ("", OrgFormat::Csv, "the file is empty"),
            ("  \n\n", OrgFormat::Yaml, "the file is empty"),
            ("name,email,manager\nAna,a@b,\n", OrgFormat::Csv, "the header has no user_id column (it has: name, email, manager); add a user_id column"),
            ("people: [", OrgFormat::Yaml, "could not be read as YAML or JSON"),
            ("just some words", OrgFormat::Yaml, "but the file holds a single text value"),
            ("people: U1", OrgFormat::Yaml, "but the file holds `people:` as a single text value"),
            ("staff:\n  - user_id: U1\n", OrgFormat::Yaml, "a map without a `people:` key"),
        ];
        for (text, format, message) in table {
            let error = read(text, *format).unwrap_err().to_string();
            assert!(error.contains(message), "{text:?}: {error}");
        }
    }

    #[test]
    fn a_header_alone_is_an_empty_org_chart() {
        for text in [
            "user_id,name,email,team,group,manager_id\n",
            "people: []",
            "[]",
        ] {
            let format = OrgFormat::detect(None, text);
            assert_eq!(read(text, format).unwrap(), OrgFile::default(), "{text}");
        }
    }

    #[test]
    fn check_table() {
        let none = stored(&[]);
        let table: &[(&str, &str, Stored, Outcome)] = &[
            (
                "a clean tree",
                "user_id,manager_id\nU1,\nU2,U1\nU3,U2\n",
                none.clone(),
                (kept(&[(2, "U1"), (3, "U2"), (4, "U3")]), vec![]),
            ),
            (
                "an unknown manager",
                "user_id,manager_id\nU1,\nU2,U9\n",
                none.clone(),
                (
                    kept(&[(2, "U1")]),
                    vec![(3, "manager U9 is not in the org chart; add a row for them or leave manager_id empty".into())],
                ),
            ),
            (
                "a manager only in the stored chart",
                "user_id,manager_id\nU2,U7\n",
                stored(&[("U7", None)]),
                (kept(&[(2, "U2")]), vec![]),
            ),
            (
                "a three-person loop, and someone under it",
                "user_id,manager_id\nU1,U3\nU2,U1\nU3,U2\nU4,U3\n",
                none.clone(),
                (
                    vec![],
                    vec![
                        (2, "manager chain loops: U1 → U3 → U2 → U1".into()),
                        (3, "manager chain loops: U2 → U1 → U3 → U2".into()),
                        (4, "manager chain loops: U3 → U2 → U1 → U3".into()),
                        (5, "manager U3 (row 4) was rejected and is not in the org chart yet; fix their row first".into()),
                    ],
                ),
            ),
            (
                "a loop closed by the stored chart",
                "user_id,manager_id\nU1,U2\n",
                stored(&[("U2", Some("U1")), ("U1", None)]),
                (vec![], vec![(2, "manager chain loops: U1 → U2 → U1".into())]),
            ),
            (
                "the file's manager replaces the stored one, so no loop",
                "user_id,manager_id\nU2,\nU1,U2\n",
                stored(&[("U2", Some("U1")), ("U1", None)]),
                (kept(&[(2, "U2"), (3, "U1")]), vec![]),
            ),
            (
                "a chain whose root is rejected",
                "user_id,manager_id\nU3,U2\nU1,U9\nU2,U1\nU4,\n",
                none.clone(),
                (
                    kept(&[(5, "U4")]),
                    vec![
                        (2, "manager U2 (row 4) was rejected and is not in the org chart yet; fix their row first".into()),
                        (3, "manager U9 is not in the org chart; add a row for them or leave manager_id empty".into()),
                        (4, "manager U1 (row 3) was rejected and is not in the org chart yet; fix their row first".into()),
                    ],
                ),
            ),
            (
                "a rejected manager who is already stored keeps their reports",
                "user_id,manager_id\nU1,U9\nU2,U1\n",
                stored(&[("U1", None)]),
                (
                    kept(&[(3, "U2")]),
                    vec![(2, "manager U9 is not in the org chart; add a row for them or leave manager_id empty".into())],
                ),
            ),
            (
                "a self-manager, a duplicate and their reports",
                "user_id,manager_id\nU1,U1\nU2,\nU2,U1\nU3,U2\n",
                none.clone(),
                (
                    kept(&[(3, "U2"), (5, "U3")]),
                    vec![
                        (2, "U1 is their own manager; leave manager_id empty for the top of the chart".into()),
                        (4, "U2 is already on row 3".into()),
                    ],
                ),
            ),
        ];
        for (name, text, existing, expected) in table {
            let file = read_and_check(text, existing);
            assert_eq!(&outcome(&file), expected, "{name}");
        }
    }

    #[test]
    fn a_row_that_only_leads_into_a_stored_loop_is_kept() {
        // The loop U1 ⇄ U2 is the stored chart's, which this file neither makes nor touches.
        let existing = stored(&[("U1", Some("U2")), ("U2", Some("U1"))]);
        let file = read_and_check("user_id,manager_id\nU3,U1\n", &existing);
        assert_eq!(outcome(&file), (kept(&[(2, "U3")]), vec![]));
    }
}
