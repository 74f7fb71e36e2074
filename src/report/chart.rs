//! The PNG chart of a person's spread across sphere levels per competency.
