//! Prometheus metrics: counters and latency histograms kept in one process-wide registry, and
//! rendered in the text exposition format by `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{LazyLock, Mutex};

/// Latency buckets, seconds: from a fast in-memory answer to Slack's 10 s timeout.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Name and help of every metric, so the output says what each one means.
const HELP: &[(&str, &str)] = &[
    (
        "cairn_http_requests_total",
        "HTTP requests answered, by route and status.",
    ),
    (
        "cairn_http_request_duration_seconds",
        "Time to answer HTTP requests, by route.",
    ),
    (
        "cairn_slack_api_calls_total",
        "Slack Web API calls, by method and outcome (ok, or the error).",
    ),
    (
        "cairn_slack_api_duration_seconds",
        "Slack Web API call latency, by method.",
    ),
    (
        "cairn_outbox_deliveries_total",
        "Outbox delivery attempts, by outcome (sent, retry, deferred, dead).",
    ),
    (
        "cairn_outbox_messages",
        "Messages in the outbox, by status.",
    ),
    ("cairn_kudos_recorded_total", "Kudos recorded."),
];

pub type Labels = Vec<(&'static str, String)>;
/// A value read at scrape time: name, labels, value.
pub type Gauge = (&'static str, Labels, f64);

#[derive(Default)]
struct Registry {
    counters: BTreeMap<(&'static str, Labels), u64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
}

#[derive(Default, Clone)]
struct Histogram {
    /// Count per bucket (not cumulative), plus the overflow.
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

pub fn inc(name: &'static str, pairs: &[(&'static str, &str)]) {
    let mut r = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    *r.counters.entry((name, labels(pairs))).or_default() += 1;
}

pub fn observe(name: &'static str, pairs: &[(&'static str, &str)], seconds: f64) {
    let mut r = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let h = r.histograms.entry((name, labels(pairs))).or_default();
    let slot = BUCKETS
        .iter()
        .position(|b| seconds <= *b)
        .unwrap_or(BUCKETS.len());
    h.buckets[slot] += 1;
    h.sum += seconds;
    h.count += 1;
}

/// The exposition text; `gauges` are values read at scrape time (name, labels, value).
pub fn render(gauges: &[Gauge]) -> String {
    let r = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = String::new();
    for (name, help) in HELP {
        let counters: Vec<_> = r.counters.iter().filter(|((n, _), _)| n == name).collect();
        let histograms: Vec<_> = r
            .histograms
            .iter()
            .filter(|((n, _), _)| n == name)
            .collect();
        let own_gauges: Vec<_> = gauges.iter().filter(|(n, _, _)| n == name).collect();
        let kind = if !histograms.is_empty() || name.ends_with("_seconds") {
            "histogram"
        } else if !own_gauges.is_empty() || !name.ends_with("_total") {
            "gauge"
        } else {
            "counter"
        };
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for ((_, l), v) in counters {
            let _ = writeln!(out, "{name}{} {v}", format_labels(l, None));
        }
        for (_, l, v) in own_gauges {
            let _ = writeln!(out, "{name}{} {v}", format_labels(l, None));
        }
        for ((_, l), h) in histograms {
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i];
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {cumulative}",
                    format_labels(l, Some(&bound.to_string()))
                );
            }
            let _ = writeln!(
                out,
                "{name}_bucket{} {}",
                format_labels(l, Some("+Inf")),
                h.count
            );
            let _ = writeln!(out, "{name}_sum{} {}", format_labels(l, None), h.sum);
            let _ = writeln!(out, "{name}_count{} {}", format_labels(l, None), h.count);
        }
    }
    out
}

fn format_labels(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}=\"{}\"",
                v.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            )
        })
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        inc("cairn_kudos_recorded_total", &[]);
        observe(
            "cairn_slack_api_duration_seconds",
            &[("method", "test.render")],
            0.003,
        );
        observe(
            "cairn_slack_api_duration_seconds",
            &[("method", "test.render")],
            20.0,
        );
        let text = render(&[(
            "cairn_outbox_messages",
            vec![("status", "dead".into())],
            2.0,
        )]);
        assert!(
            text.contains("# TYPE cairn_kudos_recorded_total counter"),
            "{text}"
        );
        assert!(text.contains(
            "cairn_slack_api_duration_seconds_bucket{method=\"test.render\",le=\"0.0025\"} 0"
        ));
        assert!(text.contains(
            "cairn_slack_api_duration_seconds_bucket{method=\"test.render\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "cairn_slack_api_duration_seconds_bucket{method=\"test.render\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("cairn_slack_api_duration_seconds_count{method=\"test.render\"} 2"));
        assert!(text.contains(
            "# TYPE cairn_outbox_messages gauge\ncairn_outbox_messages{status=\"dead\"} 2"
        ));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            format_labels(&vec![("a", "x\"y\\z\n".into())], None),
            "{a=\"x\\\"y\\\\z\\n\"}"
        );
    }
}
