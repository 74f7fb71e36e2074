//! The sqlx bounds the shared SQL needs of a database, proved once here (a blanket impl that
//! SQLite and PostgreSQL both meet), so the rest of the store says `DB: Backend` instead of
//! repeating a dozen `for<'q>` clauses that Rust would not carry from one impl to the next.

use super::sql::{Arg, Stmt};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};
use std::future::Future;

/// A query before it is run, arguments bound.
pub type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// A database the store's statements run on. Everything that needs sqlx's per-type bounds
/// (binding `Arg`s, running on a connection, decoding a column) is a method here, so the
/// bounds are written once, on the blanket impl below.
pub trait Backend: Database {
    /// Binds `args` to `query`, in placeholder order.
    fn bind<'q>(query: Query<'q, Self>, args: &'q [Arg]) -> Query<'q, Self>;

    /// Runs a statement; how many rows it changed.
    fn execute<'a>(
        conn: &'a mut Self::Connection,
        stmt: &'a Stmt,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'a;

    fn fetch_all<'a>(
        conn: &'a mut Self::Connection,
        stmt: &'a Stmt,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'a;

    /// The first row; `sqlx::Error::RowNotFound` if there is none.
    fn fetch_one<'a>(
        conn: &'a mut Self::Connection,
        stmt: &'a Stmt,
    ) -> impl Future<Output = Result<Self::Row, sqlx::Error>> + Send + 'a;

    fn fetch_optional<'a>(
        conn: &'a mut Self::Connection,
        stmt: &'a Stmt,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send + 'a;

    fn int(row: &Self::Row, at: At) -> Result<i64, sqlx::Error>;
    fn opt_int(row: &Self::Row, at: At) -> Result<Option<i64>, sqlx::Error>;
    fn boolean(row: &Self::Row, at: At) -> Result<bool, sqlx::Error>;
    fn text(row: &Self::Row, at: At) -> Result<String, sqlx::Error>;
    fn opt_text(row: &Self::Row, at: At) -> Result<Option<String>, sqlx::Error>;
}

/// `rows_affected` is not part of sqlx's generic API; both drivers have it.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// `sqlx::Row::try_get` at either kind of index (inside the blanket impl, where the bounds hold).
macro_rules! get {
    ($row:expr, $at:expr) => {
        match $at {
            At::Index(i) => sqlx::Row::try_get($row, i),
            At::Name(n) => sqlx::Row::try_get($row, n),
        }
    };
}

impl<DB> Backend for DB
where
    DB: Database,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
    &'static str: ColumnIndex<DB::Row>,
{
    fn bind<'q>(mut query: Query<'q, Self>, args: &'q [Arg]) -> Query<'q, Self> {
        for arg in args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Bool(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.as_str()),
                Arg::OptText(v) => query.bind(v.as_deref()),
                Arg::OptInt(v) => query.bind(*v),
            };
        }
        query
    }

    async fn execute(conn: &mut Self::Connection, stmt: &Stmt) -> Result<u64, sqlx::Error> {
        let done = Self::bind(sqlx::query::<DB>(&stmt.sql), &stmt.args)
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    }

    fn fetch_all<'a>(
        conn: &'a mut Self::Connection,
        stmt: &'a Stmt,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'a {
        Self::bind(sqlx::query::<DB>(&stmt.sql), &stmt.args).fetch_all(conn)
    }

    fn fetch_one<'a>(
        conn: &'a mut Self::Connection,
        stmt: &'a Stmt,
    ) -> impl Future<Output = Result<Self::Row, sqlx::Error>> + Send + 'a {
        Self::bind(sqlx::query::<DB>(&stmt.sql), &stmt.args).fetch_one(conn)
    }

    fn fetch_optional<'a>(
        conn: &'a mut Self::Connection,
        stmt: &'a Stmt,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send + 'a {
        Self::bind(sqlx::query::<DB>(&stmt.sql), &stmt.args).fetch_optional(conn)
    }

    fn int(row: &Self::Row, at: At) -> Result<i64, sqlx::Error> {
        get!(row, at)
    }

    fn opt_int(row: &Self::Row, at: At) -> Result<Option<i64>, sqlx::Error> {
        get!(row, at)
    }

    fn boolean(row: &Self::Row, at: At) -> Result<bool, sqlx::Error> {
        get!(row, at)
    }

    fn text(row: &Self::Row, at: At) -> Result<String, sqlx::Error> {
        get!(row, at)
    }

    fn opt_text(row: &Self::Row, at: At) -> Result<Option<String>, sqlx::Error> {
        get!(row, at)
    }
}

/// Where a column is in a row: by position or by name.
#[derive(Debug, Clone, Copy)]
pub enum At {
    Index(usize),
    Name(&'static str),
}

/// A column index, as sqlx's `try_get` takes one.
pub trait Index {
    fn at(self) -> At;
}

impl Index for usize {
    fn at(self) -> At {
        At::Index(self)
    }
}

impl Index for &'static str {
    fn at(self) -> At {
        At::Name(self)
    }
}

/// A value the store reads from a column.
pub trait Column: Sized {
    fn read<DB: Backend>(row: &DB::Row, at: At) -> Result<Self, sqlx::Error>;
}

impl Column for i64 {
    fn read<DB: Backend>(row: &DB::Row, at: At) -> Result<Self, sqlx::Error> {
        DB::int(row, at)
    }
}

impl Column for Option<i64> {
    fn read<DB: Backend>(row: &DB::Row, at: At) -> Result<Self, sqlx::Error> {
        DB::opt_int(row, at)
    }
}

impl Column for bool {
    fn read<DB: Backend>(row: &DB::Row, at: At) -> Result<Self, sqlx::Error> {
        DB::boolean(row, at)
    }
}

impl Column for String {
    fn read<DB: Backend>(row: &DB::Row, at: At) -> Result<Self, sqlx::Error> {
        DB::text(row, at)
    }
}

impl Column for Option<String> {
    fn read<DB: Backend>(row: &DB::Row, at: At) -> Result<Self, sqlx::Error> {
        DB::opt_text(row, at)
    }
}

/// `row.try_get(i)` on a backend's rows, as with `sqlx::Row` but without its bounds at each use.
pub trait Get {
    fn try_get<T: Column, I: Index>(&self, index: I) -> Result<T, sqlx::Error>;
}

impl<R: sqlx::Row> Get for R
where
    R::Database: Backend,
{
    fn try_get<T: Column, I: Index>(&self, index: I) -> Result<T, sqlx::Error> {
        T::read::<R::Database>(self, index.at())
    }
}

/// Runs statements one after another on one connection (a transaction's, usually).
pub async fn execute_all<DB: Backend>(
    conn: &mut DB::Connection,
    statements: &[Stmt],
) -> Result<(), sqlx::Error> {
    for stmt in statements {
        DB::execute(&mut *conn, stmt).await?;
    }
    Ok(())
}
