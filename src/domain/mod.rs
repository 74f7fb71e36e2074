//! Pure logic: no HTTP, no Slack JSON, no SQL.

pub mod evidence;
pub mod forget;
pub mod framework;
pub mod growth;
pub mod ids;
pub mod kudos;
pub mod lens;
pub mod markup;
pub mod org;
pub mod pacing;
pub mod period;
pub mod review;
pub mod schedule;
pub mod summary;
pub mod tags;
pub mod trajectory;
pub mod tz;
pub mod yaml;
