//! The review pages in a real browser (headless Chromium through chromedriver).
