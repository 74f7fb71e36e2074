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

/// `$from, $from+1, …` for `count` values.
pub(super) fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Bound parameters per statement at most; well under SQLite's and PostgreSQL's limits.
pub(super) const MAX_PARAMS: usize = 8000;

/// `($1, $2), ($3, $4)…`: `rows` tuples of `width` placeholders.
fn values(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(1 + r * width, width)))
        .collect::<Vec<_>>()
        .join(", ")
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
