//! The org chart: reading an import file (CSV, YAML or JSON) and checking its rows.
