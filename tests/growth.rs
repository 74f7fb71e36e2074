//! `/growth` in Slack, and the active framework as people meet it: its overview, retired tags,
//! and old evidence that keeps its labels when the framework changes.

mod common;
use common::*;
use serde_json::Value;

fn acme(settings: &mut cairn::config::Settings) {
    settings.framework = Some(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/acme-framework.yaml"
        )
        .into(),
    );
}

fn all_text(answer: &Value) -> String {
    serde_json::to_string(&answer["blocks"]).unwrap() + answer["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn growth_framework_shows_each_competency_with_tags_and_an_example() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let answer = app.command("/growth", "framework", "U07ALICE01").await;
    assert_eq!(answer["response_type"], "ephemeral");
    let blocks = answer["blocks"].as_array().unwrap();
    // A header, one section per competency, then the multiplier kinds and how to use them.
    let sections: Vec<&str> = blocks
        .iter()
        .filter(|b| b["type"] == "section")
        .map(|b| b["text"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(sections.len(), 4, "{sections:?}");
    for (section, tag) in sections[1..]
        .iter()
        .zip(["`#values`", "`#technical`", "`#leadership`"])
    {
        assert!(section.contains(tag), "{section}");
        assert!(section.contains("_For example: "), "{section}");
    }
    assert!(all_text(&answer).contains("`#mentoring` Mentoring"));
    assert!(answer["text"].as_str().unwrap().contains("#technical"));
}

#[tokio::test]
async fn growth_without_a_known_subcommand_explains_itself() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let help = app.command("/growth", "", "U07ALICE01").await;
    assert!(help["text"].as_str().unwrap().contains("/growth framework"));
    let unknown = app
        .command("/growth", "dance <!channel>", "U07ALICE01")
        .await;
    let text = unknown["text"].as_str().unwrap();
    assert!(text.starts_with("I don't know `/growth dance`"), "{text}");
    let later = app.command("/growth", "summary", "U07ALICE01").await;
    assert!(
        later["text"].as_str().unwrap().contains("not available"),
        "{later}"
    );
}

both_backends! {
    async fn a_new_framework_keeps_old_evidence_and_retired_tags_still_work(backend: Backend) {
        let Some(mut app) = TestApp::spawn(backend).await else { return };
        // Under the built-in framework: a #values kudos.
        assert_eq!(app.kudos("<@U07ANA0001> #values covered my on-call").await["response_type"], "in_channel");
        app.stop().await;
        // The company switches to its own framework, where #values is retired.
        app.start(Options { extra: acme, ..Options::default() }).await;
        let (_, page) = app.api("/api/v1/kudos").await;
        assert_eq!(page["items"][0]["competencies"], serde_json::json!(["values"]), "old evidence keeps its label");

        // A retired tag with a replacement is recorded as the replacement, and the answer says so.
        let answer = app.kudos("<@U07ANA0001> #craftsmanship fixed the flaky deploy").await;
        assert_eq!(answer["response_type"], "in_channel", "{answer}");
        assert!(all_text(&answer).contains("#craftsmanship is retired, so this counts as #technical"), "{answer}");
        // One without a replacement is still recorded as itself.
        let answer = app.kudos("<@U07ANA0001> #tech #values thanks").await;
        assert!(all_text(&answer).contains("#values is retired; it is still recorded"), "{answer}");
        // A tag the new framework never had is refused, with its valid tags (not the retired ones).
        let refused = app.kudos("<@U07ANA0001> #leadership thanks").await;
        let text = refused["text"].as_str().unwrap();
        assert_eq!(refused["response_type"], "ephemeral");
        assert!(text.contains("#leadership") && text.contains("#technical") && !text.contains("#craftsmanship"), "{text}");

        let (_, page) = app.api("/api/v1/kudos").await;
        let labels: Vec<&Value> = page["items"].as_array().unwrap().iter().map(|k| &k["competencies"]).collect();
        assert_eq!(labels, [&serde_json::json!(["technical", "values"]), &serde_json::json!(["technical"]), &serde_json::json!(["values"])]);
    }
}
