//! The inputs the parser properties are fed: any text and bytes, Slack-like token soup, any
//! JSON, and the real files mutated (the Slack fixtures, the shipped frameworks, a valid org
//! chart); and a check that a sample of them reaches every kind of outcome.

use super::{form, tags, GIVER};
use crate::common::fixture_json;
use cairn::domain::framework::{Framework, FrameworkError};
use cairn::domain::ids::UserId;
use cairn::domain::kudos::{self, KudosRules};
use cairn::domain::org::{self, OrgFormat};
use cairn::domain::schedule::CronSpec;
use cairn::http::slack::socket::Envelope;
use cairn::slack::payloads::{EventEnvelope, Interaction};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::Value;

/// Any text at all: control characters, line breaks, any plane of Unicode.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof!["(?s:.){0,160}", "\\PC{0,160}"]
}

pub fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..400)
}

/// What people type into `/kudos` and `/growth log`, as Slack sends it, and the odd stray.
pub fn slack_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => select(vec![
            "<@U07BOB0002>", "<@U07BOB0002|bob>", "<@U07ALICE01>", "<@U0CAROL003|carol &amp; co>",
            "<@bob>", "<@U1", "<#C07KUDOS01|technical>", "<#C07KUDOS01>", "<#C1|#>", "<#C1|##>",
            "<#C1|mentor>", "<#C1|nope-tag>", "<!here>", "<!CHANNEL>", "<!subteam^S07TEAM001|@core>",
            "<!subteam^S1>", "<!date^1392734382^{date}|Feb 18>", "<!>", "<https://x.io/?a=1&amp;b|x>",
            "<mailto:a@b.c>", "#technical", "#Technical-Skills", "#mentoring", "#values", "#tecnical",
            "#", "#1", "C#", "#a-", "&amp;", "&lt;", "&gt;", "&", "<", ">", "|", " ", "  ", "\n",
            "\t", "—", "🎉", "@here", "thanks for the review",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z0-9_#@<>|&;:!^/ .-]{1,8}",
        1 => "\\PC{1,4}",
    ];
    prop_oneof![
        8 => vec(piece, 0..24).prop_map(|p| p.concat()),
        1 => vec("[a-z]{1,9}", 450..650)
            .prop_map(|words| format!("<@U07BOB0002> #technical {}", words.join(" "))),
        1 => vec(0..40u32, 12..30).prop_map(|people| {
            let mentions: Vec<String> = people.iter().map(|p| format!("<@U0PERSON{p:02}>")).collect();
            format!("{} #mentoring paired with us", mentions.join(" "))
        }),
    ]
}

/// Lines of text edited the way people break files: a line deleted, duplicated (a key twice),
/// two lines swapped, two values swapped, a line replaced, text inserted, the file cut short.
#[derive(Debug, Clone)]
pub enum Edit {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    SwapValues(Index, Index),
    Replace(Index, String),
    Insert(Index, String),
    Truncate(Index),
}

/// Edits that keep the file's shape: what is left is more often YAML (or CSV) with a mistake in
/// its content than not YAML at all.
pub fn gentle_edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        any::<Index>().prop_map(Edit::Delete),
        any::<Index>().prop_map(Edit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapValues(a, b)),
    ];
    vec(edit, 1..4)
}

pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let text = prop_oneof![any_text(), "[ :,#&=\\-\\[\\]{}'\"]{1,3}"];
    let edit = prop_oneof![
        any::<Index>().prop_map(Edit::Delete),
        any::<Index>().prop_map(Edit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapValues(a, b)),
        (any::<Index>(), text.clone()).prop_map(|(a, s)| Edit::Replace(a, s)),
        (any::<Index>(), text).prop_map(|(a, s)| Edit::Insert(a, s)),
        any::<Index>().prop_map(Edit::Truncate),
    ];
    vec(edit, 1..4)
}

/// Applies `edits` to the units of `text` (lines, or a form's `&`-separated pairs); a value is
/// what follows the first `value` in a unit.
pub fn apply(text: &str, unit: &str, value: char, edits: &[Edit]) -> String {
    let boundary = |s: &str, i: &Index| {
        let at: Vec<usize> = s.char_indices().map(|(k, _)| k).chain([s.len()]).collect();
        at[i.index(at.len())]
    };
    let mut text = text.to_owned();
    for edit in edits {
        let mut units: Vec<String> = text.split(unit).map(str::to_owned).collect();
        let n = units.len();
        match edit {
            Edit::Delete(i) => {
                units.remove(i.index(n));
            }
            Edit::Duplicate(i) => units.insert(i.index(n), units[i.index(n)].clone()),
            Edit::Swap(a, b) => units.swap(a.index(n), b.index(n)),
            Edit::SwapValues(a, b) => {
                let (a, b) = (a.index(n), b.index(n));
                if let (Some((ka, va)), Some((kb, vb))) =
                    (units[a].split_once(value), units[b].split_once(value))
                {
                    let swapped = (format!("{ka}{value}{vb}"), format!("{kb}{value}{va}"));
                    (units[a], units[b]) = swapped;
                }
            }
            Edit::Replace(i, s) => units[i.index(n)] = s.clone(),
            Edit::Insert(i, s) => {
                let at = boundary(&text, i);
                text.insert_str(at, s);
                continue;
            }
            Edit::Truncate(i) => {
                text.truncate(boundary(&text, i));
                continue;
            }
        }
        text = units.join(unit);
    }
    text
}

/// Any JSON, with the keys Slack's payloads use so that types clash where they matter.
pub fn any_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        3 => select(vec![
            "type", "envelope_id", "payload", "accepts_response_payload", "team", "team_id", "user",
            "id", "event", "event_id", "view", "state", "values", "actions", "action_id", "value",
            "callback_id", "channel", "message", "text", "command", "enterprise", "authorizations",
            "is_enterprise_install", "item", "tokens", "bot", "selected_users", "selected_option",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        select(vec![
            "slash_commands",
            "interactive",
            "events_api",
            "block_actions",
            "view_submission",
            "event_callback",
            "url_verification",
            "/kudos",
            "U07BOB0002",
            "T07KUD0S01",
        ])
        .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the node at one of `value`'s JSON pointers (the root included) with `with`.
pub fn replace_node(value: &mut Value, at: &Index, with: Value) {
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, x)| pointers(x, format!("{at}/{}", escape(k)), out)),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| pointers(x, format!("{at}/{i}"), out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    pointers(value, String::new(), &mut all);
    if let Some(node) = value.pointer_mut(&all[at.index(all.len())]) {
        *node = with;
    }
}

/// A fixture changed in up to three nodes, written out and edited as text.
pub fn mutated_json(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let nodes = vec((any::<Index>(), any_json()), 0..3);
    let text_edits = prop_oneof![Just(Vec::new()), edits()];
    (select(names), nodes, text_edits).prop_map(|(name, nodes, text_edits)| {
        let mut value = fixture_json(name);
        for (at, with) in nodes {
            replace_node(&mut value, &at, with);
        }
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        apply(&pretty, "\n", ':', &text_edits)
    })
}

/// Cron expressions: sound ones, five fields of numbers, ranges, lists, steps and words, any
/// number of fields, nicknames and any text.
pub fn cron_text() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        4 => "[0-9]{1,3}",
        2 => Just("*".to_owned()),
        1 => Just(String::new()),
        1 => select(vec!["JAN", "mon", "L", "W", "#", "?", "SUN"]).prop_map(str::to_owned),
        1 => "[a-zA-Z0-9]{0,3}",
    ];
    let field = vec((atom, select(vec!["", "", ",", "-", "/"])), 1..4).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(a, s)| format!("{a}{s}"))
            .collect::<String>()
    });
    // Fields a scheduler would accept, so some expressions are valid and get evaluated.
    let sound = (
        select(vec!["0", "*/15", "5,35", "59", "*"]),
        select(vec!["9", "0-23/6", "*", "8-17"]),
        select(vec!["*", "1", "15", "1-7", "31", "30"]),
        select(vec!["*", "JAN", "2", "jan-mar", "*/3", "12"]),
        select(vec!["*", "1", "MON-FRI", "0", "7", "sun"]),
    )
        .prop_map(|(a, b, c, d, e)| format!("{a} {b} {c} {d} {e}"));
    prop_oneof![
        3 => sound,
        6 => vec(field.clone(), 5).prop_map(|f| f.join(" ")),
        2 => vec(field, 0..8).prop_map(|f| f.join(" ")),
        1 => any_text(),
        1 => "@[a-z]{0,8}",
    ]
}

/// Slack's requests in `tests/fixtures/`: interaction payloads (each also as its form body),
/// event envelopes, and Socket Mode messages.
pub const INTERACTIONS: &[&str] = &[
    "interactivity_block_actions.json",
    "interactivity_block_actions_home.json",
    "interactivity_message_action.json",
    "interactivity_shortcut_global.json",
    "interactivity_view_closed.json",
    "interactivity_view_submission.json",
];
pub const EVENTS: &[&str] = &[
    "event_app_home_opened.json",
    "event_app_mention.json",
    "event_app_rate_limited.json",
    "event_app_uninstalled.json",
    "event_message_im.json",
    "event_reaction_added.json",
    "event_tokens_revoked.json",
    "event_url_verification.json",
];
pub const ENVELOPES: &[&str] = &[
    "socket_mode_events_api_envelope.json",
    "socket_mode_interactive_envelope.json",
    "socket_mode_slash_commands_envelope.json",
    "socket_mode_hello.json",
    "socket_mode_disconnect.json",
];

/// One of the frameworks shipped in `manifests/frameworks/`.
pub fn shipped_framework(i: usize) -> String {
    let ids = cairn::domain::framework::builtin_ids();
    let path = format!(
        "{}/manifests/frameworks/{}.yaml",
        env!("CARGO_MANIFEST_DIR"),
        ids[i % ids.len()]
    );
    std::fs::read_to_string(path).unwrap()
}

/// YAML made of what framework files hold, and what breaks YAML.
pub fn yaml_soup() -> impl Strategy<Value = String> {
    let line = select(vec![
        "framework:",
        "  id: acme",
        "  name: Acme",
        "  version: '1'",
        "competencies:",
        "  - id: technical",
        "    name: Technical",
        "    tags: [technical, tech]",
        "dimensions:",
        "  - {id: sphere, name: Sphere, role: sphere, scale: []}",
        "tracks: []",
        "- a",
        "&a x",
        "*a",
        "!!str",
        "{",
        "[",
        "'",
        "\"",
        "\t",
        ": ",
        "---",
        "...",
        "# c",
        "%YAML 1.2",
        "people:",
        "  - user_id: U07BOB0002",
        "    manager_id: U07ALICE01",
        "user_id,name,manager_id",
        "U07BOB0002,Bob,",
        "\u{feff}",
        "? x",
        "x: |",
        "  ~",
        "1e999",
        "0x1F",
    ]);
    vec(
        prop_oneof![4 => line.prop_map(str::to_owned), 1 => "\\PC{0,10}"],
        0..12,
    )
    .prop_map(|l| l.join("\n"))
}

/// A valid org chart, as CSV and as YAML.
pub const ORG_CSV: &str = "\
user_id,name,email,team,group,manager_id
U0LEAD0001,Lee Lead,lee@example.com,platform,eng,
U0ANA00002,\"Lima, Ana — payments\",ana@example.com,payments,money,U0LEAD0001
U0BOB00003,Bob,bob@example.com,payments,money,U0ANA00002
U0CYC00004,Cy,cy@example.com,ledger,money,U0LEAD0001
";
pub const ORG_YAML: &str = "\
people:
  - user_id: U0LEAD0001
    name: Lee Lead
    email: lee@example.com
  - user_id: U0ANA00002
    name: Ana
    team: payments
    manager_id: U0LEAD0001
  - {user_id: U0BOB00003, manager_id: U0ANA00002, group: money}
";
pub const ORG_IDS: [&str; 6] = [
    "U0LEAD0001",
    "U0ANA00002",
    "U0BOB00003",
    "U0CYC00004",
    "U0GHOST999",
    "U07ALICE01",
];
/// Any text, YAML soup, or the valid org chart edited (CSV with any line ending); the format
/// given, or left to detection (`None`).
pub fn org_text() -> impl Strategy<Value = (String, Option<OrgFormat>)> {
    let format = prop_oneof![
        Just(Some(OrgFormat::Csv)),
        Just(Some(OrgFormat::Yaml)),
        Just(None),
    ];
    let csv_eol = select(vec!["\n", "\r\n", "\r"]);
    let text = prop_oneof![
        any_text(),
        yaml_soup(),
        (prop_oneof![edits(), gentle_edits()], csv_eol)
            .prop_map(|(e, eol)| apply(ORG_CSV, "\n", ',', &e).replace('\n', eol)),
        prop_oneof![edits(), gentle_edits()].prop_map(|e| apply(ORG_YAML, "\n", ':', &e)),
    ];
    (text, format)
}

/// A property is only as good as what it generates: a sample must reach every kind of refusal
/// and acceptance the properties check.
#[test]
fn the_generators_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen: std::collections::BTreeSet<String> = Default::default();
    let mut sample =
        |strategy: BoxedStrategy<String>, n: usize, outcome: &dyn Fn(&str) -> Vec<String>| {
            for _ in 0..n {
                let input = strategy.new_tree(&mut runner).unwrap().current();
                seen.extend(outcome(&input));
            }
        };
    // The variant's name: `TooManyRecipients(21)` → `TooManyRecipients`.
    let name = |debug: String| {
        debug
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let giver = UserId::parse(GIVER).unwrap();
    sample(slack_text().boxed(), 600, &|w| match kudos::parse(
        &giver,
        w,
        tags(),
        KudosRules::default(),
    ) {
        Ok(_) => vec!["kudos accepted".into()],
        Err(r) => r
            .problems
            .iter()
            .map(|p| format!("kudos {}", name(format!("{p:?}"))))
            .collect(),
    });
    sample(cron_text().boxed(), 300, &|t| {
        vec![match CronSpec::parse(t) {
            Ok(_) => "cron accepted".into(),
            Err(e) if e.contains("is refused (") => "cron refused by croner".into(),
            Err(_) => "cron refused".into(),
        }]
    });
    let yaml = (any::<usize>(), prop_oneof![edits(), gentle_edits()])
        .prop_map(|(i, e)| apply(&shipped_framework(i), "\n", ':', &e));
    sample(yaml.boxed(), 300, &|y| {
        vec![match Framework::from_yaml("f.yaml", y) {
            Ok(_) => "framework accepted".into(),
            Err(FrameworkError::Parse { .. }) => "framework unreadable".into(),
            Err(_) => "framework invalid".into(),
        }]
    });
    sample(
        org_text().prop_map(|(t, _)| t).boxed(),
        400,
        &|t| match org::read(t, OrgFormat::detect(None, t)) {
            Ok(f) if !f.rows.is_empty() && !f.rejected.is_empty() => {
                vec!["org rows kept and rejected".into()]
            }
            Ok(_) => vec!["org read".into()],
            Err(e) => vec![format!("org {}", name(format!("{e:?}")))],
        },
    );
    let envelopes = mutated_json(ENVELOPES);
    sample(envelopes.boxed(), 300, &|t| {
        vec![match serde_json::from_str::<Value>(t)
            .ok()
            .as_ref()
            .and_then(Envelope::read)
        {
            Some(e) => format!("envelope to {:?}", e.as_http().map(|h| h.path)),
            None => "no envelope".into(),
        }]
    });
    sample(mutated_json(INTERACTIONS).boxed(), 200, &|t| {
        vec![format!(
            "interaction read: {}",
            Interaction::from_form(&form(t)).is_ok()
        )]
    });
    sample(mutated_json(EVENTS).boxed(), 200, &|t| {
        vec![format!(
            "event read: {}",
            serde_json::from_str::<EventEnvelope>(t).is_ok()
        )]
    });
    let expected = [
        "kudos accepted",
        "kudos NoRecipient",
        "kudos SelfKudos",
        "kudos TooManyRecipients",
        "kudos UnknownTag",
        "kudos ChannelLinkWithoutName",
        "kudos MissingCompetency",
        "kudos EmptyMessage",
        "kudos MessageTooLong",
        "cron accepted",
        "cron refused by croner",
        "cron refused",
        "framework accepted",
        "framework unreadable",
        "framework invalid",
        "org rows kept and rejected",
        "org Empty",
        "org NoUserIdColumn",
        "org Yaml",
        "org YamlShape",
        "envelope to Some(\"/slack/commands\")",
        "envelope to Some(\"/slack/interactivity\")",
        "envelope to Some(\"/slack/events\")",
        "envelope to None",
        "no envelope",
        "interaction read: true",
        "interaction read: false",
        "event read: true",
        "event read: false",
    ];
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|e| !seen.contains(*e))
        .collect();
    assert!(
        missing.is_empty(),
        "never generated: {missing:?}\nseen: {seen:?}"
    );
}
