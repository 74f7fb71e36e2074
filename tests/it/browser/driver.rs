//! A headless Chromium for one test: its own chromedriver on a free port, a WebDriver session
//! through fantoccini, screenshots under `target/screenshots/`, and what WebDriver has no word
//! for (print media, a phone's screen) through chromedriver's Chrome DevTools endpoint.
//! Everything it starts, and every file Chromium writes, ends with it, failed test or not.

use crate::common::Backend;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL: &str = "install both with `apt-get install chromium chromium-driver` (Debian)";

/// How long a page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(15);

/// Dropped in this order: the session, chromedriver and Chromium, then their files.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
    /// chromedriver's and Chromium's `TMPDIR`: the profile and its sockets, which they leave
    /// behind when killed (and, killed just after quitting, often even then).
    _files: tempfile::TempDir,
    /// `<test>-<backend>`: the start of each screenshot's name.
    name: String,
}

impl Browser {
    /// Starts chromedriver and a 1200×900 headless Chromium. Panics (the test fails, never
    /// skips) when either is missing.
    pub async fn start(test: &str, backend: Backend) -> Self {
        assert!(
            std::path::Path::new(CHROMIUM).exists(),
            "the browser tests need Chromium at {CHROMIUM}: {INSTALL}"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let files = tempfile::tempdir().unwrap();
        let driver = Driver(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .env("TMPDIR", files.path())
                // Its own process group, Chromium included, so Drop can end them together.
                .process_group(0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("the browser tests need {CHROMEDRIVER} ({e}): {INSTALL}")
                }),
        );
        let browser = Browser {
            client: connect(port).await,
            _driver: driver,
            _files: files,
            name: format!("{test}-{}", format!("{backend:?}").to_lowercase()),
        };
        // `--window-size` counts the window's own bars too: the page gets exactly 1200×900.
        browser.viewport(1200, 900, false).await;
        browser
    }

    /// The size of the page's viewport, as a phone's when `mobile`.
    pub async fn viewport(&self, width: u32, height: u32, mobile: bool) {
        let metrics =
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile });
        self.cdp("Emulation.setDeviceMetricsOverride", metrics)
            .await;
    }

    /// Ends the session (Chromium quits and removes its profile); Drop ends chromedriver.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Waits until the page shown is at `path` (a click's navigation may still be under way).
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let url = self.client.current_url().await.unwrap();
            if url.path() == path {
                return;
            }
            if Instant::now() > deadline {
                let shown = self.client.find(Locator::Css("main")).await;
                let text = match shown {
                    Ok(main) => main.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                panic!("still at {url}, not at {path}; the page says: {text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The text of the page's `<h1>` once it contains `needle`.
    pub async fn h1_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = match self.client.find(Locator::Css("h1")).await {
                Ok(h1) => h1.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the page's h1 is {text:?}, not one with {needle:?}, at {}",
                self.client.current_url().await.unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the (first) element `css` finds.
    pub async fn click(&self, css: &str) {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"));
        element.click().await.unwrap();
    }

    /// Runs `script` (a function body that `return`s) in the page.
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Saves what the window shows as `target/screenshots/<test>-<backend>-<page>.png`; the
    /// PNG's bytes.
    pub async fn screenshot(&self, page: &str) -> Vec<u8> {
        let png = self.client.screenshot().await.unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/screenshots");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(format!("{dir}/{}-{page}.png", self.name), &png).unwrap();
        png
    }

    /// Runs a Chrome DevTools Protocol command, which WebDriver has no word for.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let command = Cdp(json!({ "cmd": cmd, "params": params }));
        self.client
            .issue_cmd(command)
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }
}

/// The chromedriver we started; dropped, it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // After `close` only chromedriver is left; after a failed test, Chromium too. Both are
        // in the group of the chromedriver we started, whose id is the group's. (Not through
        // the `kill` command: procps reads `kill -KILL -<id>` as options, e.g. `-1`, everyone.)
        if let Ok(group @ 2..) = i32::try_from(self.0.id()) {
            // SAFETY: kill(2) with a negative id signals that process group only; no memory
            // is involved.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.0.wait();
    }
}

/// Waits for chromedriver to answer, then opens a session with Chromium.
async fn connect(port: u16) -> Client {
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + PATIENCE;
    let status = reqwest::Client::new();
    while !status
        .get(format!("{url}/status"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start on {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let capabilities = json!({
        "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"],
            "binary": CHROMIUM,
        }
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    // fantoccini's `native` connector: its `rustls` one would add a second crypto provider to
    // rustls (aws-lc-rs beside reqwest's ring), and rustls then refuses to pick one.
    ClientBuilder::native()
        .capabilities(capabilities)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("chromedriver could not start Chromium ({e}): {INSTALL}"))
}

/// `POST /session/{id}/goog/cdp/execute`: chromedriver's door to the DevTools protocol.
#[derive(Debug)]
struct Cdp(Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or("")
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(self.0.to_string()))
    }
}
