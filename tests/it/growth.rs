//! `/growth` in Slack, and the active framework as people meet it: its overview, retired tags,
//! and old evidence that keeps its labels when the framework changes.

use crate::common::*;
use serde_json::Value;

fn acme(settings: &mut cairn::config::Input) {
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
}

both_backends! {
    async fn growth_log_keeps_private_evidence_with_tags_and_people_helped(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let answer = app.command("/growth", "log #leadership #mentoring ran the incident review with <@U07ANA0001> — for 3 teams 🎉", "U07ALICE01").await;
        assert_eq!(answer["response_type"], "ephemeral");
        let text = answer["text"].as_str().unwrap();
        assert!(text.starts_with(":lock: Logged, privately (only you see it): ran the incident review with <@U07ANA0001> — for 3 teams 🎉"), "{text}");
        assert!(text.contains("Tagged #leadership #mentoring"), "{text}");
        let items = app.store().evidence_of("T07KUD0S01", "U07ALICE01", 10).await.unwrap();
        assert_eq!(items.len(), 1);
        let e = &items[0];
        assert_eq!((e.source, e.visibility), (cairn::store::Source::SelfLogged, cairn::store::Visibility::Private));
        assert_eq!(e.competencies, ["leadership"]);
        assert_eq!(e.multiplier_kinds, ["mentoring"]);
        assert_eq!(e.people, ["U07ANA0001"]);
        assert_eq!((e.author.as_str(), e.framework_id.as_str()), ("U07ALICE01", "matrix-3x3"));
        // The workspace is known from its evidence alone: `cairn export --user` needs no --team.
        assert_eq!(app.store().workspaces().await.unwrap(), ["T07KUD0S01"]);
        // Nothing is posted anywhere, and the kudos API does not show it.
        assert!(app.slack.calls_to("chat.postMessage").is_empty());
        let (_, page) = app.api("/api/v1/kudos").await;
        assert_eq!(page["items"], serde_json::json!([]));

        // Mistakes are explained with what was typed; nothing more is saved.
        let refused = app.command("/growth", "log #leadrship", "U07ALICE01").await;
        let text = refused["text"].as_str().unwrap();
        assert!(text.starts_with("I couldn't record that evidence:\n• I don't know the tag #leadrship. Did you mean #leadership?"), "{text}");
        assert!(text.ends_with("What you typed:\n>#leadrship"), "{text}");
        let usage = app.command("/growth", "log", "U07ALICE01").await;
        assert!(usage["text"].as_str().unwrap().starts_with("Log your own work like this"));
        assert_eq!(app.store().evidence_of("T07KUD0S01", "U07ALICE01", 10).await.unwrap().len(), 1);

        // A wider sphere can be declared in the text; a wrong one is explained.
        let answer = app.command("/growth", "log #technical sphere:org wrote the company's deploy guide", "U07ALICE01").await;
        let text = answer["text"].as_str().unwrap();
        assert!(text.contains("wrote the company's deploy guide") && !text.contains("sphere:"), "{text}");
        assert!(text.contains("Sphere, as you declared it: Organisation"), "{text}");
        let latest = &app.store().evidence_of("T07KUD0S01", "U07ALICE01", 1).await.unwrap()[0];
        assert_eq!(latest.sphere.as_deref(), Some("org"));
        let wrong = app.command("/growth", "log #technical sphere:everyone big", "U07ALICE01").await;
        assert!(wrong["text"].as_str().unwrap().contains("`sphere:everyone` is not a sphere level"), "{wrong}");
        assert_eq!(app.store().evidence_of("T07KUD0S01", "U07ALICE01", 10).await.unwrap().len(), 2);
    }

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
