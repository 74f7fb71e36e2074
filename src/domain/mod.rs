//! Pure logic: no HTTP, no Slack JSON, no SQL.

pub mod evidence;
pub mod framework;
pub mod growth;
pub mod ids;
pub mod kudos;
pub mod markup;
pub mod org;
pub mod period;
pub mod review;
pub mod schedule;
pub mod tags;
