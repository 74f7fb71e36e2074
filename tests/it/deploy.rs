//! The files under `deploy/` hold together: every YAML file parses, the Kubernetes objects point at
//! each other (labels, ports, names), the settings they pass are ones `cairn serve` knows, the systemd
//! unit runs `cairn serve` where its database is writable, and the Dockerfile's health check and
//! dependency stubs work. No Kubernetes API server or Docker engine is needed: this is the check
//! that runs everywhere (docs/deploying.md says how to validate the manifests against the
//! Kubernetes schemas too).

use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_cairn");

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(deploy().join(relative))
        .unwrap_or_else(|e| panic!("deploy/{relative}: {e}"))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn yaml_files() -> Vec<PathBuf> {
    let mut all = Vec::new();
    files_under(&deploy(), &mut all);
    let mut yaml: Vec<PathBuf> = all
        .into_iter()
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    yaml.sort();
    yaml
}

/// Every document of a (possibly multi-document) YAML file.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// The Kubernetes objects in deploy/kubernetes/, by kind (the kustomization aside).
fn kubernetes() -> BTreeMap<String, Vec<Value>> {
    let mut by_kind: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for path in yaml_files() {
        if path.parent() != Some(&deploy().join("kubernetes"))
            || path.file_name().unwrap() == "kustomization.yaml"
        {
            continue;
        }
        for doc in documents(&path) {
            let kind = doc["kind"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: a document without a kind", path.display()));
            assert!(doc["apiVersion"].is_string(), "{}", path.display());
            assert!(doc["metadata"]["name"].is_string(), "{}", path.display());
            by_kind.entry(kind.to_owned()).or_default().push(doc);
        }
    }
    by_kind
}

fn one(objects: &BTreeMap<String, Vec<Value>>, kind: &str) -> Value {
    let found = objects.get(kind).map(Vec::as_slice).unwrap_or_default();
    assert_eq!(found.len(), 1, "exactly one {kind}: {found:#?}");
    found[0].clone()
}

/// `selector` (a label map) picks pods labelled `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let selector = selector.as_object().expect("a label map");
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The environment variables `cairn serve` reads, from its own `--help`.
fn known_settings() -> BTreeSet<String> {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .env_clear()
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let mut known: BTreeSet<String> = help
        .split("[env: ")
        .skip(1)
        .map(|rest| rest.split(['=', ']']).next().unwrap().to_owned())
        .collect();
    assert!(
        known.contains("DATABASE_URL") && known.contains("CAIRN_ADDR"),
        "{help}"
    );
    known.insert("RUST_LOG".into()); // read by the log filter, not a flag
    known
}

#[test]
fn every_yaml_file_under_deploy_parses() {
    let files = yaml_files();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(deploy()).unwrap().display().to_string())
        .collect();
    for expected in [
        "compose.yaml",
        "kubernetes/kustomization.yaml",
        "kubernetes/deployment.yaml",
        "backup/litestream.yml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for path in &files {
        let docs = documents(path);
        assert!(!docs.is_empty(), "{}: no document", path.display());
        for doc in docs {
            assert!(doc.is_object(), "{}: {doc}", path.display());
        }
    }
}

#[test]
fn the_deployment_runs_two_probed_non_root_replicas_with_resources() {
    let objects = kubernetes();
    let d = one(&objects, "Deployment");
    assert_eq!(d["apiVersion"], "apps/v1");
    assert_eq!(d["spec"]["replicas"], 2);
    let pod_labels = &d["spec"]["template"]["metadata"]["labels"];
    assert!(
        selects(&d["spec"]["selector"]["matchLabels"], pod_labels),
        "the Deployment's selector must match its own pods"
    );
    let pod = &d["spec"]["template"]["spec"];
    assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap() >= 10);
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    assert!(!c["image"].as_str().unwrap_or_default().is_empty());
    let port = &c["ports"][0];
    let (port_name, port_number) = (&port["name"], &port["containerPort"]);
    assert_eq!(port_number, 3000);
    // Cairn listens where the ConfigMap says: on every interface, on the container port.
    let config = one(&objects, "ConfigMap");
    assert_eq!(
        config["data"]["CAIRN_ADDR"],
        format!("0.0.0.0:{port_number}")
    );
    for (probe, path) in [
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/healthz"),
    ] {
        let get = &c[probe]["httpGet"];
        assert_eq!(get["path"], path, "{probe}");
        assert!(
            get["port"] == *port_name || get["port"] == *port_number,
            "{probe} must probe the container port: {get}"
        );
    }
    for (bound, cpu, memory) in [("requests", "100m", "128Mi"), ("limits", "1", "512Mi")] {
        assert_eq!(c["resources"][bound]["cpu"], cpu, "{bound}");
        assert_eq!(c["resources"][bound]["memory"], memory, "{bound}");
    }
    // Non-root, as the image's own user (deploy/Dockerfile creates uid 10001).
    let security = &pod["securityContext"];
    assert_eq!(security["runAsNonRoot"], true);
    let uid = security["runAsUser"].as_u64().unwrap();
    assert!(
        read("Dockerfile").contains(&format!("--uid {uid} ")),
        "uid {uid}"
    );
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"][0], "ALL");
    // Its settings come from the ConfigMap and the Secret defined beside it.
    let secret = one(&objects, "Secret");
    let from: Vec<&Value> = c["envFrom"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| [&e["configMapRef"]["name"], &e["secretRef"]["name"]])
        .filter(|n| n.is_string())
        .collect();
    assert!(from.contains(&&config["metadata"]["name"]), "{from:?}");
    assert!(from.contains(&&secret["metadata"]["name"]), "{from:?}");
}

#[test]
fn the_service_and_the_budget_pick_the_deployments_pods() {
    let objects = kubernetes();
    let d = one(&objects, "Deployment");
    let pod_labels = &d["spec"]["template"]["metadata"]["labels"];
    let port = &d["spec"]["template"]["spec"]["containers"][0]["ports"][0];

    let s = one(&objects, "Service");
    assert!(selects(&s["spec"]["selector"], pod_labels), "{s}");
    let target = &s["spec"]["ports"][0]["targetPort"];
    assert!(
        *target == port["name"] || *target == port["containerPort"],
        "the Service must target the container port, not {target}"
    );

    let pdb = one(&objects, "PodDisruptionBudget");
    assert_eq!(pdb["apiVersion"], "policy/v1");
    assert!(selects(&pdb["spec"]["selector"]["matchLabels"], pod_labels));
    assert_eq!(pdb["spec"]["minAvailable"], 1);
}

#[test]
fn the_secret_and_config_pass_only_settings_cairn_knows() {
    let objects = kubernetes();
    let known = known_settings();
    let secret = one(&objects, "Secret");
    let config = one(&objects, "ConfigMap");
    let secret_data = secret["stringData"].as_object().unwrap();
    let config_data = config["data"].as_object().unwrap();
    for key in secret_data.keys().chain(config_data.keys()) {
        assert!(known.contains(key), "{key} is not a setting of cairn serve");
    }
    // Two replicas need PostgreSQL, and the template's values are visibly placeholders.
    let url = secret_data["DATABASE_URL"].as_str().unwrap();
    assert!(url.starts_with("postgres://"), "{url}");
    for (key, value) in secret_data {
        assert!(value.as_str().unwrap().contains("CHANGE-ME"), "{key}");
    }
    assert!(secret_data.contains_key("SLACK_SIGNING_SECRET"));
    for key in [
        "SLACK_SIGNING_SECRET",
        "SLACK_BOT_TOKEN",
        "CAIRN_ADMIN_TOKEN",
        "DATABASE_URL",
    ] {
        assert!(
            !config_data.contains_key(key),
            "{key} belongs in the Secret"
        );
    }
}

#[test]
fn the_kustomization_lists_every_file_in_its_folder() {
    let dir = deploy().join("kubernetes");
    let k = documents(&dir.join("kustomization.yaml")).remove(0);
    assert_eq!(k["kind"], "Kustomization");
    let listed: BTreeSet<String> = k["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "kustomization.yaml")
        .collect();
    assert_eq!(listed, present);
    // The image override names the Deployment's image.
    let d = one(&kubernetes(), "Deployment");
    let image = d["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap();
    assert_eq!(k["images"][0]["name"], image.split(':').next().unwrap());
}

#[test]
fn compose_runs_cairn_on_postgres() {
    let c = documents(&deploy().join("compose.yaml")).remove(0);
    let services = &c["services"];
    assert!(services["postgres"]["image"]
        .as_str()
        .unwrap()
        .starts_with("postgres"));
    let cairn = &services["cairn"];
    let dockerfile = cairn["build"]["dockerfile"].as_str().unwrap();
    let context = deploy().join(cairn["build"]["context"].as_str().unwrap());
    assert!(context.join(dockerfile).is_file(), "{dockerfile}");
    assert_eq!(
        cairn["depends_on"]["postgres"]["condition"],
        "service_healthy"
    );
    let env = cairn["environment"].as_object().unwrap();
    assert!(env["DATABASE_URL"]
        .as_str()
        .unwrap()
        .starts_with("postgres://cairn:cairn@postgres:5432/"));
    let known = known_settings();
    for key in env.keys() {
        assert!(known.contains(key), "{key}");
    }
}

/// `Key=value` lines of a systemd unit or environment file (comments and sections skipped).
fn key_values(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(['#', ';', '[']))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn the_systemd_unit_serves_from_a_writable_state_directory() {
    let unit = key_values(&read("systemd/cairn.service"));
    let exec = value(&unit, "ExecStart");
    assert_eq!(exec.len(), 1);
    assert!(exec[0].ends_with("/cairn serve"), "{exec:?}");
    assert_eq!(value(&unit, "User"), ["cairn"]);
    assert_eq!(value(&unit, "EnvironmentFile"), ["/etc/cairn/cairn.env"]);
    assert_eq!(value(&unit, "Restart"), ["on-failure"]);
    for hardening in ["NoNewPrivileges", "PrivateTmp", "ProtectHome"] {
        assert_eq!(value(&unit, hardening), ["yes"], "{hardening}");
    }
    assert_eq!(value(&unit, "ProtectSystem"), ["strict"]);
    // The SQLite file of the example environment is in the unit's writable state directory.
    let env = key_values(&read("systemd/cairn.env.example"));
    let url = value(&env, "DATABASE_URL")[0];
    let file = url
        .strip_prefix("sqlite://")
        .expect("the single binary runs SQLite");
    let state = format!("/var/lib/{}/", value(&unit, "StateDirectory")[0]);
    assert!(file.starts_with(&state), "{file} outside {state}");
    let writable = value(&unit, "ReadWritePaths").join(" ");
    assert!(
        writable
            .split_whitespace()
            .any(|p| file.starts_with(&format!("{}/", p.trim_end_matches('/')))),
        "{file} is not in ReadWritePaths {writable}"
    );
    let known = known_settings();
    for (key, _) in &env {
        assert!(known.contains(key), "{key} is not a setting of cairn serve");
    }
}

#[test]
fn the_backup_recipe_is_wired_together() {
    let script = read("backup/sqlite-backup.sh");
    assert!(script.starts_with("#!/bin/sh\n"));
    assert!(script.contains(r#"sqlite3 "$DB" ".timeout 10000" ".backup '$tmp'""#));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(deploy().join("backup/sqlite-backup.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "sqlite-backup.sh must be executable");
    let service = key_values(&read("backup/cairn-backup.service"));
    assert!(value(&service, "ExecStart")[0].ends_with("/sqlite-backup.sh"));
    assert_eq!(value(&service, "User"), ["cairn"]);
    let db = value(&service, "Environment")
        .iter()
        .find_map(|e| e.strip_prefix("CAIRN_DB="))
        .unwrap();
    let env = key_values(&read("systemd/cairn.env.example"));
    assert_eq!(
        Some(db),
        value(&env, "DATABASE_URL")[0].strip_prefix("sqlite://")
    );
    let timer = key_values(&read("backup/cairn-backup.timer"));
    assert!(!value(&timer, "OnCalendar").is_empty());
    let litestream = documents(&deploy().join("backup/litestream.yml")).remove(0);
    assert_eq!(litestream["dbs"][0]["path"], db);
}

/// The Dockerfile's `HEALTHCHECK CMD [...]`, as the argv Docker runs.
fn healthcheck() -> Vec<String> {
    let dockerfile = read("Dockerfile");
    let start = dockerfile.find("\nHEALTHCHECK ").expect("a HEALTHCHECK");
    let rest = &dockerfile[start..];
    let cmd = &rest[rest.find("CMD [").unwrap() + 4..];
    let json = &cmd[..cmd.find('\n').unwrap()];
    serde_json::from_str(json).unwrap()
}

#[test]
fn the_docker_health_check_passes_against_cairn_and_fails_without_it() {
    let argv = healthcheck();
    assert!(argv.join(" ").contains("/healthz"));
    let run = |port: u16| {
        Command::new(&argv[0])
            .args(&argv[1..])
            .env("CAIRN_ADDR", format!("0.0.0.0:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert!(!run(port), "nothing listens yet");
    let mut child = Command::new(BIN)
        .arg("serve")
        .env_clear()
        .env("CAIRN_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("c.db").display()),
        )
        .env("SLACK_SIGNING_SECRET", "s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut healthy = false;
    for _ in 0..100 {
        if run(port) {
            healthy = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(healthy, "the health check never passed against cairn serve");
}

#[test]
fn the_dockerfile_stubs_every_bench_cargo_toml_declares() {
    // Cargo refuses a manifest whose declared bench file is missing, so the dependency layer needs
    // a stub for each; run the Dockerfile's own loop against Cargo.toml and compare.
    let dockerfile = read("Dockerfile");
    let line = dockerfile
        .lines()
        .find(|l| l.contains("for bench in"))
        .expect("a loop over the benches");
    let script = line
        .trim()
        .trim_start_matches("&&")
        .trim_end_matches('\\')
        .trim()
        .to_owned()
        + " echo 'fn main() {}' > \"benches/$bench.rs\"; done";
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"),
        dir.path().join("Cargo.toml"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("benches")).unwrap();
    let status = Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
    let stubs: BTreeSet<String> = std::fs::read_dir(dir.path().join("benches"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let manifest: toml::Value = toml::from_str(include_str!("../../Cargo.toml")).unwrap();
    let benches: BTreeSet<String> = manifest["bench"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| format!("{}.rs", b["name"].as_str().unwrap()))
        .collect();
    assert!(!benches.is_empty());
    assert_eq!(stubs, benches);
}

#[test]
fn the_binary_packs_its_relocations_where_glibc_loads_them() {
    // build.rs asks the linker for packed relative relocations on glibc 2.36 and later; the
    // image builds with it.
    assert!(read("Dockerfile").contains("COPY build.rs ./"));
    let glibc = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let version: Vec<u32> = glibc
        .trim()
        .trim_start_matches("glibc ")
        .split('.')
        .filter_map(|n| n.parse().ok())
        .collect();
    let loads_relr = glibc.starts_with("glibc ") && version.as_slice() >= &[2, 36][..];
    let binary = std::fs::read(BIN).unwrap();
    let packed = binary.windows(9).any(|w| w == b".relr.dyn");
    assert_eq!(packed, loads_relr, "{glibc:?}");
}
