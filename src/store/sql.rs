//! Statement text shared by every aggregate: a statement is text with `$N` placeholders (both
//! engines accept them) plus its arguments, so each SQL string is written once for both.

/// A value bound to a `$N` placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Bool(bool),
    Text(String),
    OptText(Option<String>),
    OptInt(Option<i64>),
}

/// A statement and its arguments, in placeholder order.
#[derive(Debug, Clone)]
pub struct Stmt {
    pub sql: String,
    pub args: Vec<Arg>,
}

pub(super) fn stmt(sql: &str, args: Vec<Arg>) -> Stmt {
    Stmt {
        sql: sql.to_owned(),
        args,
    }
}

/// SQLite's limit on the values one call binds (`SQLITE_MAX_VARIABLE_NUMBER`).
const SQLITE_MAX_VARIABLES: usize = 32_766;

/// Statements as one text, for an engine that runs several statements in one call (SQLite), so
/// they cost one round trip instead of one each: each statement's `$N` becomes `$N` plus the
/// number of arguments before it. Unchanged when together they bind more values than SQLite allows.
/// Then, where every value is used once and in order (a batch's inserts), each `$N` becomes `?`:
/// SQLite finds a named parameter by walking the statement's list of names, so binding a batch
/// by `$N` took time growing with the square of its values (3% of the server's time at saturation).
pub(super) fn in_one_call(statements: Vec<Stmt>) -> Vec<Stmt> {
    let values: usize = statements.iter().map(|s| s.args.len()).sum();
    let statements = if statements.len() < 2 || values > SQLITE_MAX_VARIABLES {
        statements
    } else {
        vec![joined(statements, values)]
    };
    statements.into_iter().map(positional).collect()
}

fn joined(statements: Vec<Stmt>, values: usize) -> Stmt {
    use std::fmt::Write;
    let mut whole = Stmt {
        sql: String::new(),
        args: Vec::with_capacity(values),
    };
    for Stmt { sql, args } in statements {
        let offset = whole.args.len();
        let mut rest = sql.as_str();
        while let Some(at) = rest.find('$') {
            whole.sql.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if let Ok(n) = rest[..digits].parse::<usize>() {
                let _ = write!(whole.sql, "{}", n + offset);
            }
            rest = &rest[digits..];
        }
        whole.sql.push_str(rest);
        whole.sql.push_str(";\n");
        whole.args.extend(args);
    }
    whole
}

/// `stmt` with `?` for each `$N` if its placeholders read `$1, $2, …` through its last value,
/// each once; otherwise unchanged.
fn positional(stmt: Stmt) -> Stmt {
    let mut sql = String::with_capacity(stmt.sql.len());
    let (mut rest, mut next) = (stmt.sql.as_str(), 1);
    while let Some(at) = rest.find('$') {
        sql.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match rest[..digits].parse::<usize>() {
            Ok(n) if n == next => sql.push('?'),
            Ok(_) => return stmt,
            Err(_) => {
                sql.push('$');
                continue;
            }
        }
        next += 1;
        rest = &rest[digits..];
    }
    if next != stmt.args.len() + 1 {
        return stmt;
    }
    sql.push_str(rest);
    Stmt {
        sql,
        args: stmt.args,
    }
}

/// `$from, $from+1, …` for `count` values.
pub(super) fn placeholders(from: usize, count: usize) -> String {
    let mut out = String::with_capacity(count * 7);
    push_placeholders(&mut out, from, count);
    out
}

/// Appends `$from, $from+1, …` to `out`: one string for a whole statement rather than one per
/// value, as a batch's statements are rebuilt for every batch.
fn push_placeholders(out: &mut String, from: usize, count: usize) {
    use std::fmt::Write;
    for i in from..from + count {
        if i > from {
            out.push_str(", ");
        }
        let _ = write!(out, "${i}");
    }
}

/// Bound parameters per statement at most; well under SQLite's and PostgreSQL's limits.
pub(super) const MAX_PARAMS: usize = 8000;

/// `($1, $2), ($3, $4)…`: `rows` tuples of `width` placeholders.
fn values(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * (width * 7 + 4));
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        push_placeholders(&mut out, 1 + r * width, width);
        out.push(')');
    }
    out
}

/// Statements over a VALUES list of `rows` (each `width` values), split so no statement binds
/// more than `MAX_PARAMS` values; `sql` makes a statement's text from its list.
pub(super) fn in_chunks(
    width: usize,
    rows: Vec<Vec<Arg>>,
    sql: impl Fn(&str) -> String,
) -> Vec<Stmt> {
    let per_statement = (MAX_PARAMS / width).max(1);
    let mut rows = rows.into_iter().peekable();
    let mut statements = Vec::new();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per_statement).collect();
        statements.push(Stmt {
            sql: sql(&values(chunk.len(), width)),
            args: chunk.into_iter().flatten().collect(),
        });
    }
    statements
}

/// Multi-row inserts: `INSERT INTO table (cols) VALUES ($1, $2), ($3, $4)… suffix`, split so no
/// statement binds more than `MAX_PARAMS` values.
pub(super) fn insert_rows(
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
    suffix: &str,
) -> Vec<Stmt> {
    let (width, columns) = (columns.len(), columns.join(", "));
    in_chunks(width, rows, |values| {
        format!("INSERT INTO {table} ({columns}) VALUES {values}{suffix}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(stmt: &Stmt) -> Vec<String> {
        stmt.args
            .iter()
            .map(|a| match a {
                Arg::Text(t) => t.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn statements_in_one_call_number_their_values_after_those_before() {
        let t = |s: &str| Arg::Text(s.into());
        let first = stmt(
            "INSERT INTO a (x, y) VALUES ($1, $2)",
            vec![t("a1"), t("a2")],
        );
        let many: Vec<Arg> = (1..=10).map(|i| t(&format!("b{i}"))).collect();
        let second = stmt(
            "UPDATE b SET x = $1, y = $10 WHERE z = $1 AND j = '$.k'",
            many,
        );
        let joined = in_one_call(vec![stmt("BEGIN", Vec::new()), first, second]);
        assert_eq!(joined.len(), 1);
        assert_eq!(
            joined[0].sql,
            "BEGIN;\nINSERT INTO a (x, y) VALUES ($1, $2);\nUPDATE b SET x = $3, y = $12 WHERE z = $3 AND j = '$.k';\n"
        );
        let args = texts(&joined[0]);
        assert_eq!(args.len(), 12);
        assert_eq!(
            (&args[..3], args[11].as_str()),
            (&["a1", "a2", "b1"].map(String::from)[..], "b10")
        );
    }

    #[test]
    fn values_used_once_each_in_order_are_bound_by_position() {
        let rows = |n: i64| (0..n).map(|i| vec![Arg::Int(i), Arg::Int(-i)]).collect();
        let mut all = vec![stmt("BEGIN IMMEDIATE", Vec::new())];
        all.extend(insert_rows("a", &["x", "y"], rows(2), " RETURNING id"));
        all.push(stmt(
            "UPDATE b SET j = '$.k', n = $1 WHERE id = $2",
            vec![Arg::Int(7), Arg::Int(8)],
        ));
        all.extend(insert_rows("c", &["x", "y"], rows(1), ""));
        let joined = in_one_call(all);
        assert_eq!(
            joined[0].sql,
            "BEGIN IMMEDIATE;\nINSERT INTO a (x, y) VALUES (?, ?), (?, ?) RETURNING id;\n\
             UPDATE b SET j = '$.k', n = ? WHERE id = ?;\nINSERT INTO c (x, y) VALUES (?, ?);\n"
        );
        assert_eq!(joined[0].args.len(), 8);
        // A statement on its own too; one whose values are not in order keeps its numbers.
        let one = in_one_call(insert_rows("a", &["x", "y"], rows(1), ""));
        assert_eq!(one[0].sql, "INSERT INTO a (x, y) VALUES (?, ?)");
        let reordered = stmt(
            "UPDATE b SET x = $2 WHERE y = $1",
            vec![Arg::Int(1), Arg::Int(2)],
        );
        assert_eq!(in_one_call(vec![reordered.clone()])[0].sql, reordered.sql);
        let short = stmt("UPDATE b SET x = $1", vec![Arg::Int(1), Arg::Int(2)]);
        assert_eq!(in_one_call(vec![short.clone()])[0].sql, short.sql);
    }

    #[test]
    fn values_lists_number_their_placeholders_row_by_row() {
        assert_eq!(values(3, 2), "($1, $2), ($3, $4), ($5, $6)");
        assert_eq!(placeholders(4, 3), "$4, $5, $6");
        assert_eq!(placeholders(1, 0), "");
    }

    #[test]
    fn statements_binding_more_than_sqlite_allows_stay_apart() {
        let rows = |n: usize| (0..n).map(|i| vec![Arg::Int(i as i64); 5]).collect();
        let big = insert_rows("t", &["a", "b", "c", "d", "e"], rows(7_000), "");
        assert_eq!(
            big.len(),
            5,
            "7,000 rows of 5 values are five statements of at most 8,000"
        );
        let apart = in_one_call(big.clone());
        assert_eq!(apart.len(), big.len());
        for (apart, big) in apart.iter().zip(&big) {
            assert!(!apart.sql.contains(';'), "not joined");
            assert_eq!(apart.args.len(), big.args.len());
        }
    }
}
