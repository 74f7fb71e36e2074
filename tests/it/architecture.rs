//! The layout holds, read from the imports (docs/architecture.md): who may use whom, no file
//! over 800 lines, and no import cycles between files. Test code is left out: a test may
//! reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may use besides itself. Anything not listed is refused.
const MAY_USE: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("clock", &[]),
    ("metrics", &[]),
    ("memory", &[]),
    ("secrets", &[]),
    ("slack", &["domain", "metrics"]),
    ("report", &["domain", "slack"]),
    ("store", &["domain", "secrets", "metrics", "clock"]),
    ("config", &["domain", "secrets", "slack", "jobs"]),
    (
        "services",
        &[
            "domain", "slack", "store", "report", "clock", "secrets", "metrics", "config",
        ],
    ),
    (
        "jobs",
        &[
            "domain", "slack", "store", "services", "clock", "metrics", "config",
        ],
    ),
    (
        "http",
        &[
            "domain", "slack", "store", "services", "report", "clock", "metrics", "config",
        ],
    ),
    (
        "app",
        &[
            "domain", "slack", "store", "services", "jobs", "http", "clock", "metrics", "config",
            "secrets", "memory",
        ],
    ),
    (
        "cli",
        &[
            "domain", "slack", "store", "services", "report", "jobs", "http", "app", "clock",
            "config", "secrets", "metrics",
        ],
    ),
];

const MAX_LINES: usize = 800;

/// A source file: its module path (`src/a/b.rs` and `src/a/b/mod.rs` are `a::b`) and its code
/// without test modules.
struct File {
    path: PathBuf,
    module: Vec<String>,
    code: String,
}

fn files() -> Vec<File> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().to_path_buf();
            let name = rel.file_name().unwrap().to_str().unwrap();
            if !name.ends_with(".rs") || name == "tests.rs" || rel == Path::new("main.rs") {
                continue;
            }
            let mut module: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|s| s.to_str().unwrap().to_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            out.push(File {
                path: rel,
                module,
                code: without_tests(&text),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The file up to its `#[cfg(test)] mod …` (test modules sit at the end), comments dropped.
fn without_tests(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .get(i + 1)
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            end = i;
            break;
        }
    }
    lines[..end]
        .iter()
        .map(|l| match l.find("//") {
            Some(at) if !l[..at].contains('"') => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path the code names from `crate::` or `super::`, resolved to absolute segments;
/// `use` groups (`crate::{a::b, c}`) are expanded.
fn paths(file: &File) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let code = &file.code;
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts = ["crate::", "super::"]
            .into_iter()
            .find(|p| rest.starts_with(p));
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        match starts {
            Some(prefix) if boundary => {
                let base = if prefix == "crate::" {
                    Vec::new()
                } else {
                    let mut here = file.module.clone();
                    here.pop();
                    here
                };
                let (tree, used) = use_tree(&rest[prefix.len()..]);
                let mut base = base;
                // `super::super::` climbs further.
                let mut tree = tree;
                while let Some(up) = tree.strip_prefix("super::") {
                    base.pop();
                    tree = up.to_owned();
                }
                expand(&base, &tree, &mut out);
                i += prefix.len() + used.max(1);
            }
            _ => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    out
}

/// The path (or `{…}` group) at the start of `text`, and how many bytes it took.
fn use_tree(text: &str) -> (String, usize) {
    let mut depth = 0;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => {
                return (text[..at].to_owned(), at);
            }
            _ => {}
        }
        if depth == 0 && c == '}' {
            return (text[..=at].to_owned(), at + 1);
        }
    }
    (text.to_owned(), text.len())
}

fn expand(base: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim().trim_end_matches("::");
    if let Some(open) = tree.find('{') {
        let mut prefix = base.to_vec();
        prefix.extend(segments(&tree[..open]));
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (at, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&prefix, &inner[start..at], out);
                    start = at + 1;
                }
                _ => {}
            }
        }
        expand(&prefix, &inner[start..], out);
    } else {
        let mut path = base.to_vec();
        path.extend(segments(tree));
        out.push(path);
    }
}

fn segments(text: &str) -> Vec<String> {
    text.split("::")
        .map(|s| s.split_whitespace().next().unwrap_or("").to_owned())
        .filter(|s| !s.is_empty() && s != "self" && s != "*")
        .collect()
}

/// The longest prefix of `path` that is a module with its own file.
fn module_of<'a>(path: &[String], modules: &'a BTreeSet<Vec<String>>) -> Option<&'a Vec<String>> {
    (1..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n].to_vec()))
}

/// File-to-file imports, leaving out a module's use of its own parents and children.
fn graph(files: &[File]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut edges = BTreeMap::new();
    for f in files {
        let out: &mut BTreeSet<Vec<String>> = edges.entry(f.module.clone()).or_default();
        for path in paths(f) {
            let Some(target) = module_of(&path, &modules) else {
                continue;
            };
            let related = target.starts_with(&f.module) || f.module.starts_with(target);
            if !related {
                out.insert(target.clone());
            }
        }
    }
    edges
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let files = files();
    let mut wrong = Vec::new();
    for f in &files {
        let Some(top) = f.module.first() else {
            continue;
        };
        let Some((_, allowed)) = MAY_USE.iter().find(|(m, _)| m == top) else {
            wrong.push(format!("{}: src/{top} is not in MAY_USE", f.path.display()));
            continue;
        };
        for path in paths(f) {
            let Some(used) = path.first() else { continue };
            if used != top && !allowed.contains(&used.as_str()) {
                wrong.push(format!(
                    "{}: {top} may not use crate::{}",
                    f.path.display(),
                    path.join("::")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

/// Groups of files that import each other round a loop (Tarjan's strongly connected
/// components of two or more files).
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        cycles: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a Vec<String>) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for u in w.edges.get(v).into_iter().flatten() {
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[u].min(w.low[v]);
                w.low.insert(v, low);
            } else if w.stack.contains(&u) {
                let low = w.index[u].min(w.low[v]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(u) = w.stack.pop() {
                component.push(u.join("::"));
                if u == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.cycles.push(component);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        cycles: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            visit(&mut walk, v);
        }
    }
    walk.cycles
}

#[test]
fn no_files_import_each_other_round_a_loop() {
    let found = cycles(&graph(&files()));
    assert!(found.is_empty(), "files importing each other: {found:?}");
}

#[test]
fn no_file_is_over_800_lines_outside_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let long: Vec<String> = files()
        .iter()
        .map(|f| {
            (
                f,
                std::fs::read_to_string(root.join(&f.path))
                    .unwrap()
                    .lines()
                    .count(),
            )
        })
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(f, n)| format!("{}: {n} lines", f.path.display()))
        .collect();
    assert!(long.is_empty(), "split these files: {long:?}");
}

#[test]
fn the_checker_sees_imports_and_groups() {
    let file = File {
        path: "a/b.rs".into(),
        module: vec!["a".into(), "b".into()],
        code: "use crate::{store::{Kudos, Store}, domain::ids};\nlet x = crate::slack::client::new();\nuse super::c::D;".into(),
    };
    let got: Vec<String> = paths(&file).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        got,
        [
            "store::Kudos",
            "store::Store",
            "domain::ids",
            "slack::client::new",
            "a::c::D"
        ]
    );
    let m = |s: &str| vec![s.to_owned()];
    let edges = BTreeMap::from([
        (m("a"), BTreeSet::from([m("b")])),
        (m("b"), BTreeSet::from([m("c")])),
        (m("c"), BTreeSet::from([m("a")])),
        (m("d"), BTreeSet::from([m("a")])),
    ]);
    assert_eq!(cycles(&edges), [["a", "b", "c"]]);
    let text = "use crate::x;\n#[cfg(test)]\nmod tests {\n use crate::y;\n}\n";
    assert_eq!(without_tests(text), "use crate::x;");
}

/// The client methods that change something in Slack, and the one file that may call each: the
/// outbox, so every change survives restarts, outages and rate limits. `views.open` is the one
/// exception: its trigger lives three seconds, so it cannot wait in a queue.
const SLACK_WRITES: &[(&str, &str)] = &[
    (".chat_post_message(", "jobs/outbox.rs"),
    (".chat_update(", "jobs/outbox.rs"),
    (".chat_post_ephemeral(", "jobs/outbox.rs"),
    (".reactions_add(", "jobs/outbox.rs"),
    (".views_publish(", "jobs/outbox.rs"),
    (".upload_files(", "jobs/outbox.rs"),
    (".views_open(", "services/workspaces.rs"),
];

/// Files outside `app.rs` and `jobs/` that spawn tasks, and why none of them changes Slack.
const MAY_SPAWN: &[(&str, &str)] = &[
    (
        "services/people.rs",
        "stores a profile Slack gave, off the request's path",
    ),
    ("http/slack/socket.rs", "acknowledges Socket Mode envelopes"),
    ("cli/demo.rs", "serves the demo's fake Slack"),
    ("store/batch.rs", "runs the kudos writer"),
];

#[test]
fn only_the_outbox_changes_anything_in_slack() {
    let mut wrong = Vec::new();
    for f in files() {
        let path = f.path.to_str().unwrap().to_owned();
        if path.starts_with("slack/") {
            continue;
        }
        for (call, owner) in SLACK_WRITES {
            if f.code.contains(call) && path != *owner {
                wrong.push(format!("src/{path} calls {call}…) (only src/{owner} may)"));
            }
        }
        let spawns = f.code.contains("tokio::spawn(") || f.code.contains(".spawn(");
        let exempt = path == "app.rs" || path.starts_with("jobs/");
        if spawns && !exempt && !MAY_SPAWN.iter().any(|(p, _)| *p == path) {
            wrong.push(format!(
                "src/{path} spawns a task: send to Slack through the outbox"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
